//! Accounts over the admin API: as an administrator sees them (never a secret), and their
//! status, changed by `registration` (suspending or terminating ends every SSO session of the
//! account at once and revokes all its refresh tokens; termination is final).

use super::input::StatusInput;
use super::{api, body_json, reply, ApiError, Need};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credential_store::Account;
use registration::{Actor, StatusChange};
use serde_json::{json, Value};
use std::sync::Arc;
use web::http::parse_query;

/// An account as JSON: its record (no password, answers or secrets), professional
/// designations, roles, enrolments and provenance (which registry or organization validated it, the evidence, its levels).
pub async fn account_json(p: &Provider, a: &Account) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(a).map_err(|e| ApiError::Storage(e.to_string()))?;
    let roles = p.registration.directory.roles_of(&a.id).await?;
    let enrolments = p.registration.directory.enrolments(&a.id).await?;
    let provenance = p.registration.account_provenance(&a.id).await?;
    let designations = p.accounts.designations(&a.id).await?;
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "designations".into(),
            designations
                .iter()
                .map(|d| json!({ "college": d.college, "registration_number": d.registration_number }))
                .collect(),
        );
        m.insert(
            "provenance".into(),
            serde_json::to_value(&provenance).map_err(|e| ApiError::Storage(e.to_string()))?,
        );
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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
pub(super) async fn api_account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let a = p.registration.find_account(&account).await?;
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
        let out = p
            .registration
            .change_status(
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
#[tracing::instrument(skip_all)]
pub(super) async fn api_suspend(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    status_api(&p, &headers, &account, StatusChange::Suspend, &body).await
}

/// POST /admin/api/accounts/{account}/reinstate
#[tracing::instrument(skip_all)]
pub(super) async fn api_reinstate(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    status_api(&p, &headers, &account, StatusChange::Reinstate, &body).await
}

/// POST /admin/api/accounts/{account}/terminate
#[tracing::instrument(skip_all)]
pub(super) async fn api_terminate(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    status_api(&p, &headers, &account, StatusChange::Terminate, &body).await
}
