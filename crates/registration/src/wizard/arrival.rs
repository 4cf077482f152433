//! A registry's signed hand-off arriving at `/register`: refused, a member who has an account
//! already, a member whose registration the registry reported ended, or a new registration.

use crate::{Handoff, Registration, RegistrationError};
use credential_store::AccountStatus;

/// Where a verified hand-off leads.
#[derive(Debug)]
pub enum Arrival {
    /// No account and nothing against one: the wizard starts.
    New(Handoff),
    /// An account exists for this registration number or member.
    Existing {
        /// The hand-off.
        handoff: Handoff,
        /// The account.
        account_id: String,
        /// The account is terminated (it cannot be used or registered again).
        terminated: bool,
    },
    /// No account, but the registry reported the member's registration ended: no new one.
    ReportedTerminated(Handoff),
}

impl Arrival {
    /// The verified hand-off.
    pub fn handoff(&self) -> &Handoff {
        match self {
            Arrival::New(h) | Arrival::ReportedTerminated(h) => h,
            Arrival::Existing { handoff, .. } => handoff,
        }
    }
}

/// Why a hand-off leads nowhere.
#[derive(Debug, thiserror::Error)]
pub enum ArrivalError {
    /// The hand-off is refused: malformed, not signed by a live key of a known registry, not
    /// for us, expired, replayed, or from a registry not accepting registrations.
    #[error("hand-off refused: {0}")]
    Refused(RegistrationError),
    /// Storage failed.
    #[error(transparent)]
    Internal(RegistrationError),
}

impl Registration {
    /// Verifies the hand-off `token` (addressed to `issuer`, used once) and finds where it
    /// leads.
    #[tracing::instrument(skip_all)]
    pub async fn arrive(&self, issuer: &str, token: &str) -> Result<Arrival, ArrivalError> {
        let h = match self.verifier(issuer).accept_handoff(token).await {
            Ok(h) => h,
            Err(e @ RegistrationError::Db(_)) => return Err(ArrivalError::Internal(e)),
            Err(e) => return Err(ArrivalError::Refused(e)),
        };
        if let Some(account_id) = self.existing(&h).await.map_err(ArrivalError::Internal)? {
            let terminated = matches!(
                self.accounts.find_by_id(&account_id).await,
                Ok(Some(a)) if a.status == AccountStatus::Terminated
            );
            return Ok(Arrival::Existing {
                handoff: h,
                account_id,
                terminated,
            });
        }
        if self
            .reported_terminated(&h.registry_id, &h.member_id)
            .await
            .map_err(ArrivalError::Internal)?
        {
            return Ok(Arrival::ReportedTerminated(h));
        }
        Ok(Arrival::New(h))
    }
}
