//! Organizations (sponsors), the services each may enrol its people into, their local
//! registration authorities, and the services themselves: each change checked and audited
//! here once (a before/after summary in the detail), then the API's handlers.

use super::input::{LraInput, OrganizationInput, OrganizationPatch, ServiceInput, ServicePatch};
use super::{api, body_json, reply, ApiError, Need};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credential_store::AccountStatus;
use platform::AuditEvent;
use registration::services::{Lra, OrganizationChange, OrganizationRecord};
use registration::Service;
use registration::{Actor, AdminError};
use serde_json::json;
use std::sync::Arc;

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

fn list(l: &[String]) -> String {
    if l.is_empty() {
        "-".to_owned()
    } else {
        l.join(",")
    }
}

/// A one-line summary of an organization for the audit trail.
pub fn organization_summary(o: &OrganizationRecord) -> String {
    format!(
        "name={:?} status={} registering={} level={} id_scheme={} scope={} services={}",
        o.name,
        o.status,
        o.registering,
        opt(&o.assurance_level),
        o.id_scheme
            .as_deref()
            .map_or("-".into(), |s| format!("{s:?}")),
        o.scope.as_deref().map_or("-".into(), |s| format!("{s:?}")),
        list(&o.services)
    )
}

/// What changed, as `field: old -> new; ...` (or `no change`).
fn changes(pairs: &[(&str, String, String)]) -> String {
    let out: Vec<String> = pairs
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(f, a, b)| format!("{f}: {a} -> {b}"))
        .collect();
    if out.is_empty() {
        "no change".into()
    } else {
        out.join("; ")
    }
}

fn organization_changes(a: &OrganizationRecord, b: &OrganizationRecord) -> String {
    let q = |s: &Option<String>| s.as_deref().map_or("-".into(), |s| format!("{s:?}"));
    changes(&[
        ("name", format!("{:?}", a.name), format!("{:?}", b.name)),
        ("status", a.status.clone(), b.status.clone()),
        (
            "registering",
            a.registering.to_string(),
            b.registering.to_string(),
        ),
        ("level", opt(&a.assurance_level), opt(&b.assurance_level)),
        ("id_scheme", q(&a.id_scheme), q(&b.id_scheme)),
        ("scope", q(&a.scope), q(&b.scope)),
        ("services", list(&a.services), list(&b.services)),
    ])
}

/// A one-line summary of a service for the audit trail.
pub fn service_summary(s: &Service) -> String {
    format!(
        "name={:?} url={} min_level={}",
        s.name,
        s.url.as_deref().unwrap_or("-"),
        s.min_assurance_level
    )
}

/// Records an administrative change.
pub(super) async fn record(
    p: &Provider,
    event: &str,
    actor: Actor<'_>,
    subject: &str,
    detail: &str,
) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some(actor.name),
            subject: Some(subject),
            client_id: actor.client,
            detail: Some(detail),
            ..Default::default()
        })
        .await;
}

async fn organization_or_404(p: &Provider, id: &str) -> Result<OrganizationRecord, ApiError> {
    p.registration
        .directory
        .organization(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such organization {id:?}")))
}

/// Adds an organization, with the services it may enrol people into.
pub async fn add_organization(
    p: &Provider,
    o: OrganizationInput,
    actor: Actor<'_>,
) -> Result<OrganizationRecord, ApiError> {
    let id = o.id.trim().to_owned();
    let added = p
        .registration
        .directory
        .add_organization(&OrganizationRecord {
            id: id.clone(),
            name: o.name,
            status: o.status.unwrap_or_else(|| "active".into()),
            registering: o.registering,
            assurance_level: o.assurance_level,
            id_scheme: o.id_scheme,
            scope: o.scope,
            services: o.services,
            created_at: 0,
        })
        .await
        .map_err(|e| match e {
            registration::RegistrationError::Exists => {
                ApiError::Conflict(format!("organization {id} already exists"))
            }
            registration::RegistrationError::UnknownService(s) => {
                ApiError::invalid("services", format!("no such service {s:?}"))
            }
            e => e.into(),
        })?;
    record(
        p,
        "organization.added",
        actor,
        &added.id,
        &organization_summary(&added),
    )
    .await;
    Ok(added)
}

/// Changes an organization (the fields given).
pub async fn update_organization(
    p: &Provider,
    id: &str,
    c: OrganizationPatch,
    actor: Actor<'_>,
) -> Result<OrganizationRecord, ApiError> {
    let before = organization_or_404(p, id).await?;
    let after = p
        .registration
        .directory
        .update_organization(
            id,
            OrganizationChange {
                name: c.name,
                status: c.status,
                registering: c.registering,
                assurance_level: c.assurance_level,
                id_scheme: c.id_scheme,
                scope: c.scope,
            },
        )
        .await?;
    let detail = organization_changes(&before, &after);
    if detail != "no change" {
        record(p, "organization.updated", actor, id, &detail).await;
    }
    Ok(after)
}

/// Lets an organization enrol its people into a service.
pub async fn allow_service(
    p: &Provider,
    id: &str,
    service: &str,
    actor: Actor<'_>,
) -> Result<OrganizationRecord, ApiError> {
    let before = organization_or_404(p, id).await?;
    if p.registration.directory.allow_service(id, service).await? {
        let after = organization_or_404(p, id).await?;
        let detail = organization_changes(&before, &after);
        record(p, "organization.service_allowed", actor, id, &detail).await;
        return Ok(after);
    }
    Ok(before)
}

/// Stops an organization enrolling its people into a service (enrolments made stay).
pub async fn disallow_service(
    p: &Provider,
    id: &str,
    service: &str,
    actor: Actor<'_>,
) -> Result<OrganizationRecord, ApiError> {
    let before = organization_or_404(p, id).await?;
    if !before.services.iter().any(|s| s == service) {
        return Err(ApiError::NotFound(format!(
            "organization {id} does not enrol into {service:?}"
        )));
    }
    p.registration
        .directory
        .disallow_service(id, service)
        .await?;
    let after = organization_or_404(p, id).await?;
    let detail = organization_changes(&before, &after);
    record(p, "organization.service_disallowed", actor, id, &detail).await;
    Ok(after)
}

/// Makes an account (by login ID or id) a local registration authority of an organization.
/// Returns the authority and whether it is new.
pub async fn grant_lra(
    p: &Provider,
    id: &str,
    who: &LraInput,
    actor: Actor<'_>,
) -> Result<(Lra, bool), ApiError> {
    let org = organization_or_404(p, id).await?;
    let reference = match (who.login_id.as_deref(), who.account_id.as_deref()) {
        (Some(l), None) if !l.trim().is_empty() => l.trim(),
        (None, Some(a)) if !a.trim().is_empty() => a.trim(),
        _ => {
            return Err(ApiError::invalid(
                "login_id",
                "give the account's login_id or its account_id (one of them)",
            ))
        }
    };
    let account = p
        .registration
        .find_account(reference)
        .await
        .map_err(|e| match e {
            AdminError::NotFound(m) => ApiError::invalid("login_id", m),
            e => e.into(),
        })?;
    if org.status == "terminated" {
        return Err(ApiError::Conflict(format!(
            "organization {id} is terminated"
        )));
    }
    if matches!(
        account.status,
        AccountStatus::Suspended | AccountStatus::Terminated
    ) {
        return Err(ApiError::Conflict(format!(
            "the account is {}",
            account.status.as_str()
        )));
    }
    let added = p
        .registration
        .directory
        .grant_lra(id, &account.id, actor.name)
        .await?;
    if added {
        let detail = format!(
            "organization={id} login_id={} lra: no -> yes",
            account.login_id
        );
        record(p, "lra.granted", actor, &account.id, &detail).await;
    }
    let lra = p
        .registration
        .directory
        .lras(id)
        .await?
        .into_iter()
        .find(|l| l.account_id == account.id)
        .ok_or_else(|| ApiError::Storage("granted role not found".into()))?;
    Ok((lra, added))
}

/// Ends an account's registration authority for an organization (`account`: id or login ID).
pub async fn revoke_lra(
    p: &Provider,
    id: &str,
    account: &str,
    actor: Actor<'_>,
) -> Result<(), ApiError> {
    organization_or_404(p, id).await?;
    let acc = p.registration.find_account(account).await?;
    if !p.registration.directory.revoke_lra(id, &acc.id).await? {
        return Err(ApiError::NotFound(format!(
            "{} is not a registration authority of {id}",
            acc.login_id
        )));
    }
    let detail = format!("organization={id} login_id={} lra: yes -> no", acc.login_id);
    record(p, "lra.revoked", actor, &acc.id, &detail).await;
    Ok(())
}

/// Adds a service.
pub async fn add_service(
    p: &Provider,
    s: ServiceInput,
    actor: Actor<'_>,
) -> Result<Service, ApiError> {
    let svc = Service {
        id: s.id.trim().to_owned(),
        name: s.name.trim().to_owned(),
        url: s.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()),
        min_assurance_level: s.min_assurance_level.unwrap_or(1),
    };
    p.registration
        .directory
        .add_service(&svc)
        .await
        .map_err(|e| match e {
            registration::RegistrationError::Exists => {
                ApiError::Conflict(format!("service {} already exists", svc.id))
            }
            e => e.into(),
        })?;
    record(p, "service.added", actor, &svc.id, &service_summary(&svc)).await;
    Ok(svc)
}

/// Changes a service (the fields given).
pub async fn update_service(
    p: &Provider,
    id: &str,
    c: ServicePatch,
    actor: Actor<'_>,
) -> Result<Service, ApiError> {
    let before = p
        .registration
        .directory
        .service(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such service {id:?}")))?;
    let mut after = before.clone();
    if let Some(n) = c.name {
        after.name = n.trim().to_owned();
    }
    if let Some(u) = c.url {
        after.url = u.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    }
    if let Some(l) = c.min_assurance_level {
        after.min_assurance_level = l;
    }
    p.registration.directory.put_service(&after).await?;
    let detail = changes(&[
        (
            "name",
            format!("{:?}", before.name),
            format!("{:?}", after.name),
        ),
        ("url", opt(&before.url), opt(&after.url)),
        (
            "min_level",
            before.min_assurance_level.to_string(),
            after.min_assurance_level.to_string(),
        ),
    ]);
    if detail != "no change" {
        record(p, "service.updated", actor, id, &detail).await;
    }
    Ok(after)
}

// ---------------------------------------------------------------- handlers

/// GET /admin/api/organizations
pub(super) async fn api_organizations(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let all = p.registration.directory.organization_records().await?;
        reply(StatusCode::OK, json!({ "organizations": all }))
    })
    .await
}

/// POST /admin/api/organizations
pub(super) async fn api_add_organization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let input: OrganizationInput = body_json(&body)?;
        let name = caller.actor();
        let o = add_organization(p, input, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::CREATED, json!(o))
    })
    .await
}

/// GET /admin/api/organizations/{id}
pub(super) async fn api_organization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        reply(StatusCode::OK, json!(organization_or_404(&p, &id).await?))
    })
    .await
}

/// PATCH /admin/api/organizations/{id}
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
        let o = update_organization(p, &id, patch, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::OK, json!(o))
    })
    .await
}

/// PUT /admin/api/organizations/{id}/services/{service}
pub(super) async fn api_allow_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, service)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        let o = allow_service(p, &id, &service, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::OK, json!(o))
    })
    .await
}

/// DELETE /admin/api/organizations/{id}/services/{service}
pub(super) async fn api_disallow_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, service)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        let o = disallow_service(p, &id, &service, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::OK, json!(o))
    })
    .await
}

/// GET /admin/api/organizations/{id}/lras
pub(super) async fn api_lras(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        organization_or_404(&p, &id).await?;
        let lras = p.registration.directory.lras(&id).await?;
        reply(StatusCode::OK, json!({ "organization": id, "lras": lras }))
    })
    .await
}

/// POST /admin/api/organizations/{id}/lras
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
        let (lra, added) = grant_lra(p, &id, &who, Actor::api(&name, &caller.client_id)).await?;
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
pub(super) async fn api_revoke_lra(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, account)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        revoke_lra(p, &id, &account, Actor::api(&name, &caller.client_id)).await?;
        reply(
            StatusCode::OK,
            json!({ "organization": id, "revoked": account }),
        )
    })
    .await
}

/// GET /admin/api/services
pub(super) async fn api_services(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let all = p.registration.directory.services().await?;
        reply(StatusCode::OK, json!({ "services": all }))
    })
    .await
}

/// POST /admin/api/services
pub(super) async fn api_add_service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let input: ServiceInput = body_json(&body)?;
        let name = caller.actor();
        let s = add_service(p, input, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::CREATED, json!(s))
    })
    .await
}

/// GET /admin/api/services/{id}
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
        let s = update_service(p, &id, patch, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::OK, json!(s))
    })
    .await
}
