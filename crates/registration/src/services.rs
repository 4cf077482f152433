//! Organizations (sponsors), services with a minimum level of assurance, and enrolments of
//! accounts into services through a sponsor (004 §5.6: registrants must be sponsored to be
//! enrolled in any application).

use crate::RegistrationError;
use platform::{DbError, SharedClock};
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
}

fn code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Directory {
    /// Over `db`.
    pub fn new(db: platform::Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// Adds an organization (or renames it when it exists).
    pub async fn put_organization(&self, id: &str, name: &str) -> Result<(), RegistrationError> {
        if !code_ok(id) {
            return Err(RegistrationError::Invalid("id"));
        }
        if name.trim().is_empty() || name.chars().count() > 200 {
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
    pub async fn put_service(&self, s: &Service) -> Result<(), RegistrationError> {
        if !code_ok(&s.id) {
            return Err(RegistrationError::Invalid("id"));
        }
        if s.name.trim().is_empty() || s.name.chars().count() > 200 {
            return Err(RegistrationError::Invalid("name"));
        }
        if !(1..=3).contains(&s.min_assurance_level) {
            return Err(RegistrationError::Invalid("min_assurance_level"));
        }
        if let Some(u) = &s.url {
            if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 500 {
                return Err(RegistrationError::Invalid("url"));
            }
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
