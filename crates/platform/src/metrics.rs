//! This node's counters: requests by route and status with a latency histogram, and the
//! counters of sign-ins, step-ups, tokens and gateway errors beside them, rendered in the
//! Prometheus text format (0.0.4). The web surfaces count into it; `/metrics` serves it.
//!
//! The metric types, the registry and the exposition format are the `prometheus-client`
//! crate's; what is ours is the names, the help texts, the buckets, and a cache of the
//! handles already handed out, so that a request costs one short lock and no allocation as
//! before: a `Family` lookup needs an owned label set (a `String` per request, more for the
//! parsed pairs of a named counter) and measured 6 times slower for `inc`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The documents counted apart, in the order of `Metrics::documents`.
pub const DOCUMENTS: [&str; 2] = ["/.well-known/openid-configuration", "/jwks"];

/// The counters counted with [`Metrics::inc`] and what each means (its `# HELP`). Names as
/// exposed, `_total` included (the crate adds the suffix: it is cut before registering).
const COUNTERS: [(&str, &str); 9] = [
    ("oneid_logins_total", "Password sign-ins by outcome."),
    (
        "oneid_retention_deleted_total",
        "Rows the retention jobs removed, by what they were.",
    ),
    (
        "oneid_retention_runs_total",
        "Retention passes by outcome (done, failed, or skipped: another node held the lease).",
    ),
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// Labels of a named counter, in the order the caller wrote them.
type Labels = Vec<(String, String)>;

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The handles of one route: its latency histogram and its count per status.
#[derive(Debug)]
struct Route {
    latency: Histogram,
    statuses: Vec<(u16, Counter)>,
}

/// The counters of this node.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// One family per entry of `COUNTERS`, in its order.
    counters: Vec<Family<Labels, Counter>>,
    /// The handles already taken out of `requests` and `durations`, by route.
    routes: Mutex<HashMap<String, Route>>,
    /// The handles already taken out of `counters`, by name and label text.
    named: Mutex<BTreeMap<(&'static str, String), Counter>>,
    /// A random prefix of this node's request ids, then a counter: unique and cheap.
    node: std::sync::OnceLock<String>,
    seq: std::sync::atomic::AtomicU64,
    /// Discovery and JWKS, the documents relying parties poll most: counted with one atomic
    /// add each (their series' counters, held here) and kept out of the per-request middleware
    /// (it would cost them a fifth of their throughput). They are static and cannot fail on
    /// storage.
    documents: [Counter; 2],
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "oneid_http_requests",
            "Requests by route and status",
            requests.clone(),
        );
        let durations =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(histogram);
        registry.register(
            "oneid_http_request_duration_seconds",
            "Time to answer, by route",
            durations.clone(),
        );
        let counters = COUNTERS
            .iter()
            .map(|(name, help)| {
                let family = Family::<Labels, Counter>::default();
                registry.register(
                    name.trim_end_matches("_total"),
                    help.trim_end_matches('.'),
                    family.clone(),
                );
                family
            })
            .collect();
        let documents = DOCUMENTS.map(|route| {
            requests.get_or_create_owned(&RequestLabels {
                route: route.to_owned(),
                status: 200,
            })
        });
        Self {
            registry,
            requests,
            durations,
            counters,
            routes: Mutex::default(),
            named: Mutex::default(),
            node: std::sync::OnceLock::new(),
            seq: std::sync::atomic::AtomicU64::new(0),
            documents,
        }
    }
}

/// `k="v",k2="v2"` as pairs (the label text the callers write; `\"`, `\\` and `\n` unescaped,
/// the encoder escapes them again).
fn parse_labels(text: &str) -> Labels {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let Some(after) = after.trim_start().strip_prefix('"') else {
            break;
        };
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = i + 1;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => {}
                },
                c => value.push(c),
            }
        }
        out.push((key.trim().trim_start_matches(',').trim().to_owned(), value));
        rest = after[end..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
    }
    out
}

impl Metrics {
    /// Adds one to counter `name` (one of `COUNTERS`) with `labels` (Prometheus label text,
    /// e.g. `grant="x"`).
    pub fn inc(&self, name: &'static str, labels: impl Into<String>) {
        self.inc_by(name, labels, 1);
    }

    /// Adds `n` to counter `name` with `labels`.
    pub fn inc_by(&self, name: &'static str, labels: impl Into<String>, n: u64) {
        let key = (name, labels.into());
        let mut m = self.named.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = m.get(&key) {
            c.inc_by(n);
            return;
        }
        let Some(i) = COUNTERS.iter().position(|(n, _)| *n == name) else {
            debug_assert!(false, "counter {name} has no help text in COUNTERS");
            return;
        };
        let c = self.counters[i].get_or_create_owned(&parse_labels(&key.1));
        c.inc_by(n);
        m.insert(key, c);
    }

    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        let mut m = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let r = match m.get_mut(route) {
            Some(r) => r,
            None => m.entry(route.to_owned()).or_insert_with(|| Route {
                latency: self.durations.get_or_create_owned(&RouteLabels {
                    route: route.to_owned(),
                }),
                statuses: Vec::new(),
            }),
        };
        match r.statuses.iter().find(|(s, _)| *s == status) {
            Some((_, n)) => {
                n.inc();
            }
            None => {
                let n = self.requests.get_or_create_owned(&RequestLabels {
                    route: route.to_owned(),
                    status,
                });
                n.inc();
                r.statuses.push((status, n));
            }
        }
        r.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts one answer of document `i` (an index into `DOCUMENTS`).
    pub fn document(&self, i: usize) {
        if let Some(c) = self.documents.get(i) {
            c.inc();
        }
    }

    /// A new request id.
    pub fn request_id(&self) -> String {
        let node = self.node.get_or_init(|| crate::crypto::random_token(6));
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{node}-{n:x}")
    }

    /// The Prometheus text (format 0.0.4, [`CONTENT_TYPE`]) of these counters.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String does not fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_text_is_parsed() {
        assert_eq!(
            parse_labels(r#"a="x", b="y \"q\" \\ z""#),
            vec![
                ("a".to_owned(), "x".to_owned()),
                ("b".to_owned(), r#"y "q" \ z"#.to_owned())
            ]
        );
        assert!(parse_labels("").is_empty());
    }

    #[test]
    fn names_help_and_samples_come_out_as_before() {
        let m = Metrics::default();
        m.observe("/token", 200, Duration::from_millis(3));
        m.observe("/token", 200, Duration::from_millis(30));
        m.document(1);
        m.inc("oneid_connections_closed_total", "reason=\"idle\"");
        m.inc("oneid_connections_closed_total", "reason=\"idle\"");
        m.inc("oneid_logins_total", "outcome=\"success\"");
        let text = m.render();
        for line in [
            "# HELP oneid_http_requests_total Requests by route and status.\n",
            "# TYPE oneid_http_requests_total counter\n",
            "oneid_http_requests_total{route=\"/token\",status=\"200\"} 2\n",
            "oneid_http_requests_total{route=\"/jwks\",status=\"200\"} 1\n",
            "oneid_http_requests_total{route=\"/.well-known/openid-configuration\",status=\"200\"} 0\n",
            "# HELP oneid_http_request_duration_seconds Time to answer, by route.\n",
            "# TYPE oneid_http_request_duration_seconds histogram\n",
            "oneid_http_request_duration_seconds_bucket{route=\"/token\",le=\"0.0005\"} 0\n",
            "oneid_http_request_duration_seconds_bucket{route=\"/token\",le=\"0.005\"} 1\n",
            "oneid_http_request_duration_seconds_bucket{route=\"/token\",le=\"2.5\"} 2\n",
            "oneid_http_request_duration_seconds_bucket{route=\"/token\",le=\"+Inf\"} 2\n",
            "oneid_http_request_duration_seconds_count{route=\"/token\"} 2\n",
            "# HELP oneid_logins_total Password sign-ins by outcome.\n",
            "# TYPE oneid_logins_total counter\n",
            "oneid_connections_closed_total{reason=\"idle\"} 2\n",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        // A family with no series yet is left out, its help too.
        assert!(!text.contains("oneid_stepups_total"), "{text}");
        assert!(!text.contains("_total_total"), "{text}");
        assert!(!text.contains("# EOF"), "{text}");
        assert!(!text.contains(".."), "{text}");
    }
}
