//! This node's counters: requests by route and status with a latency histogram, and the
//! counters of sign-ins, step-ups, tokens and gateway errors beside them, rendered in the
//! Prometheus text format. The web surfaces count into it; `/metrics` serves it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

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
    pub fn observe(&mut self, secs: f64) {
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

    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
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
    pub fn request_id(&self) -> String {
        let node = self.node.get_or_init(|| crate::crypto::random_token(6));
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
