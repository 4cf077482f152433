//! Audit retention with proof: rows older than the retention are first written to compressed
//! NDJSON files, each listed in a manifest whose entries form a SHA-256 chain, and only then
//! removed, in the same transaction that records the manifest entry and an `audit.archived`
//! event. An auditor holding the files and the manifest can show that every removed row is in
//! a file, that no file was altered, dropped or reordered (each entry's `chain` is the hash of
//! the previous entry's `chain` and this entry), and the live trail names the chain's head.
//!
//! The manifest lives in the database (`audit_archives`), so every node of a cluster knows the
//! chain's head; `manifest.ndjson` in the archive folder is rewritten from it after each file
//! (an auditor needs only the folder). A file is written under a temporary name, synced and
//! renamed before its entry commits: a crash leaves at most a file no entry names (reported by
//! [`verify_dir`], harmless), never a removed row that no file holds.
//!
//! On PostgreSQL the trail is partitioned by month ([`crate::audit_partitions`]): retention
//! works a month at a time. A month whose every second is past the retention is archived whole,
//! file by file, then its partition is dropped once the files hold exactly as many rows as it
//! does: no row is deleted one by one and nothing is left for VACUUM. Only rows that landed in
//! the default partition are removed by rows. On SQLite, rows older than the cutoff are
//! removed by rows, to the second.
//!
//! Rows are read a chunk at a time by keyset and compressed off the async threads, so memory
//! stays flat whatever the size of the trail.

use crate::audit::{AuditRecord, RECORD_COLUMNS};
use crate::db::{Db, DbError, DbKind};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Rows read per query while a file is written.
const CHUNK: i64 = 2_000;

/// One archived file, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The file's name in the archive folder.
    pub file: String,
    /// Lowest and highest row id it holds.
    pub first_id: i64,
    /// Highest row id.
    pub last_id: i64,
    /// How many rows.
    pub rows: i64,
    /// The oldest and newest `at` among them (unix seconds).
    pub first_at: i64,
    /// Newest `at`.
    pub last_at: i64,
    /// Every row in it was older than this (unix seconds).
    pub cutoff: i64,
    /// SHA-256 of the file's bytes (hex).
    pub sha256: String,
    /// The previous entry's `chain` ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 over `prev` and this entry (see [`chain_of`]).
    pub chain: String,
    /// When it was archived.
    pub archived_at: i64,
    /// The node that wrote it.
    pub node: String,
    /// The month partition it was read from (`name#oid`), dropped once archived whole
    /// (PostgreSQL); none when its rows were removed one by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

/// The chain value of an entry: SHA-256 (hex) of its `prev`, file, id range, row count and
/// file hash, one per line.
pub fn chain_of(e: &ManifestEntry) -> String {
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        e.prev, e.file, e.first_id, e.last_id, e.rows, e.sha256
    );
    hex(&crate::crypto::sha256(text.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Why archiving stopped.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The archive folder.
    #[error("audit archive folder {0}: {1}")]
    Io(String, std::io::Error),
    /// The rows changed between being written and being removed (nothing was removed).
    #[error("audit rows {0}..={1} changed while they were archived; nothing removed")]
    Changed(i64, i64),
    /// A month's partition holds other rows than its archive files (it was not dropped).
    #[error("audit partition {name} holds {held} rows, its archive files {archived}; not dropped")]
    PartitionDiffers {
        /// The partition.
        name: String,
        /// Rows in it.
        held: i64,
        /// Rows its files hold.
        archived: i64,
    },
}

impl From<sqlx::Error> for ArchiveError {
    fn from(e: sqlx::Error) -> Self {
        ArchiveError::Db(e.into())
    }
}

/// What one run archived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archived {
    /// Files written.
    pub files: u64,
    /// Rows archived and removed.
    pub rows: u64,
}

/// Where and how much.
#[derive(Debug, Clone)]
pub struct ArchivePlan<'a> {
    /// The archive folder (created if missing).
    pub dir: &'a Path,
    /// Rows with `at` before this go.
    pub cutoff: i64,
    /// Rows per file.
    pub rows_per_file: i64,
    /// Files per run at most (the rest waits for the next run).
    pub max_files: usize,
    /// Now (unix seconds), for `archived_at`.
    pub now: i64,
    /// This node's name, recorded in each entry.
    pub node: &'a str,
}

/// Archives, then removes, the rows older than `plan.cutoff` (on PostgreSQL, older than the
/// start of its month), a file at a time; `manifest.ndjson` is written once at the end, also
/// when a file failed (the database's manifest is the one that counts meanwhile).
pub async fn archive(db: &Db, plan: &ArchivePlan<'_>) -> Result<Archived, ArchiveError> {
    std::fs::create_dir_all(plan.dir).map_err(|e| io(plan.dir, e))?;
    let mut done = Archived::default();
    let r = archive_files(db, plan, &mut done).await;
    if done.files > 0 {
        write_manifest(db, plan.dir).await?;
    }
    r.map(|()| done)
}

/// The files of [`archive`], counted in `done` as they commit.
async fn archive_files(
    db: &Db,
    plan: &ArchivePlan<'_>,
    done: &mut Archived,
) -> Result<(), ArchiveError> {
    let mut cutoff = plan.cutoff;
    if db.kind() == DbKind::Postgres {
        cutoff = crate::audit_partitions::start_of_month_of(plan.cutoff);
        for part in crate::audit_partitions::list(db).await? {
            if part.hi > cutoff {
                break;
            }
            loop {
                if done.files as usize >= plan.max_files {
                    return Ok(());
                }
                let Some(entry) = archive_one(db, plan, Source::Partition(&part)).await? else {
                    drop_partition(db, &part).await?;
                    break;
                };
                done.add(&entry);
            }
        }
    }
    while (done.files as usize) < plan.max_files {
        let Some(entry) = archive_one(db, plan, Source::Rows { cutoff }).await? else {
            break;
        };
        done.add(&entry);
    }
    Ok(())
}

impl Archived {
    fn add(&mut self, e: &ManifestEntry) {
        self.files += 1;
        self.rows += e.rows as u64;
    }
}

/// Where a file's rows come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Rows older than `cutoff`, removed when their file is recorded.
    Rows { cutoff: i64 },
    /// A month partition, read on from the last file made of it, dropped when whole.
    Partition(&'a crate::audit_partitions::Partition),
}

/// Drops a month partition once the manifest holds as many of its rows as it does.
async fn drop_partition(
    db: &Db,
    part: &crate::audit_partitions::Partition,
) -> Result<(), ArchiveError> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(&format!(
        "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        part.name
    ))
    .execute(&mut *tx)
    .await?;
    let (held,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", part.name))
        .fetch_one(&mut *tx)
        .await?;
    let (archived,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(SUM(row_count), 0)::BIGINT FROM audit_archives WHERE partition_name = $1",
    )
    .bind(part.key())
    .fetch_one(&mut *tx)
    .await?;
    if held != archived {
        return Err(ArchiveError::PartitionDiffers {
            name: part.name.clone(),
            held,
            archived,
        });
    }
    sqlx::query(&format!("DROP TABLE {}", part.name))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(partition = %part.name, rows = held, "audit partition archived and dropped");
    Ok(())
}

fn io(dir: &Path, e: std::io::Error) -> ArchiveError {
    ArchiveError::Io(dir.display().to_string(), e)
}

/// A writer that hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    sha: openssl::sha::Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

type Encoder = GzEncoder<Hashing<std::io::BufWriter<std::fs::File>>>;

/// Runs blocking file work on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    dir: &Path,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ArchiveError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(|e| io(dir, e)),
        Err(e) => Err(io(dir, std::io::Error::other(e.to_string()))),
    }
}

async fn archive_one(
    db: &Db,
    plan: &ArchivePlan<'_>,
    source: Source<'_>,
) -> Result<Option<ManifestEntry>, ArchiveError> {
    use sqlx::Row;
    let head = sqlx::query("SELECT seq, chain FROM audit_archives ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    let (seq, prev) = match head {
        Some(r) => (
            r.try_get::<i64, _>("seq")? + 1,
            r.try_get::<String, _>("chain")?,
        ),
        None => (1, GENESIS.to_owned()),
    };
    // The table read, the rows' bound, and the id the rows start after.
    let (table, cutoff, after, partition) = match source {
        Source::Rows { cutoff } => ("audit_log", cutoff, i64::MIN, None),
        Source::Partition(p) => {
            let done = sqlx::query(
                "SELECT MAX(last_id) AS id FROM audit_archives WHERE partition_name = $1",
            )
            .bind(p.key())
            .fetch_one(db.pool())
            .await?;
            let after = done.try_get::<Option<i64>, _>("id")?.unwrap_or(i64::MIN);
            (p.name.as_str(), p.hi, after, Some(p.key()))
        }
    };
    let first = sqlx::query(&format!(
        "SELECT MIN(id) AS id FROM {table} WHERE at < $1 AND id > $2"
    ))
    .bind(cutoff)
    .bind(after)
    .fetch_one(db.pool())
    .await?;
    let Some(first_id) = first.try_get::<Option<i64>, _>("id")? else {
        return Ok(None);
    };
    let file = format!("audit-{seq:06}-{first_id}.ndjson.gz");
    let tmp = plan
        .dir
        .join(format!(".{file}.{}.tmp", crate::crypto::random_token(6)));
    let tmp2 = tmp.clone();
    let mut enc: Encoder = blocking(plan.dir, move || {
        let f = std::fs::File::create(&tmp2)?;
        Ok(GzEncoder::new(
            Hashing {
                inner: std::io::BufWriter::new(f),
                sha: openssl::sha::Sha256::new(),
            },
            Compression::default(),
        ))
    })
    .await?;
    let (mut rows, mut last_id, mut first_at, mut last_at) =
        (0i64, first_id - 1, i64::MAX, i64::MIN);
    while rows < plan.rows_per_file {
        let take = CHUNK.min(plan.rows_per_file - rows);
        let chunk = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM {table} WHERE id > $1 AND at < $2 ORDER BY id LIMIT $3"
        ))
        .bind(last_id)
        .bind(cutoff)
        .bind(take)
        .fetch_all(db.pool())
        .await?;
        let mut buf = Vec::with_capacity(chunk.len() * 160);
        for r in &chunk {
            let rec = AuditRecord::from_row(r)?;
            last_id = rec.id;
            first_at = first_at.min(rec.at);
            last_at = last_at.max(rec.at);
            serde_json::to_writer(&mut buf, &rec)
                .map_err(|e| io(plan.dir, std::io::Error::other(e)))?;
            buf.push(b'\n');
        }
        rows += chunk.len() as i64;
        enc = blocking(plan.dir, move || {
            enc.write_all(&buf)?;
            Ok(enc)
        })
        .await?;
        if (chunk.len() as i64) < take {
            break;
        }
    }
    let final_path = plan.dir.join(&file);
    let (tmp3, dest, dir_path) = (tmp.clone(), final_path.clone(), plan.dir.to_path_buf());
    let sha = blocking(plan.dir, move || {
        let mut h = enc.finish()?;
        h.flush()?;
        let sha = h.sha.finish();
        let f = h.inner.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp3, &dest)?;
        sync_dir(&dir_path);
        Ok(sha)
    })
    .await
    .inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    let mut entry = ManifestEntry {
        seq,
        file,
        first_id,
        last_id,
        rows,
        first_at,
        last_at,
        cutoff,
        sha256: hex(&sha),
        prev,
        chain: String::new(),
        archived_at: plan.now,
        node: plan.node.to_owned(),
        partition,
    };
    entry.chain = chain_of(&entry);
    // The entry, the removal and the event that names the new head: together or not at all.
    // A partition's rows go with the partition, once all of them are in files.
    let mut tx = db.pool().begin().await?;
    if entry.partition.is_none() {
        let removed = sqlx::query("DELETE FROM audit_log WHERE id >= $1 AND id <= $2 AND at < $3")
            .bind(entry.first_id)
            .bind(entry.last_id)
            .bind(entry.cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed != entry.rows as u64 {
            drop(tx);
            let _ = std::fs::remove_file(&final_path);
            return Err(ArchiveError::Changed(entry.first_id, entry.last_id));
        }
    }
    sqlx::query(
        "INSERT INTO audit_archives (seq, file, first_id, last_id, row_count, first_at, last_at, \
         cutoff, sha256, prev, chain, archived_at, node, partition_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(entry.seq)
    .bind(&entry.file)
    .bind(entry.first_id)
    .bind(entry.last_id)
    .bind(entry.rows)
    .bind(entry.first_at)
    .bind(entry.last_at)
    .bind(entry.cutoff)
    .bind(&entry.sha256)
    .bind(&entry.prev)
    .bind(&entry.chain)
    .bind(entry.archived_at)
    .bind(&entry.node)
    .bind(&entry.partition)
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "file={} rows={} ids={}..={} chain={}",
        entry.file, entry.rows, entry.first_id, entry.last_id, entry.chain
    );
    sqlx::query(
        "INSERT INTO audit_log (at, event, actor, subject, detail) VALUES ($1, 'audit.archived', \
         'retention', $2, $3)",
    )
    .bind(plan.now)
    .bind(&entry.file)
    .bind(&detail)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(entry))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Every manifest entry, oldest first.
pub async fn entries(db: &Db) -> Result<Vec<ManifestEntry>, DbError> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT seq, file, first_id, last_id, row_count, first_at, last_at, cutoff, sha256, prev, \
         chain, archived_at, node, partition_name FROM audit_archives ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ManifestEntry {
                seq: r.try_get("seq")?,
                file: r.try_get("file")?,
                first_id: r.try_get("first_id")?,
                last_id: r.try_get("last_id")?,
                rows: r.try_get("row_count")?,
                first_at: r.try_get("first_at")?,
                last_at: r.try_get("last_at")?,
                cutoff: r.try_get("cutoff")?,
                sha256: r.try_get("sha256")?,
                prev: r.try_get("prev")?,
                chain: r.try_get("chain")?,
                archived_at: r.try_get("archived_at")?,
                node: r.try_get("node")?,
                partition: r.try_get("partition_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// Rewrites `manifest.ndjson` in `dir` from the database (temporary file, sync, rename).
pub async fn write_manifest(db: &Db, dir: &Path) -> Result<(), ArchiveError> {
    let all = entries(db).await?;
    let dir_path = dir.to_path_buf();
    blocking(dir, move || {
        let mut text = Vec::new();
        for e in &all {
            serde_json::to_writer(&mut text, e).map_err(std::io::Error::other)?;
            text.push(b'\n');
        }
        let tmp = dir_path.join(".manifest.ndjson.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir_path.join(MANIFEST))?;
        sync_dir(&dir_path);
        Ok(())
    })
    .await
}

/// The manifest's name in the archive folder.
pub const MANIFEST: &str = "manifest.ndjson";

/// What [`verify_dir`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Entries checked.
    pub files: u64,
    /// Rows in them.
    pub rows: u64,
    /// The last entry's `chain` ([`GENESIS`] when the manifest is empty).
    pub head: String,
    /// Archive files in the folder that no entry names (left by a crash; harmless).
    pub unlisted: Vec<String>,
}

/// Checks an archive folder on its own: the chain from [`GENESIS`], each file's hash, and that
/// each file holds exactly its entry's rows (ids ascending within the range, all older than
/// the cutoff). The first problem found is the error.
pub fn verify_dir(dir: &Path) -> Result<Verified, String> {
    let manifest = dir.join(MANIFEST);
    let f = std::fs::File::open(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut v = Verified {
        head: GENESIS.to_owned(),
        ..Default::default()
    };
    let mut listed = std::collections::HashSet::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", manifest.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: ManifestEntry =
            serde_json::from_str(&line).map_err(|err| format!("manifest line {}: {err}", n + 1))?;
        if e.seq != v.files as i64 + 1 {
            return Err(format!(
                "entry {}: expected sequence {}",
                e.seq,
                v.files + 1
            ));
        }
        if e.prev != v.head {
            return Err(format!(
                "entry {}: does not follow the previous entry",
                e.seq
            ));
        }
        if chain_of(&e) != e.chain {
            return Err(format!(
                "entry {}: its chain value does not match it",
                e.seq
            ));
        }
        if e.file.contains('/') || e.file.contains('\\') || e.file.starts_with('.') {
            return Err(format!("entry {}: bad file name", e.seq));
        }
        check_file(&dir.join(&e.file), &e)?;
        listed.insert(e.file.clone());
        v.files += 1;
        v.rows += e.rows as u64;
        v.head = e.chain;
    }
    let mut unlisted: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|d| d.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("audit-") && name.ends_with(".ndjson.gz"))
        .filter(|name| !listed.contains(name))
        .collect();
    unlisted.sort();
    v.unlisted = unlisted;
    Ok(v)
}

fn check_file(path: &PathBuf, e: &ManifestEntry) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|err| format!("{}: {err}", e.file))?;
    if hex(&crate::crypto::sha256(&bytes)) != e.sha256 {
        return Err(format!("{}: its SHA-256 is not the manifest's", e.file));
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .map_err(|err| format!("{}: {err}", e.file))?;
    let (mut rows, mut last) = (0i64, e.first_id - 1);
    for line in text.lines() {
        let r: serde_json::Value =
            serde_json::from_str(line).map_err(|err| format!("{}: {err}", e.file))?;
        let id = r["id"].as_i64().unwrap_or(i64::MIN);
        let at = r["at"].as_i64().unwrap_or(i64::MAX);
        if id <= last || id > e.last_id || at >= e.cutoff {
            return Err(format!("{}: row {id} is out of place", e.file));
        }
        last = id;
        rows += 1;
    }
    if rows != e.rows || last != e.last_id {
        return Err(format!(
            "{}: holds {rows} rows, the manifest says {}",
            e.file, e.rows
        ));
    }
    Ok(())
}
