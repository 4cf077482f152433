//! Single Logout. A service provider's `LogoutRequest` (HTTP-Redirect or HTTP-POST, signed:
//! SAML profiles §4.4.3.1) for the browser's session ends that session -- the same ending as
//! OpenID Connect logout: OIDC relying parties hear through their back- and front-channel
//! URIs, the session's other SAML service providers through `LogoutRequest`s loaded in
//! hidden frames (`propagate`) -- and the SP gets its `LogoutResponse`. A POST without the
//! session cookie is parked first (`bounce`), so a cross-site SP really ends the session. An
//! SP's `LogoutResponse` counts only when signed and an answer to a request the IdP sent.

use super::bounce;
use super::pages::{post_page, Post};
use super::propagate::{redirect_url, take_sent};
use super::sso::{
    bounced, check_signature, destination_ok, query_value, refuse, Refusal, Signed, MAX_QUERY,
    MAX_RELAY_STATE,
};
use super::text::SamlText;
use crate::pages::LogoutFrame;
use authorization_server::saml::dsig;
use authorization_server::saml::request::{self, RequestError};
use authorization_server::saml::response::{self, status};
use authorization_server::saml::sps::POST;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use platform::audit::AuditEvent;
use platform::crypto::sha256_b64;
use platform::Locale;
use std::sync::Arc;
use web::error::{OrPage, PageError, WebResult};
use web::http::{self, parse_form, see_other};
use web::session::{self, SsoSession};

const EVENT: &str = "saml.logout_refused";

/// This endpoint's path.
const PATH: &str = "/saml/slo";

/// GET /saml/slo (HTTP-Redirect)
#[tracing::instrument(skip_all)]
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let locale = http::locale(&headers, None);
    let q = q.unwrap_or_default();
    if q.len() > MAX_QUERY {
        return Ok(refuse(&p, locale, Refusal::TooLarge, None, EVENT).await);
    }
    let Some(raw) = dsig::raw_query(&q) else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, EVENT).await);
    };
    if raw.message.is_none() {
        if let Some(handle) = bounced(&q) {
            // A POST-binding LogoutRequest parked for its cookie (see `bounce`).
            return Ok(match bounce::take(&p, PATH, &handle).await {
                Ok(Some(parked)) => match request::decode_post(&parked.message) {
                    Ok(xml) => {
                        let relay = parked.relay_state;
                        logout_request(&p, &headers, &xml, relay, Signed::Post, locale).await?
                    }
                    Err(e) => refuse(&p, locale, refusal(&e), None, EVENT).await,
                },
                Ok(None) => refuse(&p, locale, Refusal::Expired, None, EVENT).await,
                Err(e) => return Err(PageError::internal(locale, e).into()),
            });
        }
    }
    let Some((name, v)) = raw.message else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, EVENT).await);
    };
    let xml = match request::decode_redirect(&query_value(v)) {
        Ok(x) => x,
        Err(e) => return Ok(refuse(&p, locale, refusal(&e), None, EVENT).await),
    };
    let relay = raw.relay_state.map(query_value);
    if name == "SAMLResponse" {
        return logout_response(&p, &xml, Signed::Query(raw), locale).await;
    }
    logout_request(&p, &headers, &xml, relay, Signed::Query(raw), locale).await
}

/// POST /saml/slo (HTTP-POST)
#[tracing::instrument(skip_all)]
pub async fn post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> WebResult {
    let locale = http::locale(&headers, None);
    let Ok(body) = body else {
        return Ok(refuse(&p, locale, Refusal::TooLarge, None, EVENT).await);
    };
    let Ok(form) = parse_form(&headers, &body) else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, EVENT).await);
    };
    let relay = form.get("RelayState").cloned();
    Ok(match (form.get("SAMLRequest"), form.get("SAMLResponse")) {
        (Some(v), None) => {
            let xml = match request::decode_post(v) {
                Ok(xml) => xml,
                Err(e) => return Ok(refuse(&p, locale, refusal(&e), None, EVENT).await),
            };
            if bounce::needed(&p, &headers) {
                // Unreadable requests are refused now; readable ones wait for the cookie.
                if let Err(e) = request::logout_request(&xml) {
                    return Ok(refuse(&p, locale, refusal(&e), None, EVENT).await);
                }
                let parked = bounce::Parked {
                    message: v.clone(),
                    relay_state: relay,
                };
                return Ok(bounce::park(&p, PATH, &parked).await.or_page(locale)?);
            }
            logout_request(&p, &headers, &xml, relay, Signed::Post, locale).await?
        }
        // An answer needs no session: no detour.
        (None, Some(v)) => match request::decode_post(v) {
            Ok(xml) => logout_response(&p, &xml, Signed::Post, locale).await?,
            Err(_) => ignored(locale),
        },
        _ => refuse(&p, locale, Refusal::Bad, None, EVENT).await,
    })
}

fn refusal(e: &RequestError) -> Refusal {
    match e {
        RequestError::TooLarge
        | RequestError::Xml(authorization_server::saml::xml::XmlError::TooLarge) => {
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
) -> WebResult {
    let Some(key) = p.saml.signing_key() else {
        return Ok(refuse(p, locale, Refusal::Unavailable, None, EVENT).await);
    };
    let lr = match request::logout_request(xml) {
        Ok(r) => r,
        Err(e) => return Ok(refuse(p, locale, refusal(&e), None, EVENT).await),
    };
    let issuer = Some(lr.issuer.as_str());
    if relay_state
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RELAY_STATE)
    {
        return Ok(refuse(p, locale, Refusal::RelayStateTooLong, issuer, EVENT).await);
    }
    let sp = match p.saml.sps.get(&lr.issuer).await {
        Ok(Some(sp)) => sp,
        Ok(None) => return Ok(refuse(p, locale, Refusal::UnknownSp, issuer, EVENT).await),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    // A logout request must be signed: anyone could otherwise end a person's session.
    if let Err(e) = check_signature(&how, xml, &sp, true) {
        tracing::info!(issuer = %lr.issuer, error = %e, "SAML logout signature refused");
        return Ok(refuse(p, locale, Refusal::Signature, issuer, EVENT).await);
    }
    let here = format!("{}{PATH}", p.cfg.issuer);
    if !destination_ok(lr.destination.as_deref(), true, &here) {
        return Ok(refuse(p, locale, Refusal::Destination, issuer, EVENT).await);
    }
    let now = p.clock.now();
    let cfg = &p.saml.cfg;
    if lr.issue_instant > now + cfg.clock_skew_secs
        || now - lr.issue_instant > cfg.request_max_age_secs
        || lr
            .not_on_or_after
            .is_some_and(|t| t + cfg.clock_skew_secs <= now)
    {
        return Ok(refuse(p, locale, Refusal::Stale, issuer, EVENT).await);
    }
    let ttl = cfg.request_max_age_secs + cfg.clock_skew_secs + 60;
    let seen = format!(
        "saml:seen:{}",
        sha256_b64(format!("{}\n{}", sp.entity_id, lr.id).as_bytes())
    );
    match p.store.put_if_absent(&seen, b"1", ttl).await {
        Ok(true) => {}
        Ok(false) => return Ok(refuse(p, locale, Refusal::Replayed, issuer, EVENT).await),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    }
    let live = session::current(p, headers).await.or_page(locale)?;
    let mut frames: Vec<LogoutFrame> = Vec::new();
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
                    Err(e) => return Err(PageError::internal(locale, e).into()),
                }
            } else {
                // The browser's session is someone else's (or not this SP's): left alone.
                let code = (status::REQUESTER, None);
                let why = "not_this_sessions_participant";
                super::answer::note_refusal(p, &sp, code, why, None).await;
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
        return Ok(r);
    };
    let dest = endpoint
        .response_location
        .clone()
        .unwrap_or_else(|| endpoint.location.clone());
    let issuer = p.saml_entity_id();
    let mut r = if endpoint.binding == POST {
        let xml = response::logout_response(&issuer, &dest, &lr.id, now, code, Some(&key))
            .or_page(locale)?;
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
        let xml =
            response::logout_response(&issuer, &dest, &lr.id, now, code, None).or_page(locale)?;
        let url = redirect_url(&dest, "SAMLResponse", &xml, relay_state.as_deref(), &key)
            .or_page(locale)?;
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
    Ok(r)
}

/// Ends the session for a logout that came from SP `from`: the session goes, its refresh
/// tokens are revoked, OIDC relying parties and the other SAML SPs are told. Returns the
/// front-channel frames.
async fn end_session(
    p: &Arc<Provider>,
    key: &str,
    mut s: SsoSession,
    from: &str,
) -> Result<Vec<LogoutFrame>, String> {
    session::destroy(p, key).await.map_err(|e| e.to_string())?;
    authorization_server::grants::revoke_session_grants(p, &s.sid)
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

/// A page for our own logout frames (where SPs' answers land).
fn frame_page(locale: Locale, message: &str, status: StatusCode) -> Response {
    let mut r = web::pages::error_page(locale, message, None, status);
    if let Ok(v) = axum::http::HeaderValue::from_str(
        "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'self'",
    ) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut().remove(header::X_FRAME_OPTIONS);
    r
}

/// A LogoutResponse that is not an answer to us: nothing is recorded (anyone can send one,
/// and the audit trail is not theirs to fill).
fn ignored(locale: Locale) -> Response {
    frame_page(
        locale,
        SamlText::get(locale).bad_request,
        StatusCode::BAD_REQUEST,
    )
}

/// An SP's answer to a propagated LogoutRequest (usually inside a logout frame): noted when
/// it is signed by the SP (as its requests must be), sent here, and answers a LogoutRequest
/// the IdP sent that SP; otherwise ignored.
async fn logout_response(p: &Provider, xml: &str, how: Signed<'_>, locale: Locale) -> WebResult {
    let Ok(lr) = request::logout_response(xml) else {
        return Ok(ignored(locale));
    };
    let sp = match p.saml.sps.get(&lr.issuer).await {
        Ok(Some(sp)) => sp,
        Ok(None) => return Ok(ignored(locale)),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    if let Err(e) = check_signature(&how, xml, &sp, true) {
        tracing::debug!(issuer = %lr.issuer, error = %e, "SAML LogoutResponse ignored: signature");
        return Ok(ignored(locale));
    }
    let here = format!("{}{PATH}", p.cfg.issuer);
    if !destination_ok(lr.destination.as_deref(), true, &here) {
        return Ok(ignored(locale));
    }
    let Some(irt) = lr.in_response_to.as_deref() else {
        return Ok(ignored(locale));
    };
    match take_sent(p, &sp.entity_id, irt).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(issuer = %lr.issuer, "SAML LogoutResponse ignored: not an answer to us");
            return Ok(ignored(locale));
        }
        Err(e) => return Err(PageError::internal(locale, e).into()),
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
    Ok(frame_page(
        locale,
        SamlText::get(locale).slo_done,
        StatusCode::OK,
    ))
}
