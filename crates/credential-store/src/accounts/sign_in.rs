//! Password sign-in and the attempts taken before any guess at one of the account's secrets is
//! checked: the same answer and the same work for an unknown login ID, a wrong password, a
//! locked account and a guess past the limit.

use super::*;

/// Attempts taken this long ago and never finished count as failures (their request died).
pub const STALE_ATTEMPT_SECS: i64 = 60;

/// An attempt at one of the account's secrets, taken before the guess is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The guess may be checked: it is the `n`th consecutive attempt (1-based).
    Granted(i64),
    /// The account is locked, or its last attempt is taken: refuse the guess unchecked.
    Refused,
}

/// The outcome of a guess checked under the attempt limit ([`Accounts::guarded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// Right, and the account was not locked meanwhile.
    Right,
    /// Checked and wrong; `locked_now` when this failure locked the account.
    Wrong {
        /// This failure reached the limit and locked the account.
        locked_now: bool,
    },
    /// Not checked (locked, or past the limit), or right but locked meanwhile.
    Refused,
}

/// A successful password check.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// Who.
    pub account: Account,
    /// The password is older than the policy allows: it must be changed now.
    pub password_expired: bool,
    /// The password is temporary: it must be changed now.
    pub must_change: bool,
}

impl SignIn {
    /// The login must go through the change-password page before completing.
    pub fn needs_new_password(&self) -> bool {
        self.password_expired || self.must_change
    }
}

/// An account and its password hash by login ID: the statement of every sign-in.
pub(crate) static BY_LOGIN_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT {COLUMNS}, password_hash FROM accounts WHERE login_id_lower = $1")
});

impl Accounts {
    /// Checks a login ID and password. The attempt is taken before the password is checked
    /// ([`Accounts::take_attempt`]), so a burst of parallel guesses checks at most
    /// `max_failures` of them. An unknown login ID, a locked account and a guess past the limit
    /// are verified against a dummy hash (never the real one) with the same store calls, so
    /// the answer and its work are the same for all of them; `max_failures` consecutive
    /// failures lock the account for a period that doubles with each lockout in a row. A right
    /// password for an account locked by then does not sign in.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate(&self, login_id: &str, password: &str) -> Result<SignIn, AuthError> {
        let row = sqlx::query(&BY_LOGIN_ID)
            .bind(normalize_login_id(login_id))
            .fetch_optional(self.db.pool())
            .await
            .map_err(DbError::from)?;
        let found = match &row {
            Some(r) => {
                let a = Account::from_row(r).map_err(DbError::from)?;
                let h: String = r.try_get("password_hash").map_err(DbError::from)?;
                Some((a, h))
            }
            None => None,
        };
        let Some((account, hash)) = found else {
            // The same store call and the same hash as a real attempt.
            self.take_attempt("").await?;
            self.hasher.verify(password.to_owned(), None).await;
            return Err(AuthError::UnknownLoginId);
        };
        let Attempt::Granted(n) = self.take_attempt(&account.id).await? else {
            self.hasher.verify(password.to_owned(), None).await;
            return Err(AuthError::LockedOut {
                account_id: account.id,
            });
        };
        let ok = self.hasher.verify(password.to_owned(), Some(hash)).await;
        if !ok {
            let locked_now = self.attempt_failed(&account.id, n).await?;
            return Err(AuthError::WrongPassword {
                account_id: account.id,
                locked_now,
            });
        }
        if !self.attempt_succeeded(&account.id).await? {
            // Locked by a parallel guess while this one was checked.
            return Err(AuthError::LockedOut {
                account_id: account.id,
            });
        }
        if account.status != AccountStatus::Active {
            return Err(AuthError::Unavailable(account.status));
        }
        let now = self.clock.now();
        let max_age = self.policy.password_max_age_days * 86_400;
        Ok(SignIn {
            password_expired: max_age > 0 && now - account.password_changed_at >= max_age,
            must_change: account.password_temporary,
            account,
        })
    }

    /// Takes one attempt at a secret of the account (its password, a step-up code, a TOTP
    /// code, challenge answers) before the guess is checked: one conditional update, atomic
    /// on every backend and node, so parallel guesses each get a different number and none
    /// gets one past `max_failures`. A locked account, or one whose last attempt is already
    /// taken, is refused: the guess must not be checked. An unknown id (`""` for the work of
    /// an unknown login ID) is refused with the same store call.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn take_attempt(&self, account_id: &str) -> Result<Attempt, DbError> {
        let now = self.clock.now();
        let row = sqlx::query(
            "UPDATE accounts SET failed_logins = failed_logins + 1, attempt_at = $3 \
             WHERE id = $1 AND failed_logins < $2 \
             AND (locked_until IS NULL OR locked_until <= $3) RETURNING failed_logins",
        )
        .bind(account_id)
        .bind(self.policy.max_failures)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        match row {
            Some(r) => Ok(Attempt::Granted(r.try_get("failed_logins")?)),
            None if account_id.is_empty() => Ok(Attempt::Refused),
            None => {
                // Every attempt is taken but the account is not locked: the last ones are
                // still being checked (parallel sign-ins, or a burst of guesses), and are
                // refused without a lockout; or they were taken long ago by a request that
                // died before it could count, and are failures: lock, so an account never
                // stays refused without a lockout that ends.
                self.lock_spent(account_id, now - STALE_ATTEMPT_SECS)
                    .await?;
                Ok(Attempt::Refused)
            }
        }
    }

    /// The `n`th attempt (from [`Accounts::take_attempt`]) was wrong: it stays counted, and the
    /// one that reached `max_failures` locks the account. True when it locked.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn attempt_failed(&self, account_id: &str, n: i64) -> Result<bool, DbError> {
        if n < self.policy.max_failures {
            return Ok(false);
        }
        self.lock_spent(account_id, i64::MAX).await
    }

    /// The attempt was right: the consecutive failures start again, unless the account was
    /// locked meanwhile (by parallel guesses), in which case false: the right answer must not
    /// finish.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn attempt_succeeded(&self, account_id: &str) -> Result<bool, DbError> {
        let r = sqlx::query(
            "UPDATE accounts SET failed_logins = 0, lockouts = 0, locked_until = NULL \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(account_id)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Locks an account whose attempts are all spent, the latest taken at or before `taken_by`,
    /// and that is not locked already; true when this call locked it. Only one of several
    /// parallel callers does.
    async fn lock_spent(&self, account_id: &str, taken_by: i64) -> Result<bool, DbError> {
        let now = self.clock.now();
        let Some(row) = sqlx::query(
            "SELECT lockouts FROM accounts WHERE id = $1 AND failed_logins >= $2 \
             AND (attempt_at IS NULL OR attempt_at <= $3)",
        )
        .bind(account_id)
        .bind(self.policy.max_failures)
        .bind(taken_by)
        .fetch_optional(self.db.pool())
        .await?
        else {
            return Ok(false);
        };
        let lockouts: i64 = row.try_get("lockouts")?;
        let until = now + self.policy.lockout_length(lockouts);
        let r = sqlx::query(
            "UPDATE accounts SET failed_logins = 0, lockouts = lockouts + 1, locked_until = $2 \
             WHERE id = $1 AND failed_logins >= $3 AND lockouts = $4 \
             AND (locked_until IS NULL OR locked_until <= $5)",
        )
        .bind(account_id)
        .bind(until)
        .bind(self.policy.max_failures)
        .bind(lockouts)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Checks a guess at one of the account's secrets under the attempt limit: takes the
    /// attempt, runs `check` only if it was granted, then counts the failure or starts the
    /// count again. `refused` runs instead of `check` (the same work on a dummy) when the
    /// attempt was refused.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn guarded<F, R>(
        &self,
        account_id: &str,
        check: F,
        refused: R,
    ) -> Result<Guess, DbError>
    where
        F: std::future::Future<Output = bool>,
        R: std::future::Future<Output = ()>,
    {
        let Attempt::Granted(n) = self.take_attempt(account_id).await? else {
            refused.await;
            return Ok(Guess::Refused);
        };
        if !check.await {
            let locked_now = self.attempt_failed(account_id, n).await?;
            return Ok(Guess::Wrong { locked_now });
        }
        if self.attempt_succeeded(account_id).await? {
            Ok(Guess::Right)
        } else {
            Ok(Guess::Refused)
        }
    }

    /// Verifies the account's current password (e.g. before a change), under the attempt
    /// limit. False for a wrong password and for a guess refused unchecked.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_password(
        &self,
        account_id: &str,
        password: &str,
    ) -> Result<bool, CredentialError> {
        let hash: Option<String> = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(self.db.pool())
            .await?
            .map(|r| r.try_get("password_hash"))
            .transpose()?;
        let g = self
            .guarded(
                account_id,
                self.hasher.verify(password.to_owned(), hash),
                async {
                    self.hasher.verify(password.to_owned(), None).await;
                },
            )
            .await?;
        Ok(g == Guess::Right)
    }
}
