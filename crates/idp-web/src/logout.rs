//! RP-initiated logout 1.0. With a valid `id_token_hint` for the browser's session the session
//! ends at once; otherwise the person confirms on a page (CSRF-protected). A
//! `post_logout_redirect_uri` must be registered for the client, exactly.
//!
//! When a session ends, every relying party that received tokens in it hears of it: those
//! with a back-channel logout URI get a logout token posted to it (in the background, with a
//! few retries), those with a front-channel logout URI are loaded in hidden iframes of the
//! logged-out page (Back-Channel and Front-Channel Logout 1.0).

use crate::pages::{logged_out_page, logout_page, LogoutFrame};
use authorization_server::oidc::end_session::{self, EndSessionError, EndSessionRequest};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};

use platform::audit::AuditEvent;
use platform::crypto::random_token;
use platform::ephemeral::{put_json, take_json};
use platform::Locale;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use web::error::{OrPage, PageError, WebResult};
use web::http::{self, csrf_ok, csrf_token, parse_form, parse_query, see_other, Params};
use web::session::{self, SsoSession};

/// Where to send the browser after logout.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    redirect: Option<String>,
    state: Option<String>,
    locale: Locale,
    client_id: Option<String>,
}

/// GET /logout
#[tracing::instrument(skip_all)]
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes());
    logout(&p, &headers, params.ok()).await
}

/// POST /logout
#[tracing::instrument(skip_all)]
pub async fn post(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> WebResult {
    logout(&p, &headers, parse_form(&headers, &body).ok()).await
}

async fn logout(p: &Arc<Provider>, headers: &HeaderMap, params: Option<Params>) -> WebResult {
    let Some(params) = params else {
        return Err(PageError::bad(http::locale(headers, None), |t| t.bad_logout).into());
    };
    let asked = EndSessionRequest::from_params(params);
    let accept = http::locale(headers, asked.ui_locales.as_deref());
    let live = session::current(p, headers).await.or_page(accept)?;
    // Signing out of a page shown in the account's language answers in it too.
    let locale = match &live {
        Some((_, s))
            if http::asked_locale(asked.ui_locales.as_deref()).is_none()
                && http::chosen_locale(headers).is_none() =>
        {
            match p.accounts.find_by_id(&s.account_id).await {
                Ok(Some(a)) => http::signed_in_locale(headers, None, &a.locale),
                _ => accept,
            }
        }
        _ => accept,
    };
    let checked = end_session::check(p, asked).await.map_err(|e| match e {
        EndSessionError::Refused => PageError::bad(locale, |t| t.bad_logout),
        EndSessionError::Internal(e) => PageError::internal(locale, e),
    })?;
    let vouched = checked.vouched_for(live.as_ref().map(|(_, s)| s));
    let pending = Pending {
        redirect: checked.redirect,
        state: checked.state,
        locale,
        client_id: checked.client_id,
    };
    if vouched {
        return finish(p, live, pending).await;
    }
    let id = random_token(24);
    let key = format!("logout:{id}");
    put_json(p.store.as_ref(), &key, &pending, p.cfg.login_ttl)
        .await
        .or_page(locale)?;
    let (csrf, set) = csrf_token(p, headers);
    let mut r = logout_page(locale, &id, &csrf);
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

/// POST /logout/confirm
#[tracing::instrument(skip_all)]
pub async fn confirm(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> WebResult {
    let locale = http::locale(&headers, None);
    let Ok(form) = parse_form(&headers, &body) else {
        return Err(PageError::bad(locale, |t| t.bad_logout).into());
    };
    if !csrf_ok(&p, &headers, form.get("csrf")) {
        return Err(PageError::bad(locale, |t| t.csrf_failed).into());
    }
    let Some(id) = form.get("request") else {
        return Err(PageError::bad(locale, |t| t.bad_logout).into());
    };
    let pending: Option<Pending> = take_json(p.store.as_ref(), &format!("logout:{id}"))
        .await
        .or_page(locale)?;
    let Some(pending) = pending else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let live = session::current(&p, &headers).await.or_page(locale)?;
    finish(&p, live, pending).await
}

async fn finish(
    p: &Arc<Provider>,
    live: Option<(String, SsoSession)>,
    pending: Pending,
) -> WebResult {
    let clear = session::clear_cookie(p);
    let mut frames = Vec::new();
    if let Some((key, s)) = live {
        let (sid, account) = (&s.sid, &s.account_id);
        session::destroy(p, &key).await.or_page(pending.locale)?;
        authorization_server::grants::revoke_session_grants(p, sid)
            .await
            .or_page(pending.locale)?;
        let _ = p
            .audit
            .record(AuditEvent {
                event: "logout",
                actor: Some(account),
                subject: Some(account),
                client_id: pending.client_id.as_deref(),
                session_id: Some(sid),
                ..Default::default()
            })
            .await;
        frames = notify_clients(p, &s).await;
    }
    let redirect = pending.redirect.as_deref().and_then(|uri| {
        let mut u = url::Url::parse(uri).ok()?;
        if let Some(s) = &pending.state {
            u.query_pairs_mut().append_pair("state", s);
        }
        Some(u)
    });
    let mut r = match redirect {
        // The front-channel iframes need a page to load in: it shows them, then moves on.
        Some(u) if !frames.is_empty() => logged_out_page(pending.locale, &frames, Some(&u)),
        Some(u) => see_other(u.as_str()),
        None => logged_out_page(pending.locale, &frames, None),
    };
    r.headers_mut().append(header::SET_COOKIE, clear);
    Ok(r)
}

/// Tells the relying parties of an ended session: starts the back-channel deliveries (in the
/// background) and returns the front-channel frames for the logged-out page.
pub(crate) async fn notify_clients(p: &Arc<Provider>, s: &SsoSession) -> Vec<LogoutFrame> {
    let mut frames = Vec::new();
    for client_id in &s.clients {
        let client = match p.clients.get(client_id).await {
            Ok(Some(c)) => c,
            Ok(None) => continue, // removed since
            Err(e) => {
                tracing::warn!(error = %e, client_id, "logout: client lookup failed");
                continue;
            }
        };
        if let Some(uri) = &client.frontchannel_logout_uri {
            if let Ok(mut u) = url::Url::parse(uri) {
                u.query_pairs_mut()
                    .append_pair("iss", &p.cfg.issuer)
                    .append_pair("sid", &s.sid);
                frames.push(LogoutFrame::to(u));
            }
        }
        authorization_server::logout::backchannel(p, &client, &s.account_id, &s.sid);
    }
    // SAML service providers of the session: signed LogoutRequests in frames too.
    frames.extend(crate::saml::propagate::frames(p, s).await);
    frames
}
