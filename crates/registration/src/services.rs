//! Organizations (sponsors), services with a minimum level of assurance, and enrolments of
//! accounts into services through a sponsor (004 §5.6: registrants must be sponsored to be
//! enrolled in any application).

/// The gate's question (whether an account may use a service now): asked on every
/// authorization and refresh, so prepared on every new PostgreSQL connection.
pub const ACCESS_SQL: &str = "SELECT s.name, s.min_assurance_level, \
      (SELECT a.assurance_level FROM accounts a WHERE a.id = $1) AS level, \
      (SELECT COUNT(*) FROM enrolments e JOIN sponsorships sp \
         ON sp.account_id = e.account_id AND sp.organization_id = e.sponsor_id \
         AND sp.status = 'active' \
       JOIN organizations o ON o.id = sp.organization_id AND o.status = 'active' \
       WHERE e.account_id = $1 AND e.service_id = s.id AND e.status = 'active') AS enrolled, \
      (SELECT COUNT(*) FROM registry_members rm \
       LEFT JOIN registries r ON r.id = rm.registry_id \
       WHERE rm.account_id = $1 AND rm.approval = 'limited' AND (r.id IS NULL \
         OR (r.status = 'terminated' AND r.status_changed_at <= $3) \
         OR (r.approved_from IS NOT NULL AND r.approved_from > $3) \
         OR (r.approved_until IS NOT NULL AND r.approved_until < $3) \
         OR NOT EXISTS (SELECT 1 FROM registry_services rs \
           WHERE rs.registry_id = rm.registry_id AND rs.service_id = s.id))) \
       AS limited_elsewhere, \
      (SELECT COUNT(*) FROM sponsorships sv \
       JOIN process_approvals pa ON pa.organization_id = sv.organization_id \
       WHERE sv.account_id = $1 AND sv.member_id IS NOT NULL AND pa.approval = 'limited' \
       AND ((pa.status = 'terminated' AND pa.status_from <= $3) \
         OR (pa.approved_from IS NOT NULL AND pa.approved_from > $3) \
         OR (pa.approved_until IS NOT NULL AND pa.approved_until < $3) \
         OR NOT EXISTS (SELECT 1 FROM process_services ps \
           WHERE ps.organization_id = pa.organization_id AND ps.service_id = s.id))) \
       AS process_limited \
      FROM services s WHERE s.id = $2";

mod admin;
mod records;

use crate::RegistrationError;
pub use admin::EnrolRefusal;
use platform::{DbError, SharedClock};
use records::service_problem;
pub use records::*;
use serde::Serialize;
use sqlx::Row;

/// A sponsor.
#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    /// Short code.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A clinical service (one or more relying parties).
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// Short code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Where a person starts using it.
    pub url: Option<String>,
    /// Lowest level of assurance admitted.
    pub min_assurance_level: i64,
}

/// An account's enrolment.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The service.
    pub service: Service,
    /// Through which sponsor.
    pub sponsor_id: String,
    /// `active` | `ended`.
    pub status: String,
    /// Who authorized it.
    pub authorized_by: String,
    /// When.
    pub authorized_at: i64,
}

/// Organizations, services and enrolments.
#[derive(Debug, Clone)]
pub struct Directory {
    db: platform::Db,
    clock: SharedClock,
    /// Roles (the LRA's) are the credential store's to grant.
    accounts: credential_store::Accounts,
}

pub(crate) fn code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Directory {
    /// Over `db`; roles through `accounts`.
    pub fn new(db: platform::Db, clock: SharedClock, accounts: credential_store::Accounts) -> Self {
        Self {
            db,
            clock,
            accounts,
        }
    }

    /// Adds an organization (or renames it when it exists).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn put_organization(&self, id: &str, name: &str) -> Result<(), RegistrationError> {
        if !code_ok(id) {
            return Err(RegistrationError::Invalid("id"));
        }
        if !short_text_ok(name, 200) {
            return Err(RegistrationError::Invalid("name"));
        }
        let r = sqlx::query("UPDATE organizations SET name = $2 WHERE id = $1")
            .bind(id)
            .bind(name.trim())
            .execute(self.db.pool())
            .await
            .map_err(DbError::from)?;
        if r.rows_affected() == 0 {
            sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(name.trim())
                .bind(self.clock.now())
                .execute(self.db.pool())
                .await
                .map_err(DbError::from)?;
        }
        Ok(())
    }

    /// Every organization.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn organizations(&self) -> Result<Vec<Organization>, RegistrationError> {
        let rows = sqlx::query("SELECT id, name FROM organizations ORDER BY id")
            .fetch_all(self.db.pool())
            .await
            .map_err(DbError::from)?;
        rows.iter()
            .map(|r| {
                Ok(Organization {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// Adds a service (or updates it when it exists).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn put_service(&self, s: &Service) -> Result<(), RegistrationError> {
        if let Some(f) = service_problem(s) {
            return Err(RegistrationError::Invalid(f));
        }
        let r = sqlx::query(
            "UPDATE services SET name = $2, url = $3, min_assurance_level = $4 WHERE id = $1",
        )
        .bind(&s.id)
        .bind(s.name.trim())
        .bind(s.url.as_deref())
        .bind(s.min_assurance_level)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        if r.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO services (id, name, url, min_assurance_level, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&s.id)
            .bind(s.name.trim())
            .bind(s.url.as_deref())
            .bind(s.min_assurance_level)
            .bind(self.clock.now())
            .execute(self.db.pool())
            .await
            .map_err(DbError::from)?;
        }
        Ok(())
    }

    /// Every service.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn services(&self) -> Result<Vec<Service>, RegistrationError> {
        let rows =
            sqlx::query("SELECT id, name, url, min_assurance_level FROM services ORDER BY id")
                .fetch_all(self.db.pool())
                .await
                .map_err(DbError::from)?;
        rows.iter()
            .map(|r| {
                Ok(Service {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    url: r.try_get("url")?,
                    min_assurance_level: r.try_get("min_assurance_level")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// The account's active enrolments.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enrolments(&self, account_id: &str) -> Result<Vec<Enrolment>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.url, s.min_assurance_level, e.sponsor_id, e.status, \
             e.authorized_by, e.authorized_at FROM enrolments e JOIN services s \
             ON s.id = e.service_id WHERE e.account_id = $1 AND e.status = 'active' \
             ORDER BY s.name",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        rows.iter()
            .map(|r| {
                Ok(Enrolment {
                    service: Service {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        url: r.try_get("url")?,
                        min_assurance_level: r.try_get("min_assurance_level")?,
                    },
                    sponsor_id: r.try_get("sponsor_id")?,
                    status: r.try_get("status")?,
                    authorized_by: r.try_get("authorized_by")?,
                    authorized_at: r.try_get("authorized_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// Enrols an account (outside any registration): active from now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enrol(
        &self,
        account_id: &str,
        service_id: &str,
        sponsor_id: &str,
        by: &str,
    ) -> Result<(), RegistrationError> {
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        enrol_in(
            &mut tx,
            account_id,
            service_id,
            sponsor_id,
            by,
            self.clock.now(),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}

/// Enrols inside a transaction (re-activates an ended enrolment).
pub(crate) async fn enrol_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    service_id: &str,
    sponsor_id: &str,
    by: &str,
    now: i64,
) -> Result<(), RegistrationError> {
    let r = sqlx::query(
        "UPDATE enrolments SET status = 'active', authorized_by = $4, authorized_at = $5, \
         ended_at = NULL WHERE account_id = $1 AND service_id = $2 AND sponsor_id = $3",
    )
    .bind(account_id)
    .bind(service_id)
    .bind(sponsor_id)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(DbError::from)?;
    if r.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO enrolments (account_id, service_id, sponsor_id, status, authorized_by, \
             authorized_at) VALUES ($1, $2, $3, 'active', $4, $5)",
        )
        .bind(account_id)
        .bind(service_id)
        .bind(sponsor_id)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(DbError::from)?;
    }
    Ok(())
}

/// Whether an account may use a service now (the gate at authorization and refresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Enrolled through an active sponsorship, at or above the service's level.
    Allowed,
    /// Not enrolled in the service (or only through an ended sponsorship, or its identity
    /// comes from a registry with a limited approval: for other services only, or no longer,
    /// once the registry is terminated or outside its approval's dates).
    NotEnrolled {
        /// The service's name.
        service: String,
    },
    /// Enrolled, but the account's level of assurance is below the service's minimum.
    LevelTooLow {
        /// The service's name.
        service: String,
        /// The minimum.
        need: i64,
        /// The account's.
        have: i64,
    },
    /// The relying party names a service that does not exist: nobody gets in.
    UnknownService,
}

impl Directory {
    /// The gate: may the account (at its current level of assurance) use `service_id`? One
    /// query, so a change of enrolment or level takes effect at the next authorization.
    ///
    /// An identity a registry validated under a limited approval is usable only for that
    /// registry's services, only inside its approval's dates, and not from the registry's
    /// termination on (004 §5.3.3, §5.7.1); under a general approval it stays usable. The same
    /// holds for an identity a registering organization's managed process validated (its
    /// sponsorship carries the organization's identifier of the person; 004 §6.3.3, §6.7.1).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn access(
        &self,
        account_id: &str,
        service_id: &str,
    ) -> Result<Access, RegistrationError> {
        let r = sqlx::query(ACCESS_SQL)
            .bind(account_id)
            .bind(service_id)
            .bind(self.clock.now())
            .fetch_optional(self.db.pool())
            .await
            .map_err(DbError::from)?;
        let Some(r) = r else {
            return Ok(Access::UnknownService);
        };
        let name: String = r.try_get("name").map_err(DbError::from)?;
        let need: i64 = r.try_get("min_assurance_level").map_err(DbError::from)?;
        let enrolled: i64 = r.try_get("enrolled").map_err(DbError::from)?;
        let limited: i64 = r.try_get("limited_elsewhere").map_err(DbError::from)?;
        let process_limited: i64 = r.try_get("process_limited").map_err(DbError::from)?;
        let level: i64 = r
            .try_get::<Option<i64>, _>("level")
            .map_err(DbError::from)?
            .unwrap_or(0);
        Ok(if enrolled == 0 || limited > 0 || process_limited > 0 {
            Access::NotEnrolled { service: name }
        } else if level < need {
            Access::LevelTooLow {
                service: name,
                need,
                have: level,
            }
        } else {
            Access::Allowed
        })
    }

    /// Starts (or re-activates) a sponsorship of an account by an organization.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sponsor(
        &self,
        account_id: &str,
        organization_id: &str,
        member_id: Option<&str>,
        by: &str,
    ) -> Result<(), RegistrationError> {
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        sponsor_in(
            &mut tx,
            account_id,
            organization_id,
            member_id,
            by,
            self.clock.now(),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    /// Ends a sponsorship and every enrolment made through it. Returns false when there was
    /// no active sponsorship.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_sponsorship(
        &self,
        account_id: &str,
        organization_id: &str,
    ) -> Result<bool, RegistrationError> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let r = sqlx::query(
            "UPDATE sponsorships SET status = 'ended', ended_at = $3 WHERE account_id = $1 \
             AND organization_id = $2 AND status = 'active'",
        )
        .bind(account_id)
        .bind(organization_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        sqlx::query(
            "UPDATE enrolments SET status = 'ended', ended_at = $3 WHERE account_id = $1 \
             AND sponsor_id = $2 AND status = 'active'",
        )
        .bind(account_id)
        .bind(organization_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(r.rows_affected() > 0)
    }

    /// Ends one enrolment. Returns false when it was not active.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_enrolment(
        &self,
        account_id: &str,
        service_id: &str,
        sponsor_id: &str,
    ) -> Result<bool, RegistrationError> {
        let r = sqlx::query(
            "UPDATE enrolments SET status = 'ended', ended_at = $4 WHERE account_id = $1 \
             AND service_id = $2 AND sponsor_id = $3 AND status = 'active'",
        )
        .bind(account_id)
        .bind(service_id)
        .bind(sponsor_id)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(r.rows_affected() > 0)
    }
}

/// Starts (or re-activates) a sponsorship inside a transaction.
pub(crate) async fn sponsor_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    organization_id: &str,
    member_id: Option<&str>,
    by: &str,
    now: i64,
) -> Result<(), RegistrationError> {
    let r = sqlx::query(
        "UPDATE sponsorships SET status = 'active', member_id = COALESCE($3, member_id), \
         authorized_by = $4, started_at = $5, ended_at = NULL \
         WHERE account_id = $1 AND organization_id = $2",
    )
    .bind(account_id)
    .bind(organization_id)
    .bind(member_id)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(DbError::from)?;
    if r.rows_affected() == 0 {
        let r = sqlx::query(
            "INSERT INTO sponsorships (account_id, organization_id, member_id, status, \
             authorized_by, started_at) VALUES ($1, $2, $3, 'active', $4, $5)",
        )
        .bind(account_id)
        .bind(organization_id)
        .bind(member_id)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => return Err(RegistrationError::Exists),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
    }
    Ok(())
}
