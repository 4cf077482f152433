//! Challenge questions and challenge phones of an account.
//!
//! Three *online* questions verify the person online (forgotten password, step-up): their
//! answers are normalized, then argon2id-hashed, so only the holder knows them. Two *service
//! desk* questions let an agent verify a caller: their answers are sealed with the secret box
//! so staff can read them (every reveal is audited by the caller of `reveal_desk_answers`).

use crate::accounts::Accounts;
use crate::answers::normalize_answer;
use crate::phone::PhoneKind;
use crate::questions::question;
use platform::DbError;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A TOTP secret and the last time step used with it.
pub type TotpSecret = (Vec<u8>, Option<i64>);

/// Online questions per account.
pub const ONLINE_QUESTIONS: usize = 3;
/// Service-desk questions per account.
pub const DESK_QUESTIONS: usize = 2;
/// Challenge phones per account, at most.
pub const MAX_PHONES: usize = 3;
/// Longest answer, characters.
pub const MAX_ANSWER: usize = 100;

/// A question chosen and its answer, as typed.
#[derive(Debug, Clone, Default)]
pub struct QuestionAnswer {
    /// Catalogue id.
    pub question_id: String,
    /// Answer.
    pub answer: String,
}

/// What is wrong with one of the five question rows (0..3 online, 3..5 service desk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeProblem {
    /// No question chosen, or one not in the catalogue.
    NoQuestion,
    /// The same question as an earlier row.
    SameQuestion,
    /// No answer.
    NoAnswer,
    /// Longer than `MAX_ANSWER`.
    TooLong,
    /// The same answer as an earlier row (after normalization).
    SameAnswer,
}

/// Errors setting challenges.
#[derive(Debug, thiserror::Error)]
pub enum ChallengeError {
    /// Rows with problems: (row index, problem).
    #[error("invalid challenge questions")]
    Invalid(Vec<(usize, ChallengeProblem)>),
    /// Phones with problems: (row index, problem).
    #[error("invalid challenge phones")]
    Phones(Vec<(usize, PhoneProblem)>),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Hashing or sealing failed.
    #[error("hashing failed")]
    Hash,
}

impl From<sqlx::Error> for ChallengeError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::from(e))
    }
}

/// What is wrong with a phone row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneProblem {
    /// Not a phone number.
    Invalid,
    /// The same number as an earlier row.
    Duplicate,
    /// More than `MAX_PHONES`.
    TooMany,
}

/// A challenge phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChallengePhone {
    /// E.164 number.
    pub e164: String,
    /// Mobile (texts and calls) or landline (calls).
    pub kind: PhoneKind,
}

/// Checks the five rows: every question from the catalogue, none twice, every answer given,
/// none twice after normalization.
pub fn check_questions(rows: &[QuestionAnswer]) -> Vec<(usize, ChallengeProblem)> {
    let mut problems = Vec::new();
    let mut seen_q: Vec<&str> = Vec::new();
    let mut seen_a: Vec<String> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let q = r.question_id.trim();
        if question(q).is_none() {
            problems.push((i, ChallengeProblem::NoQuestion));
        } else if seen_q.contains(&q) {
            problems.push((i, ChallengeProblem::SameQuestion));
        } else {
            seen_q.push(q);
        }
        let a = normalize_answer(&r.answer);
        if a.is_empty() {
            problems.push((i, ChallengeProblem::NoAnswer));
        } else if r.answer.chars().count() > MAX_ANSWER {
            problems.push((i, ChallengeProblem::TooLong));
        } else if seen_a.contains(&a) {
            problems.push((i, ChallengeProblem::SameAnswer));
        } else {
            seen_a.push(a);
        }
    }
    problems
}

pub(crate) fn seal_context(account_id: &str, position: usize) -> Vec<u8> {
    format!("desk-answer:{account_id}:{position}").into_bytes()
}

/// The problems of a full set of questions: `online` (3) then `desk` (2), rows numbered as in
/// [`ChallengeError::Invalid`]; a wrong number of rows is `(0, NoQuestion)`.
pub(crate) fn question_problems(
    online: &[QuestionAnswer],
    desk: &[QuestionAnswer],
) -> Vec<(usize, ChallengeProblem)> {
    if online.len() != ONLINE_QUESTIONS || desk.len() != DESK_QUESTIONS {
        return vec![(0, ChallengeProblem::NoQuestion)];
    }
    let all: Vec<QuestionAnswer> = online.iter().chain(desk).cloned().collect();
    check_questions(&all)
}

/// Challenge phones as typed, checked and parsed (the first is the default), or the rows with
/// problems.
pub(crate) fn parse_challenge_phones(
    phones: &[(String, PhoneKind)],
) -> Result<Vec<ChallengePhone>, Vec<(usize, PhoneProblem)>> {
    let mut problems = Vec::new();
    let mut parsed: Vec<ChallengePhone> = Vec::new();
    for (i, (raw, kind)) in phones.iter().enumerate() {
        if i >= MAX_PHONES {
            problems.push((i, PhoneProblem::TooMany));
            continue;
        }
        match crate::phone::parse_phone(raw) {
            Ok(e) if parsed.iter().any(|p| p.e164 == e) => {
                problems.push((i, PhoneProblem::Duplicate));
            }
            Ok(e) => parsed.push(ChallengePhone {
                e164: e,
                kind: *kind,
            }),
            Err(_) => problems.push((i, PhoneProblem::Invalid)),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// Stores `phones` as the account's challenge phones, in order (the caller removes any
/// earlier ones).
pub(crate) async fn insert_challenge_phones(
    conn: &mut AnyConnection,
    account_id: &str,
    phones: &[ChallengePhone],
) -> Result<(), sqlx::Error> {
    for (i, p) in phones.iter().enumerate() {
        sqlx::query(
            "INSERT INTO challenge_phones (account_id, position, e164, kind) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(account_id)
        .bind(i as i64)
        .bind(&p.e164)
        .bind(kind_str(p.kind))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Checked questions of one account, ready to store: the online answers hashed, the
/// service-desk answers sealed for that account.
#[derive(Clone)]
pub(crate) struct SealedQuestions {
    /// (question id, argon2id hash of the normalized answer), in order.
    online: Vec<(String, String)>,
    /// (question id, sealed answer), in order.
    desk: Vec<(String, Vec<u8>)>,
}

impl SealedQuestions {
    /// Stores the rows for `account_id` (the one they were sealed for; the caller removes
    /// any earlier ones).
    pub(crate) async fn insert(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
    ) -> Result<(), sqlx::Error> {
        for (i, (q, h)) in self.online.iter().enumerate() {
            sqlx::query(
                "INSERT INTO challenge_answers (account_id, kind, position, question_id, \
                 answer_hash) VALUES ($1, 'online', $2, $3, $4)",
            )
            .bind(account_id)
            .bind(i as i64)
            .bind(q)
            .bind(h)
            .execute(&mut *conn)
            .await?;
        }
        for (i, (q, sealed)) in self.desk.iter().enumerate() {
            sqlx::query(
                "INSERT INTO challenge_answers (account_id, kind, position, question_id, \
                 answer_sealed) VALUES ($1, 'desk', $2, $3, $4)",
            )
            .bind(account_id)
            .bind(i as i64)
            .bind(q)
            .bind(sealed)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

impl Accounts {
    /// Hashes the online answers (normalized) and seals the service-desk answers for
    /// `account_id`; the rows must have passed [`question_problems`]. `None` if hashing
    /// failed.
    pub(crate) async fn seal_questions(
        &self,
        account_id: &str,
        online: &[QuestionAnswer],
        desk: &[QuestionAnswer],
    ) -> Option<SealedQuestions> {
        let mut hashed = Vec::with_capacity(online.len());
        for qa in online {
            let h = self.hasher.hash(normalize_answer(&qa.answer)).await?;
            hashed.push((qa.question_id.trim().to_owned(), h));
        }
        let sealed = desk
            .iter()
            .enumerate()
            .map(|(i, qa)| {
                (
                    qa.question_id.trim().to_owned(),
                    self.sealer
                        .seal(qa.answer.trim().as_bytes(), &seal_context(account_id, i)),
                )
            })
            .collect();
        Some(SealedQuestions {
            online: hashed,
            desk: sealed,
        })
    }

    /// Replaces the account's questions: `online` (3) then `desk` (2). Nothing changes unless
    /// all five rows are valid.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_challenge_questions(
        &self,
        account_id: &str,
        online: &[QuestionAnswer],
        desk: &[QuestionAnswer],
    ) -> Result<(), ChallengeError> {
        let problems = question_problems(online, desk);
        if !problems.is_empty() {
            return Err(ChallengeError::Invalid(problems));
        }
        let sealed = self
            .seal_questions(account_id, online, desk)
            .await
            .ok_or(ChallengeError::Hash)?;
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM challenge_answers WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sealed.insert(&mut tx, account_id).await?;
        sqlx::query("UPDATE accounts SET updated_at = $2 WHERE id = $1")
            .bind(account_id)
            .bind(self.clock.now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ids of the account's online questions, in order (empty when none are set).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn online_questions(&self, account_id: &str) -> Result<Vec<String>, ChallengeError> {
        self.question_ids(account_id, "online").await
    }

    /// Ids of the account's service-desk questions, in order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn desk_questions(&self, account_id: &str) -> Result<Vec<String>, ChallengeError> {
        self.question_ids(account_id, "desk").await
    }

    async fn question_ids(
        &self,
        account_id: &str,
        kind: &str,
    ) -> Result<Vec<String>, ChallengeError> {
        let rows = sqlx::query(
            "SELECT question_id FROM challenge_answers WHERE account_id = $1 AND kind = $2 \
             ORDER BY position",
        )
        .bind(account_id)
        .bind(kind)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("question_id"))
            .collect::<Result<_, _>>()?)
    }

    /// True when every given answer matches the account's online answer to that question.
    /// Every answer is checked (no early exit), so the timing does not tell which was wrong.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_online_answers(
        &self,
        account_id: &str,
        answers: &[QuestionAnswer],
    ) -> Result<bool, ChallengeError> {
        if answers.is_empty() {
            return Ok(false);
        }
        let rows = sqlx::query(
            "SELECT question_id, answer_hash FROM challenge_answers WHERE account_id = $1 \
             AND kind = 'online'",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut all = true;
        for qa in answers {
            let hash = rows.iter().find_map(|r| {
                let q: String = r.try_get("question_id").ok()?;
                (q == qa.question_id).then(|| r.try_get::<Option<String>, _>("answer_hash").ok())?
            });
            let ok = self
                .hasher
                .verify(normalize_answer(&qa.answer), hash.flatten())
                .await;
            all &= ok;
        }
        Ok(all)
    }

    /// The work of [`Accounts::verify_online_answers`] without an account: one dummy hash per
    /// answer, for a guess refused unchecked or an unknown login ID.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn dummy_online_answers(&self, answers: &[QuestionAnswer]) {
        for qa in answers {
            self.hasher.verify(normalize_answer(&qa.answer), None).await;
        }
    }

    /// The service-desk questions and their answers, in clear, for an agent verifying a
    /// caller. The caller must audit the reveal.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reveal_desk_answers(
        &self,
        account_id: &str,
    ) -> Result<Vec<QuestionAnswer>, ChallengeError> {
        let rows = sqlx::query(
            "SELECT position, question_id, answer_sealed FROM challenge_answers \
             WHERE account_id = $1 AND kind = 'desk' ORDER BY position",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let pos: i64 = r.try_get("position")?;
            let sealed: Vec<u8> = r.try_get("answer_sealed")?;
            let plain = self
                .sealer
                .open(
                    &sealed,
                    &seal_context(account_id, usize::try_from(pos).unwrap_or(0)),
                )
                .map_err(|_| ChallengeError::Hash)?;
            out.push(QuestionAnswer {
                question_id: r.try_get("question_id")?,
                answer: String::from_utf8_lossy(&plain).into_owned(),
            });
        }
        Ok(out)
    }

    /// Replaces the account's challenge phones (first is the default) and the "I do not
    /// have a direct number" flag. Each row is (number as typed, kind).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_challenge_phones(
        &self,
        account_id: &str,
        phones: &[(String, PhoneKind)],
        no_direct_number: bool,
    ) -> Result<Vec<ChallengePhone>, ChallengeError> {
        let parsed = parse_challenge_phones(phones).map_err(ChallengeError::Phones)?;
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM challenge_phones WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        insert_challenge_phones(&mut tx, account_id, &parsed).await?;
        sqlx::query("UPDATE accounts SET no_direct_number = $2, updated_at = $3 WHERE id = $1")
            .bind(account_id)
            .bind(i64::from(no_direct_number))
            .bind(self.clock.now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(parsed)
    }

    /// The account's challenge phones, default first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn challenge_phones(
        &self,
        account_id: &str,
    ) -> Result<Vec<ChallengePhone>, ChallengeError> {
        let rows = sqlx::query(
            "SELECT e164, kind FROM challenge_phones WHERE account_id = $1 ORDER BY position",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(ChallengePhone {
                    e164: r.try_get("e164")?,
                    kind: if kind == "landline" {
                        PhoneKind::Landline
                    } else {
                        PhoneKind::Mobile
                    },
                })
            })
            .collect()
    }
}

impl Accounts {
    /// Stores a confirmed TOTP secret (sealed), replacing any earlier one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_totp(&self, account_id: &str, secret: &[u8]) -> Result<(), ChallengeError> {
        let sealed = self.sealer.seal(secret, &totp_context(account_id));
        sqlx::query(
            "UPDATE accounts SET totp_secret = $2, totp_last_step = NULL, totp_enrolled_at = $3, \
             updated_at = $3 WHERE id = $1",
        )
        .bind(account_id)
        .bind(sealed)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Removes the account's TOTP secret.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove_totp(&self, account_id: &str) -> Result<(), ChallengeError> {
        sqlx::query(
            "UPDATE accounts SET totp_secret = NULL, totp_last_step = NULL, \
             totp_enrolled_at = NULL, updated_at = $2 WHERE id = $1",
        )
        .bind(account_id)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The account's TOTP secret and the last step used, when enrolled.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn totp(&self, account_id: &str) -> Result<Option<TotpSecret>, ChallengeError> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<Vec<u8>> = row.try_get("totp_secret")?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let secret = self
            .sealer
            .open(&sealed, &totp_context(account_id))
            .map_err(|_| ChallengeError::Hash)?;
        Ok(Some((secret, row.try_get("totp_last_step")?)))
    }

    /// Records that TOTP step `step` was used; false when it (or a later one) already was, so
    /// that one code never works twice, even on two nodes at once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn use_totp_step(&self, account_id: &str, step: i64) -> Result<bool, ChallengeError> {
        let r = sqlx::query(
            "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 \
             AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(account_id)
        .bind(step)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

fn totp_context(account_id: &str) -> Vec<u8> {
    format!("totp:{account_id}").into_bytes()
}

fn kind_str(k: PhoneKind) -> &'static str {
    match k {
        PhoneKind::Mobile => "mobile",
        PhoneKind::Landline => "landline",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qa(q: &str, a: &str) -> QuestionAnswer {
        QuestionAnswer {
            question_id: q.into(),
            answer: a.into(),
        }
    }

    #[test]
    fn no_question_twice_and_no_answer_twice() {
        let ids: Vec<&str> = crate::questions::QUESTIONS.iter().map(|q| q.id).collect();
        let ok = [
            qa(ids[0], "Rex"),
            qa(ids[1], "Sudbury"),
            qa(ids[2], "Blue"),
            qa(ids[3], "Maple"),
            qa(ids[4], "Smith"),
        ];
        assert!(check_questions(&ok).is_empty());
        let mut bad = ok.clone();
        bad[1].question_id = ids[0].into();
        bad[4].answer = "  rex ".into();
        bad[2].answer = "   ".into();
        bad[3].question_id = "no-such-question".into();
        assert_eq!(
            check_questions(&bad),
            vec![
                (1, ChallengeProblem::SameQuestion),
                (2, ChallengeProblem::NoAnswer),
                (3, ChallengeProblem::NoQuestion),
                (4, ChallengeProblem::SameAnswer),
            ]
        );
    }
}
