//! Single Logout. A service provider's `LogoutRequest` (HTTP-Redirect or HTTP-POST, signed:
//! SAML profiles §4.4.3.1) for the browser's session ends that session -- the same ending as
//! OpenID Connect logout: OIDC relying parties hear through their back- and front-channel
//! URIs, the session's other SAML service providers through `LogoutRequest`s loaded in
//! hidden frames -- and the SP gets its `LogoutResponse`. An OIDC logout reaches the SAML
//! participants the same way (`frames`, called from `logout::notify_clients`).

use super::dsig;
use super::pages::{post_page, Post};
use super::request::{self, RequestError};
use super::response::{self, status};
use super::sps::{ServiceProvider, Slo, POST};
use super::sso::{check_signature, query_value, refuse, Refusal, Signed, MAX_QUERY};
use super::text::SamlText;
use crate::http::{self, parse_form, parse_query, see_other};
use crate::session::{self, SsoSession};
use crate::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use platform::Locale;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const EVENT: &str = "saml.logout_refused";

/// GET /saml/slo (HTTP-Redirect)
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let locale = http::locale(&headers, None);
    let q = q.unwrap_or_default();
    if q.len() > MAX_QUERY {
        return refuse(&p, locale, Refusal::TooLarge, None, EVENT).await;
    }
    let Some(raw) = dsig::raw_query(&q) else {
        return refuse(&p, locale, Refusal::Bad, None, EVENT).await;
    };
    let Some((name, v)) = raw.message else {
        return refuse(&p, locale, Refusal::Bad, None, EVENT).await;
    };
    let xml = match request::decode_redirect(&query_value(v)) {
        Ok(x) => x,
        Err(e) => return refuse(&p, locale, refusal(&e), None, EVENT).await,
    };
    let relay = raw.relay_state.map(query_value);
    if name == "SAMLResponse" {
        return logout_response(&p, &xml, locale).await;
    }
    logout_request(&p, &headers, &xml, relay, Signed::Query(raw), locale).await
}

/// POST /saml/slo (HTTP-POST)
pub async fn post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let locale = http::locale(&headers, None);
    let Ok(body) = body else {
        return refuse(&p, locale, Refusal::TooLarge, None, EVENT).await;
    };
    let Ok(form) = parse_form(&headers, &body) else {
        return refuse(&p, locale, Refusal::Bad, None, EVENT).await;
    };
    let relay = form.get("RelayState").cloned();
    match (form.get("SAMLRequest"), form.get("SAMLResponse")) {
        (Some(v), None) => match request::decode_post(v) {
            Ok(xml) => logout_request(&p, &headers, &xml, relay, Signed::Post, locale).await,
            Err(e) => refuse(&p, locale, refusal(&e), None, EVENT).await,
        },
        (None, Some(v)) => match request::decode_post(v) {
            Ok(xml) => logout_response(&p, &xml, locale).await,
            Err(e) => refuse(&p, locale, refusal(&e), None, EVENT).await,
        },
        _ => refuse(&p, locale, Refusal::Bad, None, EVENT).await,
    }
}

fn refusal(e: &RequestError) -> Refusal {
    match e {
        RequestError::TooLarge | RequestError::Xml(super::xml::XmlError::TooLarge) => {
            Refusal::TooLarge
        }
        _ => Refusal::Bad,
    }
}

async fn logout_request(
    p: &Arc<Provider>,
    headers: &HeaderMap,
    xml: &str,
    relay_state: Option<String>,
    how: Signed<'_>,
    locale: Locale,
) -> Response {
    let Some(key) = p.saml.signing_key() else {
        return refuse(p, locale, Refusal::Unavailable, None, EVENT).await;
    };
    let lr = match request::logout_request(xml) {
        Ok(r) => r,
        Err(e) => return refuse(p, locale, refusal(&e), None, EVENT).await,
    };
    let issuer = Some(lr.issuer.as_str());
    if relay_state.as_ref().is_some_and(|r| r.len() > 1024) {
        return refuse(p, locale, Refusal::Bad, issuer, EVENT).await;
    }
    let sp = match p.saml.sps.get(&lr.issuer).await {
        Ok(Some(sp)) => sp,
        Ok(None) => return refuse(p, locale, Refusal::UnknownSp, issuer, EVENT).await,
        Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
    };
    // A logout request must be signed: anyone could otherwise end a person's session.
    if let Err(e) = check_signature(&how, xml, &sp, true) {
        tracing::info!(issuer = %lr.issuer, error = %e, "SAML logout signature refused");
        return refuse(p, locale, Refusal::Signature, issuer, EVENT).await;
    }
    if lr
        .destination
        .as_deref()
        .is_some_and(|d| d != format!("{}/saml/slo", p.cfg.issuer))
    {
        return refuse(p, locale, Refusal::Bad, issuer, EVENT).await;
    }
    let now = p.clock.now();
    let cfg = &p.saml.cfg;
    if lr.issue_instant > now + cfg.clock_skew_secs
        || now - lr.issue_instant > cfg.request_max_age_secs
        || lr
            .not_on_or_after
            .is_some_and(|t| t + cfg.clock_skew_secs <= now)
    {
        return refuse(p, locale, Refusal::Stale, issuer, EVENT).await;
    }
    let ttl = cfg.request_max_age_secs + cfg.clock_skew_secs + 60;
    let seen = format!(
        "saml:seen:{}",
        sha256_b64(format!("{}\n{}", sp.entity_id, lr.id).as_bytes())
    );
    match p.store.put_if_absent(&seen, b"1", ttl).await {
        Ok(true) => {}
        Ok(false) => return refuse(p, locale, Refusal::Replayed, issuer, EVENT).await,
        Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
    }
    let live = match session::current(p, headers).await {
        Ok(s) => s,
        Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
    };
    let mut frames = Vec::new();
    let mut ended = false;
    let code = match live {
        // Nothing to end here (already ended, or another browser): done.
        None => status::SUCCESS,
        Some((skey, s)) => {
            let ours = s.saml.iter().any(|x| {
                x.entity_id == sp.entity_id
                    && x.name_id == lr.name_id
                    && (lr.session_indexes.is_empty()
                        || lr.session_indexes.contains(&x.session_index))
            });
            if ours {
                match end_session(p, &skey, s, &sp.entity_id).await {
                    Ok(f) => {
                        frames = f;
                        ended = true;
                        status::SUCCESS
                    }
                    Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
                }
            } else {
                // The browser's session is someone else's (or not this SP's): left alone.
                status::REQUESTER
            }
        }
    };
    let Some(endpoint) = sp.slo_endpoint().cloned() else {
        // No way to answer: the person sees they are signed out.
        let mut r = crate::pages::logged_out_page(locale, &frames, None);
        if ended {
            r.headers_mut()
                .append(header::SET_COOKIE, session::clear_cookie(p));
        }
        return r;
    };
    let dest = endpoint
        .response_location
        .clone()
        .unwrap_or_else(|| endpoint.location.clone());
    let issuer = p.saml_entity_id();
    let mut r = if endpoint.binding == POST {
        let xml = match response::logout_response(&issuer, &dest, &lr.id, now, code, Some(&key)) {
            Ok(x) => x,
            Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
        };
        post_page(&Post {
            locale,
            sp_name: &sp.name,
            title: None,
            button: None,
            messages: Vec::new(),
            action: &dest,
            field: "SAMLResponse",
            value: &STANDARD.encode(xml),
            relay_state: relay_state.as_deref(),
            auto: true,
            frames: &frames,
            status: StatusCode::OK,
            framed: false,
        })
    } else {
        let xml = match response::logout_response(&issuer, &dest, &lr.id, now, code, None) {
            Ok(x) => x,
            Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
        };
        let url = match redirect_url(&dest, "SAMLResponse", &xml, relay_state.as_deref(), &key) {
            Ok(u) => u,
            Err(e) => return crate::error::PageError::internal(locale, e).into_response(),
        };
        if frames.is_empty() {
            see_other(url.as_str())
        } else {
            crate::pages::logged_out_page(locale, &frames, Some(&url))
        }
    };
    if ended {
        r.headers_mut()
            .append(header::SET_COOKIE, session::clear_cookie(p));
    }
    r
}

/// Ends the session for a logout that came from SP `from`: the session goes, its refresh
/// tokens are revoked, OIDC relying parties and the other SAML SPs are told. Returns the
/// front-channel frames.
async fn end_session(
    p: &Arc<Provider>,
    key: &str,
    mut s: SsoSession,
    from: &str,
) -> Result<Vec<url::Url>, String> {
    session::destroy(p, key).await.map_err(|e| e.to_string())?;
    crate::token_endpoint::revoke_session_grants(p, &s.sid)
        .await
        .map_err(|e| e.to_string())?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "logout",
            actor: Some(&s.account_id),
            subject: Some(&s.account_id),
            client_id: Some(from),
            session_id: Some(&s.sid),
            detail: Some("saml"),
            ..Default::default()
        })
        .await;
    // The SP that asked already knows.
    s.saml.retain(|x| x.entity_id != from);
    Ok(crate::logout::notify_clients(p, &s).await)
}

/// `location?SAMLRequest|SAMLResponse=..&RelayState=..&SigAlg=..&Signature=..`.
fn redirect_url(
    location: &str,
    field: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: &dsig::SigningKey,
) -> Result<url::Url, String> {
    let mut q = format!(
        "{field}={}",
        dsig::urlencode(&request::encode_redirect(xml))
    );
    if let Some(r) = relay_state {
        q.push_str("&RelayState=");
        q.push_str(&dsig::urlencode(r));
    }
    let signed = dsig::sign_query(&q, key)?;
    let sep = if location.contains('?') { '&' } else { '?' };
    url::Url::parse(&format!("{location}{sep}{signed}")).map_err(|e| e.to_string())
}

/// A LogoutRequest waiting in the store for a POST-binding SP's frame.
#[derive(Debug, Serialize, Deserialize)]
struct FramePost {
    entity_id: String,
    action: String,
    message: String,
}

/// The front-channel frames that tell a session's SAML participants it ended: a signed
/// Redirect-binding `LogoutRequest` URL for each, or for an SP that takes only HTTP-POST, a
/// page of ours that posts it.
pub async fn frames(p: &Provider, s: &SsoSession) -> Vec<url::Url> {
    let Some(key) = p.saml.signing_key() else {
        return Vec::new();
    };
    let issuer = p.saml_entity_id();
    let now = p.clock.now();
    let mut out = Vec::new();
    for part in &s.saml {
        let sp = match p.saml.sps.get(&part.entity_id).await {
            Ok(Some(sp)) => sp,
            Ok(None) => continue, // removed since
            Err(e) => {
                tracing::warn!(error = %e, entity_id = %part.entity_id, "SAML logout: SP lookup failed");
                continue;
            }
        };
        let Some(ep) = sp.slo_endpoint() else {
            continue;
        };
        match frame_for(p, &sp, ep, part, &issuer, now, &key).await {
            Ok(u) => out.push(u),
            Err(e) => {
                tracing::warn!(error = %e, entity_id = %sp.entity_id, "SAML logout request not made")
            }
        }
        let _ = p
            .audit
            .record(AuditEvent {
                event: "saml.logout_propagated",
                actor: Some(&s.account_id),
                subject: Some(&s.account_id),
                client_id: Some(&sp.entity_id),
                session_id: Some(&s.sid),
                ..Default::default()
            })
            .await;
    }
    out
}

async fn frame_for(
    p: &Provider,
    sp: &ServiceProvider,
    ep: &Slo,
    part: &super::Participant,
    issuer: &str,
    now: i64,
    key: &dsig::SigningKey,
) -> Result<url::Url, String> {
    let lifetime = p.saml.cfg.assertion_ttl_secs;
    let name_id = (
        part.name_id.as_str(),
        part.format.as_str(),
        sp.entity_id.as_str(),
    );
    if ep.binding == POST {
        let (xml, _) = response::logout_request(
            issuer,
            &ep.location,
            now,
            lifetime,
            name_id,
            &part.session_index,
            Some(key),
        )?;
        let token = random_token(24);
        let f = FramePost {
            entity_id: sp.entity_id.clone(),
            action: ep.location.clone(),
            message: STANDARD.encode(xml),
        };
        put_json(p.store.as_ref(), &frame_key(&token), &f, lifetime.max(60))
            .await
            .map_err(|e| e.to_string())?;
        return url::Url::parse(&format!("{}/saml/slo/frame?t={token}", p.cfg.issuer))
            .map_err(|e| e.to_string());
    }
    let (xml, _) = response::logout_request(
        issuer,
        &ep.location,
        now,
        lifetime,
        name_id,
        &part.session_index,
        None,
    )?;
    redirect_url(&ep.location, "SAMLRequest", &xml, None, key)
}

fn frame_key(token: &str) -> String {
    format!("saml:frame:{}", sha256_b64(token.as_bytes()))
}

/// GET /saml/slo/frame?t=TOKEN: inside a logout frame, posts a LogoutRequest to an SP that
/// takes only HTTP-POST.
pub async fn frame(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let locale = http::locale(&headers, None);
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let found: Option<FramePost> = match params.get("t") {
        Some(t) => get_json(p.store.as_ref(), &frame_key(t))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(f) = found else {
        return refuse(&p, locale, Refusal::Expired, None, EVENT).await;
    };
    let name = match p.saml.sps.get(&f.entity_id).await {
        Ok(Some(sp)) => sp.name.clone(),
        _ => f.entity_id.clone(),
    };
    post_page(&Post {
        locale,
        sp_name: &name,
        title: None,
        button: None,
        messages: Vec::new(),
        action: &f.action,
        field: "SAMLRequest",
        value: &f.message,
        relay_state: None,
        auto: true,
        frames: &[],
        status: StatusCode::OK,
        framed: true,
    })
}

/// An SP's answer to a propagated LogoutRequest (usually inside a logout frame): noted.
async fn logout_response(p: &Provider, xml: &str, locale: Locale) -> Response {
    let lr = match request::logout_response(xml) {
        Ok(r) => r,
        Err(e) => return refuse(p, locale, refusal(&e), None, EVENT).await,
    };
    let known = matches!(p.saml.sps.get(&lr.issuer).await, Ok(Some(_)));
    if !known {
        return refuse(p, locale, Refusal::UnknownSp, Some(&lr.issuer), EVENT).await;
    }
    let _ = p
        .audit
        .record(AuditEvent {
            event: "saml.logout_response",
            client_id: Some(&lr.issuer),
            detail: Some(if lr.status == status::SUCCESS {
                "success"
            } else {
                "failure"
            }),
            ..Default::default()
        })
        .await;
    let t = SamlText::get(locale);
    let mut r = crate::pages::error_page(locale, t.slo_done, None, StatusCode::OK);
    // It is shown in our own logout frames.
    if let Ok(v) = axum::http::HeaderValue::from_str(
        "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'self'",
    ) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut().remove(header::X_FRAME_OPTIONS);
    r
}
