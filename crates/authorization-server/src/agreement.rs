//! The acceptable-use agreement (003; 000 and 001 §2): every account accepts the current
//! version before its first use, whoever made it (the wizard, an LRA, the desk, the command
//! line), and a new version asks everyone again. A sign-in whose account has not accepted the
//! current version is parked, like a forced password change, until the person accepts; the
//! acceptance is recorded with the account and audited.

use crate::{Provider, StoreError};
use credential_store::Account;
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use serde::{Deserialize, Serialize};

/// The version every account must have accepted.
pub fn current(p: &Provider) -> &str {
    &p.signup.agreement_version
}

/// Whether `account` must accept the current version before it goes on.
pub fn due(p: &Provider, account: &Account) -> bool {
    account.agreement_version.as_deref() != Some(current(p))
}

/// A sign-in parked until the agreement is accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The parked login ticket it completes.
    pub request_id: String,
    pub account_id: String,
    /// The version shown (an acceptance records the one the person read).
    pub version: String,
    /// The live SSO session it came with (a session reused after a new version), if any;
    /// else it completes a password sign-in.
    pub session_key: Option<String>,
    /// The methods the sign-in used so far (`pwd`, or a passkey's); empty in a record parked
    /// before this field: a password.
    #[serde(default)]
    pub amr: Vec<String>,
}

fn key(token: &str) -> String {
    format!("agreement:{}", sha256_b64(token.as_bytes()))
}

/// Parks the sign-in of `account` for ticket `request_id` until it accepts (audited
/// `login.agreement_required`); returns the token the agreement form carries.
pub async fn require(
    p: &Provider,
    request_id: &str,
    account: &Account,
    session_key: Option<String>,
    amr: Vec<String>,
    ip: &str,
) -> Result<String, StoreError> {
    let pending = Pending {
        request_id: request_id.to_owned(),
        account_id: account.id.clone(),
        version: current(p).to_owned(),
        session_key,
        amr,
    };
    let token = random_token(24);
    put_json(p.store.as_ref(), &key(&token), &pending, p.cfg.login_ttl).await?;
    let detail = format!(
        "version={} accepted={}",
        pending.version,
        account.agreement_version.as_deref().unwrap_or("-")
    );
    let _ = p
        .audit
        .record(AuditEvent {
            event: "login.agreement_required",
            actor: Some(&account.id),
            subject: Some(&account.id),
            source: Some(ip),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
    Ok(token)
}

/// The parked sign-in for `token`, if it is still there (the page shown again).
pub async fn pending(p: &Provider, token: &str) -> Result<Option<Pending>, StoreError> {
    Ok(get_json(p.store.as_ref(), &key(token)).await?)
}

/// Takes the parked sign-in for `token` (single use: a double submit answers once).
pub async fn take(p: &Provider, token: &str) -> Result<Option<Pending>, StoreError> {
    let taken = p.store.take(&key(token)).await?;
    Ok(taken.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// The person accepted the version shown: recorded with the account, audited
/// `account.agreement_accepted`.
pub async fn accept(p: &Provider, pending: &Pending, ip: &str) -> Result<(), StoreError> {
    p.accounts
        .accept_agreement(&pending.account_id, &pending.version)
        .await?;
    let detail = format!("version={}", pending.version);
    let _ = p
        .audit
        .record(AuditEvent {
            event: "account.agreement_accepted",
            actor: Some(&pending.account_id),
            subject: Some(&pending.account_id),
            source: Some(ip),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
    Ok(())
}

/// The person declined: nothing is recorded on the account; audited `login.agreement_declined`.
pub async fn decline(p: &Provider, pending: &Pending, ip: &str) {
    let detail = format!("version={}", pending.version);
    let _ = p
        .audit
        .record(AuditEvent {
            event: "login.agreement_declined",
            actor: Some(&pending.account_id),
            subject: Some(&pending.account_id),
            source: Some(ip),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
}
