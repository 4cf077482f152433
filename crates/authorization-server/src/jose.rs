//! What the signed objects clients send have in common (client assertions, DPoP proofs,
//! request objects): the algorithms accepted, a verifier for a client's key, the JSON of a
//! compact JWS's parts, and the single use of a `jti` across nodes.

use crate::Provider;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsVerifier, ES256, ES384, PS256, RS256, RS384};
use platform::crypto::sha256_b64;
use serde_json::Value;

/// The algorithms a client may sign with (never `none`, never an HMAC).
pub const ALGS: [&str; 6] = ["RS256", "RS384", "PS256", "ES256", "ES384", "EdDSA"];

/// A verifier of `alg` for `jwk`, when the key fits the algorithm.
pub fn verifier(alg: &str, jwk: &Jwk) -> Option<Box<dyn JwsVerifier>> {
    let v: Box<dyn JwsVerifier> = match (alg, jwk.key_type()) {
        ("RS256", "RSA") => Box::new(RS256.verifier_from_jwk(jwk).ok()?),
        // SMART Backend Services' algorithms (RS384 and ES384 on P-384).
        ("RS384", "RSA") => Box::new(RS384.verifier_from_jwk(jwk).ok()?),
        ("ES384", "EC") => Box::new(ES384.verifier_from_jwk(jwk).ok()?),
        ("PS256", "RSA") => Box::new(PS256.verifier_from_jwk(jwk).ok()?),
        ("ES256", "EC") => Box::new(ES256.verifier_from_jwk(jwk).ok()?),
        ("EdDSA", "OKP") => Box::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        _ => return None,
    };
    Some(v)
}

/// The JSON of a compact JWS's header or payload part (unverified).
pub fn json_part(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Records the `jti` of a signed object of `kind` from `scope` (a client, a key) for
/// `ttl_secs`, atomically on every node: true the first time, false for a replay.
pub async fn first_use(
    p: &Provider,
    kind: &str,
    scope: &str,
    jti: &str,
    ttl_secs: i64,
) -> Result<bool, platform::EphemeralError> {
    let key = format!(
        "{kind}:{}",
        sha256_b64(format!("{scope}\n{jti}").as_bytes())
    );
    p.store.put_if_absent(&key, b"1", ttl_secs.max(1)).await
}
