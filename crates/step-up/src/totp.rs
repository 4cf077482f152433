//! TOTP (RFC 6238) for step-up: HMAC-SHA1, 30-second steps, 6-digit codes, the variant every
//! authenticator app understands, computed by the `totp-rs` crate.
//!
//! The secret is 20 random bytes ([`new_secret`]), shown to the user once as base32
//! ([`base32`]) and as a QR code ([`qr_svg`]) of an `otpauth://` URI ([`otpauth_uri`]).
//! [`verify`] accepts the current step and [`WINDOW`] steps either side for clock drift, and
//! refuses any step at or before the last one used, so a code works only once (the step used
//! is stored with the account, so the rule holds on every node).

use totp_rs::{Algorithm, Secret, TOTP};

/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Seconds per step.
pub const PERIOD: i64 = 30;
/// Steps accepted either side of now (clock drift).
pub const WINDOW: i64 = 1;

/// Length of a new secret in bytes (160 bits, RFC 4226's recommendation).
const SECRET_LEN: usize = 20;

/// A new random secret (20 bytes = 160 bits, RFC 4226's recommendation), from the operating
/// system's CSPRNG.
pub fn new_secret() -> Vec<u8> {
    platform::crypto::random_bytes(SECRET_LEN)
}

/// RFC 4648 base32, upper case, no padding (what authenticator apps expect).
pub fn base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// Decodes base32 (case-insensitive, whitespace and '=' ignored); None if invalid (a character
/// outside the alphabet, or a length no encoding can produce).
pub fn from_base32(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .chars()
        .filter(|c| *c != '=' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !s.bytes().all(|c| matches!(c, b'A'..=b'Z' | b'2'..=b'7')) {
        return None;
    }
    // A final group of 1, 3 or 6 symbols cannot come from whole bytes.
    if matches!(s.len() % 8, 1 | 3 | 6) {
        return None;
    }
    Secret::Encoded(s).to_bytes().ok()
}

/// The code for the step holding `unix` (seconds), [`DIGITS`] digits zero-padded; an empty
/// string (which never verifies) before the epoch.
pub fn code_at(secret: &[u8], unix: i64) -> String {
    match u64::try_from(unix.div_euclid(PERIOD)) {
        Ok(counter) => hotp(secret, counter, DIGITS),
        Err(_) => String::new(),
    }
}

/// HOTP value with `digits` digits (6 to 8, RFC 4226) for counter `counter`, zero-padded; an
/// empty string, which never verifies, for another number of digits. (A TOTP step is an HOTP
/// counter: the crate's TOTP with a one-second step at time `counter` is exactly that.)
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    if !(6..=8).contains(&digits) {
        return String::new();
    }
    TOTP::new_unchecked(
        Algorithm::SHA1,
        digits as usize,
        0,
        1,
        secret.to_vec(),
        None,
        String::new(),
    )
    .generate(counter)
}

/// Checks `code` (spaces ignored, must be exactly [`DIGITS`] ASCII digits) against steps
/// now-[`WINDOW`]..=now+[`WINDOW`], comparing in constant time and checking every candidate step
/// (no early exit); refuses any step <= `last_step` (a code is single use). Returns the matched
/// step (to store as the new `last_step`). The crate's own check says only whether a code
/// matches, not which step did, and this rule needs the step.
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

/// The `otpauth://totp/` URI for authenticator apps (Google's Key Uri Format, as the crate
/// writes it): label "ISSUER:ACCOUNT" and the issuer percent-encoded (RFC 3986 unreserved
/// characters kept, everything else `%XX`, ':' inside the parts and '@' too), the secret in
/// base32; SHA-1, 6 digits and 30 seconds are the format's defaults and left implicit.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS as usize,
        WINDOW as u8,
        PERIOD as u64,
        secret.to_vec(),
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .get_url()
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
    fn hotp_has_six_to_eight_digits() {
        assert_eq!(hotp(RFC_SECRET, 0, 0), "");
        assert_eq!(hotp(RFC_SECRET, 0, 5), "");
        assert_eq!(hotp(RFC_SECRET, 0, 9), "");
        assert_eq!(hotp(RFC_SECRET, 0, 11), "");
        assert_eq!(hotp(RFC_SECRET, 0, 7).len(), 7);
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
        assert_eq!(
            uri,
            "otpauth://totp/One%20ID:dr.smith%40clinic.example?\
             secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=One%20ID"
        );
        // SHA-1, 6 digits, 30 s: the format's defaults, so an app reads the code this module
        // verifies.
        let tricky = otpauth_uri("A:B&C", "é~x:y?z", secret);
        assert!(
            tricky.starts_with("otpauth://totp/A%3AB%26C:%C3%A9~x%3Ay%3Fz?"),
            "{tricky}"
        );
        assert!(tricky.ends_with("&issuer=A%3AB%26C"), "{tricky}");
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
