//! A forgotten password's reset, its state kept in the ephemeral store under a random token:
//! the login ID, then two of the account's three online questions (the same two for a day, so
//! asking again reveals nothing; an unknown login ID gets two catalogue questions too, whose
//! answers never match), then a new password under the policy. Wrong answers count on the
//! reset (three tries) and toward the account's lockout; every branch hashes as many answers
//! as were asked, so that timing does not tell whether the account exists.

use crate::{Accounts, ChallengeError, CredentialError, Guess, QuestionAnswer, QUESTIONS};
use platform::crypto::{random_bytes, random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json, EphemeralError, EphemeralStore};
use platform::DbError;
use serde::{Deserialize, Serialize};

/// How long a password reset stays usable, seconds.
pub const RESET_TTL: i64 = 900;
/// Wrong answers allowed in one reset.
pub const RESET_ATTEMPTS: u32 = 3;
/// How long the questions asked for a login ID stay the same, seconds.
const STICKY_QUESTIONS_SECS: i64 = 86_400;

/// A password reset in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reset {
    /// The account, when the login ID named one with online questions.
    pub account_id: Option<String>,
    /// The two questions asked.
    pub questions: Vec<String>,
    /// The answers were right: a new password may be set.
    pub verified: bool,
}

/// A reset just started.
#[derive(Debug)]
pub struct Started {
    /// The reset's token (the form carries it).
    pub token: String,
    /// The reset itself.
    pub reset: Reset,
}

/// What the answers to the questions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Right: the reset is verified and a new password may be set.
    Right,
    /// Wrong, with tries left: ask again.
    Wrong,
    /// Wrong on the last try, the account locked, or refused unchecked: the reset is over.
    Over(Guess),
}

impl Answered {
    /// For the audit: `right`, `wrong` or `refused`.
    pub fn detail(self) -> &'static str {
        match self {
            Answered::Right => "right",
            Answered::Wrong | Answered::Over(Guess::Wrong { .. }) => "wrong",
            Answered::Over(Guess::Right) => "right",
            Answered::Over(Guess::Refused) => "refused",
        }
    }
}

/// Why a reset failed inside.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The ephemeral store.
    #[error(transparent)]
    Store(#[from] EphemeralError),
    /// The account store.
    #[error(transparent)]
    Account(#[from] CredentialError),
    /// The challenge questions' store.
    #[error(transparent)]
    Challenge(#[from] ChallengeError),
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The password resets kept in `store` for the accounts of `accounts`.
#[derive(Debug, Clone, Copy)]
pub struct Resets<'a> {
    store: &'a dyn EphemeralStore,
    accounts: &'a Accounts,
}

fn reset_key(token: &str) -> String {
    format!("pwreset:{}", sha256_b64(token.as_bytes()))
}

/// The reset's attempt counter, atomic in the ephemeral store.
fn reset_tries_key(token: &str) -> String {
    format!("pwreset-tries:{}", sha256_b64(token.as_bytes()))
}

impl<'a> Resets<'a> {
    /// The resets in `store`.
    pub fn new(store: &'a dyn EphemeralStore, accounts: &'a Accounts) -> Self {
        Self { store, accounts }
    }

    /// Starts a reset for `login_id`: the two questions to ask (always two, whether or not the
    /// login ID names an account with questions).
    pub async fn start(&self, login_id: &str) -> Result<Started, ResetError> {
        let account = self.accounts.find_by_login_id(login_id).await?;
        // The same store call whether or not the login ID exists.
        let online = self
            .accounts
            .online_questions(account.as_ref().map_or("", |a| a.id.as_str()))
            .await?;
        // No account, or no questions: two catalogue questions all the same, so the page does
        // not tell whether the login ID exists; the answers can never match.
        let usable = online.len() >= 2;
        let pool: Vec<String> = if usable {
            online
        } else {
            QUESTIONS.iter().map(|q| q.id.to_owned()).collect()
        };
        let questions = self.sticky_pair(&login_id.to_lowercase(), &pool).await;
        let reset = Reset {
            account_id: account.filter(|_| usable).map(|a| a.id),
            questions,
            verified: false,
        };
        let token = random_token(24);
        put_json(self.store, &reset_key(&token), &reset, RESET_TTL).await?;
        Ok(Started { token, reset })
    }

    /// The reset of `token`, while it lives.
    pub async fn load(&self, token: &str) -> Option<Reset> {
        if token.is_empty() || token.len() > 64 {
            return None;
        }
        get_json::<Reset>(self.store, &reset_key(token))
            .await
            .ok()
            .flatten()
    }

    /// Checks `answers` to the questions of `reset` (under `token`). The attempt is taken
    /// before the answers are checked, on this reset's counter and then on the account's; past
    /// either limit they are refused unchecked. A reset that is over is forgotten.
    pub async fn answer(
        &self,
        token: &str,
        mut reset: Reset,
        answers: &[QuestionAnswer],
    ) -> Result<Answered, ResetError> {
        let n = self.store.incr(&reset_tries_key(token), RESET_TTL).await?;
        let guess = if n > i64::from(RESET_ATTEMPTS) {
            self.accounts.dummy_online_answers(answers).await;
            Guess::Refused
        } else {
            match &reset.account_id {
                Some(id) => {
                    self.accounts
                        .guarded(
                            id,
                            async {
                                self.accounts
                                    .verify_online_answers(id, answers)
                                    .await
                                    .unwrap_or(false)
                            },
                            self.accounts.dummy_online_answers(answers),
                        )
                        .await?
                }
                None => {
                    // The same store calls and hashes as a wrong answer for an account.
                    let _ = self.accounts.take_attempt("").await;
                    let _ = self.accounts.verify_online_answers("", answers).await;
                    Guess::Wrong { locked_now: false }
                }
            }
        };
        if guess == Guess::Right {
            reset.verified = true;
            put_json(self.store, &reset_key(token), &reset, RESET_TTL).await?;
            return Ok(Answered::Right);
        }
        if n >= i64::from(RESET_ATTEMPTS) || guess != (Guess::Wrong { locked_now: false }) {
            // The last attempt is spent, the account locked, or the guess refused.
            let _ = self.store.delete(&reset_key(token)).await;
            return Ok(Answered::Over(guess));
        }
        Ok(Answered::Wrong)
    }

    /// Sets `new_password` on the account of the verified reset `token` (none when the reset
    /// is not verified or names no account: it has expired). The reset is then forgotten;
    /// ending the account's sessions and grants is the caller's.
    pub async fn set_password(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<Option<String>, CredentialError> {
        let Some(account_id) = self
            .load(token)
            .await
            .and_then(|r| r.account_id.filter(|_| r.verified))
        else {
            return Ok(None);
        };
        self.accounts
            .set_password(&account_id, None, new_password, false)
            .await?;
        let _ = self.store.delete(&reset_key(token)).await;
        Ok(Some(account_id))
    }

    /// Two question ids chosen at random from `from`, kept for a day under `sticky` so that
    /// asking again shows the same two.
    async fn sticky_pair(&self, sticky: &str, from: &[String]) -> Vec<String> {
        let key = format!("pwreset-q:{}", sha256_b64(sticky.as_bytes()));
        if let Ok(Some(prev)) = get_json::<Vec<String>>(self.store, &key).await {
            if prev.iter().all(|q| from.contains(q)) && prev.len() == 2 {
                return prev;
            }
        }
        let mut pool = from.to_vec();
        let mut chosen = Vec::new();
        for b in random_bytes(2) {
            if pool.is_empty() {
                break;
            }
            chosen.push(pool.remove(usize::from(b) % pool.len()));
        }
        let _ = put_json(self.store, &key, &chosen, STICKY_QUESTIONS_SECS).await;
        chosen
    }
}
