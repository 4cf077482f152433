//! Signed request objects (RFC 9101, JAR): the authorization request's parameters as a JWT the
//! client signs with a key it registered (`jwks` or `jwks_uri`), sent by value (`request`) at
//! the authorization endpoint or inside a pushed request. Its parameters are the request; the
//! ones beside it are ignored (except `client_id`, which must match).
//!
//! A request object is accepted when it is signed with RS256, RS384, PS256, ES256, ES384 or EdDSA (PS256,
//! ES256 or EdDSA for a FAPI 2.0 client) by one of the client's keys, its `iss` (and
//! `client_id`, when present) is the client, its `aud` is the issuer, `exp` is in the future
//! and at most an hour ahead, `nbf` (when present) is not in the future, and its `jti` was
//! never seen before (recorded atomically, so a replay fails on every node).

use super::Params;
use crate::client_assertion::{verify_signed_by, AssertionError, ALGS};
use crate::{Client, Provider};
use serde_json::Value;

/// How far ahead a request object's `exp` may lie, seconds.
pub const MAX_LIFETIME: i64 = 3600;

/// Why a request object is refused (`invalid_request_object`); the text says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestObjectError {
    /// Not acceptable.
    Invalid(&'static str),
    /// A store or the client's keys could not be reached.
    Unavailable(String),
}

/// The parameters of the request object `jws` sent by `client`.
pub async fn open(p: &Provider, client: &Client, jws: &str) -> Result<Params, RequestObjectError> {
    use RequestObjectError::Invalid;
    let algs: &[&str] = if client.fapi2 {
        &crate::clients::FAPI2_ALGS
    } else {
        &ALGS
    };
    let (_, payload) = verify_signed_by(p, client, jws, algs)
        .await
        .map_err(|e| match e {
            AssertionError::Invalid(why) => Invalid(why),
            AssertionError::Unavailable(e) => RequestObjectError::Unavailable(e),
        })?;
    let c: Value =
        serde_json::from_slice(&payload).map_err(|_| Invalid("the request object is not JSON"))?;
    let obj = c
        .as_object()
        .ok_or(Invalid("the request object is not a JSON object"))?;
    if c["iss"].as_str() != Some(client.client_id.as_str()) {
        return Err(Invalid("iss is not the client"));
    }
    if c.get("client_id").is_some() && c["client_id"].as_str() != Some(client.client_id.as_str()) {
        return Err(Invalid("client_id is not the client"));
    }
    let aud_ok = match &c["aud"] {
        Value::String(a) => *a == p.cfg.issuer,
        Value::Array(list) => list
            .iter()
            .any(|a| a.as_str() == Some(p.cfg.issuer.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err(Invalid("aud is not this provider"));
    }
    let now = p.clock.now();
    let exp = c["exp"].as_i64().ok_or(Invalid("exp is required"))?;
    if exp <= now || exp > now + MAX_LIFETIME {
        return Err(Invalid("the request object has expired or lives too long"));
    }
    if c["nbf"].as_i64().is_some_and(|t| t > now + 30) {
        return Err(Invalid("the request object is not valid yet"));
    }
    if obj.contains_key("request") || obj.contains_key("request_uri") {
        return Err(Invalid("a request object cannot hold another"));
    }
    let jti = c["jti"]
        .as_str()
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(Invalid("jti is required"))?;
    let fresh = crate::jose::first_use(p, "rojti", &client.client_id, jti, exp - now + 30)
        .await
        .map_err(|e| RequestObjectError::Unavailable(e.to_string()))?;
    if !fresh {
        return Err(Invalid("the request object was used before (jti)"));
    }
    let mut params = Params::new();
    for (k, v) in obj {
        if ["iss", "aud", "exp", "nbf", "iat", "jti"].contains(&k.as_str()) {
            continue;
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        params.insert(k.clone(), text);
    }
    params.insert("client_id".into(), client.client_id.clone());
    Ok(params)
}
