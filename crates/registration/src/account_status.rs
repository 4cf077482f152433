//! What an administrator does to an account (never a secret shown but the one issued):
//! suspending or terminating ends every SSO session of the account at once and revokes all
//! its refresh tokens; reinstating lets it sign in again; termination is final. Also the
//! service desk's acts for a staff account, which the desk does not touch: a temporary
//! password, an unlock, the desk answers revealed. Each checked and audited here once, for
//! the admin API, the console and the CLI alike.

use crate::admin::{record, Actor, AdminError};
use crate::Registration;
use credential_store::{Account, AccountStatus, QuestionAnswer};
use platform::DbError;

/// A status change an administrator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Active (or locked) to suspended.
    Suspend,
    /// Suspended (or locked) to active.
    Reinstate,
    /// Anything but terminated to terminated, for good.
    Terminate,
}

impl StatusChange {
    /// From its name (`suspend`, `reinstate`, `terminate`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "suspend" => Some(Self::Suspend),
            "reinstate" => Some(Self::Reinstate),
            "terminate" => Some(Self::Terminate),
            _ => None,
        }
    }

    fn target(self) -> AccountStatus {
        match self {
            Self::Suspend => AccountStatus::Suspended,
            Self::Reinstate => AccountStatus::Active,
            Self::Terminate => AccountStatus::Terminated,
        }
    }

    fn event(self) -> &'static str {
        match self {
            Self::Suspend => "account.suspended",
            Self::Reinstate => "account.reinstated",
            Self::Terminate => "account.terminated",
        }
    }
}

/// What a status change did.
#[derive(Debug, Clone)]
pub struct StatusOutcome {
    /// The account as it is now.
    pub account: Account,
    /// False when it already had the status (nothing was done or recorded).
    pub changed: bool,
    /// Refresh tokens revoked.
    pub refresh_tokens_revoked: u64,
}

fn terminated() -> AdminError {
    AdminError::Conflict("the account is terminated; that is final".into())
}

impl Registration {
    /// The account named by `reference`: a login ID (it has an `@`) or an account id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_account(&self, reference: &str) -> Result<Account, AdminError> {
        let r = reference.trim();
        if r.is_empty() || r.len() > 254 {
            return Err(AdminError::NotFound("no such account".into()));
        }
        let found = if r.contains('@') {
            self.accounts.find_by_login_id(r).await?
        } else {
            self.accounts.find_by_id(r).await?
        };
        found.ok_or_else(|| AdminError::NotFound(format!("no account {r}")))
    }

    /// Suspends, reinstates or terminates an account. Suspending and terminating end its SSO
    /// sessions and revoke its refresh tokens; a terminated account stays terminated.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn change_status(
        &self,
        reference: &str,
        change: StatusChange,
        reason: Option<&str>,
        actor: Actor<'_>,
    ) -> Result<StatusOutcome, AdminError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 500 || r.chars().any(char::is_control)) {
            return Err(AdminError::invalid(
                "reason",
                "reason must be at most 500 characters, without control characters",
            ));
        }
        let account = self.find_account(reference).await?;
        let before = account.status;
        let target = change.target();
        if before == target {
            return Ok(StatusOutcome {
                account,
                changed: false,
                refresh_tokens_revoked: 0,
            });
        }
        if before == AccountStatus::Terminated {
            return Err(terminated());
        }
        self.accounts.set_status(&account.id, target).await?;
        let mut revoked = 0;
        if target != AccountStatus::Active {
            // Whoever holds a session or a refresh token of the account is out, on every
            // node: sessions end by the account's not-before time, refresh tokens by
            // revocation.
            self.accounts.end_sessions(&account.id).await?;
            let mut conn = self.db.pool().acquire().await.map_err(DbError::from)?;
            revoked = self.grants.0.revoke_all_in(&mut conn, &account.id).await?;
        }
        let mut detail = format!("status: {} -> {}", before.as_str(), target.as_str());
        if target != AccountStatus::Active {
            detail.push_str(&format!(
                "; sessions ended; refresh tokens revoked: {revoked}"
            ));
        }
        if let Some(r) = reason {
            detail.push_str(&format!("; reason: {r:?}"));
        }
        record(&self.audit, change.event(), actor, &account.id, &detail).await;
        let account = self.find_account(&account.id).await?;
        Ok(StatusOutcome {
            account,
            changed: true,
            refresh_tokens_revoked: revoked,
        })
    }

    /// Issues a temporary password to an account (shown once, changed at its next sign-in),
    /// as the service desk does for a clinician; the way a staff account, which the desk does
    /// not touch, gets one. Audited with the actor.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn issue_temporary_password(
        &self,
        reference: &str,
        actor: Actor<'_>,
    ) -> Result<(Account, String), AdminError> {
        let account = self.find_account(reference).await?;
        if account.status == AccountStatus::Terminated {
            return Err(terminated());
        }
        let password = self.accounts.issue_temporary_password(&account.id).await?;
        let detail = format!("login_id={} (shown once to the actor)", account.login_id);
        record(
            &self.audit,
            "account.temporary_password_issued",
            actor,
            &account.id,
            &detail,
        )
        .await;
        let account = self.find_account(&account.id).await?;
        Ok((account, password))
    }

    /// Lifts a lock (failures, or the status `locked`) from an active account, as the service
    /// desk does for a clinician; suspension and termination stay. False when it was not
    /// locked. Audited with the actor.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unlock(&self, reference: &str, actor: Actor<'_>) -> Result<bool, AdminError> {
        let account = self.find_account(reference).await?;
        let now = self.clock.now();
        let locked = account.status == AccountStatus::Locked
            || (account.status == AccountStatus::Active
                && account.locked_until.is_some_and(|t| t > now));
        if !locked {
            return Ok(false);
        }
        self.accounts
            .set_status(&account.id, AccountStatus::Active)
            .await?;
        let detail = format!("login_id={}", account.login_id);
        record(&self.audit, "account.unlocked", actor, &account.id, &detail).await;
        Ok(true)
    }

    /// The service-desk answers of an account, revealed to an administrator verifying a
    /// caller (for a staff account, which the desk does not touch). Audited with the actor.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reveal_desk_answers(
        &self,
        reference: &str,
        actor: Actor<'_>,
    ) -> Result<(Account, Vec<QuestionAnswer>), AdminError> {
        let account = self.find_account(reference).await?;
        let answers = self
            .accounts
            .reveal_desk_answers(&account.id)
            .await
            .map_err(|e| AdminError::Storage(e.to_string()))?;
        let detail = format!("login_id={}", account.login_id);
        record(
            &self.audit,
            "account.answers_revealed",
            actor,
            &account.id,
            &detail,
        )
        .await;
        Ok((account, answers))
    }
}
