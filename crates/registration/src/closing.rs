//! An account holder ends their own registration (004 §5.7.2, §6.7.2: "Registration in ONE ID
//! may be terminated by the Registrant"). In one transaction the account is terminated (it can
//! no longer sign in, and every SSO session begun so far ends), its refresh tokens are revoked,
//! its sponsorships and enrolments end, and a registry record notes the termination date. Nothing
//! is deleted: the account row, its evidence, its history and the audit trail stay for audit.
//! A registry that subscribes to the termination feed gets a notice (written in the same
//! transaction, delivered by `authorization_server::feeds`).

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
        let Some(refresh_tokens) = self.end_account_in(&mut tx, account_id).await? else {
            tx.rollback().await.map_err(DbError::from)?;
            return Ok(None);
        };
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
        // Registries that subscribe to the termination feed are told (delivered later, with
        // retries, by `authorization_server::feeds`).
        sqlx::query(
            "INSERT INTO registry_notices (id, registry_id, member_id, reason, created_at, \
             next_attempt_at) SELECT m.registry_id || ':' || m.member_id || ':' || $2, \
             m.registry_id, m.member_id, 'closed_by_registrant', $2, $2 \
             FROM registry_members m JOIN registry_feeds f ON f.registry_id = m.registry_id \
             WHERE m.account_id = $1 AND m.terminated_at IS NULL",
        )
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
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

/// A registry's subscription to the termination feed.
impl Registration {
    /// Subscribes registry `id` to the termination feed at `url` (`https://`, or `http://` to a
    /// loopback address), or unsubscribes it (`None`). Audited `registry.feed_set`.
    pub async fn set_registry_feed(
        &self,
        id: &str,
        url: Option<&str>,
        actor: crate::Actor<'_>,
    ) -> Result<(), crate::AdminError> {
        let st = |e: sqlx::Error| crate::AdminError::Storage(e.to_string());
        if self
            .registries
            .get(id)
            .await
            .map_err(crate::registries::refused)?
            .is_none()
        {
            return Err(crate::registries::not_found());
        }
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        if let Some(u) = url {
            let ok = url::Url::parse(u).ok().is_some_and(|p| match p.scheme() {
                "https" => p.host_str().is_some(),
                "http" => matches!(p.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
                _ => false,
            });
            if !ok || u.len() > 500 {
                return Err(crate::AdminError::invalid(
                    "url",
                    "url must be an https:// URL (http:// only to a loopback address)",
                ));
            }
        }
        sqlx::query("DELETE FROM registry_feeds WHERE registry_id = $1")
            .bind(id)
            .execute(self.db.pool())
            .await
            .map_err(st)?;
        if let Some(u) = url {
            sqlx::query(
                "INSERT INTO registry_feeds (registry_id, url, created_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(u)
            .bind(self.clock.now())
            .execute(self.db.pool())
            .await
            .map_err(st)?;
        }
        let detail = format!("termination feed: {}", url.unwrap_or("-"));
        crate::admin::record(&self.audit, "registry.feed_set", actor, id, &detail).await;
        Ok(())
    }
}
