//! The identity documents an LRA may record (004 Appendix B), the ones never accepted, and
//! the rule that says which level of assurance a set of evidence supports.
//!
//! The rule (DOMAIN.md "Levels of assurance"; 004 §5.5.4, §6.5.4; 003):
//! - AL1: no documentary requirement (the default).
//! - AL2: a direct, personal interaction (face to face or a reasonable equivalent) and two
//!   pieces of valid ID, at least one primary and at least one carrying a photo of the person
//!   ("two pieces of valid ID, one of which must include a photo", 003). A primary document
//!   may serve as the second piece (App. B, secondary document 1: any primary document other
//!   than the one recorded as primary).
//! - AL3: the seeds define nothing beyond AL2 for it. Our rule: the AL2 evidence, and the LRA
//!   explicitly confirms a second check of it (the documents verified with their issuer, or
//!   seen again by a second registrar) before the level is assigned.
//!
//! Health cards and social insurance cards are refused at every level, with their reason.

mod catalogue;

pub use catalogue::{
    document, unacceptable, Document, DocumentKind, Unacceptable, PRIMARY, SECONDARY, UNACCEPTABLE,
};

/// At most this many documents in one registration.
pub const MAX_DOCUMENTS: usize = 5;

/// What the LRA saw.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Document codes, one per row of the form; an empty string is an empty row.
    pub documents: Vec<String>,
    /// The person was met face to face (or by a reasonable equivalent).
    pub in_person: bool,
    /// The LRA confirms a second check of the evidence (required for AL3).
    pub second_check: bool,
}

/// Why the evidence does not support the level asked for. `row` is the index in
/// [`Evidence::documents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceProblem {
    /// Not a level (1, 2 or 3).
    BadLevel,
    /// Not a document of the catalogue.
    Unknown {
        /// Row.
        row: usize,
    },
    /// A document never accepted (see [`unacceptable`] for the reason).
    Unacceptable {
        /// Row.
        row: usize,
        /// Its code.
        code: &'static str,
    },
    /// The same document twice.
    Repeated {
        /// Row.
        row: usize,
    },
    /// More than [`MAX_DOCUMENTS`].
    TooMany,
    /// AL2 and AL3 need a direct, personal interaction.
    NotInPerson,
    /// AL2 and AL3 need two documents.
    TooFew,
    /// AL2 and AL3 need a primary document.
    NoPrimary,
    /// AL2 and AL3 need a document with a photo.
    NoPhoto,
    /// AL3 needs the second check confirmed.
    NoSecondCheck,
}

/// A document accepted into the record, in the role it plays.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// The document.
    pub document: &'static Document,
    /// Primary for the first primary document, secondary for every other one.
    pub kind: DocumentKind,
}

/// The accepted documents of `e` in the roles they play: the first primary document is the
/// primary one, every other document a secondary one. Problems with rows (unknown, refused,
/// repeated, too many) are returned instead.
pub fn documents(e: &Evidence) -> Result<Vec<Recorded>, Vec<EvidenceProblem>> {
    let mut problems = Vec::new();
    let mut out: Vec<Recorded> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut filled = 0usize;
    for (row, code) in e.documents.iter().enumerate() {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        filled += 1;
        if let Some(u) = unacceptable(code) {
            problems.push(EvidenceProblem::Unacceptable { row, code: u.code });
            continue;
        }
        let Some(d) = document(code) else {
            problems.push(EvidenceProblem::Unknown { row });
            continue;
        };
        if !seen.insert(d.code) {
            problems.push(EvidenceProblem::Repeated { row });
            continue;
        }
        let first_primary =
            d.kind == DocumentKind::Primary && !out.iter().any(|r| r.kind == DocumentKind::Primary);
        out.push(Recorded {
            document: d,
            kind: if first_primary {
                DocumentKind::Primary
            } else {
                DocumentKind::Secondary
            },
        });
    }
    if filled > MAX_DOCUMENTS {
        problems.push(EvidenceProblem::TooMany);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Every reason why `e` does not support `level`; empty when it does.
pub fn assess(level: i64, e: &Evidence) -> Vec<EvidenceProblem> {
    if !(1..=3).contains(&level) {
        return vec![EvidenceProblem::BadLevel];
    }
    let docs = match documents(e) {
        Ok(d) => d,
        Err(p) => return p,
    };
    let mut problems = Vec::new();
    if level >= 2 {
        if !e.in_person {
            problems.push(EvidenceProblem::NotInPerson);
        }
        if docs.len() < 2 {
            problems.push(EvidenceProblem::TooFew);
        }
        if !docs.iter().any(|r| r.kind == DocumentKind::Primary) {
            problems.push(EvidenceProblem::NoPrimary);
        }
        if !docs.iter().any(|r| r.document.photo) {
            problems.push(EvidenceProblem::NoPhoto);
        }
    }
    if level >= 3 && !e.second_check {
        problems.push(EvidenceProblem::NoSecondCheck);
    }
    problems
}

/// The highest level `e` supports (0 when a row is unacceptable, unknown or repeated).
pub fn supported_level(e: &Evidence) -> i64 {
    (1..=3)
        .rev()
        .find(|l| assess(*l, e).is_empty())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use platform::Locale;
    use proptest::prelude::*;

    fn ev(docs: &[&str], in_person: bool, second_check: bool) -> Evidence {
        Evidence {
            documents: docs.iter().map(|d| (*d).to_owned()).collect(),
            in_person,
            second_check,
        }
    }

    #[test]
    fn codes_are_unique_and_names_translated() {
        let mut seen = std::collections::HashSet::new();
        for d in PRIMARY.iter().chain(SECONDARY) {
            assert!(seen.insert(d.code), "{} twice", d.code);
            assert!(!d.en.is_empty() && !d.fr.is_empty());
        }
        for u in UNACCEPTABLE {
            assert!(seen.insert(u.code), "{} twice", u.code);
            assert!(document(u.code).is_none());
        }
        // Appendix B: 17 primary documents; 23 secondary entries, the first of which is
        // "any primary document" (a second primary row), so 22 of their own.
        assert_eq!(PRIMARY.len(), 17);
        assert_eq!(SECONDARY.len(), 22);
        for code in ["union_card", "student_id_card", "blind_persons_card"] {
            assert!(document(code).is_some(), "{code} is in Appendix B");
        }
    }

    #[test]
    fn al1_needs_nothing_but_refuses_health_and_sin_cards_everywhere() {
        assert!(assess(1, &ev(&[], false, false)).is_empty());
        for code in ["health_card", "sin_card"] {
            for level in 1..=3 {
                let p = assess(level, &ev(&["canadian_passport", code], true, true));
                assert!(
                    p.contains(&EvidenceProblem::Unacceptable {
                        row: 1,
                        code: unacceptable(code).unwrap().code
                    }),
                    "{code} at AL{level}: {p:?}"
                );
            }
        }
        assert!(unacceptable("health_card")
            .unwrap()
            .reason(Locale::Fr)
            .contains("Santé"));
    }

    #[test]
    fn al2_needs_in_person_two_documents_a_primary_and_a_photo() {
        let good = ev(&["canadian_passport", "birth_certificate"], true, false);
        assert!(assess(2, &good).is_empty());
        assert_eq!(supported_level(&good), 2);
        assert_eq!(
            assess(
                2,
                &ev(&["canadian_passport", "birth_certificate"], false, false)
            ),
            [EvidenceProblem::NotInPerson]
        );
        assert_eq!(
            assess(2, &ev(&["canadian_passport"], true, false)),
            [EvidenceProblem::TooFew]
        );
        assert_eq!(
            assess(
                2,
                &ev(&["birth_certificate", "old_age_security_card"], true, false)
            ),
            [EvidenceProblem::NoPhoto]
        );
        assert_eq!(
            assess(
                2,
                &ev(
                    &["government_employee_card", "old_age_security_card"],
                    true,
                    false
                )
            ),
            [EvidenceProblem::NoPrimary]
        );
        // Two primary documents: the second serves as the secondary one.
        let two = documents(&ev(&["drivers_licence", "canadian_passport"], true, false)).unwrap();
        assert_eq!(two[0].kind, DocumentKind::Primary);
        assert_eq!(two[1].kind, DocumentKind::Secondary);
        assert_eq!(
            assess(2, &ev(&["drivers_licence", "drivers_licence"], true, false)),
            [EvidenceProblem::Repeated { row: 1 }]
        );
        assert_eq!(
            assess(2, &ev(&["passport_of_atlantis", ""], true, false)),
            [EvidenceProblem::Unknown { row: 0 }]
        );
    }

    #[test]
    fn al3_also_needs_the_second_check() {
        let docs = ["canadian_passport", "birth_certificate"];
        assert_eq!(
            assess(3, &ev(&docs, true, false)),
            [EvidenceProblem::NoSecondCheck]
        );
        assert!(assess(3, &ev(&docs, true, true)).is_empty());
        assert_eq!(
            assess(4, &ev(&docs, true, true)),
            [EvidenceProblem::BadLevel]
        );
        assert_eq!(
            assess(0, &ev(&docs, true, true)),
            [EvidenceProblem::BadLevel]
        );
    }

    fn any_code() -> impl Strategy<Value = String> {
        let mut codes: Vec<String> = PRIMARY
            .iter()
            .chain(SECONDARY)
            .map(|d| d.code.to_owned())
            .chain(UNACCEPTABLE.iter().map(|u| u.code.to_owned()))
            .collect();
        codes.push(String::new());
        codes.push("not_a_document".into());
        proptest::sample::select(codes)
    }

    proptest! {
        #[test]
        fn no_evidence_without_in_person_a_primary_and_a_photo_ever_yields_al2(
            docs in proptest::collection::vec(any_code(), 0..7),
            in_person in any::<bool>(),
            second_check in any::<bool>(),
        ) {
            let e = Evidence { documents: docs.clone(), in_person, second_check };
            let level = supported_level(&e);
            let accepted: Vec<&Document> = docs.iter().filter_map(|c| document(c)).collect();
            if level >= 2 {
                prop_assert!(in_person);
                prop_assert!(accepted.iter().any(|d| d.kind == DocumentKind::Primary));
                prop_assert!(accepted.iter().any(|d| d.photo));
                prop_assert!(accepted.len() >= 2);
                prop_assert!(docs.iter().all(|c| unacceptable(c).is_none()));
            }
            if level == 3 {
                prop_assert!(second_check);
            }
            // A level the evidence supports, every lower one too.
            for l in 1..=3 {
                prop_assert_eq!(assess(l, &e).is_empty(), l <= level);
            }
        }
    }
}
