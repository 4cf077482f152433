//! Registration: trusted registries and their lifecycle (004 §5), the signed hand-off from a
//! registry's member portal, the account a self-registration creates (in one transaction with
//! its registry record and its enrolments), terminations reported by a registry, and the
//! organizations, services and enrolments behind them.
//!
//! The self-registration wizard's rules live in `wizard`; its pages in `account-web`, which
//! apply no rule of their own: every one is enforced here or in `credential-store`.

mod account_status;
pub mod admin;
pub mod approvals;
pub mod closing;
pub mod colleges;
pub mod directory_admin;
pub mod duplicates;
pub mod handoff;
mod levels;
pub mod lra;
pub mod processes;
pub mod provenance;
pub mod registries;
pub mod services;
mod terminations;
pub mod wizard;

pub use account_status::{StatusChange, StatusOutcome};
pub use admin::{Actor, AdminError};
pub use handoff::{Handoff, TokenType, Verifier};
pub use lra::{Lra, LraError, Registered, Registrar};
pub use registries::{
    Approval, KeyInput, NewRegistry, Registries, Registry, RegistryInput, RegistryKey,
    RegistryPatch, RegistryStatus, RegistryUpdate,
};
pub use services::{Access, Directory, Enrolment, Organization, Service};
pub use terminations::GrantRevoker;
pub use wizard::{GeneralLink, SignupConfig};

use credential_store::{Accounts, CredentialError, Designation, NewAccount};
use platform::{Audit, AuditEvent, DbError, SharedClock};
use sqlx::Row;

/// Which registry validated an account: (registry id, member id, approval, consent version).
pub type Provenance = (String, String, String, Option<String>);

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Not a compact JWS with a readable payload, or a claim out of shape.
    #[error("the assertion is malformed")]
    Malformed,
    /// `iss` names no registry.
    #[error("unknown registry")]
    UnknownRegistry,
    /// No live key of the registry verifies it.
    #[error("bad signature")]
    BadSignature,
    /// Not addressed to us.
    #[error("wrong audience")]
    WrongAudience,
    /// Past `exp`.
    #[error("the assertion has expired")]
    Expired,
    /// Issued in the future, or living longer than allowed.
    #[error("the assertion's lifetime is not acceptable")]
    BadLifetime,
    /// Its `jti` was used before.
    #[error("the assertion was already used")]
    Replayed,
    /// Its header's `typ` is not the one expected (a report offered as a hand-off, say).
    #[error("the token is not of the expected type")]
    WrongType,
    /// The registry reported the member's registration deleted or terminated.
    #[error("the registry reported the member terminated")]
    MemberTerminated,
    /// A required claim is missing.
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// The college is not the registry's.
    #[error("the college is not the registry's")]
    WrongCollege,
    /// The registry is suspended.
    #[error("the registry is suspended")]
    RegistrySuspended,
    /// The registry is terminated.
    #[error("the registry is terminated")]
    RegistryTerminated,
    /// Outside the window of a limited approval.
    #[error("outside the registry's approval")]
    OutsideApproval,
    /// No sponsor is named: every identity enters through a sponsor (004 §5.6, §6.6), so a
    /// registry or registering organization without one admits no one, and cannot be saved
    /// without one.
    #[error("a sponsor is required: every identity enters through a sponsor (004 §5.6, §6.6)")]
    NoSponsor,
    /// An account exists for the same legal name and date of birth (its id): the person proves
    /// it is theirs, or the registration is held.
    #[error("an account exists for the same legal name and date of birth")]
    SamePerson(String),
    /// The member's registration class may not self-register through this registry.
    #[error("the registration class may not self-register through this registry")]
    ClassNotEligible,
    /// An account exists for this registration number (or this member).
    #[error("already registered")]
    AlreadyRegistered,
    /// The account could not be created.
    #[error(transparent)]
    Account(#[from] CredentialError),
    /// A field is not acceptable.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// Exists already.
    #[error("already exists")]
    Exists,
    /// No such registry.
    #[error("no such registry")]
    NotFound,
    /// No such organization.
    #[error("no such organization: {0}")]
    UnknownOrganization(String),
    /// No such service.
    #[error("no such service: {0}")]
    UnknownService(String),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl RegistrationError {
    /// A short stable code for logs and the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownRegistry => "unknown_registry",
            Self::BadSignature => "bad_signature",
            Self::WrongAudience => "wrong_audience",
            Self::Expired => "expired",
            Self::BadLifetime => "bad_lifetime",
            Self::Replayed => "replayed",
            Self::WrongType => "wrong_type",
            Self::MemberTerminated => "member_terminated",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongCollege => "wrong_college",
            Self::RegistrySuspended => "registry_suspended",
            Self::RegistryTerminated => "registry_terminated",
            Self::OutsideApproval => "outside_approval",
            Self::NoSponsor => "no_sponsor",
            Self::ClassNotEligible => "class_not_eligible",
            Self::SamePerson(_) => "same_person",
            Self::AlreadyRegistered => "already_registered",
            Self::Account(_) => "account",
            Self::Invalid(_) => "invalid",
            Self::Exists => "exists",
            Self::NotFound => "not_found",
            Self::UnknownOrganization(_) => "unknown_organization",
            Self::UnknownService(_) => "unknown_service",
            Self::Db(_) => "storage",
        }
    }
}

/// A finished self-registration.
#[derive(Debug, Clone)]
pub struct Completed {
    /// The new account.
    pub account_id: String,
    /// Its login ID.
    pub login_id: String,
    /// The services it was enrolled in.
    pub services: Vec<Service>,
}

/// Accounts terminated on a registry's report. Every member listed is remembered as
/// reported, whichever list it is in, so none of them can register afterwards.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Terminations {
    /// Member identifiers whose accounts were terminated now.
    pub terminated: Vec<String>,
    /// Already terminated before.
    pub already: Vec<String>,
    /// No account registered through this registry with that identifier (yet).
    pub unknown: Vec<String>,
}

/// Self-registration and registry-driven account changes.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Accounts.
    pub accounts: Accounts,
    /// Registries.
    pub registries: Registries,
    /// Organizations, services, enrolments.
    pub directory: Directory,
    db: platform::Db,
    clock: SharedClock,
    audit: Audit,
    grants: terminations::Revoker,
}

impl Registration {
    /// Wires the parts; `grants` revokes a terminated account's refresh tokens.
    pub fn new(
        db: platform::Db,
        clock: SharedClock,
        accounts: Accounts,
        grants: std::sync::Arc<dyn GrantRevoker>,
    ) -> Self {
        Self {
            registries: Registries::new(db.clone(), clock.clone()),
            directory: Directory::new(db.clone(), clock.clone(), accounts.clone()),
            audit: Audit::new(db.clone(), clock.clone()),
            grants: terminations::Revoker(grants),
            accounts,
            db,
            clock,
        }
    }

    /// A verifier of hand-offs and reports addressed to `issuer`.
    pub fn verifier(&self, issuer: &str) -> Verifier {
        Verifier::new(
            self.registries.clone(),
            self.db.clone(),
            self.clock.clone(),
            issuer,
        )
    }

    /// The account already registered for this member (by registration number, or by the
    /// registry's identifier), if any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn existing(&self, h: &Handoff) -> Result<Option<String>, RegistrationError> {
        if let Some(a) = self
            .accounts
            .find_by_designation(&h.college, &h.registration_number)
            .await?
        {
            return Ok(Some(a.id));
        }
        let r = sqlx::query(
            "SELECT account_id FROM registry_members WHERE registry_id = $1 AND member_id = $2",
        )
        .bind(&h.registry_id)
        .bind(&h.member_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(match r {
            Some(r) => Some(r.try_get("account_id").map_err(DbError::from)?),
            None => None,
        })
    }

    /// Creates the account of a self-registration in one transaction: the account with its
    /// credentials, challenge questions and phones (`new`, whose identity fields are replaced
    /// by the registry's), the registry record (which registry, which policy, which identifier,
    /// which consent), and the enrolments in the registry's services through its sponsor.
    /// Two completions for one member yield one account: the other gets `AlreadyRegistered`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn complete(
        &self,
        h: &Handoff,
        mut new: NewAccount,
        agreement_version: &str,
    ) -> Result<Completed, RegistrationError> {
        let registry = self
            .registries
            .get(&h.registry_id)
            .await?
            .ok_or(RegistrationError::UnknownRegistry)?;
        let now = self.clock.now();
        registry.accepts_at(now)?;
        registry.admits_class(h.registration_class.as_deref())?;
        if self
            .reported_terminated(&h.registry_id, &h.member_id)
            .await?
        {
            return Err(RegistrationError::MemberTerminated);
        }
        if self.existing(h).await?.is_some() {
            return Err(RegistrationError::AlreadyRegistered);
        }
        // One person, one account: never a second one silently (see `duplicates`).
        if let Some(account) = self.same_person(h).await? {
            return Err(RegistrationError::SamePerson(account));
        }
        // What the registry vouched for wins over anything typed.
        new.legal_given_name = Some(h.given_name.clone());
        new.legal_middle_name = h.middle_name.clone();
        new.legal_family_name = Some(h.family_name.clone());
        new.gender = Some(h.gender.clone());
        new.birth_date = Some(h.birth_date.clone());
        new.assurance_level = registry.assurance_level;
        new.temporary_password = false;
        new.agreement_version = Some(agreement_version.to_owned());
        new.login_id = None;
        new.designations.retain(|d| {
            !d.college.trim().eq_ignore_ascii_case(&h.college)
                && !d.registration_number.trim().is_empty()
        });
        new.designations.insert(
            0,
            Designation {
                college: h.college.clone(),
                registration_number: h.registration_number.clone(),
            },
        );
        let prepared = self.accounts.prepare(new).await?;
        // `accepts_at` refused a registry without a sponsor.
        let sponsor = registry
            .sponsor_id
            .clone()
            .ok_or(RegistrationError::NoSponsor)?;
        let services: Vec<Service> = self
            .directory
            .services()
            .await?
            .into_iter()
            .filter(|s| registry.services.contains(&s.id))
            .filter(|s| s.min_assurance_level <= registry.assurance_level)
            .collect();
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let created = match self.accounts.insert_prepared(&mut tx, &prepared).await {
            Ok(c) => c,
            Err(CredentialError::DesignationTaken) => {
                let _ = tx.rollback().await;
                // The registry's own number (a concurrent completion won), or another one.
                return Err(if self.existing(h).await?.is_some() {
                    RegistrationError::AlreadyRegistered
                } else {
                    RegistrationError::Account(CredentialError::DesignationTaken)
                });
            }
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = insert_member(&mut tx, &created.id, &registry, h, now).await {
            let _ = tx.rollback().await;
            return Err(e);
        }
        let by = format!("registry:{}", registry.id);
        services::sponsor_in(&mut tx, &created.id, &sponsor, None, &by, now).await?;
        for s in &services {
            services::enrol_in(&mut tx, &created.id, &s.id, &sponsor, &by, now).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        let detail = format!(
            "registry={} approval={} member={} college={} number={} level={} consent={} agreement={} services={}",
            registry.id,
            registry.approval.as_str(),
            h.member_id,
            h.college,
            h.registration_number,
            registry.assurance_level,
            h.consent_version,
            agreement_version,
            services.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(",")
        );
        let _ = self
            .audit
            .record(AuditEvent {
                event: "account.registered",
                actor: Some(&by),
                subject: Some(&created.id),
                detail: Some(&detail),
                ..Default::default()
            })
            .await;
        // A report that arrived while this registration was being stored: the report looks
        // for accounts after remembering its members, and this looks at the reports after
        // committing, so one of the two always sees the other.
        if self
            .reported_terminated(&h.registry_id, &h.member_id)
            .await?
        {
            self.terminate_account(
                &created.id,
                &h.registry_id,
                &h.member_id,
                &format!("registry:{}", h.registry_id),
            )
            .await?;
            return Err(RegistrationError::MemberTerminated);
        }
        Ok(Completed {
            account_id: created.id,
            login_id: created.login_id,
            services,
        })
    }

    /// Which registry validated an account: (registry id, member id, approval, consent version).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn provenance(
        &self,
        account_id: &str,
    ) -> Result<Option<Provenance>, RegistrationError> {
        let r = sqlx::query(
            "SELECT registry_id, member_id, approval, consent_version FROM registry_members \
             WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((
                r.try_get("registry_id").map_err(DbError::from)?,
                r.try_get("member_id").map_err(DbError::from)?,
                r.try_get("approval").map_err(DbError::from)?,
                r.try_get("consent_version").map_err(DbError::from)?,
            ))),
        }
    }
}

/// The registry record of a member (which registry, which approval and level, which
/// identifier, which consent) inside `tx`; `AlreadyRegistered` when the member has one.
pub(crate) async fn insert_member(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    registry: &Registry,
    h: &Handoff,
    now: i64,
) -> Result<(), RegistrationError> {
    let r = sqlx::query(
        "INSERT INTO registry_members (account_id, registry_id, member_id, approval, \
         assurance_level, registration_class, consent_version, consent_at, registered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(account_id)
    .bind(&registry.id)
    .bind(&h.member_id)
    .bind(registry.approval.as_str())
    .bind(registry.assurance_level)
    .bind(h.registration_class.as_deref())
    .bind(&h.consent_version)
    .bind(h.consent_at)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(DbError::from);
    match r {
        Err(e) if e.is_unique_violation() => Err(RegistrationError::AlreadyRegistered),
        Err(e) => Err(e.into()),
        Ok(_) => Ok(()),
    }
}
