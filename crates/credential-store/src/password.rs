//! argon2id hashing on the blocking pool behind a semaphore, so a flood of logins cannot
//! starve the async workers, and the password rules of the source documents.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// argon2id cost parameters (OWASP minimum by default: 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with `params`, running at most one hash per core at a time.
    pub fn new(params: PasswordParams) -> Result<Self, argon2::Error> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let salt = SaltString::encode_b64(&platform::crypto::random_bytes(16))
            .map_err(|_| argon2::Error::SaltTooShort)?;
        // Verifying against this hash for unknown login IDs costs what a real check costs.
        let dummy = argon
            .hash_password(platform::crypto::random_token(24).as_bytes(), &salt)
            .map_err(|_| argon2::Error::AlgorithmInvalid)?
            .to_string();
        Ok(Self {
            argon,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::new(dummy),
        })
    }

    /// Hashes `password` (PHC string).
    pub async fn hash(&self, password: String) -> Option<String> {
        let _permit = self.permits.acquire().await.ok()?;
        let argon = self.argon.clone();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::encode_b64(&platform::crypto::random_bytes(16)).ok()?;
            argon
                .hash_password(password.as_bytes(), &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .await
        .ok()
        .flatten()
    }

    /// Verifies `password` against `hash`; with `None` it verifies against a dummy hash and
    /// returns false, taking the same time as a real check.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let argon = self.argon.clone();
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        tokio::task::spawn_blocking(move || {
            let ok = PasswordHash::new(&hash)
                .map(|h| argon.verify_password(password.as_bytes(), &h).is_ok())
                .unwrap_or(false);
            ok && real
        })
        .await
        .unwrap_or(false)
    }
}

/// A password rule that was not met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// Fewer than 8 characters.
    #[error("the password must have at least 8 characters")]
    TooShort,
    /// More than 256 characters.
    #[error("the password must have at most 256 characters")]
    TooLong,
    /// No lower-case letter.
    #[error("the password must contain a lower-case letter")]
    NoLower,
    /// No upper-case letter.
    #[error("the password must contain an upper-case letter")]
    NoUpper,
    /// No digit.
    #[error("the password must contain a digit")]
    NoDigit,
}

/// The password rules of the source documents: at least 8 characters with a lower-case letter,
/// an upper-case letter and a digit; ours: at most 256 characters. Returns every rule broken.
pub fn check_password_policy(password: &str) -> Vec<PolicyViolation> {
    let mut v = Vec::new();
    let n = password.chars().count();
    if n < 8 {
        v.push(PolicyViolation::TooShort);
    }
    if n > 256 {
        v.push(PolicyViolation::TooLong);
    }
    if !password.chars().any(char::is_lowercase) {
        v.push(PolicyViolation::NoLower);
    }
    if !password.chars().any(char::is_uppercase) {
        v.push(PolicyViolation::NoUpper);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        v.push(PolicyViolation::NoDigit);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let h = fast();
        let hash = h.hash("Correct-Horse-9".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("Correct-Horse-9".into(), Some(hash.clone())).await);
        assert!(!h.verify("Correct-Horse-8".into(), Some(hash)).await);
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!fast().verify("anything".into(), None).await);
    }

    #[test]
    fn policy_names_each_broken_rule() {
        assert_eq!(check_password_policy("Abcdefg1"), vec![]);
        assert_eq!(
            check_password_policy("abc"),
            vec![
                PolicyViolation::TooShort,
                PolicyViolation::NoUpper,
                PolicyViolation::NoDigit
            ]
        );
        assert!(check_password_policy(&"Aa1".repeat(100)).contains(&PolicyViolation::TooLong));
    }
}
