//! Self-service behind login: My Profile (view and edit), change password, and challenge
//! questions and phones (which need a recent sign-in). Every form carries the anti-forgery
//! token; bad input is shown beside its field and changes nothing.

use crate::account_text::AccountText;
use crate::authorize::start_console_login;
use crate::error::PageError;
use crate::forms::{self, Field, Fieldset, Form, Section, View};
use crate::http::{csrf_token, parse_query, Params};
use crate::session::{self, SsoSession};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::{
    Account, AccountStatus, ChallengeError, ChallengeProblem, CredentialError, Field as AField,
    PhoneKind, PhoneProblem, PolicyViolation, ProfileUpdate, QuestionAnswer, DESK_QUESTIONS,
    MAX_PHONES, ONLINE_QUESTIONS, QUESTIONS,
};
use platform::audit::AuditEvent;
use platform::Locale;
use std::sync::Arc;

/// Who is signed in, and in which language to answer.
pub(crate) struct Me {
    pub account: Account,
    pub session: SsoSession,
    pub locale: Locale,
}

/// How sure a page must be that the person at the keyboard is the account holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// A live session is enough.
    Session,
    /// A sensitive change: a step-up within `stepup.recent_secs` (or, for an account with
    /// nothing to step up with, or when step-up is for relying parties only, a sign-in that
    /// recent).
    Sensitive,
    /// A change to the second factors (phones, authenticator app): as `Sensitive`, but for a
    /// staff account as `Staff`, so that a password alone (which the service desk could have
    /// reset) never adds a factor to an account that opens a console.
    Factor,
    /// Staff work (the service desk): a step-up with a phone or an authenticator app within
    /// `stepup.recent_secs`, whatever the step-up policy; an account with neither is turned
    /// away.
    Staff,
}

mod devices;
mod security;
mod totp;

pub use devices::{devices, devices_post};
use security::{audit_change, left_without_factor};
pub(crate) use security::{phone_rows, question_rows};
pub use security::{security, security_post};
pub use totp::{totp, totp_post};

/// Step-up methods that prove possession (a phone, an authenticator app), not knowledge.
pub(crate) fn possession(m: &crate::stepup::Method) -> bool {
    !matches!(m, crate::stepup::Method::Kba)
}

/// True when the session was stepped up recently with a phone or an authenticator app.
pub(crate) fn stepped_up_with_possession(p: &Provider, s: &SsoSession) -> bool {
    let now = p.clock.now();
    s.mfa_at.is_some_and(|t| now - t <= p.stepup.recent_secs)
        && s.amr
            .iter()
            .any(|m| matches!(m.as_str(), "otp" | "sms" | "tel"))
}

/// The signed-in person, or the response that sends them to sign in (or to step up).
pub(crate) async fn me(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
    return_to: &str,
    guard: Guard,
) -> Result<Me, Response> {
    let asked = params.get("ui_locales").map(String::as_str);
    let accept = crate::http::locale(headers, asked);
    let live = session::signed_in(p, headers)
        .await
        .map_err(|e| PageError::internal(accept, e).into_response())?;
    let Some((key, s, account)) = live else {
        return Err(start_console_login(p, accept, return_to).await);
    };
    let locale = match asked {
        Some(a) => Locale::negotiate(Some(a), None),
        None => Locale::parse(&account.locale).unwrap_or(accept),
    };
    // Where a step-up comes back to: this page, in the language asked for.
    let back = || match asked {
        Some(l) => format!("{return_to}?ui_locales={l}"),
        None => return_to.to_owned(),
    };
    let guard = match guard {
        Guard::Factor => match p.accounts.is_staff(&account.id).await {
            Ok(true) => Guard::Staff,
            Ok(false) => Guard::Sensitive,
            Err(e) => return Err(PageError::internal(locale, e).into_response()),
        },
        g => g,
    };
    if guard == Guard::Staff && !stepped_up_with_possession(p, &s) {
        let mut methods = crate::stepup::methods_of(p, &account).await?;
        methods.retain(possession);
        if methods.is_empty() {
            let a = AccountText::get(locale);
            let v = View {
                title: a.staff_factor_title.into(),
                errors: vec![(String::new(), a.staff_needs_factor.into())],
                ..View::default()
            };
            return Err(send(p, headers, locale, &v, StatusCode::FORBIDDEN));
        }
        return Err(step_up_session(p, headers, &account, &s, key, back(), methods, locale).await);
    }
    if guard == Guard::Sensitive {
        let now = p.clock.now();
        let recent = p.stepup.recent_secs;
        let stepped_up = s.mfa_at.is_some_and(|t| now - t <= recent);
        if !stepped_up {
            let methods = if p.stepup.policy == step_up::Policy::RelyingPartyOnly {
                Vec::new()
            } else {
                crate::stepup::methods_of(p, &account).await?
            };
            if !methods.is_empty() {
                return Err(step_up_session(
                    p,
                    headers,
                    &account,
                    &s,
                    key,
                    back(),
                    methods,
                    locale,
                )
                .await);
            }
            if now - s.auth_time > recent {
                return Err(start_console_login(p, locale, return_to).await);
            }
        }
    }
    Ok(Me {
        account,
        session: s,
        locale,
    })
}

/// Starts a step-up of the live session `key` with `methods`, coming back to `back`.
#[allow(clippy::too_many_arguments)]
async fn step_up_session(
    p: &Provider,
    headers: &HeaderMap,
    account: &Account,
    s: &SsoSession,
    key: String,
    back: String,
    methods: Vec<crate::stepup::Method>,
    locale: Locale,
) -> Response {
    crate::stepup::begin(
        p,
        headers,
        crate::stepup::Pending {
            account_id: account.id.clone(),
            amr: s.amr.clone(),
            session_key: Some(key),
            return_to: Some(back),
            methods,
            locale,
            ..Default::default()
        },
    )
    .await
}

fn nav(a: &AccountText, locale: Locale) -> Vec<(String, String)> {
    let l = locale.tag();
    vec![
        (format!("/account?ui_locales={l}"), a.nav_profile.into()),
        (
            format!("/account/password?ui_locales={l}"),
            a.nav_password.into(),
        ),
        (
            format!("/account/security?ui_locales={l}"),
            a.nav_security.into(),
        ),
        (format!("/account/totp?ui_locales={l}"), a.nav_totp.into()),
        (
            format!("/account/devices?ui_locales={l}"),
            a.nav_devices.into(),
        ),
        ("/logout".into(), a.nav_sign_out.into()),
    ]
}

fn lang_href(path: &str, locale: Locale) -> Option<String> {
    Some(format!("{path}?ui_locales={}", locale.other().tag()))
}

/// Sends a page with the anti-forgery cookie minted if the browser has none.
pub(crate) fn send(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    v: &View,
    status: StatusCode,
) -> Response {
    let (csrf, set) = csrf_token(p, headers);
    let mut r = forms::render(locale, v, &csrf, status);
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// A date (UTC) from unix seconds, `YYYY-MM-DD`.
pub(crate) fn date(ts: i64) -> String {
    // Civil-from-days (H. Hinnant).
    let z = ts.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// A time (UTC) from unix seconds, `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn datetime(ts: i64) -> String {
    let s = ts.rem_euclid(86_400);
    format!("{} {:02}:{:02} UTC", date(ts), s / 3600, (s % 3600) / 60)
}

/// The status in words.
pub(crate) fn status_text(a: &AccountText, s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => a.status_active,
        AccountStatus::Locked => a.status_locked,
        AccountStatus::Suspended => a.status_suspended,
        AccountStatus::Terminated => a.status_terminated,
    }
}

/// The message for a bad account field.
pub(crate) fn field_message(a: &AccountText, f: AField) -> &'static str {
    match f {
        AField::Email => a.bad_email,
        AField::Phone => a.bad_phone,
        AField::BirthDate => a.bad_date,
        AField::Locale => a.bad_language,
        _ => a.bad_name,
    }
}

/// The password rules as a list, each in the reader's language.
pub(crate) fn rules(locale: Locale) -> Vec<(String, String)> {
    PolicyViolation::ALL
        .iter()
        .map(|v| (v.code().to_owned(), v.message(locale).to_owned()))
        .collect()
}

// ---------------------------------------------------------------- My Profile

/// What My Profile shows besides the account row.
pub(crate) struct Extras {
    designations: Vec<credential_store::Designation>,
    /// Names of the services the account is enrolled in.
    services: Vec<String>,
    /// The agreement's text in the reader's language, when the version accepted is the one
    /// configured now.
    agreement_text: Option<String>,
}

async fn extras(p: &Provider, me: &Me) -> Result<Extras, String> {
    let (d, e) = tokio::join!(
        p.accounts.designations(&me.account.id),
        p.registration.directory.enrolments(&me.account.id)
    );
    let agreement_text = (me.account.agreement_version.as_deref()
        == Some(p.signup.agreement_version.as_str()))
    .then(|| match me.locale {
        Locale::Fr => p.signup.agreement_fr.clone(),
        Locale::En => p.signup.agreement_en.clone(),
    });
    Ok(Extras {
        designations: d.map_err(|e| e.to_string())?,
        services: e
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|e| e.service.name)
            .collect(),
        agreement_text,
    })
}

fn profile_view(me: &Me, extras: &Extras) -> View {
    let a = AccountText::get(me.locale);
    let acc = &me.account;
    let none = || a.none.to_owned();
    let designations = &extras.designations;
    let designations = if designations.is_empty() {
        none()
    } else {
        designations
            .iter()
            .map(|d| format!("{} {}", d.college, d.registration_number))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let agreement = match (&acc.agreement_version, acc.agreement_accepted_at) {
        (Some(v), Some(at)) => format!("{v} ({})", date(at)),
        _ => a.agreement_none.to_owned(),
    };
    // Middle names too, when a registry vouched for them.
    let legal = acc.legal_name();
    let facts = Section {
        heading: Some(a.profile_facts.into()),
        rows: vec![
            (a.login_id.into(), acc.login_id.clone()),
            (a.legal_name.into(), legal.trim().to_owned()),
            (
                a.birth_date.into(),
                acc.birth_date.clone().unwrap_or_else(none),
            ),
            (a.assurance.into(), format!("AL{}", acc.assurance_level)),
            (a.designations.into(), designations),
            (a.agreement.into(), agreement),
            (
                a.services.into(),
                if extras.services.is_empty() {
                    a.services_none.into()
                } else {
                    extras.services.join("\n")
                },
            ),
            (a.status.into(), status_text(a, acc.status).into()),
            (a.password_changed.into(), date(acc.password_changed_at)),
        ],
    };
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let form = Form {
        id: Some("profile".into()),
        action: format!("/account?ui_locales={}", me.locale.tag()),
        fieldsets: vec![Fieldset {
            button: None,
            legend: Some(a.profile_edit.into()),
            hint: None,
            fields: vec![
                Field::new("text", "title", a.title, &v(&acc.title)).auto("honorific-prefix"),
                Field::new("text", "given_name", a.given_name, &acc.given_name)
                    .required()
                    .auto("given-name"),
                Field::new("text", "middle_name", a.middle_name, &v(&acc.middle_name))
                    .auto("additional-name"),
                Field::new("text", "family_name", a.family_name, &acc.family_name)
                    .required()
                    .auto("family-name"),
                Field::new("email", "email", a.email, &v(&acc.email)).auto("email"),
                Field::new(
                    "tel",
                    "phone",
                    a.phone,
                    &acc.phone
                        .as_deref()
                        .map(credential_store::display_phone)
                        .unwrap_or_default(),
                )
                .hint(a.phone_hint)
                .auto("tel"),
                Field::new("select", "locale", a.language, &acc.locale).options(vec![
                    ("en".into(), a.english.into()),
                    ("fr".into(), a.french.into()),
                ]),
            ],
        }],
        submit: a.save.into(),
        ..Form::default()
    };
    let mut sections = vec![facts];
    if let (Some(text), Some(v)) = (&extras.agreement_text, &acc.agreement_version) {
        sections.push(Section {
            heading: Some(format!("{} ({v})", a.agreement)),
            rows: vec![(String::new(), text.clone())],
        });
    }
    View {
        title: a.profile_title.into(),
        other_lang_href: lang_href("/account", me.locale),
        nav: nav(a, me.locale),
        sections,
        forms: vec![form],
        ..View::default()
    }
}

/// GET /account
pub async fn profile(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = match me(&p, &headers, &params, "/account", Guard::Session).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let d = match extras(&p, &me).await {
        Ok(d) => d,
        Err(e) => return PageError::internal(me.locale, e).into_response(),
    };
    send(
        &p,
        &headers,
        me.locale,
        &profile_view(&me, &d),
        StatusCode::OK,
    )
}

/// POST /account
pub async fn profile_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let mut me = match me(&p, &headers, &params, "/account", Guard::Session).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match crate::forms::checked(&p, &headers, &body, me.locale) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let f = |k: &str| form.get(k).cloned();
    let u = ProfileUpdate {
        title: f("title"),
        given_name: f("given_name").unwrap_or_default(),
        middle_name: f("middle_name"),
        family_name: f("family_name").unwrap_or_default(),
        email: f("email"),
        phone: f("phone"),
        locale: f("locale").unwrap_or_default(),
    };
    let d = match extras(&p, &me).await {
        Ok(d) => d,
        Err(e) => return PageError::internal(me.locale, e).into_response(),
    };
    match p.accounts.update_profile(&me.account.id, &u).await {
        Ok(updated) => {
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "account.profile_updated",
                    actor: Some(&updated.id),
                    subject: Some(&updated.id),
                    ..Default::default()
                })
                .await;
            // Answer in the language just chosen, unless the page asked for one.
            if !params.contains_key("ui_locales") || updated.locale != me.account.locale {
                me.locale = Locale::parse(&updated.locale).unwrap_or(me.locale);
            }
            me.account = updated;
            let mut v = profile_view(&me, &d);
            v.notice = Some(AccountText::get(me.locale).saved.into());
            send(&p, &headers, me.locale, &v, StatusCode::OK)
        }
        Err(CredentialError::Invalid(field)) => {
            // Show what was typed, with the message beside the bad field; nothing is saved.
            let a = AccountText::get(me.locale);
            let mut typed = me.account.clone();
            typed.title = u.title.clone();
            typed.given_name = u.given_name.clone();
            typed.middle_name = u.middle_name.clone();
            typed.family_name = u.family_name.clone();
            typed.email = u.email.clone();
            typed.phone = u.phone.clone();
            typed.locale = u.locale.clone();
            let typed_me = Me {
                account: typed,
                session: me.session.clone(),
                locale: me.locale,
            };
            let mut v = profile_view(&typed_me, &d);
            // The phone as typed, not reformatted.
            v.set_value("phone", u.phone.as_deref().unwrap_or(""));
            let msg = match field {
                AField::GivenName | AField::FamilyName
                    if form.get(field.name()).is_none_or(|s| s.trim().is_empty()) =>
                {
                    a.required
                }
                other => field_message(a, other),
            };
            v.field_error(field.name(), msg);
            send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST)
        }
        Err(e) => PageError::internal(me.locale, e).into_response(),
    }
}

// ---------------------------------------------------------------- change password

/// The fields of a new-password form (with or without the current password).
pub(crate) fn password_form(
    locale: Locale,
    action: String,
    with_current: bool,
    hidden: Vec<(String, String)>,
) -> Form {
    let a = AccountText::get(locale);
    let mut fields = Vec::new();
    if with_current {
        fields.push(
            Field::new("password", "current_password", a.current_password, "")
                .required()
                .auto("current-password"),
        );
    }
    fields.push(
        Field::new("password", "new_password", a.new_password, "")
            .required()
            .auto("new-password"),
    );
    fields.push(
        Field::new("password", "confirm_password", a.confirm_password, "")
            .required()
            .auto("new-password"),
    );
    Form {
        id: Some("password".into()),
        action,
        hidden,
        fieldsets: vec![Fieldset {
            fields,
            ..Fieldset::default()
        }],
        rules_heading: a.password_rules.into(),
        rules: rules(locale),
        submit: a.change_password.into(),
        ..Form::default()
    }
}

/// Puts the outcome of a failed password change on the view; `None` when the error is not
/// the person's to fix.
pub(crate) fn password_errors(locale: Locale, v: &mut View, e: &CredentialError) -> bool {
    let a = AccountText::get(locale);
    match e {
        CredentialError::Policy(broken) => {
            for b in broken {
                v.field_error("new_password", b.message(locale));
            }
            true
        }
        CredentialError::Reused => {
            v.field_error("new_password", a.password_reused);
            true
        }
        CredentialError::WrongPassword => {
            v.field_error("current_password", a.wrong_current_password);
            true
        }
        _ => false,
    }
}

fn password_view(locale: Locale) -> View {
    let a = AccountText::get(locale);
    View {
        title: a.password_title.into(),
        other_lang_href: lang_href("/account/password", locale),
        nav: nav(a, locale),
        forms: vec![password_form(
            locale,
            format!("/account/password?ui_locales={}", locale.tag()),
            true,
            Vec::new(),
        )],
        ..View::default()
    }
}

/// GET /account/password
pub async fn password(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = match me(&p, &headers, &params, "/account/password", Guard::Sensitive).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    send(
        &p,
        &headers,
        me.locale,
        &password_view(me.locale),
        StatusCode::OK,
    )
}

/// POST /account/password
pub async fn password_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = match me(&p, &headers, &params, "/account/password", Guard::Sensitive).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match crate::forms::checked(&p, &headers, &body, me.locale) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let a = AccountText::get(me.locale);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let mut v = password_view(me.locale);
    if get("current_password").is_empty() {
        v.field_error("current_password", a.required);
    }
    new_password_typed(&mut v, a, &form);
    if get("current_password").len() > 1024 || get("new_password").len() > 1024 {
        v.field_error("new_password", PolicyViolation::TooLong.message(me.locale));
    }
    if !v.errors.is_empty() {
        return send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST);
    }
    match p
        .accounts
        .set_password(
            &me.account.id,
            Some(get("current_password")),
            get("new_password"),
            false,
        )
        .await
    {
        Ok(()) => {
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "account.password_changed",
                    actor: Some(&me.account.id),
                    subject: Some(&me.account.id),
                    session_id: Some(&me.session.sid),
                    ..Default::default()
                })
                .await;
            let mut v = password_view(me.locale);
            v.notice = Some(a.password_changed_done.into());
            send(&p, &headers, me.locale, &v, StatusCode::OK)
        }
        Err(e) if password_errors(me.locale, &mut v, &e) => {
            if matches!(e, CredentialError::WrongPassword) {
                let _ = p
                    .audit
                    .record(AuditEvent {
                        event: "account.password_change_failed",
                        actor: Some(&me.account.id),
                        subject: Some(&me.account.id),
                        detail: Some("wrong_current_password"),
                        ..Default::default()
                    })
                    .await;
            }
            send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST)
        }
        Err(e) => PageError::internal(me.locale, e).into_response(),
    }
}

// ---------------------------------------------------------------- shared by the challenge pages

/// Checks the new-password fields of a form: given, and typed the same twice. Puts the
/// message beside the field and returns false when they are not.
pub(crate) fn new_password_typed(v: &mut View, a: &AccountText, form: &Params) -> bool {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("new_password").is_empty() {
        v.field_error("new_password", a.required);
        false
    } else if get("new_password") != get("confirm_password") {
        v.field_error("confirm_password", a.passwords_differ);
        false
    } else {
        true
    }
}

/// One answer field per challenge question asked (`answer0`, `answer1`, ...).
pub(crate) fn question_fields(locale: Locale, questions: &[String]) -> Vec<Field> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let text = credential_store::question(q)
                .map(|q| q.text(locale))
                .unwrap_or("");
            Field::new("text", &format!("answer{i}"), text, "")
                .required()
                .auto("off")
        })
        .collect()
}

/// The answers typed into `question_fields`, bounded in length.
pub(crate) fn typed_answers(form: &Params, questions: &[String]) -> Vec<QuestionAnswer> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| QuestionAnswer {
            question_id: q.clone(),
            answer: form
                .get(&format!("answer{i}"))
                .map(|a| a.chars().take(200).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Two of `from`, chosen at random (fewer when `from` has fewer).
pub(crate) fn pick_two(from: &[String]) -> Vec<String> {
    let mut pool = from.to_vec();
    let mut out = Vec::new();
    for b in platform::crypto::random_bytes(2) {
        if pool.is_empty() {
            break;
        }
        out.push(pool.remove(usize::from(b) % pool.len()));
    }
    out
}

/// After a page that needs a fresh sign-in, where to go.
pub fn local_return(path: &str) -> Option<&str> {
    // The console's home is `/admin` (with or without a query or a trailing slash).
    let ok = (path == "/admin"
        || [
            "/admin/",
            "/admin?",
            "/account",
            "/desk",
            "/lra",
            "/saml/continue?",
        ]
        .iter()
        .any(|p| path.starts_with(p)))
        && !path.contains("//")
        && !path.contains('\\');
    ok.then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_unix_seconds() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_795_000_000), "2026-11-18");
    }

    #[test]
    fn only_local_console_paths_are_returned_to() {
        assert_eq!(local_return("/account/security"), Some("/account/security"));
        assert_eq!(local_return("/admin"), Some("/admin"));
        assert_eq!(
            local_return("/admin?ui_locales=fr"),
            Some("/admin?ui_locales=fr")
        );
        assert_eq!(local_return("/admin/"), Some("/admin/"));
        assert_eq!(local_return("/administrator"), None);
        assert_eq!(local_return("//evil.example/account"), None);
        assert_eq!(local_return("https://evil.example/"), None);
        assert_eq!(local_return("/accountx//x"), None);
    }
}
