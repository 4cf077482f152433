//! PostgreSQL keeps the audit trail in one partition per month of `at` (UTC), named
//! `audit_log_pYYYYMM`, and `audit_log_default` for rows outside every month made. Each node
//! makes the current month's and the next two months' partitions at start and on every
//! retention pass ([`ensure`]), so rows land in their month; a month made late takes its rows
//! out of the default partition as it is attached. Retention archives a month whole, then drops
//! its partition (`audit_archive`). SQLite has one table.

use crate::db::{Db, DbError, DbKind};

/// Months made ahead of the current one.
pub const AHEAD: i64 = 2;

/// One month's partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Table name.
    pub name: String,
    /// First second of the month (inclusive).
    pub lo: i64,
    /// First second of the next month (exclusive).
    pub hi: i64,
    /// The table's object id (0 until read from the catalog): a month dropped and made again
    /// is another table.
    pub oid: i64,
}

impl Partition {
    /// The name the archive manifest gives this table: its name and object id.
    pub fn key(&self) -> String {
        format!("{}#{}", self.name, self.oid)
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month) a unix time falls in, UTC.
pub fn month_of(ts: i64) -> (i64, i64) {
    let z = ts.div_euclid(86_400) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m)
}

/// The first second of a month.
pub fn month_start(y: i64, m: i64) -> i64 {
    days_from_civil(y, m, 1) * 86_400
}

/// The month after.
pub fn next_month(y: i64, m: i64) -> (i64, i64) {
    if m == 12 {
        (y + 1, 1)
    } else {
        (y, m + 1)
    }
}

/// The first second of the month `ts` falls in.
pub fn start_of_month_of(ts: i64) -> i64 {
    let (y, m) = month_of(ts);
    month_start(y, m)
}

/// The partition of a month.
pub fn partition(y: i64, m: i64) -> Partition {
    let (ny, nm) = next_month(y, m);
    Partition {
        name: format!("audit_log_p{y:04}{m:02}"),
        lo: month_start(y, m),
        hi: month_start(ny, nm),
        oid: 0,
    }
}

/// Makes the partitions of `now`'s month and the [`AHEAD`] months after it, where missing
/// (PostgreSQL; nothing on SQLite). Nodes racing here take turns (an advisory lock).
pub async fn ensure(db: &Db, now: i64) -> Result<(), DbError> {
    if db.kind() != DbKind::Postgres {
        return Ok(());
    }
    let (mut y, mut m) = month_of(now);
    for _ in 0..=AHEAD {
        make(db, &partition(y, m)).await?;
        (y, m) = next_month(y, m);
    }
    Ok(())
}

/// Makes the partitions of every month from `from`'s to `to`'s (PostgreSQL; a bulk load of
/// an old trail, so that its rows land in their months).
pub async fn ensure_months(db: &Db, from: i64, to: i64) -> Result<(), DbError> {
    if db.kind() != DbKind::Postgres {
        return Ok(());
    }
    let (mut y, mut m) = month_of(from);
    let last = month_of(to);
    while (y, m) <= last {
        make(db, &partition(y, m)).await?;
        (y, m) = next_month(y, m);
    }
    Ok(())
}

async fn make(db: &Db, p: &Partition) -> Result<(), DbError> {
    let mut tx = db.pool().begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(7243, 1)")
        .execute(&mut *tx)
        .await?;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pg_class WHERE relname = $1")
        .bind(&p.name)
        .fetch_one(&mut *tx)
        .await?;
    if n > 0 {
        tx.commit().await?;
        return Ok(());
    }
    // Rows of this month that came before it had a partition move with it; attaching checks
    // that the default partition holds none of its range any more.
    let name = &p.name;
    for sql in [
        format!("CREATE TABLE {name} (LIKE audit_log INCLUDING DEFAULTS)"),
        format!(
            "INSERT INTO {name} SELECT * FROM audit_log_default WHERE at >= {} AND at < {}",
            p.lo, p.hi
        ),
        format!(
            "DELETE FROM audit_log_default WHERE at >= {} AND at < {}",
            p.lo, p.hi
        ),
        format!(
            "ALTER TABLE audit_log ATTACH PARTITION {name} FOR VALUES FROM ({}) TO ({})",
            p.lo, p.hi
        ),
    ] {
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    tracing::info!(partition = %name, "audit partition made");
    Ok(())
}

/// The month partitions that exist, oldest first (PostgreSQL; none on SQLite).
pub async fn list(db: &Db) -> Result<Vec<Partition>, DbError> {
    if db.kind() != DbKind::Postgres {
        return Ok(Vec::new());
    }
    let names: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.relname::text, c.oid::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'audit_log'::regclass",
    )
    .fetch_all(db.pool())
    .await?;
    let mut parts: Vec<Partition> = names
        .iter()
        .filter_map(|(n, oid)| {
            let ym = n.strip_prefix("audit_log_p")?;
            if ym.len() != 6 || !ym.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (y, m) = (ym[..4].parse().ok()?, ym[4..].parse().ok()?);
            (1..=12).contains(&m).then(|| Partition {
                oid: *oid,
                ..partition(y, m)
            })
        })
        .collect();
    parts.sort_by_key(|p| p.lo);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_calendar_bounds() {
        // 2026-12-04T17:00:00Z
        assert_eq!(month_of(1_796_403_600), (2026, 12));
        assert_eq!(month_start(2026, 12), 1_796_083_200); // 2026-12-01
        assert_eq!(month_start(2027, 1), 1_798_761_600); // 2027-01-01
        assert_eq!(month_start(2024, 3) - month_start(2024, 2), 29 * 86_400); // a leap year
        assert_eq!(month_start(2100, 3) - month_start(2100, 2), 28 * 86_400); // not one
        assert_eq!(month_of(0), (1970, 1));
        assert_eq!(month_of(-1), (1969, 12));
        for ts in [0, 951_782_400, 1_709_251_199, 1_709_251_200, 4_102_444_800] {
            let (y, m) = month_of(ts);
            let p = partition(y, m);
            assert!(p.lo <= ts && ts < p.hi, "{ts}");
        }
        assert_eq!(partition(2026, 12).name, "audit_log_p202612");
    }
}
