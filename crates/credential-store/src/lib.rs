//! Accounts and their credentials: login IDs (case-insensitive), argon2id password hashes
//! checked off the async threads, and the account records the provider reads claims from.

mod accounts;
mod password;

pub use accounts::{Account, AccountStatus, Accounts, AuthError, CredentialError, NewAccount};
pub use password::{
    check_password_policy, HasherError, PasswordHasher, PasswordParams, PolicyViolation,
};
