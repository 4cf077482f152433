//! Account records: creation with a generated, unique, case-insensitive login ID (`create`), lookup and
//! search, profile changes and passwords; password sign-in and attempts (`sign_in`), roles and
//! staff (`roles`).

use crate::challenges::{
    insert_challenge_phones, parse_challenge_phones, question_problems, ChallengePhone,
    ChallengeProblem, PhoneProblem, QuestionAnswer, SealedQuestions,
};
use crate::login_id::{login_id_base, login_id_candidate, normalize_login_id};
use crate::password::PasswordHasher;
use crate::phone::PhoneKind;
use crate::policy::{check_password, Personal, PolicyViolation};
use platform::{Db, DbError, DbKind, SecretBox, SharedClock};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Acquire, Any, AnyConnection, Row, Transaction};

mod create;
mod listing;
mod records;
mod roles;
mod sign_in;

pub use create::PreparedAccount;
pub use listing::{name_prefix_condition, AccountList, AccountOrder, AccountPage};
pub use records::*;

pub use roles::{is_staff_role, STAFF_ROLES};
pub use sign_in::{Attempt, Guess, SignIn, STALE_ATTEMPT_SECS};

/// The account repository.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) hasher: PasswordHasher,
    pub(crate) sealer: SecretBox,
    policy: AccountPolicy,
}

/// An account by id: the statement of every request that carries a session.
pub(crate) static BY_ID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"));

/// The statements of the sign-in and SSO paths, prepared on every new PostgreSQL connection
/// before it serves (the first requests after a start or a connection recycle would otherwise
/// prepare them).
pub fn hot_statements() -> Vec<String> {
    vec![BY_ID.clone(), sign_in::BY_LOGIN_ID.clone()]
}

pub(crate) const COLUMNS: &str = "id, login_id, title, given_name, middle_name, family_name, \
    legal_given_name, legal_middle_name, legal_family_name, gender, birth_date, email, phone, \
    locale, status, \
    assurance_level, no_direct_number, agreement_version, agreement_accepted_at, \
    password_changed_at, password_temporary, locked_until, sessions_not_before, totp_enrolled_at, \
    created_at, updated_at";

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(clean).filter(|v| !v.is_empty())
}

impl ProfileUpdate {
    /// Every field that is not acceptable, in the form's order (all at once, so that a form
    /// shows each problem on the first submit).
    pub fn problems(&self) -> Vec<Field> {
        let mut bad = Vec::new();
        let names = [
            (Some(clean(&self.given_name)), Field::GivenName, true),
            (opt(&self.middle_name), Field::MiddleName, false),
            (Some(clean(&self.family_name)), Field::FamilyName, true),
            (opt(&self.title), Field::Title, false),
        ];
        for (value, field, required) in names {
            if check_name(value.as_deref().unwrap_or(""), field, required).is_err() {
                bad.push(field);
            }
        }
        if opt(&self.email).as_deref().is_some_and(|e| !valid_email(e)) {
            bad.push(Field::Email);
        }
        if opt(&self.phone).is_some_and(|p| crate::phone::parse_phone(&p).is_err()) {
            bad.push(Field::Phone);
        }
        if !matches!(self.locale.as_str(), "en" | "fr") {
            bad.push(Field::Locale);
        }
        bad
    }
}

fn check_name(s: &str, field: Field, required: bool) -> Result<(), CredentialError> {
    let n = s.chars().count();
    if (required && n == 0)
        || n > 100
        || s.chars()
            .any(|c| c.is_control() || "<>\"{}[]\\/=;@".contains(c))
    {
        return Err(CredentialError::Invalid(field));
    }
    Ok(())
}

/// An email address of a plausible shape (one `@`, a dot in the domain, no spaces).
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// A date `YYYY-MM-DD` that exists, between 1900 and today's year.
pub fn valid_birth_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    let [y, m, day] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(day)) = (y.parse::<u32>(), m.parse::<u32>(), day.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2100).contains(&y) && (1..=days).contains(&day)
}

impl Accounts {
    /// Accounts stored in `db`; service-desk answers are sealed with `sealer`.
    pub fn new(db: Db, clock: SharedClock, hasher: PasswordHasher, sealer: SecretBox) -> Self {
        Self {
            db,
            clock,
            hasher,
            sealer,
            policy: AccountPolicy::default(),
        }
    }

    /// Uses `policy` instead of the defaults.
    pub fn with_policy(mut self, policy: AccountPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The rules in force.
    pub fn policy(&self) -> &AccountPolicy {
        &self.policy
    }

    /// The password hasher (shared with anything else that hashes people's secrets).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The secret box the service-desk answers are sealed with (shared with anything else
    /// that seals people's data at rest; use a context of your own).
    pub fn sealer(&self) -> &SecretBox {
        &self.sealer
    }

    /// The password rules for this person, every rule broken.
    pub fn check_policy(
        &self,
        password: &str,
        login_id: &str,
        names: &[&str],
    ) -> Vec<PolicyViolation> {
        check_password(password, &Personal { login_id, names })
    }

    /// The account with this id (OIDC subject).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_by_id(&self, id: &str) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&BY_ID)
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    /// Login ID and name (preferred given and family name) of each of `ids` that is an
    /// account, in one query (for lists that show people, not ids: at most 200 ids).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn names_of(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, (String, String)>, CredentialError> {
        let ids: Vec<&str> = ids.iter().take(200).copied().collect();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, login_id, given_name, family_name FROM accounts WHERE id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(self.db.pool()).await?;
        rows.iter()
            .map(|r| {
                let given: String = r.try_get("given_name")?;
                let family: String = r.try_get("family_name")?;
                Ok((
                    r.try_get("id")?,
                    (r.try_get("login_id")?, format!("{given} {family}")),
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// The account with this login ID, case-insensitively.
    #[tracing::instrument(level = "debug", skip_all)]
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

    /// The account holding this college registration number.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_by_designation(
        &self,
        college: &str,
        number: &str,
    ) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE id = (SELECT account_id FROM \
             professional_designations WHERE college = $1 AND registration_number = $2)"
        ))
        .bind(college.trim().to_uppercase())
        .bind(number.trim())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    /// Accounts matching a login ID, a name (first, last or "first last") or a registration
    /// number; at most 25, by name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn search(&self, query: &str) -> Result<Vec<Account>, CredentialError> {
        if clean(query).is_empty() {
            return Ok(Vec::new());
        }
        // The consoles' list with a query: the same matching, ordered by name.
        let page = self
            .list(&AccountList {
                query: query.to_owned(),
                limit: 25,
                ..AccountList::default()
            })
            .await?;
        Ok(page.accounts)
    }

    /// The oldest account with these legal names and date of birth (names compared without
    /// regard to case and spacing), terminated ones too when `any_status`: one person, one
    /// account (LRA registration, self-registration). Served by `accounts_legal_identity`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_by_legal_identity(
        &self,
        legal_given: &str,
        legal_family: &str,
        birth_date: &str,
        any_status: bool,
    ) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE birth_date = $1 \
             AND LOWER(legal_family_name) = $2 AND LOWER(legal_given_name) = $3 \
             AND ($4 = 1 OR status <> 'terminated') ORDER BY created_at LIMIT 1"
        ))
        .bind(birth_date.trim())
        .bind(clean(legal_family).to_lowercase())
        .bind(clean(legal_given).to_lowercase())
        .bind(i64::from(any_status))
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    /// The account whose legal names, date of birth and email all match (case-insensitively),
    /// for "forgot login ID".
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_by_identity(
        &self,
        legal_given: &str,
        legal_family: &str,
        birth_date: &str,
        email: &str,
    ) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE LOWER(legal_given_name) = $1 \
             AND LOWER(legal_family_name) = $2 AND birth_date = $3 AND LOWER(email) = $4 \
             AND status <> 'terminated'"
        ))
        .bind(clean(legal_given).to_lowercase())
        .bind(clean(legal_family).to_lowercase())
        .bind(birth_date.trim())
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    /// The account's professional designations.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn designations(
        &self,
        account_id: &str,
    ) -> Result<Vec<Designation>, CredentialError> {
        let rows = sqlx::query(
            "SELECT college, registration_number FROM professional_designations \
             WHERE account_id = $1 ORDER BY created_at, college",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Designation {
                    college: r.try_get("college")?,
                    registration_number: r.try_get("registration_number")?,
                })
            })
            .collect()
    }

    /// Sets a new password: the current one must be given unless `current` is `None` (a
    /// reset after another proof, or a temporary password issued by staff). Checks the policy
    /// and the history; a temporary password must be changed at the next login.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_password(
        &self,
        account_id: &str,
        current: Option<&str>,
        new: &str,
        temporary: bool,
    ) -> Result<(), CredentialError> {
        let account = self
            .find_by_id(account_id)
            .await?
            .ok_or(CredentialError::NotFound)?;
        if let Some(c) = current {
            if !self.verify_password(account_id, c).await? {
                return Err(CredentialError::WrongPassword);
            }
        }
        let broken = self.check_policy(new, &account.login_id, &account.names());
        if !broken.is_empty() {
            return Err(CredentialError::Policy(broken));
        }
        let n = self.policy.password_history.max(0);
        if n > 0 {
            let rows = sqlx::query(
                "SELECT password_hash FROM password_history WHERE account_id = $1 \
                 ORDER BY created_at DESC LIMIT $2",
            )
            .bind(account_id)
            .bind(n)
            .fetch_all(self.db.pool())
            .await?;
            let mut reused = false;
            for r in rows {
                let h: String = r.try_get("password_hash")?;
                reused |= self.hasher.verify(new.to_owned(), Some(h)).await;
            }
            if reused {
                return Err(CredentialError::Reused);
            }
        }
        let hash = self
            .hasher
            .hash(new.to_owned())
            .await
            .ok_or(CredentialError::Hash)?;
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "UPDATE accounts SET password_hash = $2, password_changed_at = $3, \
             password_temporary = $4, failed_logins = 0, locked_until = NULL, updated_at = $3 \
             WHERE id = $1",
        )
        .bind(account_id)
        .bind(&hash)
        .bind(now)
        .bind(i64::from(temporary))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO password_history (account_id, password_hash, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(account_id)
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Keep only what the history rule needs.
        let keep = sqlx::query(
            "SELECT created_at FROM password_history WHERE account_id = $1 \
             ORDER BY created_at DESC LIMIT 1 OFFSET $2",
        )
        .bind(account_id)
        .bind(n.max(1))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = keep {
            let cutoff: i64 = r.try_get("created_at")?;
            sqlx::query("DELETE FROM password_history WHERE account_id = $1 AND created_at <= $2")
                .bind(account_id)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Issues a random temporary password (meeting the policy) that must be changed at the
    /// next login; unlocks the account's failure lockout.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn issue_temporary_password(
        &self,
        account_id: &str,
    ) -> Result<String, CredentialError> {
        for _ in 0..8 {
            let password = temporary_password();
            match self.set_password(account_id, None, &password, true).await {
                Ok(()) => return Ok(password),
                Err(CredentialError::Policy(_)) | Err(CredentialError::Reused) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CredentialError::Hash)
    }

    /// Changes the person-editable part of the account.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update_profile(
        &self,
        account_id: &str,
        u: &ProfileUpdate,
    ) -> Result<Account, CredentialError> {
        if let Some(field) = u.problems().first() {
            return Err(CredentialError::Invalid(*field));
        }
        let (given, family) = (clean(&u.given_name), clean(&u.family_name));
        let (middle, title, email) = (opt(&u.middle_name), opt(&u.title), opt(&u.email));
        let phone = match opt(&u.phone) {
            Some(p) => Some(
                crate::phone::parse_phone(&p)
                    .map_err(|_| CredentialError::Invalid(Field::Phone))?,
            ),
            None => None,
        };
        let r = sqlx::query(
            "UPDATE accounts SET title = $2, given_name = $3, middle_name = $4, family_name = $5, \
             email = $6, phone = $7, locale = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(account_id)
        .bind(title.as_deref())
        .bind(&given)
        .bind(middle.as_deref())
        .bind(&family)
        .bind(email.as_deref())
        .bind(phone.as_deref())
        .bind(&u.locale)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Err(CredentialError::NotFound);
        }
        self.find_by_id(account_id)
            .await?
            .ok_or(CredentialError::NotFound)
    }

    /// Sets the account's status (`Active` also clears a failure lockout).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_status(
        &self,
        account_id: &str,
        status: AccountStatus,
    ) -> Result<(), CredentialError> {
        let r = sqlx::query(
            "UPDATE accounts SET status = $2, failed_logins = CASE WHEN $2 = 'active' THEN 0 \
             ELSE failed_logins END, locked_until = CASE WHEN $2 = 'active' THEN NULL ELSE \
             locked_until END, lockouts = CASE WHEN $2 = 'active' THEN 0 ELSE lockouts END, \
             updated_at = $3 WHERE id = $1 AND status <> 'terminated'",
        )
        .bind(account_id)
        .bind(status.as_str())
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        if r.rows_affected() == 0 {
            // Termination is final, also against a concurrent change read before it.
            return match self.find_by_id(account_id).await? {
                None => Err(CredentialError::NotFound),
                Some(_) if status == AccountStatus::Terminated => Ok(()),
                Some(_) => Err(CredentialError::Terminated),
            };
        }
        Ok(())
    }

    /// Terminates the account inside the caller's transaction: its status, and every SSO
    /// session begun so far (by the not-before time). False when it was terminated already.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn terminate_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        account_id: &str,
    ) -> Result<bool, CredentialError> {
        let now = self.clock.now();
        let r = sqlx::query(
            "UPDATE accounts SET status = $2, sessions_not_before = $3, updated_at = $4 \
             WHERE id = $1 AND status <> $2",
        )
        .bind(account_id)
        .bind(AccountStatus::Terminated.as_str())
        // Sessions begun in this very second end too: times are whole seconds.
        .bind(now + 1)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Records that the account holder accepted agreement `version` now (003; asked before
    /// the first use and again for each new version).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accept_agreement(&self, account_id: &str, version: &str) -> Result<(), DbError> {
        let now = self.clock.now();
        sqlx::query(
            "UPDATE accounts SET agreement_version = $2, agreement_accepted_at = $3, \
             updated_at = $3 WHERE id = $1",
        )
        .bind(account_id)
        .bind(version)
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    /// Ends every SSO session of the account begun so far (including any begun in this very
    /// second: times are whole seconds).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn end_sessions(&self, account_id: &str) -> Result<(), CredentialError> {
        sqlx::query("UPDATE accounts SET sessions_not_before = $2 WHERE id = $1")
            .bind(account_id)
            .bind(self.clock.now() + 1)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

/// A random password that meets the policy: three groups of letters and digits, e.g.
/// `Kq7m-Xw2p-9Tzr`, easy to read out over the phone (no 0/O, 1/l/I).
pub fn temporary_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let bytes = platform::crypto::random_bytes(12);
    let mut out = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let set = match i % 4 {
            0 => UPPER,
            1 | 3 => LOWER,
            _ => DIGIT,
        };
        out.push(char::from(set[usize::from(*b) % set.len()]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = temporary_password();
            assert_eq!(check_password(&p, &Personal::default()), vec![], "{p}");
        }
    }

    #[test]
    fn lockouts_double_up_to_the_maximum() {
        let p = AccountPolicy::default();
        assert_eq!(p.lockout_length(0), 300);
        assert_eq!(p.lockout_length(1), 600);
        assert_eq!(p.lockout_length(3), 2400);
        assert_eq!(p.lockout_length(40), 86_400);
    }

    #[test]
    fn birth_dates_must_exist() {
        assert!(valid_birth_date("1980-02-29"));
        assert!(!valid_birth_date("1981-02-29"));
        assert!(!valid_birth_date("1980-13-01"));
        assert!(!valid_birth_date("80-01-01"));
        assert!(!valid_birth_date("1980-1-01"));
    }

    #[test]
    fn emails_need_a_plausible_shape() {
        assert!(valid_email("randy.burt@example.org"));
        assert!(!valid_email("randy"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@example.org"));
        assert!(!valid_email("a@b@example.org"));
    }
}
