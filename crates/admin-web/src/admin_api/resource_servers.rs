//! Resource servers (APIs, FHIR servers): registered with their audience and the scopes they
//! accept, listed, removed; and which of them each relying party may get tokens for, with
//! which of their scopes. Each change audited.

use super::{api, body_json, reply, ApiError, Need};
use authorization_server::resources::{
    ClientResource, NewResourceServer, ResourceError, ResourceServer,
};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use registration::admin::record;
use registration::Actor;
use serde_json::json;
use std::sync::Arc;

impl From<ResourceError> for ApiError {
    fn from(e: ResourceError) -> Self {
        match e {
            ResourceError::Invalid(m) => Self::invalid("", m),
            ResourceError::NotFound(m) => Self::NotFound(m),
            e @ ResourceError::Exists => Self::Conflict(e.to_string()),
            ResourceError::Db(e) => Self::Storage(e.to_string()),
        }
    }
}

fn summary(r: &ResourceServer) -> String {
    format!(
        "name={:?} audience={} scopes={}",
        r.name,
        r.audience,
        r.scopes.join(" ")
    )
}

/// Registers a resource server.
pub async fn add(
    p: &Provider,
    n: NewResourceServer,
    actor: Actor<'_>,
) -> Result<ResourceServer, ApiError> {
    let r = p.resources.add(n).await?;
    record(&p.audit, "resource.added", actor, &r.id, &summary(&r)).await;
    Ok(r)
}

/// Removes a resource server (and every client's permission for it).
pub async fn remove(p: &Provider, id: &str, actor: Actor<'_>) -> Result<(), ApiError> {
    let before = p
        .resources
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no resource server {id:?}")))?;
    if !p.resources.remove(id).await? {
        return Err(ApiError::NotFound(format!("no resource server {id:?}")));
    }
    p.clients.forget_all();
    record(&p.audit, "resource.removed", actor, id, &summary(&before)).await;
    Ok(())
}

/// Allows `client_id` tokens for resource server `resource_id`, with `scopes` (empty: all it
/// accepts).
pub async fn allow(
    p: &Provider,
    client_id: &str,
    resource_id: &str,
    scopes: &[String],
    actor: Actor<'_>,
) -> Result<ClientResource, ApiError> {
    let c = p.resources.allow(client_id, resource_id, scopes).await?;
    p.clients.forget(client_id);
    let detail = format!("resource={} scopes={}", c.resource_id, c.scopes.join(" "));
    record(
        &p.audit,
        "client.resource_allowed",
        actor,
        client_id,
        &detail,
    )
    .await;
    Ok(c)
}

/// Takes back `client_id`'s permission for `resource_id`.
pub async fn disallow(
    p: &Provider,
    client_id: &str,
    resource_id: &str,
    actor: Actor<'_>,
) -> Result<(), ApiError> {
    if !p.resources.disallow(client_id, resource_id).await? {
        return Err(ApiError::NotFound(format!(
            "client {client_id:?} has no permission for resource server {resource_id:?}"
        )));
    }
    p.clients.forget(client_id);
    let detail = format!("resource={resource_id}");
    record(
        &p.audit,
        "client.resource_disallowed",
        actor,
        client_id,
        &detail,
    )
    .await;
    Ok(())
}

// ---------------------------------------------------------------- handlers

/// GET /admin/api/resource-servers
#[tracing::instrument(skip_all)]
pub(super) async fn api_list(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        reply(
            StatusCode::OK,
            json!({ "resource_servers": p.resources.list().await? }),
        )
    })
    .await
}

/// POST /admin/api/resource-servers
#[tracing::instrument(skip_all)]
pub(super) async fn api_add(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let n: NewResourceServer = body_json(&body)?;
        let name = caller.actor();
        let r = add(p, n, Actor::api(&name, &caller.client_id)).await?;
        reply(StatusCode::CREATED, json!(r))
    })
    .await
}

/// GET /admin/api/resource-servers/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let r = p
            .resources
            .get(&id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no resource server {id:?}")))?;
        reply(StatusCode::OK, json!(r))
    })
    .await
}

/// DELETE /admin/api/resource-servers/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_remove(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        remove(p, &id, Actor::api(&name, &caller.client_id)).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Allow {
    #[serde(default)]
    scopes: Vec<String>,
}

/// PUT /admin/api/clients/{id}/resources/{resource} (`{"scopes": [...]}`)
#[tracing::instrument(skip_all)]
pub(super) async fn api_allow(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((client, resource)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let a: Allow = if body.is_empty() {
            Allow { scopes: Vec::new() }
        } else {
            body_json(&body)?
        };
        let name = caller.actor();
        let c = allow(
            p,
            &client,
            &resource,
            &a.scopes,
            Actor::api(&name, &caller.client_id),
        )
        .await?;
        reply(StatusCode::OK, json!(c))
    })
    .await
}

/// DELETE /admin/api/clients/{id}/resources/{resource}
#[tracing::instrument(skip_all)]
pub(super) async fn api_disallow(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((client, resource)): Path<(String, String)>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        disallow(p, &client, &resource, Actor::api(&name, &caller.client_id)).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
