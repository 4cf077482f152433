//! Signing in with a password, as one operation: the per-address and per-login-ID limits
//! counted, the password checked (the attempt taken before the check, in
//! `credential_store::Accounts::authenticate`), every failure counted and audited with the
//! same answer for each kind, and, for a password that expired or is temporary, the sign-in
//! parked until a new one is set.

use crate::{Provider, StoreError};
use credential_store::{AuthError, SignIn};
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use serde::{Deserialize, Serialize};

/// What was typed, and from where.
#[derive(Debug, Clone, Copy)]
pub struct PasswordLogin<'a> {
    pub login_id: &'a str,
    pub password: &'a str,
    /// The client's address (rate limit, audit).
    pub ip: &'a str,
    /// The relying party (or SAML SP) the sign-in is for (audit).
    pub client_id: &'a str,
}

/// How a password sign-in ended.
#[derive(Debug)]
pub enum PasswordOutcome {
    /// The password is right (it may still have to be changed: `SignIn::needs_new_password`).
    SignedIn(Box<SignIn>),
    /// A field is empty or too long; nothing was counted.
    MissingFields,
    /// Over the limit for the address or for the login ID (audited); nothing was checked.
    RateLimited,
    /// Unknown login ID, wrong password, locked or suspended account: one answer, so the page
    /// never confirms that a password was right. The audit trail tells them apart.
    Invalid,
}

/// Signs in with a password (see the module). `Err`: a store failed.
#[tracing::instrument(level = "debug", skip_all, fields(client_id = %l.client_id))]
pub async fn password(p: &Provider, l: PasswordLogin<'_>) -> Result<PasswordOutcome, StoreError> {
    let login_id = l.login_id.trim();
    if login_id.is_empty()
        || l.password.is_empty()
        || login_id.len() > 256
        || l.password.len() > 1024
    {
        return Ok(PasswordOutcome::MissingFields);
    }
    let typed: String = login_id.chars().take(128).collect();
    // Counted by the form it is looked up by: look-alikes share no account's allowance.
    let key = credential_store::normalize_login_id(&typed);
    let (by_ip, by_account) = tokio::join!(
        crate::limits::over(p, "login-ip", l.ip, p.cfg.login_limit_per_address),
        crate::limits::over(p, "login-id", &key, p.cfg.login_limit_per_account)
    );
    let (by_ip, by_account) = (by_ip?, by_account?);
    if by_ip || by_account {
        let _ = p
            .audit
            .record(AuditEvent {
                event: "login.rate_limited",
                subject: Some(&typed),
                client_id: Some(l.client_id),
                source: Some(l.ip),
                detail: Some(if by_ip { "source_address" } else { "login_id" }),
                ..Default::default()
            })
            .await;
        return Ok(PasswordOutcome::RateLimited);
    }
    match p.accounts.authenticate(login_id, l.password).await {
        Ok(signin) => Ok(PasswordOutcome::SignedIn(Box::new(signin))),
        Err(AuthError::Db(e)) => Err(e.into()),
        Err(e) => {
            failed(p, &e, &typed, l.client_id, l.ip).await;
            Ok(PasswordOutcome::Invalid)
        }
    }
}

/// A failed sign-in counted and audited (and the lockout it caused, if any).
async fn failed(p: &Provider, e: &AuthError, typed: &str, client_id: &str, ip: &str) {
    let detail = e.audit_detail();
    p.metrics
        .inc("oneid_logins_total", format!("outcome=\"{detail}\""));
    let _ = p
        .audit
        .record(AuditEvent {
            event: "login.failure",
            subject: Some(e.account_id().unwrap_or(typed)),
            client_id: Some(client_id),
            source: Some(ip),
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
    if matches!(
        e,
        AuthError::WrongPassword {
            locked_now: true,
            ..
        }
    ) {
        let _ = p
            .audit
            .record(AuditEvent {
                event: "account.locked",
                subject: e.account_id(),
                source: Some(ip),
                detail: Some("too_many_failures"),
                ..Default::default()
            })
            .await;
    }
}

/// A sign-in that must set a new password before it completes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingChange {
    /// The parked login ticket it completes.
    pub request_id: String,
    pub account_id: String,
    /// Expired (else temporary).
    pub expired: bool,
}

fn change_key(token: &str) -> String {
    format!("pwchange:{}", sha256_b64(token.as_bytes()))
}

/// Parks the sign-in `signin` of ticket `request_id` until its new password is set (audited);
/// returns the token the change form carries.
pub async fn require_new_password(
    p: &Provider,
    request_id: &str,
    signin: &SignIn,
    ip: &str,
) -> Result<(String, PendingChange), platform::EphemeralError> {
    let change = PendingChange {
        request_id: request_id.to_owned(),
        account_id: signin.account.id.clone(),
        expired: signin.password_expired && !signin.must_change,
    };
    let token = random_token(24);
    put_json(
        p.store.as_ref(),
        &change_key(&token),
        &change,
        p.cfg.login_ttl,
    )
    .await?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "login.password_change_required",
            actor: Some(&signin.account.id),
            subject: Some(&signin.account.id),
            source: Some(ip),
            detail: Some(if change.expired {
                "expired"
            } else {
                "temporary"
            }),
            ..Default::default()
        })
        .await;
    Ok((token, change))
}

/// The parked change for `token`, if it is still there.
pub async fn pending_change(
    p: &Provider,
    token: &str,
) -> Result<Option<PendingChange>, platform::EphemeralError> {
    get_json(p.store.as_ref(), &change_key(token)).await
}

/// The change is done: its token no longer works.
pub async fn end_change(p: &Provider, token: &str) {
    let _ = p.store.delete(&change_key(token)).await;
}
