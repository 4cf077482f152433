//! Logout propagated to a session's SAML service providers: a signed `LogoutRequest` for each,
//! loaded in a hidden frame of the page that ends the session -- a signed Redirect-binding URL,
//! or for an SP that takes only HTTP-POST, a page of ours that posts it. The ID of every
//! request sent is kept for a while, so that only an answer to one of them is taken as an
//! answer (`slo::logout_response`).

use super::pages::{post_page, Post};
use super::sso::{refuse, Refusal};
use crate::pages::LogoutFrame;
use authorization_server::saml::dsig;
use authorization_server::saml::request;
use authorization_server::saml::response;
use authorization_server::saml::sps::{ServiceProvider, Slo, POST};
use authorization_server::saml::Participant;
use authorization_server::Provider;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use platform::EphemeralError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use web::http::{self, parse_query};
use web::session::SsoSession;

/// `location?SAMLRequest|SAMLResponse=..&RelayState=..&SigAlg=..&Signature=..`.
pub(crate) fn redirect_url(
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

fn sent_key(entity_id: &str, id: &str) -> String {
    format!(
        "saml:sent:{}",
        sha256_b64(format!("{entity_id}\n{id}").as_bytes())
    )
}

/// Takes the record of a LogoutRequest sent to `entity_id` with ID `id` (once): true when
/// there was one, so the answer is to something the IdP asked.
pub(crate) async fn take_sent(
    p: &Provider,
    entity_id: &str,
    id: &str,
) -> Result<bool, EphemeralError> {
    if id.len() > 256 {
        return Ok(false);
    }
    Ok(p.store.take(&sent_key(entity_id, id)).await?.is_some())
}

/// A LogoutRequest waiting in the store for a POST-binding SP's frame.
#[derive(Debug, Serialize, Deserialize)]
struct FramePost {
    entity_id: String,
    action: String,
    message: String,
}

/// The front-channel frames that tell a session's SAML participants it ended.
pub async fn frames(p: &Provider, s: &SsoSession) -> Vec<LogoutFrame> {
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
            Ok(f) => out.push(f),
            Err(e) => {
                tracing::warn!(error = %e, entity_id = %sp.entity_id, "SAML logout request not made");
                continue;
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

fn origin(u: &str) -> Option<String> {
    url::Url::parse(u)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

async fn frame_for(
    p: &Provider,
    sp: &ServiceProvider,
    ep: &Slo,
    part: &Participant,
    issuer: &str,
    now: i64,
    key: &dsig::SigningKey,
) -> Result<LogoutFrame, String> {
    let lifetime = p.saml.cfg.assertion_ttl_secs;
    let name_id = (
        part.name_id.as_str(),
        part.format.as_str(),
        sp.entity_id.as_str(),
    );
    let post = ep.binding == POST;
    let (xml, id) = response::logout_request(
        issuer,
        &ep.location,
        now,
        lifetime,
        name_id,
        &part.session_index,
        post.then_some(key),
    )?;
    // Its answer is awaited as long as the request is valid (and a minute for the way back).
    put_json(
        p.store.as_ref(),
        &sent_key(&sp.entity_id, &id),
        &true,
        lifetime + 60,
    )
    .await
    .map_err(|e| e.to_string())?;
    // The SP answers into the frame by redirecting or posting back to us.
    let mut then = vec!["'self'".to_owned()];
    if post {
        let token = random_token(24);
        let f = FramePost {
            entity_id: sp.entity_id.clone(),
            action: ep.location.clone(),
            message: STANDARD.encode(xml),
        };
        put_json(p.store.as_ref(), &frame_key(&token), &f, lifetime.max(60))
            .await
            .map_err(|e| e.to_string())?;
        let src = url::Url::parse(&format!("{}/saml/slo/frame?t={token}", p.cfg.issuer))
            .map_err(|e| e.to_string())?;
        then.extend(origin(&ep.location));
        return Ok(LogoutFrame {
            src,
            then,
            relays: true,
        });
    }
    Ok(LogoutFrame {
        src: redirect_url(&ep.location, "SAMLRequest", &xml, None, key)?,
        then,
        relays: false,
    })
}

fn frame_key(token: &str) -> String {
    format!("saml:frame:{}", sha256_b64(token.as_bytes()))
}

/// GET /saml/slo/frame?t=TOKEN: inside a logout frame, posts a LogoutRequest to an SP that
/// takes only HTTP-POST.
#[tracing::instrument(skip_all)]
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
        return refuse(&p, locale, Refusal::Expired, None, "saml.logout_refused").await;
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
