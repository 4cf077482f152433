//! The admin listener's routes, for the operator's network only: metrics and health.

use authorization_server::Provider;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The admin listener's routes.
pub fn operator_router(p: Arc<Provider>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .merge(web::app::health())
        .with_state(p)
}

/// GET /metrics (Prometheus text format 0.0.4), on the admin listener: the node's counters,
/// then the gauges read at scrape time (live SSO sessions, signing keys) in the same format.
#[tracing::instrument(skip_all)]
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
    (
        [(header::CONTENT_TYPE, platform::metrics::CONTENT_TYPE)],
        out,
    )
        .into_response()
}
