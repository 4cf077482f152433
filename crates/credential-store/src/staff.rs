//! Rules about staff accounts that the person-facing pages apply: the service desk acts on
//! clinicians only (never on a staff account, an administrator's job, nor on the agent's own)
//! and lifts locks only; a staff account keeps a second factor.

use crate::{Account, AccountStatus, Accounts, CredentialError};

/// Why the service desk does not act on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskRefusal {
    /// The agent's own account.
    OwnAccount,
    /// A staff account: an administrator's job.
    StaffAccount,
}

impl DeskRefusal {
    /// For the audit: the target refused.
    pub fn target(self) -> &'static str {
        match self {
            DeskRefusal::OwnAccount => "own account",
            DeskRefusal::StaffAccount => "staff account",
        }
    }
}

impl Accounts {
    /// Why the desk agent `agent_id` may not act on `target`, if they may not.
    pub async fn desk_refusal(
        &self,
        agent_id: &str,
        target: &Account,
    ) -> Result<Option<DeskRefusal>, CredentialError> {
        if target.id == agent_id {
            return Ok(Some(DeskRefusal::OwnAccount));
        }
        Ok(self
            .is_staff(&target.id)
            .await?
            .then_some(DeskRefusal::StaffAccount))
    }

    /// The desk lifts a lock (failures or its own); suspension and termination are decisions
    /// of a sponsor or an administrator and stay. True when `target` is active now.
    pub async fn desk_unlock(&self, target: &Account) -> Result<bool, CredentialError> {
        if !matches!(target.status, AccountStatus::Active | AccountStatus::Locked) {
            return Ok(false);
        }
        self.set_status(&target.id, AccountStatus::Active).await?;
        Ok(true)
    }

    /// True when a change would leave the staff account `account_id` with no second factor
    /// (`app_or_passkey`, `phones`: whether it would still have an authenticator app or a
    /// passkey, and a phone, after the change): a staff account keeps one, so that it is
    /// never back to a password alone.
    pub async fn leaves_staff_without_factor(
        &self,
        account_id: &str,
        app_or_passkey: bool,
        phones: bool,
    ) -> Result<bool, CredentialError> {
        if app_or_passkey || phones {
            return Ok(false);
        }
        self.is_staff(account_id).await
    }
}
