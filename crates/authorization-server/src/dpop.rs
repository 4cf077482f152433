//! DPoP (RFC 9449): tokens bound to a key the client holds. The client sends a proof (a JWT
//! signed by its key, whose public half is in the header) with each request; access tokens
//! carry the key's thumbprint (`cnf.jkt`), refresh tokens are kept with it, and a bound token
//! is honoured only with a fresh proof by the same key.
//!
//! A proof is accepted when:
//! - its header has `typ` `dpop+jwt`, an `alg` of RS256, RS384, PS256, ES256, ES384 or EdDSA, and a public
//!   `jwk` (a private part is refused), and it verifies with that key;
//! - `htm` and `htu` are this request's method and URL (without query and fragment);
//! - `iat` is within [`MAX_AGE`] seconds before now (and not ahead by more than the skew);
//! - `nonce` is one the provider issued in the current or the previous window (a
//!   `DPoP-Nonce` answered with every response): a proof cannot be made ahead of time;
//! - `jti` was never seen with this key: it is recorded with an atomic put-if-absent in the
//!   ephemeral store, so a replayed proof is refused on every node;
//! - at a resource, `ath` is the hash of the access token it comes with.

use crate::jose::{first_use, json_part, verifier};
use crate::Provider;
use josekit::jwk::Jwk;
use platform::crypto::{b64url, sha256, sha256_b64};
use serde_json::Value;

/// The algorithms a proof may be signed with (discovery's `dpop_signing_alg_values_supported`).
pub use crate::jose::ALGS;

/// How old a proof may be, seconds.
pub const MAX_AGE: i64 = 300;

/// Clock skew allowed ahead, seconds.
const SKEW: i64 = 30;

/// How long a nonce window lasts, seconds (a nonce is good in its window and the next).
pub const NONCE_WINDOW: i64 = 300;

/// Why a proof is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    /// Not a good proof (`invalid_dpop_proof`); the text says why.
    #[error("{0}")]
    Invalid(&'static str),
    /// No nonce, or a stale one (`use_dpop_nonce`, with a fresh `DPoP-Nonce`).
    #[error("a fresh DPoP nonce is needed")]
    UseNonce,
    /// The ephemeral store failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

use DpopError::Invalid;

/// The nonce of the window `w`.
fn nonce_of(p: &Provider, w: i64) -> String {
    b64url(&p.keys.mac("dpop-nonce", w.to_string().as_bytes())[..18])
}

/// The nonce to hand out now (`DPoP-Nonce`).
pub fn nonce(p: &Provider) -> String {
    nonce_of(p, p.clock.now().div_euclid(NONCE_WINDOW))
}

fn nonce_ok(p: &Provider, n: &str) -> bool {
    let w = p.clock.now().div_euclid(NONCE_WINDOW);
    [w, w - 1]
        .iter()
        .any(|w| platform::crypto::ct_eq(nonce_of(p, *w).as_bytes(), n.as_bytes()))
}

/// The JWK thumbprint (RFC 7638) of a public key, base64url: `cnf.jkt`.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let s = |k: &str| jwk[k].as_str().map(str::to_owned);
    let members = match jwk["kty"].as_str()? {
        "EC" => serde_json::json!({"crv": s("crv")?, "kty": "EC", "x": s("x")?, "y": s("y")?}),
        "RSA" => serde_json::json!({"e": s("e")?, "kty": "RSA", "n": s("n")?}),
        "OKP" => serde_json::json!({"crv": s("crv")?, "kty": "OKP", "x": s("x")?}),
        _ => return None,
    };
    // serde_json writes object members in sorted order without whitespace: the required form.
    Some(b64url(&sha256(members.to_string().as_bytes())))
}

fn part(s: &str) -> Result<Value, DpopError> {
    json_part(s).ok_or(Invalid("the DPoP proof is not a JWT"))
}

/// Checks `proof` for a request of method `htm` to `htu` (with the access token it comes
/// with, at a resource), signed with one of `algs`; returns the key's thumbprint.
pub async fn check(
    p: &Provider,
    proof: &str,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    algs: &[&str],
) -> Result<String, DpopError> {
    let parts: Vec<&str> = proof.split('.').collect();
    if parts.len() != 3 || proof.len() > 8 * 1024 {
        return Err(Invalid("the DPoP proof is not a compact JWS"));
    }
    let header = part(parts[0])?;
    if header["typ"].as_str() != Some("dpop+jwt") {
        return Err(Invalid("the DPoP proof's typ is not dpop+jwt"));
    }
    let alg = header["alg"].as_str().unwrap_or("");
    if !ALGS.contains(&alg) || !algs.contains(&alg) {
        return Err(Invalid("the DPoP proof's alg is not accepted"));
    }
    let jwk_value = header
        .get("jwk")
        .filter(|j| j.is_object())
        .ok_or(Invalid("the DPoP proof carries no jwk"))?;
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|k| jwk_value.get(k).is_some())
    {
        return Err(Invalid("the DPoP proof's jwk holds a private key"));
    }
    let jwk = Jwk::from_bytes(jwk_value.to_string().as_bytes())
        .map_err(|_| Invalid("the DPoP proof's jwk is not a key"))?;
    let v = verifier(alg, &jwk).ok_or(Invalid("the DPoP proof's jwk does not fit its alg"))?;
    let (payload, _) = josekit::jws::deserialize_compact(proof, &*v)
        .map_err(|_| Invalid("the DPoP proof's signature does not verify"))?;
    let c: Value =
        serde_json::from_slice(&payload).map_err(|_| Invalid("the DPoP proof is not a JWT"))?;
    if c["htm"].as_str() != Some(htm) {
        return Err(Invalid("htm is not this request's method"));
    }
    let sent = c["htu"].as_str().unwrap_or("");
    let sent = sent.split(['?', '#']).next().unwrap_or("");
    if sent != htu {
        return Err(Invalid("htu is not this request's URL"));
    }
    let now = p.clock.now();
    let iat = c["iat"].as_i64().ok_or(Invalid("iat is required"))?;
    if iat < now - MAX_AGE || iat > now + SKEW {
        return Err(Invalid("the DPoP proof is too old or from the future"));
    }
    if let Some(at) = access_token {
        let ath = sha256_b64(at.as_bytes());
        if c["ath"].as_str() != Some(ath.as_str()) {
            return Err(Invalid("ath is not the hash of the access token"));
        }
    }
    match c["nonce"].as_str() {
        Some(n) if nonce_ok(p, n) => {}
        _ => return Err(DpopError::UseNonce),
    }
    let jti = c["jti"]
        .as_str()
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(Invalid("jti is required"))?;
    let jkt = thumbprint(jwk_value).ok_or(Invalid("the DPoP proof's jwk is not a key"))?;
    let fresh = first_use(p, "dpopjti", &jkt, jti, MAX_AGE + SKEW + NONCE_WINDOW)
        .await
        .map_err(|e| DpopError::Unavailable(e.to_string()))?;
    if !fresh {
        return Err(Invalid("the DPoP proof was used before (jti)"));
    }
    Ok(jkt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
