//! The relying-party registry: clients, their exact redirect URIs, allowed grants and scopes,
//! and client authentication. Secrets are high-entropy and stored as SHA-256 digests, compared
//! in constant time; a slow password hash would buy nothing for a random secret.
//!
//! Lookups are cached per node for a few seconds (`cache_secs`), so the token and
//! introspection endpoints do not read the database on every call; a change made on this node
//! is seen at once, one made elsewhere (another node, the CLI) within `cache_secs`.

use platform::crypto::{ct_eq, sha256_b64};
use platform::{Db, DbError, SharedClock};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::keys::SigAlg;

mod credentials;
mod register;
mod uris;

use registration::admin::{record, Actor, AdminError};
pub use uris::{validate_logout_uri, validate_redirect_uri};

/// Most entries the per-node client cache holds (unknown ids are cached too).
const CACHE_MAX: usize = 10_000;

/// Grant types a client may use.
pub const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    crate::oidc::device::GRANT_TYPE,
];
/// Why a client that signs people in cannot be left outside every service.
const NEEDS_SERVICE: &str = "a relying party that signs people in belongs to a service \
     (people get in only when enrolled there): name its service";
/// Scopes the provider knows.
/// `clinician` releases what a clinical application needs to know of a clinician: their
/// professional designations and level of assurance (the same facts SAML assertions carry).
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "clinician",
    "offline_access",
];

/// The signing algorithms the FAPI 2.0 Security Profile allows (§5.4.1): its clients' tokens,
/// client assertions and DPoP proofs use only these.
pub const FAPI2_ALGS: [&str; 3] = ["PS256", "ES256", "EdDSA"];

/// How long a FAPI 2.0 client's authorization code lives at most, seconds (§5.3.2.1).
pub const FAPI2_CODE_SECS: i64 = 60;

/// The scope that, registered for a confidential client, lets it introspect any client's
/// tokens (a resource server); without it a client introspects only its own.
pub const INTROSPECT_ANY_SCOPE: &str = "oneid:introspect";

/// A registered relying party.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// Client identifier.
    pub client_id: String,
    /// Display name, shown on the login page.
    pub name: String,
    /// `None` for a public client.
    #[serde(skip)]
    pub secret_hash: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed grant types.
    pub grant_types: Vec<String>,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// ID token signing algorithm.
    pub id_token_alg: SigAlg,
    /// Access token signing algorithm.
    pub access_token_alg: SigAlg,
    /// Every sign-in for this client is stepped up (multi-factor).
    pub require_mfa: bool,
    /// Every sign-in for this client must use a passkey (phishing-resistant); implies
    /// `require_mfa`.
    pub require_phishing_resistant: bool,
    /// A third-party app: the person consents to what it asks before a code (remembered;
    /// taken back in My Profile). Province viewers are not: they are pre-authorized.
    #[serde(default)]
    pub third_party: bool,
    /// Its authorization requests must be pushed first (RFC 9126).
    pub require_par: bool,
    /// It must prove a DPoP key at the token endpoint, so its tokens are bound (RFC 9449).
    pub require_dpop: bool,
    /// It is held to the FAPI 2.0 Security Profile (see [`FAPI2_ALGS`] and the README).
    pub fapi2: bool,
    /// Its authorization requests must be signed request objects (RFC 9101).
    pub require_signed_request_object: bool,
    /// Its public keys for `private_key_jwt` (a JWK set, as registered).
    pub jwks: Option<String>,
    /// `jwks` parsed, once, when the registration is read (not on every assertion).
    #[serde(skip)]
    pub keys: Vec<josekit::jwk::Jwk>,
    /// Where its public keys for `private_key_jwt` are published.
    pub jwks_uri: Option<String>,
    /// Where logout tokens are posted when a session it took part in ends (Back-Channel
    /// Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
    /// What the logged-out page loads in a hidden iframe (Front-Channel Logout 1.0).
    pub frontchannel_logout_uri: Option<String>,
    /// The service it belongs to: a person gets a code or token for it only when enrolled
    /// there at the service's level. Every client that signs people in has one (`None`: a
    /// client acting for itself only, `client_credentials`).
    pub service_id: Option<String>,
    /// The sector of its pairwise subjects (`None`: its subject type is `public`); see
    /// [`crate::subjects`].
    pub sector: Option<String>,
    /// The document that put it in its sector, when one did.
    pub sector_identifier_uri: Option<String>,
    /// Its mutual-TLS authentication method (RFC 8705): `tls_client_auth` or
    /// `self_signed_tls_client_auth`; `None`: it authenticates otherwise.
    pub tls_client_auth: Option<String>,
    /// For `tls_client_auth`: the subject its certificate must have.
    pub tls_client_auth_subject_dn: Option<String>,
    /// The resource servers it may get tokens for, with its scopes there (read by
    /// [`ClientStore::get`]; empty in lists).
    #[serde(default)]
    pub resources: Vec<crate::resources::ClientResource>,
}

impl Client {
    /// True if the client authenticates with mutual TLS.
    pub fn uses_mtls(&self) -> bool {
        self.tls_client_auth.is_some()
    }
    /// Its subject type: `pairwise` or `public`.
    pub fn subject_type(&self) -> &'static str {
        if self.sector.is_some() {
            "pairwise"
        } else {
            "public"
        }
    }
    /// True if the client has no means of authenticating (no secret, no keys).
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none() && !self.uses_private_key_jwt() && !self.uses_mtls()
    }
    /// True if the client authenticates with `private_key_jwt` (it registered keys).
    pub fn uses_private_key_jwt(&self) -> bool {
        self.jwks.is_some() || self.jwks_uri.is_some()
    }
    /// True if the client may use `grant`.
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
    /// True if the client may ask for `scope`.
    pub fn allows_scope(&self, scope: &str) -> bool {
        crate::smart_scopes::allowed(&self.scopes, scope).unwrap_or(false)
    }
    /// True if the client may introspect other clients' tokens (registered with the scope
    /// [`INTROSPECT_ANY_SCOPE`]); every confidential client may introspect its own.
    pub fn may_introspect_any(&self) -> bool {
        self.allows_scope(INTROSPECT_ANY_SCOPE)
    }
    /// Exact, character-for-character redirect URI match.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }
    /// Exact post-logout redirect URI match.
    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|u| u == uri)
    }
    /// Checks a presented secret in constant time.
    pub fn secret_matches(&self, secret: &str) -> bool {
        match &self.secret_hash {
            Some(h) => ct_eq(sha256_b64(secret.as_bytes()).as_bytes(), h.as_bytes()),
            None => false,
        }
    }

    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let list = |col: &str| -> Result<Vec<String>, sqlx::Error> {
            let s: String = r.try_get(col)?;
            serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        let alg: String = r.try_get("id_token_alg")?;
        let at_alg: String = r.try_get("access_token_alg")?;
        Ok(Self {
            client_id: r.try_get("client_id")?,
            name: r.try_get("name")?,
            secret_hash: r.try_get("secret_hash")?,
            redirect_uris: list("redirect_uris")?,
            post_logout_redirect_uris: list("post_logout_redirect_uris")?,
            grant_types: list("grant_types")?,
            scopes: list("scopes")?,
            id_token_alg: SigAlg::parse(&alg).unwrap_or(SigAlg::RS256),
            access_token_alg: SigAlg::parse(&at_alg).unwrap_or(SigAlg::ES256),
            require_mfa: r.try_get::<i64, _>("require_mfa")? != 0,
            require_phishing_resistant: r.try_get::<i64, _>("require_phishing_resistant")? != 0,
            third_party: r.try_get::<i64, _>("third_party")? != 0,
            require_par: r.try_get::<i64, _>("require_par")? != 0,
            require_dpop: r.try_get::<i64, _>("require_dpop")? != 0,
            fapi2: r.try_get::<i64, _>("fapi2")? != 0,
            require_signed_request_object: r.try_get::<i64, _>("require_signed_request_object")?
                != 0,
            keys: r
                .try_get::<Option<String>, _>("jwks")?
                .and_then(|t| crate::client_assertion::parse_jwks(&t).ok())
                .unwrap_or_default(),
            jwks: r.try_get("jwks")?,
            jwks_uri: r.try_get("jwks_uri")?,
            backchannel_logout_uri: r.try_get("backchannel_logout_uri")?,
            frontchannel_logout_uri: r.try_get("frontchannel_logout_uri")?,
            service_id: r.try_get("service_id")?,
            sector: r.try_get("sector")?,
            sector_identifier_uri: r.try_get("sector_identifier_uri")?,
            tls_client_auth: r.try_get("tls_client_auth")?,
            tls_client_auth_subject_dn: r.try_get("tls_client_auth_subject_dn")?,
            resources: Vec::new(),
        })
    }
}

/// What an administrator gives to register a client.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// Identifier.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Redirect URIs (at least one for the code flow).
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// `Some(secret)` to set a given secret; `None` with `public == false` generates one.
    pub secret: Option<String>,
    /// A public client (no secret; PKCE required).
    pub public: bool,
    /// Grant types; default `authorization_code` + `refresh_token`.
    pub grant_types: Vec<String>,
    /// Scopes; default `openid profile email phone offline_access`.
    pub scopes: Vec<String>,
    /// ID token algorithm; default RS256.
    pub id_token_alg: Option<SigAlg>,
    /// Access token algorithm; default ES256.
    pub access_token_alg: Option<SigAlg>,
    /// Require multi-factor at every sign-in.
    pub require_mfa: bool,
    /// Require a passkey (phishing-resistant sign-in) at every sign-in; implies `require_mfa`.
    pub require_phishing_resistant: bool,
    /// A third-party app (asks the person's consent).
    pub third_party: bool,
    /// Require pushed authorization requests (RFC 9126).
    pub require_par: bool,
    /// Require DPoP-bound tokens (RFC 9449).
    pub require_dpop: bool,
    /// Hold it to the FAPI 2.0 Security Profile.
    pub fapi2: bool,
    /// Require signed request objects (RFC 9101); it needs keys.
    pub require_signed_request_object: bool,
    /// Public keys for `private_key_jwt` (a JWK set); with them or `jwks_uri` the client has
    /// no secret.
    pub jwks: Option<String>,
    /// Where the client publishes its keys for `private_key_jwt` (https).
    pub jwks_uri: Option<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Front-channel logout URI.
    pub frontchannel_logout_uri: Option<String>,
    /// The service it belongs to (must exist).
    pub service_id: Option<String>,
    /// Pairwise subject identifiers (OIDC Core §8.1) instead of `public` ones.
    pub pairwise: bool,
    /// The document listing the redirect URIs of its sector (https); without one, a pairwise
    /// client's redirect URIs must all be on one host, which is then its sector.
    pub sector_identifier_uri: Option<String>,
    /// Mutual-TLS authentication (RFC 8705): `tls_client_auth` (with
    /// `tls_client_auth_subject_dn`) or `self_signed_tls_client_auth` (its certificate in
    /// `jwks`, as `x5c`); such a client has no secret.
    pub tls_client_auth: Option<String>,
    /// For `tls_client_auth`: the subject of its certificate (`CN=…,O=…,C=…`).
    pub tls_client_auth_subject_dn: Option<String>,
}

/// Errors of the client registry.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A field is not acceptable; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The client id is taken.
    #[error("a client with this id already exists")]
    Exists,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ClientError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e.into())
    }
}

type Cache = HashMap<String, (i64, Option<Arc<Client>>)>;

/// The client registry.
#[derive(Debug, Clone)]
pub struct ClientStore {
    db: Db,
    http: reqwest::Client,
    keys: Arc<crate::keys::KeyRing>,
    clock: SharedClock,
    cache_secs: i64,
    cache: Arc<RwLock<Cache>>,
}

const COLUMNS: &str = "client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, \
                       grant_types, scopes, id_token_alg, access_token_alg, require_mfa, \
                       require_par, require_dpop, fapi2, require_signed_request_object, jwks, \
                       jwks_uri, backchannel_logout_uri, \
                       frontchannel_logout_uri, service_id, sector, sector_identifier_uri, \
                       tls_client_auth, tls_client_auth_subject_dn, require_phishing_resistant, \
                       third_party";

impl ClientStore {
    /// A registry in `db`, caching lookups for `cache_secs` (0 disables the cache), reading
    /// sector identifier documents with `http`, telling `keys` when the algorithms relying
    /// parties use may have changed (a key is published only while one uses its algorithm).
    pub fn new(
        db: Db,
        clock: SharedClock,
        cache_secs: i64,
        http: reqwest::Client,
        keys: Arc<crate::keys::KeyRing>,
    ) -> Self {
        Self {
            db,
            http,
            keys,
            clock,
            cache_secs,
            cache: Arc::default(),
        }
    }

    /// Drops `client_id` from this node's cache (after a change to what it may do; other
    /// nodes see it within `cache_secs`).
    pub fn forget(&self, client_id: &str) {
        if let Ok(mut c) = self.cache.write() {
            c.remove(client_id);
        }
    }

    /// Empties this node's cache (after a change that touches many clients).
    pub fn forget_all(&self) {
        if let Ok(mut c) = self.cache.write() {
            c.clear();
        }
    }

    /// The key ring re-reads which algorithms are in use (here, and on every node told).
    async fn algorithms_may_have_changed(&self) {
        if let Err(e) = self.keys.changed().await {
            tracing::warn!(error = %e, "key ring not reloaded after a client change; nodes will see it when they poll");
        }
    }

    /// Puts the client in a service (`None`: takes it out). The service must exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_service(
        &self,
        client_id: &str,
        service_id: Option<&str>,
    ) -> Result<(), ClientError> {
        if service_id.is_none()
            && self.get(client_id).await?.is_some_and(|c| {
                c.allows_grant("authorization_code")
                    || c.allows_grant(crate::oidc::device::GRANT_TYPE)
            })
        {
            return Err(ClientError::Invalid(NEEDS_SERVICE.into()));
        }
        if let Some(s) = service_id {
            let found = sqlx::query("SELECT id FROM services WHERE id = $1")
                .bind(s)
                .fetch_optional(self.db.pool())
                .await
                .map_err(DbError::from)?;
            if found.is_none() {
                return Err(ClientError::Invalid(format!("no such service {s:?}")));
            }
        }
        let r =
            sqlx::query("UPDATE clients SET service_id = $2, updated_at = $3 WHERE client_id = $1")
                .bind(client_id)
                .bind(service_id)
                .bind(self.clock.now())
                .execute(self.db.pool())
                .await
                .map_err(DbError::from)?;
        if r.rows_affected() == 0 {
            return Err(ClientError::Invalid(format!(
                "no such client {client_id:?}"
            )));
        }
        self.forget(client_id);
        Ok(())
    }

    /// The client with this id (from the node's cache when fresh).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn get(&self, client_id: &str) -> Result<Option<Arc<Client>>, ClientError> {
        let now = self.clock.now();
        if let Ok(c) = self.cache.read() {
            if let Some((until, hit)) = c.get(client_id) {
                if *until > now {
                    return Ok(hit.clone());
                }
            }
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(self.db.pool())
        .await?;
        let mut found = row.as_ref().map(Client::from_row).transpose()?;
        if let Some(c) = found.as_mut() {
            c.resources = crate::resources::for_client(&self.db, client_id).await?;
        }
        let found = found.map(Arc::new);
        if self.cache_secs > 0 && client_id.len() <= 128 {
            if let Ok(mut c) = self.cache.write() {
                if c.len() >= CACHE_MAX {
                    c.clear();
                }
                c.insert(client_id.to_owned(), (now + self.cache_secs, found.clone()));
            }
        }
        Ok(found)
    }

    /// A page of clients by id: at most `limit` (1 to 1,000) after the client `after`, or
    /// before `before` (the page nearest it), read by keyset through the primary key, with
    /// their resource servers.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn page(
        &self,
        after: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<platform::keyset::Page<Client>, ClientError> {
        let k = platform::keyset::Keyset {
            after,
            before,
            limit: limit.clamp(1, 1000),
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clients {}",
            k.sql("client_id")
        ))
        .bind(k.value())
        .fetch_all(self.db.pool())
        .await?;
        let mut clients = rows
            .iter()
            .map(Client::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // Their resource servers: one more read for the whole page, not one per client. The
        // range's ends are the rows' in the database's order (its collation, not Rust's).
        if let (Some(a), Some(b)) = (clients.first(), clients.last()) {
            let (lo, hi) = if k.backwards() { (b, a) } else { (a, b) };
            let (lo, hi) = (lo.client_id.clone(), hi.client_id.clone());
            let mut by_client = crate::resources::for_clients_between(&self.db, &lo, &hi).await?;
            for c in &mut clients {
                c.resources = by_client.remove(&c.client_id).unwrap_or_default();
            }
        }
        Ok(k.page(clients))
    }

    /// Sets a client's back- and front-channel logout URIs (`None`: none); false if there is
    /// no such client.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_logout_uris(
        &self,
        client_id: &str,
        backchannel: Option<&str>,
        frontchannel: Option<&str>,
    ) -> Result<bool, ClientError> {
        for u in backchannel.iter().chain(frontchannel.iter()) {
            validate_logout_uri(u).map_err(ClientError::Invalid)?;
        }
        let r = sqlx::query(
            "UPDATE clients SET backchannel_logout_uri = $1, frontchannel_logout_uri = $2, \
             updated_at = $3 WHERE client_id = $4",
        )
        .bind(backchannel)
        .bind(frontchannel)
        .bind(self.clock.now())
        .bind(client_id)
        .execute(self.db.pool())
        .await?;
        self.forget(client_id);
        Ok(r.rows_affected() > 0)
    }

    /// Removes a client; false if there was none.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove(&self, client_id: &str) -> Result<bool, ClientError> {
        let r = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(self.db.pool())
            .await?;
        self.forget(client_id);
        let removed = r.rows_affected() > 0;
        if removed {
            self.algorithms_may_have_changed().await;
        }
        Ok(removed)
    }
}

/// A registry's refusal, in the words of the administrators' errors.
fn admin_error(e: ClientError) -> AdminError {
    match e {
        ClientError::Invalid(m) => AdminError::invalid("", m),
        e @ ClientError::Exists => AdminError::Conflict(e.to_string()),
        ClientError::Db(e) => AdminError::Storage(e.to_string()),
    }
}

/// Puts a relying party in a service (`None`: takes it out, refused for one that signs people
/// in: it must stay in a service), audited `client.updated` with the change; for the admin
/// API, the console and the CLI alike.
#[tracing::instrument(level = "debug", skip_all, fields(client_id = id))]
pub async fn set_client_service(
    p: &crate::Provider,
    id: &str,
    service: Option<&str>,
    actor: Actor<'_>,
) -> Result<Client, AdminError> {
    let current = || async {
        p.clients
            .get(id)
            .await
            .map_err(admin_error)?
            .ok_or_else(|| AdminError::NotFound(format!("no such client {id:?}")))
    };
    let before = current().await?;
    let service = service.map(str::trim).filter(|s| !s.is_empty());
    if before.service_id.as_deref() == service {
        return Ok(Client::clone(&before));
    }
    p.clients
        .set_service(id, service)
        .await
        .map_err(|e| match e {
            ClientError::Invalid(m) => AdminError::invalid("service_id", m),
            e => admin_error(e),
        })?;
    let after = current().await?;
    let detail = format!(
        "service: {} -> {}",
        before.service_id.as_deref().unwrap_or("-"),
        after.service_id.as_deref().unwrap_or("-")
    );
    record(&p.audit, "client.updated", actor, id, &detail).await;
    Ok(Client::clone(&after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules() {
        assert!(validate_redirect_uri("https://viewer.example/cb").is_ok());
        assert!(validate_redirect_uri("http://127.0.0.1:8081/cb").is_ok());
        assert!(validate_redirect_uri("http://viewer.example/cb").is_err());
        assert!(validate_redirect_uri("https://viewer.example/cb#x").is_err());
        assert!(validate_redirect_uri("javascript:alert(1)").is_err());
        assert!(validate_redirect_uri("/relative").is_err());
        assert!(validate_redirect_uri("ca.on.viewer:/cb").is_ok());
    }

    #[test]
    fn logout_uri_rules() {
        assert!(validate_logout_uri("https://viewer.example/bcl").is_ok());
        assert!(validate_logout_uri("http://127.0.0.1:8081/backchannel-logout").is_ok());
        assert!(validate_logout_uri("http://localhost/fcl?x=1").is_ok());
        assert!(validate_logout_uri("http://viewer.example/bcl").is_err());
        assert!(validate_logout_uri("https://viewer.example/bcl#x").is_err());
        assert!(validate_logout_uri("ca.on.viewer:/bcl").is_err());
        assert!(validate_logout_uri("javascript:alert(1)").is_err());
        assert!(validate_logout_uri("/relative").is_err());
    }
}
