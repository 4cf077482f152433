//! The rules of each step, checked on the server on what the state holds: the agreement,
//! names, e-mail, phone and language, the other designations (college, number format, once
//! per college, not another account's), the challenge questions and the challenge phones (not
//! with "I do not have a direct number").
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
    /// The "I do not have a direct number" box.
    NoDirect,
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
            Field::NoDirect => "no_direct_number".into(),
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
    /// A challenge phone and "I do not have a direct number" together: the box would make
    /// step-up skip the phone.
    PhoneAndNoDirect,
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
            if w.no_direct && w.phones.iter().any(|(n, _)| !n.trim().is_empty()) {
                put(Field::NoDirect, Problem::PhoneAndNoDirect);
            }
        }
        Step::Mail | Step::Password => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
