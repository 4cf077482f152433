//! Managed registration processes of registering organizations, held to the rules of
//! registries (004 §6): the approval is a record (general, or limited to some services and
//! dates, §6.3.3) that the gate enforces; the process has a status of its own, apart from the
//! organization's status as a sponsor (§6.6.1), which applies from a date (§6.7.1); and the
//! organization reports the affiliates whose registration ended (§6.7.2), whose accounts are
//! then terminated in one transaction.

use crate::admin::{record, Actor, AdminError};
use crate::{Approval, Registration, RegistrationError, Terminations};
use platform::{AuditEvent, DbError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The status of a managed registration process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessStatus {
    /// Registers.
    Active,
    /// Registers no one until reinstated.
    Suspended,
    /// Registers no one, for good.
    Terminated,
}

impl ProcessStatus {
    /// Parses `active` | `suspended` | `terminated`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "terminated" => Some(Self::Terminated),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
        }
    }
}

/// The approval and status of an organization's managed registration process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Process {
    /// The registering organization.
    pub organization_id: String,
    /// `general` or `limited`.
    pub approval: &'static str,
    /// A limited approval's first second, if any.
    pub approved_from: Option<i64>,
    /// A limited approval's last second, if any.
    pub approved_until: Option<i64>,
    /// A limited approval's services (the only ones its identities reach).
    pub services: Vec<String>,
    /// The status from `status_from` on.
    pub status: ProcessStatus,
    /// When `status` applies from.
    pub status_from: i64,
    /// The status before `status_from`.
    pub previous_status: ProcessStatus,
}

impl Process {
    /// The status in force at `now`.
    pub fn status_at(&self, now: i64) -> ProcessStatus {
        if now >= self.status_from {
            self.status
        } else {
            self.previous_status
        }
    }

    /// Whether the process may register a person at `now`: active, and inside a limited
    /// approval's dates.
    pub fn registers_at(&self, now: i64) -> bool {
        self.status_at(now) == ProcessStatus::Active
            && !(self.approval == "limited"
                && (self.approved_from.is_some_and(|f| now < f)
                    || self.approved_until.is_some_and(|u| now > u)))
    }
}

/// A process approval as an administrator sets it (`PUT .../process`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    /// `general` or `limited`.
    pub approval: String,
    /// Limited: from (unix seconds).
    #[serde(default)]
    pub approved_from: Option<i64>,
    /// Limited: until (unix seconds).
    #[serde(default)]
    pub approved_until: Option<i64>,
    /// Limited: its services (must exist).
    #[serde(default)]
    pub services: Vec<String>,
}

/// The stored record of `org`'s process, without its services; `None` when there is none
/// (a general approval, active).
async fn stored(db: &platform::Db, org: &str) -> Result<Option<Process>, DbError> {
    let row = sqlx::query(
        "SELECT approval, approved_from, approved_until, status, status_from, previous_status \
         FROM process_approvals WHERE organization_id = $1",
    )
    .bind(org)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let status = |s: String| ProcessStatus::parse(&s).unwrap_or(ProcessStatus::Suspended);
    Ok(Some(Process {
        organization_id: org.to_owned(),
        approval: approval_name(&r.try_get::<String, _>("approval")?),
        approved_from: r.try_get("approved_from")?,
        approved_until: r.try_get("approved_until")?,
        services: Vec::new(),
        status: status(r.try_get("status")?),
        status_from: r.try_get("status_from")?,
        previous_status: status(r.try_get("previous_status")?),
    }))
}

/// Whether the process of registering organization `org` registers at `now` (see
/// [`Process::registers_at`]); a registering organization without a record does.
pub(crate) async fn registers(db: &platform::Db, org: &str, now: i64) -> Result<bool, DbError> {
    Ok(stored(db, org).await?.is_none_or(|p| p.registers_at(now)))
}

fn approval_name(s: &str) -> &'static str {
    match Approval::parse(s) {
        Some(Approval::Limited) => "limited",
        _ => "general",
    }
}

impl Registration {
    /// The process of registering organization `org`; `None` when it is not registering. A
    /// registering organization without a record has a general approval, active.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn process(&self, org: &str) -> Result<Option<Process>, RegistrationError> {
        let Some(o) = self.directory.organization(org).await? else {
            return Ok(None);
        };
        if !o.registering {
            return Ok(None);
        }
        let stored = stored(&self.db, org).await?;
        let services: Vec<(String,)> = sqlx::query_as(
            "SELECT service_id FROM process_services WHERE organization_id = $1 \
             ORDER BY service_id",
        )
        .bind(org)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let services = services.into_iter().map(|(s,)| s).collect();
        Ok(Some(match stored {
            None => Process {
                organization_id: org.to_owned(),
                approval: "general",
                approved_from: None,
                approved_until: None,
                services,
                status: ProcessStatus::Active,
                status_from: o.created_at,
                previous_status: ProcessStatus::Active,
            },
            Some(p) => Process { services, ..p },
        }))
    }

    async fn process_or_refuse(&self, org: &str) -> Result<Process, AdminError> {
        self.process(org)
            .await
            .map_err(|e| AdminError::Storage(e.to_string()))?
            .ok_or_else(|| {
                AdminError::NotFound(format!(
                    "organization {org:?} does not exist or has no managed registration process"
                ))
            })
    }

    async fn save(&self, p: &Process) -> Result<(), AdminError> {
        let st = |e: sqlx::Error| AdminError::Storage(e.to_string());
        let mut tx = self.db.pool().begin().await.map_err(st)?;
        sqlx::query("DELETE FROM process_approvals WHERE organization_id = $1")
            .bind(&p.organization_id)
            .execute(&mut *tx)
            .await
            .map_err(st)?;
        sqlx::query(
            "INSERT INTO process_approvals (organization_id, approval, approved_from, \
             approved_until, status, status_from, previous_status, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.organization_id)
        .bind(p.approval)
        .bind(p.approved_from)
        .bind(p.approved_until)
        .bind(p.status.as_str())
        .bind(p.status_from)
        .bind(p.previous_status.as_str())
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await
        .map_err(st)?;
        sqlx::query("DELETE FROM process_services WHERE organization_id = $1")
            .bind(&p.organization_id)
            .execute(&mut *tx)
            .await
            .map_err(st)?;
        for s in &p.services {
            sqlx::query(
                "INSERT INTO process_services (organization_id, service_id) VALUES ($1, $2)",
            )
            .bind(&p.organization_id)
            .bind(s)
            .execute(&mut *tx)
            .await
            .map_err(st)?;
        }
        tx.commit().await.map_err(st)
    }

    /// Sets the approval of `org`'s process (audited `process.approval_set`, with what
    /// changed). A limited approval names at least one service.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_process_approval(
        &self,
        org: &str,
        input: ApprovalInput,
        actor: Actor<'_>,
    ) -> Result<Process, AdminError> {
        let before = self.process_or_refuse(org).await?;
        let approval = Approval::parse(input.approval.trim()).ok_or_else(|| {
            AdminError::invalid("approval", "approval must be general or limited")
        })?;
        let mut services = input.services;
        services.sort();
        services.dedup();
        let mut p = before.clone();
        p.approval = approval.as_str();
        if approval == Approval::General {
            if input.approved_from.is_some()
                || input.approved_until.is_some()
                || !services.is_empty()
            {
                return Err(AdminError::invalid(
                    "approval",
                    "a general approval has no dates and no services",
                ));
            }
            (p.approved_from, p.approved_until, p.services) = (None, None, Vec::new());
        } else {
            if services.is_empty() {
                return Err(AdminError::invalid(
                    "services",
                    "a limited approval names the services it is limited to",
                ));
            }
            if let (Some(f), Some(u)) = (input.approved_from, input.approved_until) {
                if u <= f {
                    return Err(AdminError::invalid(
                        "approved_until",
                        "approved_until must be after approved_from",
                    ));
                }
            }
            for s in &services {
                let known = self
                    .directory
                    .service(s)
                    .await
                    .map_err(|e| AdminError::Storage(e.to_string()))?;
                if known.is_none() {
                    return Err(AdminError::invalid(
                        "services",
                        format!("no such service {s:?}"),
                    ));
                }
            }
            (p.approved_from, p.approved_until, p.services) =
                (input.approved_from, input.approved_until, services);
        }
        self.save(&p).await?;
        let window = |p: &Process| {
            format!(
                "{} {}..{} services={}",
                p.approval,
                p.approved_from.map_or("-".into(), |v| v.to_string()),
                p.approved_until.map_or("-".into(), |v| v.to_string()),
                if p.services.is_empty() {
                    "-".into()
                } else {
                    p.services.join(",")
                }
            )
        };
        let detail = format!("approval: {} -> {}", window(&before), window(&p));
        record(&self.audit, "process.approval_set", actor, org, &detail).await;
        Ok(p)
    }

    /// Suspends, reinstates (active) or terminates `org`'s process from `from` (default now).
    /// The organization's status as a sponsor is not touched (004 §6.6.1). A terminated
    /// process stays terminated. Audited `process.suspended|reinstated|terminated`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_process_status(
        &self,
        org: &str,
        status: ProcessStatus,
        from: Option<i64>,
        actor: Actor<'_>,
    ) -> Result<Process, AdminError> {
        let mut p = self.process_or_refuse(org).await?;
        let now = self.clock.now();
        let from = from.unwrap_or(now);
        if from < now {
            return Err(AdminError::invalid(
                "from",
                "a status applies from now or a later date, never from the past",
            ));
        }
        if p.status == ProcessStatus::Terminated {
            return Err(AdminError::Conflict(
                "the managed registration process is terminated; that is final".into(),
            ));
        }
        p.previous_status = p.status_at(now);
        p.status = status;
        p.status_from = from;
        self.save(&p).await?;
        let event = match status {
            ProcessStatus::Active => "process.reinstated",
            ProcessStatus::Suspended => "process.suspended",
            ProcessStatus::Terminated => "process.terminated",
        };
        let detail = format!(
            "status: {} -> {} from {from}; sponsorship untouched",
            p.previous_status.as_str(),
            status.as_str()
        );
        record(&self.audit, event, actor, org, &detail).await;
        Ok(p)
    }

    /// The accounts of the affiliates `org` reports as no longer registered (by its unique
    /// identifier of each) are terminated in one transaction: status and SSO sessions, refresh
    /// tokens, and the organization's sponsorship of each; one audit row per account
    /// (`account.terminated`, with `actor`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn terminate_affiliates(
        &self,
        org: &str,
        member_ids: &[String],
        actor: Actor<'_>,
    ) -> Result<Terminations, AdminError> {
        self.process_or_refuse(org).await?;
        let st = |e: DbError| AdminError::Storage(e.to_string());
        let now = self.clock.now();
        let mut out = Terminations::default();
        let mut tx = self.db.pool().begin().await.map_err(|e| st(e.into()))?;
        for m in member_ids {
            let found: Option<(String,)> = sqlx::query_as(
                "SELECT account_id FROM sponsorships WHERE organization_id = $1 AND member_id = $2",
            )
            .bind(org)
            .bind(m)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| st(e.into()))?;
            let Some((account,)) = found else {
                out.unknown.push(m.clone());
                continue;
            };
            let ended = self
                .end_account_in(&mut tx, &account)
                .await
                .map_err(|e| AdminError::Storage(e.to_string()))?;
            let Some(revoked) = ended else {
                out.already.push(m.clone());
                continue;
            };
            for table in ["sponsorships", "enrolments"] {
                let col = if table == "sponsorships" {
                    "organization_id"
                } else {
                    "sponsor_id"
                };
                sqlx::query(&format!(
                    "UPDATE {table} SET status = 'ended', ended_at = $3 \
                     WHERE account_id = $1 AND {col} = $2 AND status = 'active'"
                ))
                .bind(&account)
                .bind(org)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| st(e.into()))?;
            }
            let detail = format!(
                "organization={org} member={m} reported no longer registered; sessions ended; \
                 refresh tokens revoked: {revoked}; sponsorship ended"
            );
            self.audit
                .record_in(
                    &mut tx,
                    AuditEvent {
                        event: "account.terminated",
                        actor: Some(actor.name),
                        client_id: actor.client,
                        subject: Some(&account),
                        detail: Some(&detail),
                        ..Default::default()
                    },
                )
                .await
                .map_err(st)?;
            out.terminated.push(m.clone());
        }
        tx.commit().await.map_err(|e| st(e.into()))?;
        Ok(out)
    }
}
