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

mod redis_store;
pub use redis_store::RedisStore;

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
