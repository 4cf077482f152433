//! Self-service behind login: My Profile (view and edit), change password, and challenge
//! questions and phones (which need a recent sign-in). Every form carries the anti-forgery
//! token; bad input is shown beside its field and changes nothing.

use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};

use credential_store::{
    Account, ChallengeError, ChallengeProblem, CredentialError, Field as AField, PhoneKind,
    PhoneProblem, PolicyViolation, ProfileUpdate, QuestionAnswer, DESK_QUESTIONS, MAX_PHONES,
    ONLINE_QUESTIONS,
};
use platform::audit::AuditEvent;
use platform::Locale;
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::parse_query;
use web::signed_in::{me, Guard, Me};
use web::widgets::{
    date, field_message, new_password_typed, password_errors, password_form, phone_rows,
    question_rows, send, status_text,
};

mod apps;
mod close;
mod devices;
mod passkeys;
mod security;
mod totp;

pub use apps::{apps, apps_post};
pub use close::{close, close_post};
pub use devices::{devices, devices_post};
pub use passkeys::{passkeys, passkeys_post};
use security::audit_change;

pub use security::{security, security_post};
pub use totp::{totp, totp_post};

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
            format!("/account/passkeys?ui_locales={l}"),
            a.nav_passkeys.into(),
        ),
        (
            format!("/account/devices?ui_locales={l}"),
            a.nav_devices.into(),
        ),
        (
            format!("/account/apps?ui_locales={l}"),
            apps::text(locale).nav.into(),
        ),
        ("/logout".into(), a.nav_sign_out.into()),
    ]
}

use web::widgets::lang_href;

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
            document: None,
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
        links: vec![(
            format!("/account/close?ui_locales={}", me.locale.tag()),
            a.close_title.into(),
        )],
        ..View::default()
    }
}

/// GET /account
#[tracing::instrument(skip_all)]
pub async fn profile(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account", Guard::Session).await?;
    let d = extras(&p, &me).await.or_page(me.locale)?;
    Ok(send(
        &p,
        &headers,
        me.locale,
        &profile_view(&me, &d),
        StatusCode::OK,
    ))
}

/// POST /account
#[tracing::instrument(skip_all)]
pub async fn profile_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let mut me = me(&p, &headers, &params, "/account", Guard::Session).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
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
    let d = extras(&p, &me).await.or_page(me.locale)?;
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
            Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
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
            // Every problem at once, not one per submit.
            let mut fields = u.problems();
            if fields.is_empty() {
                fields.push(field);
            }
            for field in fields {
                let msg = match field {
                    AField::GivenName | AField::FamilyName
                        if form.get(field.name()).is_none_or(|s| s.trim().is_empty()) =>
                    {
                        a.required
                    }
                    other => field_message(a, other),
                };
                v.field_error(field.name(), msg);
            }
            Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST))
        }
        Err(e) => Err(PageError::internal(me.locale, e).into()),
    }
}

// ---------------------------------------------------------------- change password

fn password_view(me: &Me) -> View {
    let locale = me.locale;
    let a = AccountText::get(locale);
    let acc = &me.account;
    View {
        title: a.password_title.into(),
        other_lang_href: lang_href("/account/password", locale),
        nav: nav(a, locale),
        forms: vec![password_form(
            locale,
            format!("/account/password?ui_locales={}", locale.tag()),
            true,
            Vec::new(),
            web::widgets::personal_parts(&acc.login_id, &acc.names()),
        )],
        script: Some(web::widgets::PASSWORD_SCRIPT),
        ..View::default()
    }
}

/// GET /account/password
#[tracing::instrument(skip_all)]
pub async fn password(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/password", Guard::Sensitive).await?;
    Ok(send(
        &p,
        &headers,
        me.locale,
        &password_view(&me),
        StatusCode::OK,
    ))
}

/// POST /account/password
#[tracing::instrument(skip_all)]
pub async fn password_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/password", Guard::Sensitive).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let a = AccountText::get(me.locale);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let mut v = password_view(&me);
    if get("current_password").is_empty() {
        v.field_error("current_password", a.required);
    }
    new_password_typed(&mut v, a, &form);
    if get("current_password").len() > 1024 || get("new_password").len() > 1024 {
        v.field_error("new_password", PolicyViolation::TooLong.message(me.locale));
    }
    if !v.errors.is_empty() {
        return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
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
            let mut v = password_view(&me);
            v.notice = Some(a.password_changed_done.into());
            Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
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
            Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST))
        }
        Err(e) => Err(PageError::internal(me.locale, e).into()),
    }
}
