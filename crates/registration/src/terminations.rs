//! Registrations a registry reports as deleted or terminated (004 §5.7.2). Every reported
//! member is remembered by registry and member identifier, account or not, so neither a later
//! hand-off nor a wizard finished after the report can register them; the account registered
//! for a reported member is terminated the way an administrator terminates one (status,
//! sessions, refresh tokens), with the registry record's termination date and the audit row,
//! all in one transaction.

use crate::{Registration, RegistrationError, Terminations};
use credential_store::AccountStatus;
use platform::DbError;
use sqlx::Row;

impl Registration {
    /// Terminates the accounts a registry reports as deleted or terminated registrations:
    /// each one's status, SSO sessions and refresh tokens end, audited `account.terminated`
    /// with `actor`. Members without an account are remembered all the same.
    pub async fn terminate_members(
        &self,
        registry_id: &str,
        member_ids: &[String],
        actor: &str,
    ) -> Result<Terminations, RegistrationError> {
        self.registries
            .get(registry_id)
            .await?
            .ok_or(RegistrationError::NotFound)?;
        // Remembered first, looked up after: a registration completing meanwhile reads the
        // reports after it commits, so either it sees this report or this sees its account.
        let now = self.clock.now();
        for m in member_ids {
            sqlx::query(
                "INSERT INTO registry_terminations (registry_id, member_id, reported_at, \
                 reported_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (registry_id, member_id) DO NOTHING",
            )
            .bind(registry_id)
            .bind(m)
            .bind(now)
            .bind(actor)
            .execute(self.db.pool())
            .await
            .map_err(DbError::from)?;
        }
        let mut out = Terminations::default();
        for m in member_ids {
            let r = sqlx::query(
                "SELECT account_id FROM registry_members WHERE registry_id = $1 AND member_id = $2",
            )
            .bind(registry_id)
            .bind(m)
            .fetch_optional(self.db.pool())
            .await
            .map_err(DbError::from)?;
            let Some(r) = r else {
                out.unknown.push(m.clone());
                continue;
            };
            let account: String = r.try_get("account_id").map_err(DbError::from)?;
            if self
                .terminate_account(&account, registry_id, m, actor)
                .await?
            {
                out.terminated.push(m.clone());
            } else {
                out.already.push(m.clone());
            }
        }
        Ok(out)
    }

    /// Whether the registry reported this member's registration deleted or terminated.
    pub async fn reported_terminated(
        &self,
        registry_id: &str,
        member_id: &str,
    ) -> Result<bool, RegistrationError> {
        let r = sqlx::query(
            "SELECT reported_at FROM registry_terminations WHERE registry_id = $1 \
             AND member_id = $2",
        )
        .bind(registry_id)
        .bind(member_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(r.is_some())
    }

    /// Terminates one reported member's account in one transaction: its status, its SSO
    /// sessions (by the account's not-before time), its refresh tokens, the registry record's
    /// termination date and the audit row. False when it was terminated already (then nothing
    /// is audited again). The statements are written here, not through `Accounts`, so that
    /// all of it commits or none does.
    pub(crate) async fn terminate_account(
        &self,
        account_id: &str,
        registry_id: &str,
        member_id: &str,
        actor: &str,
    ) -> Result<bool, RegistrationError> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let changed = sqlx::query(
            "UPDATE accounts SET status = $2, sessions_not_before = $3, updated_at = $4 \
             WHERE id = $1 AND status <> $2",
        )
        .bind(account_id)
        .bind(AccountStatus::Terminated.as_str())
        // Sessions begun in this very second end too: times are whole seconds.
        .bind(now + 1)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?
        .rows_affected();
        sqlx::query(
            "UPDATE registry_members SET terminated_at = $3 WHERE registry_id = $1 \
             AND member_id = $2 AND terminated_at IS NULL",
        )
        .bind(registry_id)
        .bind(member_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if changed == 0 {
            tx.commit().await.map_err(DbError::from)?;
            return Ok(false);
        }
        let revoked = sqlx::query(
            "UPDATE refresh_tokens SET revoked = 1 WHERE account_id = $1 AND revoked = 0",
        )
        .bind(account_id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?
        .rows_affected();
        let detail = format!(
            "registry={registry_id} member={member_id} reported terminated; sessions ended; \
             refresh tokens revoked: {revoked}"
        );
        sqlx::query(
            "INSERT INTO audit_log (at, event, actor, subject, detail) \
             VALUES ($1, 'account.terminated', $2, $3, $4)",
        )
        .bind(now)
        .bind(actor)
        .bind(account_id)
        .bind(&detail)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(true)
    }
}
