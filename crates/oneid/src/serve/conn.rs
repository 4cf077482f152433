//! One open connection as the accept loop sees it: its clocks and counters (`Conn`), the
//! registry of open connections that makes room at the cap by closing the longest-idle one,
//! the byte-counting wrapper around its stream (`Tracked`), the watchdog that closes silent,
//! slow and idle connections, and the request body read under a timeout (`TimedBody`).

use super::*;

/// One open connection, as its watchdog and the cap see it. Times are milliseconds since the
/// registry's epoch.
pub(super) struct Conn {
    pub(super) accepted: u64,
    /// Last byte read or written, or a request's end.
    pub(super) last_io: AtomicU64,
    pub(super) read_any: AtomicBool,
    /// When bytes arrived with no request in flight (a request head on its way); 0: none.
    pub(super) head_since: AtomicU64,
    pub(super) in_flight: AtomicUsize,
    /// Chosen to make room at the cap.
    pub(super) evicted: AtomicBool,
    pub(super) evict: Notify,
}

impl Conn {
    pub(super) fn on_read(&self, now: u64) {
        self.last_io.store(now, Ordering::Relaxed);
        if !self.read_any.load(Ordering::Relaxed) {
            self.read_any.store(true, Ordering::Relaxed);
        }
        // Bytes with no request in flight: a request head on its way. The watchdog is not
        // woken (that would cost every request a wake-up): it looks again within the head
        // timeout of its last look whatever happens, so it is never late for this deadline.
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_since.load(Ordering::Relaxed) == 0
        {
            let _ = self
                .head_since
                .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// When this connection is due to be closed, and why; `None` while a request is in flight.
    pub(super) fn deadline(&self, lim: &ConnLimits) -> Option<(u64, &'static str)> {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        if !self.read_any.load(Ordering::Relaxed) {
            return Some((
                self.accepted.saturating_add(ms(lim.first_byte)),
                "first_byte",
            ));
        }
        let head = self.head_since.load(Ordering::Relaxed);
        if head != 0 {
            return Some((head.saturating_add(ms(lim.header)), "header"));
        }
        Some((
            self.last_io
                .load(Ordering::Relaxed)
                .saturating_add(ms(lim.idle)),
            "idle",
        ))
    }
}

/// The open connections of one listener.
pub(super) struct Registry {
    pub(super) epoch: tokio::time::Instant,
    pub(super) conns: Mutex<HashMap<u64, Arc<Conn>>>,
    pub(super) next: AtomicU64,
    pub(super) permits: Arc<Semaphore>,
}

impl Registry {
    pub(super) fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }

    pub(super) fn add(&self) -> (u64, Arc<Conn>) {
        let now = self.now();
        let conn = Arc::new(Conn {
            accepted: now,
            last_io: AtomicU64::new(now),
            read_any: AtomicBool::new(false),
            head_since: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, conn.clone());
        (id, conn)
    }

    pub(super) fn remove(&self, id: u64) {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Asks the connection idle the longest (no request in flight, not already chosen) to
    /// close. False when every connection has a request in flight.
    pub(super) fn evict_one(&self) -> bool {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let victim = conns
            .values()
            .filter(|c| {
                c.in_flight.load(Ordering::Relaxed) == 0 && !c.evicted.load(Ordering::Relaxed)
            })
            .min_by_key(|c| c.last_io.load(Ordering::Relaxed));
        match victim {
            Some(c) => {
                c.evicted.store(true, Ordering::Relaxed);
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Takes a place on the listener (and a registry entry) for as long as it lives.
pub(super) struct Place {
    pub(super) registry: Arc<Registry>,
    pub(super) id: u64,
    pub(super) _permit: OwnedSemaphorePermit,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.registry.remove(self.id);
    }
}

/// Counts a request in flight on its connection until dropped.
pub(super) struct InFlight {
    pub(super) conn: Arc<Conn>,
    pub(super) registry: Arc<Registry>,
}

impl InFlight {
    pub(super) fn start(conn: Arc<Conn>, registry: Arc<Registry>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::Relaxed);
        conn.head_since.store(0, Ordering::Relaxed);
        Self { conn, registry }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.conn
            .last_io
            .store(self.registry.now(), Ordering::Relaxed);
        self.conn.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting each byte read or written on its connection.
pub(super) struct Tracked<I> {
    pub(super) io: I,
    pub(super) conn: Arc<Conn>,
    pub(super) registry: Arc<Registry>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.on_read(this.registry.now());
        }
        r
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.conn
                .last_io
                .store(this.registry.now(), Ordering::Relaxed);
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.conn
                .last_io
                .store(this.registry.now(), Ordering::Relaxed);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Resolves, with its reason, when the connection is due to be closed: silent too long before
/// its first byte, a request head too slow, idle too long, or chosen to make room at the cap.
pub(super) async fn watchdog(conn: &Conn, registry: &Registry, lim: &ConnLimits) -> &'static str {
    // Nothing wakes the watchdog when a request begins or ends, or when a request head starts
    // to arrive: it looks again at the deadline of the state it saw, and at the latest one
    // head or idle timeout (the shorter) later. A head that began, or a request that ended,
    // after that look is due at least that long after it, so the look comes in time.
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1);
    let head = ms(lim.header).min(ms(lim.idle));
    loop {
        let now = registry.now();
        let wait = match conn.deadline(lim) {
            Some((at, reason)) if at <= now => return reason,
            Some((at, _)) => (at - now).min(head),
            None => head,
        };
        tokio::select! {
            _ = conn.evict.notified() => {
                // A request that began since it was chosen keeps its connection.
                if conn.in_flight.load(Ordering::Relaxed) == 0 {
                    return "evicted";
                }
                conn.evicted.store(false, Ordering::Relaxed);
            }
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
        }
    }
}

/// A request body that fails when no byte comes for `limit` while it is being read (the
/// handler waiting on it); a body that keeps coming, however slowly, is not cut.
pub(super) struct TimedBody {
    pub(super) inner: hyper::body::Incoming,
    pub(super) limit: Duration,
    pub(super) timer: Option<Pin<Box<tokio::time::Sleep>>>,
    pub(super) expired: Arc<AtomicBool>,
}

impl hyper::body::Body for TimedBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if this.expired.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = this.limit;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if timer.as_mut().poll(cx).is_ready() {
                    this.timer = None;
                    this.expired.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err("request body timed out".into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The answer to a request whose body stopped coming: `408`, and (HTTP/1) the connection
/// closes after it.
pub(super) fn body_timed_out(version: axum::http::Version) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    let mut r = axum::response::Response::new(axum::body::Body::from(
        "Request timeout: the request body stopped arriving.\n\
         Délai dépassé : le corps de la requête a cessé d'arriver.\n",
    ));
    *r.status_mut() = StatusCode::REQUEST_TIMEOUT;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if version < axum::http::Version::HTTP_2 {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}
