//! Who an LRA registers: a person's identity (legal names, date of birth, preferred names
//! and contact details) and its checks, the two kinds of registration and their outcome, and
//! the rule that registrations of one person run one at a time.

use super::{Evidence, LraError};
use credential_store::{CredentialError, Designation, NewAccount};
use platform::ephemeral::EphemeralStore;

/// Runs `work`, a registration of `identity`, alone: registrations of one person (legal
/// names and date of birth) run one at a time, on every node and across organizations, kept
/// apart by a short-lived key in `store`. A double click, or two LRAs (of one organization or
/// two) at once, make one account, the second finding the first's. Waits up to 10 s for a
/// registration in progress.
pub async fn one_at_a_time<T>(
    store: &dyn EphemeralStore,
    identity: &Identity,
    work: impl std::future::Future<Output = Result<T, LraError>>,
) -> Result<T, LraError> {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let who = format!(
        "{}|{}|{}",
        norm(&identity.legal_given_name),
        norm(&identity.legal_family_name),
        identity.birth_date.trim()
    );
    let key = format!(
        "lra-register:{}",
        platform::crypto::sha256_b64(who.as_bytes())
    );
    for _ in 0..100 {
        if store.put_if_absent(&key, b"1", 30).await? {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let outcome = work.await;
    let _ = store.delete(&key).await;
    outcome
}

/// The minimum mandatory identity of a person (legal names and date of birth), the preferred
/// names and contact details.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// Legal first name (mandatory).
    pub legal_given_name: String,
    /// Legal last name (mandatory).
    pub legal_family_name: String,
    /// Preferred first name (empty: the legal one).
    pub given_name: String,
    /// Preferred middle names.
    pub middle_name: Option<String>,
    /// Preferred last name (empty: the legal one).
    pub family_name: String,
    /// Date of birth, `YYYY-MM-DD` (mandatory).
    pub birth_date: String,
    /// Email.
    pub email: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// `en` | `fr`.
    pub locale: String,
    /// A professional designation (college + registration number), if any.
    pub designation: Option<Designation>,
}

impl Identity {
    pub(super) fn check(&self) -> Result<(), LraError> {
        match self.problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Everything wrong with the identity typed, in the form's order: missing legal names
    /// or date of birth, a date of birth that is not a past date, an email or phone number
    /// that is not one (so that a form names every problem on the first submit).
    pub fn problems(&self) -> Vec<LraError> {
        let mut out = Vec::new();
        for (v, name) in [
            (&self.legal_given_name, "legal_given_name"),
            (&self.legal_family_name, "legal_family_name"),
            (&self.birth_date, "birth_date"),
        ] {
            if v.trim().is_empty() {
                out.push(LraError::Missing(name));
            }
        }
        let invalid = |f| LraError::Account(CredentialError::Invalid(f));
        if !self.birth_date.trim().is_empty()
            && !credential_store::valid_birth_date(self.birth_date.trim())
        {
            out.push(invalid(credential_store::Field::BirthDate));
        }
        fn given(o: &Option<String>) -> Option<&str> {
            o.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        if given(&self.email).is_some_and(|e| !credential_store::valid_email(e)) {
            out.push(invalid(credential_store::Field::Email));
        }
        if given(&self.phone).is_some_and(|ph| credential_store::parse_phone(ph).is_err()) {
            out.push(invalid(credential_store::Field::Phone));
        }
        out
    }

    pub(super) fn account(&self, level: i64, password: String) -> NewAccount {
        let or = |preferred: &str, legal: &str| {
            if preferred.trim().is_empty() {
                legal.trim().to_owned()
            } else {
                preferred.to_owned()
            }
        };
        NewAccount {
            given_name: or(&self.given_name, &self.legal_given_name),
            middle_name: self.middle_name.clone(),
            family_name: or(&self.family_name, &self.legal_family_name),
            legal_given_name: Some(self.legal_given_name.clone()),
            legal_family_name: Some(self.legal_family_name.clone()),
            birth_date: Some(self.birth_date.trim().to_owned()),
            email: self.email.clone(),
            phone: self.phone.clone(),
            locale: self.locale.clone(),
            assurance_level: level,
            designations: self.designation.clone().into_iter().collect(),
            password,
            temporary_password: true,
            ..NewAccount::default()
        }
    }
}

/// A person to register on identity documents.
#[derive(Debug, Clone, Default)]
pub struct PersonRegistration {
    /// Who.
    pub identity: Identity,
    /// What the LRA saw.
    pub evidence: Evidence,
    /// The level asked for, 1..=3.
    pub level: i64,
}

/// An affiliate to register on a registering organization's managed process (004 §6.5.6).
#[derive(Debug, Clone, Default)]
pub struct AffiliateRegistration {
    /// Who.
    pub identity: Identity,
    /// The organization's unique identifier of the person (e.g. employee number).
    pub member_id: String,
    /// What the LRA confirmed of the affiliation (004 §6.5.6, §6.5.7).
    pub affiliation: super::affiliation::Affiliation,
}

/// A temporary password, shown once. Never printed by `Debug`.
#[derive(Clone)]
pub struct TemporaryPassword(pub(super) String);

impl TemporaryPassword {
    /// The password, to show the LRA once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TemporaryPassword(..)")
    }
}

/// The outcome of a registration.
#[derive(Debug, Clone)]
pub enum Registered {
    /// A new account.
    Created {
        /// Its id.
        account_id: String,
        /// Its login ID.
        login_id: String,
        /// Its temporary password (must be changed at the first sign-in).
        temporary_password: TemporaryPassword,
        /// Its level of assurance.
        level: i64,
    },
    /// The person already had an account: no second one. The organization sponsors it now.
    Existing {
        /// Its id.
        account_id: String,
        /// Its login ID.
        login_id: String,
    },
}
