//! The provider's routes, the admin listener's routes, and the documents relying parties poll
//! most (discovery and the key set) answered before the router.

use crate::{
    account, admin, authorize, desk, forgot, logout, registries_api, signup, stepup,
    token_endpoint, userinfo,
};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use web::http::{json_no_store, BODY_LIMIT};
use web::pages;

/// The provider's routes.
pub fn router(p: Arc<Provider>) -> Router {
    // The documents relying parties poll most take no body, so they skip the body-limit layer
    // (it costs an allocation per request) and the per-request middleware (they count
    // themselves, see metrics::DOCUMENTS).
    let documents = Router::new()
        .route("/.well-known/openid-configuration", get(discovery_doc))
        .route("/jwks", get(jwks));
    Router::new()
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route(
            "/login",
            get(authorize::login_page).post(authorize::login_submit),
        )
        .route("/login/password", post(authorize::password_change_submit))
        .route("/stepup", get(stepup::show).post(stepup::submit))
        .route("/account/totp", get(account::totp).post(account::totp_post))
        .route(
            "/account/devices",
            get(account::devices).post(account::devices_post),
        )
        .route("/demo/codes", get(stepup::demo_codes))
        .route(
            "/account",
            get(account::profile).post(account::profile_post),
        )
        .route(
            "/account/password",
            get(account::password).post(account::password_post),
        )
        .route(
            "/account/security",
            get(account::security).post(account::security_post),
        )
        .route(
            "/forgot-login-id",
            get(forgot::login_id).post(forgot::login_id_post),
        )
        .route(
            "/forgot-password",
            get(forgot::password).post(forgot::password_post),
        )
        .route("/register", post(signup::start))
        .route("/register/welcome", get(signup::welcome))
        .route("/register/{step}", get(signup::show).post(signup::submit))
        .route("/desk", get(desk::search).post(desk::search_post))
        .route("/desk/account", get(desk::account).post(desk::account_post))
        .route("/token", post(token_endpoint::token))
        .route("/userinfo", get(userinfo::get).post(userinfo::post))
        .route("/introspect", post(userinfo::introspect))
        .route("/revoke", post(userinfo::revoke))
        .route("/logout", get(logout::get).post(logout::post))
        .route("/logout/confirm", post(logout::confirm))
        .route("/admin/keys", get(admin::console).post(admin::console_post))
        .route("/admin/api/keys", get(admin::api_list))
        .route("/admin/api/keys/rotate", post(admin::api_rotate))
        .route("/admin/api/keys/{kid}/{op}", post(admin::api_key_op))
        .route(
            "/admin/api/registries",
            get(registries_api::api_list).post(registries_api::api_add),
        )
        .route(
            "/admin/api/registries/{id}",
            get(registries_api::api_get).patch(registries_api::api_update),
        )
        .route(
            "/admin/api/registries/{id}/{op}",
            post(registries_api::api_op),
        )
        .route("/registries/terminations", post(registries_api::report))
        .merge(crate::admin_api::router())
        .merge(crate::admin_console::router())
        .merge(crate::lra::router())
        .merge(crate::saml::router())
        .route("/static/oneid.css", get(pages::stylesheet))
        .route("/static/password-rules.js", get(pages::rules_script))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .route_layer(axum::middleware::from_fn_with_state(
            p.clone(),
            web::metrics::track,
        ))
        .merge(documents)
        .with_state(p)
}

/// The admin listener's routes: metrics and health, for the operator's network only.
pub fn admin_router(p: Arc<Provider>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(p)
}

/// The documents relying parties poll most (discovery and the key set), answered before the
/// router when the accept loop asks (`GET` only; anything else, `HEAD` included, goes to the
/// router, which serves the same bytes): the router's work per request (routing, request
/// extensions, the boxed body) cost a third more CPU than answering these directly.
pub fn document_fast_path(
    p: &Provider,
    method: &axum::http::Method,
    path: &str,
) -> Option<Response> {
    if method != axum::http::Method::GET {
        return None;
    }
    let i = platform::metrics::DOCUMENTS
        .iter()
        .position(|d| *d == path)?;
    Some(document(p, i))
}

/// Document `i` of `metrics::DOCUMENTS` (discovery, then the key set), counted.
fn document(p: &Provider, i: usize) -> Response {
    p.metrics.document(i);
    let body = if i == 0 {
        p.discovery_document().clone()
    } else {
        p.keys.jwks()
    };
    let cache = HeaderValue::from_maybe_shared(p.documents_cache_control().clone())
        .unwrap_or(HeaderValue::from_static("no-cache"));
    json_cached(body, cache)
}

async fn discovery_doc(axum::extract::State(p): axum::extract::State<Arc<Provider>>) -> Response {
    document(&p, 0)
}

async fn jwks(axum::extract::State(p): axum::extract::State<Arc<Provider>>) -> Response {
    document(&p, 1)
}

async fn healthz() -> &'static str {
    "ok"
}

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

fn json_cached(body: Bytes, cache_control: HeaderValue) -> Response {
    let mut r = Response::new(axum::body::Body::from(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, cache_control);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// GET /metrics (Prometheus text format), on the admin listener.
async fn metrics(State(p): State<Arc<Provider>>) -> Response {
    let mut out = p.metrics.render();
    out.push_str(
        "# HELP oneid_sso_sessions Live SSO sessions (all nodes).\n# TYPE oneid_sso_sessions gauge\n",
    );
    match p.store.count_prefix("sso:").await {
        Ok(n) => out.push_str(&format!("oneid_sso_sessions {n}\n")),
        Err(e) => tracing::warn!(error = %e, "session count unavailable"),
    }
    match crate::admin::key_metrics(&p).await {
        Ok(k) => out.push_str(&k),
        Err(e) => tracing::warn!(error = %e, "key metrics unavailable"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
