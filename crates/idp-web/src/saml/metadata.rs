//! GET /saml/metadata: the IdP's metadata (rendered in `authorization_server::saml::metadata`),
//! served with a cache lifetime and open to any origin.

use authorization_server::Provider;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// GET /saml/metadata
#[tracing::instrument(skip_all)]
pub async fn get(State(p): State<Arc<Provider>>) -> Response {
    let body = match authorization_server::saml::metadata::cached(&p) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "SAML metadata unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "SAML is not available").into_response();
        }
    };
    let mut r = Response::new(axum::body::Body::from(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "public, max-age={}",
        p.saml.cfg.metadata_max_age_secs.max(0)
    )) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}
