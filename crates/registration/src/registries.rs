//! Trusted registries (a medical college's member list, 004 §5): who runs them, the level of
//! assurance they were assigned after review, their approval (general, or limited to some
//! services and/or a time window), their status, the keys they sign hand-offs with, and the
//! sponsor and services their members are enrolled in.

use crate::RegistrationError;
use platform::{DbError, SharedClock};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

mod administer;
mod eligibility;
mod input;
mod keys;
mod reports;
mod sponsor;

pub use administer::{
    changes, member_list, not_found, refused, summary, DEFAULT_OVERLAP_SECS, MAX_MEMBERS,
    MAX_OVERLAP_SECS,
};
pub use input::{KeyInput, MembersInput, RegistryInput, RegistryPatch};
pub use keys::{verifier, RegistryKey};
pub use reports::ReportError;

/// Whether a registry may send new registrants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryStatus {
    /// Approved: accepts new registrants.
    Approved,
    /// Suspended: no new registrants until reinstated.
    Suspended,
    /// Terminated for good, from `status_changed_at`.
    Terminated,
}

impl RegistryStatus {
    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "suspended" => Self::Suspended,
            _ => Self::Terminated,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
        }
    }
}

/// General approval, or limited to the registry's services and an optional time window (004
/// §5.3.3: identities from a limited approval are used for nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// Any service.
    General,
    /// Only the registry's services, only inside the window.
    Limited,
}

impl Approval {
    /// Parses `general` | `limited`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "general" => Some(Self::General),
            "limited" => Some(Self::Limited),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Limited => "limited",
        }
    }
}

/// A registry.
#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    /// Short code; the `iss` of its hand-offs.
    pub id: String,
    /// Name.
    pub name: String,
    /// Who owns it.
    pub owner: String,
    /// Whom to contact.
    pub contact: String,
    /// The regulatory college whose registration numbers it vouches for (e.g. `CPSO`).
    pub college: String,
    /// Its unique identifier scheme, in words.
    pub id_scheme: String,
    /// Level of assurance its members get, 1..=3.
    pub assurance_level: i64,
    /// General or limited.
    pub approval: Approval,
    /// Limited approval: not before (unix seconds).
    pub approved_from: Option<i64>,
    /// Limited approval: not after (unix seconds).
    pub approved_until: Option<i64>,
    /// Status.
    pub status: RegistryStatus,
    /// When the status last changed (for `Terminated`, the termination date).
    pub status_changed_at: i64,
    /// Organization that sponsors its members.
    pub sponsor_id: Option<String>,
    /// Services its members are enrolled in on registration.
    pub services: Vec<String>,
    /// Registration classes admitted to self-registration (empty: every class).
    pub eligible_classes: Vec<String>,
    /// Created.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
}

impl Registry {
    /// Whether it accepts a new registrant at `now`: approved, inside a limited window, and
    /// with a sponsor named (a registry left without one by an older version admits no one
    /// until an administrator names one).
    pub fn accepts_at(&self, now: i64) -> Result<(), RegistrationError> {
        if self.sponsor_id.is_none() {
            return Err(RegistrationError::NoSponsor);
        }
        match self.status {
            RegistryStatus::Suspended => return Err(RegistrationError::RegistrySuspended),
            RegistryStatus::Terminated => return Err(RegistrationError::RegistryTerminated),
            RegistryStatus::Approved => {}
        }
        if self.approval == Approval::Limited
            && (self.approved_from.is_some_and(|f| now < f)
                || self.approved_until.is_some_and(|u| now > u))
        {
            return Err(RegistrationError::OutsideApproval);
        }
        Ok(())
    }
}

/// What is needed to add a registry.
#[derive(Debug, Clone, Default)]
pub struct NewRegistry {
    /// Short code (letters, digits, `-`, `_`; at most 64).
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// Contact.
    pub contact: String,
    /// College code.
    pub college: String,
    /// Identifier scheme in words (default "college + registration number").
    pub id_scheme: Option<String>,
    /// Level 1..=3.
    pub assurance_level: i64,
    /// `general` (default) or `limited`.
    pub approval: Option<Approval>,
    /// Limited window start.
    pub approved_from: Option<i64>,
    /// Limited window end.
    pub approved_until: Option<i64>,
    /// Sponsor organization id (must exist).
    pub sponsor_id: Option<String>,
    /// Default services (must exist).
    pub services: Vec<String>,
    /// Registration classes admitted (empty: every class).
    pub eligible_classes: Vec<String>,
}

/// Changes to a registry (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct RegistryUpdate {
    /// Name.
    pub name: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Contact.
    pub contact: Option<String>,
    /// Level.
    pub assurance_level: Option<i64>,
    /// Approval.
    pub approval: Option<Approval>,
    /// Window start (`Some(None)` clears).
    pub approved_from: Option<Option<i64>>,
    /// Window end (`Some(None)` clears).
    pub approved_until: Option<Option<i64>>,
    /// Sponsor (`Some(None)` clears).
    pub sponsor_id: Option<Option<String>>,
    /// Services (replaces the list).
    pub services: Option<Vec<String>>,
    /// Registration classes admitted (replaces the list; empty: every class).
    pub eligible_classes: Option<Vec<String>>,
}

use crate::services::{code_ok as valid_code, short_text_ok as valid_text};

const COLUMNS: &str = "id, name, owner, contact, college, id_scheme, assurance_level, approval, \
    approved_from, approved_until, status, status_changed_at, sponsor_id, created_at, updated_at";

fn row(r: &AnyRow) -> Result<Registry, sqlx::Error> {
    Ok(Registry {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        owner: r.try_get("owner")?,
        contact: r.try_get("contact")?,
        college: r.try_get("college")?,
        id_scheme: r.try_get("id_scheme")?,
        assurance_level: r.try_get("assurance_level")?,
        approval: Approval::parse(&r.try_get::<String, _>("approval")?)
            .unwrap_or(Approval::Limited),
        approved_from: r.try_get("approved_from")?,
        approved_until: r.try_get("approved_until")?,
        status: RegistryStatus::parse(&r.try_get::<String, _>("status")?),
        status_changed_at: r.try_get("status_changed_at")?,
        sponsor_id: r.try_get("sponsor_id")?,
        services: Vec::new(),
        eligible_classes: Vec::new(),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The registries, in the durable store.
#[derive(Debug, Clone)]
pub struct Registries {
    db: platform::Db,
    clock: SharedClock,
}

impl Registries {
    /// Over `db`.
    pub fn new(db: platform::Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    async fn check_refs(
        &self,
        sponsor: Option<&str>,
        services: &[String],
    ) -> Result<(), RegistrationError> {
        let Some(s) = sponsor.filter(|s| !s.trim().is_empty()) else {
            return Err(RegistrationError::NoSponsor);
        };
        let found = sqlx::query("SELECT id FROM organizations WHERE id = $1")
            .bind(s)
            .fetch_optional(self.db.pool())
            .await
            .map_err(DbError::from)?;
        if found.is_none() {
            return Err(RegistrationError::UnknownOrganization(s.to_owned()));
        }
        for s in services {
            let found = sqlx::query("SELECT id FROM services WHERE id = $1")
                .bind(s)
                .fetch_optional(self.db.pool())
                .await
                .map_err(DbError::from)?;
            if found.is_none() {
                return Err(RegistrationError::UnknownService(s.clone()));
            }
        }
        Ok(())
    }

    /// Adds a registry (status approved).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add(&self, n: NewRegistry) -> Result<Registry, RegistrationError> {
        if !valid_code(&n.id) {
            return Err(RegistrationError::Invalid("id"));
        }
        for (v, f) in [
            (&n.name, "name"),
            (&n.owner, "owner"),
            (&n.contact, "contact"),
        ] {
            if !valid_text(v, 200) {
                return Err(RegistrationError::Invalid(f));
            }
        }
        let college = n.college.trim().to_uppercase();
        if !valid_code(&college) {
            return Err(RegistrationError::Invalid("college"));
        }
        if !(1..=3).contains(&n.assurance_level) {
            return Err(RegistrationError::Invalid("assurance_level"));
        }
        let scheme = n
            .id_scheme
            .clone()
            .unwrap_or_else(|| format!("{college} registration number"));
        if !valid_text(&scheme, 200) {
            return Err(RegistrationError::Invalid("id_scheme"));
        }
        if let (Some(f), Some(u)) = (n.approved_from, n.approved_until) {
            if u <= f {
                return Err(RegistrationError::Invalid("approved_until"));
            }
        }
        self.check_refs(n.sponsor_id.as_deref(), &n.services)
            .await?;
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let r = sqlx::query(
            "INSERT INTO registries (id, name, owner, contact, college, id_scheme, \
             assurance_level, approval, approved_from, approved_until, status, \
             status_changed_at, sponsor_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'approved', $11, $12, $11, $11)",
        )
        .bind(&n.id)
        .bind(n.name.trim())
        .bind(n.owner.trim())
        .bind(n.contact.trim())
        .bind(&college)
        .bind(scheme.trim())
        .bind(n.assurance_level)
        .bind(n.approval.unwrap_or(Approval::General).as_str())
        .bind(n.approved_from)
        .bind(n.approved_until)
        .bind(now)
        .bind(n.sponsor_id.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => return Err(RegistrationError::Exists),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        set_services(&mut tx, &n.id, &n.services).await?;
        eligibility::set_classes(&mut tx, &n.id, &n.eligible_classes).await?;
        tx.commit().await.map_err(DbError::from)?;
        self.get(&n.id).await?.ok_or(RegistrationError::NotFound)
    }

    /// Changes a registry.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update(&self, id: &str, u: RegistryUpdate) -> Result<Registry, RegistrationError> {
        let cur = self.get(id).await?.ok_or(RegistrationError::NotFound)?;
        let name = u.name.unwrap_or(cur.name);
        let owner = u.owner.unwrap_or(cur.owner);
        let contact = u.contact.unwrap_or(cur.contact);
        for (v, f) in [(&name, "name"), (&owner, "owner"), (&contact, "contact")] {
            if !valid_text(v, 200) {
                return Err(RegistrationError::Invalid(f));
            }
        }
        let cur_level = cur.assurance_level;
        let level = u.assurance_level.unwrap_or(cur_level);
        if !(1..=3).contains(&level) {
            return Err(RegistrationError::Invalid("assurance_level"));
        }
        let from = u.approved_from.unwrap_or(cur.approved_from);
        let until = u.approved_until.unwrap_or(cur.approved_until);
        if let (Some(f), Some(t)) = (from, until) {
            if t <= f {
                return Err(RegistrationError::Invalid("approved_until"));
            }
        }
        let had_sponsor = cur.sponsor_id.is_some();
        let sponsor = u.sponsor_id.unwrap_or(cur.sponsor_id);
        let services = u.services.unwrap_or(cur.services);
        self.check_refs(sponsor.as_deref(), &services).await?;
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        sqlx::query(
            "UPDATE registries SET name = $2, owner = $3, contact = $4, assurance_level = $5, \
             approval = $6, approved_from = $7, approved_until = $8, sponsor_id = $9, \
             updated_at = $10 WHERE id = $1",
        )
        .bind(id)
        .bind(name.trim())
        .bind(owner.trim())
        .bind(contact.trim())
        .bind(level)
        .bind(u.approval.unwrap_or(cur.approval).as_str())
        .bind(from)
        .bind(until)
        .bind(sponsor.as_deref())
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        set_services(&mut tx, id, &services).await?;
        if let Some(classes) = &u.eligible_classes {
            eligibility::set_classes(&mut tx, id, classes).await?;
        }
        let audit = platform::Audit::new(self.db.clone(), self.clock.clone());
        let source = crate::levels::Source::Registry(id);
        let now = self.clock.now();
        crate::levels::follow(&mut tx, &audit, source, cur_level, level, now).await?;
        if cur_level != level {
            // A significant change: the approval is due for review again (004 §5.3).
            let subject = crate::approvals::Subject::Registry;
            crate::approvals::mark_due_in(&mut tx, subject, id, "level_changed", None, now).await?;
        }
        if !had_sponsor {
            if let Some(sponsor) = &sponsor {
                sponsor::sponsor_members(&mut tx, id, sponsor, level, &services, now).await?;
            }
        }
        tx.commit().await.map_err(DbError::from)?;
        self.get(id).await?.ok_or(RegistrationError::NotFound)
    }

    /// Suspends, reinstates (approved) or terminates. A terminated registry stays terminated.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_status(
        &self,
        id: &str,
        status: RegistryStatus,
    ) -> Result<Registry, RegistrationError> {
        let cur = self.get(id).await?.ok_or(RegistrationError::NotFound)?;
        if cur.status == RegistryStatus::Terminated {
            return Err(RegistrationError::RegistryTerminated);
        }
        let now = self.clock.now();
        sqlx::query(
            "UPDATE registries SET status = $2, status_changed_at = $3, updated_at = $3 \
             WHERE id = $1 AND status <> 'terminated'",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        self.get(id).await?.ok_or(RegistrationError::NotFound)
    }

    /// One registry.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get(&self, id: &str) -> Result<Option<Registry>, RegistrationError> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM registries WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await
            .map_err(DbError::from)?;
        let Some(r) = r else { return Ok(None) };
        let mut reg = row(&r).map_err(DbError::from)?;
        reg.services = self.services_of(id).await?;
        reg.eligible_classes = self.eligible_classes(id).await?;
        Ok(Some(reg))
    }

    /// Every registry, by id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self) -> Result<Vec<Registry>, RegistrationError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM registries ORDER BY id"))
            .fetch_all(self.db.pool())
            .await
            .map_err(DbError::from)?;
        let mut out = Vec::new();
        for r in rows {
            let mut reg = row(&r).map_err(DbError::from)?;
            reg.services = self.services_of(&reg.id).await?;
            reg.eligible_classes = self.eligible_classes(&reg.id).await?;
            out.push(reg);
        }
        Ok(out)
    }

    async fn services_of(&self, id: &str) -> Result<Vec<String>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT service_id FROM registry_services WHERE registry_id = $1 ORDER BY service_id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        rows.iter()
            .map(|r| r.try_get("service_id").map_err(|e| DbError::from(e).into()))
            .collect()
    }
}

async fn set_services(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    services: &[String],
) -> Result<(), RegistrationError> {
    sqlx::query("DELETE FROM registry_services WHERE registry_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(DbError::from)?;
    let mut seen = std::collections::HashSet::new();
    for s in services {
        if !seen.insert(s) {
            continue;
        }
        sqlx::query("INSERT INTO registry_services (registry_id, service_id) VALUES ($1, $2)")
            .bind(id)
            .bind(s)
            .execute(&mut **tx)
            .await
            .map_err(DbError::from)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(
        status: RegistryStatus,
        approval: Approval,
        window: (Option<i64>, Option<i64>),
    ) -> Registry {
        Registry {
            id: "cpso".into(),
            name: "CPSO".into(),
            owner: "o".into(),
            contact: "c".into(),
            college: "CPSO".into(),
            id_scheme: "s".into(),
            assurance_level: 2,
            approval,
            approved_from: window.0,
            approved_until: window.1,
            status,
            status_changed_at: 0,
            sponsor_id: Some("cpso-members".into()),
            services: Vec::new(),
            eligible_classes: Vec::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn only_an_approved_registry_inside_its_window_accepts_registrants() {
        let ok = registry(
            RegistryStatus::Approved,
            Approval::General,
            (Some(100), Some(200)),
        );
        // A general approval has no window.
        assert!(ok.accepts_at(50).is_ok());
        let limited = registry(
            RegistryStatus::Approved,
            Approval::Limited,
            (Some(100), Some(200)),
        );
        assert!(limited.accepts_at(150).is_ok());
        assert!(matches!(
            limited.accepts_at(99),
            Err(RegistrationError::OutsideApproval)
        ));
        assert!(matches!(
            limited.accepts_at(201),
            Err(RegistrationError::OutsideApproval)
        ));
        let suspended = registry(RegistryStatus::Suspended, Approval::General, (None, None));
        assert!(matches!(
            suspended.accepts_at(0),
            Err(RegistrationError::RegistrySuspended)
        ));
        let mut unsponsored = registry(RegistryStatus::Approved, Approval::General, (None, None));
        unsponsored.sponsor_id = None;
        assert!(matches!(
            unsponsored.accepts_at(0),
            Err(RegistrationError::NoSponsor)
        ));
        let ended = registry(RegistryStatus::Terminated, Approval::General, (None, None));
        assert!(matches!(
            ended.accepts_at(0),
            Err(RegistrationError::RegistryTerminated)
        ));
    }
}
