//! Organizations (sponsors), the services each may enrol its people into, their local
//! registration authorities, and the services themselves over the admin API; the changes are
//! `registration`'s.

use super::{api, body_json, reply, ApiError, Need};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registration::approvals::{ReviewInput, Subject};
use registration::directory_admin::{
    LraInput, OrganizationInput, OrganizationPatch, ServiceInput, ServicePatch,
};
use registration::processes::{ApprovalInput, ProcessStatus};
use registration::Actor;
use serde_json::json;
use std::sync::Arc;

// ---------------------------------------------------------------- handlers

/// GET /admin/api/organizations?limit=&cursor= (a page by id)
#[tracing::instrument(skip_all)]
pub(super) async fn api_organizations(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let (cursor, limit) = super::list_page(q)?;
        let page = p
            .registration
            .directory
            .organization_page(cursor.as_deref(), None, limit)
            .await?;
        let next = page.next_cursor(|o| &o.id);
        reply(
            StatusCode::OK,
            json!({ "organizations": page.rows, "next_cursor": next }),
        )
    })
    .await
}

/// POST /admin/api/organizations
#[tracing::instrument(skip_all)]
pub(super) async fn api_add_organization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let input: OrganizationInput = body_json(&body)?;
        let name = caller.actor();
        let o = p
            .registration
            .add_organization(input, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::CREATED, json!(o))
    })
    .await
}

/// GET /admin/api/organizations/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_organization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        reply(
            StatusCode::OK,
            json!(p.registration.find_organization(&id).await?),
        )
    })
    .await
}

/// PATCH /admin/api/organizations/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_update_organization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let patch: OrganizationPatch = body_json(&body)?;
        let name = caller.actor();
        let o = p
            .registration
            .update_organization(&id, patch, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::OK, json!(o))
    })
    .await
}

/// PUT /admin/api/organizations/{id}/services/{service}
#[tracing::instrument(skip_all)]
pub(super) async fn api_allow_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, service)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        let o = p
            .registration
            .allow_service(&id, &service, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::OK, json!(o))
    })
    .await
}

/// DELETE /admin/api/organizations/{id}/services/{service}
#[tracing::instrument(skip_all)]
pub(super) async fn api_disallow_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, service)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        let o = p
            .registration
            .disallow_service(&id, &service, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::OK, json!(o))
    })
    .await
}

/// GET /admin/api/organizations/{id}/lras
#[tracing::instrument(skip_all)]
pub(super) async fn api_lras(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        p.registration.find_organization(&id).await?;
        let lras = p.registration.directory.lras(&id).await?;
        reply(StatusCode::OK, json!({ "organization": id, "lras": lras }))
    })
    .await
}

/// POST /admin/api/organizations/{id}/lras
#[tracing::instrument(skip_all)]
pub(super) async fn api_grant_lra(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let who: LraInput = body_json(&body)?;
        let name = caller.actor();
        let (lra, added) = p
            .registration
            .grant_lra(&id, &who, Actor::api(&name, &caller.client_id))
            .await?;
        let status = if added {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        reply(status, json!(lra))
    })
    .await
}

/// DELETE /admin/api/organizations/{id}/lras/{account}
#[tracing::instrument(skip_all)]
pub(super) async fn api_revoke_lra(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, account)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        p.registration
            .revoke_lra(&id, &account, Actor::api(&name, &caller.client_id))
            .await?;
        reply(
            StatusCode::OK,
            json!({ "organization": id, "revoked": account }),
        )
    })
    .await
}

/// GET /admin/api/services
#[tracing::instrument(skip_all)]
pub(super) async fn api_services(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let all = p.registration.directory.services().await?;
        reply(StatusCode::OK, json!({ "services": all }))
    })
    .await
}

/// POST /admin/api/services
#[tracing::instrument(skip_all)]
pub(super) async fn api_add_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let input: ServiceInput = body_json(&body)?;
        let name = caller.actor();
        let s = p
            .registration
            .add_service(input, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::CREATED, json!(s))
    })
    .await
}

/// GET /admin/api/services/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let s = p
            .registration
            .directory
            .service(&id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no such service {id:?}")))?;
        reply(StatusCode::OK, json!(s))
    })
    .await
}

/// PATCH /admin/api/services/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_update_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let patch: ServicePatch = body_json(&body)?;
        let name = caller.actor();
        let s = p
            .registration
            .update_service(&id, patch, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::OK, json!(s))
    })
    .await
}

// ------------------------------------------- managed registration processes (004 §6)

/// GET /admin/api/organizations/{id}/process
#[tracing::instrument(skip_all)]
pub(super) async fn api_process(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        match p.registration.process(&id).await? {
            Some(proc) => reply(StatusCode::OK, json!(proc)),
            None => Err(ApiError::from(registration::AdminError::NotFound(format!(
                "organization {id:?} does not exist or has no managed registration process"
            )))),
        }
    })
    .await
}

/// PUT /admin/api/organizations/{id}/process: its approval (general, or limited to services
/// and dates).
#[tracing::instrument(skip_all)]
pub(super) async fn api_set_process(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let input: ApprovalInput = body_json(&body)?;
        let name = caller.actor();
        let proc = p
            .registration
            .set_process_approval(&id, input, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::OK, json!(proc))
    })
    .await
}

/// When a status applies from (`{"from": unix seconds}`; absent or empty body: now).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct From {
    #[serde(default)]
    from: Option<i64>,
}

/// POST /admin/api/organizations/{id}/process/{suspend|reinstate|terminate}
#[tracing::instrument(skip_all)]
pub(super) async fn api_process_status(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, op)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let status = match op.as_str() {
            "suspend" => ProcessStatus::Suspended,
            "reinstate" => ProcessStatus::Active,
            "terminate" => ProcessStatus::Terminated,
            _ => {
                return Err(ApiError::from(registration::AdminError::invalid(
                    "",
                    "no such operation: suspend, reinstate or terminate",
                )))
            }
        };
        let from: From = if body.is_empty() {
            From::default()
        } else {
            body_json(&body)?
        };
        let name = caller.actor();
        let proc = p
            .registration
            .set_process_status(&id, status, from.from, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::OK, json!(proc))
    })
    .await
}

/// The affiliates an organization reports as no longer registered.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Members {
    members: Vec<String>,
}

/// POST /admin/api/organizations/{id}/terminations (`{"members": [...]}`)
#[tracing::instrument(skip_all)]
pub(super) async fn api_affiliate_terminations(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let m: Members = body_json(&body)?;
        let name = caller.actor();
        let t = p
            .registration
            .terminate_affiliates(&id, &m.members, Actor::api(&name, &caller.client_id))
            .await?;
        reply(
            StatusCode::OK,
            json!({"terminated": t.terminated, "already": t.already, "unknown": t.unknown}),
        )
    })
    .await
}

// ------------------------------------------- approvals as records (004 §5.2-5.3, §6.2-6.3)

fn subject_of(kind: &str) -> Result<Subject, ApiError> {
    Subject::parse(kind).ok_or_else(|| {
        ApiError::from(registration::AdminError::NotFound(
            "no such kind of approval: registry or process".into(),
        ))
    })
}

/// GET /admin/api/approvals: the approvals due for review.
#[tracing::instrument(skip_all)]
pub(super) async fn api_approvals_due(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let due = p.registration.approvals_due().await?;
        reply(StatusCode::OK, json!({ "due": due }))
    })
    .await
}

/// GET /admin/api/approvals/{kind}/{id}: its reviews, newest first.
#[tracing::instrument(skip_all)]
pub(super) async fn api_reviews(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let s = subject_of(&kind)?;
        let reviews = p.registration.reviews(s, &id).await?;
        reply(StatusCode::OK, json!({ "reviews": reviews }))
    })
    .await
}

/// POST /admin/api/approvals/{kind}/{id}/reviews: records a review and puts it in force.
#[tracing::instrument(skip_all)]
pub(super) async fn api_record_review(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let s = subject_of(&kind)?;
        let input: ReviewInput = body_json(&body)?;
        let name = caller.actor();
        let r = p
            .registration
            .record_review(s, &id, input, Actor::api(&name, &caller.client_id))
            .await?;
        reply(StatusCode::CREATED, json!(r))
    })
    .await
}

/// A change reported (`{"kind": "significant_change" | "corporate_structure", "note"?}`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    kind: String,
    #[serde(default)]
    note: Option<String>,
}

/// POST /admin/api/approvals/{kind}/{id}/changes: the approval is due for review again.
#[tracing::instrument(skip_all)]
pub(super) async fn api_report_change(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let s = subject_of(&kind)?;
        let c: Change = body_json(&body)?;
        let name = caller.actor();
        p.registration
            .report_change(
                s,
                &id,
                &c.kind,
                c.note.as_deref(),
                Actor::api(&name, &caller.client_id),
            )
            .await?;
        reply(StatusCode::OK, json!({ "due": true }))
    })
    .await
}

// ------------------------------------------- one person, one account: held registrations

/// GET /admin/api/held-registrations
#[tracing::instrument(skip_all)]
pub(super) async fn api_held(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let held = p.registration.held().await?;
        reply(StatusCode::OK, json!({ "held": held }))
    })
    .await
}

/// POST /admin/api/held-registrations/{registry}/{member}/{link|release}
#[tracing::instrument(skip_all)]
pub(super) async fn api_resolve_held(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((registry, member, action)): Path<(String, String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        p.registration
            .resolve_held(
                &registry,
                &member,
                &action,
                Actor::api(&name, &caller.client_id),
            )
            .await?;
        reply(StatusCode::OK, json!({ "resolved": action }))
    })
    .await
}
