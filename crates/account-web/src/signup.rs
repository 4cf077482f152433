//! Self-registration from a trusted registry (000, 001; DOMAIN "Self-registration"): the
//! registry's member portal posts a signed hand-off to `/register`; the member walks seven
//! steps (policies, personal information, professional designation, challenge questions,
//! challenge phone, ONE Mail Direct, password) with Next / Back / Cancel and a progress bar;
//! the account is created at the end in one transaction, and the login ID and services are
//! shown.
//!
//! The wizard's state lives server-side in the ephemeral store under a random cookie, sealed
//! with the secret box (it holds challenge answers until the end) and expiring: after
//! `wizard_ttl_secs` without a step, and in any case `wizard_max_secs` after the hand-off, so
//! a hand-off meant to live minutes cannot be stretched by steps. Every rule is checked here
//! on the server; the registry's identity data is never read from the form.

use crate::signup_text::SignupText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::{
    check_questions, ChallengeProblem, CredentialError, Designation, NewAccount, PhoneKind,
    QuestionAnswer, DESK_QUESTIONS, MAX_PHONES, ONLINE_QUESTIONS,
};
use platform::{AuditEvent, Locale};
use registration::colleges::{college, number_ok, COLLEGES};
use registration::{Handoff, RegistrationError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::PageError;
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::{cookie, parse_query, see_other, set_cookie, ClientIp, Params};
use web::widgets::{rules, send};

const COOKIE: &str = "oneid_signup";
/// Most designation rows a member may add.
const MAX_EXTRA: usize = 5;

pub use registration::SignupConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Policies,
    Personal,
    Designation,
    Questions,
    Phones,
    Mail,
    Password,
}

impl Step {
    fn slug(self) -> &'static str {
        match self {
            Step::Policies => "policies",
            Step::Personal => "personal",
            Step::Designation => "designation",
            Step::Questions => "questions",
            Step::Phones => "phone",
            Step::Mail => "mail",
            Step::Password => "password",
        }
    }

    fn name(self, s: &SignupText) -> &'static str {
        match self {
            Step::Policies => s.step_policies,
            Step::Personal => s.step_personal,
            Step::Designation => s.step_designation,
            Step::Questions => s.step_questions,
            Step::Phones => s.step_phones,
            Step::Mail => s.step_mail,
            Step::Password => s.step_password,
        }
    }
}

fn steps(cfg: &SignupConfig) -> Vec<Step> {
    let mut v = vec![
        Step::Policies,
        Step::Personal,
        Step::Designation,
        Step::Questions,
        Step::Phones,
        Step::Mail,
        Step::Password,
    ];
    if !cfg.one_mail_step {
        v.retain(|s| *s != Step::Mail);
    }
    v
}

/// What the member has entered so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Wizard {
    h: Option<Handoff>,
    /// When the hand-off was accepted (unix seconds): the wizard ends `wizard_max_secs` later.
    started_at: i64,
    locale: String,
    /// Index of the furthest step the member may open.
    reached: usize,
    agreed: bool,
    title: String,
    given: String,
    middle: String,
    family: String,
    email: String,
    phone: String,
    lang: String,
    /// Other designations: (college, number).
    extra: Vec<(String, String)>,
    online: Vec<(String, String)>,
    desk: Vec<(String, String)>,
    phones: Vec<(String, String)>,
    no_direct: bool,
    done: Option<Done>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Done {
    login_id: String,
    /// (name, url)
    services: Vec<(String, Option<String>)>,
}

fn state_key(token: &str) -> String {
    format!("signup:{}", platform::crypto::sha256_b64(token.as_bytes()))
}

fn seal_context(token: &str) -> Vec<u8> {
    format!("signup:{token}").into_bytes()
}

async fn load(p: &Provider, headers: &HeaderMap) -> Result<Option<(String, Wizard)>, String> {
    let Some(token) = cookie(p, headers, COOKIE) else {
        return Ok(None);
    };
    let Some(sealed) = p
        .store
        .get(&state_key(&token))
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let Ok(plain) = p.accounts.sealer().open(&sealed, &seal_context(&token)) else {
        return Ok(None);
    };
    let Ok(w) = serde_json::from_slice::<Wizard>(&plain) else {
        return Ok(None);
    };
    if lifetime(p, &w) <= 0 {
        // Past the absolute cap: the state goes, whatever its idle timeout says.
        let _ = p.store.delete(&state_key(&token)).await;
        return Ok(None);
    }
    Ok(Some((token, w)))
}

/// How long the wizard may still live (its state and its cookie), seconds: the idle timeout,
/// but never past `wizard_max_secs` after the hand-off.
fn lifetime(p: &Provider, w: &Wizard) -> i64 {
    let left = w.started_at + p.signup.wizard_max_secs - p.clock.now();
    left.min(p.signup.wizard_ttl_secs)
}

async fn save(p: &Provider, token: &str, w: &Wizard) -> Result<(), String> {
    let json = serde_json::to_vec(w).map_err(|e| e.to_string())?;
    let sealed = p.accounts.sealer().seal(&json, &seal_context(token));
    p.store
        .put(&state_key(token), &sealed, lifetime(p, w).max(1))
        .await
        .map_err(|e| e.to_string())
}

fn page_locale(headers: &HeaderMap, params: &Params, w: Option<&Wizard>) -> Locale {
    if let Some(l) = params.get("ui_locales") {
        return Locale::negotiate(Some(l), None);
    }
    if let Some(l) = w.and_then(|w| Locale::parse(&w.locale)) {
        return l;
    }
    web::http::locale(headers, None)
}

fn message_page(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    title: &str,
    text: &str,
    status: StatusCode,
) -> Response {
    let v = View {
        title: title.to_owned(),
        intro: vec![text.to_owned()],
        ..View::default()
    };
    send(p, headers, locale, &v, status)
}

fn expired(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let s = SignupText::get(locale);
    message_page(
        p,
        headers,
        locale,
        s.title,
        s.expired,
        StatusCode::BAD_REQUEST,
    )
}

async fn audit(p: &Provider, event: &str, subject: Option<&str>, source: &str, detail: &str) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: subject,
            subject,
            source: Some(source),
            detail: Some(detail),
            ..Default::default()
        })
        .await;
}

/// POST /register: the registry's signed hand-off (`assertion`).
pub async fn start(
    State(p): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let form = web::http::parse_form(&headers, &body).unwrap_or_default();
    let asked = form.get("ui_locales").or(params.get("ui_locales"));
    let mut locale = web::http::locale(&headers, asked.map(String::as_str));
    let s = SignupText::get(locale);
    // Each hand-off costs a signature check and a durable write: bounded per address.
    match web::limits::over(&p, "register-ip", &ip, p.cfg.login_limit_per_address).await {
        Ok(true) => return web::limits::too_many(&p, &headers, locale),
        Ok(false) => {}
        Err(e) => return PageError::internal(locale, e).into_response(),
    }
    let token = form.get("assertion").map(String::as_str).unwrap_or("");
    let verifier = p.registration.verifier(&p.cfg.issuer);
    let h = match verifier.accept_handoff(token).await {
        Ok(h) => h,
        Err(RegistrationError::Db(e)) => return PageError::internal(locale, e).into_response(),
        Err(e) => {
            tracing::warn!(reason = e.code(), "registration hand-off refused");
            audit(&p, "registration.refused", None, &ip, e.code()).await;
            let text = match e {
                RegistrationError::RegistrySuspended
                | RegistrationError::RegistryTerminated
                | RegistrationError::OutsideApproval => s.refused_registry,
                _ => s.refused_invalid,
            };
            let status = match e {
                RegistrationError::RegistrySuspended
                | RegistrationError::RegistryTerminated
                | RegistrationError::OutsideApproval => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            return message_page(&p, &headers, locale, s.refused_title, text, status);
        }
    };
    if asked.is_none() {
        if let Some(l) = h.locale.as_deref().and_then(Locale::parse) {
            locale = l;
        }
    }
    match p.registration.existing(&h).await {
        Ok(Some(account)) => {
            let detail = format!("registry={} member={}", h.registry_id, h.member_id);
            audit(
                &p,
                "registration.existing_account",
                Some(&account),
                &ip,
                &detail,
            )
            .await;
            let ended = matches!(
                p.accounts.find_by_id(&account).await,
                Ok(Some(a)) if a.status == credential_store::AccountStatus::Terminated
            );
            if ended {
                let s = SignupText::get(locale);
                return message_page(
                    &p,
                    &headers,
                    locale,
                    s.welcome_title,
                    s.existing_terminated,
                    StatusCode::FORBIDDEN,
                );
            }
            return see_other(&format!("/register/welcome?ui_locales={}", locale.tag()));
        }
        Ok(None) => {}
        Err(e) => return PageError::internal(locale, e).into_response(),
    }
    // No account, but the registry reported the member's registration ended: no new one.
    match p
        .registration
        .reported_terminated(&h.registry_id, &h.member_id)
        .await
    {
        Ok(false) => {}
        Ok(true) => {
            let detail = format!(
                "{} registry={} member={}",
                RegistrationError::MemberTerminated.code(),
                h.registry_id,
                h.member_id
            );
            audit(&p, "registration.refused", None, &ip, &detail).await;
            return member_terminated(&p, &headers, locale);
        }
        Err(e) => return PageError::internal(locale, e).into_response(),
    }
    let given = match &h.middle_name {
        Some(m) => format!("{} {m}", h.given_name),
        None => h.given_name.clone(),
    };
    let w = Wizard {
        started_at: p.clock.now(),
        locale: locale.tag().to_owned(),
        title: String::new(),
        given,
        family: h.family_name.clone(),
        email: h.email.clone().unwrap_or_default(),
        lang: h.locale.clone().unwrap_or_else(|| locale.tag().to_owned()),
        h: Some(h),
        ..Wizard::default()
    };
    let cookie_value = platform::crypto::random_token(24);
    if let Err(e) = save(&p, &cookie_value, &w).await {
        return PageError::internal(locale, e).into_response();
    }
    let detail = {
        let h = w.h.as_ref();
        format!(
            "registry={} member={}",
            h.map(|h| h.registry_id.as_str()).unwrap_or(""),
            h.map(|h| h.member_id.as_str()).unwrap_or("")
        )
    };
    audit(&p, "registration.started", None, &ip, &detail).await;
    let mut r = see_other(&format!("/register/{}", Step::Policies.slug()));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&p, COOKIE, &cookie_value, lifetime(&p, &w)),
    );
    r
}

/// The page for a member whose registry reported the registration deleted or terminated.
fn member_terminated(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let s = SignupText::get(locale);
    message_page(
        p,
        headers,
        locale,
        s.refused_title,
        s.member_terminated,
        StatusCode::FORBIDDEN,
    )
}

/// GET /register/welcome: the self-service welcome page, with the notice that an account
/// exists already.
pub async fn welcome(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = page_locale(&headers, &params, None);
    let s = SignupText::get(locale);
    let a = AccountText::get(locale);
    let tag = locale.tag();
    let v = View {
        title: s.welcome_title.into(),
        other_lang_href: Some(format!(
            "/register/welcome?ui_locales={}",
            locale.other().tag()
        )),
        notice: Some(s.existing_notice.into()),
        intro: vec![s.welcome_text.into()],
        links: vec![
            (format!("/account?ui_locales={tag}"), s.sign_in.into()),
            (
                format!("/forgot-login-id?ui_locales={tag}"),
                a.forgot_login_id.into(),
            ),
            (
                format!("/forgot-password?ui_locales={tag}"),
                a.forgot_password.into(),
            ),
        ],
        ..View::default()
    };
    send(&p, &headers, locale, &v, StatusCode::OK)
}

fn find_step(p: &Provider, slug: &str) -> Option<(usize, Step)> {
    steps(&p.signup)
        .into_iter()
        .enumerate()
        .find(|(_, s)| s.slug() == slug)
}

/// GET /register/{step}
pub async fn show(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let loaded = match load(&p, &headers).await {
        Ok(l) => l,
        Err(e) => return PageError::internal(Locale::En, e).into_response(),
    };
    let locale = page_locale(&headers, &params, loaded.as_ref().map(|(_, w)| w));
    let Some((token, mut w)) = loaded else {
        return expired(&p, &headers, locale);
    };
    if w.locale != locale.tag() {
        w.locale = locale.tag().to_owned();
        if let Err(e) = save(&p, &token, &w).await {
            return PageError::internal(locale, e).into_response();
        }
    }
    if slug == "complete" {
        return match &w.done {
            Some(d) => complete_page(&p, &headers, locale, d),
            None => redirect_to_reached(&p, &w),
        };
    }
    if w.done.is_some() {
        return see_other("/register/complete");
    }
    let Some((idx, step)) = find_step(&p, &slug) else {
        return PageError::bad(locale, |t| t.bad_request).into_response();
    };
    if idx > w.reached {
        return redirect_to_reached(&p, &w);
    }
    let v = step_view(&p, locale, &w, idx, step);
    send(&p, &headers, locale, &v, StatusCode::OK)
}

fn redirect_to_reached(p: &Provider, w: &Wizard) -> Response {
    let all = steps(&p.signup);
    let step = all
        .get(w.reached)
        .or(all.last())
        .copied()
        .unwrap_or(Step::Policies);
    see_other(&format!("/register/{}", step.slug()))
}

fn buttons(s: &SignupText, idx: usize) -> Vec<(String, String, String)> {
    let mut b = Vec::new();
    if idx > 0 {
        b.push(("nav".into(), "back".into(), s.back.into()));
    }
    b.push(("nav".into(), "cancel".into(), s.cancel.into()));
    b
}

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
            (st.name(s).to_owned(), state.to_owned())
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

fn step_view(p: &Provider, locale: Locale, w: &Wizard, idx: usize, step: Step) -> View {
    let s = SignupText::get(locale);
    let a = AccountText::get(locale);
    let all = steps(&p.signup);
    let h = w.h.clone().unwrap_or_else(empty_handoff);
    let mut intro = vec![s
        .step_of
        .replace("{n}", &(idx + 1).to_string())
        .replace("{m}", &all.len().to_string())
        .replace("{name}", step.name(s))];
    let mut sections = Vec::new();
    let mut fieldsets = Vec::new();
    let mut rules_list = Vec::new();
    let mut rules_personal = String::new();
    let mut extra_buttons = buttons(s, idx);
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
                hint: Some(agreement.clone()),
                fields: vec![agree],
                ..Fieldset::default()
            });
        }
        Step::Personal => {
            intro.push(s.personal_intro.into());
            let mut given = Field::new("text", "given_name", a.given_name, &w.given)
                .required()
                .auto("given-name");
            if h.middle_name.is_some() && w.middle.is_empty() {
                given = given.hint(s.middle_hint);
            }
            let mut fields = vec![
                Field::new("text", "title", a.title, &w.title).auto("honorific-prefix"),
                given,
                Field::new("text", "middle_name", a.middle_name, &w.middle).auto("additional-name"),
                Field::new("text", "family_name", a.family_name, &w.family)
                    .required()
                    .auto("family-name"),
            ];
            let locked = [
                ("legal_given_name", a.legal_given_name, h.given_name.clone()),
                (
                    "legal_middle_name",
                    a.middle_name,
                    h.middle_name.clone().unwrap_or_default(),
                ),
                (
                    "legal_family_name",
                    a.legal_family_name,
                    h.family_name.clone(),
                ),
                ("gender", s.gender, h.gender.clone().unwrap_or_default()),
                (
                    "birth_date",
                    a.birth_date,
                    h.birth_date.clone().unwrap_or_default(),
                ),
            ];
            for (name, label, value) in locked {
                if name == "legal_middle_name" && value.is_empty() {
                    continue;
                }
                fields.push(Field::new("static", name, label, &value).hint(s.locked_hint));
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
                button: (h.middle_name.is_some() && w.middle.is_empty()).then(|| {
                    (
                        "nav".to_owned(),
                        "move_middle".to_owned(),
                        s.move_middle.to_owned(),
                    )
                }),
                ..Fieldset::default()
            });
        }
        Step::Designation => {
            intro.push(s.designation_intro.into());
            let locked_college = college(&h.college)
                .map(|c| format!("{} ({})", c.name(locale), c.code))
                .unwrap_or_else(|| h.college.clone());
            fieldsets.push(Fieldset {
                legend: Some(s.designation_locked.into()),
                fields: vec![
                    Field::new("static", "college_locked", s.college, &locked_college),
                    Field::new("static", "number_locked", s.number, &h.registration_number),
                ],
                ..Fieldset::default()
            });
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
                extra_buttons.insert(0, ("nav".into(), "add".into(), s.add_another.into()));
            }
        }
        Step::Questions => {
            intro.push(s.questions_intro.into());
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
            intro.push(s.phones_intro.into());
            let fields = web::widgets::phone_rows(locale, &w.phones, w.no_direct);
            fieldsets.push(Fieldset {
                legend: Some(a.phones_heading.into()),
                hint: Some(a.phones_hint.into()),
                fields,
                ..Fieldset::default()
            });
        }
        Step::Mail => {
            intro.push(s.mail_text.into());
        }
        Step::Password => {
            intro.push(s.password_intro.into());
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
            rules_personal = [
                base.as_str(),
                &w.given,
                &w.middle,
                &w.family,
                &h.given_name,
                &h.family_name,
            ]
            .iter()
            .copied()
            .chain(h.middle_name.as_deref())
            .flat_map(|n| n.split([' ', '-', '.']))
            .filter(|n| n.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("|");
            script = Some("/static/password-rules.js");
        }
    }
    let submit = if step == Step::Password {
        s.finish
    } else {
        s.next
    };
    View {
        title: format!("{} – {}", s.title, step.name(s)),
        other_lang_href: Some(format!(
            "/register/{}?ui_locales={}",
            step.slug(),
            locale.other().tag()
        )),
        progress: progress(p, s, idx),
        intro,
        sections,
        forms: vec![Form {
            id: Some(format!("step-{}", step.slug())),
            action: format!("/register/{}?ui_locales={}", step.slug(), locale.tag()),
            fieldsets,
            rules_heading: a.password_rules.into(),
            rules: rules_list,
            rules_personal,
            submit: submit.into(),
            button_name: Some("next".into()),
            buttons: extra_buttons,
            ..Form::default()
        }],
        script,
        ..View::default()
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
        gender: None,
        birth_date: None,
        registration_class: None,
        email: None,
        locale: None,
        consent_version: String::new(),
        consent_at: 0,
        jti: String::new(),
        expires_at: 0,
    }
}

fn complete_page(p: &Provider, headers: &HeaderMap, locale: Locale, d: &Done) -> Response {
    let s = SignupText::get(locale);
    let v = View {
        title: s.complete_title.into(),
        other_lang_href: Some(format!(
            "/register/complete?ui_locales={}",
            locale.other().tag()
        )),
        notice: Some(s.complete_text.into()),
        sections: vec![Section {
            heading: None,
            rows: vec![(s.your_login_id.into(), d.login_id.clone())],
        }],
        intro: if d.services.is_empty() {
            vec![s.no_services.into()]
        } else {
            Vec::new()
        },
        table_head: if d.services.is_empty() {
            Vec::new()
        } else {
            vec![s.services_heading.into()]
        },
        table: d
            .services
            .iter()
            .map(|(name, url)| vec![(url.clone().unwrap_or_default(), name.clone())])
            .collect(),
        links: vec![(
            format!("/account?ui_locales={}", locale.tag()),
            s.go_to_profile.into(),
        )],
        ..View::default()
    };
    send(p, headers, locale, &v, StatusCode::OK)
}

/// POST /register/{step}
pub async fn submit(
    State(p): State<Arc<Provider>>,
    ip: ClientIp,
    headers: HeaderMap,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let mut left = p.signup.wizard_ttl_secs;
    let mut r = submit_step(&p, ip, &headers, slug, q, body, &mut left).await;
    // The wizard lives as long as the member keeps using it (up to its cap): the cookie's
    // lifetime follows the state's, unless this answer ends it (Cancel clears the cookie).
    let name = web::http::cookie_name(&p, COOKIE);
    let setting = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&format!("{name}="))));
    if let (false, Some(token)) = (setting, cookie(&p, &headers, COOKIE)) {
        r.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&p, COOKIE, &token, left.max(1)),
        );
    }
    r
}

/// One step's answer; `left` is set to how long the wizard may still live.
async fn submit_step(
    p: &Arc<Provider>,
    ClientIp(ip): ClientIp,
    headers: &HeaderMap,
    slug: String,
    q: Option<String>,
    body: Bytes,
    left: &mut i64,
) -> Response {
    let p = p.clone();
    let headers = headers.clone();
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let loaded = match load(&p, &headers).await {
        Ok(l) => l,
        Err(e) => return PageError::internal(Locale::En, e).into_response(),
    };
    let locale = page_locale(&headers, &params, loaded.as_ref().map(|(_, w)| w));
    let form = match web::forms::checked(&p, &headers, &body, locale) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Some((token, mut w)) = loaded else {
        return expired(&p, &headers, locale);
    };
    *left = lifetime(&p, &w);
    if w.done.is_some() {
        return see_other("/register/complete");
    }
    let Some((idx, step)) = find_step(&p, &slug) else {
        return PageError::bad(locale, |t| t.bad_request).into_response();
    };
    if idx > w.reached {
        return redirect_to_reached(&p, &w);
    }
    let s = SignupText::get(locale);
    let nav = form.get("nav").map(String::as_str).unwrap_or("next");
    if nav == "cancel" {
        let _ = p.store.delete(&state_key(&token)).await;
        let h = w.h.as_ref();
        let detail = format!(
            "registry={} member={} step={}",
            h.map(|h| h.registry_id.as_str()).unwrap_or(""),
            h.map(|h| h.member_id.as_str()).unwrap_or(""),
            step.slug()
        );
        audit(&p, "registration.cancelled", None, &ip, &detail).await;
        let mut r = message_page(
            &p,
            &headers,
            locale,
            s.cancelled_title,
            s.cancelled_text,
            StatusCode::OK,
        );
        r.headers_mut()
            .append(header::SET_COOKIE, set_cookie(&p, COOKIE, "", 0));
        return r;
    }
    check_tampering(&p, &w, &form, &ip).await;
    absorb(&mut w, step, &form);
    let all = steps(&p.signup);
    let go = |i: usize| -> Response {
        let st = all.get(i).copied().unwrap_or(Step::Policies);
        see_other(&format!(
            "/register/{}?ui_locales={}",
            st.slug(),
            locale.tag()
        ))
    };
    match nav {
        "back" => {
            if let Err(e) = save(&p, &token, &w).await {
                return PageError::internal(locale, e).into_response();
            }
            return go(idx.saturating_sub(1));
        }
        "move_middle" if step == Step::Personal => {
            if let Some(h) = &w.h {
                w.given = h.given_name.clone();
                w.middle = h.middle_name.clone().unwrap_or_default();
            }
            if let Err(e) = save(&p, &token, &w).await {
                return PageError::internal(locale, e).into_response();
            }
            return go(idx);
        }
        "add" if step == Step::Designation => {
            if w.extra.len() < MAX_EXTRA {
                w.extra.push((String::new(), String::new()));
            }
            if let Err(e) = save(&p, &token, &w).await {
                return PageError::internal(locale, e).into_response();
            }
            return go(idx);
        }
        r if step == Step::Designation && r.starts_with("reset") => {
            if let Ok(i) = r["reset".len()..].parse::<usize>() {
                if i < w.extra.len() {
                    w.extra.remove(i);
                }
            }
            if let Err(e) = save(&p, &token, &w).await {
                return PageError::internal(locale, e).into_response();
            }
            return go(idx);
        }
        _ => {}
    }
    // Next: every rule of this step, on the server.
    let mut v = step_view(&p, locale, &w, idx, step);
    let ok = match validate(&p, locale, &mut w, step, &form, &mut v).await {
        Ok(ok) => ok,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    if !ok {
        // A step that fails again closes the steps after it until it passes.
        w.reached = w.reached.min(idx);
        if let Err(e) = save(&p, &token, &w).await {
            return PageError::internal(locale, e).into_response();
        }
        return send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST);
    }
    if step == Step::Password {
        return finish(&p, &headers, locale, &token, w, &form, &ip, v).await;
    }
    w.reached = w.reached.max(idx + 1);
    if let Err(e) = save(&p, &token, &w).await {
        return PageError::internal(locale, e).into_response();
    }
    go(idx + 1)
}

/// Logs (and audits) a posted value for a field the registry locked; the value is ignored.
async fn check_tampering(p: &Provider, w: &Wizard, form: &Params, ip: &str) {
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
    let hit: Vec<&str> = LOCKED
        .iter()
        .copied()
        .filter(|k| form.contains_key(*k))
        .collect();
    if hit.is_empty() {
        return;
    }
    let h = w.h.as_ref();
    let detail = format!(
        "registry={} member={} fields={}",
        h.map(|h| h.registry_id.as_str()).unwrap_or(""),
        h.map(|h| h.member_id.as_str()).unwrap_or(""),
        hit.join(",")
    );
    tracing::warn!(fields = %hit.join(","), "registration form carried locked fields; ignored");
    audit(p, "registration.tampered", None, ip, &detail).await;
}

fn get(form: &Params, k: &str) -> String {
    form.get(k)
        .map(|v| v.chars().take(300).collect())
        .unwrap_or_default()
}

/// Copies what was typed on `step` into the state (never a password).
fn absorb(w: &mut Wizard, step: Step, form: &Params) {
    match step {
        Step::Policies => w.agreed = form.contains_key("agree"),
        Step::Personal => {
            w.title = get(form, "title");
            w.given = get(form, "given_name");
            w.middle = get(form, "middle_name");
            w.family = get(form, "family_name");
            w.email = get(form, "email");
            w.phone = get(form, "phone");
            w.lang = get(form, "locale");
        }
        Step::Designation => {
            for (i, row) in w.extra.iter_mut().enumerate() {
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
            w.online = read("online", ONLINE_QUESTIONS);
            w.desk = read("desk", DESK_QUESTIONS);
        }
        Step::Phones => {
            w.phones = (0..MAX_PHONES)
                .map(|i| {
                    (
                        get(form, &format!("phone{i}")),
                        get(form, &format!("kind{i}")),
                    )
                })
                .collect();
            w.no_direct = form.contains_key("no_direct_number");
        }
        Step::Mail | Step::Password => {}
    }
}

fn name_ok(n: &str, required: bool) -> bool {
    let t = n.trim();
    if t.is_empty() {
        return !required;
    }
    t.chars().count() <= 100
        && !t
            .chars()
            .any(|c| c.is_control() || "<>\"{}[]\\/=;@".contains(c))
}

/// Checks the step's rules; puts the messages on `v`. `Ok(false)` when something is wrong.
async fn validate(
    p: &Provider,
    locale: Locale,
    w: &mut Wizard,
    step: Step,
    form: &Params,
    v: &mut View,
) -> Result<bool, String> {
    let s = SignupText::get(locale);
    let a = AccountText::get(locale);
    let before = v.errors.len();
    match step {
        Step::Policies => {
            if !w.agreed {
                v.field_error("agree", s.must_agree);
            }
        }
        Step::Personal => {
            for (name, value, required) in [
                ("title", &w.title, false),
                ("given_name", &w.given, true),
                ("middle_name", &w.middle, false),
                ("family_name", &w.family, true),
            ] {
                if required && value.trim().is_empty() {
                    v.field_error(name, a.required);
                } else if !name_ok(value, required) {
                    v.field_error(name, a.bad_name);
                }
            }
            if v.errors.len() == before
                && credential_store::login_id_base(&w.given, &w.family).is_none()
            {
                v.field_error("given_name", a.bad_name);
            }
            if w.email.trim().is_empty() {
                v.field_error("email", a.required);
            } else if !credential_store::valid_email(w.email.trim()) {
                v.field_error("email", a.bad_email);
            }
            if w.phone.trim().is_empty() {
                v.field_error("phone", a.required);
            } else if credential_store::parse_phone(&w.phone).is_err() {
                v.field_error("phone", a.bad_phone);
            }
            if !matches!(w.lang.as_str(), "en" | "fr") {
                v.field_error("locale", a.bad_language);
            }
        }
        Step::Designation => {
            let own = w.h.as_ref().map(|h| h.college.clone()).unwrap_or_default();
            let mut seen = vec![own.to_uppercase()];
            for (i, (c, n)) in w.extra.clone().iter().enumerate() {
                let (c, n) = (c.trim().to_uppercase(), n.trim().to_owned());
                if c.is_empty() && n.is_empty() {
                    continue;
                }
                let cf = format!("college{i}");
                let nf = format!("number{i}");
                if c.is_empty() || college(&c).is_none() {
                    v.field_error(&cf, s.college_needed);
                } else if seen.contains(&c) {
                    v.field_error(&cf, s.college_twice);
                } else if n.is_empty() {
                    v.field_error(&nf, s.number_needed);
                } else if !number_ok(&c, &n) {
                    v.field_error(&nf, s.number_format);
                } else if p
                    .accounts
                    .find_by_designation(&c, &n)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some()
                {
                    v.field_error(&nf, s.number_taken);
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
            let problems = check_questions(&rows);
            for (row, problem) in &problems {
                let (prefix, i) = if *row < ONLINE_QUESTIONS {
                    ("online", *row)
                } else {
                    ("desk", row - ONLINE_QUESTIONS)
                };
                let (field, msg) = match problem {
                    ChallengeProblem::NoQuestion => (format!("{prefix}_q{i}"), a.q_none),
                    ChallengeProblem::SameQuestion => (format!("{prefix}_q{i}"), a.q_same),
                    ChallengeProblem::NoAnswer => (format!("{prefix}_a{i}"), a.a_none),
                    ChallengeProblem::TooLong => (format!("{prefix}_a{i}"), a.a_long),
                    ChallengeProblem::SameAnswer => (format!("{prefix}_a{i}"), a.a_same),
                };
                v.field_error(&field, msg);
                // A bad row's answer is retyped, not echoed back.
                if field.contains("_a") {
                    v.set_value(&field, "");
                    let list = if prefix == "online" {
                        &mut w.online
                    } else {
                        &mut w.desk
                    };
                    if let Some(r) = list.get_mut(i) {
                        r.1.clear();
                    }
                }
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
                        v.field_error(&format!("phone{i}"), a.phone_duplicate)
                    }
                    Ok(e) => seen.push(e),
                    Err(_) => v.field_error(&format!("phone{i}"), a.bad_phone),
                }
                if PhoneKind::parse(kind).is_none() {
                    v.field_error(&format!("kind{i}"), a.bad_phone);
                }
            }
        }
        Step::Mail => {}
        Step::Password => {
            web::widgets::new_password_typed(v, a, form);
        }
    }
    Ok(v.errors.len() == before)
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    token: &str,
    mut w: Wizard,
    form: &Params,
    ip: &str,
    mut v: View,
) -> Response {
    let s = SignupText::get(locale);
    let Some(h) = w.h.clone() else {
        return expired(p, headers, locale);
    };
    // Every earlier step again, on what is stored now (Back keeps unchecked input): the first
    // that fails is where the member goes, and the steps after it close.
    for (i, st) in steps(&p.signup).into_iter().enumerate() {
        if st == Step::Password {
            break;
        }
        let mut scratch_view = step_view(p, locale, &w, i, st);
        scratch_view.errors.clear();
        let mut scratch = w.clone();
        match validate(
            p,
            locale,
            &mut scratch,
            st,
            &Params::new(),
            &mut scratch_view,
        )
        .await
        {
            Ok(true) => {}
            Ok(false) => {
                // That step's page, with what is wrong on it now.
                w.reached = i;
                if let Err(e) = save(p, token, &w).await {
                    return PageError::internal(locale, e).into_response();
                }
                return send(p, headers, locale, &scratch_view, StatusCode::BAD_REQUEST);
            }
            Err(e) => return PageError::internal(locale, e).into_response(),
        }
    }
    let qa = |rows: &[(String, String)]| -> Vec<QuestionAnswer> {
        rows.iter()
            .map(|(q, ans)| QuestionAnswer {
                question_id: q.clone(),
                answer: ans.clone(),
            })
            .collect()
    };
    let new = NewAccount {
        title: Some(w.title.clone()),
        given_name: w.given.clone(),
        middle_name: Some(w.middle.clone()),
        family_name: w.family.clone(),
        email: Some(w.email.clone()),
        phone: Some(w.phone.clone()),
        locale: w.lang.clone(),
        designations: w
            .extra
            .iter()
            .filter(|(c, n)| !c.trim().is_empty() && !n.trim().is_empty())
            .map(|(c, n)| Designation {
                college: c.trim().to_uppercase(),
                registration_number: n.trim().to_owned(),
            })
            .collect(),
        password: form.get("new_password").cloned().unwrap_or_default(),
        online_questions: qa(&w.online),
        desk_questions: qa(&w.desk),
        phones: w
            .phones
            .iter()
            .filter(|(n, _)| !n.trim().is_empty())
            .map(|(n, k)| (n.clone(), PhoneKind::parse(k).unwrap_or(PhoneKind::Mobile)))
            .collect(),
        no_direct_number: w.no_direct,
        ..NewAccount::default()
    };
    // One completion per wizard at a time: a second submission (a double click) waits for
    // the first and shows its outcome.
    let lock = format!("{}:finishing", state_key(token));
    match p.store.put_if_absent(&lock, b"1", 60).await {
        Ok(true) => {}
        Ok(false) => {
            for _ in 0..100 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                if let Ok(Some((_, again))) = load(p, headers).await {
                    if again.done.is_some() {
                        return see_other(&format!(
                            "/register/complete?ui_locales={}",
                            locale.tag()
                        ));
                    }
                }
                if matches!(p.store.get(&lock).await, Ok(None)) {
                    break;
                }
            }
            return see_other(&format!("/register/password?ui_locales={}", locale.tag()));
        }
        Err(e) => return PageError::internal(locale, e).into_response(),
    }
    let outcome = p
        .registration
        .complete(&h, new, &p.signup.agreement_version)
        .await;
    if outcome.is_err() {
        let _ = p.store.delete(&lock).await;
    }
    match outcome {
        Ok(c) => {
            w.done = Some(Done {
                login_id: c.login_id,
                services: c.services.into_iter().map(|s| (s.name, s.url)).collect(),
            });
            w.reached = steps(&p.signup).len();
            // Answers are not needed any more: forget them before saving.
            w.online.clear();
            w.desk.clear();
            if let Err(e) = save(p, token, &w).await {
                return PageError::internal(locale, e).into_response();
            }
            let detail = format!("registry={} member={}", h.registry_id, h.member_id);
            audit(
                p,
                "registration.completed",
                Some(&c.account_id),
                ip,
                &detail,
            )
            .await;
            see_other(&format!("/register/complete?ui_locales={}", locale.tag()))
        }
        Err(RegistrationError::AlreadyRegistered) => {
            // A second submission (or another hand-off) won the race: if it was this very
            // wizard, show its outcome; otherwise the welcome page.
            if let Ok(Some((_, again))) = load(p, headers).await {
                if again.done.is_some() {
                    return see_other("/register/complete");
                }
            }
            // The state is left to expire, not deleted: when the winner is this very wizard
            // (a double-submitted last step), it may be saving its outcome right now, and a
            // delete here would lose the completion page (and the login ID on it).
            see_other(&format!("/register/welcome?ui_locales={}", locale.tag()))
        }
        Err(RegistrationError::Account(CredentialError::Policy(broken))) => {
            for b in broken {
                v.field_error("new_password", b.message(locale));
            }
            send(p, headers, locale, &v, StatusCode::BAD_REQUEST)
        }
        Err(RegistrationError::Account(CredentialError::DesignationTaken)) => {
            v.errors.push((String::new(), s.designation_race.into()));
            send(p, headers, locale, &v, StatusCode::CONFLICT)
        }
        Err(RegistrationError::MemberTerminated) => {
            let _ = p.store.delete(&state_key(token)).await;
            let detail = format!(
                "{} registry={} member={} at=completion",
                RegistrationError::MemberTerminated.code(),
                h.registry_id,
                h.member_id
            );
            audit(p, "registration.refused", None, ip, &detail).await;
            member_terminated(p, headers, locale)
        }
        Err(
            e @ (RegistrationError::RegistrySuspended
            | RegistrationError::RegistryTerminated
            | RegistrationError::OutsideApproval),
        ) => {
            let _ = p.store.delete(&state_key(token)).await;
            tracing::warn!(reason = e.code(), "registration refused at completion");
            message_page(
                p,
                headers,
                locale,
                s.refused_title,
                s.refused_registry,
                StatusCode::FORBIDDEN,
            )
        }
        Err(RegistrationError::Account(CredentialError::Invalid(f))) => {
            // A step's rule the server already checked, so only a stale state gets here.
            v.errors.push((
                String::new(),
                web::widgets::field_message(AccountText::get(locale), f).into(),
            ));
            send(p, headers, locale, &v, StatusCode::BAD_REQUEST)
        }
        Err(e) => PageError::internal(locale, e).into_response(),
    }
}
