//! The durable SQL database: SQLite (embedded default) or PostgreSQL (production), reached
//! through sqlx's `Any` driver so each repository has one implementation, with per-backend
//! migration folders of matching numbers.
//!
//! Portability rules for the SQL the crates write: `$1` placeholders, integers as BIGINT
//! (unix seconds for times), booleans as 0/1 integers, text and bytes only.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
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
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbKind::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5));
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
        let pool = opts.connect(url).await?;
        let checkpointer =
            (kind == DbKind::Sqlite).then(|| Arc::new(Checkpointer::spawn(pool.clone())));
        Ok(Self {
            pool,
            kind,
            _checkpointer: checkpointer,
        })
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
