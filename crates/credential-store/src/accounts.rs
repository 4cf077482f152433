//! Account records: creation with a generated, unique, case-insensitive login ID, lookup and
//! search, profile changes, and password authentication with the same answer and timing for
//! an unknown login ID, a wrong password and a locked account.

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

/// Whether an account can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Can sign in.
    Active,
    /// Locked by the service desk or an administrator (until unlocked).
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

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
        }
    }
}

/// The rules an account lives by (configuration section `accounts`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPolicy {
    /// Domain of generated login IDs (`First.Last@DOMAIN`).
    #[serde(default = "d_domain")]
    pub login_domain: String,
    /// A password is valid this many days, then must be changed (0: never expires).
    #[serde(default = "d_max_age")]
    pub password_max_age_days: i64,
    /// How many of the latest passwords cannot be set again.
    #[serde(default = "d_history")]
    pub password_history: i64,
    /// Consecutive failures that lock the account.
    #[serde(default = "d_failures")]
    pub max_failures: i64,
    /// The first lockout's length, seconds; each further lockout in a row doubles it.
    #[serde(default = "d_lockout")]
    pub lockout_secs: i64,
    /// The longest lockout, seconds.
    #[serde(default = "d_lockout_max")]
    pub lockout_max_secs: i64,
}

fn d_domain() -> String {
    crate::login_id::DEFAULT_DOMAIN.to_owned()
}
fn d_max_age() -> i64 {
    365
}
fn d_history() -> i64 {
    5
}
fn d_failures() -> i64 {
    5
}
fn d_lockout() -> i64 {
    300
}
fn d_lockout_max() -> i64 {
    86_400
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            login_domain: d_domain(),
            password_max_age_days: d_max_age(),
            password_history: d_history(),
            max_failures: d_failures(),
            lockout_secs: d_lockout(),
            lockout_max_secs: d_lockout_max(),
        }
    }
}

impl AccountPolicy {
    /// Checks the values make sense; names the bad key.
    pub fn validate(&self) -> Result<(), String> {
        if self.login_domain.is_empty()
            || !self
                .login_domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err("accounts.login_domain must be a domain name, e.g. ONEID.ON.CA".into());
        }
        if self.password_max_age_days < 0 {
            return Err("accounts.password_max_age_days must be 0 (never) or more".into());
        }
        if !(0..=24).contains(&self.password_history) {
            return Err("accounts.password_history must be between 0 and 24".into());
        }
        if self.max_failures < 1 {
            return Err("accounts.max_failures must be at least 1".into());
        }
        if self.lockout_secs < 1 || self.lockout_max_secs < self.lockout_secs {
            return Err(
                "accounts.lockout_secs must be at least 1 and at most accounts.lockout_max_secs"
                    .into(),
            );
        }
        Ok(())
    }

    /// Length of the `n`th lockout in a row (n = 0 for the first).
    pub fn lockout_length(&self, n: i64) -> i64 {
        let factor = 1i64 << n.clamp(0, 30);
        self.lockout_secs
            .saturating_mul(factor)
            .min(self.lockout_max_secs)
    }
}

/// An account, without its credentials.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Stable opaque identifier, used as the OIDC `sub`.
    pub id: String,
    /// Login ID as displayed.
    pub login_id: String,
    /// Title (Dr., Mr., Ms., ...).
    pub title: Option<String>,
    /// Preferred first name.
    pub given_name: String,
    /// Preferred middle names.
    pub middle_name: Option<String>,
    /// Preferred last name.
    pub family_name: String,
    /// Legal first name.
    pub legal_given_name: Option<String>,
    /// Legal middle names (as a registry vouched for them).
    pub legal_middle_name: Option<String>,
    /// Legal last name.
    pub legal_family_name: Option<String>,
    /// Gender as recorded.
    pub gender: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
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
    /// "I do not have a direct number": step-up falls back to the online questions.
    pub no_direct_number: bool,
    /// Version of the agreement accepted, and when.
    pub agreement_version: Option<String>,
    /// When the agreement was accepted, unix seconds.
    pub agreement_accepted_at: Option<i64>,
    /// When the password was last set, unix seconds.
    pub password_changed_at: i64,
    /// The password was issued by someone else and must be changed at the next login.
    pub password_temporary: bool,
    /// Locked by too many failures until then, unix seconds.
    pub locked_until: Option<i64>,
    /// SSO sessions that began before this (unix seconds) are over.
    pub sessions_not_before: i64,
    /// When a TOTP authenticator was enrolled, if one is.
    pub totp_enrolled_at: Option<i64>,
    /// Created, unix seconds.
    pub created_at: i64,
    /// Last change, unix seconds.
    pub updated_at: i64,
}

impl Account {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            login_id: r.try_get("login_id")?,
            title: r.try_get("title")?,
            given_name: r.try_get("given_name")?,
            middle_name: r.try_get("middle_name")?,
            family_name: r.try_get("family_name")?,
            legal_given_name: r.try_get("legal_given_name")?,
            legal_middle_name: r.try_get("legal_middle_name")?,
            legal_family_name: r.try_get("legal_family_name")?,
            gender: r.try_get("gender")?,
            birth_date: r.try_get("birth_date")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            locale: r.try_get("locale")?,
            status: AccountStatus::parse(&r.try_get::<String, _>("status")?),
            assurance_level: r.try_get("assurance_level")?,
            no_direct_number: r.try_get::<i64, _>("no_direct_number")? != 0,
            agreement_version: r.try_get("agreement_version")?,
            agreement_accepted_at: r.try_get("agreement_accepted_at")?,
            password_changed_at: r.try_get("password_changed_at")?,
            password_temporary: r.try_get::<i64, _>("password_temporary")? != 0,
            locked_until: r.try_get("locked_until")?,
            sessions_not_before: r.try_get("sessions_not_before")?,
            totp_enrolled_at: r.try_get("totp_enrolled_at")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// Display name: preferred first and last names.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// Every name of the person (for the password rule against personal information).
    pub fn names(&self) -> Vec<&str> {
        [
            Some(self.given_name.as_str()),
            self.middle_name.as_deref(),
            Some(self.family_name.as_str()),
            self.legal_given_name.as_deref(),
            self.legal_middle_name.as_deref(),
            self.legal_family_name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The legal name in full: first, middle and last names, those that are known.
    pub fn legal_name(&self) -> String {
        [
            self.legal_given_name.as_deref(),
            self.legal_middle_name.as_deref(),
            self.legal_family_name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|n| !n.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// A regulatory college and the registration number it gave the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Designation {
    /// College (e.g. `CPSO`).
    pub college: String,
    /// Registration (licence) number.
    pub registration_number: String,
}

/// What is needed to create an account.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Login ID; `None` generates `First.Last@DOMAIN` from the preferred names.
    pub login_id: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Preferred first name.
    pub given_name: String,
    /// Preferred middle names.
    pub middle_name: Option<String>,
    /// Preferred last name.
    pub family_name: String,
    /// Legal first name (defaults to the preferred one).
    pub legal_given_name: Option<String>,
    /// Legal middle names (no default: only what an identity source vouched for).
    pub legal_middle_name: Option<String>,
    /// Legal last name (defaults to the preferred one).
    pub legal_family_name: Option<String>,
    /// Gender.
    pub gender: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// `en` | `fr` (empty: `en`).
    pub locale: String,
    /// Level of assurance, 1..=3 (0: 1).
    pub assurance_level: i64,
    /// Professional designations.
    pub designations: Vec<Designation>,
    /// Initial password (checked against the policy).
    pub password: String,
    /// Issued by someone else: must be changed at first login.
    pub temporary_password: bool,
    /// Agreement version accepted at registration.
    pub agreement_version: Option<String>,
    /// Online challenge questions: none, or exactly [`ONLINE_QUESTIONS`] (with the desk ones).
    ///
    /// [`ONLINE_QUESTIONS`]: crate::challenges::ONLINE_QUESTIONS
    pub online_questions: Vec<QuestionAnswer>,
    /// Service-desk challenge questions: none, or exactly [`DESK_QUESTIONS`] (with the
    /// online ones).
    ///
    /// [`DESK_QUESTIONS`]: crate::challenges::DESK_QUESTIONS
    pub desk_questions: Vec<QuestionAnswer>,
    /// Challenge phones as typed (first is the default), at most [`MAX_PHONES`].
    ///
    /// [`MAX_PHONES`]: crate::challenges::MAX_PHONES
    pub phones: Vec<(String, PhoneKind)>,
    /// "I do not have a direct number".
    pub no_direct_number: bool,
}

/// A new account checked, its id chosen and its secrets made safe to store (the password and
/// the online answers hashed, the service-desk answers sealed: nothing in clear), ready for
/// [`Accounts::insert_prepared`]. A generated login ID gets its number only when inserted.
#[derive(Clone)]
pub struct PreparedAccount {
    id: String,
    /// Login ID given, or the base generated from the names.
    base: String,
    /// `base` is the login ID (given), not a base for numbered candidates.
    fixed: bool,
    /// The login ID without a collision number.
    shown: String,
    title: Option<String>,
    given: String,
    middle: Option<String>,
    family: String,
    legal_given: String,
    legal_middle: Option<String>,
    legal_family: String,
    gender: Option<String>,
    birth_date: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    locale: String,
    level: i64,
    /// Normalized: college upper-case, number trimmed.
    designations: Vec<Designation>,
    password_hash: String,
    temporary_password: bool,
    agreement_version: Option<String>,
    questions: Option<SealedQuestions>,
    phones: Vec<ChallengePhone>,
    no_direct_number: bool,
}

impl std::fmt::Debug for PreparedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedAccount")
            .field("id", &self.id)
            .field("login_id_shown", &self.shown)
            .finish_non_exhaustive()
    }
}

impl PreparedAccount {
    /// The account id (OIDC subject) it will have.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The login ID as it will be without a collision number (a generated one may get a
    /// number when inserted).
    pub fn login_id_shown(&self) -> &str {
        &self.shown
    }
}

/// An account inserted by [`Accounts::insert_prepared`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Account id (OIDC subject).
    pub id: String,
    /// Login ID as displayed, with its collision number if it got one.
    pub login_id: String,
}

/// The person-editable part of an account (My Profile).
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// Title.
    pub title: Option<String>,
    /// Preferred first name.
    pub given_name: String,
    /// Preferred middle names.
    pub middle_name: Option<String>,
    /// Preferred last name.
    pub family_name: String,
    /// Email.
    pub email: Option<String>,
    /// Contact phone (any accepted format; stored as E.164).
    pub phone: Option<String>,
    /// `en` | `fr`.
    pub locale: String,
}

/// A field of an account form, to put a message beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Login ID.
    LoginId,
    /// Title.
    Title,
    /// Preferred first name.
    GivenName,
    /// Middle names.
    MiddleName,
    /// Preferred last name.
    FamilyName,
    /// Legal names.
    LegalName,
    /// Gender.
    Gender,
    /// Date of birth.
    BirthDate,
    /// Email.
    Email,
    /// Contact phone.
    Phone,
    /// Language.
    Locale,
    /// Level of assurance.
    AssuranceLevel,
    /// A professional designation.
    Designation,
}

impl Field {
    /// The form field name.
    pub fn name(self) -> &'static str {
        match self {
            Field::LoginId => "login_id",
            Field::Title => "title",
            Field::GivenName => "given_name",
            Field::MiddleName => "middle_name",
            Field::FamilyName => "family_name",
            Field::LegalName => "legal_name",
            Field::Gender => "gender",
            Field::BirthDate => "birth_date",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Locale => "locale",
            Field::AssuranceLevel => "assurance_level",
            Field::Designation => "designation",
        }
    }
}

/// Errors creating or changing accounts.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Another account has this login ID.
    #[error("the login ID is already taken")]
    LoginIdTaken,
    /// A registration number already belongs to another account.
    #[error("the registration number is already registered")]
    DesignationTaken,
    /// A field is not acceptable.
    #[error("invalid {}", .0.name())]
    Invalid(Field),
    /// The password breaks the policy.
    #[error("password policy: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Policy(Vec<PolicyViolation>),
    /// The password is one of the latest ones.
    #[error("the password was used recently")]
    Reused,
    /// Challenge-question rows with problems: (row index: 0..3 online, 3..5 service desk,
    /// problem), as [`crate::ChallengeError::Invalid`].
    #[error("invalid challenge questions")]
    Questions(Vec<(usize, ChallengeProblem)>),
    /// Challenge-phone rows with problems: (index in the list typed, problem).
    #[error("invalid challenge phones")]
    Phones(Vec<(usize, PhoneProblem)>),
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// No such account.
    #[error("no such account")]
    NotFound,
    /// The account is terminated, which is final.
    #[error("the account is terminated; that is final")]
    Terminated,
    /// A staff role was to be granted to an account with no second factor of its own.
    #[error(
        "the account has no second factor (an authenticator app or a challenge phone); \
         its holder sets one up before a staff role is granted"
    )]
    NoSecondFactor,
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

/// Why a sign-in was refused. The person sees the same message for every variant but `Db`;
/// the audit trail tells them apart.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No account has this login ID.
    #[error("unknown login ID")]
    UnknownLoginId,
    /// Wrong password; `locked_now` when this failure locked the account.
    #[error("wrong password")]
    WrongPassword {
        /// The account.
        account_id: String,
        /// This failure reached the limit and locked the account.
        locked_now: bool,
    },
    /// Locked by too many failures (whatever the password).
    #[error("account locked after failures")]
    LockedOut {
        /// The account.
        account_id: String,
    },
    /// The password was right but the account cannot sign in.
    #[error("account is {0:?}")]
    Unavailable(AccountStatus),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AuthError {
    /// A short name for the audit trail.
    pub fn audit_detail(&self) -> String {
        match self {
            AuthError::UnknownLoginId => "unknown_login_id".into(),
            AuthError::WrongPassword {
                locked_now: true, ..
            } => "wrong_password_locked".into(),
            AuthError::WrongPassword { .. } => "wrong_password".into(),
            AuthError::LockedOut { .. } => "locked_out".into(),
            AuthError::Unavailable(s) => format!("account_{}", s.as_str()),
            AuthError::Db(_) => "error".into(),
        }
    }

    /// The account concerned, when known.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            AuthError::WrongPassword { account_id, .. } | AuthError::LockedOut { account_id } => {
                Some(account_id)
            }
            _ => None,
        }
    }
}

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

/// The account repository.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) hasher: PasswordHasher,
    pub(crate) sealer: SecretBox,
    policy: AccountPolicy,
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

/// Inserts the `accounts` row of `p` with `login_id`.
async fn insert_account_row(
    conn: &mut AnyConnection,
    p: &PreparedAccount,
    login_id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO accounts (id, login_id, login_id_lower, title, given_name, \
         middle_name, family_name, legal_given_name, legal_family_name, gender, \
         birth_date, email, phone, locale, status, assurance_level, password_hash, \
         password_changed_at, password_temporary, agreement_version, \
         agreement_accepted_at, no_direct_number, created_at, updated_at, legal_middle_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', \
         $15, $16, $17, $18, $19, $20, $21, $17, $17, $22)",
    )
    .bind(&p.id)
    .bind(login_id)
    .bind(normalize_login_id(login_id))
    .bind(p.title.as_deref())
    .bind(&p.given)
    .bind(p.middle.as_deref())
    .bind(&p.family)
    .bind(&p.legal_given)
    .bind(&p.legal_family)
    .bind(p.gender.as_deref())
    .bind(p.birth_date.as_deref())
    .bind(p.email.as_deref())
    .bind(p.phone.as_deref())
    .bind(&p.locale)
    .bind(p.level)
    .bind(&p.password_hash)
    .bind(now)
    .bind(i64::from(p.temporary_password))
    .bind(p.agreement_version.as_deref())
    .bind(p.agreement_version.as_ref().map(|_| now))
    .bind(i64::from(p.no_direct_number))
    .bind(p.legal_middle.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts the rows that belong to the new account `p`: designations, password history,
/// challenge questions and phones.
async fn insert_account_rest(
    conn: &mut AnyConnection,
    p: &PreparedAccount,
    now: i64,
) -> Result<(), DbError> {
    for d in &p.designations {
        sqlx::query(
            "INSERT INTO professional_designations \
             (account_id, college, registration_number, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&p.id)
        .bind(&d.college)
        .bind(&d.registration_number)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO password_history (account_id, password_hash, created_at) \
         VALUES ($1, $2, $3)",
    )
    .bind(&p.id)
    .bind(&p.password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if let Some(q) = &p.questions {
        q.insert(conn, &p.id).await?;
    }
    insert_challenge_phones(conn, &p.id, &p.phones).await?;
    Ok(())
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

    /// Creates an account after checking its fields and password (and its challenge
    /// questions and phones, if any). Without a login ID one is generated from the preferred
    /// names, and the next free number is taken if it is in use (also when two registrations
    /// race for the same name).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create(&self, new: NewAccount) -> Result<Account, CredentialError> {
        let p = self.prepare(new).await?;
        let mut tx = self.db.pool().begin().await?;
        let created = self.insert_prepared(&mut tx, &p).await?;
        tx.commit().await?;
        self.find_by_id(&created.id)
            .await?
            .ok_or(CredentialError::NotFound)
    }

    /// Everything [`Accounts::create`] does before storing anything: checks every field, the
    /// login ID's shape, the password against the policy, the challenge questions (none, or
    /// all five) and phones; hashes the password and the online answers (off the async
    /// threads), seals the service-desk answers and chooses the account id. Touches no
    /// database.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn prepare(&self, new: NewAccount) -> Result<PreparedAccount, CredentialError> {
        let given = clean(&new.given_name);
        let family = clean(&new.family_name);
        check_name(&given, Field::GivenName, true)?;
        check_name(&family, Field::FamilyName, true)?;
        let middle = opt(&new.middle_name);
        check_name(middle.as_deref().unwrap_or(""), Field::MiddleName, false)?;
        let title = opt(&new.title);
        check_name(title.as_deref().unwrap_or(""), Field::Title, false)?;
        let legal_given = opt(&new.legal_given_name).unwrap_or_else(|| given.clone());
        let legal_family = opt(&new.legal_family_name).unwrap_or_else(|| family.clone());
        check_name(&legal_given, Field::LegalName, true)?;
        check_name(&legal_family, Field::LegalName, true)?;
        let legal_middle = opt(&new.legal_middle_name);
        check_name(
            legal_middle.as_deref().unwrap_or(""),
            Field::LegalName,
            false,
        )?;
        let gender = opt(&new.gender);
        check_name(gender.as_deref().unwrap_or(""), Field::Gender, false)?;
        let birth_date = opt(&new.birth_date);
        if birth_date.as_deref().is_some_and(|d| !valid_birth_date(d)) {
            return Err(CredentialError::Invalid(Field::BirthDate));
        }
        let email = opt(&new.email);
        if email.as_deref().is_some_and(|e| !valid_email(e)) {
            return Err(CredentialError::Invalid(Field::Email));
        }
        let phone = match opt(&new.phone) {
            Some(p) => Some(
                crate::phone::parse_phone(&p)
                    .map_err(|_| CredentialError::Invalid(Field::Phone))?,
            ),
            None => None,
        };
        let locale = if new.locale.is_empty() {
            "en".to_owned()
        } else {
            new.locale.clone()
        };
        if !matches!(locale.as_str(), "en" | "fr") {
            return Err(CredentialError::Invalid(Field::Locale));
        }
        let level = if new.assurance_level == 0 {
            1
        } else {
            new.assurance_level
        };
        if !(1..=3).contains(&level) {
            return Err(CredentialError::Invalid(Field::AssuranceLevel));
        }
        let mut colleges = std::collections::HashSet::new();
        let mut designations = Vec::with_capacity(new.designations.len());
        for d in &new.designations {
            let ok = !d.college.trim().is_empty()
                && d.college.len() <= 32
                && !d.registration_number.trim().is_empty()
                && d.registration_number.len() <= 32
                && d.registration_number
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && colleges.insert(d.college.trim().to_uppercase());
            if !ok {
                return Err(CredentialError::Invalid(Field::Designation));
            }
            designations.push(Designation {
                college: d.college.trim().to_uppercase(),
                registration_number: d.registration_number.trim().to_owned(),
            });
        }
        let (base, fixed) = match new.login_id.as_deref().map(str::trim) {
            Some(l) => {
                if l.is_empty()
                    || l.len() > 128
                    || !l.is_ascii()
                    || l.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(CredentialError::Invalid(Field::LoginId));
                }
                (l.to_owned(), true)
            }
            None => (
                login_id_base(&given, &family).ok_or(CredentialError::Invalid(Field::GivenName))?,
                false,
            ),
        };
        // The password rule against personal information uses the login ID the person will
        // get; a number appended after a collision does not matter to it.
        let shown = if fixed {
            base.clone()
        } else {
            login_id_candidate(&base, 1, &self.policy.login_domain)
        };
        let names = [
            given.as_str(),
            middle.as_deref().unwrap_or(""),
            family.as_str(),
            legal_given.as_str(),
            legal_middle.as_deref().unwrap_or(""),
            legal_family.as_str(),
        ];
        let broken = self.check_policy(&new.password, &shown, &names);
        if !broken.is_empty() {
            return Err(CredentialError::Policy(broken));
        }
        let with_questions = !(new.online_questions.is_empty() && new.desk_questions.is_empty());
        if with_questions {
            let problems = question_problems(&new.online_questions, &new.desk_questions);
            if !problems.is_empty() {
                return Err(CredentialError::Questions(problems));
            }
        }
        let phones = parse_challenge_phones(&new.phones).map_err(CredentialError::Phones)?;
        let id = platform::crypto::random_token(16);
        let (hash, questions) = tokio::join!(self.hasher.hash(new.password), async {
            if with_questions {
                self.seal_questions(&id, &new.online_questions, &new.desk_questions)
                    .await
                    .map(Some)
            } else {
                Some(None)
            }
        });
        Ok(PreparedAccount {
            base,
            fixed,
            shown,
            title,
            given,
            middle,
            family,
            legal_given,
            legal_middle,
            legal_family,
            gender,
            birth_date,
            email,
            phone,
            locale,
            level,
            designations,
            password_hash: hash.ok_or(CredentialError::Hash)?,
            temporary_password: new.temporary_password,
            agreement_version: new.agreement_version,
            questions: questions.ok_or(CredentialError::Hash)?,
            phones,
            no_direct_number: new.no_direct_number,
            id,
        })
    }

    /// Stores a prepared account in the caller's transaction `tx`: the account, its
    /// designations, password history, challenge questions and phones. A generated login ID
    /// takes the next free number when its candidate is in use, up to 16 times; each attempt
    /// runs in a savepoint, so whatever fails here leaves `tx` as it was and usable (on
    /// PostgreSQL too). Nothing is visible to others until the caller commits.
    ///
    /// Errors: `LoginIdTaken` (a given login ID in use, or no free number found),
    /// `DesignationTaken` (a registration number belongs to another account), `Db`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_prepared(
        &self,
        tx: &mut Transaction<'static, Any>,
        p: &PreparedAccount,
    ) -> Result<Created, CredentialError> {
        let now = self.clock.now();
        let mut last = 0u32;
        for _attempt in 0..16 {
            let login_id = if p.fixed {
                p.base.clone()
            } else {
                // Never the same number twice: the lookup may not see a row that made the
                // last attempt fail (one inserted earlier in this transaction, when the
                // lookup runs on the pool; or not yet committed by another).
                let n = self.next_free_number(tx, &p.base).await?.max(last + 1);
                last = n;
                login_id_candidate(&p.base, n, &self.policy.login_domain)
            };
            let mut sp = tx.begin().await?;
            match insert_account_row(&mut sp, p, &login_id, now).await {
                Ok(()) => {}
                Err(e) if e.is_unique_violation() => {
                    sp.rollback().await?;
                    if p.fixed {
                        return Err(CredentialError::LoginIdTaken);
                    }
                    continue; // someone took this number meanwhile: the next one
                }
                Err(e) => {
                    let _ = sp.rollback().await;
                    return Err(e.into());
                }
            }
            match insert_account_rest(&mut sp, p, now).await {
                Ok(()) => {}
                Err(e) if e.is_unique_violation() => {
                    // Only the designations' primary key can clash: the account is new.
                    sp.rollback().await?;
                    return Err(CredentialError::DesignationTaken);
                }
                Err(e) => {
                    let _ = sp.rollback().await;
                    return Err(e.into());
                }
            }
            sp.commit().await?;
            return Ok(Created {
                id: p.id.clone(),
                login_id,
            });
        }
        Err(CredentialError::LoginIdTaken)
    }

    /// The smallest number `n` such that the `n`th candidate for `base` is free (1: no
    /// number).
    ///
    /// On PostgreSQL it reads in `tx` (it sees the transaction's own rows, and a registration
    /// does not hold a second connection of the pool while its transaction is open). On
    /// SQLite it reads on the pool: a read before the transaction's first write would pin a
    /// snapshot that cannot become a write transaction once another writer commits, and a
    /// WAL reader never waits for the writer.
    async fn next_free_number(
        &self,
        tx: &mut AnyConnection,
        base: &str,
    ) -> Result<u32, CredentialError> {
        let domain = self.policy.login_domain.to_lowercase();
        let prefix = base.to_lowercase();
        let q = sqlx::query("SELECT login_id_lower FROM accounts WHERE login_id_lower LIKE $1")
            .bind(format!("{prefix}%@{domain}"));
        let rows = match self.db.kind() {
            DbKind::Postgres => q.fetch_all(tx).await?,
            DbKind::Sqlite => q.fetch_all(self.db.pool()).await?,
        };
        let mut taken = std::collections::HashSet::new();
        for r in rows {
            let l: String = r.try_get("login_id_lower")?;
            let Some(mid) = l
                .strip_prefix(&prefix)
                .and_then(|m| m.strip_suffix(&format!("@{domain}")))
            else {
                continue;
            };
            if mid.is_empty() {
                taken.insert(1u32);
            } else if mid.bytes().all(|b| b.is_ascii_digit()) && !mid.starts_with('0') {
                if let Ok(n) = mid.parse::<u32>() {
                    taken.insert(n);
                }
            }
        }
        Ok((1u32..).find(|n| !taken.contains(n)).unwrap_or(1))
    }

    /// The account with this id (OIDC subject).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_by_id(&self, id: &str) -> Result<Option<Account>, CredentialError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
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
        let q = clean(query).to_lowercase();
        if q.is_empty() || q.len() > 128 {
            return Ok(Vec::new());
        }
        let like = format!("%{}%", q.replace(['\\', '%', '_'], ""));
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE login_id_lower = $3 \
             OR LOWER(given_name) LIKE $2 OR LOWER(family_name) LIKE $2 \
             OR LOWER(given_name || ' ' || family_name) LIKE $2 \
             OR LOWER(legal_given_name || ' ' || legal_family_name) LIKE $2 \
             OR id IN (SELECT account_id FROM professional_designations \
                       WHERE LOWER(registration_number) = $1) \
             ORDER BY family_name, given_name LIMIT 25"
        ))
        .bind(&q)
        .bind(&like)
        .bind(normalize_login_id(query))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(Account::from_row)
            .collect::<Result<_, _>>()?)
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

    /// Checks a login ID and password. The attempt is taken before the password is checked
    /// ([`Accounts::take_attempt`]), so a burst of parallel guesses checks at most
    /// `max_failures` of them. An unknown login ID, a locked account and a guess past the limit
    /// are verified against a dummy hash (never the real one) with the same store calls, so
    /// the answer and its work are the same for all of them; `max_failures` consecutive
    /// failures lock the account for a period that doubles with each lockout in a row. A right
    /// password for an account locked by then does not sign in.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate(&self, login_id: &str, password: &str) -> Result<SignIn, AuthError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM accounts WHERE login_id_lower = $1"
        ))
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
        let given = clean(&u.given_name);
        let family = clean(&u.family_name);
        check_name(&given, Field::GivenName, true)?;
        check_name(&family, Field::FamilyName, true)?;
        let middle = opt(&u.middle_name);
        check_name(middle.as_deref().unwrap_or(""), Field::MiddleName, false)?;
        let title = opt(&u.title);
        check_name(title.as_deref().unwrap_or(""), Field::Title, false)?;
        let email = opt(&u.email);
        if email.as_deref().is_some_and(|e| !valid_email(e)) {
            return Err(CredentialError::Invalid(Field::Email));
        }
        let phone = match opt(&u.phone) {
            Some(p) => Some(
                crate::phone::parse_phone(&p)
                    .map_err(|_| CredentialError::Invalid(Field::Phone))?,
            ),
            None => None,
        };
        if !matches!(u.locale.as_str(), "en" | "fr") {
            return Err(CredentialError::Invalid(Field::Locale));
        }
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

    /// Grants `role` (e.g. `administrator`) to an account; `by` is who granted it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grant_role(
        &self,
        account_id: &str,
        role: &str,
        by: &str,
    ) -> Result<(), CredentialError> {
        self.grant_scoped_role(account_id, role, "", by)
            .await
            .map(|_| ())
    }

    /// Grants `role` limited to `scope` (e.g. the `lra` role of one organization; `""`:
    /// everywhere). Returns false when the account already held it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grant_scoped_role(
        &self,
        account_id: &str,
        role: &str,
        scope: &str,
        by: &str,
    ) -> Result<bool, CredentialError> {
        // A staff role is never held without a second factor its holder set up: a password
        // alone (which the service desk could have reset) never opens a console.
        if is_staff_role(role) && !self.has_second_factor(account_id).await? {
            return Err(CredentialError::NoSecondFactor);
        }
        let r = sqlx::query(
            "INSERT INTO account_roles (account_id, role, scope, granted_at, granted_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(role)
        .bind(scope)
        .bind(self.clock.now())
        .bind(by)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.is_unique_violation() => Ok(false), // already held
            Err(e) => Err(e.into()),
        }
    }

    /// Takes `role` in `scope` away. Returns false when the account did not hold it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_role(
        &self,
        account_id: &str,
        role: &str,
        scope: &str,
    ) -> Result<bool, CredentialError> {
        let r = sqlx::query(
            "DELETE FROM account_roles WHERE account_id = $1 AND role = $2 AND scope = $3",
        )
        .bind(account_id)
        .bind(role)
        .bind(scope)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Every role the account holds with its scope (`""`: everywhere), by role.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn roles(&self, account_id: &str) -> Result<Vec<(String, String)>, CredentialError> {
        let rows = sqlx::query(
            "SELECT role, scope FROM account_roles WHERE account_id = $1 ORDER BY role, scope",
        )
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("role")?, r.try_get("scope")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| DbError::from(e).into())
    }

    /// True if the account holds `role`.
    #[tracing::instrument(level = "debug", skip_all)]
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

impl Accounts {
    /// True if the account holds a staff role (administrator, service desk or LRA, in any
    /// scope): the service desk does not act on it, and its second factors change only
    /// after a step-up with one it already has.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn is_staff(&self, account_id: &str) -> Result<bool, CredentialError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM account_roles WHERE account_id = $1 \
             AND role IN ($2, $3, $4)",
        )
        .bind(account_id)
        .bind(STAFF_ROLES[0])
        .bind(STAFF_ROLES[1])
        .bind(STAFF_ROLES[2])
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.is_some())
    }

    /// True if the account has a second factor of its own that step-up uses: an
    /// authenticator app, or a challenge phone (unless it says it has no direct number).
    /// Challenge questions do not count.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn has_second_factor(&self, account_id: &str) -> Result<bool, CredentialError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM accounts a WHERE a.id = $1 AND (a.totp_enrolled_at IS NOT NULL \
             OR (a.no_direct_number = 0 AND EXISTS \
             (SELECT 1 FROM challenge_phones c WHERE c.account_id = a.id)))",
        )
        .bind(account_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.is_some())
    }
}

/// The roles that make an account staff: administrator, service desk, local registration
/// authority.
pub const STAFF_ROLES: [&str; 3] = ["administrator", "service_desk", "lra"];

/// True for a staff role (see [`STAFF_ROLES`]).
pub fn is_staff_role(role: &str) -> bool {
    STAFF_ROLES.contains(&role)
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
