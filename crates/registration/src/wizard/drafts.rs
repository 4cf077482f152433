//! Where an unfinished registration waits between steps: in the ephemeral store under a
//! digest of its random cookie, sealed with the secret box (it holds challenge answers until
//! the end), living `wizard_ttl_secs` from its last step and never past `wizard_max_secs`
//! after the hand-off; and the lock that lets one completion at a time run for it.

use super::{SignupConfig, Wizard};
use platform::{Clock, EphemeralError, EphemeralStore, SecretBox};

/// How long the completion lock holds when its holder never lets go, seconds.
const FINISHING_SECS: i64 = 60;

/// Who completes a wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finishing {
    /// This request: go on, and end the lock if the completion fails.
    Mine,
    /// Another request completed it meanwhile: show its outcome.
    Completed,
    /// Another request holds it still, or let go without completing: try again.
    Busy,
}

/// The wizards in progress.
#[derive(Debug, Clone, Copy)]
pub struct Drafts<'a> {
    store: &'a dyn EphemeralStore,
    sealer: &'a SecretBox,
    clock: &'a dyn Clock,
    cfg: &'a SignupConfig,
}

fn state_key(token: &str) -> String {
    format!("signup:{}", platform::crypto::sha256_b64(token.as_bytes()))
}

fn seal_context(token: &str) -> Vec<u8> {
    format!("signup:{token}").into_bytes()
}

fn lock_key(token: &str) -> String {
    format!("{}:finishing", state_key(token))
}

impl<'a> Drafts<'a> {
    /// The wizards kept in `store`, sealed with `sealer`, timed by `clock` and `cfg`.
    pub fn new(
        store: &'a dyn EphemeralStore,
        sealer: &'a SecretBox,
        clock: &'a dyn Clock,
        cfg: &'a SignupConfig,
    ) -> Self {
        Drafts {
            store,
            sealer,
            clock,
            cfg,
        }
    }

    /// How long `w` may still live (its state and its cookie), seconds.
    pub fn lifetime(&self, w: &Wizard) -> i64 {
        w.lifetime(self.cfg, self.clock.now())
    }

    /// The wizard of cookie `token`; none when unknown, unreadable, or past its absolute
    /// cap (its state then goes, whatever its idle timeout says).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn load(&self, token: &str) -> Result<Option<Wizard>, EphemeralError> {
        let Some(sealed) = self.store.get(&state_key(token)).await? else {
            return Ok(None);
        };
        let Ok(plain) = self.sealer.open(&sealed, &seal_context(token)) else {
            return Ok(None);
        };
        let Ok(w) = serde_json::from_slice::<Wizard>(&plain) else {
            return Ok(None);
        };
        if self.lifetime(&w) <= 0 {
            let _ = self.store.delete(&state_key(token)).await;
            return Ok(None);
        }
        Ok(Some(w))
    }

    /// Keeps `w` under cookie `token` for its lifetime (at least a second).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save(&self, token: &str, w: &Wizard) -> Result<(), EphemeralError> {
        let json = serde_json::to_vec(w).map_err(|_| EphemeralError::Corrupt)?;
        let sealed = self.sealer.seal(&json, &seal_context(token));
        self.store
            .put(&state_key(token), &sealed, self.lifetime(w).max(1))
            .await
    }

    /// Forgets the wizard of cookie `token`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn forget(&self, token: &str) -> Result<(), EphemeralError> {
        self.store.delete(&state_key(token)).await
    }

    /// Takes the completion lock of `token`'s wizard; false when another completion holds it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn begin_finishing(&self, token: &str) -> Result<bool, EphemeralError> {
        self.store
            .put_if_absent(&lock_key(token), b"1", FINISHING_SECS)
            .await
    }

    /// Takes the completion of `token`'s wizard, one at a time: when another completion (a
    /// double click) holds it, waits for that one, up to 10 s.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn begin_or_wait(&self, token: &str) -> Result<Finishing, EphemeralError> {
        if self.begin_finishing(token).await? {
            return Ok(Finishing::Mine);
        }
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if let Ok(Some(again)) = self.load(token).await {
                if again.done.is_some() {
                    return Ok(Finishing::Completed);
                }
            }
            if self.finishing_released(token).await {
                break;
            }
        }
        Ok(Finishing::Busy)
    }

    /// Whether the completion lock of `token`'s wizard is known to be free.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finishing_released(&self, token: &str) -> bool {
        matches!(self.store.get(&lock_key(token)).await, Ok(None))
    }

    /// Lets go of the completion lock (after a completion that failed).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_finishing(&self, token: &str) -> Result<(), EphemeralError> {
        self.store.delete(&lock_key(token)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::{ManualClock, MemoryStore, SharedClock};
    use std::sync::Arc;

    struct Env {
        clock: Arc<ManualClock>,
        store: MemoryStore,
        sealer: SecretBox,
        cfg: SignupConfig,
    }

    fn env() -> Env {
        let clock = Arc::new(ManualClock::new());
        let shared: SharedClock = clock.clone();
        Env {
            store: MemoryStore::new(shared),
            clock,
            sealer: SecretBox::from_key([7; 32]),
            cfg: SignupConfig::default(),
        }
    }

    impl Env {
        fn drafts(&self) -> Drafts<'_> {
            Drafts::new(&self.store, &self.sealer, self.clock.as_ref(), &self.cfg)
        }
    }

    fn wizard(started_at: i64) -> Wizard {
        Wizard {
            started_at,
            given: "Ada".into(),
            online: vec![("first-pet".into(), "Rex".into())],
            ..Wizard::default()
        }
    }

    #[tokio::test]
    async fn a_saved_wizard_loads_under_its_token_only_and_is_sealed() {
        let e = env();
        let d = e.drafts();
        d.save("tok", &wizard(e.clock.now())).await.unwrap();
        let w = d.load("tok").await.unwrap().unwrap();
        assert_eq!(w.given, "Ada");
        assert!(d.load("other").await.unwrap().is_none());
        let raw = e.store.get(&state_key("tok")).await.unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("Rex"));
        d.forget("tok").await.unwrap();
        assert!(d.load("tok").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_wizard_idle_past_its_timeout_is_gone() {
        let e = env();
        let d = e.drafts();
        d.save("tok", &wizard(e.clock.now())).await.unwrap();
        e.clock.advance(e.cfg.wizard_ttl_secs + 1);
        assert!(d.load("tok").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn steps_do_not_stretch_a_wizard_past_its_cap() {
        let e = env();
        let d = e.drafts();
        let w = wizard(e.clock.now());
        let mut t = 0;
        while t + 600 < e.cfg.wizard_max_secs {
            d.save("tok", &w).await.unwrap();
            e.clock.advance(600);
            t += 600;
            assert!(d.load("tok").await.unwrap().is_some(), "alive at {t}");
        }
        d.save("tok", &w).await.unwrap();
        e.clock.advance(e.cfg.wizard_max_secs - t);
        assert!(d.load("tok").await.unwrap().is_none());
        assert_eq!(d.lifetime(&w), 0);
    }

    #[tokio::test]
    async fn one_completion_at_a_time() {
        let e = env();
        let d = e.drafts();
        assert!(d.begin_finishing("tok").await.unwrap());
        assert!(!d.begin_finishing("tok").await.unwrap());
        assert!(!d.finishing_released("tok").await);
        assert!(d.begin_finishing("other").await.unwrap());
        d.end_finishing("tok").await.unwrap();
        assert!(d.finishing_released("tok").await);
        assert!(d.begin_finishing("tok").await.unwrap());
    }
}
