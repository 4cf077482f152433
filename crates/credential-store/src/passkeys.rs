//! Passkeys as stored: each belongs to one account, has the name its holder gave it, and keeps
//! the WebAuthn library's record of the credential (its public key, signature counter and
//! backup flags) as opaque JSON; this crate never reads inside it. A use is recorded only when
//! the signature counter moved forward (or both the stored and the presented counter are 0, as
//! synced passkeys report), in one conditional update, so a cloned authenticator replaying an
//! older counter is refused on every node, even when two uses race.

use crate::{Accounts, CredentialError};
use sqlx::Row;

/// The most passkeys one account may hold.
pub const MAX_PASSKEYS: usize = 10;

/// A stored passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// Our identifier (random), used in forms.
    pub id: String,
    pub account_id: String,
    /// The WebAuthn credential ID, base64url without padding.
    pub credential_id: String,
    /// What its holder called it.
    pub name: String,
    /// The library's record of the credential (JSON).
    pub data: String,
    /// The last signature counter seen.
    pub counter: i64,
    /// A synced passkey (it may be copied to the holder's other devices).
    pub backup_eligible: bool,
    /// The authenticator model (AAGUID) a direct attestation proved at registration.
    pub attested_aaguid: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A new passkey, as a registration ceremony produced it.
#[derive(Debug, Clone)]
pub struct NewPasskey<'a> {
    pub account_id: &'a str,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub data: &'a str,
    pub counter: i64,
    pub backup_eligible: bool,
    pub attested_aaguid: Option<&'a str>,
}

/// Why a passkey was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddPasskeyError {
    /// The credential is registered already (to this account or another).
    #[error("this passkey is registered already")]
    Exists,
    /// The account holds the most passkeys it may.
    #[error("too many passkeys")]
    TooMany,
    #[error(transparent)]
    Store(#[from] CredentialError),
}

/// How a recorded use ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyUse {
    /// Recorded: the counter moved forward (or is not kept by the authenticator).
    Recorded,
    /// The counter did not move forward: a cloned authenticator, or a use that raced this one.
    CounterBehind,
    /// The passkey is gone (removed meanwhile).
    Gone,
}

const COLUMNS: &str = "id, account_id, credential_id, name, data, counter, backup_eligible, \
                       attested_aaguid, created_at, last_used_at";

fn read(r: &sqlx::any::AnyRow) -> Result<StoredPasskey, sqlx::Error> {
    Ok(StoredPasskey {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        credential_id: r.try_get("credential_id")?,
        name: r.try_get("name")?,
        data: r.try_get("data")?,
        counter: r.try_get("counter")?,
        backup_eligible: r.try_get::<i64, _>("backup_eligible")? != 0,
        attested_aaguid: r.try_get("attested_aaguid")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

impl Accounts {
    /// The account's passkeys, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn passkeys(&self, account_id: &str) -> Result<Vec<StoredPasskey>, CredentialError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE account_id = $1 ORDER BY created_at, id"
        ))
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(read).collect::<Result<_, _>>()?)
    }

    /// Whether the account has a passkey (one indexed probe).
    pub async fn has_passkey(&self, account_id: &str) -> Result<bool, platform::DbError> {
        let row = sqlx::query("SELECT 1 FROM passkeys WHERE account_id = $1 LIMIT 1")
            .bind(account_id)
            .fetch_optional(self.db.pool())
            .await
            .map_err(platform::DbError::from)?;
        Ok(row.is_some())
    }

    /// The passkey with this credential ID, whoever holds it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, CredentialError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1"
        ))
        .bind(credential_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(read).transpose()?)
    }

    /// Adds a passkey to an account (at most [`MAX_PASSKEYS`]); returns its ID.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_passkey(&self, new: &NewPasskey<'_>) -> Result<String, AddPasskeyError> {
        let id = platform::crypto::random_token(12);
        let now = self.clock.now();
        // The count and the insert in one statement. The limit keeps a list readable, it is
        // no security bound: two additions racing on PostgreSQL may both see nine.
        let r = sqlx::query(
            "INSERT INTO passkeys (id, account_id, credential_id, name, data, counter, \
             backup_eligible, attested_aaguid, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $10, $8 \
             WHERE (SELECT COUNT(*) FROM passkeys WHERE account_id = $2) < $9",
        )
        .bind(&id)
        .bind(new.account_id)
        .bind(new.credential_id)
        .bind(new.name)
        .bind(new.data)
        .bind(new.counter)
        .bind(i64::from(new.backup_eligible))
        .bind(now)
        .bind(MAX_PASSKEYS as i64)
        .bind(new.attested_aaguid)
        .execute(self.db.pool())
        .await;
        match r {
            Ok(r) if r.rows_affected() == 1 => Ok(id),
            Ok(_) => Err(AddPasskeyError::TooMany),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(AddPasskeyError::Exists)
            }
            Err(e) => Err(AddPasskeyError::Store(e.into())),
        }
    }

    /// Records a use of a passkey: its new counter and record, and when. Only when the counter
    /// moved forward, or when the authenticator keeps none (0 stored and 0 presented).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn use_passkey(
        &self,
        credential_id: &str,
        counter: i64,
        data: &str,
        backup_eligible: bool,
    ) -> Result<PasskeyUse, CredentialError> {
        let r = sqlx::query(
            "UPDATE passkeys SET counter = $2, data = $3, backup_eligible = $4, \
             last_used_at = $5 \
             WHERE credential_id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0))",
        )
        .bind(credential_id)
        .bind(counter)
        .bind(data)
        .bind(i64::from(backup_eligible))
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        if r.rows_affected() == 1 {
            return Ok(PasskeyUse::Recorded);
        }
        Ok(match self.passkey_by_credential(credential_id).await? {
            Some(_) => PasskeyUse::CounterBehind,
            None => PasskeyUse::Gone,
        })
    }

    /// Renames one of the account's passkeys; false when it has no such passkey.
    pub async fn rename_passkey(
        &self,
        account_id: &str,
        id: &str,
        name: &str,
    ) -> Result<bool, CredentialError> {
        let r = sqlx::query("UPDATE passkeys SET name = $3 WHERE id = $2 AND account_id = $1")
            .bind(account_id)
            .bind(id)
            .bind(name)
            .execute(self.db.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes one of the account's passkeys; its name when there was one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove_passkey(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Option<String>, CredentialError> {
        let row =
            sqlx::query("DELETE FROM passkeys WHERE id = $2 AND account_id = $1 RETURNING name")
                .bind(account_id)
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map(|r| r.try_get("name")).transpose()?)
    }
}

/// The longest passkey name, in characters.
pub const PASSKEY_NAME_MAX: usize = 60;

/// Why a typed passkey name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyNameError {
    /// Nothing is left once trimmed.
    Empty,
    /// Longer than `PASSKEY_NAME_MAX` characters (never cut short silently).
    TooLong,
}

/// A passkey's name as typed: trimmed, control characters out, at most `PASSKEY_NAME_MAX`
/// characters.
pub fn passkey_name(typed: &str) -> Result<String, PasskeyNameError> {
    let clean: String = typed
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned();
    match clean.chars().count() {
        0 => Err(PasskeyNameError::Empty),
        n if n > PASSKEY_NAME_MAX => Err(PasskeyNameError::TooLong),
        _ => Ok(clean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_cleaned_and_bounded() {
        assert_eq!(passkey_name("  Work laptop \n"), Ok("Work laptop".into()));
        assert_eq!(passkey_name("a\u{0}b"), Ok("ab".into()));
        assert_eq!(passkey_name(" \t "), Err(PasskeyNameError::Empty));
        assert_eq!(
            passkey_name(&"é".repeat(60)).map(|s| s.chars().count()),
            Ok(60)
        );
        assert_eq!(
            passkey_name(&"é".repeat(61)),
            Err(PasskeyNameError::TooLong)
        );
        // Spaces around do not count.
        assert!(passkey_name(&format!("  {}  ", "x".repeat(60))).is_ok());
    }
}
