//! The HTTP-POST binding under a `SameSite=Lax` session cookie. A service provider on another
//! site posts its `AuthnRequest` or `LogoutRequest` from its own page, and a browser sends no
//! Lax cookie with a cross-site POST: the IdP would not see the person's session (SSO would
//! ask for the password again, IsPassive would always fail, and logout would answer Success
//! while the session lived on). Rather than weaken the cookie for every page, such a POST is
//! parked: the message is kept in the ephemeral store under a random single-use handle for a
//! short while, and the browser is sent (303) to the same endpoint by GET with only the handle.
//! That top-level GET carries the Lax cookie, and the message is then handled exactly as the
//! POST binding (its enveloped signature, its checks) would have been.

use authorization_server::Provider;
use axum::http::HeaderMap;
use axum::response::Response;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{put_json, take_json};
use platform::EphemeralError;
use serde::{Deserialize, Serialize};
use web::http;
use web::session::SESSION_COOKIE;

/// How long a parked message waits for the browser to come back (seconds): the redirect is
/// immediate, this only covers a slow network.
const TTL: i64 = 120;

/// The query parameter that carries the handle.
pub(crate) const PARAM: &str = "bounce";

/// A message posted without the session cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Parked {
    /// `SAMLRequest`, base64 as posted.
    pub message: String,
    /// `RelayState`, as posted.
    pub relay_state: Option<String>,
}

/// Whether a POST came without the session cookie (then it is parked).
pub(crate) fn needed(p: &Provider, headers: &HeaderMap) -> bool {
    http::cookie(p, headers, SESSION_COOKIE).is_none()
}

fn key(path: &str, handle: &str) -> String {
    // The endpoint is part of the key: a handle made at /saml/sso is nothing at /saml/slo.
    format!(
        "saml:bounce:{}",
        sha256_b64(format!("{path}\n{handle}").as_bytes())
    )
}

/// Parks a message and sends the browser to `path?bounce=HANDLE`.
pub(crate) async fn park(
    p: &Provider,
    path: &str,
    parked: &Parked,
) -> Result<Response, EphemeralError> {
    let handle = random_token(24);
    put_json(p.store.as_ref(), &key(path, &handle), parked, TTL).await?;
    Ok(http::see_other(&format!("{path}?{PARAM}={handle}")))
}

/// Takes a parked message (once).
pub(crate) async fn take(
    p: &Provider,
    path: &str,
    handle: &str,
) -> Result<Option<Parked>, EphemeralError> {
    if handle.len() > 64 {
        return Ok(None);
    }
    take_json(p.store.as_ref(), &key(path, handle)).await
}
