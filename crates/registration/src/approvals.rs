//! Approvals of registries and managed registration processes are records, not flags (004
//! §5.2-5.3, §6.2-6.3): each review records who reviewed, when, the decision (general, or
//! limited with its services and dates), the owner's named contacts and the date of the next
//! review, and puts the decision in force. An approval is due for review when that date has
//! come, when it was never reviewed, or when a significant change or a change of corporate
//! structure was reported (§6.7.3); a change of the level of assurance counts as significant.

use crate::admin::{record, Actor, AdminError};
use crate::processes::ApprovalInput;
use crate::registries::RegistryUpdate;
use crate::{Approval, Registration};
use platform::DbError;
use serde::{Deserialize, Serialize};

/// What is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// A trusted registry.
    Registry,
    /// A registering organization's managed process.
    Process,
}

impl Subject {
    /// Parses `registry` | `process`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "registry" => Some(Self::Registry),
            "process" => Some(Self::Process),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Process => "process",
        }
    }
}

/// A review as an administrator records it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// Who reviewed (name, role).
    pub reviewed_by: String,
    /// When (unix seconds; default now).
    #[serde(default)]
    pub reviewed_at: Option<i64>,
    /// `general` or `limited`.
    pub decision: String,
    /// Limited: the services (a process's; a registry's limited approval covers its services).
    #[serde(default)]
    pub services: Vec<String>,
    /// Limited: from.
    #[serde(default)]
    pub approved_from: Option<i64>,
    /// Limited: until.
    #[serde(default)]
    pub approved_until: Option<i64>,
    /// The owner's named contacts.
    pub contacts: String,
    /// The next review (unix seconds, in the future).
    pub next_review_at: i64,
}

/// A recorded review.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// Registry or process.
    pub subject: Subject,
    /// Its id.
    pub subject_id: String,
    /// Who reviewed.
    pub reviewed_by: String,
    /// When.
    pub reviewed_at: i64,
    /// `general` or `limited`.
    pub decision: String,
    /// Limited: services.
    pub services: Vec<String>,
    /// Limited: from.
    pub approved_from: Option<i64>,
    /// Limited: until.
    pub approved_until: Option<i64>,
    /// The owner's named contacts.
    pub contacts: String,
    /// The next review.
    pub next_review_at: i64,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: i64,
}

/// An approval due for review, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Due {
    /// Registry or process.
    pub subject: Subject,
    /// Its id.
    pub subject_id: String,
    /// `never_reviewed`, `review_date`, `significant_change`, `corporate_structure` or
    /// `level_changed`.
    pub reason: String,
    /// Since when.
    pub since: i64,
}

fn bad(field: &'static str, m: &str) -> AdminError {
    AdminError::invalid(field, m)
}

fn st(e: impl Into<DbError>) -> AdminError {
    AdminError::Storage(e.into().to_string())
}

/// Marks `subject` due for review inside a transaction (kept if already due).
pub(crate) async fn mark_due_in(
    conn: &mut sqlx::AnyConnection,
    subject: Subject,
    id: &str,
    reason: &str,
    note: Option<&str>,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO approval_due (subject_kind, subject_id, since, reason, note) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subject_kind, subject_id) DO NOTHING",
    )
    .bind(subject.as_str())
    .bind(id)
    .bind(now)
    .bind(reason)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

impl Registration {
    async fn subject_exists(&self, s: Subject, id: &str) -> Result<(), AdminError> {
        let found = match s {
            Subject::Registry => self.registries.get(id).await.map_err(st_reg)?.is_some(),
            Subject::Process => self.process(id).await.map_err(st_reg)?.is_some(),
        };
        if found {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("no {} {id:?}", s.as_str())))
        }
    }

    /// Records a review of `id`'s approval and puts its decision in force (the registry's
    /// approval and dates, or the process's approval); the approval is no longer due.
    /// Audited `approval.reviewed`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_review(
        &self,
        s: Subject,
        id: &str,
        r: ReviewInput,
        actor: Actor<'_>,
    ) -> Result<Review, AdminError> {
        self.subject_exists(s, id).await?;
        let now = self.clock.now();
        let text = |v: &str, f: &'static str| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            if v.is_empty() || v.chars().count() > 500 {
                Err(bad(f, &format!("{f} is required (at most 500 characters)")))
            } else {
                Ok(v)
            }
        };
        let reviewed_by = text(&r.reviewed_by, "reviewed_by")?;
        let contacts = text(&r.contacts, "contacts")?;
        let reviewed_at = r.reviewed_at.unwrap_or(now);
        if reviewed_at > now {
            return Err(bad("reviewed_at", "reviewed_at cannot be in the future"));
        }
        if r.next_review_at <= now {
            return Err(bad(
                "next_review_at",
                "next_review_at must be in the future",
            ));
        }
        let decision = Approval::parse(r.decision.trim())
            .ok_or_else(|| bad("decision", "decision must be general or limited"))?;
        match s {
            Subject::Registry => {
                self.registries
                    .update(
                        id,
                        RegistryUpdate {
                            approval: Some(decision),
                            approved_from: Some(r.approved_from),
                            approved_until: Some(r.approved_until),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(crate::registries::refused)?;
            }
            Subject::Process => {
                let input = ApprovalInput {
                    approval: decision.as_str().into(),
                    approved_from: r.approved_from,
                    approved_until: r.approved_until,
                    services: r.services.clone(),
                };
                self.set_process_approval(id, input, actor).await?;
            }
        }
        let services = match (s, decision) {
            (Subject::Process, Approval::Limited) => r.services.clone(),
            (Subject::Registry, Approval::Limited) => self
                .registries
                .get(id)
                .await
                .map_err(st_reg)?
                .map(|x| x.services)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let review = Review {
            subject: s,
            subject_id: id.to_owned(),
            reviewed_by,
            reviewed_at,
            decision: decision.as_str().into(),
            services,
            approved_from: r.approved_from,
            approved_until: r.approved_until,
            contacts,
            next_review_at: r.next_review_at,
            recorded_by: actor.name.to_owned(),
            recorded_at: now,
        };
        let mut tx = self.db.pool().begin().await.map_err(st)?;
        // The next number of this subject's reviews (two reviews recorded at once: the unique
        // index refuses the second, which is not stored).
        let (seq,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM approval_reviews \
             WHERE subject_kind = $1 AND subject_id = $2",
        )
        .bind(s.as_str())
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(st)?;
        sqlx::query(
            "INSERT INTO approval_reviews (id, subject_kind, subject_id, seq, reviewed_by, \
             reviewed_at, decision, services, approved_from, approved_until, contacts, \
             next_review_at, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $14, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(platform::crypto::random_token(16))
        .bind(s.as_str())
        .bind(id)
        .bind(&review.reviewed_by)
        .bind(review.reviewed_at)
        .bind(&review.decision)
        .bind(Some(review.services.join(",")).filter(|x| !x.is_empty()))
        .bind(review.approved_from)
        .bind(review.approved_until)
        .bind(&review.contacts)
        .bind(review.next_review_at)
        .bind(&review.recorded_by)
        .bind(now)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(st)?;
        sqlx::query("DELETE FROM approval_due WHERE subject_kind = $1 AND subject_id = $2")
            .bind(s.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(st)?;
        tx.commit().await.map_err(st)?;
        let detail = format!(
            "{} {id}: {} by {:?} on {}; contacts {:?}; next review {}",
            s.as_str(),
            review.decision,
            review.reviewed_by,
            review.reviewed_at,
            review.contacts,
            review.next_review_at
        );
        record(&self.audit, "approval.reviewed", actor, id, &detail).await;
        Ok(review)
    }

    /// Reports a significant change or a change of corporate structure of `id` (004 §6.7.3):
    /// its approval is due for review. Audited `approval.due`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn report_change(
        &self,
        s: Subject,
        id: &str,
        kind: &str,
        note: Option<&str>,
        actor: Actor<'_>,
    ) -> Result<(), AdminError> {
        self.subject_exists(s, id).await?;
        let reason = match kind {
            "significant_change" | "corporate_structure" => kind,
            _ => {
                return Err(bad(
                    "kind",
                    "kind must be significant_change or corporate_structure",
                ))
            }
        };
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 500 || n.chars().any(char::is_control)) {
            return Err(bad("note", "note: at most 500 characters"));
        }
        let mut conn = self.db.pool().acquire().await.map_err(st)?;
        mark_due_in(&mut conn, s, id, reason, note, self.clock.now())
            .await
            .map_err(st)?;
        let detail = format!(
            "{} {id}: {reason}{}",
            s.as_str(),
            note.map_or(String::new(), |n| format!(": {n:?}"))
        );
        record(&self.audit, "approval.due", actor, id, &detail).await;
        Ok(())
    }

    /// The reviews of `id`, newest first.
    pub async fn reviews(&self, s: Subject, id: &str) -> Result<Vec<Review>, AdminError> {
        self.subject_exists(s, id).await?;
        let rows: Vec<ReviewRow> = sqlx::query_as(
            "SELECT reviewed_by, reviewed_at, decision, services, approved_from, approved_until, \
             contacts, next_review_at, recorded_by, recorded_at FROM approval_reviews \
             WHERE subject_kind = $1 AND subject_id = $2 ORDER BY seq DESC",
        )
        .bind(s.as_str())
        .bind(id)
        .fetch_all(self.db.pool())
        .await
        .map_err(st)?;
        Ok(rows.into_iter().map(|r| r.review(s, id)).collect())
    }

    /// The approvals due for review now: never reviewed, past their review date, or reported
    /// changed; by subject.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn approvals_due(&self) -> Result<Vec<Due>, AdminError> {
        let now = self.clock.now();
        let mut out = Vec::new();
        let registries = self.registries.list().await.map_err(st_reg)?;
        let mut subjects: Vec<(Subject, String, i64)> = registries
            .into_iter()
            .filter(|r| r.status != crate::RegistryStatus::Terminated)
            .map(|r| (Subject::Registry, r.id, r.created_at))
            .collect();
        for o in self
            .directory
            .registering_organizations()
            .await
            .map_err(st_reg)?
        {
            if let Some(p) = self.process(&o.id).await.map_err(st_reg)? {
                if p.status != crate::processes::ProcessStatus::Terminated {
                    subjects.push((Subject::Process, o.id, o.created_at));
                }
            }
        }
        for (s, id, created) in subjects {
            let flagged: Option<(i64, String)> = sqlx::query_as(
                "SELECT since, reason FROM approval_due WHERE subject_kind = $1 AND subject_id = $2",
            )
            .bind(s.as_str())
            .bind(&id)
            .fetch_optional(self.db.pool())
            .await
            .map_err(st)?;
            let last: Option<(i64,)> = sqlx::query_as(
                "SELECT next_review_at FROM approval_reviews WHERE subject_kind = $1 \
                 AND subject_id = $2 ORDER BY seq DESC LIMIT 1",
            )
            .bind(s.as_str())
            .bind(&id)
            .fetch_optional(self.db.pool())
            .await
            .map_err(st)?;
            let due = match (flagged, last) {
                (Some((since, reason)), _) => Some((reason, since)),
                (None, None) => Some(("never_reviewed".to_owned(), created)),
                (None, Some((next,))) if next <= now => Some(("review_date".to_owned(), next)),
                _ => None,
            };
            if let Some((reason, since)) = due {
                out.push(Due {
                    subject: s,
                    subject_id: id,
                    reason,
                    since,
                });
            }
        }
        Ok(out)
    }
}

fn st_reg(e: crate::RegistrationError) -> AdminError {
    AdminError::Storage(e.to_string())
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    reviewed_by: String,
    reviewed_at: i64,
    decision: String,
    services: Option<String>,
    approved_from: Option<i64>,
    approved_until: Option<i64>,
    contacts: String,
    next_review_at: i64,
    recorded_by: String,
    recorded_at: i64,
}

impl ReviewRow {
    fn review(self, s: Subject, id: &str) -> Review {
        Review {
            subject: s,
            subject_id: id.to_owned(),
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            decision: self.decision,
            services: self
                .services
                .map(|x| x.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            approved_from: self.approved_from,
            approved_until: self.approved_until,
            contacts: self.contacts,
            next_review_at: self.next_review_at,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
        }
    }
}
