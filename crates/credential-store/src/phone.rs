//! Phone numbers: read as people type them, stored in E.164 (`+14165550199`), shown in the
//! North American way (`+1 416-555-0199`).

use platform::Locale;

/// The most characters accepted as a typed phone number.
const MAX_INPUT: usize = 32;

/// What kind of line a phone number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneKind {
    /// A mobile phone (can receive text messages).
    Mobile,
    /// A landline.
    Landline,
}

impl PhoneKind {
    /// Parses `mobile` or `landline` (the serialized forms; letter case and surrounding spaces
    /// are ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("mobile") {
            Some(PhoneKind::Mobile)
        } else if s.eq_ignore_ascii_case("landline") {
            Some(PhoneKind::Landline)
        } else {
            None
        }
    }

    /// The serialized form: `mobile` or `landline`.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Landline => "landline",
        }
    }
}

impl std::str::FromStr for PhoneKind {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or(PhoneError::Invalid)
    }
}

/// Why a typed phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum PhoneError {
    /// Nothing was typed.
    #[error("no phone number was given")]
    Empty,
    /// Not a phone number we can read.
    #[error("not a valid phone number")]
    Invalid,
}

impl PhoneError {
    /// A stable identifier (the serialized form): `empty` or `invalid`.
    pub fn code(self) -> &'static str {
        match self {
            PhoneError::Empty => "empty",
            PhoneError::Invalid => "invalid",
        }
    }

    /// What the person should do, for display next to the field.
    pub fn message(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (PhoneError::Empty, Locale::En) => "Enter a phone number.",
            (PhoneError::Empty, Locale::Fr) => "Entrez un numéro de téléphone.",
            (PhoneError::Invalid, Locale::En) => {
                "Enter a phone number such as 416-555-0199, or + and the country code for a number outside North America."
            }
            (PhoneError::Invalid, Locale::Fr) => {
                "Entrez un numéro de téléphone comme 416-555-0199, ou + et l’indicatif du pays pour un numéro hors de l’Amérique du Nord."
            }
        }
    }
}

/// Whether `digits` (the ten digits after `+1`) is a North American number: area code and
/// exchange each start with 2 to 9.
fn is_nanp(digits: &[u8]) -> bool {
    digits.len() == 10
        && digits.iter().all(u8::is_ascii_digit)
        && (b'2'..=b'9').contains(&digits[0])
        && (b'2'..=b'9').contains(&digits[3])
}

/// Reads a phone number as typed and returns it in E.164 (`+` and the digits).
///
/// Accepted: an international number, `+` then 8 to 15 digits, the first not 0; a North
/// American number, 10 digits, or 11 starting with 1, with or without `+` (`416-555-0199`,
/// `(416) 555-0199`, `416.555.0199`, `4165550199`, `1-416-555-0199`, `+1 416 555 0199`), whose
/// area code and exchange start with 2 to 9. Spaces, dots, hyphens and parentheses may
/// separate the digits. Refused: letters (so extensions such as `x123` or `ext. 5`), other
/// symbols, `+` anywhere but first, numbers too short or too long, more than 32 characters.
pub fn parse_phone(s: &str) -> Result<String, PhoneError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(PhoneError::Empty);
    }
    if s.chars().count() > MAX_INPUT {
        return Err(PhoneError::Invalid);
    }
    let (plus, rest) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut digits = Vec::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c as u8),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(PhoneError::Invalid),
        }
    }
    let national = match (plus, digits.first()) {
        (_, Some(b'1')) if digits.len() == 11 || plus => &digits[1..],
        (false, _) => &digits[..],
        (true, Some(b'2'..=b'9')) if (8..=15).contains(&digits.len()) => {
            return Ok(e164(&digits));
        }
        (true, _) => return Err(PhoneError::Invalid),
    };
    if !is_nanp(national) {
        return Err(PhoneError::Invalid);
    }
    let mut out = Vec::with_capacity(11);
    out.push(b'1');
    out.extend_from_slice(national);
    Ok(e164(&out))
}

/// `+` then `digits` (all ASCII digits).
fn e164(digits: &[u8]) -> String {
    let mut s = String::with_capacity(digits.len() + 1);
    s.push('+');
    s.extend(digits.iter().map(|&d| char::from(d)));
    s
}

/// An E.164 number for display: North American numbers as `+1 416-555-0199`, others as they
/// are.
pub fn display_phone(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(n) if is_nanp(n.as_bytes()) => {
            format!("+1 {}-{}-{}", &n[..3], &n[3..6], &n[6..])
        }
        _ => e164.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn north_american_numbers() {
        for s in [
            "416-555-0199",
            "(416) 555-0199",
            "416.555.0199",
            "4165550199",
            "1-416-555-0199",
            "+1 416 555 0199",
            "+1 (416) 555-0199",
            "+14165550199",
            "  416 555 0199 ",
            "1 (416) 555.0199",
        ] {
            assert_eq!(parse_phone(s).as_deref(), Ok("+14165550199"), "{s}");
        }
        assert_eq!(display_phone("+14165550199"), "+1 416-555-0199");
    }

    #[test]
    fn international_numbers() {
        assert_eq!(
            parse_phone("+33 1 23 45 67 89").as_deref(),
            Ok("+33123456789")
        );
        assert_eq!(
            parse_phone("+44 (20) 7946-0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(parse_phone("+49.30.123456").as_deref(), Ok("+4930123456"));
        assert_eq!(
            parse_phone("+861234567890123").as_deref(),
            Ok("+861234567890123")
        );
        assert_eq!(parse_phone("+4412345678").as_deref(), Ok("+4412345678"));
        assert_eq!(display_phone("+33123456789"), "+33123456789");
        assert_eq!(display_phone("+4930123456"), "+4930123456");
    }

    #[test]
    fn refused() {
        assert_eq!(parse_phone(""), Err(PhoneError::Empty));
        assert_eq!(parse_phone("  \t "), Err(PhoneError::Empty));
        for s in [
            "416-555-0199 x123",
            "416-555-0199 ext 5",
            "416-555-0199x1",
            "1-800-FLOWERS",
            "416-555-019",                        // 9 digits
            "416-555-01999",                      // 11 digits, not starting with 1
            "2-416-555-0199",                     // 11 digits, not starting with 1
            "116-555-0199",                       // area code starts with 1
            "016-555-0199",                       // area code starts with 0
            "416-155-0199",                       // exchange starts with 1
            "416-055-0199",                       // exchange starts with 0
            "+1 416 155 0199",                    // +1 must be North American
            "+1 416 555 01999",                   // +1 with 11 digits after it
            "+1234567",                           // 7 digits
            "+4412345",                           // 7 digits
            "+123456789012345",                   // +1 must be North American
            "+1234567890123456",                  // 16 digits
            "+0 123 456 789",                     // country code 0
            "+",                                  // nothing after +
            "++14165550199",                      // + twice
            "416+555-0199",                       // + not first
            "416/555/0199",                       // other separators
            "416_555_0199",                       //
            "４１６５５５０１９９",               // not ASCII digits
            "(416) 555-0199 - - - - - - - - - -", // more than 32 characters
            "---",
        ] {
            assert_eq!(parse_phone(s), Err(PhoneError::Invalid), "{s}");
        }
    }

    #[test]
    fn kinds_and_messages() {
        assert_eq!(PhoneKind::parse("mobile"), Some(PhoneKind::Mobile));
        assert_eq!(PhoneKind::parse(" Landline "), Some(PhoneKind::Landline));
        assert_eq!(PhoneKind::parse("fax"), None);
        assert_eq!("landline".parse::<PhoneKind>(), Ok(PhoneKind::Landline));
        assert_eq!("cell".parse::<PhoneKind>(), Err(PhoneError::Invalid));
        for k in [PhoneKind::Mobile, PhoneKind::Landline] {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<PhoneKind>(&json).unwrap(), k);
            assert_eq!(PhoneKind::parse(k.as_str()), Some(k));
        }
        for e in [PhoneError::Empty, PhoneError::Invalid] {
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::Value::String(e.code().into())
            );
            assert_ne!(e.message(Locale::En), e.message(Locale::Fr));
            assert!(!e.to_string().is_empty());
        }
    }

    /// A North American number, as its three groups of digits.
    fn nanp() -> impl Strategy<Value = (String, String, String)> {
        ("[2-9][0-9]{2}", "[2-9][0-9]{2}", "[0-9]{4}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn every_formatting_of_a_north_american_number((a, e, l) in nanp(), pad in "[ ]{0,2}") {
            let expected = format!("+1{a}{e}{l}");
            let forms = [
                format!("{a}-{e}-{l}"),
                format!("({a}) {e}-{l}"),
                format!("({a}){e}-{l}"),
                format!("{a}.{e}.{l}"),
                format!("{a} {e} {l}"),
                format!("{a}{e}{l}"),
                format!("1-{a}-{e}-{l}"),
                format!("1 ({a}) {e}-{l}"),
                format!("1{a}{e}{l}"),
                format!("+1 {a} {e} {l}"),
                format!("+1-{a}-{e}-{l}"),
                format!("+1 ({a}) {e}-{l}"),
                format!("+1.{a}.{e}.{l}"),
                format!("+1{a}{e}{l}"),
            ];
            for f in forms {
                let padded = format!("{pad}{f}{pad}");
                prop_assert_eq!(parse_phone(&padded), Ok(expected.clone()), "{}", padded);
            }
            prop_assert_eq!(display_phone(&expected), format!("+1 {a}-{e}-{l}"));
            prop_assert_eq!(parse_phone(&display_phone(&expected)), Ok(expected.clone()));
        }

        #[test]
        fn bad_north_american_numbers_are_refused(
            a in "[01][0-9]{2}", e in "[01][0-9]{2}", ok in "[2-9][0-9]{2}", l in "[0-9]{4}",
        ) {
            prop_assert_eq!(parse_phone(&format!("{a}-{ok}-{l}")), Err(PhoneError::Invalid));
            prop_assert_eq!(parse_phone(&format!("{ok}-{e}-{l}")), Err(PhoneError::Invalid));
            prop_assert_eq!(parse_phone(&format!("+1 {ok} {e} {l}")), Err(PhoneError::Invalid));
        }

        #[test]
        fn output_reparses_to_itself(s in "[+]?[0-9 .()-]{0,24}", t in any::<String>()) {
            for input in [s, t] {
                if let Ok(n) = parse_phone(&input) {
                    prop_assert!(n.starts_with('+'));
                    let digits = &n[1..];
                    prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                    prop_assert!((8..=15).contains(&digits.len()), "{}", n);
                    prop_assert!(!digits.starts_with('0'));
                    prop_assert_eq!(parse_phone(&n), Ok(n.clone()));
                    prop_assert_eq!(parse_phone(&display_phone(&n)), Ok(n.clone()));
                }
            }
        }

        #[test]
        fn letters_are_refused(s in "[0-9 ]{0,10}[A-Za-z][0-9A-Za-z ]{0,10}") {
            prop_assert_eq!(parse_phone(&format!("416 555 0199{s}")), Err(PhoneError::Invalid));
            prop_assert!(parse_phone(&s).is_err());
        }
    }
}
