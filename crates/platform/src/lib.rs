//! What every oneid crate shares and nothing domain-specific: the clock, the SQL database and
//! its migrations, the ephemeral store (in-process or Redis), the audit log, the secret box for
//! encryption at rest, small crypto helpers and the English/French message tables.

pub mod audit;
pub mod audit_archive;
pub mod audit_partitions;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod ephemeral;
pub mod i18n;
pub mod keyset;
pub mod mail;
pub mod metrics;
pub mod secretbox;
mod sqlite_busy;

pub use audit::{Audit, AuditEvent};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use db::{Db, DbError, DbKind};
pub use ephemeral::{EphemeralError, EphemeralStore, MemoryStore, RedisStore};
pub use i18n::Locale;
pub use mail::{Mail, Mailer};
pub use secretbox::SecretBox;
