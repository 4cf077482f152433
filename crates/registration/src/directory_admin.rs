//! The changes an administrator makes to the directory: organizations (sponsors), the
//! services each may enrol its people into, their local registration authorities, and the
//! services themselves; each checked and audited here once (a before/after summary in the
//! detail), for the admin API, the console and the CLI alike.

use crate::admin::nullable;
use crate::admin::{record, Actor, AdminError};
use crate::services::{Lra, OrganizationChange, OrganizationRecord};
use crate::{Registration, RegistrationError, Service};
use credential_store::AccountStatus;
use serde::Deserialize;

/// The message for a field the directory refused.
fn field_message(field: &str) -> String {
    match field {
        "id" => "id must be 1 to 64 letters, digits, - or _".into(),
        "name" => "name must be 1 to 200 characters".into(),
        "status" => "status must be active, suspended or terminated".into(),
        "assurance_level" => "assurance_level must be 1, 2 or 3".into(),
        "min_assurance_level" => "min_assurance_level must be 1, 2 or 3".into(),
        "url" => "url must be an http(s) URL of at most 500 characters".into(),
        "id_scheme" => "id_scheme must be 1 to 200 characters, without control characters".into(),
        "scope" => "scope must be 1 to 500 characters, without control characters".into(),
        "registering" => {
            "a registering organization needs an assurance_level and an id_scheme".into()
        }
        f => format!("{f} is not acceptable"),
    }
}

/// The directory's refusal, in the words of the administrators' errors.
pub fn refused(e: RegistrationError) -> AdminError {
    use RegistrationError as E;
    match e {
        E::Invalid(f) => AdminError::invalid(f, field_message(f)),
        E::Exists => AdminError::Conflict("it exists already".into()),
        E::UnknownOrganization(id) => AdminError::NotFound(format!("no such organization {id:?}")),
        E::UnknownService(id) => AdminError::NotFound(format!("no such service {id:?}")),
        E::NotFound => AdminError::NotFound("not found".into()),
        E::Db(e) => AdminError::Storage(e.to_string()),
        E::Account(e) => e.into(),
        e => AdminError::invalid("", e.to_string()),
    }
}

/// A new organization (`POST /admin/api/organizations`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    /// Short code.
    pub id: String,
    /// Name.
    pub name: String,
    /// `active` (default), `suspended` or `terminated`.
    #[serde(default)]
    pub status: Option<String>,
    /// A registering client organization (managed registration process).
    #[serde(default)]
    pub registering: bool,
    /// Level its affiliates are registered at, 1 to 3.
    #[serde(default)]
    pub assurance_level: Option<i64>,
    /// Its unique identifier of a person, in words.
    #[serde(default)]
    pub id_scheme: Option<String>,
    /// The scope of its approval, in words.
    #[serde(default)]
    pub scope: Option<String>,
    /// Services it may enrol its people into (must exist).
    #[serde(default)]
    pub services: Vec<String>,
}

/// Changes to an organization (`PATCH /admin/api/organizations/{id}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<String>,
    /// Registering.
    #[serde(default)]
    pub registering: Option<bool>,
    /// Level (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub assurance_level: Option<Option<i64>>,
    /// Identifier scheme (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub id_scheme: Option<Option<String>>,
    /// Approval scope (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub scope: Option<Option<String>>,
}

/// Whom to make a local registration authority (`POST .../lras`): one of the two.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LraInput {
    /// The account's login ID.
    #[serde(default)]
    pub login_id: Option<String>,
    /// The account's id (subject).
    #[serde(default)]
    pub account_id: Option<String>,
}

/// A new service (`POST /admin/api/services`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Short code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Where a person starts using it.
    #[serde(default)]
    pub url: Option<String>,
    /// Lowest level of assurance admitted (default 1).
    #[serde(default)]
    pub min_assurance_level: Option<i64>,
}

/// Changes to a service (`PATCH /admin/api/services/{id}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Start URL (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub url: Option<Option<String>>,
    /// Lowest level of assurance.
    #[serde(default)]
    pub min_assurance_level: Option<i64>,
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

fn list(l: &[String]) -> String {
    if l.is_empty() {
        "-".to_owned()
    } else {
        l.join(",")
    }
}

/// A one-line summary of an organization for the audit trail.
pub fn organization_summary(o: &OrganizationRecord) -> String {
    format!(
        "name={:?} status={} registering={} level={} id_scheme={} scope={} services={}",
        o.name,
        o.status,
        o.registering,
        opt(&o.assurance_level),
        o.id_scheme
            .as_deref()
            .map_or("-".into(), |s| format!("{s:?}")),
        o.scope.as_deref().map_or("-".into(), |s| format!("{s:?}")),
        list(&o.services)
    )
}

/// What changed, as `field: old -> new; ...` (or `no change`).
fn changes(pairs: &[(&str, String, String)]) -> String {
    let out: Vec<String> = pairs
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(f, a, b)| format!("{f}: {a} -> {b}"))
        .collect();
    if out.is_empty() {
        "no change".into()
    } else {
        out.join("; ")
    }
}

fn organization_changes(a: &OrganizationRecord, b: &OrganizationRecord) -> String {
    let q = |s: &Option<String>| s.as_deref().map_or("-".into(), |s| format!("{s:?}"));
    changes(&[
        ("name", format!("{:?}", a.name), format!("{:?}", b.name)),
        ("status", a.status.clone(), b.status.clone()),
        (
            "registering",
            a.registering.to_string(),
            b.registering.to_string(),
        ),
        ("level", opt(&a.assurance_level), opt(&b.assurance_level)),
        ("id_scheme", q(&a.id_scheme), q(&b.id_scheme)),
        ("scope", q(&a.scope), q(&b.scope)),
        ("services", list(&a.services), list(&b.services)),
    ])
}

/// A one-line summary of a service for the audit trail.
pub fn service_summary(s: &Service) -> String {
    format!(
        "name={:?} url={} min_level={}",
        s.name,
        s.url.as_deref().unwrap_or("-"),
        s.min_assurance_level
    )
}

impl Registration {
    /// The organization `id`, or why not: not found.
    pub async fn find_organization(&self, id: &str) -> Result<OrganizationRecord, AdminError> {
        self.directory
            .organization(id)
            .await
            .map_err(refused)?
            .ok_or_else(|| AdminError::NotFound(format!("no such organization {id:?}")))
    }

    /// Adds an organization, with the services it may enrol people into.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_organization(
        &self,
        o: OrganizationInput,
        actor: Actor<'_>,
    ) -> Result<OrganizationRecord, AdminError> {
        let id = o.id.trim().to_owned();
        let added = self
            .directory
            .add_organization(&OrganizationRecord {
                id: id.clone(),
                name: o.name,
                status: o.status.unwrap_or_else(|| "active".into()),
                registering: o.registering,
                assurance_level: o.assurance_level,
                id_scheme: o.id_scheme,
                scope: o.scope,
                services: o.services,
                created_at: 0,
            })
            .await
            .map_err(|e| match e {
                RegistrationError::Exists => {
                    AdminError::Conflict(format!("organization {id} already exists"))
                }
                RegistrationError::UnknownService(s) => {
                    AdminError::invalid("services", format!("no such service {s:?}"))
                }
                e => refused(e),
            })?;
        record(
            &self.audit,
            "organization.added",
            actor,
            &added.id,
            &organization_summary(&added),
        )
        .await;
        Ok(added)
    }

    /// Changes an organization (the fields given).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_organization(
        &self,
        id: &str,
        c: OrganizationPatch,
        actor: Actor<'_>,
    ) -> Result<OrganizationRecord, AdminError> {
        let before = self.find_organization(id).await?;
        let after = self
            .directory
            .update_organization(
                id,
                OrganizationChange {
                    name: c.name,
                    status: c.status,
                    registering: c.registering,
                    assurance_level: c.assurance_level,
                    id_scheme: c.id_scheme,
                    scope: c.scope,
                },
            )
            .await
            .map_err(refused)?;
        let detail = organization_changes(&before, &after);
        if detail != "no change" {
            record(&self.audit, "organization.updated", actor, id, &detail).await;
        }
        Ok(after)
    }

    /// Lets an organization enrol its people into a service.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn allow_service(
        &self,
        id: &str,
        service: &str,
        actor: Actor<'_>,
    ) -> Result<OrganizationRecord, AdminError> {
        let before = self.find_organization(id).await?;
        if self
            .directory
            .allow_service(id, service)
            .await
            .map_err(refused)?
        {
            let after = self.find_organization(id).await?;
            let detail = organization_changes(&before, &after);
            record(
                &self.audit,
                "organization.service_allowed",
                actor,
                id,
                &detail,
            )
            .await;
            return Ok(after);
        }
        Ok(before)
    }

    /// Stops an organization enrolling its people into a service (enrolments made stay).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn disallow_service(
        &self,
        id: &str,
        service: &str,
        actor: Actor<'_>,
    ) -> Result<OrganizationRecord, AdminError> {
        let before = self.find_organization(id).await?;
        if !before.services.iter().any(|s| s == service) {
            return Err(AdminError::NotFound(format!(
                "organization {id} does not enrol into {service:?}"
            )));
        }
        self.directory
            .disallow_service(id, service)
            .await
            .map_err(refused)?;
        let after = self.find_organization(id).await?;
        let detail = organization_changes(&before, &after);
        record(
            &self.audit,
            "organization.service_disallowed",
            actor,
            id,
            &detail,
        )
        .await;
        Ok(after)
    }

    /// Makes an account (by login ID or id) a local registration authority of an organization.
    /// Returns the authority and whether it is new.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grant_lra(
        &self,
        id: &str,
        who: &LraInput,
        actor: Actor<'_>,
    ) -> Result<(Lra, bool), AdminError> {
        let org = self.find_organization(id).await?;
        let reference = match (who.login_id.as_deref(), who.account_id.as_deref()) {
            (Some(l), None) if !l.trim().is_empty() => l.trim(),
            (None, Some(a)) if !a.trim().is_empty() => a.trim(),
            _ => {
                return Err(AdminError::invalid(
                    "login_id",
                    "give the account's login_id or its account_id (one of them)",
                ))
            }
        };
        let account = self.find_account(reference).await.map_err(|e| match e {
            AdminError::NotFound(m) => AdminError::invalid("login_id", m),
            e => e,
        })?;
        if org.status == "terminated" {
            return Err(AdminError::Conflict(format!(
                "organization {id} is terminated"
            )));
        }
        if matches!(
            account.status,
            AccountStatus::Suspended | AccountStatus::Terminated
        ) {
            return Err(AdminError::Conflict(format!(
                "the account is {}",
                account.status.as_str()
            )));
        }
        let added = self
            .directory
            .grant_lra(id, &account.id, actor.name)
            .await
            .map_err(refused)?;
        if added {
            let detail = format!(
                "organization={id} login_id={} lra: no -> yes",
                account.login_id
            );
            record(&self.audit, "lra.granted", actor, &account.id, &detail).await;
        }
        let lra = self
            .directory
            .lras(id)
            .await
            .map_err(refused)?
            .into_iter()
            .find(|l| l.account_id == account.id)
            .ok_or_else(|| AdminError::Storage("granted role not found".into()))?;
        Ok((lra, added))
    }

    /// Ends an account's registration authority for an organization (`account`: id or login ID).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_lra(
        &self,
        id: &str,
        account: &str,
        actor: Actor<'_>,
    ) -> Result<(), AdminError> {
        self.find_organization(id).await?;
        let acc = self.find_account(account).await?;
        if !self
            .directory
            .revoke_lra(id, &acc.id)
            .await
            .map_err(refused)?
        {
            return Err(AdminError::NotFound(format!(
                "{} is not a registration authority of {id}",
                acc.login_id
            )));
        }
        let detail = format!("organization={id} login_id={} lra: yes -> no", acc.login_id);
        record(&self.audit, "lra.revoked", actor, &acc.id, &detail).await;
        Ok(())
    }

    /// Adds a service.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_service(
        &self,
        s: ServiceInput,
        actor: Actor<'_>,
    ) -> Result<Service, AdminError> {
        let svc = Service {
            id: s.id.trim().to_owned(),
            name: s.name.trim().to_owned(),
            url: s.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()),
            min_assurance_level: s.min_assurance_level.unwrap_or(1),
        };
        self.directory
            .add_service(&svc)
            .await
            .map_err(|e| match e {
                RegistrationError::Exists => {
                    AdminError::Conflict(format!("service {} already exists", svc.id))
                }
                e => refused(e),
            })?;
        record(
            &self.audit,
            "service.added",
            actor,
            &svc.id,
            &service_summary(&svc),
        )
        .await;
        Ok(svc)
    }

    /// Changes a service (the fields given).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_service(
        &self,
        id: &str,
        c: ServicePatch,
        actor: Actor<'_>,
    ) -> Result<Service, AdminError> {
        let before = self
            .directory
            .service(id)
            .await
            .map_err(refused)?
            .ok_or_else(|| AdminError::NotFound(format!("no such service {id:?}")))?;
        let mut after = before.clone();
        if let Some(n) = c.name {
            after.name = n.trim().to_owned();
        }
        if let Some(u) = c.url {
            after.url = u.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        }
        if let Some(l) = c.min_assurance_level {
            after.min_assurance_level = l;
        }
        self.directory.put_service(&after).await.map_err(refused)?;
        let detail = changes(&[
            (
                "name",
                format!("{:?}", before.name),
                format!("{:?}", after.name),
            ),
            ("url", opt(&before.url), opt(&after.url)),
            (
                "min_level",
                before.min_assurance_level.to_string(),
                after.min_assurance_level.to_string(),
            ),
        ]);
        if detail != "no change" {
            record(&self.audit, "service.updated", actor, id, &detail).await;
        }
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_tell_absent_from_null_and_refuse_unknown_fields() {
        let p: OrganizationPatch =
            serde_json::from_str(r#"{"assurance_level": null, "scope": "x"}"#).unwrap();
        assert_eq!(p.assurance_level, Some(None));
        assert_eq!(p.scope, Some(Some("x".into())));
        assert_eq!(p.id_scheme, None);
        assert!(serde_json::from_str::<OrganizationPatch>(r#"{"id": "x"}"#).is_err());
    }
}
