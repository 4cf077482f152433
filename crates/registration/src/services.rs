//! Organizations (sponsors), services with a minimum level of assurance, and enrolments of
//! accounts into services through a sponsor (004 §5.6: registrants must be sponsored to be
//! enrolled in any application).

mod admin;

use crate::RegistrationError;
pub use admin::EnrolRefusal;
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
    /// termination on (004 §5.3.3, §5.7.1); under a general approval it stays usable.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn access(
        &self,
        account_id: &str,
        service_id: &str,
    ) -> Result<Access, RegistrationError> {
        let r = sqlx::query(
            "SELECT s.name, s.min_assurance_level, \
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
              AS limited_elsewhere \
             FROM services s WHERE s.id = $2",
        )
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
        let level: i64 = r
            .try_get::<Option<i64>, _>("level")
            .map_err(DbError::from)?
            .unwrap_or(0);
        Ok(if enrolled == 0 || limited > 0 {
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

// ---------------------------------------------------------------- administration
//
// What the administrators' API and console read and change: an organization's whole record,
// its allowed services, its local registration authorities (the `lra` role scoped to it), and
// services one at a time.

/// The role of a local registration authority; its scope is an organization id.
pub const LRA_ROLE: &str = "lra";

/// What an organization's status may be.
pub const ORGANIZATION_STATUSES: &[&str] = &["active", "suspended", "terminated"];

/// An organization with everything an administrator sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganizationRecord {
    /// Short code.
    pub id: String,
    /// Name.
    pub name: String,
    /// `active` | `suspended` | `terminated`.
    pub status: String,
    /// A registering client organization with an approved managed registration process
    /// (004 §6).
    pub registering: bool,
    /// The level its affiliates are registered at (registering organizations).
    pub assurance_level: Option<i64>,
    /// Its unique identifier of a person, in words (e.g. "employee number").
    pub id_scheme: Option<String>,
    /// The scope of its approval, in words.
    pub scope: Option<String>,
    /// Services it may enrol its people into.
    pub services: Vec<String>,
    /// Created, unix seconds.
    pub created_at: i64,
}

/// Changes to an organization: `None` keeps a field; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChange {
    /// Name.
    pub name: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Registering.
    pub registering: Option<bool>,
    /// Level of assurance.
    pub assurance_level: Option<Option<i64>>,
    /// Identifier scheme.
    pub id_scheme: Option<Option<String>>,
    /// Approval scope.
    pub scope: Option<Option<String>>,
}

/// A local registration authority of an organization.
#[derive(Debug, Clone, Serialize)]
pub struct Lra {
    /// The account.
    pub account_id: String,
    /// Its login ID.
    pub login_id: String,
    /// Its preferred names.
    pub name: String,
    /// Its status.
    pub status: String,
    /// When the role was granted.
    pub granted_at: i64,
    /// Who granted it.
    pub granted_by: String,
}

pub(crate) fn short_text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// The first unacceptable field of an organization, if any.
fn organization_problem(o: &OrganizationRecord) -> Option<&'static str> {
    if !code_ok(&o.id) {
        return Some("id");
    }
    if !short_text_ok(&o.name, 200) {
        return Some("name");
    }
    if !ORGANIZATION_STATUSES.contains(&o.status.as_str()) {
        return Some("status");
    }
    if o.assurance_level.is_some_and(|l| !(1..=3).contains(&l)) {
        return Some("assurance_level");
    }
    if o.id_scheme
        .as_deref()
        .is_some_and(|s| !short_text_ok(s, 200))
    {
        return Some("id_scheme");
    }
    if o.scope.as_deref().is_some_and(|s| !short_text_ok(s, 500)) {
        return Some("scope");
    }
    // A managed registration process is reviewed and assigned a level, and ties people to the
    // account by its own identifier (004 §6.4.2, §6.5.6).
    if o.registering && (o.assurance_level.is_none() || o.id_scheme.is_none()) {
        return Some("registering");
    }
    None
}

/// The first unacceptable field of a service, if any (the rules of `put_service`).
fn service_problem(s: &Service) -> Option<&'static str> {
    if !code_ok(&s.id) {
        return Some("id");
    }
    if s.name.trim().is_empty() || s.name.chars().count() > 200 {
        return Some("name");
    }
    if !(1..=3).contains(&s.min_assurance_level) {
        return Some("min_assurance_level");
    }
    if let Some(u) = &s.url {
        if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 500 {
            return Some("url");
        }
    }
    None
}

fn clean(o: &mut OrganizationRecord) {
    o.name = o.name.trim().to_owned();
    for f in [&mut o.id_scheme, &mut o.scope] {
        *f = f
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    }
}

impl Directory {
    fn organization_from(r: &sqlx::any::AnyRow) -> Result<OrganizationRecord, sqlx::Error> {
        Ok(OrganizationRecord {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            status: r.try_get("status")?,
            registering: r.try_get::<i64, _>("registering")? != 0,
            assurance_level: r.try_get("assurance_level")?,
            id_scheme: r.try_get("id_scheme")?,
            scope: r.try_get("scope")?,
            services: Vec::new(),
            created_at: r.try_get("created_at")?,
        })
    }

    /// Every organization with its allowed services, by id (two queries).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn organization_records(&self) -> Result<Vec<OrganizationRecord>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT id, name, status, registering, assurance_level, id_scheme, scope, \
             created_at FROM organizations ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let mut out = rows
            .iter()
            .map(Self::organization_from)
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(DbError::from)?;
        let links = sqlx::query(
            "SELECT organization_id, service_id FROM sponsor_services \
             ORDER BY organization_id, service_id",
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        for l in &links {
            let org: String = l.try_get("organization_id").map_err(DbError::from)?;
            let svc: String = l.try_get("service_id").map_err(DbError::from)?;
            if let Some(o) = out.iter_mut().find(|o| o.id == org) {
                o.services.push(svc);
            }
        }
        Ok(out)
    }

    /// One organization with its allowed services.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn organization(
        &self,
        id: &str,
    ) -> Result<Option<OrganizationRecord>, RegistrationError> {
        let row = sqlx::query(
            "SELECT id, name, status, registering, assurance_level, id_scheme, scope, \
             created_at FROM organizations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut o = Self::organization_from(&row).map_err(DbError::from)?;
        let links = sqlx::query(
            "SELECT service_id FROM sponsor_services WHERE organization_id = $1 \
             ORDER BY service_id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        o.services = links
            .iter()
            .map(|r| r.try_get("service_id"))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(DbError::from)?;
        Ok(Some(o))
    }

    /// Adds an organization with its allowed services (which must exist), in one transaction.
    /// `created_at` is ignored; `Exists` when the id is taken.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_organization(
        &self,
        o: &OrganizationRecord,
    ) -> Result<OrganizationRecord, RegistrationError> {
        let mut o = o.clone();
        clean(&mut o);
        if let Some(f) = organization_problem(&o) {
            return Err(RegistrationError::Invalid(f));
        }
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let r = sqlx::query(
            "INSERT INTO organizations (id, name, created_at, status, registering, \
             assurance_level, id_scheme, scope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&o.id)
        .bind(&o.name)
        .bind(self.clock.now())
        .bind(&o.status)
        .bind(i64::from(o.registering))
        .bind(o.assurance_level)
        .bind(o.id_scheme.as_deref())
        .bind(o.scope.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => return Err(RegistrationError::Exists),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        let mut services = o.services.clone();
        services.sort();
        services.dedup();
        for s in &services {
            let found = sqlx::query("SELECT id FROM services WHERE id = $1")
                .bind(s)
                .fetch_optional(&mut *tx)
                .await
                .map_err(DbError::from)?;
            if found.is_none() {
                return Err(RegistrationError::UnknownService(s.clone()));
            }
            sqlx::query(
                "INSERT INTO sponsor_services (organization_id, service_id) VALUES ($1, $2)",
            )
            .bind(&o.id)
            .bind(s)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?;
        }
        tx.commit().await.map_err(DbError::from)?;
        self.organization(&o.id)
            .await?
            .ok_or_else(|| RegistrationError::UnknownOrganization(o.id.clone()))
    }

    /// Changes an organization (the fields given); returns it as it is now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_organization(
        &self,
        id: &str,
        c: OrganizationChange,
    ) -> Result<OrganizationRecord, RegistrationError> {
        let mut o = self
            .organization(id)
            .await?
            .ok_or_else(|| RegistrationError::UnknownOrganization(id.to_owned()))?;
        if let Some(v) = c.name {
            o.name = v;
        }
        if let Some(v) = c.status {
            o.status = v.trim().to_owned();
        }
        if let Some(v) = c.registering {
            o.registering = v;
        }
        if let Some(v) = c.assurance_level {
            o.assurance_level = v;
        }
        if let Some(v) = c.id_scheme {
            o.id_scheme = v;
        }
        if let Some(v) = c.scope {
            o.scope = v;
        }
        clean(&mut o);
        if let Some(f) = organization_problem(&o) {
            return Err(RegistrationError::Invalid(f));
        }
        sqlx::query(
            "UPDATE organizations SET name = $2, status = $3, registering = $4, \
             assurance_level = $5, id_scheme = $6, scope = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(&o.name)
        .bind(&o.status)
        .bind(i64::from(o.registering))
        .bind(o.assurance_level)
        .bind(o.id_scheme.as_deref())
        .bind(o.scope.as_deref())
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(o)
    }

    /// Allows an organization to enrol its people into a service (both must exist). Returns
    /// false when it already could.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn allow_service(
        &self,
        organization_id: &str,
        service_id: &str,
    ) -> Result<bool, RegistrationError> {
        if self.organization(organization_id).await?.is_none() {
            return Err(RegistrationError::UnknownOrganization(
                organization_id.to_owned(),
            ));
        }
        if self.service(service_id).await?.is_none() {
            return Err(RegistrationError::UnknownService(service_id.to_owned()));
        }
        let r = sqlx::query(
            "INSERT INTO sponsor_services (organization_id, service_id) VALUES ($1, $2)",
        )
        .bind(organization_id)
        .bind(service_id)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Stops an organization enrolling people into a service (enrolments made stay). Returns
    /// false when it could not anyway.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn disallow_service(
        &self,
        organization_id: &str,
        service_id: &str,
    ) -> Result<bool, RegistrationError> {
        let r = sqlx::query(
            "DELETE FROM sponsor_services WHERE organization_id = $1 AND service_id = $2",
        )
        .bind(organization_id)
        .bind(service_id)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(r.rows_affected() > 0)
    }

    /// One service.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn service(&self, id: &str) -> Result<Option<Service>, RegistrationError> {
        let r =
            sqlx::query("SELECT id, name, url, min_assurance_level FROM services WHERE id = $1")
                .bind(id)
                .fetch_optional(self.db.pool())
                .await
                .map_err(DbError::from)?;
        r.map(|r| {
            Ok(Service {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                url: r.try_get("url")?,
                min_assurance_level: r.try_get("min_assurance_level")?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| DbError::from(e).into())
    }

    /// Adds a service; `Exists` when the id is taken (`put_service` adds or changes).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_service(&self, s: &Service) -> Result<(), RegistrationError> {
        if let Some(f) = service_problem(s) {
            return Err(RegistrationError::Invalid(f));
        }
        let r = sqlx::query(
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
        .map_err(DbError::from);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.is_unique_violation() => Err(RegistrationError::Exists),
            Err(e) => Err(e.into()),
        }
    }

    /// The local registration authorities of an organization, by name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn lras(&self, organization_id: &str) -> Result<Vec<Lra>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT r.account_id, r.granted_at, r.granted_by, a.login_id, a.given_name, \
             a.family_name, a.status FROM account_roles r JOIN accounts a ON a.id = r.account_id \
             WHERE r.role = $1 AND r.scope = $2 ORDER BY a.family_name, a.given_name, a.login_id",
        )
        .bind(LRA_ROLE)
        .bind(organization_id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        rows.iter()
            .map(|r| {
                let given: String = r.try_get("given_name")?;
                let family: String = r.try_get("family_name")?;
                Ok(Lra {
                    account_id: r.try_get("account_id")?,
                    login_id: r.try_get("login_id")?,
                    name: format!("{given} {family}"),
                    status: r.try_get("status")?,
                    granted_at: r.try_get("granted_at")?,
                    granted_by: r.try_get("granted_by")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// Makes an account a local registration authority of an organization (which must exist).
    /// Returns false when it already was.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grant_lra(
        &self,
        organization_id: &str,
        account_id: &str,
        by: &str,
    ) -> Result<bool, RegistrationError> {
        if self.organization(organization_id).await?.is_none() {
            return Err(RegistrationError::UnknownOrganization(
                organization_id.to_owned(),
            ));
        }
        Ok(self
            .accounts
            .grant_scoped_role(account_id, LRA_ROLE, organization_id, by)
            .await?)
    }

    /// Ends an account's registration authority for an organization. Returns false when it
    /// held none.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_lra(
        &self,
        organization_id: &str,
        account_id: &str,
    ) -> Result<bool, RegistrationError> {
        Ok(self
            .accounts
            .revoke_role(account_id, LRA_ROLE, organization_id)
            .await?)
    }

    /// Every role an account holds, with its scope (`""`: everywhere), by role.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn roles_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<(String, String)>, RegistrationError> {
        Ok(self.accounts.roles(account_id).await?)
    }
}

#[cfg(test)]
mod admin_tests {
    use super::*;

    fn org() -> OrganizationRecord {
        OrganizationRecord {
            id: "uhn".into(),
            name: "University Health Network".into(),
            status: "active".into(),
            registering: false,
            assurance_level: None,
            id_scheme: None,
            scope: None,
            services: Vec::new(),
            created_at: 0,
        }
    }

    #[test]
    fn organizations_are_checked_field_by_field() {
        assert_eq!(organization_problem(&org()), None);
        let bad = |f: fn(&mut OrganizationRecord)| {
            let mut o = org();
            f(&mut o);
            organization_problem(&o)
        };
        assert_eq!(bad(|o| o.id = "a b".into()), Some("id"));
        assert_eq!(bad(|o| o.name = " ".into()), Some("name"));
        assert_eq!(bad(|o| o.status = "gone".into()), Some("status"));
        assert_eq!(
            bad(|o| o.assurance_level = Some(4)),
            Some("assurance_level")
        );
        assert_eq!(bad(|o| o.scope = Some("a\u{7}".into())), Some("scope"));
        // A registering organization needs its level and its identifier scheme.
        assert_eq!(bad(|o| o.registering = true), Some("registering"));
        assert_eq!(
            bad(|o| {
                o.registering = true;
                o.assurance_level = Some(2);
                o.id_scheme = Some("employee number".into());
            }),
            None
        );
    }
}
