//! What every administrative change shares: who makes it (`Actor`), why it is refused
//! (`AdminError`, which the admin API maps to its JSON errors and the console to its pages),
//! and its one audit row.

use credential_store::CredentialError;
use platform::{Audit, AuditEvent, DbError};
use serde::{Deserialize, Deserializer};

/// Who made a change: `cli`, a person at the console (their account id), or `client:<id>` for
/// the admin API (the client id goes in the audit row's client column too).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The audit actor.
    pub name: &'a str,
    /// The relying party, for API calls.
    pub client: Option<&'a str>,
}

impl Actor<'static> {
    /// The command line.
    pub const CLI: Actor<'static> = Actor {
        name: "cli",
        client: None,
    };
}

impl<'a> Actor<'a> {
    /// An API caller: actor `client:<id>`, and the client id in the audit row's client column.
    pub fn api(name: &'a str, client: &'a str) -> Self {
        Actor {
            name,
            client: Some(client),
        }
    }

    /// A person at the console (their account id).
    pub fn person(account_id: &'a str) -> Self {
        Actor {
            name: account_id,
            client: None,
        }
    }
}

/// Why an administrative change or read was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A value is not acceptable; `field` names it for forms ("" when none in particular).
    #[error("{message}")]
    Invalid {
        /// The field (JSON name), or "".
        field: &'static str,
        /// What is wrong, in English.
        message: String,
    },
    /// No such thing; the message says what.
    #[error("{0}")]
    NotFound(String),
    /// It exists already, or its state forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed (the message is for logs only).
    #[error("storage: {0}")]
    Storage(String),
}

impl AdminError {
    /// A bad `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<CredentialError> for AdminError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::NotFound => Self::NotFound("no such account".into()),
            e @ CredentialError::NoSecondFactor => Self::Conflict(e.to_string()),
            e => Self::Storage(e.to_string()),
        }
    }
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<sqlx::Error> for AdminError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// Records a change: `event` by `actor` on `subject`, with `detail` (never a secret). A
/// failure to write is not the change's failure.
pub async fn record(audit: &Audit, event: &str, actor: Actor<'_>, subject: &str, detail: &str) {
    let _ = audit
        .record(AuditEvent {
            event,
            actor: Some(actor.name),
            subject: Some(subject),
            client_id: actor.client,
            detail: Some(detail),
            ..Default::default()
        })
        .await;
}

/// For a patch's optional field (`#[serde(default, deserialize_with = "nullable")]`): absent
/// is `None` (kept), `null` is `Some(None)` (cleared), a value is `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
