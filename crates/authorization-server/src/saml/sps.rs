//! The service-provider registry: each SP as read from its metadata (entityID, assertion
//! consumer and logout endpoints, signing and encryption certificates, NameID format,
//! whether it signs its requests) plus what the administrator decides (display name,
//! attributes released, the service it belongs to, IdP-initiated SSO, signed responses,
//! encrypted assertions, multi-factor). Lookups are cached briefly per node, like clients.

use super::xml::{children, parse, text_of, MD, METADATA_LIMITS};
use super::{attributes, nameid};
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

fn check_url(u: &str, what: &str) -> Result<(), SpError> {
    crate::clients::validate_logout_uri(u)
        .map_err(|_| SpError::Invalid(format!("{what} {u:?} must be an absolute https URL (http only on loopback), without a fragment")))
}

/// Parses SP metadata into a registration (before the administrator's choices).
pub fn from_metadata(xml: &str) -> Result<ServiceProvider, SpError> {
    let bad = |m: &str| SpError::Invalid(format!("metadata: {m}"));
    let doc = parse(xml, METADATA_LIMITS).map_err(|e| bad(&e.to_string()))?;
    let root = doc.root_element();
    let ed = if root.has_tag_name((MD, "EntityDescriptor")) {
        root
    } else if root.has_tag_name((MD, "EntitiesDescriptor")) {
        let mut eds = children(root, MD, "EntityDescriptor");
        let first = eds.next().ok_or_else(|| bad("no EntityDescriptor"))?;
        if eds.next().is_some() {
            return Err(bad("register one service provider at a time"));
        }
        first
    } else {
        return Err(bad("the root must be an md:EntityDescriptor"));
    };
    let entity_id = ed
        .attribute("entityID")
        .map(str::trim)
        .filter(|e| !e.is_empty() && e.len() <= 1024)
        .ok_or_else(|| bad("entityID is missing"))?
        .to_owned();
    let mut sps = children(ed, MD, "SPSSODescriptor");
    let sp = sps.next().ok_or_else(|| bad("no SPSSODescriptor"))?;
    if sps.next().is_some() {
        return Err(bad("more than one SPSSODescriptor"));
    }
    let protocols = sp.attribute("protocolSupportEnumeration").unwrap_or("");
    if !protocols.split_whitespace().any(|p| p == super::xml::SAMLP) {
        return Err(bad("the SP does not support SAML 2.0"));
    }
    let mut acs = Vec::new();
    for (i, a) in children(sp, MD, "AssertionConsumerService").enumerate() {
        let binding = a.attribute("Binding").unwrap_or("").to_owned();
        let location = a.attribute("Location").unwrap_or("").trim().to_owned();
        if binding != POST {
            continue; // the IdP answers with HTTP-POST only
        }
        check_url(&location, "AssertionConsumerService")?;
        let index = match a.attribute("index") {
            Some(x) => x.parse().map_err(|_| bad("an ACS index is not a number"))?,
            None => i as u32,
        };
        acs.push(Acs {
            binding,
            location,
            index,
            is_default: a.attribute("isDefault") == Some("true"),
        });
    }
    if acs.is_empty() {
        return Err(bad(
            "no AssertionConsumerService with the HTTP-POST binding",
        ));
    }
    let mut slo = Vec::new();
    for s in children(sp, MD, "SingleLogoutService") {
        let binding = s.attribute("Binding").unwrap_or("").to_owned();
        if binding != POST && binding != REDIRECT {
            continue;
        }
        let location = s.attribute("Location").unwrap_or("").trim().to_owned();
        check_url(&location, "SingleLogoutService")?;
        let response_location = s.attribute("ResponseLocation").map(|r| r.trim().to_owned());
        if let Some(r) = &response_location {
            check_url(r, "SingleLogoutService ResponseLocation")?;
        }
        slo.push(Slo {
            binding,
            location,
            response_location,
        });
    }
    let mut signing_certs = Vec::new();
    let mut encryption_cert = None;
    for kd in children(sp, MD, "KeyDescriptor") {
        let cert = kd
            .descendants()
            .find(|n| n.is_element() && n.has_tag_name((super::xml::DS, "X509Certificate")))
            .map(text_of);
        let Some(cert) = cert else { continue };
        let cert: String = cert.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let x = cert_from_b64(&cert).map_err(|m| bad(&m))?;
        if x.public_key().map(|k| k.rsa().is_ok()).unwrap_or(false) {
            match kd.attribute("use") {
                Some("signing") => signing_certs.push(cert),
                Some("encryption") => encryption_cert = encryption_cert.or(Some(cert)),
                _ => {
                    signing_certs.push(cert.clone());
                    encryption_cert = encryption_cert.or(Some(cert));
                }
            }
        } else {
            return Err(bad("only RSA certificates are supported"));
        }
    }
    let nameid_format = children(sp, MD, "NameIDFormat")
        .map(text_of)
        .find(|f| nameid::SUPPORTED.contains(&f.as_str()))
        .unwrap_or_else(|| nameid::PERSISTENT.to_owned());
    const MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
    let name = ed
        .descendants()
        .find(|n| {
            n.is_element()
                && (n.has_tag_name((MDUI, "DisplayName")) || n.has_tag_name((MD, "ServiceName")))
        })
        .map(text_of)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect())
        .unwrap_or_else(|| entity_id.clone());
    // Attributes the SP asks for, when it says (and they are ones the IdP has).
    let requested: Vec<String> = sp
        .descendants()
        .filter(|n| n.is_element() && n.has_tag_name((MD, "RequestedAttribute")))
        .filter_map(|n| attributes::by_name(n.attribute("Name").unwrap_or("")))
        .map(|a| a.short.to_owned())
        .collect();
    Ok(ServiceProvider {
        entity_id,
        name,
        acs,
        slo,
        signing_certs,
        encryption_cert,
        nameid_format,
        attributes: if requested.is_empty() {
            attributes::DEFAULT_RELEASE
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            requested
        },
        service_id: None,
        allow_idp_initiated: false,
        sign_response: false,
        encrypt_assertions: false,
        want_signed_requests: sp.attribute("AuthnRequestsSigned") == Some("true"),
        require_mfa: false,
    })
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
                       encrypt_assertions, want_signed_requests, require_mfa";

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

    /// Registers an SP from its metadata and the administrator's choices.
    pub async fn add(&self, n: NewSp) -> Result<ServiceProvider, SpError> {
        let mut sp = from_metadata(&n.metadata)?;
        if let Some(name) = n.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            sp.name = name.chars().take(200).collect();
        }
        if let Some(f) = n.nameid_format {
            if !nameid::SUPPORTED.contains(&f.as_str()) {
                return Err(SpError::Invalid(format!(
                    "unsupported NameID format {f:?} (supported: {})",
                    nameid::SUPPORTED.join(", ")
                )));
            }
            sp.nameid_format = f;
        }
        if let Some(a) = n.attributes {
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
        if n.encrypt_assertions && sp.encryption_cert.is_none() {
            return Err(SpError::Invalid(
                "encrypted assertions need an encryption certificate in the metadata".into(),
            ));
        }
        if let Some(sv) = &n.service_id {
            let found = sqlx::query("SELECT id FROM services WHERE id = $1")
                .bind(sv)
                .fetch_optional(self.db.pool())
                .await?;
            if found.is_none() {
                return Err(SpError::Invalid(format!("no such service {sv:?}")));
            }
        }
        sp.service_id = n.service_id;
        sp.allow_idp_initiated = n.allow_idp_initiated;
        sp.sign_response = n.sign_response;
        sp.encrypt_assertions = n.encrypt_assertions;
        sp.require_mfa = n.require_mfa;
        let now = self.clock.now();
        let r = sqlx::query(&format!(
            "INSERT INTO saml_sps ({COLUMNS}, created_at, updated_at) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)"
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

    /// An SP by entityID (cached for a few seconds).
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
    pub async fn list(&self) -> Result<Vec<ServiceProvider>, SpError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM saml_sps ORDER BY entity_id"
        ))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Removes an SP (and its persistent NameIDs); false when there was none.
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

/// Reads metadata from an http(s) URL (at most the metadata size limit, 10 seconds).
pub async fn fetch_metadata(url: &str) -> Result<String, SpError> {
    let u = url::Url::parse(url).map_err(|_| SpError::Invalid(format!("{url:?} is not a URL")))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err(SpError::Invalid("metadata URLs must be http(s)".into()));
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| SpError::Invalid(format!("cannot fetch metadata: {e}")))?;
    let mut r = client
        .get(u)
        .send()
        .await
        .map_err(|e| SpError::Invalid(format!("cannot fetch metadata: {e}")))?;
    if !r.status().is_success() {
        return Err(SpError::Invalid(format!(
            "cannot fetch metadata: HTTP {}",
            r.status().as_u16()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r
        .chunk()
        .await
        .map_err(|e| SpError::Invalid(format!("cannot fetch metadata: {e}")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > METADATA_LIMITS.max_bytes {
            return Err(SpError::Invalid("the metadata is too large".into()));
        }
    }
    String::from_utf8(body).map_err(|_| SpError::Invalid("the metadata is not UTF-8".into()))
}
