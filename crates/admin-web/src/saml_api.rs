//! Service providers over the admin JSON API (bearer access token of a client acting for
//! itself with the `oneid:admin` scope, the same errors as the other admin endpoints):
//!
//! - `GET /admin/api/saml/sps`: every SP;
//! - `POST /admin/api/saml/sps`: register one from `{"metadata": "<xml>"}` or
//!   `{"metadata_url": "https://..."}` plus the choices of `NewSp`;
//! - `PUT /admin/api/saml/sps/{entityID}`: update one in place, from its fresh metadata
//!   (`metadata` or `metadata_url`) and/or new choices (absent: unchanged; `"service_id":
//!   null`: no service); the persistent NameIDs it gave out stay;
//! - `GET` / `DELETE /admin/api/saml/sps/{entityID, percent-encoded}`.

use crate::admin::admin_client;
use authorization_server::saml::sps::{
    fetch_metadata, modify, register, unregister, NewSp, ServiceProvider, SpChoices, SpError,
    SpUpdate,
};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use web::error::{OAuthError, WebError, WebResult};
use web::http::json_no_store;

/// An SP as JSON.
pub fn sp_json(sp: &ServiceProvider) -> Value {
    serde_json::to_value(sp).unwrap_or_else(|_| json!({ "entity_id": sp.entity_id }))
}

/// The registry's refusal as the API's answer: 400, 409, or `server_error` (logged once).
fn error(e: SpError) -> WebError {
    match e {
        SpError::Invalid(m) => OAuthError::invalid_request(m).into(),
        SpError::Exists => WebError::answer(
            (
                StatusCode::CONFLICT,
                json_no_store(
                    json!({ "error": "conflict", "error_description": e.to_string() }).to_string(),
                ),
            )
                .into_response(),
        ),
        SpError::Db(e) => OAuthError::internal(e).into(),
    }
}

/// 404 for an entityID no SP has.
fn not_found() -> WebError {
    WebError::answer(
        (
            StatusCode::NOT_FOUND,
            json_no_store(
                json!({ "error": "not_found", "error_description": "no such service provider" })
                    .to_string(),
            ),
        )
            .into_response(),
    )
}

/// The body as the JSON `T` expects (unknown fields refused).
fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, OAuthError> {
    serde_json::from_slice(body)
        .map_err(|e| OAuthError::invalid_request(format!("the body is not the JSON expected: {e}")))
}

/// The POST body: `NewSp`, with `metadata_url` instead of `metadata` if wanted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    #[serde(default)]
    metadata: Option<String>,
    #[serde(default)]
    metadata_url: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    service_id: Option<String>,
    #[serde(default)]
    attributes: Option<Vec<String>>,
    #[serde(default)]
    nameid_format: Option<String>,
    #[serde(default)]
    allow_idp_initiated: bool,
    #[serde(default)]
    sign_response: bool,
    #[serde(default)]
    encrypt_assertions: bool,
    #[serde(default)]
    require_mfa: bool,
    #[serde(default)]
    require_phishing_resistant: bool,
}

/// A JSON field that may be absent (`None`), null (`Some(None)`) or set.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The PUT body: fresh metadata and/or choices, every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    metadata: Option<String>,
    #[serde(default)]
    metadata_url: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    service_id: Option<Option<String>>,
    #[serde(default)]
    attributes: Option<Vec<String>>,
    #[serde(default)]
    nameid_format: Option<String>,
    #[serde(default)]
    allow_idp_initiated: Option<bool>,
    #[serde(default)]
    sign_response: Option<bool>,
    #[serde(default)]
    encrypt_assertions: Option<bool>,
    #[serde(default)]
    require_mfa: Option<bool>,
    #[serde(default)]
    require_phishing_resistant: Option<bool>,
}

/// PUT /admin/api/saml/sps/{entity_id}
#[tracing::instrument(skip_all)]
pub async fn update(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(entity_id): Path<String>,
    body: Bytes,
) -> WebResult {
    let caller = admin_client(&p, &headers).await?;
    let b: UpdateBody = body_json(&body)?;
    let metadata = match (b.metadata, b.metadata_url) {
        (Some(m), None) => Some(m),
        (None, Some(u)) => Some(fetch_metadata(&u).await.map_err(error)?),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(
                OAuthError::invalid_request("give metadata or metadata_url, not both").into(),
            )
        }
    };
    let u = SpUpdate {
        metadata,
        choices: SpChoices {
            name: b.name,
            service_id: b.service_id,
            attributes: b.attributes,
            nameid_format: b.nameid_format,
            allow_idp_initiated: b.allow_idp_initiated,
            sign_response: b.sign_response,
            encrypt_assertions: b.encrypt_assertions,
            require_mfa: b.require_mfa,
            require_phishing_resistant: b.require_phishing_resistant,
        },
    };
    let sp = modify(&p, &entity_id, u, &caller.actor())
        .await
        .map_err(error)?
        .ok_or_else(not_found)?;
    Ok(json_no_store(sp_json(&sp).to_string()))
}

/// GET /admin/api/saml/sps
#[tracing::instrument(skip_all)]
pub async fn list(State(p): State<Arc<Provider>>, headers: HeaderMap) -> WebResult {
    admin_client(&p, &headers).await?;
    let sps = p.saml.sps.list().await.map_err(error)?;
    Ok(json_no_store(
        json!({ "service_providers": sps.iter().map(sp_json).collect::<Vec<_>>() }).to_string(),
    ))
}

/// POST /admin/api/saml/sps
#[tracing::instrument(skip_all)]
pub async fn add(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> WebResult {
    let caller = admin_client(&p, &headers).await?;
    let b: AddBody = body_json(&body)?;
    let metadata = match (b.metadata, b.metadata_url) {
        (Some(m), None) => m,
        (None, Some(u)) => fetch_metadata(&u).await.map_err(error)?,
        _ => {
            return Err(
                OAuthError::invalid_request("give metadata or metadata_url (one of them)").into(),
            )
        }
    };
    let n = NewSp {
        metadata,
        name: b.name,
        service_id: b.service_id,
        attributes: b.attributes,
        nameid_format: b.nameid_format,
        allow_idp_initiated: b.allow_idp_initiated,
        sign_response: b.sign_response,
        encrypt_assertions: b.encrypt_assertions,
        require_mfa: b.require_mfa,
        require_phishing_resistant: b.require_phishing_resistant,
    };
    let sp = register(&p, n, &caller.actor()).await.map_err(error)?;
    Ok((StatusCode::CREATED, json_no_store(sp_json(&sp).to_string())).into_response())
}

/// GET /admin/api/saml/sps/{entity_id}
#[tracing::instrument(skip_all)]
pub async fn get_one(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(entity_id): Path<String>,
) -> WebResult {
    admin_client(&p, &headers).await?;
    let sp = p
        .saml
        .sps
        .get(&entity_id)
        .await
        .map_err(error)?
        .ok_or_else(not_found)?;
    Ok(json_no_store(sp_json(&sp).to_string()))
}

/// DELETE /admin/api/saml/sps/{entity_id}
#[tracing::instrument(skip_all)]
pub async fn remove(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(entity_id): Path<String>,
) -> WebResult {
    let caller = admin_client(&p, &headers).await?;
    if !unregister(&p, &entity_id, &caller.actor())
        .await
        .map_err(error)?
    {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
