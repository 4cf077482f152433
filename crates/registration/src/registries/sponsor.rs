//! Every identity enters through a sponsor (004 §5.6): the registries left without one by an
//! older version, and the members such a registry validated, sponsored and enrolled when an
//! administrator names its sponsor.

use super::Registries;
use crate::RegistrationError;
use platform::DbError;

impl Registries {
    /// The registries that name no sponsor (left so by a version before sponsorship was
    /// required): they admit no one until an administrator names one.
    pub async fn unsponsored(&self) -> Result<Vec<String>, RegistrationError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM registries WHERE sponsor_id IS NULL AND status <> 'terminated' \
             ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// A sponsor named for a registry that had none: the members it validated before, still
/// registered, are sponsored through it and enrolled in its services (as a registration
/// through it would have done), in the transaction that names it.
pub(super) async fn sponsor_members(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    registry: &str,
    sponsor: &str,
    level: i64,
    services: &[String],
    now: i64,
) -> Result<(), RegistrationError> {
    let members: Vec<(String,)> = sqlx::query_as(
        "SELECT m.account_id FROM registry_members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.registry_id = $1 AND m.terminated_at IS NULL AND a.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM sponsorships sp WHERE sp.account_id = m.account_id \
         AND sp.organization_id = $2 AND sp.status = 'active')",
    )
    .bind(registry)
    .bind(sponsor)
    .fetch_all(&mut **tx)
    .await
    .map_err(DbError::from)?;
    let mut open = Vec::new();
    for s in services {
        let min: Option<(i64,)> =
            sqlx::query_as("SELECT min_assurance_level FROM services WHERE id = $1")
                .bind(s)
                .fetch_optional(&mut **tx)
                .await
                .map_err(DbError::from)?;
        if min.is_some_and(|(m,)| m <= level) {
            open.push(s);
        }
    }
    let by = format!("registry:{registry}");
    for (account,) in &members {
        crate::services::sponsor_in(tx, account, sponsor, None, &by, now).await?;
        for s in &open {
            crate::services::enrol_in(tx, account, s, sponsor, &by, now).await?;
        }
    }
    Ok(())
}
