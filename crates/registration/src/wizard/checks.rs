//! The rules of each step, checked on the server on what the state holds: the agreement,
//! names, e-mail, phone and language, the other designations (college, number format, once
//! per college, not another account's), the challenge questions and the challenge phones.
//! Each problem is typed, with the form field it belongs to; the pages put it into words.

use super::{Step, Wizard};
use crate::colleges::{college, number_ok};
use async_trait::async_trait;
use credential_store::{
    check_questions, Accounts, ChallengeProblem, CredentialError, PhoneKind, QuestionAnswer,
    ONLINE_QUESTIONS,
};
use std::collections::HashMap;

/// A field of a step's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The agreement checkbox.
    Agree,
    /// Title.
    Title,
    /// Preferred first name.
    GivenName,
    /// Middle names.
    MiddleName,
    /// Last name.
    FamilyName,
    /// E-mail address.
    Email,
    /// Phone number.
    Phone,
    /// Preferred language.
    Locale,
    /// The college of designation row `n`.
    College(usize),
    /// The registration number of designation row `n`.
    Number(usize),
    /// The question of a challenge row (`desk`: the service desk rows), `n` within its kind.
    Question {
        /// A service desk row (else an online one).
        desk: bool,
        /// Row within its kind.
        n: usize,
    },
    /// The answer of a challenge row.
    Answer {
        /// A service desk row (else an online one).
        desk: bool,
        /// Row within its kind.
        n: usize,
    },
    /// The number of challenge phone `n`.
    PhoneNumber(usize),
    /// The kind of challenge phone `n`.
    PhoneKind(usize),
}

impl Field {
    /// The form field's name.
    pub fn name(self) -> String {
        let kind = |desk: bool| if desk { "desk" } else { "online" };
        match self {
            Field::Agree => "agree".into(),
            Field::Title => "title".into(),
            Field::GivenName => "given_name".into(),
            Field::MiddleName => "middle_name".into(),
            Field::FamilyName => "family_name".into(),
            Field::Email => "email".into(),
            Field::Phone => "phone".into(),
            Field::Locale => "locale".into(),
            Field::College(n) => format!("college{n}"),
            Field::Number(n) => format!("number{n}"),
            Field::Question { desk, n } => format!("{}_q{n}", kind(desk)),
            Field::Answer { desk, n } => format!("{}_a{n}", kind(desk)),
            Field::PhoneNumber(n) => format!("phone{n}"),
            Field::PhoneKind(n) => format!("kind{n}"),
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The agreement was not accepted.
    MustAgree,
    /// A required field is empty.
    Required,
    /// Not a name (too long, or characters a name does not have).
    BadName,
    /// Not an e-mail address.
    BadEmail,
    /// Not a phone number (or not a phone kind).
    BadPhone,
    /// Neither English nor French.
    BadLanguage,
    /// A number without a known college.
    CollegeNeeded,
    /// The same college twice (or the registry's own).
    CollegeTwice,
    /// A college without a number.
    NumberNeeded,
    /// Not in the college's format.
    NumberFormat,
    /// Another account holds this number.
    NumberTaken,
    /// The same phone twice.
    PhoneDuplicate,
    /// A challenge question row's problem.
    Challenge(ChallengeProblem),
}

/// A problem and the field it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field.
    pub field: Field,
    /// What is wrong with it.
    pub problem: Problem,
}

/// Whether a registration number is held by an account already.
#[async_trait]
pub trait DesignationLookup: Sync {
    /// Whether an account holds `number` with `college`.
    async fn taken(&self, college: &str, number: &str) -> Result<bool, CredentialError>;
}

#[async_trait]
impl DesignationLookup for Accounts {
    async fn taken(&self, college: &str, number: &str) -> Result<bool, CredentialError> {
        Ok(self.find_by_designation(college, number).await?.is_some())
    }
}

/// Whether `n` is acceptable as a name: at most 100 characters, no control character and
/// none of `<>"{}[]\/=;@`; empty only when not `required`.
pub fn name_ok(n: &str, required: bool) -> bool {
    let t = n.trim();
    if t.is_empty() {
        return !required;
    }
    t.chars().count() <= 100
        && !t
            .chars()
            .any(|c| c.is_control() || "<>\"{}[]\\/=;@".contains(c))
}

/// The fields the registry locks that a form carried (their values are never read).
pub fn locked_fields_in(form: &HashMap<String, String>) -> Vec<&'static str> {
    const LOCKED: [&str; 8] = [
        "legal_given_name",
        "legal_middle_name",
        "legal_family_name",
        "gender",
        "birth_date",
        "college_locked",
        "number_locked",
        "assurance_level",
    ];
    LOCKED
        .iter()
        .copied()
        .filter(|k| form.contains_key(*k))
        .collect()
}

/// Checks the rules of `step` on what `w` holds, in the order the page lists them. A
/// challenge answer with a problem is cleared (it is retyped, not echoed back). The password
/// step's rules are the password policy's, checked by the page and at the account's creation.
#[tracing::instrument(skip_all, fields(step = step.slug()))]
pub async fn check(
    w: &mut Wizard,
    step: Step,
    accounts: &impl DesignationLookup,
) -> Result<Vec<FieldProblem>, CredentialError> {
    let mut out = Vec::new();
    let mut put = |field, problem| out.push(FieldProblem { field, problem });
    match step {
        Step::Policies => {
            if !w.agreed {
                put(Field::Agree, Problem::MustAgree);
            }
        }
        Step::Personal => {
            let mut names_ok = true;
            for (field, value, required) in [
                (Field::Title, &w.title, false),
                (Field::GivenName, &w.given, true),
                (Field::MiddleName, &w.middle, false),
                (Field::FamilyName, &w.family, true),
            ] {
                if required && value.trim().is_empty() {
                    put(field, Problem::Required);
                    names_ok = false;
                } else if !name_ok(value, required) {
                    put(field, Problem::BadName);
                    names_ok = false;
                }
            }
            if names_ok && credential_store::login_id_base(&w.given, &w.family).is_none() {
                put(Field::GivenName, Problem::BadName);
            }
            if w.email.trim().is_empty() {
                put(Field::Email, Problem::Required);
            } else if !credential_store::valid_email(w.email.trim()) {
                put(Field::Email, Problem::BadEmail);
            }
            if w.phone.trim().is_empty() {
                put(Field::Phone, Problem::Required);
            } else if credential_store::parse_phone(&w.phone).is_err() {
                put(Field::Phone, Problem::BadPhone);
            }
            if !matches!(w.lang.as_str(), "en" | "fr") {
                put(Field::Locale, Problem::BadLanguage);
            }
        }
        Step::Designation => {
            let own = w.h.as_ref().map(|h| h.college.clone()).unwrap_or_default();
            let mut seen = vec![own.to_uppercase()];
            for (i, (c, n)) in w.extra.iter().enumerate() {
                let (c, n) = (c.trim().to_uppercase(), n.trim().to_owned());
                if c.is_empty() && n.is_empty() {
                    continue;
                }
                if c.is_empty() || college(&c).is_none() {
                    put(Field::College(i), Problem::CollegeNeeded);
                } else if seen.contains(&c) {
                    put(Field::College(i), Problem::CollegeTwice);
                } else if n.is_empty() {
                    put(Field::Number(i), Problem::NumberNeeded);
                } else if !number_ok(&c, &n) {
                    put(Field::Number(i), Problem::NumberFormat);
                } else if accounts.taken(&c, &n).await? {
                    put(Field::Number(i), Problem::NumberTaken);
                }
                seen.push(c);
            }
        }
        Step::Questions => {
            let rows: Vec<QuestionAnswer> = w
                .online
                .iter()
                .chain(&w.desk)
                .map(|(q, ans)| QuestionAnswer {
                    question_id: q.clone(),
                    answer: ans.clone(),
                })
                .collect();
            for (row, problem) in check_questions(&rows) {
                let (desk, n) = if row < ONLINE_QUESTIONS {
                    (false, row)
                } else {
                    (true, row - ONLINE_QUESTIONS)
                };
                let field = match problem {
                    ChallengeProblem::NoQuestion | ChallengeProblem::SameQuestion => {
                        Field::Question { desk, n }
                    }
                    ChallengeProblem::NoAnswer
                    | ChallengeProblem::TooLong
                    | ChallengeProblem::SameAnswer => {
                        let list = if desk { &mut w.desk } else { &mut w.online };
                        if let Some(r) = list.get_mut(n) {
                            r.1.clear();
                        }
                        Field::Answer { desk, n }
                    }
                };
                put(field, Problem::Challenge(problem));
            }
        }
        Step::Phones => {
            let mut seen = Vec::new();
            for (i, (number, kind)) in w.phones.iter().enumerate() {
                if number.trim().is_empty() {
                    continue;
                }
                match credential_store::parse_phone(number) {
                    Ok(e) if seen.contains(&e) => {
                        put(Field::PhoneNumber(i), Problem::PhoneDuplicate)
                    }
                    Ok(e) => seen.push(e),
                    Err(_) => put(Field::PhoneNumber(i), Problem::BadPhone),
                }
                if PhoneKind::parse(kind).is_none() {
                    put(Field::PhoneKind(i), Problem::BadPhone);
                }
            }
        }
        Step::Mail | Step::Password => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Handoff;
    use std::sync::Mutex;

    /// Numbers held by other accounts, and the lookups asked for.
    #[derive(Default)]
    struct Taken {
        held: Vec<(&'static str, &'static str)>,
        asked: Mutex<Vec<(String, String)>>,
    }

    #[async_trait]
    impl DesignationLookup for Taken {
        async fn taken(&self, college: &str, number: &str) -> Result<bool, CredentialError> {
            self.asked
                .lock()
                .unwrap()
                .push((college.to_owned(), number.to_owned()));
            Ok(self.held.iter().any(|(c, n)| *c == college && *n == number))
        }
    }

    fn handoff(college: &str) -> Handoff {
        Handoff {
            registry_id: "reg".into(),
            member_id: "m1".into(),
            college: college.into(),
            registration_number: "98765".into(),
            given_name: "Ada".into(),
            middle_name: None,
            family_name: "Lovelace".into(),
            gender: None,
            birth_date: None,
            registration_class: None,
            email: None,
            locale: None,
            consent_version: "1".into(),
            consent_at: 0,
            jti: "j".into(),
            expires_at: 0,
        }
    }

    fn personal() -> Wizard {
        Wizard {
            given: "Ada".into(),
            family: "Lovelace".into(),
            email: "ada@example.org".into(),
            phone: "416-555-0100".into(),
            lang: "en".into(),
            ..Wizard::default()
        }
    }

    async fn problems(w: &mut Wizard, step: Step) -> Vec<(String, Problem)> {
        check(w, step, &Taken::default())
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.field.name(), p.problem))
            .collect()
    }

    #[test]
    fn names_are_short_and_plain() {
        assert!(name_ok("Ada", true));
        assert!(name_ok("Marie-Hélène d'Arcy", true));
        assert!(name_ok("", false));
        assert!(name_ok("   ", false));
        assert!(!name_ok("", true));
        assert!(!name_ok("  ", true));
        assert!(name_ok(&"a".repeat(100), true));
        assert!(!name_ok(&"a".repeat(101), true));
        for bad in [
            "<b>", "a\"b", "{x}", "[x]", "a\\b", "a/b", "a=b", "a;b", "a@b", "a\u{7}b",
        ] {
            assert!(!name_ok(bad, false), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_agreement_must_be_accepted() {
        let mut w = Wizard::default();
        assert_eq!(
            problems(&mut w, Step::Policies).await,
            [("agree".to_owned(), Problem::MustAgree)]
        );
        w.agreed = true;
        assert!(problems(&mut w, Step::Policies).await.is_empty());
    }

    #[tokio::test]
    async fn personal_information_is_checked_field_by_field_in_page_order() {
        let mut w = personal();
        assert!(problems(&mut w, Step::Personal).await.is_empty());
        let mut w = Wizard {
            title: "Dr;".into(),
            given: " ".into(),
            middle: "<x>".into(),
            family: String::new(),
            email: "nope".into(),
            phone: "12".into(),
            lang: "de".into(),
            ..Wizard::default()
        };
        assert_eq!(
            problems(&mut w, Step::Personal).await,
            [
                ("title".to_owned(), Problem::BadName),
                ("given_name".to_owned(), Problem::Required),
                ("middle_name".to_owned(), Problem::BadName),
                ("family_name".to_owned(), Problem::Required),
                ("email".to_owned(), Problem::BadEmail),
                ("phone".to_owned(), Problem::BadPhone),
                ("locale".to_owned(), Problem::BadLanguage),
            ]
        );
        let mut w = Wizard {
            email: " ".into(),
            phone: String::new(),
            ..personal()
        };
        assert_eq!(
            problems(&mut w, Step::Personal).await,
            [
                ("email".to_owned(), Problem::Required),
                ("phone".to_owned(), Problem::Required),
            ]
        );
    }

    #[tokio::test]
    async fn names_that_make_no_login_id_are_refused_on_the_first_name() {
        let mut w = Wizard {
            given: "'".into(),
            ..personal()
        };
        assert_eq!(
            problems(&mut w, Step::Personal).await,
            [("given_name".to_owned(), Problem::BadName)]
        );
        // Only when the names themselves pass: one message per field.
        let mut w = Wizard {
            given: "'".into(),
            title: "<".into(),
            ..personal()
        };
        assert_eq!(
            problems(&mut w, Step::Personal).await,
            [("title".to_owned(), Problem::BadName)]
        );
    }

    #[tokio::test]
    async fn other_designations_need_a_known_college_once_and_a_number_in_its_format() {
        let rows = [
            ("", ""),            // empty: skipped
            ("", "1234"),        // no college
            ("XYZ", "1234"),     // unknown college
            ("cpso", "1234"),    // the registry's own college
            ("CNO", ""),         // no number
            ("OCP", "12"),       // OCP: 4 to 6 digits
            ("RCDSO", " 4321 "), // fine
            ("rcdso", "5555"),   // twice
            ("CPO", "AB-1"),     // generic rule, fine
        ];
        let mut w = Wizard {
            h: Some(handoff("CPSO")),
            extra: rows
                .iter()
                .map(|(c, n)| ((*c).to_owned(), (*n).to_owned()))
                .collect(),
            ..Wizard::default()
        };
        let taken = Taken::default();
        let got: Vec<(String, Problem)> = check(&mut w, Step::Designation, &taken)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.field.name(), p.problem))
            .collect();
        assert_eq!(
            got,
            [
                ("college1".to_owned(), Problem::CollegeNeeded),
                ("college2".to_owned(), Problem::CollegeNeeded),
                ("college3".to_owned(), Problem::CollegeTwice),
                ("number4".to_owned(), Problem::NumberNeeded),
                ("number5".to_owned(), Problem::NumberFormat),
                ("college7".to_owned(), Problem::CollegeTwice),
            ]
        );
        // Only well-formed rows are looked up, trimmed and in upper case.
        assert_eq!(
            *taken.asked.lock().unwrap(),
            [
                ("RCDSO".to_owned(), "4321".to_owned()),
                ("CPO".to_owned(), "AB-1".to_owned())
            ]
        );
    }

    #[tokio::test]
    async fn a_number_held_by_another_account_is_refused() {
        let mut w = Wizard {
            h: Some(handoff("CPSO")),
            extra: vec![("CNO".into(), "1234567".into())],
            ..Wizard::default()
        };
        let taken = Taken {
            held: vec![("CNO", "1234567")],
            ..Taken::default()
        };
        let got = check(&mut w, Step::Designation, &taken).await.unwrap();
        assert_eq!(
            got,
            [FieldProblem {
                field: Field::Number(0),
                problem: Problem::NumberTaken
            }]
        );
    }

    #[tokio::test]
    async fn a_bad_challenge_answer_is_cleared_and_its_row_named() {
        let row = |q: &str, a: &str| (q.to_owned(), a.to_owned());
        let mut w = Wizard {
            online: vec![
                row("first-pet", "Rex"),
                row("first-pet", "Tom"),
                row("childhood-friend", "rex"),
            ],
            desk: vec![row("first-teacher", ""), row("nope", "Paris")],
            ..Wizard::default()
        };
        assert_eq!(
            problems(&mut w, Step::Questions).await,
            [
                (
                    "online_q1".to_owned(),
                    Problem::Challenge(ChallengeProblem::SameQuestion)
                ),
                (
                    "online_a2".to_owned(),
                    Problem::Challenge(ChallengeProblem::SameAnswer)
                ),
                (
                    "desk_a0".to_owned(),
                    Problem::Challenge(ChallengeProblem::NoAnswer)
                ),
                (
                    "desk_q1".to_owned(),
                    Problem::Challenge(ChallengeProblem::NoQuestion)
                ),
            ]
        );
        assert_eq!(w.online[1].1, "Tom");
        assert_eq!(w.online[2].1, "");
        assert_eq!(w.desk[1].1, "Paris");
    }

    #[tokio::test]
    async fn challenge_phones_are_optional_distinct_and_of_a_kind() {
        let row = |n: &str, k: &str| (n.to_owned(), k.to_owned());
        let mut w = Wizard {
            phones: vec![
                row("416-555-0100", "mobile"),
                row("(416) 555-0100", "landline"),
                row("", "bogus"),
            ],
            ..Wizard::default()
        };
        assert_eq!(
            problems(&mut w, Step::Phones).await,
            [("phone1".to_owned(), Problem::PhoneDuplicate)]
        );
        let mut w = Wizard {
            phones: vec![row("12", "fax")],
            ..Wizard::default()
        };
        assert_eq!(
            problems(&mut w, Step::Phones).await,
            [
                ("phone0".to_owned(), Problem::BadPhone),
                ("kind0".to_owned(), Problem::BadPhone),
            ]
        );
    }

    #[test]
    fn locked_fields_posted_are_named() {
        let form: HashMap<String, String> =
            [("gender", "x"), ("given_name", "A"), ("number_locked", "1")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(locked_fields_in(&form), ["gender", "number_locked"]);
        assert!(locked_fields_in(&HashMap::new()).is_empty());
    }
}
