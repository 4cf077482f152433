//! Retention: what ages out is removed, a batch at a time, by one node per period.
//!
//! - Refresh tokens `refresh_tokens_days` after they expired (used, revoked or not: a used
//!   token presented after its family's expiry is refused as unknown all the same).
//! - Recognized devices `devices_days` after their trust ended or they were removed.
//! - Audit rows `audit_days` after they were written, archived first to compressed NDJSON
//!   files in `audit_archive_dir` under a SHA-256 chained manifest
//!   ([`platform::audit_archive`]); off (0) unless configured, and refused without a folder.
//!   On PostgreSQL a month goes whole, once all of it is past the retention: its partition is
//!   archived, then dropped ([`platform::audit_partitions`]).
//!
//! SSO sessions, codes, login tickets and the other short-lived state live in the ephemeral
//! store and expire there. A pass takes a lease in the ephemeral store (`put_if_absent` for
//! `every_secs`), so with Redis one node in the cluster runs it per period and the others skip;
//! each pass deletes by batches of [`BATCH`] rows ([`SQLITE_BATCH`] on SQLite, with a short
//! pause between: short transactions, no long lock), at most
//! [`MAX_BATCHES`] per job, and counts what it removed in `oneid_retention_deleted_total`.

use crate::Provider;
use platform::audit_archive::ArchiveError;
use platform::DbError;
use serde::Deserialize;

/// Rows per delete on PostgreSQL.
pub const BATCH: i64 = 1000;

/// Rows per delete on SQLite, whose single writer every request's write waits behind: a
/// delete of 1000 devices held it long enough to show in the SSO round trip's tail (p99
/// 178 ms at 100,000 accounts, while a start's first pass removed 62,000 devices).
pub const SQLITE_BATCH: i64 = 200;

/// The pause between two deletes, for the requests' own writes.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// Most batches per job and pass (the rest waits for the next pass).
pub const MAX_BATCHES: usize = 200;

/// How long things are kept (`[retention]`); 0 turns a job off.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionPolicy {
    /// Seconds between passes (cluster-wide).
    #[serde(default = "d_every")]
    pub every_secs: i64,
    /// Days a refresh token is kept after it expired.
    #[serde(default = "d_refresh")]
    pub refresh_tokens_days: i64,
    /// Days a recognized device is kept after its trust ended or it was removed.
    #[serde(default = "d_devices")]
    pub devices_days: i64,
    /// Days audit rows are kept in the database (0: for ever). Older rows are archived to
    /// `audit_archive_dir`, then removed.
    #[serde(default)]
    pub audit_days: i64,
    /// Where archived audit rows go: a folder every node reaches (a shared volume), kept as
    /// long as the law asks.
    #[serde(default)]
    pub audit_archive_dir: Option<std::path::PathBuf>,
    /// Rows per archive file.
    #[serde(default = "d_rows_per_file")]
    pub audit_rows_per_file: i64,
}

fn d_rows_per_file() -> i64 {
    100_000
}

/// Most audit archive files per pass.
pub const MAX_AUDIT_FILES: usize = 50;

fn d_every() -> i64 {
    3600
}
fn d_refresh() -> i64 {
    7
}
fn d_devices() -> i64 {
    90
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            every_secs: d_every(),
            refresh_tokens_days: d_refresh(),
            devices_days: d_devices(),
            audit_days: 0,
            audit_archive_dir: None,
            audit_rows_per_file: d_rows_per_file(),
        }
    }
}

impl RetentionPolicy {
    /// A configuration mistake, said at start-up.
    pub fn problem(&self) -> Option<&'static str> {
        if self.audit_days > 0 && self.audit_archive_dir.is_none() {
            return Some(
                "retention.audit_days needs retention.audit_archive_dir: audit rows are \
                 archived before they are removed",
            );
        }
        if self.audit_days < 0 || self.audit_rows_per_file < 1 {
            return Some(
                "retention.audit_days must be 0 or more and audit_rows_per_file 1 or more",
            );
        }
        None
    }
}

/// What a pass removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Refresh tokens.
    pub refresh_tokens: u64,
    /// Recognized devices.
    pub devices: u64,
    /// Audit rows archived, then removed.
    pub audit_rows: u64,
    /// Audit archive files written.
    pub audit_files: u64,
}

const LEASE: &str = "lease:retention";

/// Runs a pass if no node ran one in the last `every_secs` (`None`: skipped, another node
/// holds the lease, or retention is off).
pub async fn run(p: &Provider) -> Result<Option<Removed>, String> {
    let policy = &p.cfg.retention;
    if policy.every_secs <= 0 {
        return Ok(None);
    }
    let won = p
        .store
        .put_if_absent(LEASE, b"1", policy.every_secs)
        .await
        .map_err(|e| e.to_string())?;
    if !won {
        p.metrics
            .inc("oneid_retention_runs_total", "outcome=\"skipped\"");
        return Ok(None);
    }
    let removed = match pass(p).await {
        Ok(r) => r,
        Err(e) => {
            p.metrics
                .inc("oneid_retention_runs_total", "outcome=\"failed\"");
            return Err(e.to_string());
        }
    };
    p.metrics
        .inc("oneid_retention_runs_total", "outcome=\"done\"");
    Ok(Some(removed))
}

/// One pass, whoever holds the lease (the tests and `run`).
pub async fn pass(p: &Provider) -> Result<Removed, ArchiveError> {
    let policy = &p.cfg.retention;
    let now = p.clock.now();
    let mut removed = Removed::default();
    // A long-running cluster makes the coming months' audit partitions here (PostgreSQL).
    platform::audit_partitions::ensure(&p.db, now).await?;
    if policy.refresh_tokens_days > 0 {
        let cutoff = now - policy.refresh_tokens_days * 86_400;
        removed.refresh_tokens = batches(
            p,
            "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM \
             refresh_tokens WHERE expires_at < $1 LIMIT $2)",
            cutoff,
        )
        .await?;
        p.metrics.inc_by(
            "oneid_retention_deleted_total",
            "what=\"refresh_tokens\"",
            removed.refresh_tokens,
        );
    }
    if policy.devices_days > 0 {
        let cutoff = now - policy.devices_days * 86_400;
        // One index each: a UNION of the two read and deduplicated every aged device for each
        // batch (50 ms a batch with 66,000 of them on SQLite, holding its writer).
        removed.devices = batches(
            p,
            "DELETE FROM devices WHERE id IN (SELECT id FROM devices WHERE trusted_until < $1 \
             LIMIT $2)",
            cutoff,
        )
        .await?
            + batches(
                p,
                "DELETE FROM devices WHERE id IN (SELECT id FROM devices WHERE revoked_at < $1 \
                 LIMIT $2)",
                cutoff,
            )
            .await?;
        p.metrics.inc_by(
            "oneid_retention_deleted_total",
            "what=\"devices\"",
            removed.devices,
        );
    }
    if let (true, Some(dir)) = (policy.audit_days > 0, policy.audit_archive_dir.as_deref()) {
        let node = node_name();
        let plan = platform::audit_archive::ArchivePlan {
            dir,
            cutoff: now - policy.audit_days * 86_400,
            rows_per_file: policy.audit_rows_per_file,
            max_files: MAX_AUDIT_FILES,
            now,
            node: &node,
        };
        let done = platform::audit_archive::archive(&p.db, &plan).await?;
        removed.audit_rows = done.rows;
        removed.audit_files = done.files;
        p.metrics.inc_by(
            "oneid_retention_deleted_total",
            "what=\"audit_rows\"",
            done.rows,
        );
    }
    if removed != Removed::default() {
        tracing::info!(
            refresh_tokens = removed.refresh_tokens,
            devices = removed.devices,
            audit_rows = removed.audit_rows,
            "retention pass"
        );
    }
    Ok(removed)
}

async fn batches(p: &Provider, sql: &str, cutoff: i64) -> Result<u64, DbError> {
    let batch = match p.db.kind() {
        platform::DbKind::Postgres => BATCH,
        platform::DbKind::Sqlite => SQLITE_BATCH,
    };
    let mut total = 0;
    for i in 0..MAX_BATCHES {
        if i > 0 {
            tokio::time::sleep(PAUSE).await;
        }
        let n = sqlx::query(sql)
            .bind(cutoff)
            .bind(batch)
            .execute(p.db.pool())
            .await?
            .rows_affected();
        total += n;
        if n < batch as u64 {
            break;
        }
    }
    Ok(total)
}

/// This node's name for the archive manifest: `HOSTNAME`, else the kernel's host name.
fn node_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "oneid".to_owned())
}
