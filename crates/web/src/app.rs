//! One application from the surfaces' routes: the body limit and the request metrics around
//! them, the shared static files, health and readiness, and the documents that skip the
//! middleware.

use crate::http::{json_no_store, BODY_LIMIT};
use crate::pages;
use authorization_server::Provider;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The application: `routes` (the surfaces' routes, merged) behind the body limit and the
/// request-metrics middleware, with the shared static files and health checks, and
/// `documents`, which skip both.
pub fn assemble(
    p: Arc<Provider>,
    routes: Router<Arc<Provider>>,
    documents: Router<Arc<Provider>>,
) -> Router {
    routes
        .route("/static/oneid.css", get(pages::stylesheet))
        .route("/static/password-rules.js", get(pages::rules_script))
        .route("/static/passkey.js", get(pages::passkey_script))
        .route("/static/common-passwords.txt", get(pages::common_passwords))
        .route("/favicon.svg", get(pages::favicon))
        .route("/favicon.ico", get(pages::favicon))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::wrong_method)
        .merge(health())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            p.clone(),
            crate::http::remember_language,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            p.clone(),
            crate::metrics::track,
        ))
        .merge(documents)
        .with_state(p)
}

/// `/healthz` (the process answers) and `/readyz` (its database and ephemeral store answer).
pub fn health() -> Router<Arc<Provider>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

#[tracing::instrument(skip_all)]
async fn readyz(axum::extract::State(p): axum::extract::State<Arc<Provider>>) -> Response {
    let db = p.db.ping().await.is_ok();
    let store = p.store.ping().await.is_ok();
    let status = if db && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "database": if db { "ok" } else { "unavailable" },
        "ephemeral_store": if store { "ok" } else { "unavailable" },
    });
    (status, json_no_store(body.to_string())).into_response()
}
