//! An account holder ends their own registration (004 §5.7.2, §6.7.2: "Registration in ONE ID
//! may be terminated by the Registrant"). In one transaction the account is terminated (it can
//! no longer sign in, and every SSO session begun so far ends), its refresh tokens are revoked,
//! its sponsorships and enrolments end, and a registry record notes the termination date. Nothing
//! is deleted: the account row, its evidence, its history and the audit trail stay for audit.

use crate::{Registration, RegistrationError};
use platform::{AuditEvent, DbError};

/// What closing an account ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closed {
    /// Refresh tokens revoked.
    pub refresh_tokens: u64,
    /// Sponsorships ended.
    pub sponsorships: u64,
    /// Enrolments ended.
    pub enrolments: u64,
}

impl Registration {
    /// Closes the account `account_id` at its holder's request, from `source` (see the
    /// module); audited `account.closed` with the holder as actor. `Ok(None)`: it was
    /// terminated already (nothing changes, nothing is audited again).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close_own_account(
        &self,
        account_id: &str,
        source: &str,
    ) -> Result<Option<Closed>, RegistrationError> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        if !self.accounts.terminate_in(&mut tx, account_id).await? {
            tx.rollback().await.map_err(DbError::from)?;
            return Ok(None);
        }
        let refresh_tokens = self
            .grants
            .0
            .revoke_all_in(&mut tx, account_id)
            .await
            .map_err(DbError::from)?;
        let mut ended = [0u64; 2];
        for (i, table) in ["sponsorships", "enrolments"].iter().enumerate() {
            ended[i] = sqlx::query(&format!(
                "UPDATE {table} SET status = 'ended', ended_at = $2 \
                 WHERE account_id = $1 AND status = 'active'"
            ))
            .bind(account_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?
            .rows_affected();
        }
        sqlx::query(
            "UPDATE registry_members SET terminated_at = $2 \
             WHERE account_id = $1 AND terminated_at IS NULL",
        )
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        let closed = Closed {
            refresh_tokens,
            sponsorships: ended[0],
            enrolments: ended[1],
        };
        let detail = format!(
            "closed by the account holder; sessions ended; refresh tokens revoked: {}; \
             sponsorships ended: {}; enrolments ended: {}",
            closed.refresh_tokens, closed.sponsorships, closed.enrolments
        );
        self.audit
            .record_in(
                &mut tx,
                AuditEvent {
                    event: "account.closed",
                    actor: Some(account_id),
                    subject: Some(account_id),
                    source: Some(source),
                    detail: Some(&detail),
                    ..Default::default()
                },
            )
            .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(Some(closed))
    }
}
