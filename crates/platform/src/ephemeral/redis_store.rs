//! The ephemeral store on Redis (or Valkey), for more than one node: every operation is one
//! command or one Lua script, so take, claim and count stay atomic across nodes; values carry
//! their expiry like the in-process store's, and a lost connection is reconnected in the
//! background while calls fail fast as `Unavailable`.

use super::*;

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
