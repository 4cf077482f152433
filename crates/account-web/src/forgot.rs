//! Forgotten login ID and forgotten password, from the login page.
//!
//! Forgot login ID: legal name + date of birth + email; when they match an account, its login
//! ID is mailed to that address. The page answers the same whether or not anything matched,
//! and the mail is sent in the background so the timing does not tell either.
//!
//! Forgot password: the login ID, then two of the account's three online questions (the same
//! two for a day, so asking again reveals nothing; an unknown login ID gets two questions
//! too), then a new password under the policy. Wrong answers count toward the account's
//! lockout. Success ends every session and refresh token of the account. The reset's state
//! and rules are `credential_store::reset`; here are the pages.

use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credential_store::reset::{Answered, Resets, Started};
use credential_store::{valid_birth_date, valid_email, CredentialError};
use platform::audit::AuditEvent;
use platform::{Locale, Mail};
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebResult};
use web::forms::{Field, Fieldset, Form, View};
use web::http::{ClientIp, PageLocale};
use web::widgets::send;

// ---------------------------------------------------------------- forgot login ID

fn login_id_view(locale: Locale) -> View {
    let a = AccountText::get(locale);
    View {
        title: a.forgot_login_id.trim_end_matches('?').into(),
        other_lang_href: Some(format!(
            "/forgot-login-id?ui_locales={}",
            locale.other().tag()
        )),
        intro: vec![a.forgot_login_id_intro.into()],
        forms: vec![Form {
            id: Some("forgot-login-id".into()),
            action: format!("/forgot-login-id?ui_locales={}", locale.tag()),
            fieldsets: vec![Fieldset {
                fields: vec![
                    Field::new("text", "legal_given_name", a.legal_given_name, "")
                        .required()
                        .auto("given-name"),
                    Field::new("text", "legal_family_name", a.legal_family_name, "")
                        .required()
                        .auto("family-name"),
                    Field::new("text", "birth_date", a.birth_date, "")
                        .required()
                        .hint(a.birth_date_hint)
                        .auto("bday"),
                    Field::new("email", "email", a.email, "")
                        .required()
                        .auto("email"),
                ],
                ..Fieldset::default()
            }],
            submit: a.send.into(),
            ..Form::default()
        }],
        ..View::default()
    }
}

/// GET /forgot-login-id
#[tracing::instrument(skip_all)]
pub async fn login_id(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    PageLocale(locale): PageLocale,
) -> WebResult {
    Ok(send(
        &p,
        &headers,
        locale,
        &login_id_view(locale),
        StatusCode::OK,
    ))
}

/// POST /forgot-login-id
#[tracing::instrument(skip_all)]
pub async fn login_id_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    PageLocale(locale): PageLocale,
    body: Bytes,
) -> WebResult {
    let a = AccountText::get(locale);
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let get = |k: &str| form.get(k).map(|s| s.trim()).unwrap_or("");
    let mut v = login_id_view(locale);
    for (name, value) in [
        ("legal_given_name", get("legal_given_name")),
        ("legal_family_name", get("legal_family_name")),
        ("birth_date", get("birth_date")),
        ("email", get("email")),
    ] {
        v.set_value(name, value);
        if value.is_empty() {
            v.field_error(name, a.required);
        } else if value.len() > 254 {
            v.field_error(name, a.bad_name);
        }
    }
    if !get("birth_date").is_empty() && !valid_birth_date(get("birth_date")) {
        v.field_error("birth_date", a.bad_date);
    }
    if !get("email").is_empty() && !valid_email(get("email")) {
        v.field_error("email", a.bad_email);
    }
    if !v.errors.is_empty() {
        return Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST));
    }
    if web::limits::over(&p, "forgot-ip", &ip, p.cfg.forgot_limit_per_address)
        .await
        .or_page(locale)?
    {
        return Ok(web::limits::too_many(&p, &headers, locale));
    }
    let found = p
        .accounts
        .find_by_identity(
            get("legal_given_name"),
            get("legal_family_name"),
            get("birth_date"),
            get("email"),
        )
        .await
        .or_page(locale)?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "account.login_id_reminder",
            subject: found.as_ref().map(|a| a.id.as_str()),
            source: Some(&ip),
            detail: Some(if found.is_some() { "sent" } else { "no_match" }),
            ..Default::default()
        })
        .await;
    if let Some(account) = found {
        if let Some(to) = account.email.clone() {
            // In the person's own language; sent in the background so that the answer's
            // timing is the same whether or not an account matched.
            let l = Locale::parse(&account.locale).unwrap_or(locale);
            let at = AccountText::get(l);
            let mail = Mail {
                to,
                subject: at.mail_login_id_subject.into(),
                body: at
                    .mail_login_id_body
                    .replace("{name}", &account.display_name())
                    .replace("{login_id}", &account.login_id),
            };
            let mailer = p.mailer.clone();
            tokio::spawn(async move {
                if let Err(e) = mailer.send(mail).await {
                    tracing::warn!(error = %e, "login ID reminder not sent");
                }
            });
        }
    }
    let v = View {
        title: a.forgot_login_id.trim_end_matches('?').into(),
        notice: Some(a.forgot_login_id_sent.into()),
        links: signed_out_links(locale),
        ..View::default()
    };
    Ok(send(&p, &headers, locale, &v, StatusCode::OK))
}

/// Where the end of a forgotten login ID or password leads: signing in, and home.
fn signed_out_links(locale: Locale) -> Vec<(String, String)> {
    let a = AccountText::get(locale);
    let tag = locale.tag();
    vec![
        (format!("/account?ui_locales={tag}"), a.home_profile.into()),
        (
            format!("/?ui_locales={tag}"),
            locale.text().home_link.into(),
        ),
    ]
}

// ---------------------------------------------------------------- forgot password

fn start_view(locale: Locale) -> View {
    let a = AccountText::get(locale);
    View {
        title: a.forgot_password.trim_end_matches('?').into(),
        other_lang_href: Some(format!(
            "/forgot-password?ui_locales={}",
            locale.other().tag()
        )),
        intro: vec![a.forgot_password_intro.into()],
        forms: vec![Form {
            id: Some("forgot-password".into()),
            action: format!("/forgot-password?ui_locales={}", locale.tag()),
            hidden: vec![("step".into(), "start".into())],
            fieldsets: vec![Fieldset {
                fields: vec![Field::new("text", "login_id", locale.text().login_id, "")
                    .required()
                    .hint(locale.text().login_id_hint)
                    .auto("username")],
                ..Fieldset::default()
            }],
            submit: a.next.into(),
            ..Form::default()
        }],
        ..View::default()
    }
}

fn questions_view(locale: Locale, token: &str, questions: &[String]) -> View {
    let a = AccountText::get(locale);
    let fields = web::widgets::question_fields(locale, questions);
    View {
        title: a.forgot_password.trim_end_matches('?').into(),
        intro: vec![a.forgot_password_questions.into()],
        forms: vec![Form {
            id: Some("reset-questions".into()),
            action: format!("/forgot-password?ui_locales={}", locale.tag()),
            hidden: vec![
                ("step".into(), "answers".into()),
                ("reset".into(), token.to_owned()),
            ],
            fieldsets: vec![Fieldset {
                fields,
                ..Fieldset::default()
            }],
            submit: a.next.into(),
            ..Form::default()
        }],
        ..View::default()
    }
}

/// [`web::widgets::personal_parts`] of the account being reset (none when unknown).
async fn personal_of(p: &Provider, account_id: Option<&str>) -> String {
    match account_id {
        Some(id) => match p.accounts.find_by_id(id).await {
            Ok(Some(a)) => web::widgets::personal_parts(&a.login_id, &a.names()),
            _ => String::new(),
        },
        None => String::new(),
    }
}

fn new_password_view(locale: Locale, token: &str, personal: String) -> View {
    let a = AccountText::get(locale);
    View {
        title: a.forgot_password.trim_end_matches('?').into(),
        intro: vec![a.choose_new_password.into()],
        forms: vec![web::widgets::password_form(
            locale,
            format!("/forgot-password?ui_locales={}", locale.tag()),
            false,
            vec![
                ("step".into(), "password".into()),
                ("reset".into(), token.to_owned()),
            ],
            personal,
        )],
        script: Some(web::widgets::PASSWORD_SCRIPT),
        ..View::default()
    }
}

/// GET /forgot-password
#[tracing::instrument(skip_all)]
pub async fn password(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    PageLocale(locale): PageLocale,
) -> WebResult {
    Ok(send(
        &p,
        &headers,
        locale,
        &start_view(locale),
        StatusCode::OK,
    ))
}

/// POST /forgot-password (step = start | answers | password)
#[tracing::instrument(skip_all)]
pub async fn password_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    PageLocale(locale): PageLocale,
    body: Bytes,
) -> WebResult {
    let a = AccountText::get(locale);
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let resets = Resets::new(p.store.as_ref(), &p.accounts);
    match get("step") {
        "start" => {
            let login_id = get("login_id").trim();
            if login_id.is_empty() || login_id.len() > 256 {
                let mut v = start_view(locale);
                v.field_error("login_id", a.required);
                return Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST));
            }
            let (by_ip, by_id) = tokio::join!(
                web::limits::over(&p, "forgot-ip", &ip, p.cfg.forgot_limit_per_address),
                web::limits::over(&p, "forgot-id", login_id, p.cfg.forgot_limit_per_address)
            );
            if by_ip.or_page(locale)? | by_id.or_page(locale)? {
                return Ok(web::limits::too_many(&p, &headers, locale));
            }
            let Started { token, reset } = resets.start(login_id).await.or_page(locale)?;
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "account.password_reset_started",
                    subject: reset.account_id.as_deref(),
                    source: Some(&ip),
                    detail: Some(if reset.account_id.is_some() {
                        "questions"
                    } else {
                        "no_account_or_questions"
                    }),
                    ..Default::default()
                })
                .await;
            let v = questions_view(locale, &token, &reset.questions);
            Ok(send(&p, &headers, locale, &v, StatusCode::OK))
        }
        "answers" => {
            let token = get("reset");
            let Some(reset) = resets.load(token).await else {
                return Ok(expired(&p, &headers, locale));
            };
            let personal = personal_of(&p, reset.account_id.as_deref()).await;
            let v = new_password_view(locale, token, personal);
            if reset.verified {
                return Ok(send(&p, &headers, locale, &v, StatusCode::OK));
            }
            let answers = web::widgets::typed_answers(&form, &reset.questions);
            let questions = reset.questions.clone();
            let account_id = reset.account_id.clone();
            let answered = resets
                .answer(token, reset, &answers)
                .await
                .or_page(locale)?;
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "account.password_reset_answers",
                    subject: account_id.as_deref(),
                    source: Some(&ip),
                    detail: Some(answered.detail()),
                    ..Default::default()
                })
                .await;
            match answered {
                Answered::Right => Ok(send(&p, &headers, locale, &v, StatusCode::OK)),
                Answered::Over(_) => Ok(expired(&p, &headers, locale)),
                Answered::Wrong => {
                    let mut v = questions_view(locale, token, &questions);
                    v.errors.push((String::new(), a.answers_wrong.into()));
                    Ok(send(&p, &headers, locale, &v, StatusCode::UNAUTHORIZED))
                }
            }
        }
        "password" => {
            let token = get("reset");
            let Some(account_id) = resets
                .load(token)
                .await
                .filter(|r| r.verified)
                .and_then(|r| r.account_id)
            else {
                return Ok(expired(&p, &headers, locale));
            };
            let personal = personal_of(&p, Some(&account_id)).await;
            let mut v = new_password_view(locale, token, personal);
            if !web::widgets::new_password_typed(&mut v, a, &form) {
                return Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST));
            }
            let account_id = match resets.set_password(token, get("new_password")).await {
                Ok(Some(id)) => id,
                Ok(None) => return Ok(expired(&p, &headers, locale)),
                Err(e @ (CredentialError::Policy(_) | CredentialError::Reused)) => {
                    web::widgets::password_errors(locale, &mut v, &e);
                    return Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST));
                }
                Err(e) => return Err(PageError::internal(locale, e).into()),
            };
            // Whoever held the old password is out: every session and refresh token ends.
            let ended = p.accounts.end_sessions(&account_id).await;
            let revoked =
                authorization_server::grants::revoke_account_grants(&p, &account_id).await;
            ended.or_page(locale)?;
            revoked.or_page(locale)?;
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "account.password_reset",
                    actor: Some(&account_id),
                    subject: Some(&account_id),
                    source: Some(&ip),
                    ..Default::default()
                })
                .await;
            let v = View {
                title: a.forgot_password.trim_end_matches('?').into(),
                notice: Some(a.reset_done.into()),
                links: signed_out_links(locale),
                ..View::default()
            };
            Ok(send(&p, &headers, locale, &v, StatusCode::OK))
        }
        _ => Err(PageError::bad(locale, |t| t.bad_request).into()),
    }
}

fn expired(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let a = AccountText::get(locale);
    let mut v = start_view(locale);
    v.errors.push((String::new(), a.reset_expired.into()));
    send(p, headers, locale, &v, StatusCode::BAD_REQUEST)
}
