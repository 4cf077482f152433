//! The service-provider registry: each SP as read from its metadata (entityID, assertion
//! consumer and logout endpoints, signing and encryption certificates, NameID format,
//! whether it signs its requests) plus what the administrator decides (display name,
//! attributes released, the service it belongs to, IdP-initiated SSO, signed responses,
//! encrypted assertions, multi-factor). Lookups are cached briefly per node, like clients.
//! The metadata itself is read in `sp_metadata`.

mod admin;

pub use super::sp_metadata::{fetch_metadata, from_metadata};
use super::{attributes, nameid};
pub use admin::{modify, register, summary, unregister};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use openssl::pkey::{PKey, Public};
use openssl::x509::X509;
use platform::{Db, DbError, SharedClock};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The HTTP-POST binding.
pub const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The HTTP-Redirect binding.
pub const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// An assertion consumer service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acs {
    /// Binding URI (only HTTP-POST is used).
    pub binding: String,
    /// Exact URL.
    pub location: String,
    /// Index.
    pub index: u32,
    /// Marked the default.
    #[serde(default)]
    pub is_default: bool,
}

/// A single logout service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slo {
    /// Binding URI.
    pub binding: String,
    /// Where requests go.
    pub location: String,
    /// Where responses go, when not `location`.
    #[serde(default)]
    pub response_location: Option<String>,
}

/// A registered service provider.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceProvider {
    /// entityID.
    pub entity_id: String,
    /// Display name (login page, gate page).
    pub name: String,
    /// Assertion consumer services.
    pub acs: Vec<Acs>,
    /// Single logout services.
    pub slo: Vec<Slo>,
    /// Signing certificates, base64 DER.
    pub signing_certs: Vec<String>,
    /// Encryption certificate, base64 DER.
    pub encryption_cert: Option<String>,
    /// NameID format used when the request does not ask for one.
    pub nameid_format: String,
    /// Attributes released (names from `attributes::CATALOG`).
    pub attributes: Vec<String>,
    /// The service whose enrolment the gate checks.
    pub service_id: Option<String>,
    /// May receive assertions it did not ask for.
    pub allow_idp_initiated: bool,
    /// The Response is signed too (the Assertion always is).
    pub sign_response: bool,
    /// Assertions are encrypted to `encryption_cert`.
    pub encrypt_assertions: bool,
    /// Unsigned AuthnRequests are refused.
    pub want_signed_requests: bool,
    /// Every sign-in is stepped up (multi-factor).
    pub require_mfa: bool,
    /// Every sign-in must use a passkey (phishing-resistant); implies `require_mfa`.
    pub require_phishing_resistant: bool,
}

impl ServiceProvider {
    /// The public keys of its signing certificates.
    pub fn signing_keys(&self) -> Vec<PKey<Public>> {
        self.signing_certs
            .iter()
            .filter_map(|c| cert_from_b64(c).ok())
            .filter_map(|c| c.public_key().ok())
            .collect()
    }

    /// The ACS for a request: the URL asked for (exactly as registered, POST binding), the
    /// index asked for, or the default.
    pub fn acs_for(&self, url: Option<&str>, index: Option<u32>) -> Option<&Acs> {
        let post = self.acs.iter().filter(|a| a.binding == POST);
        match (url, index) {
            (Some(u), _) => post.clone().find(|a| a.location == u),
            (None, Some(i)) => post.clone().find(|a| a.index == i),
            (None, None) => self.default_acs(),
        }
    }

    /// The default POST ACS: the one marked default, else the lowest index.
    pub fn default_acs(&self) -> Option<&Acs> {
        let post = || self.acs.iter().filter(|a| a.binding == POST);
        post()
            .find(|a| a.is_default)
            .or_else(|| post().min_by_key(|a| a.index))
    }

    /// Where logout messages to it go: Redirect preferred, else POST.
    pub fn slo_endpoint(&self) -> Option<&Slo> {
        self.slo
            .iter()
            .find(|s| s.binding == REDIRECT)
            .or_else(|| self.slo.iter().find(|s| s.binding == POST))
    }
}

/// Reads a base64 DER certificate.
pub fn cert_from_b64(b64: &str) -> Result<X509, String> {
    let clean: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD
        .decode(clean)
        .map_err(|_| "a certificate is not base64".to_owned())?;
    X509::from_der(&der).map_err(|_| "a certificate is not a DER X.509 certificate".to_owned())
}

/// What registering an SP takes: its metadata, then the administrator's choices.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSp {
    /// The SP's metadata (an `EntityDescriptor` with an `SPSSODescriptor`).
    pub metadata: String,
    /// Display name (default: the metadata's, else the entityID).
    #[serde(default)]
    pub name: Option<String>,
    /// Service the gate checks.
    #[serde(default)]
    pub service_id: Option<String>,
    /// Attributes released (default: `attributes::DEFAULT_RELEASE`).
    #[serde(default)]
    pub attributes: Option<Vec<String>>,
    /// NameID format (default: the metadata's first supported, else persistent).
    #[serde(default)]
    pub nameid_format: Option<String>,
    /// Allow IdP-initiated SSO.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Sign the Response as well as the Assertion.
    #[serde(default)]
    pub sign_response: bool,
    /// Encrypt assertions (needs an encryption certificate in the metadata).
    #[serde(default)]
    pub encrypt_assertions: bool,
    /// Step up every sign-in.
    #[serde(default)]
    pub require_mfa: bool,
    /// Require a passkey (phishing-resistant sign-in) at every sign-in; implies `require_mfa`.
    #[serde(default)]
    pub require_phishing_resistant: bool,
}

/// The administrator's choices on an update; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct SpChoices {
    /// Display name.
    pub name: Option<String>,
    /// The service the gate checks; `Some(None)`: none any more.
    pub service_id: Option<Option<String>>,
    /// Attributes released.
    pub attributes: Option<Vec<String>>,
    /// NameID format.
    pub nameid_format: Option<String>,
    /// Allow IdP-initiated SSO.
    pub allow_idp_initiated: Option<bool>,
    /// Sign the Response as well as the Assertion.
    pub sign_response: Option<bool>,
    /// Encrypt assertions.
    pub encrypt_assertions: Option<bool>,
    /// Step up every sign-in.
    pub require_mfa: Option<bool>,
    /// Require a passkey (phishing-resistant sign-in) at every sign-in.
    pub require_phishing_resistant: Option<bool>,
}

/// An update of a registered SP: its fresh metadata, new choices, or both.
#[derive(Debug, Clone, Default)]
pub struct SpUpdate {
    /// The SP's metadata as it is now (same entityID); its keys, endpoints and whether it
    /// signs its requests replace the registered ones.
    pub metadata: Option<String>,
    /// The administrator's choices.
    pub choices: SpChoices,
}

/// Registry errors.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    /// Bad metadata or choice; the text says what.
    #[error("{0}")]
    Invalid(String),
    /// The entityID is registered already.
    #[error("a service provider with this entityID already exists")]
    Exists,
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for SpError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e.into())
    }
}

type Cache = HashMap<String, (i64, Option<Arc<ServiceProvider>>)>;

/// The registry.
#[derive(Debug, Clone)]
pub struct SpStore {
    db: Db,
    clock: SharedClock,
    cache_secs: i64,
    cache: Arc<RwLock<Cache>>,
}

const COLUMNS: &str = "entity_id, name, acs, slo, signing_certs, encryption_cert, nameid_format, \
                       attributes, service_id, allow_idp_initiated, sign_response, \
                       encrypt_assertions, want_signed_requests, require_mfa, \
                       require_phishing_resistant";

fn json_col<T: serde::de::DeserializeOwned>(r: &sqlx::any::AnyRow, c: &str) -> Result<T, SpError> {
    let s: String = r.try_get(c)?;
    serde_json::from_str(&s).map_err(|e| SpError::Invalid(format!("stored {c} unreadable: {e}")))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<ServiceProvider, SpError> {
    let flag = |c: &str| -> Result<bool, SpError> { Ok(r.try_get::<i64, _>(c)? != 0) };
    Ok(ServiceProvider {
        entity_id: r.try_get("entity_id")?,
        name: r.try_get("name")?,
        acs: json_col(r, "acs")?,
        slo: json_col(r, "slo")?,
        signing_certs: json_col(r, "signing_certs")?,
        encryption_cert: r.try_get("encryption_cert")?,
        nameid_format: r.try_get("nameid_format")?,
        attributes: json_col(r, "attributes")?,
        service_id: r.try_get("service_id")?,
        allow_idp_initiated: flag("allow_idp_initiated")?,
        sign_response: flag("sign_response")?,
        encrypt_assertions: flag("encrypt_assertions")?,
        want_signed_requests: flag("want_signed_requests")?,
        require_mfa: flag("require_mfa")?,
        require_phishing_resistant: flag("require_phishing_resistant")?,
    })
}

impl SpStore {
    /// A registry in `db`, caching lookups for `cache_secs` (0: no cache).
    pub fn new(db: Db, clock: SharedClock, cache_secs: i64) -> Self {
        Self {
            db,
            clock,
            cache_secs,
            cache: Arc::default(),
        }
    }

    fn forget(&self, entity_id: &str) {
        if let Ok(mut c) = self.cache.write() {
            c.remove(entity_id);
        }
    }

    /// Applies the administrator's choices to a registration, checking each.
    async fn choose(&self, sp: &mut ServiceProvider, c: SpChoices) -> Result<(), SpError> {
        if let Some(name) = c.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            sp.name = name.chars().take(200).collect();
        }
        if let Some(f) = c.nameid_format {
            if !nameid::SUPPORTED.contains(&f.as_str()) {
                return Err(SpError::Invalid(format!(
                    "unsupported NameID format {f:?} (supported: {})",
                    nameid::SUPPORTED.join(", ")
                )));
            }
            sp.nameid_format = f;
        }
        if let Some(a) = c.attributes {
            for x in &a {
                if attributes::by_name(x).is_none() {
                    return Err(SpError::Invalid(format!(
                        "unknown attribute {x:?} (known: {})",
                        attributes::CATALOG
                            .iter()
                            .map(|c| c.short)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            sp.attributes = a
                .iter()
                .filter_map(|x| attributes::by_name(x))
                .map(|c| c.short.to_owned())
                .collect();
        }
        if let Some(service) = c.service_id {
            if let Some(sv) = &service {
                let found = sqlx::query("SELECT id FROM services WHERE id = $1")
                    .bind(sv)
                    .fetch_optional(self.db.pool())
                    .await?;
                if found.is_none() {
                    return Err(SpError::Invalid(format!("no such service {sv:?}")));
                }
            }
            sp.service_id = service;
        }
        let set = |slot: &mut bool, v: Option<bool>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut sp.allow_idp_initiated, c.allow_idp_initiated);
        set(&mut sp.sign_response, c.sign_response);
        set(&mut sp.encrypt_assertions, c.encrypt_assertions);
        set(&mut sp.require_mfa, c.require_mfa);
        set(
            &mut sp.require_phishing_resistant,
            c.require_phishing_resistant,
        );
        if sp.service_id.is_none() {
            return Err(SpError::Invalid(
                "a service provider belongs to a service (people get in only when enrolled \
                 there): name its service"
                    .into(),
            ));
        }
        if sp.encrypt_assertions && sp.encryption_cert.is_none() {
            return Err(SpError::Invalid(
                "encrypted assertions need an encryption certificate in the metadata".into(),
            ));
        }
        Ok(())
    }

    /// Registers an SP from its metadata and the administrator's choices.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add(&self, n: NewSp) -> Result<ServiceProvider, SpError> {
        let mut sp = from_metadata(&n.metadata)?;
        let choices = SpChoices {
            name: n.name,
            service_id: Some(n.service_id),
            attributes: n.attributes,
            nameid_format: n.nameid_format,
            allow_idp_initiated: Some(n.allow_idp_initiated),
            sign_response: Some(n.sign_response),
            encrypt_assertions: Some(n.encrypt_assertions),
            require_mfa: Some(n.require_mfa),
            require_phishing_resistant: Some(n.require_phishing_resistant),
        };
        self.choose(&mut sp, choices).await?;
        let now = self.clock.now();
        let r = sqlx::query(&format!(
            "INSERT INTO saml_sps ({COLUMNS}, created_at, updated_at) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)"
        ))
        .bind(&sp.entity_id)
        .bind(&sp.name)
        .bind(json(&sp.acs))
        .bind(json(&sp.slo))
        .bind(json(&sp.signing_certs))
        .bind(&sp.encryption_cert)
        .bind(&sp.nameid_format)
        .bind(json(&sp.attributes))
        .bind(&sp.service_id)
        .bind(i64::from(sp.allow_idp_initiated))
        .bind(i64::from(sp.sign_response))
        .bind(i64::from(sp.encrypt_assertions))
        .bind(i64::from(sp.want_signed_requests))
        .bind(i64::from(sp.require_mfa))
        .bind(i64::from(sp.require_phishing_resistant))
        .bind(now)
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => {}
            Err(e) => {
                let e = DbError::from(e);
                if e.is_unique_violation() {
                    return Err(SpError::Exists);
                }
                return Err(SpError::Db(e));
            }
        }
        self.forget(&sp.entity_id);
        Ok(sp)
    }

    /// Updates a registration in place: fresh metadata (new keys or endpoints; the
    /// administrator's choices stay) and/or new choices. The persistent NameIDs the SP gave
    /// out are untouched. `None` when there is no such SP.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn update(
        &self,
        entity_id: &str,
        u: SpUpdate,
    ) -> Result<Option<ServiceProvider>, SpError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saml_sps WHERE entity_id = $1"
        ))
        .bind(entity_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(current) = row.as_ref().map(from_row).transpose()? else {
            return Ok(None);
        };
        let mut sp = match &u.metadata {
            Some(m) => {
                let fresh = from_metadata(m)?;
                if fresh.entity_id != current.entity_id {
                    return Err(SpError::Invalid(format!(
                        "the metadata is for {:?}, not {:?}",
                        fresh.entity_id, current.entity_id
                    )));
                }
                ServiceProvider {
                    acs: fresh.acs,
                    slo: fresh.slo,
                    signing_certs: fresh.signing_certs,
                    encryption_cert: fresh.encryption_cert,
                    want_signed_requests: fresh.want_signed_requests,
                    ..current
                }
            }
            None => current,
        };
        self.choose(&mut sp, u.choices).await?;
        sqlx::query(
            "UPDATE saml_sps SET name = $2, acs = $3, slo = $4, signing_certs = $5, \
             encryption_cert = $6, nameid_format = $7, attributes = $8, service_id = $9, \
             allow_idp_initiated = $10, sign_response = $11, encrypt_assertions = $12, \
             want_signed_requests = $13, require_mfa = $14, updated_at = $15, \
             require_phishing_resistant = $16 \
             WHERE entity_id = $1",
        )
        .bind(&sp.entity_id)
        .bind(&sp.name)
        .bind(json(&sp.acs))
        .bind(json(&sp.slo))
        .bind(json(&sp.signing_certs))
        .bind(&sp.encryption_cert)
        .bind(&sp.nameid_format)
        .bind(json(&sp.attributes))
        .bind(&sp.service_id)
        .bind(i64::from(sp.allow_idp_initiated))
        .bind(i64::from(sp.sign_response))
        .bind(i64::from(sp.encrypt_assertions))
        .bind(i64::from(sp.want_signed_requests))
        .bind(i64::from(sp.require_mfa))
        .bind(self.clock.now())
        .bind(i64::from(sp.require_phishing_resistant))
        .execute(self.db.pool())
        .await?;
        self.forget(&sp.entity_id);
        Ok(Some(sp))
    }

    /// An SP by entityID (cached for a few seconds).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get(&self, entity_id: &str) -> Result<Option<Arc<ServiceProvider>>, SpError> {
        let now = self.clock.now();
        if self.cache_secs > 0 {
            if let Some((at, v)) = self
                .cache
                .read()
                .ok()
                .and_then(|c| c.get(entity_id).cloned())
            {
                if now - at < self.cache_secs {
                    return Ok(v);
                }
            }
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saml_sps WHERE entity_id = $1"
        ))
        .bind(entity_id)
        .fetch_optional(self.db.pool())
        .await?;
        let sp = row.as_ref().map(from_row).transpose()?.map(Arc::new);
        if self.cache_secs > 0 {
            if let Ok(mut c) = self.cache.write() {
                if c.len() > 10_000 {
                    c.clear();
                }
                c.insert(entity_id.to_owned(), (now, sp.clone()));
            }
        }
        Ok(sp)
    }

    /// Every SP, by entityID.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self) -> Result<Vec<ServiceProvider>, SpError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saml_sps ORDER BY entity_id"
        ))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Removes an SP (and its persistent NameIDs); false when there was none.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove(&self, entity_id: &str) -> Result<bool, SpError> {
        let r = sqlx::query("DELETE FROM saml_sps WHERE entity_id = $1")
            .bind(entity_id)
            .execute(self.db.pool())
            .await?;
        sqlx::query("DELETE FROM saml_persistent_ids WHERE entity_id = $1")
            .bind(entity_id)
            .execute(self.db.pool())
            .await?;
        self.forget(entity_id);
        Ok(r.rows_affected() > 0)
    }

    /// The persistent NameID of an account at an SP, made (random) on first use.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn persistent_id(
        &self,
        account_id: &str,
        entity_id: &str,
    ) -> Result<String, SpError> {
        let fresh = platform::crypto::random_token(24);
        sqlx::query(
            "INSERT INTO saml_persistent_ids (account_id, entity_id, name_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, entity_id) DO NOTHING",
        )
        .bind(account_id)
        .bind(entity_id)
        .bind(&fresh)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        let row = sqlx::query(
            "SELECT name_id FROM saml_persistent_ids WHERE account_id = $1 AND entity_id = $2",
        )
        .bind(account_id)
        .bind(entity_id)
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get("name_id")?)
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
