//! Account records: creation with a unique case-insensitive login ID, lookup, and password
//! authentication with the same answer and timing for an unknown login ID and a wrong password.

use crate::password::{check_password_policy, PasswordHasher, PolicyViolation};
use platform::{Db, DbError, SharedClock};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Whether an account can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Can sign in.
    Active,
    /// Locked (too many failures, or by the service desk).
    Locked,
    /// Suspended by a sponsor or administrator.
    Suspended,
    /// Ended for good.
    Terminated,
}

impl AccountStatus {
    fn parse(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "locked" => Self::Locked,
            "suspended" => Self::Suspended,
            _ => Self::Terminated,
        }
    }
}

/// An account, without its credentials.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Stable opaque identifier, used as the OIDC `sub`.
    pub id: String,
    /// Login ID as displayed.
    pub login_id: String,
    /// Given (first) name.
    pub given_name: String,
    /// Family (last) name.
    pub family_name: String,
    /// Email address.
    pub email: Option<String>,
    /// Contact phone (E.164).
    pub phone: Option<String>,
    /// Preferred language tag (`en` | `fr`).
    pub locale: String,
    /// Status.
    pub status: AccountStatus,
    /// Level of assurance, 1..=3.
    pub assurance_level: i64,
    /// Last change, unix seconds.
    pub updated_at: i64,
}

impl Account {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            login_id: r.try_get("login_id")?,
            given_name: r.try_get("given_name")?,
            family_name: r.try_get("family_name")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            locale: r.try_get("locale")?,
            status: AccountStatus::parse(&r.try_get::<String, _>("status")?),
            assurance_level: r.try_get("assurance_level")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login ID.
    pub login_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// `en` | `fr`.
    pub locale: String,
    /// Initial password (checked against the policy).
    pub password: String,
}

/// Errors creating or reading accounts.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Another account has this login ID.
    #[error("the login ID is already taken")]
    LoginIdTaken,
    /// A field is not acceptable.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The password breaks the policy.
    #[error("password policy: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Policy(Vec<PolicyViolation>),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Hashing failed.
    #[error("password hashing failed")]
    Hash,
}

impl From<sqlx::Error> for CredentialError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown login ID or wrong password: deliberately indistinguishable.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password was right but the account cannot sign in.
    #[error("account is {0:?}")]
    Unavailable(AccountStatus),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The account repository.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Db,
    clock: SharedClock,
    hasher: PasswordHasher,
}

const COLUMNS: &str = "id, login_id, given_name, family_name, email, phone, locale, status, \
                       assurance_level, updated_at";

fn normalize_login_id(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Accounts {
    /// Accounts stored in `db`.
    pub fn new(db: Db, clock: SharedClock, hasher: PasswordHasher) -> Self {
        Self { db, clock, hasher }
    }

    /// The password hasher (shared with anything else that hashes people's secrets).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Creates an account after checking its fields and password.
    pub async fn create(&self, new: NewAccount) -> Result<Account, CredentialError> {
        let login_id = new.login_id.trim().to_owned();
        if login_id.is_empty()
            || login_id.len() > 128
            || login_id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(CredentialError::Invalid("login ID"));
        }
        if new.given_name.trim().is_empty() || new.given_name.len() > 100 {
            return Err(CredentialError::Invalid("given name"));
        }
        if new.family_name.trim().is_empty() || new.family_name.len() > 100 {
            return Err(CredentialError::Invalid("family name"));
        }
        if let Some(e) = &new.email {
            if !e.contains('@') || e.len() > 254 {
                return Err(CredentialError::Invalid("email"));
            }
        }
        if !matches!(new.locale.as_str(), "en" | "fr") {
            return Err(CredentialError::Invalid("locale"));
        }
        let broken = check_password_policy(&new.password);
        if !broken.is_empty() {
            return Err(CredentialError::Policy(broken));
        }
        let hash = self
            .hasher
            .hash(new.password)
            .await
            .ok_or(CredentialError::Hash)?;
        let id = platform::crypto::random_token(16);
        let now = self.clock.now();
        let r = sqlx::query(
            "INSERT INTO accounts (id, login_id, login_id_lower, given_name, family_name, email, \
             phone, locale, status, assurance_level, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', 1, $9, $10, $10)",
        )
        .bind(&id)
        .bind(&login_id)
        .bind(normalize_login_id(&login_id))
        .bind(new.given_name.trim())
        .bind(new.family_name.trim())
        .bind(new.email.as_deref())
        .bind(new.phone.as_deref())
        .bind(&new.locale)
        .bind(&hash)
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => return Err(CredentialError::LoginIdTaken),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        self.find_by_id(&id)
            .await?
            .ok_or(CredentialError::Invalid("account"))
    }

    /// The account with this id (OIDC subject).
    pub async fn find_by_id(&self, id: &str) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    /// The account with this login ID, case-insensitively.
    pub async fn find_by_login_id(
        &self,
        login_id: &str,
    ) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE login_id_lower = $1"
        ))
        .bind(normalize_login_id(login_id))
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    /// Checks a login ID and password. Unknown login IDs are verified against a dummy hash so
    /// the answer and its timing match a wrong password.
    pub async fn authenticate(&self, login_id: &str, password: &str) -> Result<Account, AuthError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM accounts WHERE login_id_lower = $1"
        ))
        .bind(normalize_login_id(login_id))
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let (account, hash) = match &row {
            Some(r) => (
                Some(Account::from_row(r).map_err(DbError::from)?),
                Some(
                    r.try_get::<String, _>("password_hash")
                        .map_err(DbError::from)?,
                ),
            ),
            None => (None, None),
        };
        let ok = self.hasher.verify(password.to_owned(), hash).await;
        match account {
            Some(a) if ok => {
                if a.status == AccountStatus::Active {
                    Ok(a)
                } else {
                    Err(AuthError::Unavailable(a.status))
                }
            }
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    /// Grants `role` (e.g. `administrator`) to an account; `by` is who granted it.
    pub async fn grant_role(
        &self,
        account_id: &str,
        role: &str,
        by: &str,
    ) -> Result<(), CredentialError> {
        let r = sqlx::query(
            "INSERT INTO account_roles (account_id, role, scope, granted_at, granted_by) \
             VALUES ($1, $2, '', $3, $4)",
        )
        .bind(account_id)
        .bind(role)
        .bind(self.clock.now())
        .bind(by)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.is_unique_violation() => Ok(()), // already held
            Err(e) => Err(e.into()),
        }
    }

    /// True if the account holds `role`.
    pub async fn has_role(&self, account_id: &str, role: &str) -> Result<bool, CredentialError> {
        let row =
            sqlx::query("SELECT 1 AS one FROM account_roles WHERE account_id = $1 AND role = $2")
                .bind(account_id)
                .bind(role)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.is_some())
    }
}
