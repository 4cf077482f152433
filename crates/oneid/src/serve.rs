//! Serving HTTP (the TLS certificate itself: `tls`): one accept loop for plain HTTP and for TLS (rustls, TLS 1.2 and 1.3, HTTP/1.1
//! and HTTP/2 by ALPN), with limits for slow, silent or greedy clients (first-byte, request
//! head, idle and body timeouts, header size, TLS handshake timeout, a cap on open connections
//! that closes the longest-idle one to make room) and a graceful drain on shutdown. The TLS
//! certificate is re-read on SIGHUP and when its files change; connections already open keep
//! theirs.
//!
//! Each connection has a watchdog. Before its first byte it has `first_byte`; once bytes come
//! with no request in flight (a request head, or a TLS handshake, on its way; on HTTP/2 any
//! frame between requests) a request must begin within `header`; with nothing in flight and
//! nothing read or written for `idle`, it is closed. While a request is in flight the watchdog
//! waits: its body is read under `body` (no byte for that long: `408`), and hyper's own request
//! head timeout is off (it would also cut idle keep-alive connections, and it does not cover a
//! connection that never sends a byte, which the HTTP/1-or-2 detection waits on forever).

use crate::tls::{load_tls, watch_tls, TlsFiles};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::future::Future as _;
use std::net::SocketAddr;

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

/// Answers some requests before the router (method and path in; `None` passes the request
/// on): for the documents relying parties poll most, see
/// `idp_web::document_fast_path`.
pub type FastPath =
    Arc<dyn Fn(&axum::http::Method, &str) -> Option<axum::response::Response> + Send + Sync>;

/// What a listener allows its connections: timeouts for silent, slow and idle clients, and a
/// cap on how many are open.
#[derive(Clone)]
pub struct ConnLimits {
    /// A new connection must send its first byte within this.
    pub first_byte: Duration,
    /// A request head must arrive whole within this of its first byte (the TLS handshake
    /// included).
    pub header: Duration,
    /// A connection with no request in flight is closed after this without a byte either way.
    pub idle: Duration,
    /// A request body that goes this long without a byte: `408`, and the connection closes.
    pub body: Duration,
    /// Most open connections. At the cap, the connection idle the longest makes room for a new
    /// one; when every connection has a request in flight, the new one is closed at once.
    pub max_connections: usize,
    /// Told the reason of each connection the server closes (`first_byte`, `header`, `idle`,
    /// `body`, `evicted`, `refused`).
    pub on_close: Option<Arc<dyn Fn(&'static str) + Send + Sync>>,
}

/// Where a client certificate (mutual TLS, RFC 8705) may come from besides this listener's own
/// TLS handshake: a header set by a TLS-terminating proxy, believed only from the proxies
/// trusted to set it.
#[derive(Clone, Default)]
pub struct ClientCertSource {
    /// The proxy's header (URL-encoded PEM); `None`: no proxy forwards certificates.
    pub proxy_header: Option<axum::http::HeaderName>,
    /// The proxies whose header is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            first_byte: Duration::from_secs(10),
            header: Duration::from_secs(15),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(15),
            max_connections: 10_000,
            on_close: None,
        }
    }
}

impl ConnLimits {
    fn closed(&self, reason: &'static str) {
        tracing::debug!(reason, "connection closed");
        if let Some(f) = &self.on_close {
            f(reason);
        }
    }
}

/// How many connections fit under the open-file limit of this process, keeping `reserve`
/// descriptors for everything else (database pool, Redis, files, the admin listener). `None`
/// when the limit cannot be read (only Linux's `/proc/self/limits` is read).
pub fn connections_allowed_by_open_file_limit(reserve: usize) -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return None;
    }
    let soft: usize = soft.parse().ok()?;
    Some(soft.saturating_sub(reserve))
}

mod conn;
use conn::*;

/// Serves one connection (after its TLS handshake, if any) until it ends, its watchdog
/// closes it, or a drain asks it to finish.
async fn drive<I>(
    io: I,
    builder: Arc<Builder<TokioExecutor>>,
    svc: ConnService,
    watcher: hyper_util::server::graceful::Watcher,
    conn: &Conn,
    registry: &Registry,
    lim: &ConnLimits,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let serving = builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
    let serving = watcher.watch(serving.into_owned());
    tokio::select! {
        _ = serving => {}
        reason = watchdog(conn, registry, lim) => lim.closed(reason),
    }
}

/// Serves `router` on `listener` until `stop` turns true, then drains open connections (at
/// most 30 s). With `tls`, every connection is TLS and every response carries its HSTS
/// header. `fast`, if any, sees each request first. `limits` closes silent, slow and idle
/// connections and caps how many are open.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    fast: Option<FastPath>,
    tls: Option<TlsFiles>,
    certs: ClientCertSource,
    limits: ConnLimits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let hsts = tls.as_ref().and_then(TlsFiles::hsts);
    let acceptor = match &tls {
        Some(files) => {
            let cfg = load_tls(files).map_err(std::io::Error::other)?;
            let current = Arc::new(RwLock::new(cfg));
            watch_tls(files.clone(), current.clone());
            Some(current)
        }
        None => None,
    };
    let mut builder = Builder::new(TokioExecutor::new());
    // The request head's timeout is the watchdog's (hyper's would also cut idle keep-alive
    // connections, and does not cover a connection that never sends a byte).
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(32 * 1024)
        .max_concurrent_streams(200);
    let builder = Arc::new(builder);
    let limits = Arc::new(limits);
    let certs = Arc::new(certs);
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let registry = Arc::new(Registry {
        epoch: tokio::time::Instant::now(),
        conns: Mutex::new(HashMap::new()),
        next: AtomicU64::new(0),
        permits: Arc::new(Semaphore::new(max)),
    });
    let graceful = GracefulShutdown::new();
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors: free one held by an idle connection, and pause
                    // rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    if is_out_of_descriptors(&e) {
                        registry.evict_one();
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let permit = match registry.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                // At the cap: the connection idle the longest gives way (it closes at once);
                // when none is idle, this one is turned away.
                let mut freed = None;
                for _ in 0..3 {
                    if !registry.evict_one() {
                        break;
                    }
                    let place = registry.permits.clone().acquire_owned();
                    freed = tokio::time::timeout(Duration::from_millis(200), place)
                        .await
                        .ok()
                        .and_then(Result::ok);
                    if freed.is_some() {
                        break;
                    }
                }
                match freed {
                    Some(p) => p,
                    None => {
                        limits.closed("refused");
                        drop(tcp);
                        continue;
                    }
                }
            }
        };
        let (id, conn) = registry.add();
        let place = Place {
            registry: registry.clone(),
            id,
            _permit: permit,
        };
        let _ = tcp.set_nodelay(true);
        let tcp = Tracked {
            io: tcp,
            conn: conn.clone(),
            registry: registry.clone(),
        };
        let mut svc = ConnService {
            cert: None,
            certs: certs.clone(),
            router: router.clone(),
            fast: fast.clone(),
            hsts: hsts.clone(),
            peer,
            conn: conn.clone(),
            registry: registry.clone(),
            limits: limits.clone(),
        };
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let (registry, limits) = (registry.clone(), limits.clone());
        let acceptor = acceptor
            .as_ref()
            .map(|a| a.read().unwrap_or_else(|e| e.into_inner()).clone());
        tokio::spawn(async move {
            match acceptor {
                None => drive(tcp, builder, svc, watcher, &conn, &registry, &limits).await,
                Some(cfg) => {
                    let accept = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp);
                    let handshake = tokio::time::timeout(Duration::from_secs(10), accept);
                    let tls = tokio::select! {
                        r = handshake => match r {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, %peer, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        },
                        reason = watchdog(&conn, &registry, &limits) => {
                            limits.closed(reason);
                            return;
                        }
                    };
                    // The client's certificate, when it sent one, goes with each request.
                    svc.cert = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(crate::tls::certificate_header);
                    drive(tls, builder, svc, watcher, &conn, &registry, &limits).await;
                }
            }
            // The socket is closed before its place is given back.
            drop(place);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("connections still open after 30 s; stopping anyway");
        }
    }
    Ok(())
}

/// EMFILE / ENFILE: the process or the system is out of file descriptors.
fn is_out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// The router as a hyper service for one connection, with the peer's address for the
/// handlers (`ConnectInfo`), after the fast path; `hsts` goes on every response. Each request
/// counts as in flight on `conn` until answered, and its body is read under the body timeout.
#[derive(Clone)]
struct ConnService {
    /// The certificate the client sent in this connection's TLS handshake, as the
    /// [`web::http::CLIENT_CERTIFICATE`] header.
    cert: Option<axum::http::HeaderValue>,
    certs: Arc<ClientCertSource>,
    router: Router,
    fast: Option<FastPath>,
    hsts: Option<axum::http::HeaderValue>,
    peer: SocketAddr,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    limits: Arc<ConnLimits>,
}

type Answer = Result<axum::response::Response, std::convert::Infallible>;

impl hyper::service::Service<axum::http::Request<hyper::body::Incoming>> for ConnService {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn std::future::Future<Output = Answer> + Send>>;

    fn call(&self, req: axum::http::Request<hyper::body::Incoming>) -> Self::Future {
        let in_flight = InFlight::start(self.conn.clone(), self.registry.clone());
        let answered = self
            .fast
            .as_ref()
            .and_then(|f| f(req.method(), req.uri().path()));
        let router = self.router.clone();
        let hsts = self.hsts.clone();
        let limits = self.limits.clone();
        let peer = self.peer;
        let (cert, certs) = (self.cert.clone(), self.certs.clone());
        Box::pin(async move {
            let _in_flight = in_flight;
            let mut r = match answered {
                Some(r) => r,
                None => {
                    let version = req.version();
                    let expired = Arc::new(AtomicBool::new(false));
                    let limit = limits.body;
                    let flag = expired.clone();
                    let mut req = req.map(|inner| {
                        axum::body::Body::new(TimedBody {
                            inner,
                            limit,
                            timer: None,
                            expired: flag,
                        })
                    });
                    req.extensions_mut().insert(ConnectInfo(peer));
                    client_certificate(&mut req, cert, &certs, peer);
                    let r = router.oneshot(req).await?;
                    if expired.load(Ordering::Relaxed) {
                        limits.closed("body");
                        body_timed_out(version)
                    } else {
                        r
                    }
                }
            };
            if let Some(h) = hsts {
                r.headers_mut()
                    .insert(axum::http::header::STRICT_TRANSPORT_SECURITY, h);
            }
            Ok(r)
        })
    }
}

/// Puts the client's certificate in the request as [`web::http::CLIENT_CERTIFICATE`], the
/// only place the application reads it from: the one from this connection's handshake, else
/// the one a trusted proxy forwarded. A header of that name sent by anyone else is dropped.
fn client_certificate<B>(
    req: &mut axum::http::Request<B>,
    handshake: Option<axum::http::HeaderValue>,
    certs: &ClientCertSource,
    peer: SocketAddr,
) {
    let headers = req.headers_mut();
    headers.remove(web::http::CLIENT_CERTIFICATE);
    let from_proxy = certs.proxy_header.is_some() && certs.trusted_proxies.contains(&peer.ip());
    let forwarded = certs.proxy_header.as_ref().and_then(|h| {
        // Once, or not at all: a second value could be the client's own.
        let once = headers.get_all(h).iter().count() == 1;
        let v = headers.remove(h);
        v.filter(|_| once)
    });
    let forwarded = forwarded
        .filter(|_| from_proxy)
        .and_then(|v| v.to_str().ok().and_then(crate::tls::proxy_certificate));
    // From a trusted proxy, the certificate is the one it forwards (its own, if it connects
    // with one, is not the client's).
    let cert = if from_proxy { forwarded } else { handshake };
    if let Some(v) = cert {
        headers.insert(web::http::CLIENT_CERTIFICATE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnLimits {
        ConnLimits {
            first_byte: Duration::from_secs(1),
            header: Duration::from_secs(2),
            idle: Duration::from_secs(3),
            body: Duration::from_secs(4),
            ..ConnLimits::default()
        }
    }

    fn registry(max: usize) -> Arc<Registry> {
        Arc::new(Registry {
            epoch: tokio::time::Instant::now(),
            conns: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            permits: Arc::new(Semaphore::new(max)),
        })
    }

    #[tokio::test]
    async fn a_connection_is_due_by_the_rule_of_its_state() {
        let r = registry(4);
        let (_, c) = r.add();
        let at = c.accepted;
        assert_eq!(c.deadline(&limits()), Some((at + 1000, "first_byte")));
        c.on_read(at + 10);
        assert_eq!(c.deadline(&limits()), Some((at + 2010, "header")));
        let req = InFlight::start(c.clone(), r.clone());
        assert_eq!(
            c.deadline(&limits()),
            None,
            "a request in flight is not cut"
        );
        c.on_read(at + 20); // its body
        drop(req);
        let end = c.last_io.load(Ordering::Relaxed);
        assert_eq!(c.deadline(&limits()), Some((end + 3000, "idle")));
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_gives_way_and_busy_ones_never() {
        let r = registry(3);
        let (_, busy) = r.add();
        let _req = InFlight::start(busy.clone(), r.clone());
        let (_, old) = r.add();
        let (_, new) = r.add();
        old.last_io.store(1, Ordering::Relaxed);
        new.last_io.store(5, Ordering::Relaxed);
        assert!(r.evict_one());
        assert!(old.evicted.load(Ordering::Relaxed));
        assert!(r.evict_one());
        assert!(new.evicted.load(Ordering::Relaxed));
        assert!(!r.evict_one(), "only a request in flight is left");
        assert!(!busy.evicted.load(Ordering::Relaxed));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_open_file_limit_is_read() {
        let all = connections_allowed_by_open_file_limit(0);
        if let Some(n) = all {
            assert!(n > 0);
            assert_eq!(
                connections_allowed_by_open_file_limit(10),
                Some(n.saturating_sub(10))
            );
        }
    }
}
