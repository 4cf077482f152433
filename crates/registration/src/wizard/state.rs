//! What the member has entered so far, and the operations on it: the start from a hand-off,
//! copying a step's form in, the in-step buttons (move the middle name, add or reset a
//! designation row), the account it asks for, and the outcome once it is created.
//!
//! The pages keep this state sealed in the ephemeral store; its lifetime is computed here.

use super::{steps, SignupConfig, Step};
use crate::{Completed, Handoff};
use credential_store::{
    Designation, NewAccount, PhoneKind, QuestionAnswer, DESK_QUESTIONS, MAX_PHONES,
    ONLINE_QUESTIONS,
};
use platform::Locale;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most designation rows a member may add.
pub const MAX_EXTRA: usize = 5;

/// Longest value kept from one form field, characters.
const MAX_FIELD: usize = 300;

/// What the member has entered so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Wizard {
    /// The registry's hand-off (its identity data is never read from the form).
    pub h: Option<Handoff>,
    /// When the hand-off was accepted (unix seconds): the wizard ends `wizard_max_secs` later.
    pub started_at: i64,
    /// The pages' language tag.
    pub locale: String,
    /// Index of the furthest step the member may open.
    pub reached: usize,
    /// The agreement was accepted.
    pub agreed: bool,
    /// Title.
    pub title: String,
    /// Preferred first name.
    pub given: String,
    /// Middle names.
    pub middle: String,
    /// Last name.
    pub family: String,
    /// E-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
    /// Preferred language of the account.
    pub lang: String,
    /// Other designations: (college, number).
    pub extra: Vec<(String, String)>,
    /// Online challenge questions: (question, answer).
    pub online: Vec<(String, String)>,
    /// Service desk challenge questions: (question, answer).
    pub desk: Vec<(String, String)>,
    /// Challenge phones: (number, kind).
    pub phones: Vec<(String, String)>,
    /// The member has no direct number.
    pub no_direct: bool,
    /// The account, once created.
    pub done: Option<Done>,
    /// An existing account with the registry's legal name and date of birth (its id): the
    /// member proves it is theirs, or the registration is held (one person, one account).
    #[serde(default)]
    pub duplicate_of: Option<String>,
}

/// The outcome of a completed registration, shown on its last page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Done {
    /// The new login ID.
    pub login_id: String,
    /// (name, url)
    pub services: Vec<(String, Option<String>)>,
}

/// What a step's answer asks for (the form's `nav` button).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Next (or Complete registration): check the step and go on.
    Next,
    /// The previous step; what was typed is kept unchecked.
    Back,
    /// Abandon the wizard.
    Cancel,
    /// Move the middle name out of the preferred first name (the personal step).
    MoveMiddle,
    /// Add a designation row (the designation step).
    Add,
    /// Remove a designation row (the designation step), when its index reads.
    Reset(Option<usize>),
}

impl Nav {
    /// The button named `nav` (none: Next) on `step`; a button of another step is Next.
    pub fn parse(nav: Option<&str>, step: Step) -> Nav {
        match nav.unwrap_or("next") {
            "cancel" => Nav::Cancel,
            "back" => Nav::Back,
            "move_middle" if step == Step::Personal => Nav::MoveMiddle,
            "add" if step == Step::Designation => Nav::Add,
            r if step == Step::Designation && r.starts_with("reset") => {
                Nav::Reset(r["reset".len()..].parse::<usize>().ok())
            }
            _ => Nav::Next,
        }
    }
}

fn get(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k)
        .map(|v| v.chars().take(MAX_FIELD).collect())
        .unwrap_or_default()
}

impl Wizard {
    /// A new wizard for the member of hand-off `h`, accepted at `now`, shown in `locale`: the
    /// names and e-mail start as the registry gave them (a middle name follows the first).
    pub fn new(h: Handoff, now: i64, locale: Locale) -> Self {
        let given = match &h.middle_name {
            Some(m) => format!("{} {m}", h.given_name),
            None => h.given_name.clone(),
        };
        Wizard {
            started_at: now,
            locale: locale.tag().to_owned(),
            title: String::new(),
            given,
            family: h.family_name.clone(),
            email: h.email.clone().unwrap_or_default(),
            lang: h.locale.clone().unwrap_or_else(|| locale.tag().to_owned()),
            h: Some(h),
            ..Wizard::default()
        }
    }

    /// How long the wizard may still live at `now` (its state and its cookie), seconds: the
    /// idle timeout, but never past `wizard_max_secs` after the hand-off.
    pub fn lifetime(&self, cfg: &SignupConfig, now: i64) -> i64 {
        let left = self.started_at + cfg.wizard_max_secs - now;
        left.min(cfg.wizard_ttl_secs)
    }

    /// The furthest step the member may open (the last one once past the end).
    pub fn reached_step(&self, cfg: &SignupConfig) -> Step {
        let all = steps(cfg);
        all.get(self.reached)
            .or(all.last())
            .copied()
            .unwrap_or(Step::Policies)
    }

    /// The registry and the member of the hand-off (empty without one), for the audit.
    pub fn registry_member(&self) -> (&str, &str) {
        match &self.h {
            Some(h) => (h.registry_id.as_str(), h.member_id.as_str()),
            None => ("", ""),
        }
    }

    /// Copies what was typed on `step` into the state (never a password); each value is
    /// kept to its first 300 characters.
    pub fn absorb(&mut self, step: Step, form: &HashMap<String, String>) {
        match step {
            Step::Policies => self.agreed = form.contains_key("agree"),
            Step::Personal => {
                self.title = get(form, "title");
                self.given = get(form, "given_name");
                self.middle = get(form, "middle_name");
                self.family = get(form, "family_name");
                self.email = get(form, "email");
                self.phone = get(form, "phone");
                self.lang = get(form, "locale");
            }
            Step::Designation => {
                for (i, row) in self.extra.iter_mut().enumerate() {
                    *row = (
                        get(form, &format!("college{i}")),
                        get(form, &format!("number{i}")),
                    );
                }
            }
            Step::Questions => {
                let read = |prefix: &str, n: usize| -> Vec<(String, String)> {
                    (0..n)
                        .map(|i| {
                            (
                                get(form, &format!("{prefix}_q{i}")),
                                get(form, &format!("{prefix}_a{i}")),
                            )
                        })
                        .collect()
                };
                self.online = read("online", ONLINE_QUESTIONS);
                self.desk = read("desk", DESK_QUESTIONS);
            }
            Step::Phones => {
                self.phones = (0..MAX_PHONES)
                    .map(|i| {
                        (
                            get(form, &format!("phone{i}")),
                            get(form, &format!("kind{i}")),
                        )
                    })
                    .collect();
                self.no_direct = form.contains_key("no_direct_number");
            }
            Step::Mail | Step::Password => {}
        }
    }

    /// Applies an in-step button (`MoveMiddle`, `Add`, `Reset`); the others change nothing.
    pub fn edit(&mut self, nav: Nav) {
        match nav {
            Nav::MoveMiddle => {
                if let Some(h) = &self.h {
                    self.given = h.given_name.clone();
                    self.middle = h.middle_name.clone().unwrap_or_default();
                }
            }
            Nav::Add => {
                if self.extra.len() < MAX_EXTRA {
                    self.extra.push((String::new(), String::new()));
                }
            }
            Nav::Reset(Some(i)) => {
                if i < self.extra.len() {
                    self.extra.remove(i);
                }
            }
            Nav::Reset(None) | Nav::Next | Nav::Back | Nav::Cancel => {}
        }
    }

    /// The account the wizard asks for, with `password`: the filled designation rows and
    /// phones only.
    pub fn new_account(&self, password: String) -> NewAccount {
        let qa = |rows: &[(String, String)]| -> Vec<QuestionAnswer> {
            rows.iter()
                .map(|(q, ans)| QuestionAnswer {
                    question_id: q.clone(),
                    answer: ans.clone(),
                })
                .collect()
        };
        NewAccount {
            title: Some(self.title.clone()),
            given_name: self.given.clone(),
            middle_name: Some(self.middle.clone()),
            family_name: self.family.clone(),
            email: Some(self.email.clone()),
            phone: Some(self.phone.clone()),
            locale: self.lang.clone(),
            designations: self
                .extra
                .iter()
                .filter(|(c, n)| !c.trim().is_empty() && !n.trim().is_empty())
                .map(|(c, n)| Designation {
                    college: c.trim().to_uppercase(),
                    registration_number: n.trim().to_owned(),
                })
                .collect(),
            password,
            online_questions: qa(&self.online),
            desk_questions: qa(&self.desk),
            phones: self
                .phones
                .iter()
                .filter(|(n, _)| !n.trim().is_empty())
                .map(|(n, k)| (n.clone(), PhoneKind::parse(k).unwrap_or(PhoneKind::Mobile)))
                .collect(),
            no_direct_number: self.no_direct,
            ..NewAccount::default()
        }
    }

    /// Records the created account: every step is passed, and the challenge answers, not
    /// needed any more, are forgotten.
    pub fn complete(&mut self, c: &Completed, cfg: &SignupConfig) {
        self.done = Some(Done {
            login_id: c.login_id.clone(),
            services: c
                .services
                .iter()
                .map(|s| (s.name.clone(), s.url.clone()))
                .collect(),
        });
        self.reached = steps(cfg).len();
        self.online.clear();
        self.desk.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Service;

    fn handoff(middle: Option<&str>) -> Handoff {
        Handoff {
            registry_id: "reg".into(),
            member_id: "m1".into(),
            college: "CPSO".into(),
            registration_number: "98765".into(),
            given_name: "Ada".into(),
            middle_name: middle.map(str::to_owned),
            family_name: "Lovelace".into(),
            gender: "Female".into(),
            birth_date: "1815-12-10".into(),
            registration_class: None,
            email: Some("ada@example.org".into()),
            locale: None,
            consent_version: "1".into(),
            consent_at: 0,
            jti: "j".into(),
            expires_at: 0,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_new_wizard_starts_from_the_registry_with_the_middle_name_after_the_first() {
        let w = Wizard::new(handoff(Some("King")), 1000, Locale::Fr);
        assert_eq!((w.given.as_str(), w.middle.as_str()), ("Ada King", ""));
        assert_eq!(w.family, "Lovelace");
        assert_eq!(w.email, "ada@example.org");
        assert_eq!((w.locale.as_str(), w.lang.as_str()), ("fr", "fr"));
        assert_eq!((w.started_at, w.reached), (1000, 0));
        assert_eq!(w.registry_member(), ("reg", "m1"));
        let mut w = w;
        w.edit(Nav::MoveMiddle);
        assert_eq!((w.given.as_str(), w.middle.as_str()), ("Ada", "King"));
        assert_eq!(Wizard::default().registry_member(), ("", ""));
    }

    #[test]
    fn the_lifetime_is_the_idle_timeout_up_to_the_cap() {
        let cfg = SignupConfig::default();
        let w = Wizard {
            started_at: 0,
            ..Wizard::default()
        };
        assert_eq!(w.lifetime(&cfg, 0), cfg.wizard_ttl_secs);
        assert_eq!(w.lifetime(&cfg, cfg.wizard_max_secs - 10), 10);
        assert!(w.lifetime(&cfg, cfg.wizard_max_secs + 1) < 0);
    }

    #[test]
    fn buttons_belong_to_their_step() {
        assert_eq!(Nav::parse(None, Step::Personal), Nav::Next);
        assert_eq!(Nav::parse(Some("cancel"), Step::Mail), Nav::Cancel);
        assert_eq!(Nav::parse(Some("back"), Step::Policies), Nav::Back);
        assert_eq!(
            Nav::parse(Some("move_middle"), Step::Personal),
            Nav::MoveMiddle
        );
        assert_eq!(
            Nav::parse(Some("move_middle"), Step::Designation),
            Nav::Next
        );
        assert_eq!(Nav::parse(Some("add"), Step::Designation), Nav::Add);
        assert_eq!(Nav::parse(Some("add"), Step::Phones), Nav::Next);
        assert_eq!(
            Nav::parse(Some("reset2"), Step::Designation),
            Nav::Reset(Some(2))
        );
        assert_eq!(
            Nav::parse(Some("resetx"), Step::Designation),
            Nav::Reset(None)
        );
        assert_eq!(Nav::parse(Some("reset0"), Step::Questions), Nav::Next);
    }

    #[test]
    fn designation_rows_are_added_up_to_the_most_and_reset_by_index() {
        let mut w = Wizard::default();
        for _ in 0..MAX_EXTRA + 2 {
            w.edit(Nav::Add);
        }
        assert_eq!(w.extra.len(), MAX_EXTRA);
        w.absorb(
            Step::Designation,
            &form(&[("college0", "CNO"), ("number1", "77"), ("college9", "X")]),
        );
        assert_eq!(w.extra[0], ("CNO".to_owned(), String::new()));
        assert_eq!(w.extra[1], (String::new(), "77".to_owned()));
        w.edit(Nav::Reset(Some(0)));
        assert_eq!(w.extra[0], (String::new(), "77".to_owned()));
        w.edit(Nav::Reset(Some(99)));
        w.edit(Nav::Reset(None));
        assert_eq!(w.extra.len(), MAX_EXTRA - 1);
    }

    #[test]
    fn absorb_keeps_each_value_to_300_characters_and_reads_only_its_step() {
        let mut w = Wizard::default();
        let long = "é".repeat(400);
        w.absorb(
            Step::Personal,
            &form(&[("given_name", &long), ("agree", "on"), ("phone0", "1")]),
        );
        assert_eq!(w.given.chars().count(), 300);
        assert!(!w.agreed);
        assert!(w.phones.is_empty());
        w.absorb(Step::Policies, &form(&[("agree", "")]));
        assert!(w.agreed);
        w.absorb(
            Step::Phones,
            &form(&[
                ("phone1", "416"),
                ("kind1", "mobile"),
                ("no_direct_number", "on"),
            ]),
        );
        assert_eq!(w.phones.len(), MAX_PHONES);
        assert_eq!(w.phones[1], ("416".to_owned(), "mobile".to_owned()));
        assert!(w.no_direct);
        w.absorb(Step::Questions, &form(&[("desk_a1", "Paris")]));
        assert_eq!(
            (w.online.len(), w.desk.len()),
            (ONLINE_QUESTIONS, DESK_QUESTIONS)
        );
        assert_eq!(w.desk[1].1, "Paris");
    }

    #[test]
    fn the_account_asked_for_keeps_filled_rows_only_and_completion_forgets_answers() {
        let mut w = Wizard {
            given: "Ada".into(),
            family: "Lovelace".into(),
            lang: "en".into(),
            extra: vec![
                (" cno ".into(), " 1234567 ".into()),
                ("OCP".into(), " ".into()),
            ],
            phones: vec![
                ("416-555-0100".into(), "landline".into()),
                ("".into(), "mobile".into()),
                ("416-555-0101".into(), "odd".into()),
            ],
            online: vec![("first-pet".into(), "Rex".into())],
            desk: vec![("first-teacher".into(), "Smith".into())],
            ..Wizard::default()
        };
        let a = w.new_account("pw".into());
        assert_eq!(a.password, "pw");
        assert_eq!(a.designations.len(), 1);
        assert_eq!(
            (
                a.designations[0].college.as_str(),
                a.designations[0].registration_number.as_str()
            ),
            ("CNO", "1234567")
        );
        assert_eq!(
            a.phones,
            [
                ("416-555-0100".to_owned(), PhoneKind::Landline),
                ("416-555-0101".to_owned(), PhoneKind::Mobile)
            ]
        );
        assert_eq!(a.online_questions[0].answer, "Rex");
        let cfg = SignupConfig::default();
        let c = Completed {
            account_id: "acc".into(),
            login_id: "Ada.Lovelace@oneid".into(),
            services: vec![Service {
                name: "Portal".into(),
                id: "portal".into(),
                url: Some("https://portal".into()),
                min_assurance_level: 1,
            }],
        };
        w.complete(&c, &cfg);
        let done = w.done.as_ref().unwrap();
        assert_eq!(done.login_id, "Ada.Lovelace@oneid");
        assert_eq!(
            done.services,
            [("Portal".to_owned(), Some("https://portal".to_owned()))]
        );
        assert_eq!(w.reached, steps(&cfg).len());
        assert!(w.online.is_empty() && w.desk.is_empty());
    }
}
