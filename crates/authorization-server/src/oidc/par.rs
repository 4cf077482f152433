//! Pushed Authorization Requests (RFC 9126): an authenticated client sends its authorization
//! request straight to the provider, and the browser carries only a short-lived, single-use
//! handle (`request_uri`) to the authorization endpoint. The request's parameters never pass
//! through the browser, where they could be read or changed, and they are checked before the
//! person sees anything.
//!
//! The pushed request is checked as the authorization endpoint checks one (the client's exact
//! redirect URI, then every parameter) and kept in the ephemeral store under its handle for
//! [`PAR_TTL`] seconds. The authorization endpoint takes it atomically (of two uses, on any
//! node, exactly one gets it), only for the client it was pushed by.

use super::authorize::{check, client_for, AuthorizationRequest, ClientRefusal};
use super::Params;
use crate::{Client, Provider};
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{put_json, take_json};
use serde::{Deserialize, Serialize};

/// What a `request_uri` of ours starts with (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// How long a pushed request waits for the browser, seconds (RFC 9126 §2.2 suggests 5 to 600;
/// the browser is redirected at once).
pub const PAR_TTL: i64 = 60;

/// A pushed request, as kept.
#[derive(Debug, Serialize, Deserialize)]
struct Pushed {
    client_id: String,
    params: Params,
    exp: i64,
    /// The parameters came in a signed request object.
    #[serde(default)]
    signed: bool,
}

/// Why a pushed request is refused (RFC 9126 §2.3): the error code and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParRefusal {
    pub error: &'static str,
    pub description: &'static str,
}

/// Why a push failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The request is refused, with the error to send.
    Refused(ParRefusal),
    /// A store failed (the cause is logged, not sent).
    Internal(String),
}

fn refused(error: &'static str, description: &'static str) -> PushError {
    PushError::Refused(ParRefusal { error, description })
}

/// Why a `request_uri` is not honoured at the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakeError {
    /// Not one of ours, unknown, used, expired, or pushed by another client.
    Invalid,
    /// The ephemeral store failed.
    Unavailable(String),
}

fn key(handle: &str) -> String {
    // The handle is a bearer secret for a minute: the store keeps its digest.
    format!("par:{}", sha256_b64(handle.as_bytes()))
}

/// Checks `params` pushed by the authenticated `client` and keeps them; returns the
/// `request_uri` and its lifetime in seconds.
pub async fn push(
    p: &Provider,
    client: &Client,
    mut params: Params,
) -> Result<(String, i64), PushError> {
    if params.contains_key("request_uri") {
        return Err(refused(
            "invalid_request",
            "a pushed authorization request cannot itself carry a request_uri",
        ));
    }
    let mut signed = false;
    if let Some(jws) = params.get("request").cloned() {
        if params
            .get("client_id")
            .is_some_and(|c| *c != client.client_id)
        {
            return Err(refused(
                "invalid_request",
                "client_id is not the authenticated client",
            ));
        }
        params = match super::request_object::open(p, client, &jws).await {
            Ok(opened) => opened,
            Err(super::request_object::RequestObjectError::Invalid(why)) => {
                return Err(refused("invalid_request_object", why))
            }
            Err(super::request_object::RequestObjectError::Unavailable(e)) => {
                return Err(PushError::Internal(e))
            }
        };
        signed = true;
    }
    if client.require_signed_request_object && !signed {
        return Err(refused(
            "invalid_request",
            "this client must send a signed request object (RFC 9101)",
        ));
    }
    match params.get("client_id") {
        Some(id) if *id != client.client_id => {
            return Err(refused(
                "invalid_request",
                "client_id is not the authenticated client",
            ))
        }
        _ => {}
    }
    params.insert("client_id".into(), client.client_id.clone());
    let asked = AuthorizationRequest::from_params(params.clone());
    let redirect_uri = match client_for(p, &asked).await {
        Ok((_, uri)) => uri,
        Err(ClientRefusal::Internal(e)) => return Err(PushError::Internal(e)),
        Err(_) => {
            return Err(refused(
                "invalid_request",
                "redirect_uri is missing or not registered for this client",
            ))
        }
    };
    if let Err(r) = check(p, client, &redirect_uri, &asked).await {
        return Err(refused(r.error, r.description));
    }
    let handle = random_token(32);
    let pushed = Pushed {
        client_id: client.client_id.clone(),
        params,
        exp: p.clock.now() + PAR_TTL,
        signed,
    };
    put_json(p.store.as_ref(), &key(&handle), &pushed, PAR_TTL)
        .await
        .map_err(|e| PushError::Internal(e.to_string()))?;
    Ok((format!("{REQUEST_URI_PREFIX}{handle}"), PAR_TTL))
}

/// The parameters pushed under `request_uri` by `client_id`, taken (a second use finds
/// nothing), and whether they came in a signed request object.
pub async fn take(
    p: &Provider,
    client_id: &str,
    request_uri: &str,
) -> Result<(Params, bool), TakeError> {
    let handle = request_uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .filter(|h| !h.is_empty() && h.len() <= 128)
        .ok_or(TakeError::Invalid)?;
    let pushed: Option<Pushed> = take_json(p.store.as_ref(), &key(handle))
        .await
        .map_err(|e| TakeError::Unavailable(e.to_string()))?;
    let pushed = pushed.ok_or(TakeError::Invalid)?;
    if pushed.client_id != client_id || pushed.exp < p.clock.now() {
        return Err(TakeError::Invalid);
    }
    Ok((pushed.params, pushed.signed))
}

/// Whether `client` must push its authorization requests: every client when the provider
/// says so, or this one.
pub fn required(p: &Provider, client: &Client) -> bool {
    p.cfg.require_par || client.require_par || client.fapi2
}
