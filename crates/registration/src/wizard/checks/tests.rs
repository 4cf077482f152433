//! The rules of each step, checked on what a wizard holds.

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
        gender: "Female".into(),
        birth_date: "1815-12-10".into(),
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

#[tokio::test]
async fn a_phone_and_no_direct_number_together_are_refused_on_the_box() {
    let row = |n: &str| (n.to_owned(), "mobile".to_owned());
    let mut w = Wizard {
        phones: vec![row(""), row("416-555-0100"), row("")],
        no_direct: true,
        ..Wizard::default()
    };
    assert_eq!(
        problems(&mut w, Step::Phones).await,
        [("no_direct_number".to_owned(), Problem::PhoneAndNoDirect)]
    );
    // Either one alone is fine; blank rows are no phone.
    w.no_direct = false;
    assert!(problems(&mut w, Step::Phones).await.is_empty());
    w.no_direct = true;
    w.phones = vec![row(" "), row(""), row("")];
    assert!(problems(&mut w, Step::Phones).await.is_empty());
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
