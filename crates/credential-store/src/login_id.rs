//! Login IDs made from a person's preferred names: `Firstname.Lastname@ONEID.ON.CA`, with a
//! number after the last name when that ID is taken (`Randy.Burt2@ONEID.ON.CA`).

/// The domain of the login IDs ONE ID gives out.
pub const DEFAULT_DOMAIN: &str = "ONEID.ON.CA";

/// The most characters kept from each name in a login ID.
const MAX_PART: usize = 40;

/// What a login ID that can belong to no account is compared as (not ASCII, so no stored
/// login ID is ever equal to it).
const NOT_A_LOGIN_ID: &str = "\u{fffd}";

/// The form a typed login ID is looked up by, the same at every page, console and command
/// that takes one: trimmed and lower-cased, when it is ASCII. Login IDs are ASCII (those ONE ID
/// makes and those an administrator sets), so anything else is a look-alike and finds no
/// account: the Kelvin sign `K` (which Unicode lower-cases to `k`), fullwidth letters (which
/// NFKC folds to ASCII), Cyrillic `а`... all fail as an unknown login ID does, and count
/// against no account.
pub fn normalize_login_id(s: &str) -> String {
    let s = s.trim();
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        NOT_A_LOGIN_ID.to_owned()
    }
}

/// `s` in Latin letters without accents: `Hélène` → `Helene`, `François` → `Francois`,
/// `Œuvre` → `OEuvre`, `ß` → `ss` (via `deunicode`). ASCII characters are kept as they are,
/// letter case included; a character with no transliteration is kept as it is too.
pub fn transliterate(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            match deunicode::deunicode_char(c) {
                Some(t) => out.push_str(t),
                None => out.push(c),
            }
        }
    }
    out
}

/// `s` lower-cased and transliterated, for comparisons that ignore letter case and accents.
pub(crate) fn fold(s: &str) -> String {
    transliterate(&s.to_lowercase()).to_lowercase()
}

/// One name as it appears in a login ID: transliterated, only ASCII letters, digits and
/// single hyphens (none at either end), at most [`MAX_PART`] characters.
fn id_part(name: &str) -> String {
    let mut out = String::new();
    for c in transliterate(name).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '-' && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    // All ASCII, so a byte index is a character index.
    out.truncate(MAX_PART);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The login ID before its domain, `First.Last`, from a person's preferred first and last
/// names: transliterated (`Hélène`, `Tremblay-Roy` → `Helene.Tremblay-Roy`), keeping ASCII
/// letters (in the person's letter case), digits and hyphens (no leading, trailing or repeated
/// hyphen), dropping spaces and other punctuation (`Mary Ann` → `MaryAnn`, `O'Brien` →
/// `OBrien`), each name at most 40 characters. `None` if either name has nothing left.
pub fn login_id_base(first: &str, last: &str) -> Option<String> {
    let first = id_part(first);
    let last = id_part(last);
    if first.is_empty() || last.is_empty() {
        return None;
    }
    Some(format!("{first}.{last}"))
}

/// The `n`th login ID to try for `base` in `domain`: `base@domain` for the first (`n` ≤ 1),
/// then `base2@domain`, `base3@domain`...
pub fn login_id_candidate(base: &str, n: u32, domain: &str) -> String {
    if n <= 1 {
        format!("{base}@{domain}")
    } else {
        format!("{base}{n}@{domain}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn look_alike_login_ids_normalize_to_no_account() {
        let real = normalize_login_id(" Kim.Lee@ONEID.ON.CA ");
        assert_eq!(real, "kim.lee@oneid.on.ca");
        for typed in [
            "\u{212a}im.Lee@ONEID.ON.CA",  // Kelvin sign
            "\u{ff2b}im.Lee@ONEID.ON.CA",  // fullwidth K
            "Kim.Lee\u{ff20}ONEID.ON.CA",  // fullwidth @
            "Kim.L\u{0435}e@ONEID.ON.CA",  // Cyrillic e
            "Kim.Lee@ONEID.ON.CA\u{200b}", // zero-width space
            "K\u{0301}im.Lee@ONEID.ON.CA", // combining accent
        ] {
            let n = normalize_login_id(typed);
            assert_ne!(n, real, "{typed:?}");
            assert!(!n.is_ascii(), "{typed:?} normalizes to no stored login ID");
        }
    }

    #[test]
    fn transliterates_french_and_german() {
        assert_eq!(transliterate("Hélène"), "Helene");
        assert_eq!(transliterate("François"), "Francois");
        assert_eq!(transliterate("Œuvre"), "OEuvre");
        assert_eq!(transliterate("ß"), "ss");
        assert_eq!(transliterate("Łódź Ærø"), "Lodz AEro");
        assert_eq!(transliterate("O'Brien\t-x"), "O'Brien\t-x");
    }

    #[test]
    fn transliterates_every_letter_of_latin_1_and_extended_a_to_ascii() {
        for c in ('\u{c0}'..='\u{17f}').filter(|c| c.is_alphabetic()) {
            let t = transliterate(&c.to_string());
            assert!(
                t.is_ascii() && t.chars().any(|c| c.is_ascii_alphabetic()),
                "{c:?} -> {t:?}"
            );
        }
    }

    #[test]
    fn bases_from_names() {
        let base = |f, l| login_id_base(f, l);
        assert_eq!(
            base("Hélène", "Tremblay-Roy").as_deref(),
            Some("Helene.Tremblay-Roy")
        );
        assert_eq!(base("Randy", "Burt").as_deref(), Some("Randy.Burt"));
        assert_eq!(
            base("Mary Ann", "O'Brien").as_deref(),
            Some("MaryAnn.OBrien")
        );
        assert_eq!(
            base("  José ", "de la Peña").as_deref(),
            Some("Jose.delaPena")
        );
        assert_eq!(
            base("-Anne--Marie-", "Roy").as_deref(),
            Some("Anne-Marie.Roy")
        );
        assert_eq!(
            base("Anne - Marie", "Roy").as_deref(),
            Some("Anne-Marie.Roy")
        );
        assert_eq!(base("Zoë", "Smith 3rd").as_deref(), Some("Zoe.Smith3rd"));
        assert_eq!(base("Ørjan", "Strauß").as_deref(), Some("Orjan.Strauss"));
        assert_eq!(base("", "Burt"), None);
        assert_eq!(base("Randy", " - ' "), None);
        assert_eq!(base("!!", "Burt"), None);
    }

    #[test]
    fn each_name_is_capped_at_40_characters() {
        let long = "A".repeat(60);
        let b = login_id_base(&long, &long).unwrap();
        assert_eq!(b, format!("{}.{}", "A".repeat(40), "A".repeat(40)));
        // A cut that ends on a hyphen drops it.
        let hyphen_at_41 = format!("{}-Roy", "B".repeat(39));
        assert_eq!(
            login_id_base("X", &hyphen_at_41).unwrap(),
            format!("X.{}", "B".repeat(39))
        );
    }

    #[test]
    fn candidates() {
        assert_eq!(
            login_id_candidate("Helene.Tremblay-Roy", 1, DEFAULT_DOMAIN),
            "Helene.Tremblay-Roy@ONEID.ON.CA"
        );
        assert_eq!(
            login_id_candidate("Randy.Burt", 0, DEFAULT_DOMAIN),
            "Randy.Burt@ONEID.ON.CA"
        );
        let base = login_id_base("Randy", "Burt").unwrap();
        assert_eq!(
            login_id_candidate(&base, 2, DEFAULT_DOMAIN),
            "Randy.Burt2@ONEID.ON.CA"
        );
        assert_eq!(
            login_id_candidate("Randy.Burt", 17, "example.org"),
            "Randy.Burt17@example.org"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn base_has_only_id_characters(first in any::<String>(), last in any::<String>()) {
            if let Some(b) = login_id_base(&first, &last) {
                prop_assert!(b.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'), "{}", b);
                prop_assert_eq!(b.matches('.').count(), 1);
                prop_assert!(!b.contains("--"), "{}", b);
                for part in b.split('.') {
                    prop_assert!(!part.is_empty() && part.len() <= 40, "{}", b);
                    prop_assert!(!part.starts_with('-') && !part.ends_with('-'), "{}", b);
                }
            }
        }

        #[test]
        fn base_from_names_like_people_have(
            first in "[ \\-'A-Za-zÀ-ÖØ-öø-ÿĀ-ſ]{0,50}",
            last in "[ \\-'.A-Za-zÀ-ÖØ-öø-ÿĀ-ſ]{0,50}",
        ) {
            let has_letter = |s: &str| s.chars().any(char::is_alphabetic);
            let b = login_id_base(&first, &last);
            prop_assert_eq!(b.is_some(), has_letter(&first) && has_letter(&last));
            if let Some(b) = b {
                prop_assert!(b.chars().all(|c| c.is_ascii_alphabetic() || c == '.' || c == '-'), "{}", b);
            }
        }

        #[test]
        fn base_is_stable_under_transliteration(first in any::<String>(), last in any::<String>()) {
            prop_assert_eq!(
                login_id_base(&transliterate(&first), &transliterate(&last)),
                login_id_base(&first, &last)
            );
            if let Some(b) = login_id_base(&first, &last) {
                let (f, l) = b.split_once('.').unwrap();
                prop_assert_eq!(transliterate(&b), b.clone());
                prop_assert_eq!(login_id_base(f, l), Some(b.clone()));
            }
        }

        #[test]
        fn transliteration_keeps_ascii_and_is_idempotent(ascii in "[ -~\t\n]*", s in any::<String>()) {
            prop_assert_eq!(transliterate(&ascii), ascii);
            let once = transliterate(&s);
            prop_assert_eq!(transliterate(&once), once);
        }

        #[test]
        fn candidates_are_distinct(first in "[A-Za-z]{1,10}", last in "[A-Za-z0-9-]{1,10}") {
            let Some(base) = login_id_base(&first, &last) else { return Ok(()) };
            let all: HashSet<String> =
                (1..=50).map(|n| login_id_candidate(&base, n, DEFAULT_DOMAIN)).collect();
            prop_assert_eq!(all.len(), 50);
            prop_assert!(all.iter().all(|c| c.starts_with(&base) && c.ends_with("@ONEID.ON.CA")));
        }
    }
}
