//! A demo viewer's Back-Channel Logout endpoint: the logout token verified (signature against
//! the provider's JWKS, issuer, audience, event, `sid`, no `nonce`, freshness) and the
//! viewer's own sessions of that ONE ID session ended.

use super::*;

/// The `events` member of a logout token.
pub(super) const BACKCHANNEL_LOGOUT_EVENT: &str =
    "http://schemas.openid.net/event/backchannel-logout";

/// POST /backchannel-logout: ONE ID says a session ended; the viewer ends its own sessions of
/// it. 200 when the logout token verifies, 400 otherwise.
pub(super) async fn backchannel_logout(State(s): State<Arc<ViewerState>>, body: Bytes) -> Response {
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned());
    let answer = |status: StatusCode, body: String| {
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    };
    let bad = |why: String| {
        tracing::warn!(viewer = %s.viewer.client_id, %why, "logout token refused");
        answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request", "error_description": why}).to_string(),
        )
    };
    let Some(token) = token else {
        return bad("no logout_token".into());
    };
    let (sid, sub) = match verify_logout_token(&s, &token).await {
        Ok(x) => x,
        Err(e) => return bad(e),
    };
    let ended = match s.sessions.lock() {
        Ok(mut m) => {
            let before = m.len();
            m.retain(|_, u| match &sid {
                Some(sid) => u.sid != *sid,
                None => Some(&u.sub) != sub.as_ref(),
            });
            before - m.len()
        }
        Err(_) => 0,
    };
    tracing::info!(viewer = %s.viewer.client_id, ended, "back-channel logout");
    answer(StatusCode::OK, String::new())
}

/// Verifies a logout token (Back-Channel Logout 1.0 §2.6): signature against the provider's
/// JWKS, `typ`, `iss`, `aud`, `iat`/`exp`, the `events` claim, no `nonce`, and `sid` or `sub`.
/// Returns (`sid`, `sub`).
pub(super) async fn verify_logout_token(
    s: &ViewerState,
    token: &str,
) -> Result<(Option<String>, Option<String>), String> {
    use josekit::jws::{EdDSA, JwsVerifier, ES256, PS256, RS256};
    let header: serde_json::Value = token
        .split('.')
        .next()
        .and_then(|h| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the logout token is not a JWT")?;
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let jwks = s
        .http
        .get(format!("{}/jwks", s.issuer))
        .send()
        .await
        .map_err(|e| format!("JWKS unreachable: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("JWKS unreadable: {e}"))?;
    let jwks = josekit::jwk::JwkSet::from_bytes(&jwks).map_err(|e| format!("bad JWKS: {e}"))?;
    let jwk = *jwks.get(kid).first().ok_or("unknown kid")?;
    let verifier: Box<dyn JwsVerifier> = match header["alg"].as_str() {
        Some("RS256") => Box::new(RS256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        Some("PS256") => Box::new(PS256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        Some("ES256") => Box::new(ES256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        Some("EdDSA") => Box::new(EdDSA.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        _ => return Err("unsupported alg".into()),
    };
    let (payload, header) = josekit::jws::deserialize_compact(token, &*verifier)
        .map_err(|_| "the signature does not verify")?;
    if header.token_type() != Some("logout+jwt") {
        return Err("typ is not logout+jwt".into());
    }
    let c: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| "the claims are not JSON")?;
    if c["iss"].as_str() != Some(s.issuer.as_str()) {
        return Err("wrong iss".into());
    }
    let me = s.viewer.client_id.as_str();
    let for_me = match &c["aud"] {
        serde_json::Value::String(a) => a == me,
        serde_json::Value::Array(a) => a.iter().any(|x| x.as_str() == Some(me)),
        _ => false,
    };
    if !for_me {
        return Err("wrong aud".into());
    }
    let now = platform::Clock::now(&platform::SystemClock);
    let (Some(iat), Some(exp)) = (c["iat"].as_i64(), c["exp"].as_i64()) else {
        return Err("no iat or exp".into());
    };
    if exp + 30 < now || iat > now + 30 {
        return Err("expired or not yet valid".into());
    }
    if !c["events"][BACKCHANNEL_LOGOUT_EVENT].is_object() {
        return Err("not a logout token (events)".into());
    }
    if c.get("nonce").is_some() {
        return Err("a logout token has no nonce".into());
    }
    let sid = c["sid"].as_str().map(str::to_owned);
    let sub = c["sub"].as_str().map(str::to_owned);
    if sid.is_none() && sub.is_none() {
        return Err("neither sid nor sub".into());
    }
    Ok((sid, sub))
}
