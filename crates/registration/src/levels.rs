//! Levels follow their source (004 §5.4.2, §6.4.2): a registrant holds the level of the
//! registry or managed process that validated them, so when that level changes, the
//! identities it validated change with it, in the transaction that changes it:
//! - lowered at once, to the highest level another live source of the account still gives
//!   (another registry or process, or identity documents an LRA recorded), and their SSO
//!   sessions end (they were issued at the old level);
//! - raised only as far as the evidence on record supports: the identity documents an LRA
//!   recorded (the registry's or process's own validation was made under the old level).
//!
//! Every account concerned gets an audit row: `account.level_changed` or `account.level_kept`.

use crate::lra::evidence::{supported_level, Evidence};
use crate::RegistrationError;
use platform::{Audit, AuditEvent, DbError};
use sqlx::{Any, Transaction};

/// Whose level changed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A trusted registry (its members).
    Registry(&'a str),
    /// A registering organization's managed process (its affiliates).
    Process(&'a str),
}

impl Source<'_> {
    fn describe(&self) -> String {
        match self {
            Self::Registry(id) => format!("registry {id}"),
            Self::Process(id) => format!("managed process of {id}"),
        }
    }
}

type Tx = Transaction<'static, Any>;

fn db(e: sqlx::Error) -> RegistrationError {
    DbError::from(e).into()
}

/// The level the LRA documents on record for `account` support (at most AL2: the second
/// check AL3 needs is a confirmation at registration, not a document).
async fn documents_level(tx: &mut Tx, account: &str) -> Result<i64, RegistrationError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT document, in_person FROM identity_evidence \
         WHERE account_id = $1 AND kind IN ('primary', 'secondary') ORDER BY kind, recorded_at",
    )
    .bind(account)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut codes: Vec<String> = rows.iter().map(|(d, _)| d.clone()).collect();
    codes.dedup();
    let e = Evidence {
        in_person: rows.iter().any(|(_, p)| *p != 0),
        documents: codes,
        second_check: false,
    };
    Ok(supported_level(&e).min(2))
}

/// The highest level the account's other live sources give (other registries, other
/// processes); 0 when none.
async fn other_sources(
    tx: &mut Tx,
    account: &str,
    s: Source<'_>,
) -> Result<i64, RegistrationError> {
    let (registry, process) = match s {
        Source::Registry(id) => (id, ""),
        Source::Process(id) => ("", id),
    };
    let (r,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(r.assurance_level) FROM registry_members m \
         JOIN registries r ON r.id = m.registry_id \
         WHERE m.account_id = $1 AND m.terminated_at IS NULL AND r.status <> 'terminated' \
         AND r.id <> $2",
    )
    .bind(account)
    .bind(registry)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    let (o,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(o.assurance_level) FROM sponsorships sp \
         JOIN organizations o ON o.id = sp.organization_id \
         WHERE sp.account_id = $1 AND sp.member_id IS NOT NULL AND o.registering = 1 \
         AND o.id <> $2",
    )
    .bind(account)
    .bind(process)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    Ok(r.unwrap_or(0).max(o.unwrap_or(0)))
}

/// The accounts `s` validated that can still be used, with their level now.
async fn validated(tx: &mut Tx, s: Source<'_>) -> Result<Vec<(String, i64)>, RegistrationError> {
    let (sql, id) = match s {
        Source::Registry(id) => (
            "SELECT a.id, a.assurance_level FROM registry_members m \
             JOIN accounts a ON a.id = m.account_id \
             WHERE m.registry_id = $1 AND m.terminated_at IS NULL AND a.status <> 'terminated' \
             ORDER BY a.id",
            id,
        ),
        Source::Process(id) => (
            "SELECT a.id, a.assurance_level FROM sponsorships sp \
             JOIN accounts a ON a.id = sp.account_id \
             WHERE sp.organization_id = $1 AND sp.member_id IS NOT NULL \
             AND a.status <> 'terminated' ORDER BY a.id",
            id,
        ),
    };
    sqlx::query_as(sql)
        .bind(id)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)
}

/// `s`'s level went from `old` to `new`: its identities follow (see the module), inside `tx`;
/// how many accounts changed level.
pub(crate) async fn follow(
    tx: &mut Tx,
    audit: &Audit,
    s: Source<'_>,
    old: i64,
    new: i64,
    now: i64,
) -> Result<usize, RegistrationError> {
    if old == new {
        return Ok(0);
    }
    let mut changed = 0;
    for (account, level) in validated(tx, s).await? {
        let documents = documents_level(tx, &account).await?;
        let (target, why) = if new < old {
            let others = other_sources(tx, &account, s).await?;
            let floor = others.max(documents);
            (
                level.min(new.max(floor)),
                if floor > new {
                    format!("another source on record gives AL{floor}")
                } else {
                    "no other source gives more".to_owned()
                },
            )
        } else {
            (
                level.max(new.min(documents)),
                format!("the evidence on record supports AL{}", documents.max(1)),
            )
        };
        let detail = format!(
            "level: AL{level} -> AL{target}; {} AL{old} -> AL{new}; {why}{}",
            s.describe(),
            if target < level {
                "; sessions ended"
            } else {
                ""
            }
        );
        if target != level {
            changed += 1;
            sqlx::query(
                "UPDATE accounts SET assurance_level = $2, updated_at = $3, \
                 sessions_not_before = CASE WHEN $2 < assurance_level THEN $4 \
                 ELSE sessions_not_before END WHERE id = $1",
            )
            .bind(&account)
            .bind(target)
            .bind(now)
            .bind(now + 1)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        let event = if target != level {
            "account.level_changed"
        } else {
            "account.level_kept"
        };
        audit
            .record_in(
                tx,
                AuditEvent {
                    event,
                    actor: Some("system"),
                    subject: Some(&account),
                    detail: Some(&detail),
                    ..Default::default()
                },
            )
            .await?;
    }
    Ok(changed)
}
