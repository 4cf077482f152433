//! Observability: one middleware gives every request an id (`X-Request-Id`, kept from the
//! caller when it is sane, else random; in every log line of the request through a tracing
//! span), counts it by route and status with a latency histogram, and turns an internal error
//! into `503` when the database or the ephemeral store is what failed. Counters for logins,
//! step-ups, tokens and gateway errors are kept beside them; `/metrics` renders everything in
//! the Prometheus text format on the admin listener.

use crate::Provider;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

#[derive(Debug, Default, Clone)]
struct RouteStats {
    statuses: Vec<(u16, u64)>,
    latency: Histogram,
}

/// The counters of this node.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<std::collections::HashMap<String, RouteStats>>,
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    /// A random prefix of this node's request ids, then a counter: unique and cheap.
    node: std::sync::OnceLock<String>,
    seq: std::sync::atomic::AtomicU64,
    /// Discovery and JWKS, the documents relying parties poll most: counted with one atomic
    /// add each and kept out of the per-request middleware (it would cost them a fifth of
    /// their throughput). They are static and cannot fail on storage.
    documents: [std::sync::atomic::AtomicU64; 2],
}

/// The documents counted apart, in the order of `Metrics::documents`.
pub const DOCUMENTS: [&str; 2] = ["/.well-known/openid-configuration", "/jwks"];

/// What each counter means (its `# HELP`).
const HELP: &[(&str, &str)] = &[
    ("oneid_logins_total", "Password sign-ins by outcome."),
    (
        "oneid_stepups_total",
        "Step-up events by method and outcome.",
    ),
    ("oneid_tokens_issued_total", "Tokens issued by grant type."),
    (
        "oneid_gateway_errors_total",
        "Codes the SMS / voice gateway failed to deliver.",
    ),
    (
        "oneid_rate_limited_total",
        "Requests refused by a rate limit, by scope.",
    ),
    (
        "oneid_saml_assertions_total",
        "SAML assertions issued, by how the sign-in started.",
    ),
    (
        "oneid_connections_closed_total",
        "Connections the server closed, by reason: a timeout (first_byte, header, idle, body) \
         or the connection cap (evicted: idle, closed to make room; refused: none was idle).",
    ),
];

impl Metrics {
    /// Adds one to counter `name` with `labels` (Prometheus label text, e.g. `grant="x"`).
    pub fn inc(&self, name: &'static str, labels: impl Into<String>) {
        let mut m = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((name, labels.into())).or_default() += 1;
    }

    fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        let mut m = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let stats = match m.get_mut(route) {
            Some(s) => s,
            None => m.entry(route.to_owned()).or_default(),
        };
        match stats.statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => stats.statuses.push((status, 1)),
        }
        stats.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts one answer of document `i` (an index into `DOCUMENTS`).
    pub fn document(&self, i: usize) {
        if let Some(c) = self.documents.get(i) {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// A new request id.
    fn request_id(&self) -> String {
        let node = self.node.get_or_init(|| platform::crypto::random_token(6));
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{node}-{n:x}")
    }

    /// The Prometheus text of these counters.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP oneid_http_requests_total Requests by route and status.\n\
             # TYPE oneid_http_requests_total counter\n",
        );
        let routes: BTreeMap<String, RouteStats> = self
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (route, stats) in &routes {
            let mut statuses = stats.statuses.clone();
            statuses.sort_unstable();
            for (status, n) in statuses {
                out.push_str(&format!(
                    "oneid_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        for (i, route) in DOCUMENTS.iter().enumerate() {
            let n = self.documents[i].load(std::sync::atomic::Ordering::Relaxed);
            out.push_str(&format!(
                "oneid_http_requests_total{{route=\"{route}\",status=\"200\"}} {n}\n"
            ));
        }
        out.push_str(
            "# HELP oneid_http_request_duration_seconds Time to answer, by route.\n\
             # TYPE oneid_http_request_duration_seconds histogram\n",
        );
        for (route, h) in routes.iter().map(|(r, s)| (r, &s.latency)) {
            for (i, b) in BUCKETS.iter().enumerate() {
                out.push_str(&format!(
                    "oneid_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}\n",
                    h.counts[i]
                ));
            }
            out.push_str(&format!(
                "oneid_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 oneid_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 oneid_http_request_duration_seconds_count{{route=\"{route}\"}} {}\n",
                h.count, h.sum, h.count
            ));
        }
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for (name, help) in HELP {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for ((n, labels), v) in counters.iter().filter(|((n, _), _)| n == name) {
                out.push_str(&format!("{n}{{{labels}}} {v}\n"));
            }
        }
        out
    }
}

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
    let mut resp = next.run(req).instrument(span).await;
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

/// GET /metrics (Prometheus text format), on the admin listener.
pub async fn render(State(p): State<Arc<Provider>>) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_ids_are_checked() {
        let m = Metrics::default();
        m.observe("/token", 200, Duration::from_millis(3));
        m.observe("/token", 200, Duration::from_millis(30));
        m.observe("/token", 400, Duration::from_millis(1));
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
