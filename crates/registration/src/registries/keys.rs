//! A registry's signing keys: added, rotated (the older ones retired after an overlap), and
//! the verifier a key gives for hand-offs and reports.

use super::Registries;
use crate::services::code_ok as valid_code;
use crate::RegistrationError;
use josekit::jws::{JwsVerifier, ES256, RS256};
use platform::DbError;
use serde::Serialize;
use sqlx::Row;

/// A key a registry signs with.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryKey {
    /// Key id (the `kid` its JWS headers carry).
    pub kid: String,
    /// `ES256` or `RS256`.
    pub alg: String,
    /// SubjectPublicKeyInfo PEM.
    pub public_pem: String,
    /// Added.
    pub created_at: i64,
    /// Not accepted from then on.
    pub retire_at: Option<i64>,
}

/// A verifier for `alg` from a public key PEM.
pub fn verifier(alg: &str, pem: &str) -> Result<Box<dyn JwsVerifier>, RegistrationError> {
    let bad = |_| RegistrationError::Invalid("public key");
    Ok(match alg {
        "ES256" => Box::new(ES256.verifier_from_pem(pem.as_bytes()).map_err(bad)?),
        "RS256" => Box::new(RS256.verifier_from_pem(pem.as_bytes()).map_err(bad)?),
        _ => return Err(RegistrationError::Invalid("alg")),
    })
}

impl Registries {
    /// Adds a signing key; the keys it had stop being accepted `overlap_secs` from now (a
    /// rotation), or are kept when `overlap_secs` is `None`. `kid` defaults to a thumbprint.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_key(
        &self,
        id: &str,
        alg: &str,
        pem: &str,
        kid: Option<&str>,
        overlap_secs: Option<i64>,
    ) -> Result<RegistryKey, RegistrationError> {
        self.get(id).await?.ok_or(RegistrationError::NotFound)?;
        verifier(alg, pem)?;
        let kid = match kid {
            Some(k) if valid_code(k) => k.to_owned(),
            Some(_) => return Err(RegistrationError::Invalid("kid")),
            None => platform::crypto::sha256_b64(pem.trim().as_bytes())
                .chars()
                .take(22)
                .collect(),
        };
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        if let Some(o) = overlap_secs {
            sqlx::query(
                "UPDATE registry_keys SET retire_at = $2 WHERE registry_id = $1 AND \
                 (retire_at IS NULL OR retire_at > $2)",
            )
            .bind(id)
            .bind(now + o.max(0))
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?;
        }
        let r = sqlx::query(
            "INSERT INTO registry_keys (registry_id, kid, alg, public_pem, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(&kid)
        .bind(alg)
        .bind(pem.trim())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => return Err(RegistrationError::Exists),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(RegistryKey {
            kid,
            alg: alg.to_owned(),
            public_pem: pem.trim().to_owned(),
            created_at: now,
            retire_at: None,
        })
    }

    /// The registry's keys, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn keys(&self, id: &str) -> Result<Vec<RegistryKey>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT kid, alg, public_pem, created_at, retire_at FROM registry_keys \
             WHERE registry_id = $1 ORDER BY created_at DESC, kid",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        rows.iter()
            .map(|r| {
                Ok(RegistryKey {
                    kid: r.try_get("kid")?,
                    alg: r.try_get("alg")?,
                    public_pem: r.try_get("public_pem")?,
                    created_at: r.try_get("created_at")?,
                    retire_at: r.try_get("retire_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// Keys accepted at `now`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn live_keys(&self, id: &str) -> Result<Vec<RegistryKey>, RegistrationError> {
        let now = self.clock.now();
        Ok(self
            .keys(id)
            .await?
            .into_iter()
            .filter(|k| k.retire_at.is_none_or(|r| r > now))
            .collect())
    }
}
