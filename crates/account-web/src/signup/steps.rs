//! A step's page (`StepPage`, drawn by its template): its fields with what the member typed,
//! the registry's fields read-only, the progress bar, the buttons, and the step's problems put
//! into words.

use super::page::{Locked, StepPage};
use crate::signup_text::SignupText;
use authorization_server::Provider;
use credential_store::{CredentialError, DESK_QUESTIONS, ONLINE_QUESTIONS};
use platform::Locale;
use registration::colleges::{college, COLLEGES};
use registration::wizard::{self, steps, Field as WizardField, Step, Wizard, MAX_EXTRA};
use registration::Handoff;
use web::account_text::AccountText;
use web::forms::{Field, Fieldset, Section, View};
use web::http::Params;
use web::widgets::rules;

fn progress(p: &Provider, s: &SignupText, idx: usize) -> Vec<(String, String)> {
    steps(&p.signup)
        .into_iter()
        .enumerate()
        .map(|(i, st)| {
            let state = match i.cmp(&idx) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "todo",
            };
            (s.step(st).to_owned(), state.to_owned())
        })
        .collect()
}

fn college_options(s: &SignupText, locale: Locale, except: &str) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), s.choose_college.to_owned())];
    o.extend(
        COLLEGES
            .iter()
            .filter(|c| !c.code.eq_ignore_ascii_case(except))
            .map(|c| {
                (
                    c.code.to_owned(),
                    format!("{} ({})", c.name(locale), c.code),
                )
            }),
    );
    o
}

/// The page of `step` (at `idx`), showing what `w` holds.
pub(super) fn step_view(
    p: &Provider,
    locale: Locale,
    w: &Wizard,
    idx: usize,
    step: Step,
) -> StepPage {
    let s = SignupText::get(locale);
    let a = AccountText::get(locale);
    let all = steps(&p.signup);
    let h = w.h.clone().unwrap_or_else(empty_handoff);
    let step_of = s
        .step_of
        .replace("{n}", &(idx + 1).to_string())
        .replace("{m}", &all.len().to_string())
        .replace("{name}", s.step(step));
    let mut sections = Vec::new();
    let mut locked_legend = None;
    let mut locked = Vec::new();
    let mut fieldsets = Vec::new();
    let mut rules_list = Vec::new();
    let mut rules_personal = String::new();
    let mut add = false;
    let mut script = None;
    match step {
        Step::Policies => {
            let (notice, agreement) = match locale {
                Locale::Fr => (&p.signup.notice_fr, &p.signup.agreement_fr),
                Locale::En => (&p.signup.notice_en, &p.signup.agreement_en),
            };
            sections.push(Section {
                heading: Some(s.notice_heading.into()),
                rows: vec![(String::new(), notice.clone())],
            });
            sections.push(Section {
                heading: Some(s.agreement_heading.into()),
                rows: vec![(
                    s.agreement_version.into(),
                    p.signup.agreement_version.clone(),
                )],
            });
            let mut agree = Field::new("checkbox", "agree", s.agree, "");
            agree.checked = w.agreed;
            fieldsets.push(Fieldset {
                legend: Some(s.agreement_heading.into()),
                document: Some(agreement.clone()),
                fields: vec![agree],
                ..Fieldset::default()
            });
        }
        Step::Personal => {
            let mut given = Field::new("text", "given_name", a.given_name, &w.given)
                .required()
                .auto("given-name");
            if h.middle_name.is_some() && w.middle.is_empty() {
                given = given.hint(s.middle_hint);
            }
            // The names the member goes by, with "move my middle name" right under Middle
            // names; then the rest.
            let names = vec![
                Field::new("text", "title", a.title, &w.title).auto("honorific-prefix"),
                given,
                Field::new("text", "middle_name", a.middle_name, &w.middle).auto("additional-name"),
            ];
            fieldsets.push(Fieldset {
                fields: names,
                button: (h.middle_name.is_some() && w.middle.is_empty()).then(|| {
                    (
                        "nav".to_owned(),
                        "move_middle".to_owned(),
                        s.move_middle.to_owned(),
                    )
                }),
                ..Fieldset::default()
            });
            let mut fields = vec![Field::new("text", "family_name", a.family_name, &w.family)
                .required()
                .auto("family-name")];
            let registry = [
                ("legal_given_name", a.legal_given_name, h.given_name.clone()),
                (
                    "legal_middle_name",
                    a.legal_middle_name,
                    h.middle_name.clone().unwrap_or_default(),
                ),
                (
                    "legal_family_name",
                    a.legal_family_name,
                    h.family_name.clone(),
                ),
                ("gender", s.gender, gender_in(&h.gender, locale)),
                ("birth_date", a.birth_date, h.birth_date.clone()),
            ];
            for (name, label, value) in registry {
                if name == "legal_middle_name" && value.is_empty() {
                    continue;
                }
                locked.push(Locked {
                    name: name.into(),
                    label: label.into(),
                    value,
                    hint: Some(s.locked_hint.into()),
                });
            }
            fields.push(
                Field::new("email", "email", a.email, &w.email)
                    .required()
                    .auto("email"),
            );
            fields.push(
                Field::new("tel", "phone", a.phone, &w.phone)
                    .required()
                    .auto("tel")
                    .hint(a.phone_hint),
            );
            fields.push(
                Field::new("select", "locale", a.language, &w.lang)
                    .required()
                    .options(vec![
                        ("en".into(), a.english.into()),
                        ("fr".into(), a.french.into()),
                    ]),
            );
            fieldsets.push(Fieldset {
                fields,
                ..Fieldset::default()
            });
        }
        Step::Designation => {
            let locked_college = college(&h.college)
                .map(|c| format!("{} ({})", c.name(locale), c.code))
                .unwrap_or_else(|| h.college.clone());
            locked_legend = Some(s.designation_locked.into());
            let shown = |name: &str, label: &str, value: &str| Locked {
                name: name.into(),
                label: label.into(),
                value: value.into(),
                hint: None,
            };
            locked = vec![
                shown("college_locked", s.college, &locked_college),
                shown("number_locked", s.number, &h.registration_number),
            ];
            for (i, (c, n)) in w.extra.iter().enumerate() {
                fieldsets.push(Fieldset {
                    legend: Some(s.designation_row.replace("{}", &(i + 1).to_string())),
                    fields: vec![
                        Field::new("select", &format!("college{i}"), s.college, c)
                            .options(college_options(s, locale, &h.college)),
                        Field::new("text", &format!("number{i}"), s.number, n).auto("off"),
                    ],
                    button: Some(("nav".into(), format!("reset{i}"), s.reset_row.into())),
                    ..Fieldset::default()
                });
            }
            if w.extra.len() < MAX_EXTRA {
                add = true;
            }
        }
        Step::Questions => {
            let rows = |prefix: &str, typed: &[(String, String)], n: usize, offset: usize| {
                web::widgets::question_rows(locale, prefix, typed, n, offset)
            };
            fieldsets.push(Fieldset {
                legend: Some(a.online_questions.into()),
                hint: Some(a.online_questions_hint.into()),
                fields: rows("online", &w.online, ONLINE_QUESTIONS, 0),
                ..Fieldset::default()
            });
            fieldsets.push(Fieldset {
                legend: Some(a.desk_questions.into()),
                hint: Some(a.desk_questions_hint.into()),
                fields: rows("desk", &w.desk, DESK_QUESTIONS, ONLINE_QUESTIONS),
                ..Fieldset::default()
            });
        }
        Step::Phones => {
            let fields = web::widgets::phone_rows(locale, &w.phones, w.no_direct);
            fieldsets.push(Fieldset {
                legend: Some(a.phones_heading.into()),
                hint: Some(a.phones_hint.into()),
                fields,
                ..Fieldset::default()
            });
        }
        Step::Mail => {}
        Step::Password => {
            fieldsets.push(Fieldset {
                fields: vec![
                    Field::new("password", "new_password", s.password, "")
                        .required()
                        .auto("new-password"),
                    Field::new("password", "confirm_password", a.confirm_password, "")
                        .required()
                        .auto("new-password"),
                ],
                ..Fieldset::default()
            });
            rules_list = rules(locale);
            let base = credential_store::login_id_base(&w.given, &w.family).unwrap_or_default();
            let names: Vec<&str> = [
                w.given.as_str(),
                &w.middle,
                &w.family,
                &h.given_name,
                &h.family_name,
            ]
            .into_iter()
            .chain(h.middle_name.as_deref())
            .collect();
            rules_personal = web::widgets::personal_parts(&base, &names);
            script = Some(web::widgets::PASSWORD_SCRIPT);
        }
    }
    let submit = if step == Step::Password {
        s.finish
    } else {
        s.next
    };
    StepPage {
        step,
        title: format!("{} – {}", s.title, s.step(step)),
        step_of,
        other_lang_href: format!(
            "/register/{}?ui_locales={}",
            step.slug(),
            locale.other().tag()
        ),
        action: format!("/register/{}?ui_locales={}", step.slug(), locale.tag()),
        progress: progress(p, s, idx),
        errors: Vec::new(),
        sections,
        locked_legend,
        locked,
        fieldsets,
        rules_heading: a.password_rules.into(),
        rules: rules_list,
        rules_personal,
        submit: submit.into(),
        add,
        back: idx > 0,
        script,
    }
}

fn empty_handoff() -> Handoff {
    Handoff {
        registry_id: String::new(),
        member_id: String::new(),
        college: String::new(),
        registration_number: String::new(),
        given_name: String::new(),
        middle_name: None,
        family_name: String::new(),
        gender: String::new(),
        birth_date: String::new(),
        registration_class: None,
        email: None,
        locale: None,
        consent_version: String::new(),
        consent_at: 0,
        jti: String::new(),
        expires_at: 0,
    }
}

/// Checks the rules of `step` on `w` and puts their messages on `v` (a bad challenge answer is
/// cleared, on the page and in `w`); the password step checks what `form` carries.
/// `Ok(false)` when something is wrong.
pub(super) async fn validate(
    p: &Provider,
    locale: Locale,
    w: &mut Wizard,
    step: Step,
    form: &Params,
    v: &mut StepPage,
) -> Result<bool, CredentialError> {
    let s = SignupText::get(locale);
    let a = AccountText::get(locale);
    let before = v.errors.len();
    for problem in wizard::check(w, step, &p.accounts).await? {
        let name = problem.field.name();
        v.field_error(&name, s.problem(a, problem.problem));
        // A bad row's answer is retyped, not echoed back.
        if matches!(problem.field, WizardField::Answer { .. }) {
            v.set_value(&name, "");
        }
    }
    if step == Step::Password {
        // The shared checks of a new password typed twice, their messages put on this page.
        let mut typed = View::default();
        web::widgets::new_password_typed(&mut typed, a, form);
        for (name, msg) in typed.errors {
            v.field_error(&name, &msg);
        }
    }
    Ok(v.errors.len() == before)
}

/// The registry's gender as the page's language says it (the values registries send; any
/// other is shown as sent).
fn gender_in(g: &str, locale: Locale) -> String {
    let fr = locale == Locale::Fr;
    match g.trim().to_ascii_lowercase().as_str() {
        "female" | "f" => if fr { "Femme" } else { "Female" }.into(),
        "male" | "m" => if fr { "Homme" } else { "Male" }.into(),
        "x" | "non-binary" | "nonbinary" => if fr {
            "X (non binaire)"
        } else {
            "X (non-binary)"
        }
        .into(),
        "unknown" | "u" | "" => if fr { "Non précisé" } else { "Not stated" }.into(),
        _ => g.to_owned(),
    }
}
