//! TOTP (RFC 6238) for step-up: HMAC-SHA1, 30-second steps, 6-digit codes, the variant every
//! authenticator app understands.
//!
//! The secret is 20 random bytes ([`new_secret`]), shown to the user once as base32
//! ([`base32`]) and as a QR code ([`qr_svg`]) of an `otpauth://` URI ([`otpauth_uri`]).
//! [`verify`] accepts the current step and [`WINDOW`] steps either side for clock drift, and
//! refuses any step at or before the last one used, so a code works only once.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Seconds per step.
pub const PERIOD: i64 = 30;
/// Steps accepted either side of now (clock drift).
pub const WINDOW: i64 = 1;

/// Length of a new secret in bytes (160 bits, RFC 4226's recommendation).
const SECRET_LEN: usize = 20;

/// The RFC 4648 base32 alphabet.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new random secret (20 bytes = 160 bits, RFC 4226's recommendation), from the operating
/// system's CSPRNG.
pub fn new_secret() -> Vec<u8> {
    platform::crypto::random_bytes(SECRET_LEN)
}

/// RFC 4648 base32, upper case, no padding (what authenticator apps expect).
pub fn base32(secret: &[u8]) -> String {
    let mut out = String::with_capacity(secret.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for &byte in secret {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 0x1f) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize],
        ));
    }
    out
}

/// Decodes base32 (case-insensitive, whitespace and '=' ignored); None if invalid (a character
/// outside the alphabet, or a length no encoding can produce).
pub fn from_base32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    let mut symbols: usize = 0;
    for c in s.bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        let value = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        symbols += 1;
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            // Truncation to the low byte is the point here.
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // A final group of 1, 3 or 6 symbols cannot come from whole bytes.
    if matches!(symbols % 8, 1 | 3 | 6) {
        return None;
    }
    Some(out)
}

/// The code for the step holding `unix` (seconds), zero-padded to [`DIGITS`]; an empty string
/// (which never verifies) if OpenSSL fails.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    match u64::try_from(unix.div_euclid(PERIOD)) {
        Ok(counter) => hotp(secret, counter, DIGITS),
        Err(_) => String::new(),
    }
}

/// HOTP value with `digits` digits for counter `counter` (RFC 4226), zero-padded.
///
/// `digits` must be 1 to 10 (a 31-bit value has at most 10 digits); otherwise, or if OpenSSL
/// fails, the result is an empty string, which never verifies.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    if !(1..=10).contains(&digits) {
        return String::new();
    }
    let Some(mac) = hmac_sha1(secret, &counter.to_be_bytes()) else {
        return String::new();
    };
    let Some(&last) = mac.last() else {
        return String::new();
    };
    // Dynamic truncation (RFC 4226 section 5.3).
    let offset = usize::from(last & 0x0f);
    let Some(chunk) = mac.get(offset..offset + 4) else {
        return String::new();
    };
    let value = (u64::from(chunk[0] & 0x7f) << 24)
        | (u64::from(chunk[1]) << 16)
        | (u64::from(chunk[2]) << 8)
        | u64::from(chunk[3]);
    let value = value % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// HMAC-SHA1 of `data` under `key`; None on an OpenSSL error.
fn hmac_sha1(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let pkey = PKey::hmac(key).ok()?;
    let mut signer = Signer::new(MessageDigest::sha1(), &pkey).ok()?;
    signer.update(data).ok()?;
    let mac = signer.sign_to_vec().ok()?;
    (mac.len() == 20).then_some(mac)
}

/// Checks `code` (spaces ignored, must be exactly [`DIGITS`] ASCII digits) against steps
/// now-[`WINDOW`]..=now+[`WINDOW`], comparing in constant time and checking every candidate step
/// (no early exit); refuses any step <= `last_step` (a code is single use). Returns the matched
/// step (to store as the new `last_step`).
pub fn verify(secret: &[u8], code: &str, unix: i64, last_step: Option<i64>) -> Option<i64> {
    let code: Vec<u8> = code.bytes().filter(|&b| b != b' ').collect();
    if code.len() != DIGITS as usize || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let now = unix.div_euclid(PERIOD);
    let mut matched: Option<i64> = None;
    for delta in -WINDOW..=WINDOW {
        let Some(step) = now.checked_add(delta) else {
            continue;
        };
        let Ok(counter) = u64::try_from(step) else {
            continue;
        };
        let candidate = hotp(secret, counter, DIGITS);
        let equal = platform::crypto::ct_eq(candidate.as_bytes(), &code);
        let usable = candidate.len() == DIGITS as usize && last_step.is_none_or(|last| step > last);
        if equal && usable && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// otpauth://totp/ URI for authenticator apps: label "ISSUER:ACCOUNT", parameters secret,
/// issuer, algorithm=SHA1, digits=6, period=30; label parts and issuer percent-encoded (RFC 3986
/// unreserved characters kept, everything else `%XX`, including ':' inside the parts and '@').
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        account = percent_encode(account),
        secret = base32(secret),
    )
}

/// The QR code of `data` as an SVG element (no XML declaration, no script, no external
/// references), with a quiet zone and medium error correction, suitable to inline in an HTML
/// page; None if `data` is too long for a QR code.
pub fn qr_svg(data: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    match svg.find("<svg") {
        Some(start) => Some(svg[start..].to_string()),
        None => Some(svg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_vectors() {
        let vectors: [(u64, &str); 6] = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, expected) in vectors {
            assert_eq!(hotp(RFC_SECRET, t / 30, 8), expected, "t = {t}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                *code,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn code_at_is_six_digit_hotp_of_step() {
        assert_eq!(code_at(RFC_SECRET, 59), "287082");
        assert_eq!(code_at(RFC_SECRET, 59), hotp(RFC_SECRET, 1, DIGITS));
        assert_eq!(code_at(RFC_SECRET, 1_111_111_109), "081804");
        assert_eq!(code_at(RFC_SECRET, 1_234_567_890), "005924");
        assert_eq!(code_at(RFC_SECRET, 0).len(), DIGITS as usize);
        // Times before the epoch have no HOTP counter.
        assert_eq!(code_at(RFC_SECRET, -1), "");
    }

    #[test]
    fn hotp_rejects_silly_digit_counts() {
        assert_eq!(hotp(RFC_SECRET, 0, 0), "");
        assert_eq!(hotp(RFC_SECRET, 0, 11), "");
        assert_eq!(hotp(RFC_SECRET, 0, 10).len(), 10);
    }

    #[test]
    fn new_secret_is_20_random_bytes() {
        let a = new_secret();
        let b = new_secret();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }

    #[test]
    fn base32_rfc4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(from_base32(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn base32_round_trip_and_leniency() {
        for _ in 0..20 {
            let secret = new_secret();
            assert_eq!(from_base32(&base32(&secret)).unwrap(), secret);
        }
        for len in 0..12 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(from_base32(&base32(&data)).unwrap(), data);
        }
        assert_eq!(from_base32("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert_eq!(from_base32("MZXW6YQ=").unwrap(), b"foob");
    }

    #[test]
    fn base32_rejects_invalid() {
        assert!(from_base32("MZXW1").is_none()); // '1' is not in the alphabet
        assert!(from_base32("MZ8W").is_none());
        assert!(from_base32("MZ-XW").is_none());
        assert!(from_base32("M").is_none()); // impossible length
        assert!(from_base32("MZX").is_none());
        assert!(from_base32("MZXW6Y").is_none());
        assert!(from_base32("é").is_none());
    }

    #[test]
    fn verify_accepts_window_and_refuses_outside() {
        let secret = new_secret();
        let now = 1_700_000_015;
        let step = now / PERIOD;
        assert_eq!(
            verify(&secret, &code_at(&secret, now), now, None),
            Some(step)
        );
        let previous = code_at(&secret, now - PERIOD);
        let next = code_at(&secret, now + PERIOD);
        assert_eq!(verify(&secret, &previous, now, None), Some(step - 1));
        assert_eq!(verify(&secret, &next, now, None), Some(step + 1));
        let two_back = hotp(&secret, (step - 2) as u64, DIGITS);
        let two_ahead = hotp(&secret, (step + 2) as u64, DIGITS);
        // Guard against a chance collision with a code inside the window.
        let inside: Vec<String> = (-1..=1)
            .map(|d| hotp(&secret, (step + d) as u64, 6))
            .collect();
        if !inside.contains(&two_back) {
            assert_eq!(verify(&secret, &two_back, now, None), None);
        }
        if !inside.contains(&two_ahead) {
            assert_eq!(verify(&secret, &two_ahead, now, None), None);
        }
    }

    #[test]
    fn verify_with_rfc_secret_is_deterministic() {
        // Step 1 (t = 30..59) is 287082; step 0 is 755224, step 3 is 969429.
        assert_eq!(verify(RFC_SECRET, "287082", 59, None), Some(1));
        assert_eq!(verify(RFC_SECRET, "755224", 59, None), Some(0));
        assert_eq!(verify(RFC_SECRET, "359152", 59, None), Some(2));
        assert_eq!(verify(RFC_SECRET, "969429", 59, None), None);
        assert_eq!(verify(RFC_SECRET, "287 082", 59, None), Some(1));
    }

    #[test]
    fn verify_refuses_replay() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let code = code_at(&secret, now);
        let step = verify(&secret, &code, now, None).unwrap();
        assert_eq!(verify(&secret, &code, now, Some(step)), None);
        assert_eq!(verify(&secret, &code, now + 5, Some(step)), None);
        // An earlier step is refused once a later one was used.
        let previous = code_at(&secret, now - PERIOD);
        if previous != code {
            assert_eq!(verify(&secret, &previous, now, Some(step)), None);
        }
        // The next step still works.
        let next = code_at(&secret, now + PERIOD);
        assert_eq!(
            verify(&secret, &next, now + PERIOD, Some(step)),
            Some(step + 1)
        );
        assert_eq!(verify(&secret, &code, now, Some(step - 1)), Some(step));
    }

    #[test]
    fn verify_refuses_malformed_codes() {
        let secret = RFC_SECRET;
        let now = 59;
        let code = code_at(secret, now);
        assert_eq!(code, "287082");
        assert_eq!(verify(secret, "28708", now, None), None);
        assert_eq!(verify(secret, "2870820", now, None), None);
        assert_eq!(verify(secret, "0287082", now, None), None);
        assert_eq!(verify(secret, "28708a", now, None), None);
        assert_eq!(verify(secret, "28708-2", now, None), None);
        assert_eq!(verify(secret, "+28708", now, None), None);
        assert_eq!(verify(secret, "２８７０８２", now, None), None);
        assert_eq!(verify(secret, "", now, None), None);
        assert_eq!(verify(secret, "      ", now, None), None);
    }

    #[test]
    fn otpauth_uri_shape() {
        let secret = RFC_SECRET;
        let uri = otpauth_uri("One ID", "dr.smith@clinic.example", secret);
        assert!(uri.starts_with("otpauth://totp/One%20ID:dr.smith%40clinic.example?"));
        assert!(uri.contains(&format!("secret={}", base32(secret))));
        assert!(uri.contains("issuer=One%20ID"));
        assert!(uri.contains("algorithm=SHA1"));
        assert!(uri.contains("digits=6"));
        assert!(uri.contains("period=30"));
        let tricky = otpauth_uri("A:B&C", "x:y?z", secret);
        assert!(tricky.starts_with("otpauth://totp/A%3AB%26C:x%3Ay%3Fz?"));
        assert!(tricky.contains("issuer=A%3AB%26C&"));
        assert_eq!(percent_encode("é~-._"), "%C3%A9~-._");
    }

    #[test]
    fn qr_svg_is_inline_svg() {
        let uri = otpauth_uri("oneid", "alice@example.org", &new_secret());
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.contains("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        let lower = svg.to_ascii_lowercase();
        assert!(!lower.contains("<script"));
        assert!(!lower.contains("href"));
        assert!(!lower.contains("<?xml"));
    }

    #[test]
    fn qr_svg_refuses_too_long() {
        assert!(qr_svg(&"x".repeat(10_000)).is_none());
    }
}
