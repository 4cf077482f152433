//! Key rotation: every transition of the ring, each a single conditional statement or one
//! transaction, so two nodes (or a node and the CLI) can never both win it, and a crash
//! between two steps leaves a ring that the next maintenance pass completes. The database
//! enforces at most one `active` and one `next` key per algorithm.
//!
//! - `rotate`: a `next` key now, published at once, signing after the pre-publish period
//!   (longer than the JWKS cache lifetime plus the poll interval, so every relying party and
//!   every node has it before it signs); `--now` skips the wait for an emergency.
//! - `maintain` (every node, every poll): promotes due `next` keys, removes retired keys once
//!   every token they signed has expired, and rotates on the optional schedule.
//! - `revoke`: out of the JWKS at once; an active key is replaced immediately.

use super::{jose, load, KeyError, KeyRing, SigAlg};
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::ed::EdKeyPair;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jwk::alg::rsapss::RsaPssKeyPair;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, ES256, PS256, RS256};
use josekit::util::HashAlgorithm;
use platform::audit::AuditEvent;
use serde::Serialize;
use sqlx::Row;

/// When keys move between states.
#[derive(Debug, Clone, Serialize)]
pub struct RotationPolicy {
    /// How long a `next` key is published before it signs, seconds.
    pub prepublish_secs: i64,
    /// How long a retired key stays published: the longest token lifetime plus clock skew.
    pub retention_secs: i64,
    /// Rotate each algorithm's key this often, seconds (`None`: only when asked).
    pub rotate_every_secs: Option<i64>,
    /// Size of generated RSA keys (2048 or 3072).
    pub rsa_bits: u32,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            prepublish_secs: 900,
            retention_secs: 660,
            rotate_every_secs: None,
            rsa_bits: 2048,
        }
    }
}

/// What `rotate` did.
#[derive(Debug, Clone, Serialize)]
pub struct Rotated {
    /// The new key.
    pub kid: String,
    /// Its algorithm.
    pub alg: &'static str,
    /// When it signs (now for an emergency rotation).
    pub signs_from: i64,
    /// The key it replaces (retired), if it is already replaced.
    pub retired: Option<String>,
}

struct Row1 {
    alg: SigAlg,
    state: String,
}

impl KeyRing {
    async fn key_state(&self, kid: &str) -> Result<Row1, KeyError> {
        let row = sqlx::query("SELECT alg, state FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| KeyError::Invalid(format!("no key {kid}")))?;
        let alg: String = row.try_get("alg")?;
        Ok(Row1 {
            alg: SigAlg::parse(&alg)
                .ok_or_else(|| KeyError::Invalid(format!("unknown alg {alg}")))?,
            state: row.try_get("state")?,
        })
    }

    pub(super) async fn audit_key(&self, event: &str, actor: &str, kid: &str, alg: SigAlg) {
        let _ = self
            .audit
            .record(AuditEvent {
                event,
                actor: Some(actor),
                subject: Some(kid),
                detail: Some(alg.as_str()),
                ..Default::default()
            })
            .await;
    }

    /// Reloads this node and tells the others (after a key changed, or the algorithms
    /// relying parties use).
    pub async fn changed(&self) -> Result<(), KeyError> {
        self.reload().await?;
        if let Some(n) = &self.notify {
            if let Err(e) = n.publish("keyring").await {
                tracing::warn!(error = %e, "could not announce a key ring change; nodes will see it when they poll");
            }
        }
        Ok(())
    }

    /// Starts a rotation of `alg`: a `next` key signing after the pre-publish period, or with
    /// `now` an active key at once (the current one retired). Fails if a `next` key of this
    /// algorithm is already pending.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rotate(&self, alg: SigAlg, now: bool, actor: &str) -> Result<Rotated, KeyError> {
        let t = self.clock.now();
        if now {
            let kid = self
                .create_key(alg, "next", Some(t))
                .await
                .map_err(pending(alg))?;
            self.audit_key("key.created", actor, &kid, alg).await;
            let retired = self.promote(&kid, alg, actor).await?;
            self.changed().await?;
            return Ok(Rotated {
                kid,
                alg: alg.as_str(),
                signs_from: t,
                retired,
            });
        }
        let signs_from = t + self.policy.prepublish_secs;
        let kid = self
            .create_key(alg, "next", Some(signs_from))
            .await
            .map_err(pending(alg))?;
        self.audit_key("key.created", actor, &kid, alg).await;
        self.changed().await?;
        Ok(Rotated {
            kid,
            alg: alg.as_str(),
            signs_from,
            retired: None,
        })
    }

    /// Makes `kid` (a `next` or `retired` key) the active key of its algorithm now, retiring
    /// the current one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn activate(&self, kid: &str, actor: &str) -> Result<Option<String>, KeyError> {
        let k = self.key_state(kid).await?;
        if k.state != "next" && k.state != "retired" {
            return Err(KeyError::Invalid(format!(
                "{kid} is {}: only a next or retired key can be activated",
                k.state
            )));
        }
        let retired = self.promote(kid, k.alg, actor).await?;
        self.changed().await?;
        Ok(retired)
    }

    /// One transaction: retire the active key of `alg`, activate `kid`. Returns the retired kid.
    async fn promote(
        &self,
        kid: &str,
        alg: SigAlg,
        actor: &str,
    ) -> Result<Option<String>, KeyError> {
        let t = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        // Retire first: the one-active-per-algorithm index holds after every statement. Writing
        // first also takes SQLite's write lock at once (waiting its turn) instead of failing to
        // upgrade a read snapshot when another writer got in between.
        let old: Option<String> = sqlx::query(
            "UPDATE signing_keys SET state = 'retired', retired_at = $1 \
             WHERE alg = $2 AND state = 'active' RETURNING kid",
        )
        .bind(t)
        .bind(alg.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("kid"))
        .transpose()?;
        let won = sqlx::query(
            "UPDATE signing_keys SET state = 'active', activated_at = $1, activate_after = NULL, \
             retired_at = NULL WHERE kid = $2 AND state IN ('next', 'retired')",
        )
        .bind(t)
        .bind(kid)
        .execute(&mut *tx)
        .await?;
        if won.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(KeyError::Invalid(format!("{kid} changed state meanwhile")));
        }
        tx.commit().await?;
        if let Some(o) = &old {
            self.audit_key("key.retired", actor, o, alg).await;
        }
        self.audit_key("key.activated", actor, kid, alg).await;
        Ok(old)
    }

    /// Retires an active key (the pending `next` key of its algorithm takes over at once) or
    /// cancels a `next` key.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn retire(&self, kid: &str, actor: &str) -> Result<(), KeyError> {
        let k = self.key_state(kid).await?;
        match k.state.as_str() {
            "active" => {
                let next: Option<String> =
                    sqlx::query("SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'next'")
                        .bind(k.alg.as_str())
                        .fetch_optional(self.db.pool())
                        .await?
                        .map(|r| r.try_get("kid"))
                        .transpose()?;
                let Some(next) = next else {
                    return Err(KeyError::Invalid(format!(
                        "{kid} is the only {} signing key: rotate first (keys rotate --alg {})",
                        k.alg.as_str(),
                        k.alg.as_str()
                    )));
                };
                self.promote(&next, k.alg, actor).await?;
            }
            "next" => {
                let t = self.clock.now();
                sqlx::query("UPDATE signing_keys SET state = 'removed', removed_at = $1 WHERE kid = $2 AND state = 'next'")
                    .bind(t)
                    .bind(kid)
                    .execute(self.db.pool())
                    .await?;
                self.audit_key("key.removed", actor, kid, k.alg).await;
            }
            s => {
                return Err(KeyError::Invalid(format!(
                    "{kid} is {s}: only an active or next key can be retired"
                )))
            }
        }
        self.changed().await
    }

    /// Revokes a key: out of the JWKS at once, and tokens it signed fail verification and
    /// introspection. A revoked active key is replaced by a new one immediately. Returns the
    /// replacement's kid, if one was needed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke(&self, kid: &str, actor: &str) -> Result<Option<String>, KeyError> {
        let k = self.key_state(kid).await?;
        if !matches!(k.state.as_str(), "next" | "active" | "retired") {
            return Err(KeyError::Invalid(format!("{kid} is already {}", k.state)));
        }
        let t = self.clock.now();
        if k.state == "active" {
            // Signing must go on: the pending next key takes over, else a new one made now.
            match self.create_key(k.alg, "next", Some(t)).await {
                Ok(n) => self.audit_key("key.created", actor, &n, k.alg).await,
                Err(KeyError::Db(e)) if e.is_unique_violation() => {} // one is pending already
                Err(e) => return Err(e),
            }
        }
        // One transaction, conditional on the state just read: revoke, and for an active key
        // promote its successor, so no node ever sees the algorithm without a signer.
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE signing_keys SET state = 'revoked', revoked_at = $1 WHERE kid = $2 AND state = $3",
        )
        .bind(t)
        .bind(kid)
        .bind(&k.state)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(KeyError::Invalid(format!(
                "{kid} changed state meanwhile: try again"
            )));
        }
        let mut replacement = None;
        if k.state == "active" {
            let next: Option<String> = sqlx::query(
                "UPDATE signing_keys SET state = 'active', activated_at = $1, activate_after = NULL \
                 WHERE alg = $2 AND state = 'next' RETURNING kid",
            )
            .bind(t)
            .bind(k.alg.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("kid"))
            .transpose()?;
            if next.is_none() {
                tx.rollback().await?;
                return Err(KeyError::Invalid(format!(
                    "no successor for {kid}: try again"
                )));
            }
            replacement = next;
        }
        tx.commit().await?;
        self.audit_key("key.revoked", actor, kid, k.alg).await;
        if let Some(n) = &replacement {
            self.audit_key("key.activated", actor, n, k.alg).await;
        }
        self.changed().await?;
        Ok(replacement)
    }

    /// Imports a private key made elsewhere (PEM, PKCS#8 or traditional, or a private JWK) as
    /// a `next` key of `alg`, signing after the pre-publish period (or at once with `now`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn import(
        &self,
        alg: SigAlg,
        material: &[u8],
        now: bool,
        actor: &str,
    ) -> Result<Rotated, KeyError> {
        let (pem, jwk) = parse_private_key(alg, material)?;
        // Proves the key signs and verifies before it is stored.
        let probe = load(alg, "probe", &pem, &jwk)?;
        let sig = josekit::jws::serialize_compact(
            b"{}",
            &josekit::jws::JwsHeader::new(),
            probe.signer.as_ref(),
        )
        .map_err(jose)?;
        josekit::jws::deserialize_compact(&sig, probe.verifier.as_ref()).map_err(|_| {
            KeyError::Invalid("the imported key does not verify its own signature".into())
        })?;
        let t = self.clock.now();
        let signs_from = if now {
            t
        } else {
            t + self.policy.prepublish_secs
        };
        let kid = self
            .store_key(alg, "next", Some(signs_from), &pem, jwk)
            .await
            .map_err(pending(alg))?;
        self.audit_key("key.imported", actor, &kid, alg).await;
        let retired = if now {
            self.promote(&kid, alg, actor).await?
        } else {
            None
        };
        self.changed().await?;
        Ok(Rotated {
            kid,
            alg: alg.as_str(),
            signs_from,
            retired,
        })
    }

    /// Time-driven transitions, run by every node at every poll: promote due `next` keys,
    /// remove retired keys whose tokens have all expired, rotate on the schedule. Returns how
    /// many transitions it made.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn maintain(&self) -> Result<usize, KeyError> {
        let t = self.clock.now();
        let mut n = 0;
        let due = sqlx::query(
            "SELECT kid, alg FROM signing_keys WHERE state = 'next' AND activate_after <= $1",
        )
        .bind(t)
        .fetch_all(self.db.pool())
        .await?;
        for r in due {
            let kid: String = r.try_get("kid")?;
            let Some(alg) = SigAlg::parse(&r.try_get::<String, _>("alg")?) else {
                continue;
            };
            match self.promote(&kid, alg, "schedule").await {
                Ok(_) => n += 1,
                // Another node promoted it first.
                Err(KeyError::Invalid(_)) => {}
                Err(KeyError::Db(e)) if e.is_unique_violation() => {}
                Err(e) => return Err(e),
            }
        }
        let old = sqlx::query(
            "SELECT kid, alg FROM signing_keys WHERE state = 'retired' AND retired_at <= $1",
        )
        .bind(t - self.policy.retention_secs)
        .fetch_all(self.db.pool())
        .await?;
        for r in old {
            let kid: String = r.try_get("kid")?;
            let done = sqlx::query("UPDATE signing_keys SET state = 'removed', removed_at = $1 WHERE kid = $2 AND state = 'retired'")
                .bind(t)
                .bind(&kid)
                .execute(self.db.pool())
                .await?;
            if done.rows_affected() == 1 {
                if let Some(alg) = SigAlg::parse(&r.try_get::<String, _>("alg")?) {
                    self.audit_key("key.removed", "schedule", &kid, alg).await;
                }
                n += 1;
            }
        }
        if let Some(every) = self.policy.rotate_every_secs {
            let stale = sqlx::query(
                "SELECT a.alg FROM signing_keys a WHERE a.state = 'active' AND a.activated_at <= $1 \
                 AND NOT EXISTS (SELECT 1 FROM signing_keys b WHERE b.alg = a.alg AND b.state = 'next')",
            )
            .bind(t - every)
            .fetch_all(self.db.pool())
            .await?;
            for r in stale {
                let Some(alg) = SigAlg::parse(&r.try_get::<String, _>("alg")?) else {
                    continue;
                };
                match self.create_key_if_stale(alg, t - every).await {
                    Ok(Some(kid)) => {
                        self.audit_key("key.created", "schedule", &kid, alg).await;
                        n += 1;
                    }
                    // Rotated meanwhile: by another node, or by this one's other pass.
                    Ok(None) => {}
                    Err(KeyError::Db(e)) if e.is_unique_violation() => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if n > 0 {
            self.changed().await?;
        }
        Ok(n)
    }
}

/// A unique violation on insert means a `next` key of this algorithm is already pending.
fn pending(alg: SigAlg) -> impl Fn(KeyError) -> KeyError {
    move |e| {
        match e {
        KeyError::Db(d) if d.is_unique_violation() => KeyError::Invalid(format!(
            "a next {} key is already pending: activate it (keys activate KID) or cancel it (keys retire KID)",
            alg.as_str()
        )),
        e => e,
    }
    }
}

fn bad(alg: SigAlg) -> impl Fn(josekit::JoseError) -> KeyError {
    move |e| KeyError::Invalid(format!("not a usable {} private key: {e}", alg.as_str()))
}

/// PEM or private JWK -> (PKCS#8 PEM, public JWK), checked for the algorithm.
fn parse_private_key(alg: SigAlg, material: &[u8]) -> Result<(Vec<u8>, Jwk), KeyError> {
    let text = std::str::from_utf8(material)
        .map_err(|_| KeyError::Invalid("key material must be PEM or JSON text".into()))?;
    let is_jwk = text.trim_start().starts_with('{');
    let jwk = if is_jwk {
        let j = Jwk::from_bytes(text.as_bytes()).map_err(bad(alg))?;
        if j.parameter("d").is_none() {
            return Err(KeyError::Invalid("the JWK has no private part (d)".into()));
        }
        Some(j)
    } else {
        None
    };
    let rsa_ok = |bits: u32| {
        if bits < 2048 {
            Err(KeyError::Invalid(format!(
                "RSA keys must have at least 2048 bits, this one has {bits}"
            )))
        } else {
            Ok(())
        }
    };
    Ok(match alg {
        SigAlg::RS256 => {
            let kp = match &jwk {
                Some(j) => RsaKeyPair::from_jwk(j).map_err(bad(alg))?,
                None => RS256.key_pair_from_pem(text).map_err(bad(alg))?,
            };
            rsa_ok(kp.key_len() * 8)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigAlg::PS256 => {
            let kp = match &jwk {
                Some(j) => {
                    RsaPssKeyPair::from_jwk(j, HashAlgorithm::Sha256, HashAlgorithm::Sha256, 32)
                        .map_err(bad(alg))?
                }
                None => PS256.key_pair_from_pem(text).map_err(bad(alg))?,
            };
            rsa_ok(kp.key_len() * 8)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigAlg::ES256 => {
            let kp = match &jwk {
                Some(j) => EcKeyPair::from_jwk(j).map_err(bad(alg))?,
                None => ES256.key_pair_from_pem(text).map_err(bad(alg))?,
            };
            if kp.curve() != EcCurve::P256 {
                return Err(KeyError::Invalid("ES256 needs a P-256 key".into()));
            }
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigAlg::EdDSA => {
            let kp = match &jwk {
                Some(j) => EdKeyPair::from_jwk(j).map_err(bad(alg))?,
                None => EdDSA.key_pair_from_pem(text).map_err(bad(alg))?,
            };
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
    })
}
