//! The signing key ring. It lives in the database (private keys sealed under the
//! key-encryption key) so every node sees the same ring; each node keeps a parsed snapshot
//! (signers, verifiers by kid, the pre-rendered JWKS body) and reloads it when the ring
//! changes, or the algorithms relying parties use change (a key is published only while some
//! relying party's tokens are signed with its algorithm). States: `next` (published, not
//! signing) -> `active` (signing, one per algorithm)
//! -> `retired` (published, verifying only) -> `removed`; `revoked` is dropped at once.
//! Transitions live in `rotation`.

mod rotation;

pub use rotation::RotationPolicy;

use bytes::Bytes;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsHeader, JwsSigner, JwsVerifier, ES256, PS256, RS256};
use platform::{Audit, Db, DbError, EphemeralStore, SecretBox, SharedClock};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// A JWS signing algorithm the provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SigAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (OIDC's default for ID tokens).
    RS256,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// ECDSA P-256 with SHA-256 (the default for access tokens).
    ES256,
    /// Ed25519.
    EdDSA,
}

impl SigAlg {
    /// All, in the order they are published.
    pub const ALL: [SigAlg; 4] = [SigAlg::RS256, SigAlg::ES256, SigAlg::PS256, SigAlg::EdDSA];

    /// JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigAlg::RS256 => "RS256",
            SigAlg::PS256 => "PS256",
            SigAlg::ES256 => "ES256",
            SigAlg::EdDSA => "EdDSA",
        }
    }

    /// From the JOSE name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(SigAlg::RS256),
            "PS256" => Some(SigAlg::PS256),
            "ES256" => Some(SigAlg::ES256),
            "EdDSA" => Some(SigAlg::EdDSA),
            _ => None,
        }
    }

    /// Left half of the hash used for `at_hash` (SHA-256, or SHA-512 for Ed25519).
    pub fn half_hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            SigAlg::EdDSA => openssl::sha::sha512(data)[..32].to_vec(),
            _ => openssl::sha::sha256(data)[..16].to_vec(),
        }
    }
}

/// Key ring errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// JOSE library failure (never includes key material).
    #[error("key operation failed: {0}")]
    Jose(String),
    /// A sealed key could not be opened.
    #[error("a private key could not be decrypted: is the key-encryption key the one it was sealed with?")]
    Sealed,
    /// No active key for an algorithm.
    #[error("no active signing key for {0}")]
    NoActiveKey(&'static str),
    /// The operation does not apply (unknown kid, wrong state, bad key material); the text
    /// says why.
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for KeyError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e.into())
    }
}

fn jose(e: josekit::JoseError) -> KeyError {
    KeyError::Jose(e.to_string())
}

struct LoadedKey {
    kid: String,
    alg: SigAlg,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
}

/// A key as listed to an administrator.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: String,
    /// State.
    pub state: String,
    /// Created, unix seconds.
    pub created_at: i64,
    /// Activated, unix seconds.
    pub activated_at: Option<i64>,
    /// For a `next` key: when it starts signing.
    pub activate_after: Option<i64>,
    /// Retired, unix seconds.
    pub retired_at: Option<i64>,
    /// Revoked, unix seconds.
    pub revoked_at: Option<i64>,
    /// Left the JWKS, unix seconds.
    pub removed_at: Option<i64>,
}

#[derive(Default)]
struct Snapshot {
    fingerprint: String,
    active: HashMap<SigAlg, Arc<LoadedKey>>,
    by_kid: HashMap<String, Arc<LoadedKey>>,
    jwks: Bytes,
}

/// The ring as one node sees it.
pub struct KeyRing {
    db: Db,
    sbox: SecretBox,
    clock: SharedClock,
    snap: RwLock<Arc<Snapshot>>,
    generation: AtomicU64,
    policy: RotationPolicy,
    audit: Audit,
    notify: Option<Arc<dyn EphemeralStore>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

/// A new key id for `alg`, set on `jwk` with its algorithm and use.
fn new_kid(alg: SigAlg, jwk: &mut Jwk) -> String {
    let kid = format!(
        "{}-{}",
        alg.as_str().to_ascii_lowercase(),
        platform::crypto::random_token(9)
    );
    jwk.set_key_id(&kid);
    jwk.set_algorithm(alg.as_str());
    jwk.set_key_use("sig");
    kid
}

fn generate(alg: SigAlg, rsa_bits: u32) -> Result<(Vec<u8>, Jwk), KeyError> {
    Ok(match alg {
        SigAlg::RS256 => {
            let kp = RS256.generate_key_pair(rsa_bits).map_err(jose)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigAlg::PS256 => {
            let kp = PS256.generate_key_pair(rsa_bits).map_err(jose)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigAlg::ES256 => {
            let kp = ES256.generate_key_pair().map_err(jose)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigAlg::EdDSA => {
            let kp = EdDSA
                .generate_key_pair(josekit::jwk::alg::ed::EdCurve::Ed25519)
                .map_err(jose)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
    })
}

fn load(alg: SigAlg, kid: &str, pem: &[u8], jwk: &Jwk) -> Result<LoadedKey, KeyError> {
    let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
        SigAlg::RS256 => (
            Box::new(RS256.signer_from_pem(pem).map_err(jose)?),
            Box::new(RS256.verifier_from_jwk(jwk).map_err(jose)?),
        ),
        SigAlg::PS256 => (
            Box::new(PS256.signer_from_pem(pem).map_err(jose)?),
            Box::new(PS256.verifier_from_jwk(jwk).map_err(jose)?),
        ),
        SigAlg::ES256 => (
            Box::new(ES256.signer_from_pem(pem).map_err(jose)?),
            Box::new(ES256.verifier_from_jwk(jwk).map_err(jose)?),
        ),
        SigAlg::EdDSA => (
            Box::new(EdDSA.signer_from_pem(pem).map_err(jose)?),
            Box::new(EdDSA.verifier_from_jwk(jwk).map_err(jose)?),
        ),
    };
    Ok(LoadedKey {
        kid: kid.to_owned(),
        alg,
        signer,
        verifier,
    })
}

impl KeyRing {
    /// A ring over `db` with the default rotation policy; call `ensure_initial_keys` then
    /// `reload` before use.
    pub fn new(db: Db, sbox: SecretBox, clock: SharedClock) -> Self {
        Self {
            audit: Audit::new(db.clone(), clock.clone()),
            db,
            sbox,
            clock,
            snap: RwLock::new(Arc::new(Snapshot::default())),
            generation: AtomicU64::new(0),
            policy: RotationPolicy::default(),
            notify: None,
        }
    }

    /// A MAC of `data` for `purpose` under the server's key material (see
    /// `SecretBox::mac`).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        self.sbox.mac(purpose, data)
    }

    /// Uses `policy` for rotation.
    pub fn with_policy(mut self, policy: RotationPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Announces every change on `store`'s `keyring` channel so other nodes reload at once.
    pub fn with_notifier(mut self, store: Arc<dyn EphemeralStore>) -> Self {
        self.notify = Some(store);
        self
    }

    /// The rotation policy.
    pub fn policy(&self) -> &RotationPolicy {
        &self.policy
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.snap.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Creates an active key for each algorithm that has none (first start).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ensure_initial_keys(&self) -> Result<(), KeyError> {
        for alg in SigAlg::ALL {
            let row =
                sqlx::query("SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'active'")
                    .bind(alg.as_str())
                    .fetch_optional(self.db.pool())
                    .await?;
            if row.is_none() {
                match self.create_key(alg, "active", None).await {
                    Ok(kid) => {
                        self.audit_key("key.created", "system", &kid, alg).await;
                        tracing::info!(%kid, alg = alg.as_str(), "generated a signing key");
                    }
                    // Another node started at the same moment and won.
                    Err(KeyError::Db(e)) if e.is_unique_violation() => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Generates a key in `state` (`active` or `next`, the latter signing from
    /// `activate_after`) and stores it sealed; returns its kid.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_key(
        &self,
        alg: SigAlg,
        state: &str,
        activate_after: Option<i64>,
    ) -> Result<String, KeyError> {
        let bits = self.policy.rsa_bits;
        let (pem, jwk) = tokio::task::spawn_blocking(move || generate(alg, bits))
            .await
            .map_err(|e| KeyError::Jose(e.to_string()))??;
        self.store_key(alg, state, activate_after, &pem, jwk).await
    }

    /// The schedule's new `next` key of `alg`, signing the pre-publish period after it is
    /// stored, but stored only while the active key of `alg` was activated at or before
    /// `stale_at` when the insert runs: a pass that decided on an older reading of the ring
    /// (another node rotated and promoted meanwhile, while this one generated a key) stores
    /// nothing. `None` when it stored nothing.
    pub async fn create_key_if_stale(
        &self,
        alg: SigAlg,
        stale_at: i64,
    ) -> Result<Option<String>, KeyError> {
        let bits = self.policy.rsa_bits;
        let (pem, mut jwk) = tokio::task::spawn_blocking(move || generate(alg, bits))
            .await
            .map_err(|e| KeyError::Jose(e.to_string()))??;
        let kid = new_kid(alg, &mut jwk);
        let sealed = self.sbox.seal(&pem, kid.as_bytes());
        // The time of the insert, not of the decision: key generation takes a while.
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        // Lock the active key while it is still the stale one (a no-op update; PostgreSQL
        // re-reads a row a promotion changed meanwhile, SQLite has one writer): a promotion
        // committing at the same time either went first, and this stores nothing, or waits
        // for this insert, which its pending next key then refuses as a second one.
        let stale = sqlx::query(
            "UPDATE signing_keys SET state = 'active' WHERE alg = $1 AND state = 'active' \
             AND activated_at <= $2",
        )
        .bind(alg.as_str())
        .bind(stale_at)
        .execute(&mut *tx)
        .await?;
        if stale.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, state, private_key, public_jwk, created_at, \
             activate_after) VALUES ($1, $2, 'next', $3, $4, $5, $6)",
        )
        .bind(&kid)
        .bind(alg.as_str())
        .bind(sealed)
        .bind(jwk.to_string())
        .bind(now)
        .bind(now + self.policy.prepublish_secs)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(kid))
    }

    /// Seals and stores key material; returns the new kid.
    async fn store_key(
        &self,
        alg: SigAlg,
        state: &str,
        activate_after: Option<i64>,
        pem: &[u8],
        mut jwk: Jwk,
    ) -> Result<String, KeyError> {
        let kid = new_kid(alg, &mut jwk);
        let sealed = self.sbox.seal(pem, kid.as_bytes());
        let now = self.clock.now();
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, state, private_key, public_jwk, created_at, \
             activated_at, activate_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&kid)
        .bind(alg.as_str())
        .bind(state)
        .bind(sealed)
        .bind(jwk.to_string())
        .bind(now)
        .bind((state == "active").then_some(now))
        .bind(activate_after)
        .execute(self.db.pool())
        .await?;
        Ok(kid)
    }

    /// Re-reads the ring if it changed since the last load. Cheap when nothing changed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reload(&self) -> Result<(), KeyError> {
        self.load(false).await
    }

    /// Reads the whole ring again, changed or not: every key unsealed and parsed, as a node
    /// starting does (`oneid keys check` times it).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reload_all(&self) -> Result<(), KeyError> {
        self.load(true).await
    }

    /// How many keys the ring holds, and how many of them the JWKS publishes.
    pub fn size(&self) -> (usize, usize) {
        let snap = self.snapshot();
        let published = serde_json::from_slice::<serde_json::Value>(&snap.jwks)
            .ok()
            .and_then(|v| v["keys"].as_array().map(Vec::len))
            .unwrap_or(0);
        (snap.by_kid.len(), published)
    }

    async fn load(&self, always: bool) -> Result<(), KeyError> {
        let rows = sqlx::query(
            "SELECT kid, alg, state, activated_at FROM signing_keys \
             WHERE state IN ('next', 'active', 'retired') ORDER BY created_at, kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut fp = String::new();
        for r in &rows {
            let kid: String = r.try_get("kid")?;
            let state: String = r.try_get("state")?;
            fp.push_str(&kid);
            fp.push(':');
            fp.push_str(&state);
            fp.push(';');
        }
        // Only the algorithms some relying party's tokens are signed with are published (a
        // key of an algorithm no one uses only makes some libraries log an error per lookup);
        // every key still verifies (id_token_hint) and signs.
        let in_use: Vec<SigAlg> = sqlx::query(
            "SELECT id_token_alg AS alg FROM clients UNION SELECT access_token_alg FROM clients",
        )
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String, _>("alg").ok())
        .filter_map(|a| SigAlg::parse(&a))
        // Registry termination notices (`feeds`) are signed with ES256, whoever else uses it.
        .chain([SigAlg::ES256])
        .collect();
        fp.push('|');
        for a in SigAlg::ALL.iter().filter(|a| in_use.contains(a)) {
            fp.push_str(a.as_str());
            fp.push(',');
        }
        let current = self.snapshot();
        if !always && current.fingerprint == fp && !rows.is_empty() {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT kid, alg, state, private_key, public_jwk, activated_at FROM signing_keys \
             WHERE state IN ('next', 'active', 'retired') ORDER BY created_at, kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut snap = Snapshot {
            fingerprint: fp,
            ..Snapshot::default()
        };
        let mut newest_active: HashMap<SigAlg, i64> = HashMap::new();
        let mut published = Vec::new();
        for r in &rows {
            let kid: String = r.try_get("kid")?;
            let Some(alg) = SigAlg::parse(&r.try_get::<String, _>("alg")?) else {
                continue;
            };
            let state: String = r.try_get("state")?;
            let sealed: Vec<u8> = r.try_get("private_key")?;
            let jwk_text: String = r.try_get("public_jwk")?;
            let activated: Option<i64> = r.try_get("activated_at")?;
            let pem = self
                .sbox
                .open(&sealed, kid.as_bytes())
                .map_err(|_| KeyError::Sealed)?;
            let jwk = Jwk::from_bytes(jwk_text.as_bytes()).map_err(jose)?;
            let key = Arc::new(load(alg, &kid, &pem, &jwk)?);
            if state == "active" {
                // Should two nodes ever both activate a key, all pick the same: the newest.
                let at = activated.unwrap_or(0);
                if newest_active.get(&alg).is_none_or(|&prev| at >= prev) {
                    newest_active.insert(alg, at);
                    snap.active.insert(alg, key.clone());
                }
            }
            snap.by_kid.insert(kid, key);
            if in_use.contains(&alg) {
                published.push(serde_json::Value::Object(jwk.as_ref().clone()));
            }
        }
        snap.jwks = Bytes::from(serde_json::json!({ "keys": published }).to_string());
        if let Ok(mut w) = self.snap.write() {
            *w = Arc::new(snap);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Every key, newest first (removed and revoked ones too: the ring's history).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let rows = sqlx::query(
            "SELECT kid, alg, state, created_at, activated_at, activate_after, retired_at, \
             revoked_at, removed_at FROM signing_keys ORDER BY created_at DESC, kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KeyInfo {
                    kid: r.try_get("kid")?,
                    alg: r.try_get("alg")?,
                    state: r.try_get("state")?,
                    created_at: r.try_get("created_at")?,
                    activated_at: r.try_get("activated_at")?,
                    activate_after: r.try_get("activate_after")?,
                    retired_at: r.try_get("retired_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    removed_at: r.try_get("removed_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(KeyError::from)
    }

    /// The kid each algorithm signs with on this node now.
    pub fn active_kids(&self) -> Vec<(SigAlg, String)> {
        let snap = self.snapshot();
        SigAlg::ALL
            .iter()
            .filter_map(|a| snap.active.get(a).map(|k| (*a, k.kid.clone())))
            .collect()
    }

    /// Changes whenever the loaded ring changes; anything cached on the strength of a
    /// signature check is valid only for the generation it was checked in.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The JWKS document (pre-rendered; cloning is a reference count).
    pub fn jwks(&self) -> Bytes {
        self.snapshot().jwks.clone()
    }

    /// Signs `claims` as a compact JWS with the active key for `alg`.
    pub fn sign(&self, alg: SigAlg, typ: &str, claims: &[u8]) -> Result<String, KeyError> {
        let snap = self.snapshot();
        let key = snap
            .active
            .get(&alg)
            .ok_or(KeyError::NoActiveKey(alg.as_str()))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.kid);
        josekit::jws::serialize_compact(claims, &header, key.signer.as_ref()).map_err(jose)
    }

    /// Verifies a compact JWS signed by a published key of ours; returns the payload and the
    /// algorithm and `typ` it was signed with. Expiry is the caller's to check.
    pub fn verify(&self, token: &str) -> Option<(Vec<u8>, SigAlg, Option<String>)> {
        let snap = self.snapshot();
        let (payload, header) = josekit::jws::deserialize_compact_with_selector(token, |h| {
            let key = h.key_id().and_then(|kid| snap.by_kid.get(kid));
            match key {
                Some(k) if h.algorithm() == Some(k.alg.as_str()) => Ok(Some(k.verifier.as_ref())),
                _ => Ok(None),
            }
        })
        .ok()?;
        let alg = header
            .key_id()
            .and_then(|kid| snap.by_kid.get(kid))
            .map(|k| k.alg)?;
        Some((payload, alg, header.token_type().map(str::to_owned)))
    }
}
