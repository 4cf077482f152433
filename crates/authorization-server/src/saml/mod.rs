//! The SAML 2.0 identity provider's core: its configuration and keys, the service-provider
//! registry (`sps`, `sp_metadata`), the requested authentication context on the acr ladder
//! (`context`), reading and writing the messages (`request`, `response`), the XML underneath
//! (`xml`, `c14n`, `dsig`, `encrypt`), the IdP's signing keys (`keys`), its metadata
//! (`metadata`) and the attributes it can release (`attributes`). The endpoints are in
//! `idp-web`.

#[cfg(test)]
mod fuzz;

pub mod attributes;
pub mod c14n;
pub mod context;
pub mod dsig;
pub mod encrypt;
pub mod keys;
pub mod metadata;
pub mod request;
pub mod response;
pub mod sp_metadata;
pub mod sps;
pub mod xml;

use crate::Provider;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};

pub use keys::SamlKeys;
pub use sps::{NewSp, ServiceProvider, SpChoices, SpError, SpStore, SpUpdate};

/// NameID formats.
pub mod nameid {
    /// Persistent, pairwise, opaque.
    pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    /// Transient: new at every sign-in.
    pub const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
    /// The account's email address.
    pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    /// The login ID.
    pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
    /// All of them.
    pub const SUPPORTED: &[&str] = &[PERSISTENT, TRANSIENT, EMAIL, UNSPECIFIED];
}

/// `[saml]` configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamlConfig {
    /// The IdP's entityID; empty: `<issuer>/saml/metadata`.
    pub entity_id: String,
    /// How long an assertion may be used, seconds.
    pub assertion_ttl_secs: i64,
    /// How old a request's IssueInstant may be, seconds (its ID is remembered this long
    /// against replay).
    pub request_max_age_secs: i64,
    /// How far ahead of this node's clock a request's IssueInstant may be, seconds.
    pub clock_skew_secs: i64,
    /// Cache-Control max-age of the metadata, seconds.
    pub metadata_max_age_secs: i64,
    /// Size of generated signing keys: 2048 or 3072.
    pub rsa_bits: u32,
}

impl Default for SamlConfig {
    fn default() -> Self {
        Self {
            entity_id: String::new(),
            assertion_ttl_secs: 300,
            request_max_age_secs: 300,
            clock_skew_secs: 60,
            metadata_max_age_secs: 3600,
            rsa_bits: 2048,
        }
    }
}

impl SamlConfig {
    /// Checks the values, naming the bad key.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.rsa_bits, 2048 | 3072) {
            return Err("saml.rsa_bits: must be 2048 or 3072".into());
        }
        if !(30..=3600).contains(&self.assertion_ttl_secs) {
            return Err("saml.assertion_ttl_secs: must be 30 to 3600".into());
        }
        if !(30..=3600).contains(&self.request_max_age_secs) {
            return Err("saml.request_max_age_secs: must be 30 to 3600".into());
        }
        if !(0..=600).contains(&self.clock_skew_secs) {
            return Err("saml.clock_skew_secs: must be 0 to 600".into());
        }
        if self.metadata_max_age_secs < 0 {
            return Err("saml.metadata_max_age_secs: must not be negative".into());
        }
        if !self.entity_id.is_empty() && self.entity_id.len() > 1024 {
            return Err("saml.entity_id: at most 1024 characters".into());
        }
        Ok(())
    }
}

/// A service provider that received an assertion in an SSO session (for logout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Its entityID.
    pub entity_id: String,
    /// The NameID it was given.
    pub name_id: String,
    /// That NameID's format.
    pub format: String,
    /// The SessionIndex it was given.
    pub session_index: String,
}

/// The IdP's state.
#[derive(Debug)]
pub struct SamlIdp {
    /// Configuration.
    pub cfg: SamlConfig,
    /// Signing keys (none until the binary loads them: SAML answers 503 meanwhile).
    pub keys: Option<Arc<SamlKeys>>,
    /// Service providers.
    pub sps: SpStore,
    metadata: RwLock<Option<(String, bytes::Bytes)>>,
}

impl SamlIdp {
    /// An IdP without keys yet.
    pub fn new(cfg: SamlConfig, sps: SpStore) -> Self {
        Self {
            cfg,
            keys: None,
            sps,
            metadata: RwLock::new(None),
        }
    }

    /// The active signing key.
    pub fn signing_key(&self) -> Option<Arc<dsig::SigningKey>> {
        self.keys.as_ref().and_then(|k| k.active())
    }
}

impl Provider {
    /// Serves SAML with this configuration and these signing keys (already loaded).
    pub fn with_saml(mut self, cfg: SamlConfig, keys: Arc<SamlKeys>) -> Self {
        self.saml.cfg = cfg;
        self.saml.keys = Some(keys);
        self
    }

    /// The IdP's entityID.
    pub fn saml_entity_id(&self) -> String {
        if self.saml.cfg.entity_id.is_empty() {
            format!("{}/saml/metadata", self.cfg.issuer)
        } else {
            self.saml.cfg.entity_id.clone()
        }
    }
}
