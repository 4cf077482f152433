//! What the administrators' API and console read and change: an organization's whole record,
//! its allowed services, its local registration authorities (the `lra` role scoped to it), and
//! services one at a time.

use super::*;

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
pub(super) fn service_problem(s: &Service) -> Option<&'static str> {
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

    /// A page of organizations by id with their allowed services: at most `limit` (1 to
    /// 1,000) after the organization `after`, or before `before` (the page nearest it), read by
    /// keyset through the primary key; a province has tens of thousands, never read at once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn organization_page(
        &self,
        after: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<platform::keyset::Page<OrganizationRecord>, RegistrationError> {
        let k = platform::keyset::Keyset {
            after,
            before,
            limit: limit.clamp(1, 1000),
        };
        let rows = sqlx::query(&format!(
            "SELECT id, name, status, registering, assurance_level, id_scheme, scope, \
             created_at FROM organizations {}",
            k.sql("id")
        ))
        .bind(k.value())
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let mut page = k.page(
            rows.iter()
                .map(Self::organization_from)
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(DbError::from)?,
        );
        let out = &mut page.rows;
        // The page's allowed services: one range of `sponsor_services`' primary key.
        if let (Some(first), Some(last)) = (out.first(), out.last()) {
            let links = sqlx::query(
                "SELECT organization_id, service_id FROM sponsor_services \
                 WHERE organization_id >= $1 AND organization_id <= $2 \
                 ORDER BY organization_id, service_id",
            )
            .bind(&first.id)
            .bind(&last.id)
            .fetch_all(self.db.pool())
            .await
            .map_err(DbError::from)?;
            let at: std::collections::HashMap<String, usize> = out
                .iter()
                .enumerate()
                .map(|(i, o)| (o.id.clone(), i))
                .collect();
            for l in &links {
                let org: String = l.try_get("organization_id").map_err(DbError::from)?;
                if let Some(&i) = at.get(&org) {
                    out[i]
                        .services
                        .push(l.try_get("service_id").map_err(DbError::from)?);
                }
            }
        }
        Ok(page)
    }

    /// The registering organizations (those that register their own people: a few), by id,
    /// without their allowed services.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn registering_organizations(
        &self,
    ) -> Result<Vec<OrganizationRecord>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT id, name, status, registering, assurance_level, id_scheme, scope, \
             created_at FROM organizations WHERE registering = 1 ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(rows
            .iter()
            .map(Self::organization_from)
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(DbError::from)?)
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
        let old_level = o.registering.then_some(o.assurance_level).flatten();
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
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
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
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        // The affiliates its managed process validated follow its level (004 §6.4.2).
        if let (Some(old), Some(new), true) = (old_level, o.assurance_level, o.registering) {
            let audit = platform::Audit::new(self.db.clone(), self.clock.clone());
            let source = crate::levels::Source::Process(id);
            let now = self.clock.now();
            crate::levels::follow(&mut tx, &audit, source, old, new, now).await?;
            if old != new {
                let subject = crate::approvals::Subject::Process;
                crate::approvals::mark_due_in(&mut tx, subject, id, "level_changed", None, now)
                    .await?;
            }
        }
        tx.commit().await.map_err(DbError::from)?;
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
