//! The identity provider's routes, and the documents relying parties poll most (discovery and
//! the key set), also answered before the router.

use crate::{authorize, logout, stepup, token_endpoint, userinfo};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The identity provider's routes: authorization and login, step-up, token, userinfo,
/// introspection, revocation, logout and the SAML endpoints.
pub fn routes() -> Router<Arc<Provider>> {
    Router::new()
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route(
            "/login",
            get(authorize::login_page).post(authorize::login_submit),
        )
        .route("/login/passkey", post(authorize::passkey_submit))
        .route(
            "/login/passkey-offer",
            post(authorize::passkey_offer_submit),
        )
        .route("/login/password", post(authorize::password_change_submit))
        .route("/login/agreement", post(authorize::agreement_submit))
        .route(
            "/authorize/consent",
            get(authorize::consent_page).post(authorize::consent_submit),
        )
        .route(
            "/authorize/patient",
            get(authorize::picker_page).post(authorize::picker_submit),
        )
        .route(
            "/authorize/encounter",
            get(authorize::encounter_page).post(authorize::encounter_submit),
        )
        .route("/stepup", get(stepup::show).post(stepup::submit))
        .route("/demo/codes", get(stepup::demo_codes))
        .route("/par", post(crate::par_endpoint::par))
        .route("/device_authorization", post(crate::device::authorization))
        .route(
            "/device",
            get(crate::device::page).post(crate::device::submit),
        )
        .route("/device/confirm", post(crate::device::confirm))
        .route("/device/done", get(crate::device::done))
        .route("/introspect", post(userinfo::introspect))
        .route("/smart/launch", post(crate::smart_launch::create))
        .route("/logout", get(logout::get).post(logout::post))
        .route("/logout/confirm", post(logout::confirm))
        .route("/.well-known/smart-configuration", get(smart_configuration))
        .merge(crate::saml::router())
        .merge(browser_apps())
}

/// The endpoints a browser app (a SMART public app, a single-page app) calls with `fetch`
/// from its own origin: the token endpoint, userinfo and revocation, open to any origin
/// (CORS). No cookie is involved (credentials are never allowed), and what they answer is
/// no more than the code, PKCE verifier or token the caller already holds would give any
/// server-side caller.
fn browser_apps() -> Router<Arc<Provider>> {
    Router::new()
        .route(
            "/token",
            post(token_endpoint::token).options(cors_preflight),
        )
        .route(
            "/userinfo",
            get(userinfo::get)
                .post(userinfo::post)
                .options(cors_preflight),
        )
        .route("/revoke", post(userinfo::revoke).options(cors_preflight))
        .layer(axum::middleware::map_response(cors_answer))
}

/// Every answer of [`browser_apps`] (errors too, so the app can read them) may be read by
/// any origin, with the headers a DPoP or bearer client needs.
async fn cors_answer(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("DPoP-Nonce, WWW-Authenticate"),
    );
    r
}

/// The CORS preflight of [`browser_apps`]: POST and GET, with the headers they take.
async fn cors_preflight() -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = axum::http::StatusCode::NO_CONTENT;
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, DPoP"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    r
}

/// The documents relying parties poll most. They take no body, so they skip the body-limit
/// layer (it costs an allocation per request) and the per-request middleware (they count
/// themselves, see `platform::metrics::DOCUMENTS`).
pub fn documents() -> Router<Arc<Provider>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery_doc))
        .route("/jwks", get(jwks))
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

#[tracing::instrument(skip_all)]
async fn discovery_doc(axum::extract::State(p): axum::extract::State<Arc<Provider>>) -> Response {
    document(&p, 0)
}

/// GET /.well-known/smart-configuration (SMART App Launch 2.2), cached and open to any
/// origin like the discovery document.
#[tracing::instrument(skip_all)]
async fn smart_configuration(
    axum::extract::State(p): axum::extract::State<Arc<Provider>>,
) -> Response {
    let cache = HeaderValue::from_maybe_shared(p.documents_cache_control().clone())
        .unwrap_or(HeaderValue::from_static("no-cache"));
    json_cached(p.smart_configuration().clone(), cache)
}

#[tracing::instrument(skip_all)]
async fn jwks(axum::extract::State(p): axum::extract::State<Arc<Provider>>) -> Response {
    document(&p, 1)
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
