//! The IdP's SAML signing keys: RSA keys with self-signed certificates, sealed in the
//! database under the key-encryption key like the JWS ring, but on their own slower cycle.
//! Service providers pin the certificates they read from metadata and many refresh it
//! rarely, so a SAML key changes only when an administrator says so: `rotate` adds a `next`
//! key (published in the metadata, not signing), `activate` makes it sign (the old one stays
//! published as `retired`), `remove` drops a retired one. Every node reloads the set on its
//! poll, as it does the ring.

use super::dsig::SigningKey;
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use platform::{Db, DbError, SecretBox, SharedClock};
use serde::Serialize;
use sqlx::Row;
use std::sync::{Arc, RwLock};

/// Errors of the SAML key store.
#[derive(Debug, thiserror::Error)]
pub enum SamlKeyError {
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Key generation or parsing (never key material).
    #[error("key operation failed: {0}")]
    Crypto(String),
    /// A sealed key could not be opened.
    #[error("a SAML signing key could not be decrypted: is the key-encryption key the one it was sealed with?")]
    Sealed,
    /// Not applicable; the text says why.
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for SamlKeyError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e.into())
    }
}

/// A key as listed to an administrator.
#[derive(Debug, Clone, Serialize)]
pub struct SamlKeyInfo {
    /// Key id.
    pub kid: String,
    /// `next`, `active` or `retired`.
    pub state: String,
    /// Created, unix seconds.
    pub created_at: i64,
    /// Started signing.
    pub activated_at: Option<i64>,
    /// Stopped signing.
    pub retired_at: Option<i64>,
    /// SHA-256 fingerprint of the certificate (hex, colon-separated).
    pub fingerprint: String,
}

#[derive(Debug, Default)]
struct Snapshot {
    fingerprint: String,
    active: Option<Arc<SigningKey>>,
    /// Published in the metadata: active, next, retired.
    published: Vec<Arc<SigningKey>>,
}

/// The SAML signing keys as one node sees them.
pub struct SamlKeys {
    db: Db,
    sbox: SecretBox,
    clock: SharedClock,
    bits: u32,
    snap: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for SamlKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlKeys").finish_non_exhaustive()
    }
}

/// Generates an RSA key and a self-signed certificate for it (valid for 20 years from
/// `now`: SAML uses the certificate only as a carrier of the key; trust comes from the
/// metadata, and SPs do not check its dates).
pub fn generate_key(kid: &str, bits: u32, now: i64) -> Result<SigningKey, String> {
    let e = |e: openssl::error::ErrorStack| e.to_string();
    let rsa = Rsa::generate(bits).map_err(e)?;
    let key = PKey::from_rsa(rsa).map_err(e)?;
    let mut name = X509NameBuilder::new().map_err(e)?;
    name.append_entry_by_text("CN", &format!("oneid SAML signing {kid}"))
        .map_err(e)?;
    let name = name.build();
    let mut b = X509Builder::new().map_err(e)?;
    b.set_version(2).map_err(e)?;
    let serial = BigNum::from_slice(&platform::crypto::random_bytes(16)).map_err(e)?;
    let serial = Asn1Integer::from_bn(&serial).map_err(e)?;
    b.set_serial_number(&serial).map_err(e)?;
    b.set_subject_name(&name).map_err(e)?;
    b.set_issuer_name(&name).map_err(e)?;
    b.set_pubkey(&key).map_err(e)?;
    let now = if now > 0 { now } else { 1_700_000_000 };
    let (from, until) = (
        Asn1Time::from_unix(now - 3600).map_err(e)?,
        Asn1Time::from_unix(now + 20 * 365 * 86_400).map_err(e)?,
    );
    b.set_not_before(&from).map_err(e)?;
    b.set_not_after(&until).map_err(e)?;
    b.sign(&key, MessageDigest::sha256()).map_err(e)?;
    let cert = b.build();
    loaded(kid, key, cert)
}

fn loaded(kid: &str, key: PKey<openssl::pkey::Private>, cert: X509) -> Result<SigningKey, String> {
    use base64::Engine as _;
    let der = cert.to_der().map_err(|e| e.to_string())?;
    Ok(SigningKey {
        kid: kid.to_owned(),
        key,
        cert,
        cert_b64: base64::engine::general_purpose::STANDARD.encode(der),
    })
}

/// SHA-256 fingerprint of a certificate, hex pairs joined by `:`.
pub fn fingerprint(cert: &X509) -> String {
    cert.digest(MessageDigest::sha256())
        .map(|d| {
            d.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .unwrap_or_default()
}

impl SamlKeys {
    /// The store over `db`, empty until `ensure_initial_key` and `reload`.
    pub fn new(db: Db, sbox: SecretBox, clock: SharedClock, bits: u32) -> Self {
        Self {
            db,
            sbox,
            clock,
            bits,
            snap: RwLock::new(Arc::default()),
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.snap.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// The key that signs now.
    pub fn active(&self) -> Option<Arc<SigningKey>> {
        self.snapshot().active.clone()
    }

    /// The keys the metadata publishes (the active one first).
    pub fn published(&self) -> Vec<Arc<SigningKey>> {
        self.snapshot().published.clone()
    }

    /// Changes whenever the published set changes.
    pub fn fingerprint(&self) -> String {
        self.snapshot().fingerprint.clone()
    }

    async fn create(&self, state: &str) -> Result<String, SamlKeyError> {
        let kid = format!("saml-{}", platform::crypto::random_token(9));
        let (bits, now, k) = (self.bits, self.clock.now(), kid.clone());
        let key = tokio::task::spawn_blocking(move || generate_key(&k, bits, now))
            .await
            .map_err(|e| SamlKeyError::Crypto(e.to_string()))?
            .map_err(SamlKeyError::Crypto)?;
        let pem = key
            .key
            .private_key_to_pem_pkcs8()
            .map_err(|e| SamlKeyError::Crypto(e.to_string()))?;
        let sealed = self.sbox.seal(&pem, kid.as_bytes());
        sqlx::query(
            "INSERT INTO saml_signing_keys (kid, state, private_key, certificate, created_at, \
             activated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&kid)
        .bind(state)
        .bind(sealed)
        .bind(&key.cert_b64)
        .bind(now)
        .bind((state == "active").then_some(now))
        .execute(self.db.pool())
        .await?;
        Ok(kid)
    }

    /// Creates the first signing key when there is none (first start).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ensure_initial_key(&self) -> Result<(), SamlKeyError> {
        let row = sqlx::query("SELECT kid FROM saml_signing_keys WHERE state = 'active'")
            .fetch_optional(self.db.pool())
            .await?;
        if row.is_none() {
            match self.create("active").await {
                Ok(kid) => tracing::info!(%kid, "generated a SAML signing key"),
                // Another node started at the same moment and won.
                Err(SamlKeyError::Db(e)) if e.is_unique_violation() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Re-reads the keys if they changed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reload(&self) -> Result<(), SamlKeyError> {
        let rows = sqlx::query(
            "SELECT kid, state, private_key, certificate FROM saml_signing_keys \
             WHERE state IN ('next', 'active', 'retired') ORDER BY created_at, kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut fp = String::new();
        for r in &rows {
            let kid: String = r.try_get("kid")?;
            let state: String = r.try_get("state")?;
            fp.push_str(&format!("{kid}:{state};"));
        }
        if self.snapshot().fingerprint == fp && !fp.is_empty() {
            return Ok(());
        }
        let mut snap = Snapshot {
            fingerprint: fp,
            ..Snapshot::default()
        };
        for r in &rows {
            let kid: String = r.try_get("kid")?;
            let state: String = r.try_get("state")?;
            let sealed: Vec<u8> = r.try_get("private_key")?;
            let cert_b64: String = r.try_get("certificate")?;
            let pem = self
                .sbox
                .open(&sealed, kid.as_bytes())
                .map_err(|_| SamlKeyError::Sealed)?;
            let key = PKey::private_key_from_pem(&pem)
                .map_err(|e| SamlKeyError::Crypto(e.to_string()))?;
            let der = {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(&cert_b64)
                    .map_err(|e| SamlKeyError::Crypto(e.to_string()))?
            };
            let cert = X509::from_der(&der).map_err(|e| SamlKeyError::Crypto(e.to_string()))?;
            let k = Arc::new(loaded(&kid, key, cert).map_err(SamlKeyError::Crypto)?);
            if state == "active" {
                snap.active = Some(k.clone());
                snap.published.insert(0, k);
            } else {
                snap.published.push(k);
            }
        }
        if let Ok(mut w) = self.snap.write() {
            *w = Arc::new(snap);
        }
        Ok(())
    }

    /// Every key still published, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self) -> Result<Vec<SamlKeyInfo>, SamlKeyError> {
        let rows = sqlx::query(
            "SELECT kid, state, certificate, created_at, activated_at, retired_at \
             FROM saml_signing_keys ORDER BY created_at DESC, kid",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let cert_b64: String = r.try_get("certificate")?;
                use base64::Engine as _;
                let fingerprint = base64::engine::general_purpose::STANDARD
                    .decode(cert_b64)
                    .ok()
                    .and_then(|d| X509::from_der(&d).ok())
                    .map(|c| fingerprint(&c))
                    .unwrap_or_default();
                Ok(SamlKeyInfo {
                    kid: r.try_get("kid")?,
                    state: r.try_get("state")?,
                    created_at: r.try_get("created_at")?,
                    activated_at: r.try_get("activated_at")?,
                    retired_at: r.try_get("retired_at")?,
                    fingerprint,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(SamlKeyError::from)
    }

    /// Adds a `next` key: published in the metadata at once, signing after `activate`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rotate(&self) -> Result<String, SamlKeyError> {
        let next = sqlx::query("SELECT kid FROM saml_signing_keys WHERE state = 'next'")
            .fetch_optional(self.db.pool())
            .await?;
        if let Some(r) = next {
            let kid: String = r.try_get("kid")?;
            return Err(SamlKeyError::Invalid(format!(
                "{kid} is already waiting to sign: activate it first"
            )));
        }
        let kid = self.create("next").await?;
        self.reload().await?;
        Ok(kid)
    }

    /// Makes the `next` key sign; the active one is retired (still published). Returns the
    /// new active kid.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn activate(&self) -> Result<String, SamlKeyError> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let next = sqlx::query("SELECT kid FROM saml_signing_keys WHERE state = 'next'")
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| SamlKeyError::Invalid("no next key: rotate first".into()))?;
        let kid: String = next.try_get("kid")?;
        sqlx::query(
            "UPDATE saml_signing_keys SET state = 'retired', retired_at = $1 \
             WHERE state = 'active'",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE saml_signing_keys SET state = 'active', activated_at = $1 WHERE kid = $2",
        )
        .bind(now)
        .bind(&kid)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.reload().await?;
        Ok(kid)
    }

    /// Removes a retired (or waiting) key from the metadata for good.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove(&self, kid: &str) -> Result<(), SamlKeyError> {
        let r = sqlx::query(
            "DELETE FROM saml_signing_keys WHERE kid = $1 AND state IN ('retired', 'next')",
        )
        .bind(kid)
        .execute(self.db.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Err(SamlKeyError::Invalid(format!(
                "no retired or next key {kid} (the active key cannot be removed)"
            )));
        }
        self.reload().await
    }
}
