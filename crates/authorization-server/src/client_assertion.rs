//! `private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9): the client signs a
//! short-lived JWT with a private key whose public half it registered, inline (`jwks`) or at an
//! address of its own (`jwks_uri`), and no shared secret ever leaves it.
//!
//! What an assertion must be to authenticate its client:
//! - signed with RS256, RS384, PS256, ES256, ES384 or EdDSA by one of the client's registered
//!   keys (`none`,
//!   the HMAC algorithms and a key the client did not register are refused);
//! - `iss` and `sub` both the client id (and the `client_id` parameter, when sent);
//! - `aud` the issuer or one of the endpoints that authenticate clients;
//! - `exp` in the future and at most [`MAX_LIFETIME`] seconds ahead (a long-lived assertion
//!   is a password by another name); `nbf` and `iat`, when present, not in the future;
//! - `jti` present and never seen before for this client: it is recorded in the ephemeral
//!   store until the assertion expires, with an atomic put-if-absent, so a replay is refused on
//!   every node.
//!
//! Keys at a `jwks_uri` are fetched with the back-channel HTTP client (no redirects, a
//! timeout), at most [`MAX_JWKS_BYTES`], and cached per node for [`JWKS_CACHE_SECS`]; an
//! assertion naming a `kid` the cache does not hold fetches again, at most once per
//! [`REFETCH_SECS`] per client (a key rotated in is seen at once, and a flood of made-up
//! `kid`s does not become a flood of fetches).

use crate::jose::{first_use, json_part, verifier};
use crate::{Client, Provider};
use josekit::jwk::{Jwk, JwkSet};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The algorithms an assertion may be signed with (published in discovery).
pub use crate::jose::ALGS;

/// How far ahead an assertion's `exp` may lie, seconds.
pub const MAX_LIFETIME: i64 = 300;

/// Clock skew allowed on `nbf` and `iat`, seconds.
const SKEW: i64 = 30;

/// The largest key set fetched from a `jwks_uri`, bytes.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// How long a node keeps a fetched key set, seconds.
pub const JWKS_CACHE_SECS: i64 = 300;

/// The shortest time between two fetches of one client's key set, seconds.
pub const REFETCH_SECS: i64 = 10;

/// At most this many keys in a registered or fetched set.
pub const MAX_KEYS: usize = 10;

/// Why an assertion does not authenticate (never told to the caller beyond `invalid_client`;
/// logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// The assertion is not acceptable; the text says why.
    #[error("{0}")]
    Invalid(&'static str),
    /// A store or the client's key set could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

use AssertionError::Invalid;

/// Key sets fetched from clients' `jwks_uri`, per node: (fetched at, keys).
#[derive(Debug, Default)]
pub struct KeyCache(Mutex<HashMap<String, (i64, Vec<Jwk>)>>);

/// Whether a key is of a type and curve assertions are verified with here.
fn usable(k: &Jwk) -> bool {
    match k.key_type() {
        "RSA" => true,
        "EC" => matches!(k.curve(), Some("P-256" | "P-384")),
        "OKP" => k.curve() == Some("Ed25519"),
        _ => false,
    }
}

/// A key set fetched from a client's `jwks_uri`: as [`parse_jwks`], except that keys of a
/// type or curve not used here (an encryption key, P-521, a symmetric key...) are skipped
/// rather than failing the whole set, as SMART Backend Services expects of a published set;
/// a set with no usable key, or with a private key, is refused.
pub fn parse_fetched_jwks(text: &str) -> Result<Vec<Jwk>, String> {
    if text.len() > MAX_JWKS_BYTES {
        return Err(format!("jwks is larger than {MAX_JWKS_BYTES} bytes"));
    }
    let set = JwkSet::from_bytes(text.as_bytes()).map_err(|_| "jwks is not a JWK set")?;
    let keys = set.keys();
    if keys.iter().any(|k| {
        k.parameter("d").is_some() || k.parameter("p").is_some() || k.parameter("k").is_some()
    }) {
        return Err("jwks must hold public keys only (a private or secret key was given)".into());
    }
    let usable: Vec<Jwk> = keys
        .into_iter()
        .filter(|k| usable(k))
        .take(MAX_KEYS)
        .cloned()
        .collect();
    if usable.is_empty() {
        return Err("jwks holds no RSA, EC P-256 or P-384, or Ed25519 key".into());
    }
    Ok(usable)
}

/// A registered key set (`{"keys": [...]}`) as public keys, or why not: at most
/// [`MAX_KEYS`], each an RSA, EC P-256 or P-384, or Ed25519 public key (a private part is
/// refused).
pub fn parse_jwks(text: &str) -> Result<Vec<Jwk>, String> {
    if text.len() > MAX_JWKS_BYTES {
        return Err(format!("jwks is larger than {MAX_JWKS_BYTES} bytes"));
    }
    let set = JwkSet::from_bytes(text.as_bytes()).map_err(|_| "jwks is not a JWK set")?;
    let keys = set.keys();
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(format!("jwks must hold 1 to {MAX_KEYS} keys"));
    }
    for k in &keys {
        if k.parameter("d").is_some() || k.parameter("p").is_some() {
            return Err("jwks must hold public keys only (a private key was given)".into());
        }
        if !usable(k) {
            return Err("jwks keys must be RSA, EC P-256 or P-384, or OKP Ed25519".into());
        }
    }
    Ok(keys.into_iter().cloned().collect())
}

/// Whether keys may be fetched from `uri`: https, or plain http to a loopback address (the
/// rule SAML metadata is fetched under).
pub fn jwks_uri_ok(uri: &str) -> bool {
    url::Url::parse(uri)
        .is_ok_and(|u| u.host().is_some() && crate::saml::sp_metadata::trusted_source(&u))
}

fn b64_json(part: &str) -> Result<Value, AssertionError> {
    json_part(part).ok_or(Invalid("the assertion is not a JWT"))
}

/// The audiences an assertion may name: the issuer and the endpoints that authenticate
/// clients.
pub fn audiences(issuer: &str) -> [String; 5] {
    [
        issuer.to_owned(),
        format!("{issuer}/token"),
        format!("{issuer}/par"),
        format!("{issuer}/introspect"),
        format!("{issuer}/revoke"),
    ]
}

/// The client `assertion` authenticates (`client_id`: the parameter, when sent).
pub async fn authenticate(
    p: &Provider,
    assertion: &str,
    client_id: Option<&str>,
) -> Result<Arc<Client>, AssertionError> {
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 || assertion.len() > 16 * 1024 {
        return Err(Invalid("the assertion is not a compact JWS"));
    }
    let header = b64_json(parts[0])?;
    let alg = header["alg"].as_str().unwrap_or("");
    if !ALGS.contains(&alg) {
        return Err(Invalid("the assertion's alg is not accepted"));
    }
    if header.get("crit").is_some() {
        return Err(Invalid("the assertion has critical header parameters"));
    }
    let kid = header["kid"].as_str();
    // Whose it claims to be, read before the signature to find the keys; nothing else is
    // trusted until the signature verifies.
    let claimed = b64_json(parts[1])?;
    let iss = claimed["iss"].as_str().unwrap_or("");
    if iss.is_empty() || claimed["sub"].as_str() != Some(iss) {
        return Err(Invalid("iss and sub must both be the client id"));
    }
    if client_id.is_some_and(|c| c != iss) {
        return Err(Invalid("client_id is not the assertion's issuer"));
    }
    let client = p
        .clients
        .get(iss)
        .await
        .map_err(|e| AssertionError::Unavailable(e.to_string()))?
        .ok_or(Invalid("no such client"))?;
    if !client.uses_private_key_jwt() {
        return Err(Invalid("the client has no registered keys"));
    }
    if client.fapi2 && !crate::clients::FAPI2_ALGS.contains(&alg) {
        return Err(Invalid(
            "a FAPI 2.0 client signs with PS256, ES256 or EdDSA",
        ));
    }
    let payload = verified_payload(p, &client, assertion, alg, kid).await?;
    let c: Value =
        serde_json::from_slice(&payload).map_err(|_| Invalid("the assertion is not a JWT"))?;
    check_claims(p, &client, &c).await?;
    Ok(client)
}

/// The payload of a compact JWS `jws` signed by one of `client`'s registered keys with one of
/// `algs` (`none` and the HMAC algorithms never), or why not. For request objects (RFC 9101).
pub async fn verify_signed_by(
    p: &Provider,
    client: &Client,
    jws: &str,
    algs: &[&str],
) -> Result<(Value, Vec<u8>), AssertionError> {
    let parts: Vec<&str> = jws.split('.').collect();
    if parts.len() != 3 || jws.len() > 64 * 1024 {
        return Err(Invalid("not a compact JWS"));
    }
    let header = b64_json(parts[0])?;
    let alg = header["alg"].as_str().unwrap_or("");
    if !ALGS.contains(&alg) || !algs.contains(&alg) {
        return Err(Invalid("the alg is not accepted"));
    }
    if header.get("crit").is_some() {
        return Err(Invalid("critical header parameters are not supported"));
    }
    if !client.uses_private_key_jwt() {
        return Err(Invalid("the client has no registered keys"));
    }
    let kid = header["kid"].as_str();
    let payload = verified_payload(p, client, jws, alg, kid).await?;
    Ok((header, payload))
}

/// The payload, once the signature verifies with one of the client's keys.
async fn verified_payload(
    p: &Provider,
    client: &Client,
    assertion: &str,
    alg: &str,
    kid: Option<&str>,
) -> Result<Vec<u8>, AssertionError> {
    let try_keys = |keys: &[Jwk]| -> Option<Vec<u8>> {
        keys.iter()
            .filter(|k| kid.is_none() || k.key_id() == kid)
            .filter_map(|k| verifier(alg, k))
            .find_map(|v| {
                josekit::jws::deserialize_compact(assertion, &*v)
                    .ok()
                    .map(|(payload, _)| payload)
            })
    };
    if client.jwks.is_some() {
        return try_keys(&client.keys).ok_or(Invalid("the signature does not verify"));
    }
    let Some(uri) = &client.jwks_uri else {
        return Err(Invalid("the client has no registered keys"));
    };
    let now = p.clock.now();
    let cached = {
        let m = p.client_keys.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&client.client_id).cloned()
    };
    if let Some((at, keys)) = &cached {
        if now - at < JWKS_CACHE_SECS {
            if let Some(payload) = try_keys(keys) {
                return Ok(payload);
            }
            // A kid the cached set does not hold may be a key rotated in since: fetch again,
            // but not more often than every REFETCH_SECS.
            let known = kid.is_some_and(|k| keys.iter().any(|j| j.key_id() == Some(k)));
            if known || now - at < REFETCH_SECS {
                return Err(Invalid("the signature does not verify"));
            }
        }
    }
    let keys = fetch(p, uri).await?;
    {
        let mut m = p.client_keys.0.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(client.client_id.clone(), (now, keys.clone()));
    }
    try_keys(&keys).ok_or(Invalid("the signature does not verify"))
}

/// The key set at `uri`, bounded in size and time.
async fn fetch(p: &Provider, uri: &str) -> Result<Vec<Jwk>, AssertionError> {
    if !jwks_uri_ok(uri) {
        return Err(Invalid("the registered jwks_uri is not https"));
    }
    let unavailable = |e: String| AssertionError::Unavailable(format!("jwks_uri {uri}: {e}"));
    let mut r = p
        .backchannel
        .get(uri)
        .send()
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    if !r.status().is_success() {
        return Err(unavailable(format!("HTTP {}", r.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| unavailable(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_JWKS_BYTES {
            return Err(unavailable(format!("larger than {MAX_JWKS_BYTES} bytes")));
        }
    }
    let text = String::from_utf8(body).map_err(|_| unavailable("not UTF-8".into()))?;
    parse_fetched_jwks(&text).map_err(unavailable)
}

async fn check_claims(p: &Provider, client: &Client, c: &Value) -> Result<(), AssertionError> {
    let now = p.clock.now();
    let auds = audiences(&p.cfg.issuer);
    let aud_ok = match &c["aud"] {
        Value::String(a) => auds.contains(a),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| auds.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(Invalid("aud is not this provider"));
    }
    let exp = c["exp"].as_i64().ok_or(Invalid("exp is required"))?;
    if exp <= now {
        return Err(Invalid("the assertion has expired"));
    }
    if exp > now + MAX_LIFETIME {
        return Err(Invalid("the assertion lives too long"));
    }
    for k in ["nbf", "iat"] {
        if c[k].as_i64().is_some_and(|t| t > now + SKEW) {
            return Err(Invalid("the assertion is not valid yet"));
        }
    }
    if c["iss"] != c["sub"] || c["iss"].as_str() != Some(client.client_id.as_str()) {
        return Err(Invalid("iss and sub must both be the client id"));
    }
    let jti = c["jti"]
        .as_str()
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(Invalid("jti is required"))?;
    let fresh = first_use(p, "cajti", &client.client_id, jti, exp - now + SKEW)
        .await
        .map_err(|e| AssertionError::Unavailable(e.to_string()))?;
    if !fresh {
        return Err(Invalid("the assertion was used before (jti)"));
    }
    Ok(())
}
