//! The durable SQL database: SQLite (embedded default) or PostgreSQL (production), reached
//! through sqlx's `Any` driver so each repository has one implementation, with per-backend
//! migration folders of matching numbers.
//!
//! Portability rules for the SQL the crates write: `$1` placeholders, integers as BIGINT
//! (unix seconds for times), booleans as 0/1 integers, text and bytes only.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, Executor};
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which SQL backend a `Db` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// Embedded default: one file.
    Sqlite,
    /// Production.
    Postgres,
}

/// Database errors; the message never reaches a client.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// Anything sqlx reports.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database was migrated by a newer oneid: this binary must not run on it.
    #[error(
        "the database schema is newer than this oneid knows (migration {0} is not in this \
         build): run the newer oneid, or restore a backup from before the upgrade"
    )]
    SchemaTooNew(i64),
}

impl DbError {
    /// True when a unique constraint was violated (e.g. a login ID taken concurrently).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

/// A pool of connections to the durable database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    kind: DbKind,
    /// SQLite: the background WAL checkpointer, stopped when the last clone goes.
    _checkpointer: Option<Arc<Checkpointer>>,
    /// PostgreSQL: the statements each connection prepares as it opens.
    warm: Option<Arc<Warm>>,
}

/// The hot statements, and whether the schema is there to prepare them against.
#[derive(Debug)]
struct Warm {
    ready: std::sync::atomic::AtomicBool,
    sql: Arc<[String]>,
}

/// Prepares (and caches on the connection) each statement; one that fails is logged and
/// left for its first use.
async fn prepare_all(conn: &mut sqlx::AnyConnection, sql: &[String]) {
    for s in sql {
        if let Err(e) = conn.prepare(s.as_str()).await {
            tracing::warn!(error = %e, "a hot statement could not be prepared");
        }
    }
}

/// How often the embedded database's write-ahead log is copied back into the database file,
/// off the request path. SQLite's own automatic checkpoint runs inside whichever commit
/// crosses 1,000 pages of log: that request copies ~4 MB and syncs the file, a few
/// milliseconds, about once every 40 sign-ins under load (measured: the slowest percent of
/// the SSO round trip). Checkpoints now run here, every quarter second, on a pool connection
/// (sqlx's thread, not an async worker), in PASSIVE mode: they never block a reader or a
/// writer. The automatic one stays as a backstop at [`AUTOCHECKPOINT_BACKSTOP_PAGES`].
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// Pages of log after which a commit checkpoints by itself (SQLite's default is 1,000): only
/// reached if the background checkpointer falls behind or is gone.
const AUTOCHECKPOINT_BACKSTOP_PAGES: u32 = 10_000;

/// A PostgreSQL connection idle this long is pinged before it is handed out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One background checkpoint, PASSIVE: it copies what it can without blocking a reader or a
/// writer. Measured under the saturated SSO load, each one copied the whole log, so the next
/// writer starts it over; a RESTART checkpoint (which would force that) held writers back
/// 7-17 ms and is not used.
async fn checkpoint(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_optional(pool)
        .await?;
    Ok(())
}

impl Checkpointer {
    fn spawn(pool: AnyPool) -> Self {
        Self(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if pool.is_closed() {
                    return;
                }
                if let Err(e) = checkpoint(&pool).await {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
                }
            }
        }))
    }
}

impl Db {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`) with a pool that
    /// opens connections as they are needed, up to `max_connections`: for commands.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        Self::open(url, max_connections, false, Vec::new()).await
    }

    /// Like [`Db::connect`], for the server: on PostgreSQL the pool keeps `max_connections`
    /// open (HikariCP's default, a fixed-size pool). Opening one takes a new backend tens of
    /// milliseconds (measured at 20-50 ms on a busy 2-core machine, with its catalog cold),
    /// which the first sign-ins of a morning rush would otherwise wait for. They open in the
    /// background; the first is opened here, so a bad URL still fails at start-up. SQLite
    /// connections cost nothing to open and grow as needed.
    ///
    /// On PostgreSQL every connection, as it opens, also prepares the `warm` statements (the
    /// hot paths': signing in, the gate, the code exchange, the audit row), so the first
    /// requests after a start, or after a connection is recycled, do not each wait for a
    /// parse and plan of their own. A statement that fails to prepare is logged and left
    /// for its first use.
    pub async fn connect_full(
        url: &str,
        max_connections: u32,
        warm: Vec<String>,
    ) -> Result<Self, DbError> {
        Self::open(url, max_connections, true, warm).await
    }

    async fn open(
        url: &str,
        max_connections: u32,
        full: bool,
        warm: Vec<String>,
    ) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbKind::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        let max_connections = max_connections.max(1);
        // sqlx pings a connection when it goes back to the pool (and drops it if the ping
        // fails) and, by default, again when it is taken out: a round trip to PostgreSQL or
        // a hop to the connection's thread on SQLite, six more for every sign-in. The second
        // ping is skipped: a SQLite connection cannot go stale, and a PostgreSQL connection
        // is pinged again only if it sat idle long enough for a restart, a failover or a
        // firewall to have cut it since (HikariCP's rule, with its 500 ms our 1 s).
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false);
        if kind == DbKind::Sqlite {
            crate::sqlite_busy::register();
            opts = opts.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Concurrent writers wait for each other (up to 5 s) in short steps
                    // instead of SQLite's default 1, 2, 5, 10 ms sleeps (see sqlite_busy);
                    // WAL lets readers run beside the single writer.
                    conn.execute(crate::sqlite_busy::INSTALL).await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    let backstop =
                        format!("PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_BACKSTOP_PAGES}");
                    conn.execute(backstop.as_str()).await?;
                    Ok(())
                })
            });
        }
        let warm = (kind == DbKind::Postgres && !warm.is_empty()).then(|| {
            Arc::new(Warm {
                ready: std::sync::atomic::AtomicBool::new(false),
                sql: warm.into(),
            })
        });
        if let Some(w) = warm.clone() {
            opts = opts.after_connect(move |conn, _meta| {
                let w = w.clone();
                Box::pin(async move {
                    // Before the migrations ran (a first start) the tables may not be there:
                    // `warm_up` prepares the connections open by then.
                    if w.ready.load(std::sync::atomic::Ordering::Acquire) {
                        prepare_all(conn, &w.sql).await;
                    }
                    Ok(())
                })
            });
        }
        if kind == DbKind::Postgres {
            opts = opts.before_acquire(|conn, meta| {
                Box::pin(async move {
                    // A connection that does not answer is closed, and sqlx takes or opens
                    // another: the request never sees it.
                    Ok(meta.idle_for < PING_AFTER_IDLE || conn.ping().await.is_ok())
                })
            });
        }
        let pool = if full && kind == DbKind::Postgres {
            let pool = opts.min_connections(max_connections).connect_lazy(url)?;
            drop(pool.acquire().await?);
            fill_in_background(pool.clone(), max_connections);
            pool
        } else {
            opts.connect(url).await?
        };
        let checkpointer =
            (kind == DbKind::Sqlite).then(|| Arc::new(Checkpointer::spawn(pool.clone())));
        Ok(Self {
            pool,
            kind,
            _checkpointer: checkpointer,
            warm,
        })
    }

    /// After the migrations: prepares the hot statements on every connection already open,
    /// and from now on on each connection as it opens (see [`Db::connect_full`]).
    pub async fn warm_up(&self) -> Result<(), DbError> {
        let Some(w) = &self.warm else {
            return Ok(());
        };
        w.ready.store(true, std::sync::atomic::Ordering::Release);
        let mut held = Vec::new();
        for _ in 0..self.pool.size() {
            held.push(self.pool.acquire().await?);
        }
        for conn in &mut held {
            prepare_all(conn, &w.sql).await;
        }
        Ok(())
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let r = match self.kind {
            DbKind::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await,
            DbKind::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await,
        };
        match r {
            // An applied migration this build does not have: a newer oneid migrated it.
            Err(sqlx::migrate::MigrateError::VersionMissing(v)) => Err(DbError::SchemaTooNew(v)),
            r => Ok(r?),
        }
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Checks the database answers (readiness).
    pub async fn ping(&self) -> Result<(), DbError> {
        let _: Option<AnyRow> = sqlx::query("SELECT 1").fetch_optional(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Opens the pool's missing connections in the background until it holds `max`. sqlx's own
/// `min_connections` fill gives up, until its next round ten minutes later, as soon as a
/// request holds a connection while it fills (so a server that answered requests at start
/// kept a pool short by one or two). Each round takes every connection not in use at once:
/// the idle ones, and new ones for those missing; then gives them all back.
fn fill_in_background(pool: AnyPool, max: u32) {
    tokio::spawn(async move {
        for _ in 0..40 {
            if pool.is_closed() || pool.size() >= max {
                return;
            }
            let in_use = pool
                .size()
                .saturating_sub(u32::try_from(pool.num_idle()).unwrap_or(0));
            let take = max.saturating_sub(in_use);
            let held = futures_util::future::join_all((0..take).map(|_| pool.acquire()));
            drop(tokio::time::timeout(Duration::from_secs(2), held).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh SQLite file for test `name`, and a pool of four on it.
    async fn temp_db(name: &str) -> (std::path::PathBuf, Db) {
        let dir = std::env::temp_dir().join(format!("oneid-db-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("t.db");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 4)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (path, db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_reach_the_database_file_in_the_background() {
        let (path, db) = temp_db("ckpt").await;
        sqlx::query("CREATE TABLE t (b BLOB)")
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(600)).await;
        let before = size();
        // ~200 pages: below the 10,000-page backstop, so only the background task copies them.
        for _ in 0..50 {
            sqlx::query("INSERT INTO t VALUES (zeroblob(16000))")
                .execute(db.pool())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut grew = false;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if size() >= before + 700_000 {
                grew = true;
                break;
            }
        }
        assert!(grew, "database file {} bytes, was {before}", size());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_waits_out_another_connections_transaction() {
        let (_, db) = temp_db("busy").await;
        let one: i64 = sqlx::Row::try_get(
            &sqlx::query(crate::sqlite_busy::INSTALL)
                .fetch_one(db.pool())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            0,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(one, 1, "the short-step busy handler is installed");
        sqlx::query("CREATE TABLE t (n BIGINT)")
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut tx = db.pool().begin().await.unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let other = db.clone();
        let started = std::time::Instant::now();
        let second = tokio::spawn(async move {
            sqlx::query("INSERT INTO t VALUES (2)")
                .execute(other.pool())
                .await
                .map(|_| std::time::Instant::now())
        });
        // Held 40 ms: SQLite's default handler, trying at 33 and 53 ms, would come back 13 ms
        // late; ours tries every millisecond by then.
        tokio::time::sleep(Duration::from_millis(40)).await;
        let committed = std::time::Instant::now();
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let done = second
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("the second writer failed instead of waiting: {e}"));
        assert!(done >= committed, "the second write waited for the first");
        assert!(
            done - committed < Duration::from_millis(5),
            "the second writer got the lock {:?} after it was free ({:?} in all)",
            done - committed,
            done - started
        );
    }
}
