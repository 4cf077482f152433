//! One-time codes sent by text message or voice call: 6 random digits, kept only as a digest
//! (salted with the challenge's own id) and compared in constant time.

use platform::crypto::{ct_eq, random_bytes, sha256_b64};

/// A fresh 6-digit code, uniformly drawn.
pub fn new_code() -> String {
    loop {
        let b = random_bytes(4);
        let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        // Rejection sampling keeps every code equally likely.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// The digest kept for `code` in the challenge `salt`.
pub fn digest(salt: &str, code: &str) -> String {
    sha256_b64(format!("{salt}:{code}").as_bytes())
}

/// True when `typed` (spaces and dashes ignored) is the code behind `expected_digest`.
pub fn matches(salt: &str, typed: &str, expected_digest: &str) -> bool {
    let clean: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if clean.len() != 6 || !clean.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    ct_eq(digest(salt, &clean).as_bytes(), expected_digest.as_bytes())
}

/// The code as a voice reads it: digits apart, e.g. "1, 2, 3, 4, 5, 6".
pub fn spoken(code: &str) -> String {
    code.chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A phone number with all but its last 4 digits hidden, e.g. "•••-•••-0199".
pub fn masked(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits.iter().skip(digits.len().saturating_sub(4)).collect();
    format!("•••-•••-{last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_match_only_themselves() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            let d = digest("salt", &c);
            assert!(matches("salt", &c, &d));
            assert!(matches("salt", &format!("{} {}", &c[..3], &c[3..]), &d));
            assert!(!matches("other", &c, &d));
        }
        let d = digest("s", "123456");
        assert!(!matches("s", "123457", &d));
        assert!(!matches("s", "12345", &d));
        assert!(!matches("s", "1234567", &d));
        assert_eq!(spoken("123"), "1, 2, 3");
        assert_eq!(masked("+14165550199"), "•••-•••-0199");
    }
}
