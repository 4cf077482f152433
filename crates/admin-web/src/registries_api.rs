//! Trusted registries over HTTP: the admin JSON API (bearer access token of a client with the
//! `oneid:admin` scope, the same errors as the signing-key API) and a registry's own signed
//! report of terminated registrations (`POST /registries/terminations`). The changes
//! themselves, with their checks and audit, are `registration`'s, shared with the console and
//! the CLI.

use crate::admin::{admin_client, ApiCaller};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use registration::registries::{self, MembersInput, RegistryPatch, ReportError};
use registration::{Actor, AdminError, Registry, RegistryInput, RegistryKey, RegistryStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use web::error::{OAuthError, WebResult};
use web::http::{json_no_store, parse_form, ClientIp};

fn error_response(e: AdminError) -> Response {
    match e {
        AdminError::Invalid { message, .. } => OAuthError::invalid_request(message).into_response(),
        AdminError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            json_no_store(
                json!({ "error": "not_found", "error_description": "no such registry" })
                    .to_string(),
            ),
        )
            .into_response(),
        AdminError::Storage(m) => OAuthError::internal(m).into_response(),
        e => (
            StatusCode::CONFLICT,
            json_no_store(
                json!({ "error": "conflict", "error_description": e.to_string() }).to_string(),
            ),
        )
            .into_response(),
    }
}

fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| AdminError::invalid("", format!("the body is not the JSON expected: {e}")))
}

/// Runs an admin API call: the caller's token must carry `oneid:admin` (see `api_caller`).
async fn api<F, Fut>(p: &Provider, headers: &HeaderMap, f: F) -> Response
where
    F: FnOnce(ApiCaller) -> Fut,
    Fut: std::future::Future<Output = Result<Response, AdminError>>,
{
    let client = match admin_client(p, headers).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    f(client).await.unwrap_or_else(error_response)
}

fn ok(status: StatusCode, v: Value) -> Result<Response, AdminError> {
    Ok((status, json_no_store(v.to_string())).into_response())
}

/// GET /admin/api/registries
#[tracing::instrument(skip_all)]
pub async fn api_list(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    api(&p, &headers, |_| async {
        let regs = p
            .registration
            .registries
            .list()
            .await
            .map_err(registries::refused)?;
        let now = p.clock.now();
        ok(
            StatusCode::OK,
            json!({ "registries": regs.iter().map(|r| registry_json(r, None, now)).collect::<Vec<_>>() }),
        )
    })
    .await
}

/// POST /admin/api/registries (JSON `RegistryInput`)
#[tracing::instrument(skip_all)]
pub async fn api_add(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let p: &Provider = &p;
    api(p, &headers, |caller| async move {
        let input: RegistryInput = body_json(&body)?;
        let actor = caller.actor();
        let (r, keys) = p
            .registration
            .add_registry(input, Actor::api(&actor, &caller.client_id))
            .await?;
        ok(
            StatusCode::CREATED,
            registry_json(&r, Some(&keys), p.clock.now()),
        )
    })
    .await
}

/// GET /admin/api/registries/{id}
#[tracing::instrument(skip_all)]
pub async fn api_get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, |_| async {
        let r = p
            .registration
            .registries
            .get(&id)
            .await
            .map_err(registries::refused)?
            .ok_or_else(registries::not_found)?;
        let keys = p
            .registration
            .registries
            .keys(&id)
            .await
            .map_err(registries::refused)?;
        ok(
            StatusCode::OK,
            registry_json(&r, Some(&keys), p.clock.now()),
        )
    })
    .await
}

/// PATCH /admin/api/registries/{id} (JSON `RegistryPatch`)
#[tracing::instrument(skip_all)]
pub async fn api_update(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, |caller| async move {
        let patch: RegistryPatch = body_json(&body)?;
        let actor = caller.actor();
        let r = p
            .registration
            .update_registry(&id, patch, Actor::api(&actor, &caller.client_id))
            .await?;
        let keys = p
            .registration
            .registries
            .keys(&id)
            .await
            .map_err(registries::refused)?;
        ok(
            StatusCode::OK,
            registry_json(&r, Some(&keys), p.clock.now()),
        )
    })
    .await
}

/// The termination feed's URL (`null` unsubscribes).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedInput {
    url: Option<String>,
}

/// POST /admin/api/registries/{id}/{suspend|reinstate|terminate|keys|terminations|feed}
#[tracing::instrument(skip_all)]
pub async fn api_op(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, op)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, |caller| async move {
        let actor = caller.actor();
        let actor = Actor::api(&actor, &caller.client_id);
        let now = p.clock.now();
        let status = match op.as_str() {
            "suspend" => Some(RegistryStatus::Suspended),
            "reinstate" => Some(RegistryStatus::Approved),
            "terminate" => Some(RegistryStatus::Terminated),
            _ => None,
        };
        if let Some(s) = status {
            let r = p.registration.set_registry_status(&id, s, actor).await?;
            return ok(StatusCode::OK, registry_json(&r, None, now));
        }
        match op.as_str() {
            "keys" => {
                let k = p
                    .registration
                    .add_registry_key(&id, body_json(&body)?, actor)
                    .await?;
                ok(StatusCode::CREATED, key_json(&k, now))
            }
            "feed" => {
                let f: FeedInput = body_json(&body)?;
                p.registration
                    .set_registry_feed(&id, f.url.as_deref(), actor)
                    .await?;
                ok(StatusCode::OK, json!({ "termination_feed": f.url }))
            }
            "terminations" => {
                let m: MembersInput = body_json(&body)?;
                let t = p
                    .registration
                    .import_terminations(&id, &m.members, actor)
                    .await?;
                ok(StatusCode::OK, json!(t))
            }
            _ => Err(AdminError::invalid(
                "",
                format!(
                "unknown operation {op}: use suspend, reinstate, terminate, keys, terminations or feed"
            ),
            )),
        }
    })
    .await
}

/// The report JWT: the whole body as `application/jwt`, or the form field `report`.
fn report_token(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/jwt") {
        return std::str::from_utf8(body)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    }
    parse_form(headers, body).ok()?.remove("report")
}

/// POST /registries/terminations: a registry reports deleted or terminated registrations with
/// a signed report (header `typ` `oneid-termination-report+jwt`; claims `iss`, `aud`, `jti`,
/// `iat`, `exp`, `terminated`: [member ids]); the matching accounts are terminated and every
/// member listed is kept from registering. A suspended or terminated registry may still
/// report. Bounded per source address.
#[tracing::instrument(skip_all)]
pub async fn report(
    State(p): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> WebResult {
    // Each report costs a signature check and durable writes: bounded per address, as the
    // hand-offs at /register are.
    let over = web::limits::over(&p, "registry-report-ip", &ip, p.cfg.login_limit_per_address)
        .await
        .map_err(OAuthError::unavailable)?;
    if over {
        return Err(OAuthError::too_many(web::limits::retry_after(&p)).into());
    }
    let token = report_token(&headers, &body).ok_or_else(|| {
        OAuthError::invalid_request(
            "send the signed report as the body (Content-Type: application/jwt) or as the form field report",
        )
    })?;
    let t = p
        .registration
        .take_report(&p.cfg.issuer, &token, &ip)
        .await
        .map_err(|e| match e {
            ReportError::Refused(_) => OAuthError::invalid_token(
                "the report was refused: it must be signed with a live key of its registry, \
                 addressed to this server, unexpired, and used once",
            ),
            ReportError::Storage(m) => OAuthError::internal(m),
        })?;
    Ok(json_no_store(json!(t).to_string()))
}

/// A registry key as JSON (`live`: accepted at `now`).
pub fn key_json(k: &RegistryKey, now: i64) -> Value {
    json!({
        "kid": k.kid,
        "alg": k.alg,
        "public_key_pem": k.public_pem,
        "created_at": k.created_at,
        "retire_at": k.retire_at,
        "live": k.retire_at.is_none_or(|r| r > now),
    })
}

/// A registry as JSON, with its keys when given.
pub fn registry_json(r: &Registry, keys: Option<&[RegistryKey]>, now: i64) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or_else(|_| json!({ "id": r.id }));
    if let (Some(keys), Some(m)) = (keys, v.as_object_mut()) {
        m.insert(
            "keys".into(),
            keys.iter().map(|k| key_json(k, now)).collect(),
        );
    }
    v
}
