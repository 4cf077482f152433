//! The protocol core of the identity provider, without HTTP: the provider's configuration and
//! services (`Provider`), relying parties (`clients`), the signing key ring (`keys`), the tokens
//! it signs (`tokens`), the discovery document, refresh-token grants (`grants`), back-channel
//! logout delivery (`logout`) and the SAML 2.0 identity provider's messages, signatures and
//! service-provider registry (`saml`).
//!
//! The web surfaces (`idp-web`, `account-web`, `admin-web`) serve it over HTTP; the binary
//! (`oneid`) builds it from the configuration.

pub mod agreement;
pub mod challenge;
pub mod client_assertion;
pub mod clients;
pub mod consent;
pub mod discovery;
pub mod dpop;
pub mod feeds;
pub mod grants;
pub mod jose;
pub mod keys;
pub mod limits;
pub mod login;
pub mod logout;
pub mod mtls;
pub mod oidc;
pub mod passkey;
pub mod resources;
pub mod retention;
pub mod saml;
pub mod smart_launch;
pub mod smart_scopes;
pub mod sso;
pub mod subjects;
pub mod ticket;
pub mod tokens;

use credential_store::Accounts;
use platform::{Audit, Db, EphemeralStore, Mailer, SharedClock};
use serde::Deserialize;
use std::sync::Arc;

pub use clients::{Client, ClientError, ClientStore, NewClient};

/// A store an operation needs failed: the database or the ephemeral store. Logged by the
/// caller, never shown.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database.
    #[error(transparent)]
    Db(#[from] platform::DbError),
    /// The ephemeral store.
    #[error(transparent)]
    Ephemeral(#[from] platform::EphemeralError),
}
pub use keys::{KeyError, KeyRing, SigAlg};

/// Lifetimes and names the provider needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The issuer identifier (e.g. `https://login.oneid.on.ca`), no trailing slash.
    pub issuer: String,
    /// Access token lifetime, seconds.
    #[serde(default = "d_access")]
    pub access_token_ttl: i64,
    /// ID token lifetime, seconds.
    #[serde(default = "d_access")]
    pub id_token_ttl: i64,
    /// Refresh token lifetime, seconds.
    #[serde(default = "d_refresh")]
    pub refresh_token_ttl: i64,
    /// Authorization code lifetime, seconds.
    #[serde(default = "d_code")]
    pub code_ttl: i64,
    /// SSO session lifetime, seconds.
    #[serde(default = "d_session")]
    pub session_ttl: i64,
    /// How long a login page stays usable, seconds.
    #[serde(default = "d_login")]
    pub login_ttl: i64,
    /// Mark cookies `Secure` (default: when the issuer is https).
    #[serde(default)]
    pub secure_cookies: Option<bool>,
    /// How long a node caches a client registration, seconds (0: no cache).
    #[serde(default = "d_client_cache")]
    pub client_cache_secs: i64,
    /// Cache-Control max-age of JWKS and discovery, seconds.
    #[serde(default = "d_jwks_max_age")]
    pub jwks_max_age_secs: i64,
    /// Sign-in attempts per login ID per window (0: no limit).
    #[serde(default = "d_login_per_account")]
    pub login_limit_per_account: i64,
    /// Sign-in attempts per source address per window (0: no limit).
    #[serde(default = "d_login_per_address")]
    pub login_limit_per_address: i64,
    /// Forgotten login ID / password requests per source address per window (0: no limit).
    #[serde(default = "d_forgot_per_address")]
    pub forgot_limit_per_address: i64,
    /// The rate-limit window, seconds.
    #[serde(default = "d_limit_window")]
    pub limit_window_secs: i64,
    /// Failed client authentications per source address per window (0: no limit).
    #[serde(default = "d_client_auth_failures")]
    pub client_auth_failures_per_address: i64,
    /// Token requests per client per window (0: no limit; costs a store round trip each).
    #[serde(default)]
    pub token_limit_per_client: i64,
    /// Proxies whose `X-Forwarded-For` names the client (for rate limits and the audit).
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Every relying party must push its authorization requests (RFC 9126).
    #[serde(default)]
    pub require_par: bool,
    /// The CA certificates (DER) that issue `tls_client_auth` relying parties' certificates
    /// (mutual TLS, RFC 8705).
    #[serde(skip)]
    pub client_cas: Vec<Vec<u8>>,
    /// The `fhirUser` claim's template (SMART; empty: no such claim), see
    /// [`tokens::fhir_user`].
    #[serde(default)]
    pub fhir_user: String,
    /// How long what ages out is kept (`retention`).
    #[serde(default)]
    pub retention: retention::RetentionPolicy,
}

fn d_login_per_account() -> i64 {
    20
}
fn d_login_per_address() -> i64 {
    300
}
fn d_forgot_per_address() -> i64 {
    20
}
fn d_limit_window() -> i64 {
    900
}
fn d_client_auth_failures() -> i64 {
    100
}

fn d_jwks_max_age() -> i64 {
    300
}

fn d_client_cache() -> i64 {
    5
}

fn d_access() -> i64 {
    600
}
fn d_refresh() -> i64 {
    8 * 3600
}
fn d_code() -> i64 {
    60
}
fn d_session() -> i64 {
    12 * 3600
}
fn d_login() -> i64 {
    1800
}

impl ProviderConfig {
    /// Defaults for `issuer`.
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            access_token_ttl: d_access(),
            id_token_ttl: d_access(),
            refresh_token_ttl: d_refresh(),
            code_ttl: d_code(),
            session_ttl: d_session(),
            login_ttl: d_login(),
            secure_cookies: None,
            client_cache_secs: d_client_cache(),
            jwks_max_age_secs: d_jwks_max_age(),
            login_limit_per_account: d_login_per_account(),
            login_limit_per_address: d_login_per_address(),
            forgot_limit_per_address: d_forgot_per_address(),
            limit_window_secs: d_limit_window(),
            client_auth_failures_per_address: d_client_auth_failures(),
            token_limit_per_client: 0,
            trusted_proxies: Vec::new(),
            require_par: false,
            client_cas: Vec::new(),
            fhir_user: String::new(),
            retention: retention::RetentionPolicy::default(),
        }
    }

    /// Whether cookies carry `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.issuer.starts_with("https://"))
    }
}

/// Everything the endpoints share.
#[derive(Debug)]
pub struct Provider {
    /// Configuration.
    pub cfg: ProviderConfig,
    /// Time.
    pub clock: SharedClock,
    /// Durable storage.
    pub db: Db,
    /// Ephemeral storage.
    pub store: Arc<dyn EphemeralStore>,
    /// Accounts.
    pub accounts: Accounts,
    /// Relying parties.
    pub clients: ClientStore,
    /// Resource servers (APIs, FHIR servers) tokens can be for.
    pub resources: resources::ResourceStore,
    /// Signing keys.
    pub keys: Arc<KeyRing>,
    /// Audit trail.
    pub audit: Audit,
    /// Outgoing mail.
    pub mailer: Arc<dyn Mailer>,
    /// This node's counters.
    pub metrics: platform::metrics::Metrics,
    /// Step-up rules.
    pub stepup: step_up::StepUpConfig,
    /// Recognized devices.
    pub devices: step_up::Devices,
    /// Where step-up codes go.
    pub gateway: Arc<dyn step_up::CodeGateway>,
    /// The outbox gateway, when codes go there (its recent codes feed the demo page).
    pub outbox: Option<Arc<step_up::gateway::OutboxGateway>>,
    /// Registries, self-registration, services and enrolments.
    pub registration: registration::Registration,
    /// The self-registration wizard's configuration.
    pub signup: registration::SignupConfig,
    /// The SAML 2.0 identity provider.
    pub saml: saml::SamlIdp,
    /// The HTTP client of back-channel logout deliveries and of clients' key sets (no
    /// redirects, a timeout).
    pub backchannel: reqwest::Client,
    /// Clients' key sets fetched from their `jwks_uri` (`private_key_jwt`), per node.
    pub client_keys: client_assertion::KeyCache,
    /// The provider as a WebAuthn relying party (`None` when the issuer's host is an address,
    /// which no browser accepts as a relying party ID).
    pub passkeys: Option<Arc<step_up::passkeys::Passkeys>>,
    discovery: bytes::Bytes,
    smart: bytes::Bytes,
    cache_control: bytes::Bytes,
    verified: tokens::VerifiedTokens,
}

impl Provider {
    /// The discovery document, rendered once.
    pub fn discovery_document(&self) -> &bytes::Bytes {
        &self.discovery
    }

    /// The SMART configuration (`/.well-known/smart-configuration`), rendered once.
    pub fn smart_configuration(&self) -> &bytes::Bytes {
        &self.smart
    }

    /// The `Cache-Control` of the discovery document and the JWKS.
    pub fn documents_cache_control(&self) -> &bytes::Bytes {
        &self.cache_control
    }

    /// Uses these step-up rules and this gateway (`outbox` when it is the outbox).
    pub fn with_step_up(
        mut self,
        cfg: step_up::StepUpConfig,
        gateway: Arc<dyn step_up::CodeGateway>,
        outbox: Option<Arc<step_up::gateway::OutboxGateway>>,
    ) -> Self {
        self.stepup = cfg;
        self.gateway = gateway;
        self.outbox = outbox;
        self
    }

    /// Staff register (and step up with) only these authenticator models; an error names a
    /// certificate that is not one. Nothing to do when the provider cannot use passkeys.
    pub fn with_staff_authenticators(
        mut self,
        list: Vec<step_up::passkeys::StaffAuthenticator>,
    ) -> Result<Self, String> {
        if list.is_empty() {
            return Ok(self);
        }
        let Some(k) = step_up::passkeys::Passkeys::for_issuer(&self.cfg.issuer, "ONE ID") else {
            return Err(
                "stepup.staff_authenticators: passkeys need an issuer with a host name \
                        (not an address)"
                    .into(),
            );
        };
        self.passkeys = Some(Arc::new(k.with_staff_authenticators(list)?));
        Ok(self)
    }

    /// Uses this configuration for the self-registration wizard.
    pub fn with_signup(mut self, cfg: registration::SignupConfig) -> Self {
        self.signup = cfg;
        self
    }

    /// Wires the provider; the key ring must already be loaded. Fails when the back-channel
    /// logout HTTP client cannot be built (see `logout::backchannel_client`).
    pub fn new(
        cfg: ProviderConfig,
        clock: SharedClock,
        db: Db,
        store: Arc<dyn EphemeralStore>,
        accounts: Accounts,
        keys: Arc<KeyRing>,
        mailer: Arc<dyn Mailer>,
    ) -> Result<Self, reqwest::Error> {
        let backchannel = logout::backchannel_client()?;
        let passkeys = step_up::passkeys::Passkeys::for_issuer(&cfg.issuer, "ONE ID").map(Arc::new);
        let discovery = bytes::Bytes::from(
            discovery::document(
                &cfg.issuer,
                cfg.require_par,
                !cfg.fhir_user.is_empty(),
                passkeys.is_some(),
            )
            .to_string(),
        );
        let smart = bytes::Bytes::from(
            discovery::smart_configuration(&cfg.issuer, cfg.require_par, !cfg.fhir_user.is_empty())
                .to_string(),
        );
        let cache_control =
            bytes::Bytes::from(format!("public, max-age={}", cfg.jwks_max_age_secs.max(0)));
        let outbox = Arc::new(step_up::gateway::OutboxGateway::new(
            std::env::temp_dir().join("oneid-codes.jsonl"),
            clock.clone(),
        ));
        Ok(Self {
            resources: resources::ResourceStore::new(db.clone(), clock.clone()),
            clients: ClientStore::new(
                db.clone(),
                clock.clone(),
                cfg.client_cache_secs,
                backchannel.clone(),
                keys.clone(),
            ),
            devices: step_up::Devices::new(db.clone(), clock.clone()),
            stepup: step_up::StepUpConfig::default(),
            gateway: outbox.clone(),
            outbox: Some(outbox),
            audit: Audit::new(db.clone(), clock.clone()),
            registration: registration::Registration::new(
                db.clone(),
                clock.clone(),
                accounts.clone(),
                Arc::new(grants::AccountGrants),
            ),
            signup: registration::SignupConfig::default(),
            saml: saml::SamlIdp::new(
                saml::SamlConfig::default(),
                saml::SpStore::new(db.clone(), clock.clone(), cfg.client_cache_secs),
            ),
            cfg,
            clock,
            db,
            store,
            accounts,
            keys,
            mailer,
            metrics: platform::metrics::Metrics::default(),
            passkeys,
            discovery,
            smart,
            cache_control,
            verified: tokens::VerifiedTokens::default(),
            backchannel,
            client_keys: client_assertion::KeyCache::default(),
        })
    }
}
