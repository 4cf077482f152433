//! RP-initiated logout 1.0. With a valid `id_token_hint` for the browser's session the session
//! ends at once; otherwise the person confirms on a page (CSRF-protected). A
//! `post_logout_redirect_uri` must be registered for the client, exactly.

use crate::error::PageError;
use crate::http::{self, csrf_ok, csrf_token, parse_form, parse_query, see_other, Params};
use crate::pages::{logged_out_page, logout_page};
use crate::session;
use crate::tokens::verify_id_token_hint;
use crate::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use platform::audit::AuditEvent;
use platform::crypto::random_token;
use platform::ephemeral::{put_json, take_json};
use platform::Locale;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where to send the browser after logout.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    redirect: Option<String>,
    state: Option<String>,
    locale: Locale,
    client_id: Option<String>,
}

/// GET /logout
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes());
    logout(&p, &headers, params.ok()).await
}

/// POST /logout
pub async fn post(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    logout(&p, &headers, parse_form(&headers, &body).ok()).await
}

async fn logout(p: &Provider, headers: &HeaderMap, params: Option<Params>) -> Response {
    let Some(params) = params else {
        return PageError::bad(http::locale(headers, None), |t| t.bad_logout).into_response();
    };
    let locale = http::locale(headers, params.get("ui_locales").map(String::as_str));
    let bad = || PageError::bad(locale, |t| t.bad_logout).into_response();
    // A hint that no longer verifies (its key was rotated out or revoked, hours after the
    // sign-in) must not block logout: it counts as no hint, so the person confirms.
    let hint = params
        .get("id_token_hint")
        .and_then(|h| verify_id_token_hint(p, h));
    let hint_client = hint.as_ref().and_then(|h| h.client_id()).map(str::to_owned);
    let client_id = match (params.get("client_id"), &hint_client) {
        (Some(a), Some(b)) if a != b => return bad(),
        (Some(a), _) => Some(a.clone()),
        (None, b) => b.clone(),
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        Some(uri) => {
            let Some(cid) = &client_id else { return bad() };
            match p.clients.get(cid).await {
                Ok(Some(c)) if c.has_post_logout_redirect_uri(uri) => Some(uri.clone()),
                Ok(_) => return bad(),
                Err(e) => return PageError::internal(locale, e).into_response(),
            }
        }
        None => None,
    };
    let pending = Pending {
        redirect,
        state: params.get("state").cloned(),
        locale,
        client_id,
    };
    let live = match session::current(p, headers).await {
        Ok(s) => s,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    // A hint naming this session (or its person) shows the RP speaks for this browser.
    let vouched = match (&hint, &live) {
        (Some(_), None) => true,
        (Some(h), Some((_, s))) => {
            h.sid.as_deref() == Some(s.sid.as_str()) || h.sub == s.account_id
        }
        (None, None) => true, // nothing to end
        (None, Some(_)) => false,
    };
    if vouched {
        return finish(p, live.map(|(k, s)| (k, s.sid, s.account_id)), pending).await;
    }
    let id = random_token(24);
    if let Err(e) = put_json(
        p.store.as_ref(),
        &format!("logout:{id}"),
        &pending,
        p.cfg.login_ttl,
    )
    .await
    {
        return PageError::internal(locale, e).into_response();
    }
    let (csrf, set) = csrf_token(p, headers);
    let mut r = logout_page(locale, &id, &csrf);
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// POST /logout/confirm
pub async fn confirm(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let locale = http::locale(&headers, None);
    let Ok(form) = parse_form(&headers, &body) else {
        return PageError::bad(locale, |t| t.bad_logout).into_response();
    };
    if !csrf_ok(&p, &headers, form.get("csrf")) {
        return PageError::bad(locale, |t| t.csrf_failed).into_response();
    }
    let Some(id) = form.get("request") else {
        return PageError::bad(locale, |t| t.bad_logout).into_response();
    };
    let pending: Option<Pending> = match take_json(p.store.as_ref(), &format!("logout:{id}")).await
    {
        Ok(x) => x,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    let Some(pending) = pending else {
        return PageError::bad(locale, |t| t.login_expired).into_response();
    };
    let live = match session::current(&p, &headers).await {
        Ok(s) => s,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    finish(&p, live.map(|(k, s)| (k, s.sid, s.account_id)), pending).await
}

async fn finish(
    p: &Provider,
    live: Option<(String, String, String)>,
    pending: Pending,
) -> Response {
    let clear = session::clear_cookie(p);
    if let Some((key, sid, account)) = live {
        if let Err(e) = session::destroy(p, &key).await {
            return PageError::internal(pending.locale, e).into_response();
        }
        if let Err(e) = crate::token_endpoint::revoke_session_grants(p, &sid).await {
            return PageError::internal(pending.locale, e).into_response();
        }
        let _ = p
            .audit
            .record(AuditEvent {
                event: "logout",
                actor: Some(&account),
                subject: Some(&account),
                client_id: pending.client_id.as_deref(),
                session_id: Some(&sid),
                ..Default::default()
            })
            .await;
    }
    let mut r = match &pending.redirect {
        Some(uri) => {
            let mut u = match url::Url::parse(uri) {
                Ok(u) => u,
                Err(_) => return logged_out_page(pending.locale),
            };
            if let Some(s) = &pending.state {
                u.query_pairs_mut().append_pair("state", s);
            }
            see_other(u.as_str())
        }
        None => logged_out_page(pending.locale),
    };
    r.headers_mut().append(header::SET_COOKIE, clear);
    r
}
