//! Answers to challenge questions, put in one form before they are stored (hashed) or
//! compared, so that how a person types an answer does not matter, only what it says.

use crate::login_id::fold;

/// The form an answer is stored and compared in:
///
/// 1. letter case and accents are ignored: lower-cased, and transliterated as login IDs are
///    (`Hélène` → `helene`, `Straße` → `strasse`);
/// 2. spaces are ignored at either end, and a run of whitespace inside counts as one space;
/// 3. punctuation and symbols are ignored (`O'Brien` → `obrien`, `St. John's` → `st johns`),
///    unless the answer has nothing else, in which case they are kept (`?!` stays `?!`).
///
/// Normalizing twice changes nothing. An answer of only spaces gives the empty string, which
/// callers should refuse as an answer.
pub fn normalize_answer(s: &str) -> String {
    let folded = collapse_spaces(&fold(s));
    let kept: String = folded
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    let kept = collapse_spaces(&kept);
    if kept.is_empty() {
        folded
    } else {
        kept
    }
}

/// `s` without whitespace at either end and with every run of whitespace inside replaced by
/// one space.
fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(normalize_answer("  Hélène  "), "helene");
        assert_eq!(normalize_answer("HELENE"), "helene");
        assert_eq!(
            normalize_answer("St. John's,\tNewfoundland"),
            "st johns newfoundland"
        );
        assert_eq!(normalize_answer("O'Brien"), "obrien");
        assert_eq!(normalize_answer("Straße"), "strasse");
        assert_eq!(normalize_answer("Œuvre  d’art"), "oeuvre dart");
        assert_eq!(normalize_answer("a - b"), "a b");
        assert_eq!(normalize_answer("Rex 2"), "rex 2");
        assert_eq!(normalize_answer(" ?! "), "?!");
        assert_eq!(normalize_answer("? !"), "? !");
        assert_eq!(normalize_answer("   "), "");
        assert_eq!(normalize_answer(""), "");
        assert_eq!(normalize_answer("北京"), "bei jing");
    }

    /// Answers with the characters people type: letters with and without accents, digits,
    /// punctuation, whitespace.
    fn typed() -> impl Strategy<Value = String> {
        "[ \t\nA-Za-z0-9À-ÖØ-öø-ÿ.,'’!?()-]{0,40}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn idempotent(s in any::<String>(), t in typed()) {
            let n = normalize_answer(&s);
            prop_assert_eq!(normalize_answer(&n), n.clone());
            let n = normalize_answer(&t);
            prop_assert_eq!(normalize_answer(&n), n.clone());
        }

        #[test]
        fn letter_case_does_not_matter(s in typed(), ascii in "[ -~]{0,40}") {
            prop_assert_eq!(normalize_answer(&ascii.to_uppercase()), normalize_answer(&ascii));
            prop_assert_eq!(normalize_answer(&ascii.to_lowercase()), normalize_answer(&ascii));
            prop_assert_eq!(normalize_answer(&s.to_uppercase()), normalize_answer(&s));
            prop_assert_eq!(normalize_answer(&s.to_lowercase()), normalize_answer(&s));
        }

        #[test]
        fn extra_spaces_do_not_matter(
            words in proptest::collection::vec("[A-Za-z0-9À-ÿ'.]{1,8}", 0..6),
            gaps in proptest::collection::vec("[ \t\n]{1,4}", 7),
        ) {
            let single = words.join(" ");
            let mut spaced = gaps[0].clone();
            for (w, g) in words.iter().zip(&gaps[1..]) {
                spaced.push_str(w);
                spaced.push_str(g);
            }
            prop_assert_eq!(normalize_answer(&spaced), normalize_answer(&single));
        }

        #[test]
        fn accents_do_not_matter(s in typed()) {
            prop_assert_eq!(
                normalize_answer(&crate::login_id::transliterate(&s)),
                normalize_answer(&s)
            );
        }

        #[test]
        fn output_shape(s in any::<String>()) {
            let n = normalize_answer(&s);
            prop_assert_eq!(n.trim(), n.as_str());
            prop_assert!(!n.contains("  "));
            prop_assert!(!n.chars().any(|c| c.is_whitespace() && c != ' '));
            prop_assert_eq!(n.to_lowercase(), n.clone());
        }
    }
}
