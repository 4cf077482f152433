//! What an account is: its status, the account policy, the record and its designations, a new
//! account and a prepared one, a profile change, and the errors of account operations.

use super::*;

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
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
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
