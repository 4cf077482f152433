//! Observability: one middleware gives every request an id (`X-Request-Id`, kept from the
//! caller when it is sane, else random; in every log line of the request through a tracing
//! span), counts it by route and status with a latency histogram, and turns an internal error
//! into `503` when the database or the ephemeral store is what failed. Counters for logins,
//! step-ups, tokens and gateway errors are kept beside them; `/metrics` renders everything in
//! the Prometheus text format on the admin listener.

use authorization_server::Provider;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// A request id from the caller worth keeping: 1 to 64 characters of `[A-Za-z0-9._-]`.
fn sane_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
    .then(|| s.to_owned())
}

/// The middleware: request id, metrics, and `503` when storage is what failed.
pub async fn track(State(p): State<Arc<Provider>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(sane_id)
        .unwrap_or_else(|| p.metrics.request_id());
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    // Read only when an error page must be written (rare): kept, not parsed.
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let span = tracing::info_span!("request", request_id = %id, route = %route);
    let run = crate::error::REQUEST_ID.scope(id.clone(), next.run(req));
    let mut resp = run.instrument(span).await;
    if resp.status() == StatusCode::INTERNAL_SERVER_ERROR && storage_down(&p).await {
        let locale =
            platform::Locale::negotiate(None, accept.as_ref().and_then(|v| v.to_str().ok()));
        resp = unavailable(wants_json(route), locale);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    p.metrics
        .observe(route, resp.status().as_u16(), started.elapsed());
    resp
}

/// Whether a route answers programs (JSON) rather than people (pages).
fn wants_json(route: &str) -> bool {
    !matches!(
        route,
        "/authorize"
            | "/login"
            | "/login/password"
            | "/logout"
            | "/logout/confirm"
            | "/stepup"
            | "/forgot-login-id"
            | "/forgot-password"
            | "/admin/keys"
    ) && !route.starts_with("/account")
        && !route.starts_with("/desk")
}

/// True when the database or the ephemeral store does not answer within a second.
async fn storage_down(p: &Provider) -> bool {
    let t = Duration::from_secs(1);
    let (db, store) = tokio::join!(
        tokio::time::timeout(t, p.db.ping()),
        tokio::time::timeout(t, p.store.ping())
    );
    !matches!(db, Ok(Ok(()))) || !matches!(store, Ok(Ok(())))
}

/// `503` with `Retry-After`: an OAuth error for APIs, a page for people.
fn unavailable(json: bool, locale: platform::Locale) -> Response {
    let mut r = if json {
        crate::error::OAuthError::unavailable("storage unreachable").into_response()
    } else {
        crate::pages::error_page(
            locale,
            locale.text().service_unavailable,
            None,
            StatusCode::SERVICE_UNAVAILABLE,
        )
    };
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_ids_are_checked() {
        let m = platform::metrics::Metrics::default();
        let ms = std::time::Duration::from_millis;
        m.observe("/token", 200, ms(3));
        m.observe("/token", 200, ms(30));
        m.observe("/token", 400, ms(1));
        m.inc("oneid_tokens_issued_total", "grant=\"client_credentials\"");
        let text = m.render();
        assert!(text.contains("oneid_http_requests_total{route=\"/token\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.005\"} 2"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("oneid_tokens_issued_total{grant=\"client_credentials\"} 1"));
        assert_eq!(
            sane_id(&HeaderValue::from_static("abc-123")).as_deref(),
            Some("abc-123")
        );
        assert_eq!(sane_id(&HeaderValue::from_static("a b")), None);
    }
}
