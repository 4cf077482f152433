//! Registering people: a person met face to face on identity documents (004 App. B), or an
//! affiliate of a registering organization on its managed registration process (004 §6.5.6);
//! one account per person, created in one transaction with its evidence and sponsorship.

use super::evidence::{self, assess};
use super::person::{
    AffiliateRegistration, Identity, PersonRegistration, Registered, TemporaryPassword,
};
use super::{db, Lra, LraError, Registrar};
use crate::services;
use crate::RegistrationError;
use credential_store::{Account, CredentialError};
use sqlx::Row;

/// One evidence row to store.
struct NewEvidence {
    kind: &'static str,
    document: String,
    photo: bool,
    in_person: bool,
    /// Structured details (evidence of affiliation), JSON.
    details: Option<String>,
}

/// A registration checked and ready to store.
struct Intake<'a> {
    identity: &'a Identity,
    level: i64,
    rows: Vec<NewEvidence>,
    /// The organization's identifier of the person (managed registration).
    member: Option<&'a str>,
    /// Audit event of a new account.
    event: &'static str,
    /// Audit detail so far.
    detail: &'a str,
}

fn docs_line(rows: &[NewEvidence]) -> String {
    if rows.is_empty() {
        return "-".into();
    }
    rows.iter()
        .map(|r| match r.kind {
            "affiliation" => "affiliation".to_owned(),
            k => format!("{}({k}{})", r.document, if r.photo { ",photo" } else { "" }),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Lra {
    /// The account already registered for this person: by registration number, else by legal
    /// names and date of birth (any status: a person has one account).
    async fn existing(&self, id: &Identity) -> Result<Option<Account>, LraError> {
        if let Some(d) = &id.designation {
            if let Some(a) = self
                .accounts
                .find_by_designation(&d.college, &d.registration_number)
                .await?
            {
                if !Self::same_person(&a, id) {
                    return Err(CredentialError::DesignationTaken.into());
                }
                return Ok(Some(a));
            }
        }
        Ok(self
            .accounts
            .find_by_legal_identity(
                &id.legal_given_name,
                &id.legal_family_name,
                &id.birth_date,
                true,
            )
            .await?)
    }

    /// Registers a person met by the LRA on identity documents (004 App. B) at the level the
    /// evidence supports. A person who already has an account keeps it (no second account):
    /// the organization sponsors it, the evidence is recorded, and its level is raised when
    /// the evidence supports more. Otherwise one transaction creates the account (generated
    /// login ID, temporary password to change at the first sign-in), the evidence rows and
    /// the sponsorship. Nothing is stored on any error.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn register_person(
        &self,
        r: &Registrar,
        reg: PersonRegistration,
    ) -> Result<Registered, LraError> {
        r.active()?;
        reg.identity.check()?;
        let problems = assess(reg.level, &reg.evidence);
        if !problems.is_empty() {
            return Err(LraError::Evidence(problems));
        }
        let docs = evidence::documents(&reg.evidence).map_err(LraError::Evidence)?;
        let rows: Vec<NewEvidence> = docs
            .iter()
            .map(|d| NewEvidence {
                details: None,
                kind: d.kind.as_str(),
                document: d.document.code.to_owned(),
                photo: d.document.photo,
                in_person: reg.evidence.in_person,
            })
            .collect();
        let detail = format!(
            "org={} level=AL{} in_person={} second_check={} documents={}",
            r.organization.id,
            reg.level,
            reg.evidence.in_person,
            reg.evidence.second_check,
            docs_line(&rows)
        );
        let intake = Intake {
            identity: &reg.identity,
            level: reg.level,
            rows,
            member: None,
            event: "lra.person_registered",
            detail: &detail,
        };
        self.register(r, intake).await
    }

    /// Registers an affiliate of a registering organization on its managed process (004
    /// §6.5.6): the organization's identifier of the person and the documentary evidence of
    /// affiliation, at the organization's assigned level. One account per identifier: an
    /// identifier already registered finds that account.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn register_affiliate(
        &self,
        r: &Registrar,
        reg: AffiliateRegistration,
    ) -> Result<Registered, LraError> {
        r.active()?;
        let org = &r.organization;
        let level = match (org.registering, org.assurance_level) {
            (true, Some(l)) => l,
            _ => return Err(LraError::NotRegistering),
        };
        let open = crate::processes::registers(&self.db, &org.id, self.clock.now())
            .await
            .map_err(db)?;
        if !open {
            return Err(LraError::ProcessClosed);
        }
        reg.identity.check()?;
        let member = reg.member_id.trim();
        if member.is_empty() {
            return Err(LraError::Missing("member_id"));
        }
        if member.chars().count() > 64 || member.chars().any(char::is_control) {
            return Err(LraError::Invalid("member_id"));
        }
        let details = reg.affiliation.check(member).map_err(|(f, missing)| {
            if missing {
                LraError::Missing(f)
            } else {
                LraError::Invalid(f)
            }
        })?;
        let code = reg.affiliation.document.trim().to_owned();
        let rows = vec![NewEvidence {
            kind: "affiliation",
            photo: code == "photo_employee_id",
            in_person: details.source == super::affiliation::Source::Registrant,
            document: code,
            details: serde_json::to_string(&details).ok(),
        }];
        let detail = format!(
            "org={} level=AL{level} member={member} scheme={:?} evidence=affiliation:{} \
             relationship={:?}",
            org.id,
            org.id_scheme.as_deref().unwrap_or(""),
            rows[0].document,
            details.relationship
        );
        let intake = Intake {
            identity: &reg.identity,
            level,
            rows,
            member: Some(member),
            event: "lra.affiliate_registered",
            detail: &detail,
        };
        self.register(r, intake).await
    }

    /// Whether an account found by a number (registration number, organization identifier)
    /// is the person typed: same legal last name and date of birth, where it has them.
    fn same_person(a: &Account, id: &Identity) -> bool {
        let norm = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        let family = a.legal_family_name.as_deref().unwrap_or(&a.family_name);
        norm(family) == norm(&id.legal_family_name)
            && a.birth_date
                .as_deref()
                .is_none_or(|d| d == id.birth_date.trim())
    }

    async fn by_member(&self, org: &str, member: &str) -> Result<Option<Account>, LraError> {
        let r = sqlx::query(
            "SELECT account_id FROM sponsorships WHERE organization_id = $1 AND member_id = $2",
        )
        .bind(org)
        .bind(member)
        .fetch_optional(self.db.pool())
        .await
        .map_err(db)?;
        match r {
            None => Ok(None),
            Some(r) => {
                let id: String = r.try_get("account_id").map_err(db)?;
                Ok(self.accounts.find_by_id(&id).await?)
            }
        }
    }

    async fn register(&self, r: &Registrar, i: Intake<'_>) -> Result<Registered, LraError> {
        let Intake {
            identity,
            level,
            rows,
            member,
            event,
            detail,
        } = i;
        let org = r.organization.id.as_str();
        let found = match member {
            Some(m) => match self.by_member(org, m).await? {
                Some(a) if !Self::same_person(&a, identity) => {
                    return Err(LraError::MemberIdConflict)
                }
                Some(a) => Some(a),
                None => self.existing(identity).await?,
            },
            None => self.existing(identity).await?,
        };
        if let Some(a) = found {
            return self
                .attach(
                    r,
                    a,
                    identity.birth_date.trim(),
                    level,
                    &rows,
                    member,
                    detail,
                )
                .await;
        }
        // A random temporary password can break the rule against personal information by
        // chance: draw another.
        let mut prepared = None;
        for _ in 0..8 {
            let pw = credential_store::temporary_password();
            match self
                .accounts
                .prepare(identity.account(level, pw.clone()))
                .await
            {
                Ok(p) => {
                    prepared = Some((p, pw));
                    break;
                }
                Err(CredentialError::Policy(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let Some((prepared, password)) = prepared else {
            return Err(CredentialError::Hash.into());
        };
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(db)?;
        let created = match self.accounts.insert_prepared(&mut tx, &prepared).await {
            Ok(c) => c,
            Err(CredentialError::DesignationTaken) => {
                let _ = tx.rollback().await;
                // Registered meanwhile (by number): that is the person's account.
                return match self.existing(identity).await? {
                    Some(a) => {
                        self.attach(
                            r,
                            a,
                            identity.birth_date.trim(),
                            level,
                            &rows,
                            member,
                            detail,
                        )
                        .await
                    }
                    None => Err(CredentialError::DesignationTaken.into()),
                };
            }
            Err(e) => return Err(e.into()),
        };
        for row in &rows {
            insert_evidence(&mut tx, &created.id, org, row, &r.account_id, now).await?;
        }
        match services::sponsor_in(&mut tx, &created.id, org, member, &r.account_id, now).await {
            Ok(()) => {}
            Err(RegistrationError::Exists) => {
                // The identifier was registered meanwhile: that is the person's account.
                let _ = tx.rollback().await;
                if let Some(a) = self.by_member(org, member.unwrap_or("")).await? {
                    return self
                        .attach(
                            r,
                            a,
                            identity.birth_date.trim(),
                            level,
                            &rows,
                            member,
                            detail,
                        )
                        .await;
                }
                return Err(LraError::MemberIdConflict);
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await.map_err(db)?;
        let detail = format!(
            "{detail} login_id={} account: none -> created (temporary password) sponsorship: none -> active",
            created.login_id
        );
        self.record(r, event, &created.id, &detail).await;
        Ok(Registered::Created {
            account_id: created.id,
            login_id: created.login_id,
            temporary_password: TemporaryPassword(password),
            level,
        })
    }

    /// The person has an account: the organization sponsors it (under `member`, when given),
    /// the evidence is recorded and the level raised if the evidence supports more. One
    /// transaction.
    #[allow(clippy::too_many_arguments)]
    async fn attach(
        &self,
        r: &Registrar,
        a: Account,
        birth_date: &str,
        level: i64,
        rows: &[NewEvidence],
        member: Option<&str>,
        detail: &str,
    ) -> Result<Registered, LraError> {
        let org = r.organization.id.as_str();
        if a.id == r.account_id {
            return Err(LraError::OwnAccount);
        }
        let before = self.sponsorship(org, &a.id).await?;
        // Someone else's person becomes this organization's only on evidence as strong as
        // what the account holds: the same date of birth on record, in person (or through
        // the organization's managed process), at or above the account's level.
        let sponsored_here = before.as_ref().is_some_and(|(s, _)| s == "active");
        if !sponsored_here {
            let dob_matches = a.birth_date.as_deref() == Some(birth_date);
            let direct = member.is_some() || rows.iter().any(|x| x.in_person);
            if !(dob_matches && direct && level >= a.assurance_level) {
                return Err(LraError::ExistingNeedsEvidence);
            }
        }
        if let (Some(m), Some((_, Some(had)))) = (member, &before) {
            if had != m {
                return Err(LraError::MemberIdConflict);
            }
        }
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await.map_err(db)?;
        let was = before
            .as_ref()
            .map_or("none", |(s, _)| s.as_str())
            .to_owned();
        if was != "active" || member.is_some() {
            match services::sponsor_in(&mut tx, &a.id, org, member, &r.account_id, now).await {
                Ok(()) => {}
                Err(RegistrationError::Exists) => {
                    let _ = tx.rollback().await;
                    return Err(LraError::MemberIdConflict);
                }
                Err(e) => return Err(e.into()),
            }
        }
        for row in rows {
            insert_evidence(&mut tx, &a.id, org, row, &r.account_id, now).await?;
        }
        let raised = level > a.assurance_level;
        if raised {
            sqlx::query("UPDATE accounts SET assurance_level = $2, updated_at = $3 WHERE id = $1")
                .bind(&a.id)
                .bind(level)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        let detail = format!(
            "{detail} existing login_id={} sponsorship: {was} -> active level: AL{} -> AL{}",
            a.login_id,
            a.assurance_level,
            level.max(a.assurance_level)
        );
        self.record(r, "lra.existing_found", &a.id, &detail).await;
        Ok(Registered::Existing {
            account_id: a.id,
            login_id: a.login_id,
        })
    }
}

async fn insert_evidence(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: &str,
    org: &str,
    row: &NewEvidence,
    by: &str,
    now: i64,
) -> Result<(), LraError> {
    sqlx::query(
        "INSERT INTO identity_evidence (id, account_id, organization_id, kind, document, photo, \
         in_person, recorded_by, recorded_at, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(platform::crypto::random_token(16))
    .bind(account_id)
    .bind(org)
    .bind(row.kind)
    .bind(&row.document)
    .bind(i64::from(row.photo))
    .bind(i64::from(row.in_person))
    .bind(by)
    .bind(now)
    .bind(row.details.as_deref())
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
