//! Sponsoring and enrolling by an administrator (the CLI): what an LRA does at its console,
//! with the same rules (the organization may sponsor into the service; the person's level
//! meets the service's), in one transaction.

use super::{enrol_in, sponsor_in, Directory};
use crate::RegistrationError;
use platform::DbError;
use sqlx::Row;

/// Why an administrator's enrolment was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnrolRefusal {
    /// No such organization, or it is not active.
    #[error("no active organization {0:?}")]
    Organization(String),
    /// No such service.
    #[error("no service {0:?}")]
    Service(String),
    /// The organization may not sponsor people into the service.
    #[error("{org} may not sponsor people into {service} (oneid organizations allow-service {org} {service})")]
    NotAllowed {
        /// The organization.
        org: String,
        /// The service.
        service: String,
    },
    /// The account's level is below the service's minimum.
    #[error("{service} needs AL{need}; the account has AL{have}")]
    LevelTooLow {
        /// The service.
        service: String,
        /// Its minimum.
        need: i64,
        /// The account's.
        have: i64,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] RegistrationError),
}

impl From<DbError> for EnrolRefusal {
    fn from(e: DbError) -> Self {
        Self::Storage(e.into())
    }
}

impl Directory {
    /// Sponsors the account by `org` (unless it already does, keeping that sponsorship's
    /// history) and enrols it in `service`. Returns whether a new sponsorship began and
    /// whether the enrolment is new.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sponsor_and_enrol(
        &self,
        account_id: &str,
        org: &str,
        service: &str,
        by: &str,
    ) -> Result<(bool, bool), EnrolRefusal> {
        let o = self
            .organization(org)
            .await?
            .filter(|o| o.status == "active")
            .ok_or_else(|| EnrolRefusal::Organization(org.to_owned()))?;
        let s = self
            .service(service)
            .await?
            .ok_or_else(|| EnrolRefusal::Service(service.to_owned()))?;
        if !o.services.iter().any(|x| x == service) {
            return Err(EnrolRefusal::NotAllowed {
                org: org.to_owned(),
                service: service.to_owned(),
            });
        }
        let have = self
            .accounts
            .find_by_id(account_id)
            .await
            .map_err(RegistrationError::from)?
            .map_or(0, |a| a.assurance_level);
        if have < s.min_assurance_level {
            return Err(EnrolRefusal::LevelTooLow {
                service: s.name,
                need: s.min_assurance_level,
                have,
            });
        }
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let sponsored = sqlx::query(
            "SELECT COUNT(*) AS n FROM sponsorships WHERE account_id = $1 \
             AND organization_id = $2 AND status = 'active'",
        )
        .bind(account_id)
        .bind(org)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?
        .try_get::<i64, _>("n")
        .map_err(DbError::from)?
            > 0;
        if !sponsored {
            sponsor_in(&mut tx, account_id, org, None, by, now).await?;
        }
        let enrolled = sqlx::query(
            "SELECT COUNT(*) AS n FROM enrolments WHERE account_id = $1 AND service_id = $2 \
             AND sponsor_id = $3 AND status = 'active'",
        )
        .bind(account_id)
        .bind(service)
        .bind(org)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?
        .try_get::<i64, _>("n")
        .map_err(DbError::from)?
            > 0;
        if !enrolled {
            enrol_in(&mut tx, account_id, service, org, by, now).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok((!sponsored, !enrolled))
    }
}
