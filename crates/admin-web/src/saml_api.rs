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
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use web::error::OAuthError;
use web::http::json_no_store;

/// An SP as JSON.
pub fn sp_json(sp: &ServiceProvider) -> Value {
    serde_json::to_value(sp).unwrap_or_else(|_| json!({ "entity_id": sp.entity_id }))
}

fn error(e: SpError) -> Response {
    match e {
        SpError::Invalid(m) => OAuthError::invalid_request(m).into_response(),
        SpError::Exists => (
            StatusCode::CONFLICT,
            json_no_store(
                json!({ "error": "conflict", "error_description": e.to_string() }).to_string(),
            ),
        )
            .into_response(),
        SpError::Db(e) => OAuthError::internal(e).into_response(),
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        json_no_store(
            json!({ "error": "not_found", "error_description": "no such service provider" })
                .to_string(),
        ),
    )
        .into_response()
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
}

/// PUT /admin/api/saml/sps/{entity_id}
#[tracing::instrument(skip_all)]
pub async fn update(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(entity_id): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match admin_client(&p, &headers).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let b: UpdateBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return OAuthError::invalid_request(format!("the body is not the JSON expected: {e}"))
                .into_response()
        }
    };
    let metadata = match (b.metadata, b.metadata_url) {
        (Some(m), None) => Some(m),
        (None, Some(u)) => match fetch_metadata(&u).await {
            Ok(m) => Some(m),
            Err(e) => return error(e),
        },
        (None, None) => None,
        (Some(_), Some(_)) => {
            return OAuthError::invalid_request("give metadata or metadata_url, not both")
                .into_response()
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
        },
    };
    match modify(&p, &entity_id, u, &caller.actor()).await {
        Ok(Some(sp)) => json_no_store(sp_json(&sp).to_string()),
        Ok(None) => not_found(),
        Err(e) => error(e),
    }
}

/// GET /admin/api/saml/sps
#[tracing::instrument(skip_all)]
pub async fn list(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    if let Err(e) = admin_client(&p, &headers).await {
        return e.into_response();
    }
    match p.saml.sps.list().await {
        Ok(sps) => json_no_store(
            json!({ "service_providers": sps.iter().map(sp_json).collect::<Vec<_>>() }).to_string(),
        ),
        Err(e) => error(e),
    }
}

/// POST /admin/api/saml/sps
#[tracing::instrument(skip_all)]
pub async fn add(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match admin_client(&p, &headers).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let b: AddBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return OAuthError::invalid_request(format!("the body is not the JSON expected: {e}"))
                .into_response()
        }
    };
    let metadata = match (b.metadata, b.metadata_url) {
        (Some(m), None) => m,
        (None, Some(u)) => match fetch_metadata(&u).await {
            Ok(m) => m,
            Err(e) => return error(e),
        },
        _ => {
            return OAuthError::invalid_request("give metadata or metadata_url (one of them)")
                .into_response()
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
    };
    match register(&p, n, &caller.actor()).await {
        Ok(sp) => (StatusCode::CREATED, json_no_store(sp_json(&sp).to_string())).into_response(),
        Err(e) => error(e),
    }
}

/// GET /admin/api/saml/sps/{entity_id}
#[tracing::instrument(skip_all)]
pub async fn get_one(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(entity_id): Path<String>,
) -> Response {
    if let Err(e) = admin_client(&p, &headers).await {
        return e.into_response();
    }
    match p.saml.sps.get(&entity_id).await {
        Ok(Some(sp)) => json_no_store(sp_json(&sp).to_string()),
        Ok(None) => not_found(),
        Err(e) => error(e),
    }
}

/// DELETE /admin/api/saml/sps/{entity_id}
#[tracing::instrument(skip_all)]
pub async fn remove(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(entity_id): Path<String>,
) -> Response {
    let caller = match admin_client(&p, &headers).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match unregister(&p, &entity_id, &caller.actor()).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found(),
        Err(e) => error(e),
    }
}
