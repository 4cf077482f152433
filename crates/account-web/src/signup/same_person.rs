//! One person, one account, in the wizard: when the registry's legal name and date of birth
//! match an existing account, no second account is made. The member signs in with that
//! account (`/register/link`: the registration is added to it) or says it is not theirs
//! (`/register/hold`: held for the desk or an LRA). Signing in with another account holds it
//! too. Each outcome is audited by `registration`.

use super::pages::{expired, message_page};
use super::state::{drafts, load, save};
use crate::signup_text::SignupText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use platform::Locale;
use registration::wizard::Wizard;
use std::sync::Arc;
use web::error::{OrPage, PageError, WebResult};
use web::forms::{Form, View};
use web::http::{parse_query, ClientIp};
use web::signed_in::{me, Guard};
use web::widgets::send;

/// The choice, after the completion found the existing account `account_id` (kept in `w`).
pub(super) async fn choose(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    token: &str,
    w: &mut Wizard,
    account_id: String,
) -> WebResult {
    w.duplicate_of = Some(account_id);
    save(p, token, w).await.or_page(locale)?;
    let s = SignupText::get(locale);
    let tag = locale.tag();
    let v = View {
        title: s.same_title.into(),
        intro: vec![s.same_text.into()],
        links: vec![(
            format!("/register/link?ui_locales={tag}"),
            s.same_sign_in.into(),
        )],
        forms: vec![Form {
            id: Some("hold".into()),
            action: format!("/register/hold?ui_locales={tag}"),
            submit: s.same_not_mine.into(),
            ..Form::default()
        }],
        ..View::default()
    };
    Ok(send(p, headers, locale, &v, StatusCode::CONFLICT))
}

async fn held(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    token: &str,
    w: &Wizard,
    ip: &str,
) -> WebResult {
    let (Some(h), Some(account)) = (&w.h, &w.duplicate_of) else {
        return Err(PageError::bad(locale, |t| t.bad_request).into());
    };
    p.registration.hold(h, account, ip).await.or_page(locale)?;
    let _ = drafts(p).forget(token).await;
    let s = SignupText::get(locale);
    Ok(message_page(
        p,
        headers,
        locale,
        s.held_title,
        s.held_text,
        StatusCode::OK,
    ))
}

fn locale_of(headers: &HeaderMap, q: &Option<String>) -> Locale {
    let params = parse_query(q.clone().unwrap_or_default().as_bytes()).unwrap_or_default();
    web::http::locale(headers, params.get("ui_locales").map(String::as_str))
}

/// GET /register/link: signed in with the matching account, the registration is added to
/// it; signed in with another one, it is held.
#[tracing::instrument(skip_all)]
pub async fn link(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WebResult {
    let locale = locale_of(&headers, &q);
    let Some((token, w)) = load(&p, &headers).await.or_page(locale)? else {
        return Ok(expired(&p, &headers, locale));
    };
    let (Some(h), Some(account)) = (w.h.clone(), w.duplicate_of.clone()) else {
        return Err(PageError::bad(locale, |t| t.bad_request).into());
    };
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let signed = me(&p, &headers, &params, "/register/link", Guard::Session).await?;
    if signed.account.id != account {
        return held(&p, &headers, locale, &token, &w, &ip).await;
    }
    p.registration
        .link_existing(&h, &account, &account)
        .await
        .or_page(locale)?;
    let _ = drafts(&p).forget(&token).await;
    let s = SignupText::get(locale);
    let text = s
        .linked_text
        .replace("{login}", signed.account.login_id.as_str());
    Ok(message_page(
        &p,
        &headers,
        locale,
        s.linked_title,
        &text,
        StatusCode::OK,
    ))
}

/// POST /register/hold: the account is not the member's; the registration is held.
#[tracing::instrument(skip_all)]
pub async fn hold(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let locale = locale_of(&headers, &q);
    web::forms::checked(&p, &headers, &body, locale)?;
    let Some((token, w)) = load(&p, &headers).await.or_page(locale)? else {
        return Ok(expired(&p, &headers, locale));
    };
    held(&p, &headers, locale, &token, &w, &ip).await
}
