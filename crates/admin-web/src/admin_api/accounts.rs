//! Accounts as an administrator sees them (never a secret) and their status: suspending or
//! terminating ends every SSO session of the account at once and revokes all its refresh
//! tokens; reinstating lets it sign in again. Termination is final.

use super::directory::record;
use super::input::StatusInput;
use super::{api, body_json, reply, Actor, ApiError, Need};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credential_store::{Account, AccountStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use web::http::parse_query;

/// A status change an administrator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Active (or locked) to suspended.
    Suspend,
    /// Suspended (or locked) to active.
    Reinstate,
    /// Anything but terminated to terminated, for good.
    Terminate,
}

impl StatusChange {
    /// From its name (`suspend`, `reinstate`, `terminate`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "suspend" => Some(Self::Suspend),
            "reinstate" => Some(Self::Reinstate),
            "terminate" => Some(Self::Terminate),
            _ => None,
        }
    }

    fn target(self) -> AccountStatus {
        match self {
            Self::Suspend => AccountStatus::Suspended,
            Self::Reinstate => AccountStatus::Active,
            Self::Terminate => AccountStatus::Terminated,
        }
    }

    fn event(self) -> &'static str {
        match self {
            Self::Suspend => "account.suspended",
            Self::Reinstate => "account.reinstated",
            Self::Terminate => "account.terminated",
        }
    }
}

/// What a status change did.
#[derive(Debug, Clone)]
pub struct StatusOutcome {
    /// The account as it is now.
    pub account: Account,
    /// False when it already had the status (nothing was done or recorded).
    pub changed: bool,
    /// Refresh tokens revoked.
    pub refresh_tokens_revoked: u64,
}

/// The account named by `reference`: a login ID (it has an `@`) or an account id.
pub async fn find_account(p: &Provider, reference: &str) -> Result<Account, ApiError> {
    let r = reference.trim();
    if r.is_empty() || r.len() > 254 {
        return Err(ApiError::NotFound("no such account".into()));
    }
    let found = if r.contains('@') {
        p.accounts.find_by_login_id(r).await?
    } else {
        p.accounts.find_by_id(r).await?
    };
    found.ok_or_else(|| ApiError::NotFound(format!("no account {r}")))
}

/// Suspends, reinstates or terminates an account. Suspending and terminating end its SSO
/// sessions and revoke its refresh tokens; a terminated account stays terminated.
pub async fn change_status(
    p: &Provider,
    reference: &str,
    change: StatusChange,
    reason: Option<&str>,
    actor: Actor<'_>,
) -> Result<StatusOutcome, ApiError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500 || r.chars().any(char::is_control)) {
        return Err(ApiError::invalid(
            "reason",
            "reason must be at most 500 characters, without control characters",
        ));
    }
    let account = find_account(p, reference).await?;
    let before = account.status;
    let target = change.target();
    if before == target {
        return Ok(StatusOutcome {
            account,
            changed: false,
            refresh_tokens_revoked: 0,
        });
    }
    if before == AccountStatus::Terminated {
        return Err(ApiError::Conflict(
            "the account is terminated; that is final".into(),
        ));
    }
    p.accounts.set_status(&account.id, target).await?;
    let mut revoked = 0;
    if target != AccountStatus::Active {
        // Whoever holds a session or a refresh token of the account is out, on every node:
        // sessions end by the account's not-before time, refresh tokens by revocation.
        p.accounts.end_sessions(&account.id).await?;
        revoked = authorization_server::grants::revoke_account_grants(p, &account.id).await?;
    }
    let mut detail = format!("status: {} -> {}", before.as_str(), target.as_str());
    if target != AccountStatus::Active {
        detail.push_str(&format!(
            "; sessions ended; refresh tokens revoked: {revoked}"
        ));
    }
    if let Some(r) = reason {
        detail.push_str(&format!("; reason: {r:?}"));
    }
    record(p, change.event(), actor, &account.id, &detail).await;
    let account = find_account(p, &account.id).await?;
    Ok(StatusOutcome {
        account,
        changed: true,
        refresh_tokens_revoked: revoked,
    })
}

/// Issues a temporary password to an account (shown once, changed at its next sign-in), as
/// the service desk does for a clinician; the way a staff account, which the desk does not
/// touch, gets one. Audited with the actor.
pub async fn issue_temporary_password(
    p: &Provider,
    reference: &str,
    actor: Actor<'_>,
) -> Result<(Account, String), ApiError> {
    let account = find_account(p, reference).await?;
    if account.status == AccountStatus::Terminated {
        return Err(ApiError::Conflict(
            "the account is terminated; that is final".into(),
        ));
    }
    let password = p.accounts.issue_temporary_password(&account.id).await?;
    let detail = format!("login_id={} (shown once to the actor)", account.login_id);
    record(
        p,
        "account.temporary_password_issued",
        actor,
        &account.id,
        &detail,
    )
    .await;
    let account = find_account(p, &account.id).await?;
    Ok((account, password))
}

/// Lifts a lock (failures, or the status `locked`) from an active account, as the service
/// desk does for a clinician; suspension and termination stay. False when it was not locked.
/// Audited with the actor.
pub async fn unlock(p: &Provider, reference: &str, actor: Actor<'_>) -> Result<bool, ApiError> {
    let account = find_account(p, reference).await?;
    let now = p.clock.now();
    let locked = account.status == AccountStatus::Locked
        || (account.status == AccountStatus::Active
            && account.locked_until.is_some_and(|t| t > now));
    if !locked {
        return Ok(false);
    }
    p.accounts
        .set_status(&account.id, AccountStatus::Active)
        .await?;
    let detail = format!("login_id={}", account.login_id);
    record(p, "account.unlocked", actor, &account.id, &detail).await;
    Ok(true)
}

/// The service-desk answers of an account, revealed to an administrator verifying a caller
/// (for a staff account, which the desk does not touch). Audited with the actor.
pub async fn reveal_desk_answers(
    p: &Provider,
    reference: &str,
    actor: Actor<'_>,
) -> Result<(Account, Vec<credential_store::QuestionAnswer>), ApiError> {
    let account = find_account(p, reference).await?;
    let answers = p
        .accounts
        .reveal_desk_answers(&account.id)
        .await
        .map_err(|e| ApiError::Storage(e.to_string()))?;
    let detail = format!("login_id={}", account.login_id);
    record(p, "account.answers_revealed", actor, &account.id, &detail).await;
    Ok((account, answers))
}

/// An account as JSON: its record (no password, answers or secrets), roles and enrolments.
pub async fn account_json(p: &Provider, a: &Account) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(a).map_err(|e| ApiError::Storage(e.to_string()))?;
    let roles = p.registration.directory.roles_of(&a.id).await?;
    let enrolments = p.registration.directory.enrolments(&a.id).await?;
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "roles".into(),
            roles
                .iter()
                .map(|(role, scope)| json!({ "role": role, "scope": scope }))
                .collect(),
        );
        m.insert(
            "enrolments".into(),
            enrolments
                .iter()
                .map(|e| {
                    json!({
                        "service": e.service.id, "sponsor": e.sponsor_id,
                        "authorized_by": e.authorized_by, "authorized_at": e.authorized_at,
                    })
                })
                .collect(),
        );
    }
    Ok(v)
}

/// A short account line for lists.
fn summary_json(a: &Account) -> Value {
    json!({
        "id": a.id, "login_id": a.login_id, "name": a.display_name(),
        "status": a.status.as_str(), "assurance_level": a.assurance_level,
    })
}

// ---------------------------------------------------------------- handlers

/// GET /admin/api/accounts?q=... (login ID, name or registration number; at most 25)
pub(super) async fn api_search(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let params = parse_query(q.unwrap_or_default().as_bytes())
            .map_err(|_| ApiError::invalid("q", "give q once"))?;
        if let Some(k) = params.keys().find(|k| k.as_str() != "q") {
            return Err(ApiError::invalid("", format!("unknown parameter {k}")));
        }
        let q = params
            .get("q")
            .ok_or_else(|| ApiError::invalid("q", "q (a login ID, name or number) is required"))?;
        let found = p.accounts.search(q).await?;
        reply(
            StatusCode::OK,
            json!({ "accounts": found.iter().map(summary_json).collect::<Vec<_>>() }),
        )
    })
    .await
}

/// GET /admin/api/accounts/{account}
pub(super) async fn api_account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let a = find_account(&p, &account).await?;
        reply(StatusCode::OK, account_json(&p, &a).await?)
    })
    .await
}

async fn status_api(
    p: &Provider,
    headers: &HeaderMap,
    account: &str,
    change: StatusChange,
    body: &[u8],
) -> Response {
    api(p, headers, Need::Admin, |caller| async move {
        let input: StatusInput = body_json(body)?;
        let name = caller.actor();
        let out = change_status(
            p,
            account,
            change,
            input.reason.as_deref(),
            Actor::api(&name, &caller.client_id),
        )
        .await?;
        let mut v = account_json(p, &out.account).await?;
        v["changed"] = out.changed.into();
        v["refresh_tokens_revoked"] = out.refresh_tokens_revoked.into();
        reply(StatusCode::OK, v)
    })
    .await
}

/// POST /admin/api/accounts/{account}/suspend
pub(super) async fn api_suspend(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    status_api(&p, &headers, &account, StatusChange::Suspend, &body).await
}

/// POST /admin/api/accounts/{account}/reinstate
pub(super) async fn api_reinstate(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    status_api(&p, &headers, &account, StatusChange::Reinstate, &body).await
}

/// POST /admin/api/accounts/{account}/terminate
pub(super) async fn api_terminate(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    status_api(&p, &headers, &account, StatusChange::Terminate, &body).await
}
