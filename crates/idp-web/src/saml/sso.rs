//! Web Browser SSO requests: an `AuthnRequest` (HTTP-Redirect or HTTP-POST) is checked in this
//! order -- readable and within limits, Issuer registered, signature (when present, or
//! required by the SP), Destination, IssueInstant fresh, ACS registered, ID not seen before --
//! and every failure so far is a page for the person, never a message to an address the IdP
//! has not registered. IdP-initiated SSO starts here too. `answer` takes it from there. A
//! POST that comes without the session cookie is parked first (`bounce`).

use super::answer::{proceed, to_sp};
use super::bounce;
use super::text::SamlText;
use authorization_server::saml::dsig::{self, SigError};
use authorization_server::saml::nameid;
use authorization_server::saml::request::{self, AuthnRequest, RequestError, RequestedContext};
use authorization_server::saml::response::status;
use authorization_server::saml::sps::{ServiceProvider, POST};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use platform::audit::AuditEvent;
use platform::crypto::sha256_b64;
use platform::Locale;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use web::error::{OrPage, PageError, WebResult};
use web::http::{self, parse_form, parse_query};

/// A checked request (or an IdP-initiated one) waiting for the person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The SP.
    pub entity_id: String,
    /// The ACS the answer goes to (registered).
    pub acs: String,
    /// The request's ID (none: IdP-initiated).
    pub request_id: Option<String>,
    /// RelayState, returned as is.
    pub relay_state: Option<String>,
    /// ForceAuthn.
    pub force_authn: bool,
    /// IsPassive.
    pub is_passive: bool,
    /// The NameID format to give.
    pub nameid_format: String,
    /// RequestedAuthnContext: comparison and class references.
    pub comparison: String,
    /// The class references asked for.
    pub class_refs: Vec<String>,
    /// When the request arrived.
    pub created: i64,
}

pub(crate) fn pending_key(token: &str) -> String {
    format!("saml:pending:{}", sha256_b64(token.as_bytes()))
}

fn replay_key(entity_id: &str, id: &str) -> String {
    format!(
        "saml:seen:{}",
        sha256_b64(format!("{entity_id}\n{id}").as_bytes())
    )
}

/// Why a request is refused with a page (the SP is not told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Bad,
    UnknownSp,
    UnregisteredAcs,
    Replayed,
    Stale,
    Signature,
    TooLarge,
    Unavailable,
    NoIdpInitiated,
    Expired,
    RelayStateTooLong,
    Destination,
}

impl Refusal {
    fn detail(self) -> &'static str {
        match self {
            Refusal::Bad => "invalid_request",
            Refusal::UnknownSp => "unknown_issuer",
            Refusal::UnregisteredAcs => "unregistered_acs",
            Refusal::Replayed => "replayed",
            Refusal::Stale => "stale",
            Refusal::Signature => "bad_signature",
            Refusal::TooLarge => "too_large",
            Refusal::Unavailable => "unavailable",
            Refusal::NoIdpInitiated => "idp_initiated_not_allowed",
            Refusal::Expired => "expired",
            Refusal::RelayStateTooLong => "relay_state_too_long",
            Refusal::Destination => "bad_destination",
        }
    }
}

/// The refusal page, audited with the SP (when known) and why.
pub(crate) async fn refuse(
    p: &Provider,
    locale: Locale,
    why: Refusal,
    issuer: Option<&str>,
    event: &str,
) -> Response {
    let t = SamlText::get(locale);
    let (msg, code) = match why {
        Refusal::Bad => (t.bad_request, StatusCode::BAD_REQUEST),
        Refusal::UnknownSp => (t.unknown_sp, StatusCode::BAD_REQUEST),
        Refusal::UnregisteredAcs => (t.unregistered_acs, StatusCode::BAD_REQUEST),
        Refusal::Replayed => (t.replayed, StatusCode::BAD_REQUEST),
        Refusal::Stale => (t.stale, StatusCode::BAD_REQUEST),
        Refusal::Signature => (t.bad_signature, StatusCode::BAD_REQUEST),
        Refusal::TooLarge => (t.too_large, StatusCode::PAYLOAD_TOO_LARGE),
        Refusal::Unavailable => (t.unavailable, StatusCode::SERVICE_UNAVAILABLE),
        Refusal::NoIdpInitiated => (t.no_idp_initiated, StatusCode::FORBIDDEN),
        Refusal::Expired => (t.expired, StatusCode::BAD_REQUEST),
        Refusal::RelayStateTooLong => (t.relay_state_too_long, StatusCode::BAD_REQUEST),
        Refusal::Destination => (t.bad_request, StatusCode::BAD_REQUEST),
    };
    let issuer: Option<String> = issuer.map(|i| i.chars().take(256).collect());
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            client_id: issuer.as_deref(),
            detail: Some(why.detail()),
            ..Default::default()
        })
        .await;
    web::pages::error_page(locale, msg, None, code)
}

fn from_request_error(e: &RequestError) -> Refusal {
    match e {
        RequestError::TooLarge
        | RequestError::Xml(authorization_server::saml::xml::XmlError::TooLarge) => {
            Refusal::TooLarge
        }
        _ => Refusal::Bad,
    }
}

/// How a message arrived, for its signature check.
pub(crate) enum Signed<'a> {
    /// HTTP-Redirect: the raw query.
    Query(dsig::RawQuery<'a>),
    /// HTTP-POST: an enveloped signature, if any.
    Post,
}

/// Checks a message's signature against the SP's keys: a signature present must verify;
/// none at all passes only when not `required`. `Ok(true)`: it was signed (and verified).
pub(crate) fn check_signature(
    how: &Signed<'_>,
    xml: &str,
    sp: &ServiceProvider,
    required: bool,
) -> Result<bool, SigError> {
    let keys = sp.signing_keys();
    match how {
        Signed::Query(q) if q.signature.is_some() || q.sig_alg.is_some() => {
            dsig::verify_query(q, &keys).map(|()| true)
        }
        Signed::Post => {
            let doc = authorization_server::saml::xml::parse(
                xml,
                authorization_server::saml::xml::MESSAGE_LIMITS,
            )
            .map_err(|_| SigError::Invalid)?;
            if dsig::has_signature(&doc) {
                dsig::verify_enveloped(xml, &doc, &keys).map(|()| true)
            } else if required {
                Err(SigError::Missing)
            } else {
                Ok(false)
            }
        }
        Signed::Query(_) if required => Err(SigError::Missing),
        Signed::Query(_) => Ok(false),
    }
}

/// The Destination check: a signed message must name where it was sent (SAML bindings
/// §3.4.5.2, §3.5.5.2), and a Destination given must be this endpoint.
pub(crate) fn destination_ok(destination: Option<&str>, signed: bool, expected: &str) -> bool {
    match destination {
        Some(d) => d == expected,
        None => !signed,
    }
}

/// Percent-decodes one query value.
pub(crate) fn query_value(v: &str) -> String {
    url::form_urlencoded::parse(format!("x={v}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Longest RelayState carried (the bindings ask SPs for 80 bytes; some need more).
pub(crate) const MAX_RELAY_STATE: usize = 1024;

/// Longest query string read (a Redirect-binding request is a few kilobytes).
pub(crate) const MAX_QUERY: usize = 64 * 1024;

/// GET /saml/sso (HTTP-Redirect)
#[tracing::instrument(skip_all)]
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let locale = http::locale(&headers, None);
    let q = q.unwrap_or_default();
    if q.len() > MAX_QUERY {
        return Ok(refuse(&p, locale, Refusal::TooLarge, None, "saml.request_refused").await);
    }
    let Some(raw) = dsig::raw_query(&q) else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, "saml.request_refused").await);
    };
    if raw.message.is_none() {
        if let Some(handle) = bounced(&q) {
            // A POST-binding request parked for its cookie (see `bounce`).
            return Ok(match bounce::take(&p, PATH, &handle).await {
                Ok(Some(parked)) => match request::decode_post(&parked.message) {
                    Ok(xml) => {
                        let relay = parked.relay_state;
                        authn(&p, &headers, &xml, relay, Signed::Post, locale).await?
                    }
                    Err(e) => {
                        let why = from_request_error(&e);
                        refuse(&p, locale, why, None, "saml.request_refused").await
                    }
                },
                Ok(None) => {
                    refuse(&p, locale, Refusal::Expired, None, "saml.request_refused").await
                }
                Err(e) => return Err(PageError::internal(locale, e).into()),
            });
        }
    }
    let Some(("SAMLRequest", v)) = raw.message else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, "saml.request_refused").await);
    };
    let xml = match request::decode_redirect(&query_value(v)) {
        Ok(x) => x,
        Err(e) => {
            let why = from_request_error(&e);
            return Ok(refuse(&p, locale, why, None, "saml.request_refused").await);
        }
    };
    let relay = raw.relay_state.map(query_value);
    authn(&p, &headers, &xml, relay, Signed::Query(raw), locale).await
}

/// POST /saml/sso (HTTP-POST)
#[tracing::instrument(skip_all)]
pub async fn post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> WebResult {
    let locale = http::locale(&headers, None);
    let Ok(body) = body else {
        return Ok(refuse(&p, locale, Refusal::TooLarge, None, "saml.request_refused").await);
    };
    let Ok(form) = parse_form(&headers, &body) else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, "saml.request_refused").await);
    };
    let Some(v) = form.get("SAMLRequest") else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, "saml.request_refused").await);
    };
    let xml = match request::decode_post(v) {
        Ok(x) => x,
        Err(e) => {
            let why = from_request_error(&e);
            return Ok(refuse(&p, locale, why, None, "saml.request_refused").await);
        }
    };
    let relay = form.get("RelayState").cloned();
    if bounce::needed(&p, &headers) {
        // Unreadable requests are refused now; readable ones wait for the cookie.
        if let Err(e) = request::authn_request(&xml) {
            let why = from_request_error(&e);
            return Ok(refuse(&p, locale, why, None, "saml.request_refused").await);
        }
        let parked = bounce::Parked {
            message: v.clone(),
            relay_state: relay,
        };
        return Ok(bounce::park(&p, PATH, &parked).await.or_page(locale)?);
    }
    authn(&p, &headers, &xml, relay, Signed::Post, locale).await
}

/// This endpoint's path.
const PATH: &str = "/saml/sso";

/// The handle of a parked POST in a query, if that is what it carries.
pub(crate) fn bounced(q: &str) -> Option<String> {
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == bounce::PARAM)
        .map(|(_, v)| v.into_owned())
}

async fn authn(
    p: &Provider,
    headers: &HeaderMap,
    xml: &str,
    relay_state: Option<String>,
    how: Signed<'_>,
    locale: Locale,
) -> WebResult {
    const EVENT: &str = "saml.request_refused";
    if p.saml.signing_key().is_none() {
        return Ok(refuse(p, locale, Refusal::Unavailable, None, EVENT).await);
    }
    let req = match request::authn_request(xml) {
        Ok(r) => r,
        Err(e) => return Ok(refuse(p, locale, from_request_error(&e), None, EVENT).await),
    };
    if relay_state
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RELAY_STATE)
    {
        return Ok(refuse(
            p,
            locale,
            Refusal::RelayStateTooLong,
            Some(&req.issuer),
            EVENT,
        )
        .await);
    }
    let issuer = Some(req.issuer.as_str());
    let sp = match p.saml.sps.get(&req.issuer).await {
        Ok(Some(sp)) => sp,
        Ok(None) => return Ok(refuse(p, locale, Refusal::UnknownSp, issuer, EVENT).await),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let signed = match check_signature(&how, xml, &sp, sp.want_signed_requests) {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(issuer = %req.issuer, error = %e, "SAML request signature refused");
            return Ok(refuse(p, locale, Refusal::Signature, issuer, EVENT).await);
        }
    };
    let here = format!("{}{PATH}", p.cfg.issuer);
    if !destination_ok(req.destination.as_deref(), signed, &here) {
        return Ok(refuse(p, locale, Refusal::Destination, issuer, EVENT).await);
    }
    let now = p.clock.now();
    let cfg = &p.saml.cfg;
    if req.issue_instant > now + cfg.clock_skew_secs
        || now - req.issue_instant > cfg.request_max_age_secs
    {
        return Ok(refuse(p, locale, Refusal::Stale, issuer, EVENT).await);
    }
    if req.protocol_binding.as_deref().is_some_and(|b| b != POST) {
        return Ok(refuse(p, locale, Refusal::UnregisteredAcs, issuer, EVENT).await);
    }
    let Some(acs) = sp.acs_for(req.acs_url.as_deref(), req.acs_index) else {
        return Ok(refuse(p, locale, Refusal::UnregisteredAcs, issuer, EVENT).await);
    };
    // The ID is remembered for as long as the request could be accepted.
    let ttl = cfg.request_max_age_secs + cfg.clock_skew_secs + 60;
    match p
        .store
        .put_if_absent(&replay_key(&sp.entity_id, &req.id), b"1", ttl)
        .await
    {
        Ok(true) => {}
        Ok(false) => return Ok(refuse(p, locale, Refusal::Replayed, issuer, EVENT).await),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    }
    let pending = pending_of(&req, &sp, acs.location.clone(), relay_state, now);
    // From here on the SP is known and its ACS registered: problems are told to it. The
    // NameID format is the registered one: a request may name it, or leave it unspecified,
    // but not ask for another (an SP could otherwise get an email address it was not given).
    // A transient NameID (new and random at each sign-in) gives the SP less than any
    // registration allows, so it is granted when asked for (mod_auth_mellon asks for it by
    // default, whatever its metadata says).
    let format_ok = match req.nameid_format.as_deref() {
        None | Some(nameid::UNSPECIFIED) | Some(nameid::TRANSIENT) => true,
        Some(f) => f == sp.nameid_format,
    };
    if !format_ok {
        let asked: String = req
            .nameid_format
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(128)
            .collect();
        tracing::info!(
            sp = %sp.entity_id,
            %asked,
            registered = %sp.nameid_format,
            "SAML request asks for a NameID format the SP is not registered for"
        );
        return Ok(to_sp(
            p,
            &sp,
            &pending,
            (status::REQUESTER, Some(status::INVALID_NAMEID_POLICY)),
            "nameid_format_not_registered",
            locale,
        )
        .await);
    }
    proceed(p, headers, pending, &sp, locale).await
}

fn pending_of(
    req: &AuthnRequest,
    sp: &ServiceProvider,
    acs: String,
    relay_state: Option<String>,
    now: i64,
) -> Pending {
    let ctx = req.authn_context.clone().unwrap_or(RequestedContext {
        comparison: "exact".into(),
        class_refs: Vec::new(),
    });
    Pending {
        entity_id: sp.entity_id.clone(),
        acs,
        request_id: Some(req.id.clone()),
        relay_state,
        force_authn: req.force_authn,
        is_passive: req.is_passive,
        nameid_format: match req.nameid_format.as_deref() {
            Some(nameid::TRANSIENT) => nameid::TRANSIENT.to_owned(),
            _ => sp.nameid_format.clone(),
        },
        comparison: ctx.comparison,
        class_refs: ctx.class_refs,
        created: now,
    }
}

/// GET /saml/idp-initiated?sp=ENTITYID[&RelayState=..]: an assertion the SP did not ask
/// for, to its default ACS, when it is registered to accept them.
#[tracing::instrument(skip_all)]
pub async fn idp_initiated(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    const EVENT: &str = "saml.request_refused";
    let locale = http::locale(&headers, None);
    let Ok(params) = parse_query(q.unwrap_or_default().as_bytes()) else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, EVENT).await);
    };
    if p.saml.signing_key().is_none() {
        return Ok(refuse(&p, locale, Refusal::Unavailable, None, EVENT).await);
    }
    let Some(entity_id) = params.get("sp") else {
        return Ok(refuse(&p, locale, Refusal::Bad, None, EVENT).await);
    };
    let sp = match p.saml.sps.get(entity_id).await {
        Ok(Some(sp)) => sp,
        Ok(None) => {
            return Ok(refuse(&p, locale, Refusal::UnknownSp, Some(entity_id), EVENT).await)
        }
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    if !sp.allow_idp_initiated {
        return Ok(refuse(&p, locale, Refusal::NoIdpInitiated, Some(entity_id), EVENT).await);
    }
    let Some(acs) = sp.default_acs() else {
        return Ok(refuse(&p, locale, Refusal::UnregisteredAcs, Some(entity_id), EVENT).await);
    };
    let relay_state = params.get("RelayState");
    if relay_state.is_some_and(|r| r.len() > MAX_RELAY_STATE) {
        // Said, not silently dropped: the SP would land somewhere other than asked.
        let why = Refusal::RelayStateTooLong;
        return Ok(refuse(&p, locale, why, Some(entity_id), EVENT).await);
    }
    let pending = Pending {
        entity_id: sp.entity_id.clone(),
        acs: acs.location.clone(),
        request_id: None,
        relay_state: relay_state.cloned(),
        force_authn: false,
        is_passive: false,
        nameid_format: sp.nameid_format.clone(),
        comparison: "exact".into(),
        class_refs: Vec::new(),
        created: p.clock.now(),
    };
    proceed(&p, &headers, pending, &sp, locale).await
}
