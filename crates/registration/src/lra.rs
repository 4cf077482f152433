//! The local registration authority's work (002, 003, 004 §6): register a person met face
//! to face on their identity documents, or an affiliate of a registering organization on its
//! managed registration process, hand out a login ID and a temporary password, and enrol the
//! organization's people into the services it may sponsor. Every rule is here; the pages only
//! call it.
//!
//! An LRA is an account holding role `lra` scoped to one organization. Everything it does goes
//! through a [`Registrar`], which only [`Lra::registrar`] makes: it names the organization,
//! and an LRA acts only on people that organization sponsors actively. Every action (and every
//! refusal to act on someone else's person) is audited with the LRA as actor and the person as
//! subject, never with a password.
//!
//! Organizations (registering or not, their level and identifier scheme), the services each
//! may sponsor and who their LRAs are, are set up in `services` (`Directory::update_organization`,
//! `allow_service`, `grant_lra`).

pub mod affiliation;
pub mod evidence;
mod person;
mod register;

pub use crate::services::{OrganizationRecord, LRA_ROLE};
pub use evidence::{
    assess, document, supported_level, unacceptable, Document, DocumentKind, Evidence,
    EvidenceProblem, Unacceptable, PRIMARY, SECONDARY, UNACCEPTABLE,
};
pub use person::{
    one_at_a_time, AffiliateRegistration, Identity, PersonRegistration, Registered,
    TemporaryPassword,
};

use crate::services::{Directory, Enrolment, Service};
use crate::{Registration, RegistrationError};
use credential_store::{Account, Accounts, CredentialError, Designation};
use platform::{Audit, AuditEvent, DbError, SharedClock};
use sqlx::Row;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LraError {
    /// The evidence does not support the level asked for.
    #[error("the evidence does not support the level")]
    Evidence(Vec<EvidenceProblem>),
    /// A mandatory field (by its form name) is empty.
    #[error("{0} is required")]
    Missing(&'static str),
    /// A field (by its form name) is not acceptable.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A field of the account is not acceptable.
    #[error(transparent)]
    Account(#[from] CredentialError),
    /// The person is not sponsored (actively) by the LRA's organization, or does not exist.
    #[error("not a person sponsored by the organization")]
    NotSponsored,
    /// The organization has no approved managed registration process.
    #[error("the organization is not a registering organization")]
    NotRegistering,
    /// The organization is not active.
    #[error("the organization is not active")]
    OrganizationInactive,
    /// The managed registration process is suspended or terminated, or outside its limited
    /// approval's dates (004 §6.3.3, §6.7.1): it registers no one now.
    #[error("the managed registration process registers no one now")]
    ProcessClosed,
    /// The organization may not sponsor people into this service.
    #[error("the organization may not enrol people in this service")]
    ServiceNotAllowed,
    /// The person's level of assurance is below the service's minimum.
    #[error("level of assurance AL{have} is below the service's AL{need}")]
    LevelTooLow {
        /// The service's minimum.
        need: i64,
        /// The person's.
        have: i64,
    },
    /// No active enrolment of the organization in that service.
    #[error("not enrolled")]
    NotEnrolled,
    /// The person is sponsored by the organization under another identifier.
    #[error("sponsored under another identifier")]
    MemberIdConflict,
    /// Staff never act on staff: an administrator manages a staff account's sponsorships.
    #[error("a staff account is managed by an administrator")]
    StaffAccount,
    /// An LRA does not register or enrol themselves.
    #[error("an LRA cannot act on their own account")]
    OwnAccount,
    /// The person has an account the organization does not sponsor yet: taking it over needs
    /// the date of birth on record and evidence (in person, or the organization's managed
    /// process) at or above the account's level.
    #[error("the existing account needs stronger evidence to be sponsored here")]
    ExistingNeedsEvidence,
    /// Registries, services or storage failed.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The ephemeral store (which keeps registrations of one person apart) failed.
    #[error(transparent)]
    Store(#[from] platform::EphemeralError),
}

impl LraError {
    /// A short stable code for the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Evidence(_) => "evidence",
            Self::Missing(_) => "missing",
            Self::Invalid(_) => "invalid",
            Self::Account(_) => "account",
            Self::NotSponsored => "not_sponsored",
            Self::NotRegistering => "not_registering",
            Self::ProcessClosed => "process_closed",
            Self::OrganizationInactive => "organization_inactive",
            Self::ServiceNotAllowed => "service_not_allowed",
            Self::LevelTooLow { .. } => "level_too_low",
            Self::NotEnrolled => "not_enrolled",
            Self::MemberIdConflict => "member_id_conflict",
            Self::OwnAccount => "own_account",
            Self::StaffAccount => "staff_account",
            Self::ExistingNeedsEvidence => "existing_needs_evidence",
            Self::Registration(_) => "registration",
            Self::Db(_) | Self::Store(_) => "storage",
        }
    }
}

/// An LRA at work: the account and its organization. Only [`Lra::registrar`] makes one.
#[derive(Debug, Clone)]
pub struct Registrar {
    account_id: String,
    organization: OrganizationRecord,
    source: Option<String>,
}

impl Registrar {
    /// The LRA's account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The organization it registers for.
    pub fn organization(&self) -> &OrganizationRecord {
        &self.organization
    }

    /// Where its requests come from (for the audit trail).
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = (!source.is_empty()).then(|| source.to_owned());
        self
    }

    fn active(&self) -> Result<(), LraError> {
        if self.organization.status == "active" {
            Ok(())
        } else {
            Err(LraError::OrganizationInactive)
        }
    }
}

/// A person the organization sponsors, as found by a search.
#[derive(Debug, Clone)]
pub struct Sponsored {
    /// The account.
    pub account: Account,
    /// The organization's identifier of the person.
    pub member_id: Option<String>,
}

/// What the LRA sees of a person.
#[derive(Debug, Clone)]
pub struct Person {
    /// The account.
    pub account: Account,
    /// The organization's identifier of the person.
    pub member_id: Option<String>,
    /// Professional designations.
    pub designations: Vec<Designation>,
    /// The identity evidence on record.
    pub evidence: Vec<EvidenceRecord>,
    /// Active enrolments, through any sponsor.
    pub enrolments: Vec<Enrolment>,
    /// Services the organization may still enrol the person in.
    pub can_enrol: Vec<Service>,
}

/// A row of identity evidence.
#[derive(Debug, Clone)]
pub struct EvidenceRecord {
    /// The organization whose LRA recorded it.
    pub organization_id: String,
    /// `primary`, `secondary` or `affiliation`.
    pub kind: String,
    /// Catalogue code, or the affiliation evidence described.
    pub document: String,
    /// It carries a photo.
    pub photo: bool,
    /// Seen face to face.
    pub in_person: bool,
    /// When.
    pub recorded_at: i64,
    /// For evidence of affiliation recorded as structured data: what the LRA confirmed.
    pub details: Option<affiliation::AffiliationDetails>,
}

/// The LRA's operations.
#[derive(Debug, Clone)]
pub struct Lra {
    db: platform::Db,
    clock: SharedClock,
    audit: Audit,
    accounts: Accounts,
    directory: Directory,
}

impl Registration {
    /// The LRA's operations over the same storage.
    pub fn lra(&self) -> Lra {
        Lra {
            db: self.db.clone(),
            clock: self.clock.clone(),
            audit: self.audit.clone(),
            accounts: self.accounts.clone(),
            directory: self.directory.clone(),
        }
    }
}

fn db<E: Into<DbError>>(e: E) -> LraError {
    LraError::Db(e.into())
}

impl Lra {
    /// The LRA `account_id` is, with its organization; `None` when it holds no `lra` role for
    /// an existing organization. An account that is LRA for several organizations acts for
    /// the first by id (an LRA is scoped to one organization).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn registrar(&self, account_id: &str) -> Result<Option<Registrar>, LraError> {
        for org in self.lra_organizations(account_id).await? {
            // The LRA of an organization that is no longer active sees nothing.
            if let Some(o) = self
                .directory
                .organization(&org)
                .await?
                .filter(|o| o.status == "active")
            {
                return Ok(Some(Registrar {
                    account_id: account_id.to_owned(),
                    organization: o,
                    source: None,
                }));
            }
        }
        Ok(None)
    }

    async fn record(&self, r: &Registrar, event: &str, subject: &str, detail: &str) {
        let _ = self
            .audit
            .record(AuditEvent {
                event,
                actor: Some(&r.account_id),
                subject: Some(subject),
                source: r.source.as_deref(),
                detail: Some(detail),
                ..Default::default()
            })
            .await;
    }

    /// The sponsorship of `account_id` by the registrar's organization: (status, member id).
    async fn sponsorship(
        &self,
        org: &str,
        account_id: &str,
    ) -> Result<Option<(String, Option<String>)>, LraError> {
        let r = sqlx::query(
            "SELECT status, member_id FROM sponsorships WHERE account_id = $1 \
             AND organization_id = $2",
        )
        .bind(account_id)
        .bind(org)
        .fetch_optional(self.db.pool())
        .await
        .map_err(db)?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((
                r.try_get("status").map_err(db)?,
                r.try_get("member_id").map_err(db)?,
            ))),
        }
    }

    /// Refuses (and audits the attempt) unless the organization sponsors the person actively.
    async fn ensure_sponsored(
        &self,
        r: &Registrar,
        account_id: &str,
        op: &str,
    ) -> Result<Option<String>, LraError> {
        if account_id == r.account_id && op != "view" {
            let detail = format!("op={op} org={} reason=own_account", r.organization.id);
            self.record(r, "lra.refused", account_id, &detail).await;
            return Err(LraError::OwnAccount);
        }
        match self.sponsorship(&r.organization.id, account_id).await? {
            Some((s, member)) if s == "active" => Ok(member),
            _ => {
                let detail = format!("op={op} org={} reason=not_sponsored", r.organization.id);
                self.record(r, "lra.refused", account_id, &detail).await;
                Err(LraError::NotSponsored)
            }
        }
    }

    /// Refuses (audited, with the operation `op` asked) to act on a staff account: staff never
    /// act on staff, an administrator manages a staff account's sponsorships.
    pub async fn refuse_staff(
        &self,
        r: &Registrar,
        account_id: &str,
        op: &str,
    ) -> Result<(), LraError> {
        if self.accounts.is_staff(account_id).await? {
            let detail = format!("op={op:?} target=staff account");
            self.record(r, "lra.refused", account_id, &detail).await;
            return Err(LraError::StaffAccount);
        }
        Ok(())
    }

    /// People the organization sponsors actively whose login ID, registration number or
    /// organization identifier is `query`, or whose names start with its words; at most 50,
    /// by name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn search(&self, r: &Registrar, query: &str) -> Result<Vec<Sponsored>, LraError> {
        let q = query.split_whitespace().collect::<Vec<_>>().join(" ");
        let q = q.to_lowercase();
        if q.is_empty() || q.len() > 128 {
            return Ok(Vec::new());
        }
        // The organization's people first (through `sponsorships_member`: a few dozen to a
        // few thousand), then those the query names: by login ID, registration number,
        // the organization's identifier or the start of a name, as the consoles' search reads
        // a query. Reading the matches first read every Smith of the province (13,000 account
        // rows at a million) to keep the organization's few.
        let mut binds: Vec<String> = vec![r.organization.id.clone(), q.clone()];
        binds.push(credential_store::normalize_login_id(query));
        let mut any = vec![
            "a.login_id_lower = $3".to_owned(),
            "a.id IN (SELECT account_id FROM professional_designations \
             WHERE LOWER(registration_number) = $2)"
                .to_owned(),
            "LOWER(sp.member_id) = $2".to_owned(),
        ];
        let mut arg = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        if let Some(cond) =
            credential_store::name_prefix_condition(self.db.kind(), &q, "a", &mut arg)
        {
            any.push(cond);
        }
        let sql = format!(
            "SELECT a.id, sp.member_id FROM sponsorships sp JOIN accounts a \
             ON a.id = sp.account_id WHERE sp.organization_id = $1 AND sp.status = 'active' \
             AND (({})) ORDER BY a.family_name, a.given_name, a.id LIMIT 50",
            any.join(") OR (")
        );
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(self.db.pool()).await.map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id").map_err(db)?;
            if let Some(account) = self.accounts.find_by_id(&id).await? {
                out.push(Sponsored {
                    account,
                    member_id: row.try_get("member_id").map_err(db)?,
                });
            }
        }
        Ok(out)
    }

    /// Services the organization may sponsor people into.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn allowed_services(&self, org: &str) -> Result<Vec<Service>, LraError> {
        let Some(o) = self.directory.organization(org).await? else {
            return Ok(Vec::new());
        };
        Ok(self
            .directory
            .services()
            .await?
            .into_iter()
            .filter(|s| o.services.contains(&s.id))
            .collect())
    }

    /// The organizations an account is an LRA of, by id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn lra_organizations(&self, account_id: &str) -> Result<Vec<String>, LraError> {
        Ok(self
            .directory
            .roles_of(account_id)
            .await?
            .into_iter()
            .filter(|(role, scope)| role == LRA_ROLE && !scope.is_empty())
            .map(|(_, scope)| scope)
            .collect())
    }

    /// A person the organization sponsors, with evidence, enrolments and what it may add.
    /// `NotSponsored` for anyone else (and for no one), so an LRA learns nothing of others.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn person(&self, r: &Registrar, account_id: &str) -> Result<Person, LraError> {
        let member_id = self.ensure_sponsored(r, account_id, "view").await?;
        let account = self
            .accounts
            .find_by_id(account_id)
            .await?
            .ok_or(LraError::NotSponsored)?;
        let rows = sqlx::query(
            "SELECT organization_id, kind, document, photo, in_person, recorded_at, details \
             FROM identity_evidence WHERE account_id = $1 AND organization_id = $2 \
             ORDER BY recorded_at, kind, id",
        )
        .bind(account_id)
        .bind(&r.organization.id)
        .fetch_all(self.db.pool())
        .await
        .map_err(db)?;
        let evidence = rows
            .iter()
            .map(|x| {
                Ok(EvidenceRecord {
                    organization_id: x.try_get("organization_id")?,
                    kind: x.try_get("kind")?,
                    document: x.try_get("document")?,
                    photo: x.try_get::<i64, _>("photo")? != 0,
                    in_person: x.try_get::<i64, _>("in_person")? != 0,
                    recorded_at: x.try_get("recorded_at")?,
                    details: x
                        .try_get::<Option<String>, _>("details")?
                        .and_then(|d| serde_json::from_str(&d).ok()),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)?;
        let enrolments = self.directory.enrolments(account_id).await?;
        let can_enrol = self
            .allowed_services(&r.organization.id)
            .await?
            .into_iter()
            .filter(|s| {
                !enrolments
                    .iter()
                    .any(|e| e.service.id == s.id && e.sponsor_id == r.organization.id)
            })
            .collect();
        Ok(Person {
            designations: self.accounts.designations(account_id).await?,
            account,
            member_id,
            evidence,
            enrolments,
            can_enrol,
        })
    }

    /// Enrols a person the organization sponsors in a service it may sponsor, when the
    /// person's level of assurance meets the service's. Access starts at once (002).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enrol(
        &self,
        r: &Registrar,
        account_id: &str,
        service_id: &str,
    ) -> Result<(), LraError> {
        r.active()?;
        self.ensure_sponsored(r, account_id, "enrol").await?;
        let org = r.organization.id.as_str();
        let Some(service) = self
            .allowed_services(org)
            .await?
            .into_iter()
            .find(|s| s.id == service_id)
        else {
            let detail =
                format!("op=enrol org={org} service={service_id} reason=service_not_allowed");
            self.record(r, "lra.refused", account_id, &detail).await;
            return Err(LraError::ServiceNotAllowed);
        };
        let have = self
            .accounts
            .find_by_id(account_id)
            .await?
            .map_or(0, |a| a.assurance_level);
        if have < service.min_assurance_level {
            let detail = format!(
                "op=enrol org={org} service={} reason=level_too_low need=AL{} have=AL{have}",
                service.id, service.min_assurance_level
            );
            self.record(r, "lra.refused", account_id, &detail).await;
            return Err(LraError::LevelTooLow {
                need: service.min_assurance_level,
                have,
            });
        }
        let before = self
            .directory
            .enrolments(account_id)
            .await?
            .iter()
            .any(|e| e.service.id == service.id && e.sponsor_id == org);
        if before {
            return Ok(());
        }
        self.directory
            .enrol(account_id, &service.id, org, &r.account_id)
            .await?;
        let detail = format!("org={org} service={} enrolment: none -> active", service.id);
        self.record(r, "lra.enrolled", account_id, &detail).await;
        Ok(())
    }

    /// Ends the organization's enrolment of a person in a service.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_enrolment(
        &self,
        r: &Registrar,
        account_id: &str,
        service_id: &str,
    ) -> Result<(), LraError> {
        self.ensure_sponsored(r, account_id, "end_enrolment")
            .await?;
        let org = r.organization.id.as_str();
        if !self
            .directory
            .end_enrolment(account_id, service_id, org)
            .await?
        {
            return Err(LraError::NotEnrolled);
        }
        let detail = format!("org={org} service={service_id} enrolment: active -> ended");
        self.record(r, "lra.enrolment_ended", account_id, &detail)
            .await;
        Ok(())
    }

    /// Ends the organization's sponsorship of a person, and with it every enrolment made
    /// through it. The LRA no longer sees the person.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_sponsorship(&self, r: &Registrar, account_id: &str) -> Result<(), LraError> {
        self.ensure_sponsored(r, account_id, "end_sponsorship")
            .await?;
        let org = r.organization.id.as_str();
        let ended: Vec<String> = self
            .directory
            .enrolments(account_id)
            .await?
            .into_iter()
            .filter(|e| e.sponsor_id == org)
            .map(|e| e.service.id)
            .collect();
        self.directory.end_sponsorship(account_id, org).await?;
        let detail = format!(
            "org={org} sponsorship: active -> ended enrolments ended: {}",
            if ended.is_empty() {
                "-".to_owned()
            } else {
                ended.join(",")
            }
        );
        self.record(r, "lra.sponsorship_ended", account_id, &detail)
            .await;
        Ok(())
    }
}
