//! The SSO session's cookie: reading it from a request and setting or clearing it on a
//! response. What the cookie names lives in `authorization_server::sso`.

use crate::http::{cookie, set_cookie};
use authorization_server::Provider;
use axum::http::{HeaderMap, HeaderValue};
use platform::EphemeralError;

pub use authorization_server::sso::{
    add_client, destroy, save, still_valid, SignedInError, SsoSession, SESSION_COOKIE,
};

/// The cookie that marks a browser the person chose to have remembered after a step-up.
pub const DEVICE_COOKIE: &str = "oneid_device";

/// The browser's live session, with its store key.
pub async fn current(
    p: &Provider,
    headers: &HeaderMap,
) -> Result<Option<(String, SsoSession)>, EphemeralError> {
    match cookie(p, headers, SESSION_COOKIE) {
        Some(c) => authorization_server::sso::load(p, &c).await,
        None => Ok(None),
    }
}

/// Starts a session; returns it, its store key and the `Set-Cookie` header.
pub async fn create(
    p: &Provider,
    account_id: &str,
    acr: String,
    amr: Vec<String>,
) -> Result<(String, SsoSession, HeaderValue), EphemeralError> {
    let (value, k, s) = authorization_server::sso::start(p, account_id, acr, amr).await?;
    let cookie = set_cookie(p, SESSION_COOKIE, &value, p.cfg.session_ttl);
    Ok((k, s, cookie))
}

/// A `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(p: &Provider) -> HeaderValue {
    set_cookie(p, SESSION_COOKIE, "", 0)
}

/// The browser's live session and its account, when the account is active and the session
/// began after the account's sessions were last ended (password reset, termination).
pub async fn signed_in(
    p: &Provider,
    headers: &HeaderMap,
) -> Result<Option<(String, SsoSession, credential_store::Account)>, SignedInError> {
    match cookie(p, headers, SESSION_COOKIE) {
        Some(c) => authorization_server::sso::signed_in(p, &c).await,
        None => Ok(None),
    }
}
