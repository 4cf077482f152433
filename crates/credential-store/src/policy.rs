//! The password policy, one function for every place a password is chosen: the rules of the
//! source documents (at least 8 characters with a lower-case letter, an upper-case letter and a
//! digit) and ours (at most 256 characters, not a common password, not the person's login ID or
//! name).

use crate::login_id::fold;
use platform::Locale;
use std::collections::HashSet;
use std::sync::LazyLock;

/// The 10,000 most common passwords (Daniel Miessler's list, MIT licence: see
/// `data/common-passwords.LICENSE`).
const COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

/// The common-password list as it is kept (one a line), for a page's live check: the same list
/// the policy refuses from.
pub fn common_passwords() -> &'static str {
    COMMON_LIST
}

/// [`COMMON_LIST`] in lower case (the list has a few upper-case entries).
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    COMMON_LIST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_lowercase)
        .collect()
});

/// Fewest characters in a password.
const MIN_CHARS: usize = 8;
/// Most characters in a password.
const MAX_CHARS: usize = 256;
/// Fewest characters a common password must keep, once its trailing digits and punctuation
/// are removed, to make the password common.
const MIN_COMMON_STEM: usize = 4;
/// Fewest characters of a name (or of one part of it) for a password containing it to be
/// refused.
const MIN_NAME: usize = 3;

/// A password rule that was not met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum PolicyViolation {
    /// Fewer than 8 characters.
    #[error("the password must have at least 8 characters")]
    TooShort,
    /// More than 256 characters.
    #[error("the password must have at most 256 characters")]
    TooLong,
    /// No lower-case letter.
    #[error("the password must contain a lower-case letter")]
    NoLower,
    /// No upper-case letter.
    #[error("the password must contain an upper-case letter")]
    NoUpper,
    /// No digit.
    #[error("the password must contain a digit")]
    NoDigit,
    /// A common password, or one with only digits or punctuation added at its end.
    #[error("the password is too common")]
    Common,
    /// Contains the person's login ID or one of their names.
    #[error("the password must not contain the login ID or a name")]
    ContainsPersonal,
}

impl PolicyViolation {
    /// Every rule, in the order [`check_password`] reports them.
    pub const ALL: [PolicyViolation; 7] = [
        PolicyViolation::TooShort,
        PolicyViolation::TooLong,
        PolicyViolation::NoLower,
        PolicyViolation::NoUpper,
        PolicyViolation::NoDigit,
        PolicyViolation::Common,
        PolicyViolation::ContainsPersonal,
    ];

    /// A stable identifier (the serialized form): `too_short`, `contains_personal`...
    pub fn code(self) -> &'static str {
        match self {
            PolicyViolation::TooShort => "too_short",
            PolicyViolation::TooLong => "too_long",
            PolicyViolation::NoLower => "no_lower",
            PolicyViolation::NoUpper => "no_upper",
            PolicyViolation::NoDigit => "no_digit",
            PolicyViolation::Common => "common",
            PolicyViolation::ContainsPersonal => "contains_personal",
        }
    }

    /// The rule, written as what the password must be, for a list of requirements.
    pub fn message(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (PolicyViolation::TooShort, Locale::En) => "At least 8 characters",
            (PolicyViolation::TooShort, Locale::Fr) => "Au moins 8 caractères",
            (PolicyViolation::TooLong, Locale::En) => "At most 256 characters",
            (PolicyViolation::TooLong, Locale::Fr) => "Au plus 256 caractères",
            (PolicyViolation::NoLower, Locale::En) => "At least one lower-case letter",
            (PolicyViolation::NoLower, Locale::Fr) => "Au moins une lettre minuscule",
            (PolicyViolation::NoUpper, Locale::En) => "At least one upper-case letter",
            (PolicyViolation::NoUpper, Locale::Fr) => "Au moins une lettre majuscule",
            (PolicyViolation::NoDigit, Locale::En) => "At least one digit (0 to 9)",
            (PolicyViolation::NoDigit, Locale::Fr) => "Au moins un chiffre (0 à 9)",
            (PolicyViolation::Common, Locale::En) => "Not a commonly used password",
            (PolicyViolation::Common, Locale::Fr) => "Pas un mot de passe couramment utilisé",
            (PolicyViolation::ContainsPersonal, Locale::En) => {
                "Does not contain your login ID or your name"
            }
            (PolicyViolation::ContainsPersonal, Locale::Fr) => {
                "Ne contient ni votre identifiant de connexion ni votre nom"
            }
        }
    }
}

impl PolicyViolation {
    /// What is wrong with the password typed, as a sentence that says how to fix it (the
    /// message beside the field; `message` is the rule as listed).
    pub fn problem(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (PolicyViolation::TooShort, Locale::En) => "Your password is shorter than 8 characters.",
            (PolicyViolation::TooShort, Locale::Fr) => {
                "Votre mot de passe compte moins de 8 caractères."
            }
            (PolicyViolation::TooLong, Locale::En) => "Your password is longer than 256 characters.",
            (PolicyViolation::TooLong, Locale::Fr) => {
                "Votre mot de passe compte plus de 256 caractères."
            }
            (PolicyViolation::NoLower, Locale::En) => "Add a lower-case letter.",
            (PolicyViolation::NoLower, Locale::Fr) => "Ajoutez une lettre minuscule.",
            (PolicyViolation::NoUpper, Locale::En) => "Add an upper-case letter.",
            (PolicyViolation::NoUpper, Locale::Fr) => "Ajoutez une lettre majuscule.",
            (PolicyViolation::NoDigit, Locale::En) => "Add a digit (0 to 9).",
            (PolicyViolation::NoDigit, Locale::Fr) => "Ajoutez un chiffre (0 à 9).",
            (PolicyViolation::Common, Locale::En) => {
                "This password is commonly used and easy to guess: choose another."
            }
            (PolicyViolation::Common, Locale::Fr) => {
                "Ce mot de passe est couramment utilisé et facile à deviner\u{a0}: choisissez-en un autre."
            }
            (PolicyViolation::ContainsPersonal, Locale::En) => {
                "Your password contains your login ID or your name: choose one without them."
            }
            (PolicyViolation::ContainsPersonal, Locale::Fr) => {
                "Votre mot de passe contient votre identifiant de connexion ou votre nom\u{a0}: choisissez-en un sans eux."
            }
        }
    }

    /// Every problem of `broken`, as one message for the field (all at once, not one per
    /// submit).
    pub fn problems(broken: &[PolicyViolation], locale: Locale) -> String {
        broken
            .iter()
            .map(|b| b.problem(locale))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a password must not contain: the person's login ID and names. The default is
/// nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Personal<'a> {
    /// The login ID (only the part before `@` is looked for); empty if none yet.
    pub login_id: &'a str,
    /// The person's names (first, last, preferred...).
    pub names: &'a [&'a str],
}

/// Whether `password` is a common password, ignoring letter case: in the list, or in the list
/// once the digits and punctuation at its end are removed (`Password123!` → `password`) if at
/// least 4 characters remain.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if COMMON.contains(&lower) {
        return true;
    }
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    stem.chars().count() >= MIN_COMMON_STEM && COMMON.contains(stem)
}

/// Whether `password` contains, ignoring letter case and accents, the part of the login ID
/// before `@`, or a name of at least 3 characters, or a part of at least 3 characters of a
/// name split at hyphens and spaces.
fn contains_personal(password: &str, personal: &Personal<'_>) -> bool {
    let password = fold(password);
    let local = personal
        .login_id
        .split_once('@')
        .map_or(personal.login_id, |(local, _)| local);
    let local = fold(local.trim());
    if !local.is_empty() && password.contains(&local) {
        return true;
    }
    personal.names.iter().any(|name| {
        let name = fold(name);
        std::iter::once(name.trim())
            .chain(name.split(|c: char| c == '-' || c.is_whitespace()))
            .any(|part| part.chars().count() >= MIN_NAME && password.contains(part))
    })
}

/// Every password rule `password` breaks, in [`PolicyViolation::ALL`] order: at least 8 and at
/// most 256 characters (characters, not bytes); a lower-case letter, an upper-case letter and an
/// ASCII digit; not common ([`is_common`]); not containing the login ID or the names in
/// `personal`, ignoring letter case and accents.
pub fn check_password(password: &str, personal: &Personal<'_>) -> Vec<PolicyViolation> {
    let mut v = Vec::new();
    let n = password.chars().count();
    if n < MIN_CHARS {
        v.push(PolicyViolation::TooShort);
    }
    if n > MAX_CHARS {
        v.push(PolicyViolation::TooLong);
    }
    if !password.chars().any(char::is_lowercase) {
        v.push(PolicyViolation::NoLower);
    }
    if !password.chars().any(char::is_uppercase) {
        v.push(PolicyViolation::NoUpper);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        v.push(PolicyViolation::NoDigit);
    }
    if is_common(password) {
        v.push(PolicyViolation::Common);
    }
    if contains_personal(password, personal) {
        v.push(PolicyViolation::ContainsPersonal);
    }
    v
}

/// [`check_password`] with nothing personal to look for.
pub fn check_password_policy(password: &str) -> Vec<PolicyViolation> {
    check_password(password, &Personal::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entries() -> Vec<&'static str> {
        COMMON_LIST
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }

    #[test]
    fn policy_names_each_broken_rule() {
        assert_eq!(check_password_policy("Clinic-Rounds-42"), vec![]);
        assert_eq!(check_password_policy("Bdcefga1"), vec![]);
        assert_eq!(
            check_password_policy("abc"),
            vec![
                PolicyViolation::TooShort,
                PolicyViolation::NoUpper,
                PolicyViolation::NoDigit
            ]
        );
        assert!(check_password_policy(&"Aa1".repeat(100)).contains(&PolicyViolation::TooLong));
        assert_eq!(check_password_policy(&"Aa1".repeat(85)), vec![]);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 7 characters, 14 bytes.
        assert!(check_password_policy("Éééééé1").contains(&PolicyViolation::TooShort));
        // 8 characters.
        assert!(!check_password_policy("Éééééé12").contains(&PolicyViolation::TooShort));
        let long = format!("A1{}", "é".repeat(254));
        assert!(!check_password_policy(&long).contains(&PolicyViolation::TooLong));
        assert!(check_password_policy(&format!("{long}é")).contains(&PolicyViolation::TooLong));
    }

    #[test]
    fn common_passwords() {
        for p in [
            "Password1",
            "password",
            "PASSWORD",
            "Password123!",
            "Qwerty123",
            "iloveyou!!",
        ] {
            assert!(is_common(p), "{p}");
            assert!(
                check_password_policy(p).contains(&PolicyViolation::Common),
                "{p}"
            );
        }
        assert_eq!(
            check_password_policy("Password1"),
            vec![PolicyViolation::Common]
        );
        // Stems shorter than 4 characters are not enough.
        assert!(is_common("123"));
        assert!(!is_common("Mad-2024!"));
        assert!(!is_common("Clinic-Rounds-42"));
        assert!(!is_common(""));
        // Only trailing digits and punctuation are removed.
        assert!(!is_common("1Password"));
        assert!(!is_common("Pass word1"));
    }

    #[test]
    fn every_list_entry_is_common_in_any_case() {
        let all = entries();
        assert_eq!(all.len(), 10_000);
        // Some entries differ only in letter case (`password`, `Password`, `PASSWORD`).
        assert_eq!(COMMON.len(), 9913);
        for e in all {
            assert!(is_common(e), "{e}");
            assert!(is_common(&e.to_uppercase()), "{e}");
            assert!(is_common(&e.to_lowercase()), "{e}");
        }
    }

    #[test]
    fn personal_details() {
        let names = ["Hélène", "Tremblay-Roy"];
        let me = Personal {
            login_id: "Helene.Tremblay-Roy@ONEID.ON.CA",
            names: &names,
        };
        assert_eq!(check_password("Clinic-Rounds-42", &me), vec![]);
        let refused = [
            "xHELENE.tremblay-ROY9",
            "Helene-2024-Ok",
            "HÉLÈNE-2024-ok",
            "Tremblay-99x",
            "Royal-Flush-99",
            "Xhelene9",
        ];
        for p in refused {
            assert_eq!(
                check_password(p, &me),
                vec![PolicyViolation::ContainsPersonal],
                "{p}"
            );
        }
        // Parts shorter than 3 characters do not count; the login ID alone.
        let names = ["Li Xi-Ng", "O"];
        let short = Personal {
            login_id: "Al@ONEID.ON.CA",
            names: &names,
        };
        assert_eq!(check_password("Lixing-Orange-7", &short), vec![]);
        assert_eq!(
            check_password("Li Xi-Ng-Orange-7", &short),
            vec![PolicyViolation::ContainsPersonal]
        );
        assert_eq!(
            check_password("Royal-ALbert-7", &short),
            vec![PolicyViolation::ContainsPersonal]
        );
        // A login ID with no domain is all local part.
        let bare = Personal {
            login_id: "rburt",
            names: &[],
        };
        assert_eq!(
            check_password("Xx-RBurt-77", &bare),
            vec![PolicyViolation::ContainsPersonal]
        );
        assert_eq!(check_password("Xx-RBurt-77", &Personal::default()), vec![]);
    }

    #[test]
    fn codes_messages_and_serialization_agree() {
        let mut codes = std::collections::HashSet::new();
        for v in PolicyViolation::ALL {
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::Value::String(v.code().into())
            );
            assert!(codes.insert(v.code()));
            let (en, fr) = (v.message(Locale::En), v.message(Locale::Fr));
            assert!(!en.is_empty() && !fr.is_empty() && en != fr);
            assert!(!v.to_string().is_empty());
        }
        assert_eq!(
            PolicyViolation::TooShort.message(Locale::En),
            "At least 8 characters"
        );
        assert_eq!(
            PolicyViolation::TooShort.message(Locale::Fr),
            "Au moins 8 caractères"
        );
    }

    /// Strings up to 300 characters, so that both length limits are reached.
    fn any_password() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::collection::vec(any::<char>(), 0..300),
            proptest::collection::vec(proptest::char::range(' ', '~'), 0..300),
            proptest::collection::vec(proptest::char::range(' ', '~'), 0..12),
        ]
        .prop_map(|v| v.into_iter().collect())
    }

    fn in_any_case(s: &str, upper: &[bool]) -> String {
        s.chars()
            .zip(upper.iter().cycle())
            .map(|(c, &u)| {
                if u {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn each_rule_is_independent(p in any_password()) {
            let v = check_password_policy(&p);
            let n = p.chars().count();
            prop_assert_eq!(v.contains(&PolicyViolation::TooShort), n < 8);
            prop_assert_eq!(v.contains(&PolicyViolation::TooLong), n > 256);
            prop_assert_eq!(v.contains(&PolicyViolation::NoLower), !p.chars().any(char::is_lowercase));
            prop_assert_eq!(v.contains(&PolicyViolation::NoUpper), !p.chars().any(char::is_uppercase));
            prop_assert_eq!(v.contains(&PolicyViolation::NoDigit), !p.chars().any(|c| c.is_ascii_digit()));
            prop_assert_eq!(v.contains(&PolicyViolation::Common), is_common(&p));
            prop_assert!(!v.contains(&PolicyViolation::ContainsPersonal));
            // In ALL order, each at most once.
            let order: Vec<_> = PolicyViolation::ALL.into_iter().filter(|r| v.contains(r)).collect();
            prop_assert_eq!(v, order);
        }

        #[test]
        fn containing_the_login_id_is_refused(
            local in "[A-Za-z][A-Za-z0-9.-]{0,20}",
            upper in proptest::collection::vec(any::<bool>(), 1..8),
            before in any::<String>(),
            after in any::<String>(),
        ) {
            let login_id = format!("{local}@ONEID.ON.CA");
            let password = format!("{before}{}{after}", in_any_case(&local, &upper));
            let me = Personal { login_id: &login_id, names: &[] };
            prop_assert!(check_password(&password, &me).contains(&PolicyViolation::ContainsPersonal));
        }

        #[test]
        fn containing_a_name_is_refused(
            name in "[A-Za-zÀ-ÖØ-öø-ÿ]{3,12}",
            other in "[A-Za-z]{0,12}",
            upper in proptest::collection::vec(any::<bool>(), 1..8),
            before in any::<String>(),
            after in any::<String>(),
        ) {
            let full = format!("{other}-{name}");
            let names = [full.as_str()];
            let me = Personal { login_id: "", names: &names };
            // Accents do not matter either: the transliterated name is found too.
            for shown in [in_any_case(&name, &upper), transliterate_upper(&name)] {
                let password = format!("{before}{shown}{after}");
                prop_assert!(
                    check_password(&password, &me).contains(&PolicyViolation::ContainsPersonal),
                    "{} in {}", name, password
                );
            }
        }

        #[test]
        fn list_entries_are_refused_in_any_case(
            entry in proptest::sample::select(entries()),
            upper in proptest::collection::vec(any::<bool>(), 1..8),
            tail in "[0-9!?.#*]{0,4}",
        ) {
            let p = in_any_case(entry, &upper);
            prop_assert!(check_password_policy(&p).contains(&PolicyViolation::Common), "{}", p);
            // Digits and punctuation added to an entry that does not end with any.
            let stem = entry.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
            if stem == entry && stem.chars().count() >= 4 {
                let p = format!("{p}{tail}");
                prop_assert!(is_common(&p), "{}", p);
            }
        }
    }

    fn transliterate_upper(s: &str) -> String {
        crate::login_id::transliterate(s).to_uppercase()
    }
}
