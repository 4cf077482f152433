//! The provenance of an account as an auditor reads it (004 §5.8, §6.8): which registry or
//! organization validated the identity and under which approval, the unique identifier used,
//! the identity evidence recorded and which LRA recorded it, when, and every level of
//! assurance the account had and why. Read from `registry_members`, `sponsorships`,
//! `identity_evidence` and the account's audit rows, each by an index on the account.

mod levels;

pub use levels::{LevelReason, LevelRule, LEVEL_CHANGED};

use crate::{Registration, RegistrationError};
use platform::DbError;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// How a source validated the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A trusted registry, through a self-registration (004 §5).
    Registry,
    /// A registering organization's managed registration process (004 §6).
    ManagedProcess,
    /// An LRA of a sponsoring organization, on identity documents (004 App. B).
    InPerson,
}

/// The approval a registry or managed process worked under: the review in force when it
/// validated the account, if one was recorded by then; otherwise, for a registry, the kind
/// recorded at registration with the registry's dates and services today, and for a managed
/// process, its approval today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceApproval {
    /// `general` or `limited`.
    pub kind: String,
    /// A limited approval's first second (unix seconds), when it has one.
    pub from: Option<i64>,
    /// A limited approval's last second (unix seconds), when it has one.
    pub until: Option<i64>,
    /// A limited approval's services (the only ones its identities reach).
    pub services: Vec<String>,
    /// The approval's scope in words (an organization's note), if any.
    pub scope: Option<String>,
    /// The approval review in force when the source validated the identity (the last one
    /// recorded by then), whose decision, dates and services the fields above then give.
    pub review: Option<ApprovalReview>,
}

/// A recorded review of an approval (004 §5.2-5.3, §6.2-6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalReview {
    /// Its number among the subject's reviews (1, 2, ...).
    pub seq: i64,
    /// Who reviewed.
    pub reviewed_by: String,
    /// When.
    pub reviewed_at: i64,
    /// When the next review is due.
    pub next_review_at: i64,
}

/// Who acted: an audit actor, and for a person their login ID and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Who {
    /// As recorded: an account id, `registry:<id>`, `cli`, `client:<id>`.
    pub actor: String,
    /// The person's login ID, when the actor is an account.
    pub login_id: Option<String>,
    /// The person's name, when the actor is an account.
    pub name: Option<String>,
}

/// A registry or organization that validated the identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// How.
    pub kind: SourceKind,
    /// Registry or organization id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its status today: a registry's, a managed process's own (`active`, `suspended`,
    /// `terminated`), or the LRA's organization's.
    pub status: String,
    /// The approval it works under; none for an LRA's registration on identity documents,
    /// which no registration approval governs.
    pub approval: Option<SourceApproval>,
    /// The level it assigned.
    pub level: Option<i64>,
    /// The unique identifier it knows the person by (registry member id, organization id).
    pub identifier: Option<String>,
    /// What that identifier is, in words.
    pub id_scheme: Option<String>,
    /// When it validated the identity.
    pub at: i64,
    /// Who acted for it.
    pub by: Option<Who>,
    /// When it stopped vouching (registration terminated, sponsorship ended).
    pub ended_at: Option<i64>,
}

/// One piece of evidence an LRA recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRecord {
    /// `primary`, `secondary` or `affiliation`.
    pub kind: String,
    /// The document's catalogue code, or the affiliation evidence in words.
    pub document: String,
    /// What the LRA confirmed of an affiliation, as recorded (JSON), if anything.
    pub details: Option<serde_json::Value>,
    /// The document carries the person's photo.
    pub photo: bool,
    /// The person was met face to face.
    pub in_person: bool,
    /// The LRA's organization.
    pub organization_id: String,
    /// The LRA.
    pub recorded_by: Who,
    /// When.
    pub recorded_at: i64,
}

/// A level set or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelChange {
    /// When.
    pub at: i64,
    /// The level before (none when the account was made).
    pub from: Option<i64>,
    /// The level after.
    pub to: i64,
    /// Why.
    pub reason: LevelReason,
    /// Who.
    pub by: Option<Who>,
    /// The audit row that records it.
    pub audit_id: i64,
}

/// Everything known of where an account's identity comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Provenance {
    /// The registries and organizations that validated it, oldest first.
    pub validated_by: Vec<Source>,
    /// The evidence recorded, oldest first.
    pub evidence: Vec<EvidenceRecord>,
    /// Every level it had, oldest first.
    pub level_history: Vec<LevelChange>,
}

/// An audit row read for the provenance.
struct Row_ {
    id: i64,
    at: i64,
    event: String,
    actor: Option<String>,
    detail: String,
}

/// An organization that validated the identity, as the audit trail and evidence show it.
struct Validation {
    org: String,
    at: i64,
    actor: Option<String>,
    level: Option<i64>,
    managed: bool,
}

/// A sponsorship: (organization, member id, ended at).
type Sponsorship = (String, Option<String>, Option<i64>);

fn db(e: sqlx::Error) -> RegistrationError {
    DbError::from(e).into()
}

impl Registration {
    /// The provenance of account `account_id` (an empty one for an account made without a
    /// source, by the command line say).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn account_provenance(
        &self,
        account_id: &str,
    ) -> Result<Provenance, RegistrationError> {
        let rows = self.provenance_rows(account_id).await?;
        let mut who = Names::default();
        let mut out = Provenance::default();
        if let Some(s) = self.registry_source(account_id).await? {
            out.validated_by.push(s);
        }
        let sponsorships = self.sponsorships_of(account_id).await?;
        let evidence = self.evidence_of(account_id).await?;
        // Organizations that validated: named by an LRA's registration, or holding evidence.
        let mut orgs: Vec<Validation> = Vec::new();
        for r in rows.iter().filter(|r| r.event.starts_with("lra.")) {
            let Some(org) = levels::word(&r.detail, "org") else {
                continue;
            };
            let level = levels::assigned(&r.detail);
            let managed = r.event == levels::AFFILIATE_REGISTERED;
            match orgs.iter_mut().find(|o| o.org == org) {
                Some(o) => {
                    o.level = o.level.max(level);
                    o.managed |= managed;
                }
                None => orgs.push(Validation {
                    org: org.to_owned(),
                    at: r.at,
                    actor: r.actor.clone(),
                    level,
                    managed,
                }),
            }
        }
        for e in &evidence {
            if !orgs.iter().any(|o| o.org == e.organization_id) {
                orgs.push(Validation {
                    org: e.organization_id.clone(),
                    at: e.recorded_at,
                    actor: Some(e.recorded_by.actor.clone()),
                    level: None,
                    managed: e.kind == "affiliation",
                });
            }
        }
        for v in orgs {
            let source = self.organization_source(v, &sponsorships, &mut who).await?;
            out.validated_by.push(source);
        }
        for s in &mut out.validated_by {
            let kind = match s.kind {
                SourceKind::Registry => "registry",
                SourceKind::ManagedProcess => "process",
                SourceKind::InPerson => continue,
            };
            if let (Some(a), Some(mut r)) =
                (&mut s.approval, self.review_at(kind, &s.id, s.at).await?)
            {
                // The organization's note stays; a registry's limited review covers its services.
                r.scope = a.scope.take();
                if r.kind == "limited" && r.services.is_empty() {
                    r.services = std::mem::take(&mut a.services);
                }
                *a = r;
            }
        }
        out.validated_by.sort_by_key(|s| s.at);
        for mut e in evidence {
            e.recorded_by = who.of(self, &e.recorded_by.actor).await?;
            out.evidence.push(e);
        }
        for r in &rows {
            if let Some((from, to, reason)) = levels::read(&r.event, &r.detail) {
                let by = match &r.actor {
                    Some(a) => Some(who.of(self, a).await?),
                    None => None,
                };
                out.level_history.push(LevelChange {
                    at: r.at,
                    from,
                    to,
                    reason,
                    by,
                    audit_id: r.id,
                });
            }
        }
        Ok(out)
    }

    /// An organization that validated the identity, with its approval and the identifier
    /// it registered the person under.
    async fn organization_source(
        &self,
        v: Validation,
        sponsorships: &[Sponsorship],
        who: &mut Names,
    ) -> Result<Source, RegistrationError> {
        let record = self.directory.organization(&v.org).await?;
        let (member, ended) = sponsorships
            .iter()
            .find(|s| s.0 == v.org)
            .map_or((None, None), |s| (s.1.clone(), s.2));
        let process = self.process(&v.org).await?;
        let managed = v.managed || (member.is_some() && process.is_some());
        let scope = record.as_ref().and_then(|o| o.scope.clone());
        let now = self.clock.now();
        let (status, approval) = match process.filter(|_| managed) {
            Some(p) => (
                p.status_at(now).as_str().to_owned(),
                Some(SourceApproval {
                    kind: p.approval.to_owned(),
                    from: p.approved_from,
                    until: p.approved_until,
                    services: p.services,
                    scope,
                    review: None,
                }),
            ),
            None => (
                record
                    .as_ref()
                    .map_or_else(String::new, |o| o.status.clone()),
                None,
            ),
        };
        Ok(Source {
            kind: if managed {
                SourceKind::ManagedProcess
            } else {
                SourceKind::InPerson
            },
            name: record
                .as_ref()
                .map_or_else(|| v.org.clone(), |o| o.name.clone()),
            status,
            approval,
            level: v.level,
            identifier: member,
            id_scheme: record.and_then(|o| o.id_scheme).filter(|_| managed),
            at: v.at,
            by: match v.actor {
                Some(a) => Some(who.of(self, &a).await?),
                None => None,
            },
            ended_at: ended,
            id: v.org,
        })
    }

    /// The approval review of `kind` (`registry` or `process`) `id` in force at `at`: the
    /// last one recorded by then (index `approval_reviews_subject`, newest first), as the
    /// approval it decided.
    async fn review_at(
        &self,
        kind: &str,
        id: &str,
        at: i64,
    ) -> Result<Option<SourceApproval>, RegistrationError> {
        let Some(r) = sqlx::query(
            "SELECT seq, reviewed_by, reviewed_at, decision, services, approved_from, \
             approved_until, next_review_at FROM approval_reviews WHERE subject_kind = $1 \
             AND subject_id = $2 AND recorded_at <= $3 ORDER BY seq DESC LIMIT 1",
        )
        .bind(kind)
        .bind(id)
        .bind(at)
        .fetch_optional(self.db.pool())
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let services: Option<String> = r.try_get("services").map_err(db)?;
        Ok(Some(SourceApproval {
            kind: r.try_get("decision").map_err(db)?,
            from: r.try_get("approved_from").map_err(db)?,
            until: r.try_get("approved_until").map_err(db)?,
            services: services
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            scope: None,
            review: Some(ApprovalReview {
                seq: r.try_get("seq").map_err(db)?,
                reviewed_by: r.try_get("reviewed_by").map_err(db)?,
                reviewed_at: r.try_get("reviewed_at").map_err(db)?,
                next_review_at: r.try_get("next_review_at").map_err(db)?,
            }),
        }))
    }

    /// The account's audit rows of [`levels::EVENTS`], oldest first (index `audit_log_subject`).
    async fn provenance_rows(&self, account_id: &str) -> Result<Vec<Row_>, RegistrationError> {
        let marks = (2..2 + levels::EVENTS.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, at, event, actor, detail FROM audit_log WHERE subject = $1 \
             AND event IN ({marks}) ORDER BY id"
        );
        let mut q = sqlx::query(&sql).bind(account_id);
        for e in levels::EVENTS {
            q = q.bind(*e);
        }
        let rows = q.fetch_all(self.db.pool()).await.map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Row_ {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    event: r.try_get("event")?,
                    actor: r.try_get("actor")?,
                    detail: r
                        .try_get::<Option<String>, _>("detail")?
                        .unwrap_or_default(),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db)
    }

    /// The registry that validated a self-registered account (`registry_members` by its key).
    async fn registry_source(&self, account_id: &str) -> Result<Option<Source>, RegistrationError> {
        let Some(r) = sqlx::query(
            "SELECT registry_id, member_id, approval, assurance_level, registered_at, \
             terminated_at FROM registry_members WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let id: String = r.try_get("registry_id").map_err(db)?;
        let registry = self.registries.get(&id).await?;
        let approval: String = r.try_get("approval").map_err(db)?;
        let limited = approval == "limited";
        Ok(Some(Source {
            kind: SourceKind::Registry,
            name: registry
                .as_ref()
                .map_or_else(|| id.clone(), |g| g.name.clone()),
            status: registry
                .as_ref()
                .map_or_else(String::new, |g| g.status.as_str().to_owned()),
            approval: Some(SourceApproval {
                kind: approval,
                from: registry
                    .as_ref()
                    .and_then(|g| g.approved_from)
                    .filter(|_| limited),
                until: registry
                    .as_ref()
                    .and_then(|g| g.approved_until)
                    .filter(|_| limited),
                services: registry
                    .as_ref()
                    .filter(|_| limited)
                    .map_or_else(Vec::new, |g| g.services.clone()),
                scope: None,
                review: None,
            }),
            level: Some(r.try_get("assurance_level").map_err(db)?),
            identifier: Some(r.try_get("member_id").map_err(db)?),
            id_scheme: registry.as_ref().map(|g| g.id_scheme.clone()),
            at: r.try_get("registered_at").map_err(db)?,
            by: Some(Who {
                actor: format!("registry:{id}"),
                login_id: None,
                name: None,
            }),
            ended_at: r.try_get("terminated_at").map_err(db)?,
            id,
        }))
    }

    /// The account's sponsorships (primary key `(account_id, organization_id)`).
    async fn sponsorships_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<Sponsorship>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT organization_id, member_id, status, ended_at FROM sponsorships \
             WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let ended: Option<i64> = r.try_get("ended_at")?;
                Ok((
                    r.try_get("organization_id")?,
                    r.try_get("member_id")?,
                    ended.filter(|_| status != "active"),
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db)
    }

    /// The evidence recorded for the account, oldest first (index
    /// `identity_evidence_account`), the recorder as its actor only.
    async fn evidence_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<EvidenceRecord>, RegistrationError> {
        let rows = sqlx::query(
            "SELECT organization_id, kind, document, details, photo, in_person, recorded_by, \
             recorded_at FROM identity_evidence WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await
        .map_err(db)?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(EvidenceRecord {
                    organization_id: r.try_get("organization_id")?,
                    kind: r.try_get("kind")?,
                    document: r.try_get("document")?,
                    details: r
                        .try_get::<Option<String>, _>("details")?
                        .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
                    photo: r.try_get::<i64, _>("photo")? != 0,
                    in_person: r.try_get::<i64, _>("in_person")? != 0,
                    recorded_by: Who {
                        actor: r.try_get("recorded_by")?,
                        login_id: None,
                        name: None,
                    },
                    recorded_at: r.try_get("recorded_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)?;
        // Primary before secondary within one registration, as the LRA recorded them.
        out.sort_by_key(|e| (e.recorded_at, e.kind != "primary"));
        Ok(out)
    }
}

/// Actors already looked up.
#[derive(Default)]
struct Names(HashMap<String, Who>);

impl Names {
    /// `actor` with the login ID and name of the account it names, if it names one.
    async fn of(&mut self, r: &Registration, actor: &str) -> Result<Who, RegistrationError> {
        if let Some(w) = self.0.get(actor) {
            return Ok(w.clone());
        }
        let id = actor.strip_prefix("account:").unwrap_or(actor);
        let account = if id.contains(':') || id == "cli" || id == "system" {
            None
        } else {
            r.accounts.find_by_id(id).await?
        };
        let w = Who {
            actor: actor.to_owned(),
            login_id: account.as_ref().map(|a| a.login_id.clone()),
            name: account.as_ref().map(|a| a.display_name()),
        };
        self.0.insert(actor.to_owned(), w.clone());
        Ok(w)
    }
}
