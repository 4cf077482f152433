//! The ephemeral store: short-lived items with expiry (SSO sessions, authorization codes,
//! pending logins, replay caches). In-process for the embedded default, Redis for several
//! nodes. Single-use items are taken atomically (`GETDEL` on Redis, one lock in-process), so
//! two nodes can never redeem one code twice.
//!
//! Every value carries its expiry time from the injected clock, checked on read, so tests can
//! move time on both implementations; Redis's own TTL only reclaims memory.

use crate::clock::SharedClock;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Ephemeral store errors.
#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// The backing service (Redis) failed or is unreachable.
    #[error("ephemeral store unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be decoded.
    #[error("ephemeral value corrupt")]
    Corrupt,
}

/// Short-lived key/value storage with expiry.
#[async_trait]
pub trait EphemeralStore: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `key` for `ttl_secs`.
    async fn put(&self, key: &str, value: &[u8], ttl_secs: i64) -> Result<(), EphemeralError>;
    /// Stores only if no live value is there; true when stored.
    async fn put_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl_secs: i64,
    ) -> Result<bool, EphemeralError>;
    /// Reads a live value.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError>;
    /// Reads and removes a live value atomically; at most one caller gets it.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError>;
    /// Removes a value.
    async fn delete(&self, key: &str) -> Result<(), EphemeralError>;
    /// Counts one event under `key` in the current fixed window of `window_secs` (windows are
    /// cut by the injected clock) and returns the count so far in this window (rate limits).
    async fn hit(&self, key: &str, window_secs: i64) -> Result<i64, EphemeralError>;
    /// Adds one to the counter under `key` atomically (across nodes with Redis) and returns
    /// the new count; the counter starts at 1 and lives `ttl_secs` from its first increment.
    /// For attempts that must be taken before the guess is checked: a burst of parallel
    /// callers each gets a different number.
    async fn incr(&self, key: &str, ttl_secs: i64) -> Result<i64, EphemeralError>;
    /// How many live values have keys starting with `prefix` (for metrics; not for hot paths).
    async fn count_prefix(&self, prefix: &str) -> Result<u64, EphemeralError>;
    /// Checks the store answers (readiness).
    async fn ping(&self) -> Result<(), EphemeralError>;
    /// Announces a change on `channel` to every subscriber (every node, with Redis).
    async fn publish(&self, channel: &str) -> Result<(), EphemeralError>;
    /// Receives the announcements on `channel`. With Redis the subscription reconnects by
    /// itself; a lagging receiver just sees fewer, merged announcements.
    async fn subscribe(&self, channel: &str) -> Result<broadcast::Receiver<()>, EphemeralError>;
}

/// The in-process side of a channel: one broadcast sender per name.
#[derive(Debug, Default)]
struct Channels(Mutex<HashMap<String, broadcast::Sender<()>>>);

impl Channels {
    fn sender(&self, name: &str) -> broadcast::Sender<()> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(name.to_owned())
            .or_insert_with(|| broadcast::channel(16).0)
            .clone()
    }
}

fn seal(expires_at: i64, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + value.len());
    v.extend_from_slice(&expires_at.to_be_bytes());
    v.extend_from_slice(value);
    v
}

/// The value sealed in `raw`, unless it expired by `now`: borrowed, so a look at an entry
/// (the sweep's, a counter's) copies nothing.
fn live(now: i64, raw: &[u8]) -> Result<Option<&[u8]>, EphemeralError> {
    let (exp, value) = raw
        .split_first_chunk::<8>()
        .ok_or(EphemeralError::Corrupt)?;
    Ok((i64::from_be_bytes(*exp) > now).then_some(value))
}

/// [`live`] for an entry taken out of the map: the value keeps its allocation.
fn open(now: i64, mut raw: Vec<u8>) -> Result<Option<Vec<u8>>, EphemeralError> {
    if live(now, &raw)?.is_none() {
        return Ok(None);
    }
    raw.drain(..8);
    Ok(Some(raw))
}

/// The key of `key`'s counter in the window holding `now`, and when that window ends.
fn window_key(key: &str, now: i64, window_secs: i64) -> (String, i64) {
    let w = window_secs.max(1);
    let n = now.div_euclid(w);
    (format!("hit:{key}@{n}"), (n + 1) * w)
}

/// Stores a value as JSON.
pub async fn put_json<T: Serialize + Sync>(
    store: &dyn EphemeralStore,
    key: &str,
    value: &T,
    ttl_secs: i64,
) -> Result<(), EphemeralError> {
    let bytes = serde_json::to_vec(value).map_err(|_| EphemeralError::Corrupt)?;
    store.put(key, &bytes, ttl_secs).await
}

/// Reads a JSON value.
pub async fn get_json<T: DeserializeOwned>(
    store: &dyn EphemeralStore,
    key: &str,
) -> Result<Option<T>, EphemeralError> {
    match store.get(key).await? {
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|_| EphemeralError::Corrupt),
        None => Ok(None),
    }
}

/// Takes (reads and removes) a JSON value atomically.
pub async fn take_json<T: DeserializeOwned>(
    store: &dyn EphemeralStore,
    key: &str,
) -> Result<Option<T>, EphemeralError> {
    match store.take(key).await? {
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|_| EphemeralError::Corrupt),
        None => Ok(None),
    }
}

/// In-process store for a single node.
#[derive(Debug)]
pub struct MemoryStore {
    clock: SharedClock,
    map: Mutex<HashMap<String, Vec<u8>>>,
    channels: Channels,
}

impl MemoryStore {
    /// An empty store.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            map: Mutex::new(HashMap::new()),
            channels: Channels::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops expired entries; called now and then so memory does not grow without bound.
    fn sweep(&self, map: &mut HashMap<String, Vec<u8>>) {
        let now = self.clock.now();
        if map.len() > 4096 && map.len().is_power_of_two() {
            map.retain(|_, v| matches!(live(now, v), Ok(Some(_))));
        }
    }
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl_secs: i64) -> Result<(), EphemeralError> {
        let exp = self.clock.now() + ttl_secs;
        let mut map = self.lock();
        map.insert(key.to_owned(), seal(exp, value));
        self.sweep(&mut map);
        Ok(())
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl_secs: i64,
    ) -> Result<bool, EphemeralError> {
        let now = self.clock.now();
        let mut map = self.lock();
        if let Some(v) = map.get(key) {
            if live(now, v)?.is_some() {
                return Ok(false);
            }
        }
        map.insert(key.to_owned(), seal(now + ttl_secs, value));
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError> {
        let now = self.clock.now();
        match self.lock().get(key) {
            Some(v) => Ok(live(now, v)?.map(<[u8]>::to_vec)),
            None => Ok(None),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError> {
        let raw = self.lock().remove(key);
        match raw {
            Some(v) => open(self.clock.now(), v),
            None => Ok(None),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), EphemeralError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn hit(&self, key: &str, window_secs: i64) -> Result<i64, EphemeralError> {
        let now = self.clock.now();
        let (k, ends) = window_key(key, now, window_secs);
        let mut map = self.lock();
        let count = match map.get(&k).map(|v| live(now, v)) {
            Some(Ok(Some(v))) => {
                let mut b = [0u8; 8];
                if v.len() == 8 {
                    b.copy_from_slice(v);
                }
                i64::from_be_bytes(b) + 1
            }
            _ => 1,
        };
        map.insert(k, seal(ends, &count.to_be_bytes()));
        self.sweep(&mut map);
        Ok(count)
    }

    async fn incr(&self, key: &str, ttl_secs: i64) -> Result<i64, EphemeralError> {
        let now = self.clock.now();
        let key = format!("incr:{key}");
        let mut map = self.lock();
        let (count, exp) = match map.get(&key) {
            Some(raw) => match live(now, raw)? {
                Some(v) => {
                    let b: [u8; 8] = v.try_into().map_err(|_| EphemeralError::Corrupt)?;
                    let exp = raw
                        .first_chunk::<8>()
                        .map_or(now + ttl_secs, |e| i64::from_be_bytes(*e));
                    (i64::from_be_bytes(b) + 1, exp)
                }
                None => (1, now + ttl_secs),
            },
            None => (1, now + ttl_secs),
        };
        map.insert(key, seal(exp, &count.to_be_bytes()));
        self.sweep(&mut map);
        Ok(count)
    }

    async fn count_prefix(&self, prefix: &str) -> Result<u64, EphemeralError> {
        let now = self.clock.now();
        let map = self.lock();
        Ok(map
            .iter()
            .filter(|(k, v)| k.starts_with(prefix) && matches!(live(now, v), Ok(Some(_))))
            .count() as u64)
    }

    async fn ping(&self) -> Result<(), EphemeralError> {
        Ok(())
    }

    async fn publish(&self, channel: &str) -> Result<(), EphemeralError> {
        let _ = self.channels.sender(channel).send(());
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<broadcast::Receiver<()>, EphemeralError> {
        Ok(self.channels.sender(channel).subscribe())
    }
}

/// Redis-backed store shared by every node.
pub struct RedisStore {
    clock: SharedClock,
    client: redis::Client,
    conn: std::sync::RwLock<redis::aio::ConnectionManager>,
    resetting: std::sync::atomic::AtomicBool,
    prefix: String,
    channels: Channels,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn unavailable(e: redis::RedisError) -> EphemeralError {
    EphemeralError::Unavailable(e.to_string())
}

/// Every Redis command answers within this time or counts as unavailable, whatever the
/// client library's reconnection is doing (fail fast: the request answers 503).
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn manager_config() -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(std::time::Duration::from_secs(2))
        .set_response_timeout(std::time::Duration::from_secs(2))
        .set_number_of_retries(2)
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`); every key is prefixed with `prefix`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        clock: SharedClock,
    ) -> Result<Self, EphemeralError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        // Fail fast when Redis is away (the request answers 503), and reconnect by itself.
        let conn = redis::aio::ConnectionManager::new_with_config(client.clone(), manager_config())
            .await
            .map_err(unavailable)?;
        Ok(Self {
            clock,
            client,
            conn: std::sync::RwLock::new(conn),
            resetting: std::sync::atomic::AtomicBool::new(false),
            prefix: prefix.to_owned(),
            channels: Channels::default(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn c(&self) -> redis::aio::ConnectionManager {
        self.conn.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs one command within `COMMAND_TIMEOUT`; after a connection failure, builds a fresh
    /// connection so that service resumes as soon as Redis is back, whatever state the old
    /// one's reconnection is in.
    async fn timed<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, redis::RedisError>>,
    ) -> Result<T, redis::RedisError> {
        let r = match tokio::time::timeout(COMMAND_TIMEOUT, f).await {
            Ok(r) => r,
            Err(_) => Err(redis::RedisError::from((
                redis::ErrorKind::IoError,
                "redis command timed out",
            ))),
        };
        if let Err(e) = &r {
            let broken = e.is_io_error()
                || e.is_timeout()
                || e.is_connection_dropped()
                || e.is_connection_refusal();
            use std::sync::atomic::Ordering;
            if broken && !self.resetting.swap(true, Ordering::SeqCst) {
                let fresh = tokio::time::timeout(
                    COMMAND_TIMEOUT,
                    redis::aio::ConnectionManager::new_with_config(
                        self.client.clone(),
                        manager_config(),
                    ),
                )
                .await;
                if let Ok(Ok(m)) = fresh {
                    *self.conn.write().unwrap_or_else(|e| e.into_inner()) = m;
                }
                self.resetting.store(false, Ordering::SeqCst);
            }
        }
        r
    }
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &[u8], ttl_secs: i64) -> Result<(), EphemeralError> {
        let exp = self.clock.now() + ttl_secs;
        let mut c = self.c();
        self.timed(
            redis::cmd("SET")
                .arg(self.key(key))
                .arg(seal(exp, value))
                .arg("EX")
                .arg(ttl_secs.max(1))
                .query_async::<()>(&mut c),
        )
        .await
        .map_err(unavailable)
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl_secs: i64,
    ) -> Result<bool, EphemeralError> {
        let exp = self.clock.now() + ttl_secs;
        let mut c = self.c();
        let r: Option<String> = self
            .timed(
                redis::cmd("SET")
                    .arg(self.key(key))
                    .arg(seal(exp, value))
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl_secs.max(1))
                    .query_async(&mut c),
            )
            .await
            .map_err(unavailable)?;
        Ok(r.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError> {
        let mut c = self.c();
        let r: Option<Vec<u8>> = self
            .timed(redis::cmd("GET").arg(self.key(key)).query_async(&mut c))
            .await
            .map_err(unavailable)?;
        match r {
            Some(v) => open(self.clock.now(), v),
            None => Ok(None),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, EphemeralError> {
        let mut c = self.c();
        let r: Option<Vec<u8>> = self
            .timed(redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut c))
            .await
            .map_err(unavailable)?;
        match r {
            Some(v) => open(self.clock.now(), v),
            None => Ok(None),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), EphemeralError> {
        let mut c = self.c();
        self.timed(
            redis::cmd("DEL")
                .arg(self.key(key))
                .query_async::<()>(&mut c),
        )
        .await
        .map_err(unavailable)
    }

    async fn hit(&self, key: &str, window_secs: i64) -> Result<i64, EphemeralError> {
        let (k, _) = window_key(key, self.clock.now(), window_secs);
        let mut c = self.c();
        // One round trip, atomic: the first hit of a window sets its expiry.
        self.timed(
            redis::Script::new(
                "local n = redis.call('INCR', KEYS[1]) \
             if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n",
            )
            .key(self.key(&k))
            .arg(window_secs.max(1) * 2)
            .invoke_async(&mut c),
        )
        .await
        .map_err(unavailable)
    }

    async fn incr(&self, key: &str, ttl_secs: i64) -> Result<i64, EphemeralError> {
        let mut c = self.c();
        // INCR and the first EXPIRE in one atomic step: every node sees one sequence.
        self.timed(
            redis::Script::new(
                "local n = redis.call('INCR', KEYS[1]) \
             if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n",
            )
            .key(self.key(&format!("incr:{key}")))
            .arg(ttl_secs.max(1))
            .invoke_async(&mut c),
        )
        .await
        .map_err(unavailable)
    }

    async fn count_prefix(&self, prefix: &str) -> Result<u64, EphemeralError> {
        // SCAN walks the keyspace in small steps without blocking Redis; expiry is Redis's own
        // here (the injected clock is not consulted: this is a gauge, not a decision).
        let mut c = self.c();
        let pattern = format!("{}{}*", self.key(""), prefix);
        let mut cursor: u64 = 0;
        let mut n: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .timed(
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut c),
                )
                .await
                .map_err(unavailable)?;
            n += keys.len() as u64;
            if next == 0 {
                return Ok(n);
            }
            cursor = next;
        }
    }

    async fn ping(&self) -> Result<(), EphemeralError> {
        let mut c = self.c();
        self.timed(redis::cmd("PING").query_async::<()>(&mut c))
            .await
            .map_err(unavailable)
    }

    async fn publish(&self, channel: &str) -> Result<(), EphemeralError> {
        let mut c = self.c();
        self.timed(
            redis::cmd("PUBLISH")
                .arg(self.key(channel))
                .arg("1")
                .query_async::<()>(&mut c),
        )
        .await
        .map_err(unavailable)
    }

    async fn subscribe(&self, channel: &str) -> Result<broadcast::Receiver<()>, EphemeralError> {
        let tx = self.channels.sender(channel);
        let rx = tx.subscribe();
        if tx.receiver_count() > 1 {
            return Ok(rx); // this channel's listener already runs
        }
        let client = self.client.clone();
        let name = self.key(channel);
        tokio::spawn(async move {
            use futures_util::StreamExt as _;
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut ps) => {
                        if ps.subscribe(&name).await.is_ok() {
                            // Anything may have changed while we were not listening.
                            let _ = tx.send(());
                            let mut stream = ps.on_message();
                            while stream.next().await.is_some() {
                                if tx.send(()).is_err() {
                                    return; // nobody listens any more
                                }
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "change-notice subscription failed"),
                }
                if tx.receiver_count() == 0 {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
        Ok(rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    #[tokio::test]
    async fn memory_store_expires_by_the_injected_clock() {
        let clock = Arc::new(ManualClock::new());
        let s = MemoryStore::new(clock.clone());
        s.put("k", b"v", 10).await.unwrap();
        assert_eq!(s.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
        clock.advance(10);
        assert_eq!(s.get("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn the_sweep_drops_expired_entries_and_keeps_live_ones() {
        let clock = Arc::new(ManualClock::new());
        let s = MemoryStore::new(clock.clone());
        // 4,096 short-lived entries, then as many long-lived ones once the first have
        // expired: the insert that makes 8,192 sweeps.
        for i in 0..4096 {
            s.put(&format!("code:{i}"), b"c", 60).await.unwrap();
        }
        clock.advance(60);
        for i in 0..4096 {
            s.put(&format!("sso:{i}"), b"session", 3600).await.unwrap();
        }
        assert_eq!(s.lock().len(), 4096, "the expired codes are gone");
        assert_eq!(s.count_prefix("sso:").await.unwrap(), 4096);
        assert_eq!(
            s.get("sso:4095").await.unwrap().as_deref(),
            Some(&b"session"[..])
        );
        assert_eq!(
            s.take("sso:0").await.unwrap().as_deref(),
            Some(&b"session"[..])
        );
        assert_eq!(s.get("code:0").await.unwrap(), None);
    }

    #[tokio::test]
    async fn hits_count_per_window_of_the_injected_clock() {
        let clock = Arc::new(ManualClock::new());
        let s = MemoryStore::new(clock.clone());
        clock.advance(60 - crate::clock::Clock::now(clock.as_ref()).rem_euclid(60)); // start of a window
        assert_eq!(s.hit("ip", 60).await.unwrap(), 1);
        assert_eq!(s.hit("ip", 60).await.unwrap(), 2);
        assert_eq!(s.hit("other", 60).await.unwrap(), 1);
        clock.advance(60);
        assert_eq!(s.hit("ip", 60).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn counters_give_each_caller_its_own_number_and_expire_on_the_clock() {
        let clock = Arc::new(ManualClock::new());
        let s = Arc::new(MemoryStore::new(clock.clone()));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.incr("tries", 60).await.unwrap() })
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (1..=64).collect::<Vec<i64>>());
        clock.advance(59);
        assert_eq!(
            s.incr("tries", 60).await.unwrap(),
            65,
            "the expiry is the first one's"
        );
        clock.advance(1);
        assert_eq!(s.incr("tries", 60).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn take_is_single_use() {
        let s = MemoryStore::new(Arc::new(ManualClock::new()));
        s.put("code", b"x", 60).await.unwrap();
        assert!(s.take("code").await.unwrap().is_some());
        assert!(s.take("code").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn put_if_absent_refuses_a_live_value_but_not_an_expired_one() {
        let clock = Arc::new(ManualClock::new());
        let s = MemoryStore::new(clock.clone());
        assert!(s.put_if_absent("j", b"1", 5).await.unwrap());
        assert!(!s.put_if_absent("j", b"2", 5).await.unwrap());
        clock.advance(6);
        assert!(s.put_if_absent("j", b"3", 5).await.unwrap());
    }
}
