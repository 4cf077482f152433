//! argon2id hashing on a few dedicated low-priority threads, so a flood of logins can
//! neither starve the async workers (the hashing threads run at the lowest CPU priority, and
//! the async threads preempt them) nor grow memory (a fixed set of threads keeps a fixed set
//! of allocator arenas). The password rules are in [`crate::policy`].

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, Semaphore};

type Job = Box<dyn FnOnce(&Argon2<'static>, &mut Vec<Block>) + Send>;

/// Grows the thread's argon2 memory to `n` blocks (kept for the thread's next hash: one
/// allocation per thread for the life of the process, not one per login).
fn blocks(mem: &mut Vec<Block>, n: usize) -> &mut [Block] {
    if mem.len() < n {
        mem.resize(n, Block::default());
    }
    &mut mem[..n]
}

/// argon2id of `password` with a fresh random salt, as a PHC string.
fn hash_with(argon: &Argon2<'_>, mem: &mut Vec<Block>, password: &[u8]) -> Option<String> {
    let salt_bytes = platform::crypto::random_bytes(16);
    let salt = SaltString::encode_b64(&salt_bytes).ok()?;
    let params = argon.params().clone();
    let mut out = vec![0u8; params.output_len().unwrap_or(32)];
    argon
        .hash_password_into_with_memory(
            password,
            &salt_bytes,
            &mut out,
            blocks(mem, params.block_count()),
        )
        .ok()?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).ok()?),
    };
    Some(phc.to_string())
}

/// Checks `password` against a PHC string, with that string's own parameters.
fn verify_with(mem: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let mut check = || -> Option<bool> {
        let h = PasswordHash::new(phc).ok()?;
        let params = Params::try_from(&h).ok()?;
        let alg = Algorithm::try_from(h.algorithm).ok()?;
        let version = match h.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::V0x13,
        };
        let expected = h.hash?;
        let mut salt_buf = [0u8; 64];
        let salt = h.salt?.decode_b64(&mut salt_buf).ok()?;
        let mut out = vec![0u8; expected.len()];
        Argon2::new(alg, version, params.clone())
            .hash_password_into_with_memory(
                password,
                salt,
                &mut out,
                blocks(mem, params.block_count()),
            )
            .ok()?;
        Some(platform::crypto::ct_eq(&out, expected.as_bytes()))
    };
    check().unwrap_or(false)
}

/// Puts the calling thread in the idle scheduling class (Linux `SCHED_IDLE`): it runs only
/// when no ordinary thread wants the CPU, and any ordinary thread that wakes preempts it at
/// once. Elsewhere, the lowest priority the platform offers.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    let r = {
        use thread_priority::unix::{
            set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
            ThreadSchedulePolicy,
        };
        set_thread_priority_and_policy(
            thread_native_id(),
            thread_priority::ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        )
    };
    #[cfg(not(target_os = "linux"))]
    let r = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
    if let Err(e) = r {
        tracing::debug!(error = ?e, "could not lower the hashing thread's priority");
    }
}

/// Pools started in this process: each pool's threads are named `argon2-{pool}-{i}`.
static POOLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The hashing threads: as many as cores, each at the lowest scheduling priority.
#[derive(Debug)]
struct Pool {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// The start of its threads' names.
    #[cfg_attr(not(test), allow(dead_code))]
    name: String,
}

impl Pool {
    /// Starts the threads and returns once each has lowered its priority (so no hash is ever
    /// computed at an ordinary one).
    fn start(argon: Argon2<'static>, threads: usize) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let pool = POOLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("argon2-{pool}-");
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        for i in 0..threads {
            let rx = rx.clone();
            let argon = argon.clone();
            let ready = ready_tx.clone();
            std::thread::Builder::new()
                .name(format!("{name}{i}"))
                .spawn(move || {
                    lower_priority();
                    let _ = ready.send(());
                    let mut mem = Vec::new();
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&argon, &mut mem),
                            Err(_) => return, // the hasher was dropped
                        }
                    }
                })?;
        }
        drop(ready_tx);
        for _ in 0..threads {
            // A thread that died before it was ready closes the channel: nothing to wait for.
            if ready_rx.recv().is_err() {
                break;
            }
        }
        Ok(Self {
            jobs: Mutex::new(tx),
            name,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>, &mut Vec<Block>) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |a, mem| {
            let _ = tx.send(f(a, mem));
        });
        self.jobs.lock().ok()?.send(job).ok()?;
        rx.await.ok()
    }
}

/// argon2id cost parameters (OWASP minimum by default: 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Why a hasher could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HasherError {
    /// The argon2 parameters are out of range.
    #[error("argon2 parameters: {0}")]
    Params(argon2::Error),
    /// The hashing threads could not start.
    #[error("hashing threads: {0}")]
    Thread(std::io::Error),
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<Pool>,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<String>,
    counts: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    hashed: AtomicU64,
    checked: AtomicU64,
    dummy: AtomicU64,
}

/// How much argon2 work a hasher did since it started: the adversarial tests count it to
/// prove that every branch does the same work and that no guess past a limit is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashCounts {
    /// New hashes made (passwords and answers being set).
    pub hashed: u64,
    /// Guesses verified against a real stored hash.
    pub checked: u64,
    /// Verifications against the dummy hash (unknown account, refused guess, missing answer).
    pub dummy: u64,
}

impl HashCounts {
    /// Verifications of either kind: the work a branch cost.
    pub fn verifications(&self) -> u64 {
        self.checked + self.dummy
    }
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with `params`, running at most one hash per core at a time; a few times that
    /// many callers wait their turn, the rest wait for a place in that queue.
    pub fn new(params: PasswordParams) -> Result<Self, HasherError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(HasherError::Params)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Verifying against this hash for unknown login IDs costs what a real check costs.
        let dummy = hash_with(
            &argon,
            &mut Vec::new(),
            platform::crypto::random_token(24).as_bytes(),
        )
        .ok_or(HasherError::Params(argon2::Error::AlgorithmInvalid))?;
        let pool = Pool::start(argon, cores).map_err(HasherError::Thread)?;
        Ok(Self {
            pool: Arc::new(pool),
            permits: Arc::new(Semaphore::new(cores * 4)),
            dummy_hash: Arc::new(dummy),
            counts: Arc::default(),
        })
    }

    /// The work done so far.
    pub fn counts(&self) -> HashCounts {
        HashCounts {
            hashed: self.counts.hashed.load(Ordering::Relaxed),
            checked: self.counts.checked.load(Ordering::Relaxed),
            dummy: self.counts.dummy.load(Ordering::Relaxed),
        }
    }

    /// Hashes `password` (PHC string).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hash(&self, password: String) -> Option<String> {
        let _permit = self.permits.acquire().await.ok()?;
        self.counts.hashed.fetch_add(1, Ordering::Relaxed);
        self.pool
            .run(move |argon, mem| hash_with(argon, mem, password.as_bytes()))
            .await
            .flatten()
    }

    /// Verifies `password` against `hash`; with `None` it verifies against a dummy hash and
    /// returns false, taking the same time as a real check.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let real = hash.is_some();
        let counter = if real {
            &self.counts.checked
        } else {
            &self.counts.dummy
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        self.pool
            .run(move |_, mem| verify_with(mem, password.as_bytes(), &hash) && real)
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let h = fast();
        let hash = h.hash("Correct-Horse-9".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("Correct-Horse-9".into(), Some(hash.clone())).await);
        assert!(!h.verify("Correct-Horse-8".into(), Some(hash)).await);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_the_lowest_priority() {
        // This hasher's own threads (other tests start pools of their own meanwhile).
        let h = fast();
        assert!(h.hash("Warm-Up-1".into()).await.is_some());
        let mut seen = 0;
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let dir = task.unwrap().path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if !name.starts_with(&h.pool.name) {
                continue;
            }
            // Field 41 of stat is the scheduling policy (5 = SCHED_IDLE); the command name
            // (field 2) has no spaces.
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
            let policy: i32 = stat.split_whitespace().nth(40).unwrap().parse().unwrap();
            assert_eq!(policy, 5, "{name} runs in the idle scheduling class");
            seen += 1;
        }
        assert!(seen > 0, "no hashing threads found");
    }

    #[test]
    fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(1024, 1, 1, None).unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut mem = Vec::new();
        // Ours verifies with the reference implementation...
        let ours = hash_with(&argon, &mut mem, b"Clinic-Rounds-42").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon.verify_password(b"Clinic-Rounds-42", &parsed).is_ok());
        // ...and a reference hash (other cost) verifies with ours, reusing the memory.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(2048, 2, 1, None).unwrap(),
        );
        let theirs = other
            .hash_password(b"Clinic-Rounds-42", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with(&mut mem, b"Clinic-Rounds-42", &theirs));
        assert!(!verify_with(&mut mem, b"Clinic-Rounds-43", &theirs));
        assert!(!verify_with(&mut mem, b"x", "not a phc string"));
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!fast().verify("anything".into(), None).await);
    }
}
