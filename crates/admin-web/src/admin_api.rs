//! The administrators' JSON API under `/admin/api/`: organizations with their allowed services
//! and local registration authorities, services, relying parties, account status, and the
//! audit trail (search, and export as JSON lines), described by an OpenAPI 3.1 document at
//! `/admin/api/openapi.json`.
//!
//! Callers are clients acting for themselves (client_credentials) with the `oneid:admin`
//! scope, or `oneid:audit` for the audit trail only; a person's token never passes, whatever
//! its scope: people use the console, which checks their role and a recent step-up. The
//! changes themselves, each checked and audited once, are the submodules' `pub` functions,
//! shared with the console and the CLI.

mod accounts;
mod audit;
mod directory;
mod input;
mod relying_parties;
pub mod resource_servers;

pub use accounts::account_json;
pub(crate) use audit::export_response;
pub use audit::{
    audit_query, export_body, export_include, provenance_line, record_json, AUDIT_PAGE_MAX,
};
pub use input::{ClientInput, ClientPatch};
pub use relying_parties::{add_client, client_json, remove_client};

use crate::admin::{api_caller, ApiCaller, ADMIN_SCOPE};
use authorization_server::Provider;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;
use registration::AdminError;
use serde_json::{json, Value};
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{bearer, json_no_store};

/// Rows on a page of a list (organizations, relying parties) unless `limit` says otherwise.
const LIST_PAGE_DEFAULT: i64 = 100;
/// The most rows on a page of a list.
const LIST_PAGE_MAX: i64 = 1000;

/// A list's page from its query (`limit`, 1 to 1000, default 100; `cursor`, the previous
/// page's `next_cursor`): the rows after the cursor, by id, read by keyset. Other
/// parameters are refused.
fn list_page(q: Option<String>) -> Result<(Option<String>, i64), ApiError> {
    let params = web::http::parse_query(q.unwrap_or_default().as_bytes())
        .map_err(|_| ApiError::invalid("", "each parameter may be given once"))?;
    if let Some(k) = params
        .keys()
        .find(|k| !["limit", "cursor"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(
            "",
            format!("unknown parameter {k} (use limit, cursor)"),
        ));
    }
    let limit = match params.get("limit").map(|v| v.trim()) {
        None | Some("") => LIST_PAGE_DEFAULT,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=LIST_PAGE_MAX).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("limit must be a whole number from 1 to {LIST_PAGE_MAX}"),
                )
            })?,
    };
    let cursor = params
        .get("cursor")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if cursor
        .as_ref()
        .is_some_and(|c| c.len() > 200 || c.chars().any(char::is_control))
    {
        return Err(ApiError::invalid(
            "cursor",
            "cursor is the next_cursor of a page",
        ));
    }
    Ok((cursor, limit))
}

/// The read-only scope: the audit trail's search and export, nothing else.
pub const AUDIT_SCOPE: &str = "oneid:audit";

/// The OpenAPI 3.1 description of the administration API (keys and registries included).
pub const OPENAPI: &str = include_str!("admin_api/openapi.json");

/// What an endpoint needs of the caller's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// `oneid:admin`.
    Admin,
    /// `oneid:audit` or `oneid:admin`.
    Audit,
}

/// The caller, if its token may call an endpoint that needs `need` (see `admin::api_caller`);
/// otherwise the answer to send: 401 with a bare challenge without a token, 401 for a dead
/// one, 403 `insufficient_scope` for a token without the scope or with someone other than a
/// stepped-up administrator behind it.
async fn caller(p: &Provider, headers: &HeaderMap, need: Need) -> Result<ApiCaller, Response> {
    if bearer(headers).is_none() {
        // RFC 6750 §3.1: a request without credentials gets a bare challenge.
        let mut r = OAuthError::invalid_token("a bearer access token is required").into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"oneid\""),
        );
        return Err(r);
    }
    let scopes: &[&'static str] = match need {
        Need::Admin => &[ADMIN_SCOPE],
        Need::Audit => &[ADMIN_SCOPE, AUDIT_SCOPE],
    };
    api_caller(p, headers, scopes)
        .await
        .map_err(IntoResponse::into_response)
}

/// Why an administrative change or read was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A value is not acceptable (400); `field` names it for forms.
    #[error("{message}")]
    Invalid {
        /// The field (JSON name), or "" when none in particular.
        field: &'static str,
        /// What is wrong, in English.
        message: String,
    },
    /// No such thing (404).
    #[error("{0}")]
    NotFound(String),
    /// It exists already, or its state forbids the change (409).
    #[error("{0}")]
    Conflict(String),
    /// Storage failed (500; the message is for logs only).
    #[error("storage: {0}")]
    Storage(String),
}

impl ApiError {
    /// A bad `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<registration::RegistrationError> for ApiError {
    fn from(e: registration::RegistrationError) -> Self {
        registration::directory_admin::refused(e).into()
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid { field, message } => Self::Invalid { field, message },
            AdminError::NotFound(m) => Self::NotFound(m),
            AdminError::Conflict(m) => Self::Conflict(m),
            AdminError::Storage(m) => Self::Storage(m),
            e => Self::Storage(e.to_string()),
        }
    }
}

impl From<authorization_server::ClientError> for ApiError {
    fn from(e: authorization_server::ClientError) -> Self {
        match e {
            authorization_server::ClientError::Invalid(m) => Self::invalid("", m),
            authorization_server::ClientError::Exists => {
                Self::Conflict("a client with this id already exists".into())
            }
            authorization_server::ClientError::Db(e) => Self::Storage(e.to_string()),
        }
    }
}

impl From<credential_store::CredentialError> for ApiError {
    fn from(e: credential_store::CredentialError) -> Self {
        match e {
            credential_store::CredentialError::NotFound => Self::NotFound("no such account".into()),
            e @ credential_store::CredentialError::NoSecondFactor => Self::Conflict(e.to_string()),
            e => Self::Storage(e.to_string()),
        }
    }
}

impl From<platform::DbError> for ApiError {
    fn from(e: platform::DbError) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Storage(m) => return OAuthError::internal(m).into_response(),
            ApiError::Invalid { field, message } => {
                let mut v = json!({ "error": "invalid_request", "error_description": message });
                if !field.is_empty() {
                    v["field"] = field.into();
                }
                (StatusCode::BAD_REQUEST, v)
            }
            ApiError::NotFound(m) => (
                StatusCode::NOT_FOUND,
                json!({ "error": "not_found", "error_description": m }),
            ),
            ApiError::Conflict(m) => (
                StatusCode::CONFLICT,
                json!({ "error": "conflict", "error_description": m }),
            ),
        };
        (status, json_no_store(body.to_string())).into_response()
    }
}

/// A JSON answer.
fn reply(status: StatusCode, v: Value) -> Result<Response, ApiError> {
    Ok((status, json_no_store(v.to_string())).into_response())
}

/// The body as the JSON `T` expects (unknown fields refused); an empty body is `{}`.
fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("", format!("the body is not the JSON expected: {e}")))
}

/// Runs an API call for a caller whose token meets `need`; `f` gets the caller.
async fn api<F, Fut>(p: &Provider, headers: &HeaderMap, need: Need, f: F) -> Response
where
    F: FnOnce(ApiCaller) -> Fut,
    Fut: std::future::Future<Output = Result<Response, ApiError>>,
{
    match caller(p, headers, need).await {
        Ok(client) => f(client).await.unwrap_or_else(IntoResponse::into_response),
        Err(r) => r,
    }
}

/// GET /admin/api/openapi.json
#[tracing::instrument(skip_all)]
async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        OPENAPI,
    )
        .into_response()
}

type Route = (&'static str, &'static str, MethodRouter<Arc<Provider>>);

/// Every route of this API: (method, path, handler). The router is built from this table and
/// the unit test below checks each is in the OpenAPI document.
fn routes() -> Vec<Route> {
    use accounts as a;
    use audit as au;
    use directory as d;
    use relying_parties as rp;
    vec![
        ("get", "/admin/api/openapi.json", get(openapi)),
        ("get", "/admin/api/organizations", get(d::api_organizations)),
        (
            "post",
            "/admin/api/organizations",
            post(d::api_add_organization),
        ),
        (
            "get",
            "/admin/api/organizations/{id}",
            get(d::api_organization),
        ),
        (
            "patch",
            "/admin/api/organizations/{id}",
            patch(d::api_update_organization),
        ),
        (
            "put",
            "/admin/api/organizations/{id}/services/{service}",
            put(d::api_allow_service),
        ),
        (
            "delete",
            "/admin/api/organizations/{id}/services/{service}",
            delete(d::api_disallow_service),
        ),
        (
            "get",
            "/admin/api/organizations/{id}/lras",
            get(d::api_lras),
        ),
        (
            "post",
            "/admin/api/organizations/{id}/lras",
            post(d::api_grant_lra),
        ),
        (
            "delete",
            "/admin/api/organizations/{id}/lras/{account}",
            delete(d::api_revoke_lra),
        ),
        (
            "get",
            "/admin/api/organizations/{id}/process",
            get(d::api_process),
        ),
        (
            "put",
            "/admin/api/organizations/{id}/process",
            put(d::api_set_process),
        ),
        (
            "post",
            "/admin/api/organizations/{id}/process/{op}",
            post(d::api_process_status),
        ),
        (
            "post",
            "/admin/api/organizations/{id}/terminations",
            post(d::api_affiliate_terminations),
        ),
        ("get", "/admin/api/approvals", get(d::api_approvals_due)),
        (
            "get",
            "/admin/api/approvals/{kind}/{id}",
            get(d::api_reviews),
        ),
        (
            "post",
            "/admin/api/approvals/{kind}/{id}/reviews",
            post(d::api_record_review),
        ),
        (
            "post",
            "/admin/api/approvals/{kind}/{id}/changes",
            post(d::api_report_change),
        ),
        ("get", "/admin/api/held-registrations", get(d::api_held)),
        (
            "post",
            "/admin/api/held-registrations/{registry}/{member}/{action}",
            post(d::api_resolve_held),
        ),
        ("get", "/admin/api/services", get(d::api_services)),
        ("post", "/admin/api/services", post(d::api_add_service)),
        ("get", "/admin/api/services/{id}", get(d::api_service)),
        (
            "patch",
            "/admin/api/services/{id}",
            patch(d::api_update_service),
        ),
        ("get", "/admin/api/clients", get(rp::api_clients)),
        ("post", "/admin/api/clients", post(rp::api_add_client)),
        ("get", "/admin/api/clients/{id}", get(rp::api_client)),
        (
            "patch",
            "/admin/api/clients/{id}",
            patch(rp::api_update_client),
        ),
        (
            "delete",
            "/admin/api/clients/{id}",
            delete(rp::api_remove_client),
        ),
        (
            "get",
            "/admin/api/resource-servers",
            get(resource_servers::api_list),
        ),
        (
            "post",
            "/admin/api/resource-servers",
            post(resource_servers::api_add),
        ),
        (
            "get",
            "/admin/api/resource-servers/{id}",
            get(resource_servers::api_get),
        ),
        (
            "delete",
            "/admin/api/resource-servers/{id}",
            delete(resource_servers::api_remove),
        ),
        (
            "put",
            "/admin/api/clients/{id}/resources/{resource}",
            put(resource_servers::api_allow),
        ),
        (
            "delete",
            "/admin/api/clients/{id}/resources/{resource}",
            delete(resource_servers::api_disallow),
        ),
        ("get", "/admin/api/accounts", get(a::api_search)),
        ("get", "/admin/api/accounts/{account}", get(a::api_account)),
        (
            "post",
            "/admin/api/accounts/{account}/suspend",
            post(a::api_suspend),
        ),
        (
            "post",
            "/admin/api/accounts/{account}/reinstate",
            post(a::api_reinstate),
        ),
        (
            "post",
            "/admin/api/accounts/{account}/terminate",
            post(a::api_terminate),
        ),
        ("get", "/admin/api/audit", get(au::api_search)),
        ("get", "/admin/api/audit/export", get(au::api_export)),
    ]
}

/// The API's routes, merged into the provider's router.
pub fn router() -> Router<Arc<Provider>> {
    routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, m)| r.route(path, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_json_and_describes_every_route() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("valid JSON");
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented = Vec::new();
        for (method, path, _) in routes() {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} is not in openapi.json"
            );
            documented.push((method, path));
        }
        // The administration endpoints routed elsewhere (keys and registries in http.rs, SAML
        // service providers in saml/mod.rs) are described too.
        for (method, path) in [
            ("get", "/admin/api/keys"),
            ("post", "/admin/api/keys/rotate"),
            ("post", "/admin/api/keys/{kid}/{op}"),
            ("get", "/admin/api/registries"),
            ("post", "/admin/api/registries"),
            ("get", "/admin/api/registries/{id}"),
            ("patch", "/admin/api/registries/{id}"),
            ("post", "/admin/api/registries/{id}/{op}"),
            ("get", "/admin/api/saml/sps"),
            ("post", "/admin/api/saml/sps"),
            ("get", "/admin/api/saml/sps/{entity_id}"),
            ("put", "/admin/api/saml/sps/{entity_id}"),
            ("delete", "/admin/api/saml/sps/{entity_id}"),
        ] {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} is not in openapi.json"
            );
            documented.push((method, path));
        }
        // And nothing is described that is not served.
        for (path, item) in paths {
            for method in item.as_object().expect("path item").keys() {
                if method == "parameters" {
                    continue;
                }
                assert!(
                    documented.contains(&(method.as_str(), path.as_str())),
                    "openapi.json describes {method} {path}, which is not routed"
                );
            }
        }
        // Every reference resolves.
        fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r);
                    }
                    m.values().for_each(|x| refs(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let pointer = r.strip_prefix('#').expect("a local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
    }

    #[test]
    fn the_router_builds() {
        let _ = router();
    }
}
