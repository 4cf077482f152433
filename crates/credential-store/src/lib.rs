//! Accounts and their credentials: login IDs (case-insensitive), argon2id password hashes
//! checked off the async threads, and the account records the provider reads claims from;
//! and the rules for what people choose, without a database: the password policy, login IDs
//! made from names, challenge questions and their answers, phone numbers.

mod accounts;
pub mod answers;
pub mod challenges;
#[cfg(test)]
mod db_tests;
pub mod login_id;
pub mod passkeys;
mod password;
pub mod phone;
pub mod policy;
pub mod questions;
pub mod reset;
pub mod staff;

pub use accounts::hot_statements;
pub use accounts::{
    is_staff_role, name_prefix_condition, temporary_password, valid_birth_date, valid_email,
    Account, AccountList, AccountOrder, AccountPage, AccountPolicy, AccountStatus, Accounts,
    Attempt, AuthError, Created, CredentialError, Designation, Field, Guess, NewAccount,
    PreparedAccount, ProfileUpdate, SignIn, STAFF_ROLES, STALE_ATTEMPT_SECS,
};
pub use answers::normalize_answer;
pub use challenges::{
    check_questions, ChallengeError, ChallengePhone, ChallengeProblem, PhoneProblem,
    QuestionAnswer, DESK_QUESTIONS, MAX_PHONES, ONLINE_QUESTIONS,
};
pub use login_id::{
    login_id_base, login_id_candidate, normalize_login_id, transliterate, DEFAULT_DOMAIN,
};
pub use passkeys::{
    passkey_name, AddPasskeyError, NewPasskey, PasskeyNameError, PasskeyUse, StoredPasskey,
    MAX_PASSKEYS, PASSKEY_NAME_MAX,
};
pub use password::{HashCounts, HasherError, PasswordHasher, PasswordParams};
pub use phone::{display_phone, parse_phone, PhoneError, PhoneKind};
pub use policy::{
    check_password, check_password_policy, common_passwords, is_common, Personal, PolicyViolation,
};
pub use questions::{question, Question, QUESTIONS};
