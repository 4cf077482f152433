//! The SSO session: one per browser, in the ephemeral store under the digest of a random
//! cookie value, so a leaked store cannot be replayed as cookies. A login always starts a new
//! session (no fixation); logout deletes it. The web surfaces read and set the cookie; this
//! module keeps what is behind it.

use crate::Provider;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use platform::EphemeralError;
use serde::{Deserialize, Serialize};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "oneid_session";

/// What the provider remembers about a signed-in browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoSession {
    /// Public session id (`sid` claim); not the cookie.
    pub sid: String,
    /// The account.
    pub account_id: String,
    /// When the person authenticated, unix seconds.
    pub auth_time: i64,
    /// Authentication context class reached.
    pub acr: String,
    /// Methods used (RFC 8176).
    pub amr: Vec<String>,
    /// Relying parties that received tokens in this session (for logout fan-out).
    #[serde(default)]
    pub clients: Vec<String>,
    /// When the session was last stepped up, unix seconds.
    #[serde(default)]
    pub mfa_at: Option<i64>,
    /// When the session was last stepped up with a passkey of a model on the staff list.
    #[serde(default)]
    pub listed_key_at: Option<i64>,
    /// When the session last proved possession (a phone's code, an app's code or a passkey),
    /// and when a passkey: the staff rules read these, not the methods the session gathered
    /// over its life (`amr`), so that a later step-up with questions never passes for them.
    #[serde(default)]
    pub possession_at: Option<i64>,
    #[serde(default)]
    pub passkey_at: Option<i64>,
    /// SAML service providers that received assertions in this session (for logout).
    #[serde(default)]
    pub saml: Vec<crate::saml::Participant>,
}

/// The store key of the session behind a cookie value.
pub fn key(cookie_value: &str) -> String {
    format!("sso:{}", sha256_b64(cookie_value.as_bytes()))
}

/// The live session behind a cookie value, with its store key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(
    p: &Provider,
    cookie_value: &str,
) -> Result<Option<(String, SsoSession)>, EphemeralError> {
    if cookie_value.len() > 128 {
        return Ok(None);
    }
    let k = key(cookie_value);
    Ok(get_json::<SsoSession>(p.store.as_ref(), &k)
        .await?
        .map(|s| (k, s)))
}

/// A new session, stored; returns the cookie value that names it, its store key and itself.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn start(
    p: &Provider,
    account_id: &str,
    acr: String,
    amr: Vec<String>,
) -> Result<(String, String, SsoSession), EphemeralError> {
    let value = random_token(32);
    let now = p.clock.now();
    let has = |m: &str| amr.iter().any(|a| a == m);
    let mfa = has("mfa");
    let passkey = mfa && (has("hwk") || has("swk"));
    let possession = mfa && (passkey || has("otp") || has("sms") || has("tel"));
    let s = SsoSession {
        sid: random_token(16),
        account_id: account_id.to_owned(),
        auth_time: p.clock.now(),
        acr,
        mfa_at: amr.iter().any(|a| a == "mfa").then(|| p.clock.now()),
        amr,
        clients: Vec::new(),
        listed_key_at: None,
        possession_at: possession.then_some(now),
        passkey_at: passkey.then_some(now),
        saml: Vec::new(),
    };
    let k = key(&value);
    put_json(p.store.as_ref(), &k, &s, p.cfg.session_ttl).await?;
    Ok((value, k, s))
}

/// Notes that `client_id` received tokens in this session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_client(
    p: &Provider,
    key: &str,
    mut s: SsoSession,
    client_id: &str,
) -> Result<(), EphemeralError> {
    if s.clients.iter().any(|c| c == client_id) {
        return Ok(());
    }
    s.clients.push(client_id.to_owned());
    save(p, key, &s).await
}

/// Stores a changed session under its key, for the rest of its lifetime.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(p: &Provider, key: &str, s: &SsoSession) -> Result<(), EphemeralError> {
    let remaining = (s.auth_time + p.cfg.session_ttl - p.clock.now()).max(1);
    put_json(p.store.as_ref(), key, s, remaining).await
}

/// Ends a session (the web surface clears the cookie).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn destroy(p: &Provider, key: &str) -> Result<(), EphemeralError> {
    p.store.delete(key).await
}

/// Why the signed-in person could not be found out.
#[derive(Debug, thiserror::Error)]
pub enum SignedInError {
    /// The ephemeral store failed.
    #[error(transparent)]
    Store(#[from] EphemeralError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] credential_store::CredentialError),
}

/// The live session behind a cookie value and its account, when the account is active and the
/// session began after the account's sessions were last ended (password reset, termination).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn signed_in(
    p: &Provider,
    cookie_value: &str,
) -> Result<Option<(String, SsoSession, credential_store::Account)>, SignedInError> {
    let Some((key, s)) = load(p, cookie_value).await? else {
        return Ok(None);
    };
    match p.accounts.find_by_id(&s.account_id).await? {
        Some(a) if still_valid(&a, &s) => Ok(Some((key, s, a))),
        _ => Ok(None),
    }
}

/// Whether a session may still be used for this account.
pub fn still_valid(a: &credential_store::Account, s: &SsoSession) -> bool {
    a.status == credential_store::AccountStatus::Active && s.auth_time >= a.sessions_not_before
}
