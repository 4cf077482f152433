//! The audit trail: one durable row per security-relevant event (logins, token issuance,
//! logouts, client and account changes). Never a secret in a row.
//!
//! Machine-to-machine token issuance (client_credentials) is the one hot path: it is counted
//! in memory and written as one row per client and interval (`detail = "count=N"`) by
//! `flush_counts`, so the token endpoint does no database write per request.

use crate::clock::SharedClock;
use crate::db::{Db, DbError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One event to record.
#[derive(Debug, Default, Clone, Serialize)]
pub struct AuditEvent<'a> {
    /// What happened, e.g. `login.success`, `token.issued`, `client.added`.
    pub event: &'a str,
    /// Who did it: an account id, a client id, or `cli`.
    pub actor: Option<&'a str>,
    /// Whom or what it concerns (an account id, a login ID as typed, a client id).
    pub subject: Option<&'a str>,
    /// The relying party involved.
    pub client_id: Option<&'a str>,
    /// The session involved.
    pub session_id: Option<&'a str>,
    /// Where the request came from.
    pub source: Option<&'a str>,
    /// Outcome or reason (`invalid_credentials`, `code_reuse`, ...).
    pub detail: Option<&'a str>,
}

/// A row read back from the trail.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Event name.
    pub event: String,
    /// Actor.
    pub actor: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Relying party.
    pub client_id: Option<String>,
    /// Session.
    pub session_id: Option<String>,
    /// Source address.
    pub source: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

impl AuditRecord {
    pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(AuditRecord {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            event: r.try_get("event")?,
            actor: r.try_get("actor")?,
            subject: r.try_get("subject")?,
            client_id: r.try_get("client_id")?,
            session_id: r.try_get("session_id")?,
            source: r.try_get("source")?,
            detail: r.try_get("detail")?,
        })
    }
}

/// What an audit search looks for; absent filters match every row. Rows come newest first:
/// by their sequence number (`id`) when the search is about an account or by an actor (each
/// read through its own index in id order), by their time then sequence number otherwise (read
/// through the `at` index, so a window anywhere in the trail is a page of that index: in id
/// order, a day a year back came only after every newer row, or after sorting the whole day).
/// The two orders differ only for a row written with another node's clock a little behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Rows about or by an account: its id as the subject or the actor (also as
    /// `account:<id>`, the actor of console changes).
    pub account: Option<String>,
    /// Rows by this actor (exact: an account id, `client:<id>`, `cli`, ...).
    pub actor: Option<String>,
    /// This event (exact), or a family of events with a trailing `*` (`account.*`).
    pub event: Option<String>,
    /// At or after, unix seconds.
    pub from: Option<i64>,
    /// At or before, unix seconds.
    pub to: Option<i64>,
    /// Only rows after this row in the search's order (older): the previous page's last `id`
    /// (keyset paging, stable while new rows arrive).
    pub before: Option<i64>,
    /// Only rows before this row in the search's order (newer): the page before a page, read
    /// from its first `id` (the rows nearest it, still returned newest first).
    pub after: Option<i64>,
}

/// The insert of one event (prepared on every new PostgreSQL connection: see
/// [`crate::db::Db::connect_full`]).
pub const INSERT_SQL: &str = "INSERT INTO audit_log (at, event, actor, subject, client_id, \
     session_id, source, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Columns read back by the searches.
pub(crate) const RECORD_COLUMNS: &str =
    "id, at, event, actor, subject, client_id, session_id, source, detail";

/// Writes and reads the audit trail.
#[derive(Debug, Clone)]
pub struct Audit {
    db: Db,
    clock: SharedClock,
    counts: Arc<Mutex<HashMap<(String, String), u64>>>,
}

impl Audit {
    /// An audit trail in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self {
            db,
            clock,
            counts: Arc::default(),
        }
    }

    /// Counts one occurrence of a high-volume `event` for `client_id`; written by
    /// `flush_counts`.
    pub fn count(&self, event: &str, client_id: &str) {
        let mut m = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((event.to_owned(), client_id.to_owned()))
            .or_insert(0) += 1;
    }

    /// Writes the counted events as one row per event and client. Counts that cannot be
    /// written are put back for the next flush.
    pub async fn flush_counts(&self) {
        let taken: Vec<((String, String), u64)> = {
            let mut m = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            m.drain().collect()
        };
        for ((event, client), n) in taken {
            let detail = format!("count={n}");
            let r = self
                .record(AuditEvent {
                    event: &event,
                    actor: Some(&client),
                    client_id: Some(&client),
                    detail: Some(&detail),
                    ..Default::default()
                })
                .await;
            if r.is_err() {
                let mut m = self.counts.lock().unwrap_or_else(|e| e.into_inner());
                *m.entry((event, client)).or_insert(0) += n;
            }
        }
    }

    /// The insert of one event, bound and ready to run on a pool or inside a transaction.
    fn insert<'q>(
        &self,
        e: &AuditEvent<'q>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        sqlx::query(INSERT_SQL)
            .bind(self.clock.now())
            .bind(e.event)
            .bind(e.actor)
            .bind(e.subject)
            .bind(e.client_id)
            .bind(e.session_id)
            .bind(e.source)
            .bind(e.detail)
    }

    /// Records an event. A failure is logged and returned; callers on a login path decide.
    pub async fn record(&self, e: AuditEvent<'_>) -> Result<(), DbError> {
        let mut r = self.insert(&e).execute(self.db.pool()).await;
        // On PostgreSQL a row of a month whose partition is being made right now may have
        // been routed to the default partition just before the month was attached, and is
        // then refused there (check_violation): routed again, it lands in its month.
        if is_partition_race(&r) {
            r = self.insert(&e).execute(self.db.pool()).await;
        }
        if let Err(err) = &r {
            tracing::error!(event = e.event, error = %err, "audit write failed");
        }
        r.map(|_| ()).map_err(DbError::from)
    }

    /// Records an event inside the caller's transaction: the row commits with the change it
    /// describes, or neither does. On PostgreSQL the write is a savepoint of its own, so that
    /// the partition race `record` retries (a month attached while the row was routed) is
    /// retried here too without failing the caller's transaction.
    pub async fn record_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        e: AuditEvent<'_>,
    ) -> Result<(), DbError> {
        if self.db.kind() != crate::DbKind::Postgres {
            return self
                .insert(&e)
                .execute(conn)
                .await
                .map(|_| ())
                .map_err(DbError::from);
        }
        sqlx::query("SAVEPOINT audit_row")
            .execute(&mut *conn)
            .await?;
        let mut r = self.insert(&e).execute(&mut *conn).await;
        if is_partition_race(&r) {
            sqlx::query("ROLLBACK TO SAVEPOINT audit_row")
                .execute(&mut *conn)
                .await?;
            r = self.insert(&e).execute(&mut *conn).await;
        }
        r.map_err(DbError::from)?;
        sqlx::query("RELEASE SAVEPOINT audit_row")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The most recent events, newest first; `event` filters by name.
    pub async fn recent(
        &self,
        event: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, DbError> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM audit_log WHERE ($1 IS NULL OR event = $1) \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(event)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(AuditRecord::from_row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(DbError::from)
    }

    /// At most `limit` rows matching `q`, newest first (in the order [`AuditQuery`] says). The
    /// statement names only the filters given, so each one can use its index
    /// (`migrations/*/0009_audit_index.sql`).
    pub async fn search(&self, q: &AuditQuery, limit: i64) -> Result<Vec<AuditRecord>, DbError> {
        let by_time = q.account.is_none() && q.actor.is_none();
        let before = self.cursor(q.before, by_time).await?;
        let after = self.cursor(q.after, by_time).await?;
        let (conds, mut args, account) = conditions(q, before, after);
        args.push(Arg::Int(limit.max(0)));
        let n = args.len();
        // Newer than a row: the nearest ones, read upwards, then turned newest first.
        let upwards = q.after.is_some() && q.before.is_none();
        let dir = if upwards { "ASC" } else { "DESC" };
        let sql = if let Some((a, b)) = account {
            // About or by an account: each of the three tests walks its own index in id order
            // for one page, and the pages are merged; an OR of the three read and sorted all
            // the account's rows for every page (50 ms for an account with 100,000 rows).
            let branch = |test: String| {
                format!(
                    "SELECT {RECORD_COLUMNS} FROM (SELECT {RECORD_COLUMNS} FROM audit_log \
                     WHERE {conds} AND {test} ORDER BY id {dir} LIMIT ${n}) b"
                )
            };
            format!(
                "SELECT {RECORD_COLUMNS} FROM ({} UNION {} UNION {}) u ORDER BY id {dir} LIMIT ${n}",
                branch(format!("subject = ${a}")),
                branch(format!("actor = ${a}")),
                branch(format!("actor = ${b}")),
            )
        } else if by_time {
            format!(
                "SELECT {RECORD_COLUMNS} FROM audit_log WHERE {conds} ORDER BY at {dir}, id {dir} \
                 LIMIT ${n}"
            )
        } else {
            format!(
                "SELECT {RECORD_COLUMNS} FROM audit_log WHERE {conds} ORDER BY id {dir} \
                 LIMIT ${n}"
            )
        };
        let rows = bind(sqlx::query(&sql), args)
            .fetch_all(self.db.pool())
            .await?;
        let mut records = rows
            .iter()
            .map(AuditRecord::from_row)
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(DbError::from)?;
        if upwards {
            records.reverse();
        }
        Ok(records)
    }

    /// Where a page starts after the row `id`: in time order, its time and id (bound as
    /// values, so the index range starts at it; a subquery would be a filter on every row read
    /// before it). A row archived since places nothing: its id alone would cut a time-ordered
    /// list in the wrong place (repeating or skipping a row written with a clock behind), so
    /// its page is empty, and the reader starts again.
    async fn cursor(&self, id: Option<i64>, by_time: bool) -> Result<Option<Cursor>, DbError> {
        let Some(id) = id else { return Ok(None) };
        if !by_time {
            return Ok(Some(Cursor::Id(id)));
        }
        let at: Option<i64> = sqlx::query_scalar("SELECT at FROM audit_log WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(Some(
            at.map_or(Cursor::Gone, |at| Cursor::TimeAndId(at, id)),
        ))
    }

    /// The row with this sequence number.
    pub async fn get(&self, id: i64) -> Result<Option<AuditRecord>, DbError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM audit_log WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref()
            .map(AuditRecord::from_row)
            .transpose()
            .map_err(DbError::from)
    }
}

/// Where a page starts: after a row, by its id, or by its time and id (the time order's); or
/// nowhere, the row being gone.
#[derive(Clone, Copy)]
enum Cursor {
    Id(i64),
    TimeAndId(i64, i64),
    Gone,
}

/// A bound value of an audit search.
enum Arg<'a> {
    Text(&'a str),
    Owned(String),
    Int(i64),
}

/// The conditions of `q` but its account (`1 = 1` and one test per filter given, numbered
/// `$1`...), their values, and the placeholders of the account's id and its `account:` form.
/// `at` is how the time column is written (`+at`: the same values, no index on it).
fn conditions<'q>(
    q: &'q AuditQuery,
    before: Option<Cursor>,
    after: Option<Cursor>,
) -> (String, Vec<Arg<'q>>, Option<(usize, usize)>) {
    /// Adds an argument; returns its placeholder number.
    fn next<'a>(args: &mut Vec<Arg<'a>>, a: Arg<'a>) -> usize {
        args.push(a);
        args.len()
    }
    let mut conds = String::from("1 = 1");
    let mut args: Vec<Arg<'_>> = Vec::new();
    let account = q.account.as_deref().map(|a| {
        let n = next(&mut args, Arg::Text(a));
        let m = next(&mut args, Arg::Owned(format!("account:{a}")));
        (n, m)
    });
    if let Some(a) = q.actor.as_deref() {
        let n = next(&mut args, Arg::Text(a));
        conds.push_str(&format!(" AND actor = ${n}"));
    }
    match q.event.as_deref().map(|e| (e, e.strip_suffix('*'))) {
        None => {}
        Some((_, Some(prefix))) => {
            let escaped = prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let n = next(&mut args, Arg::Owned(format!("{escaped}%")));
            conds.push_str(&format!(" AND event LIKE ${n} ESCAPE '\\'"));
        }
        Some((e, None)) => {
            let n = next(&mut args, Arg::Text(e));
            conds.push_str(&format!(" AND event = ${n}"));
        }
    }
    for (v, cond) in [(q.from, "at >="), (q.to, "at <=")] {
        if let Some(v) = v {
            let n = next(&mut args, Arg::Int(v));
            conds.push_str(&format!(" AND {cond} ${n}"));
        }
    }
    // Older than `before`, newer than `after`.
    for (cursor, cmp) in [(before, "<"), (after, ">")] {
        match cursor {
            None => {}
            Some(Cursor::Id(id)) => {
                let n = next(&mut args, Arg::Int(id));
                conds.push_str(&format!(" AND id {cmp} ${n}"));
            }
            Some(Cursor::TimeAndId(at, id)) => {
                let m = next(&mut args, Arg::Int(at));
                let n = next(&mut args, Arg::Int(id));
                conds.push_str(&format!(" AND (at, id) {cmp} (${m}, ${n})"));
            }
            Some(Cursor::Gone) => conds.push_str(" AND 1 = 0"),
        }
    }
    (conds, args, account)
}

/// Binds the values in order.
fn bind<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg<'q>>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        query = match a {
            Arg::Text(s) => query.bind(s),
            Arg::Owned(s) => query.bind(s),
            Arg::Int(i) => query.bind(i),
        };
    }
    query
}

/// A row refused by the partition it was routed to (SQLSTATE 23514): a month attached
/// between the routing and the write.
fn is_partition_race<T>(r: &Result<T, sqlx::Error>) -> bool {
    matches!(r, Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("23514"))
}
