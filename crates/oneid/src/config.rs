//! Configuration: the embedded `config/default.toml`, an optional overlay file, then
//! `ONEID__SECTION__KEY` environment variables; unknown keys are refused with their name.

use credential_store::{AccountPolicy, PasswordParams};
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use std::path::{Path, PathBuf};

const DEFAULT: &str = include_str!("../../../config/default.toml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Issuer; empty means `http://<listen address>`.
    pub issuer: String,
    /// Directory of the embedded SQLite database.
    pub data_dir: PathBuf,
    /// HTTP listener.
    pub http: HttpConfig,
    /// Durable database.
    pub database: DatabaseConfig,
    /// Ephemeral store.
    pub ephemeral: EphemeralConfig,
    /// Key-encryption key and key ring polling.
    pub keys: KeysConfig,
    /// Relying-party registry.
    pub clients: ClientsConfig,
    /// Token and session lifetimes.
    pub tokens: TokensConfig,
    /// argon2id cost.
    pub password: PasswordParams,
    /// Account rules: login ID domain, password expiry and history, lockout.
    pub accounts: AccountPolicy,
    /// Rate limits.
    pub limits: LimitsConfig,
    /// Outgoing mail.
    pub mail: MailConfig,
    /// Step-up: when, how, and where codes go.
    pub stepup: step_up::StepUpConfig,
    /// Serving TLS directly.
    pub tls: TlsConfig,
    /// `[retention]`: how long what ages out is kept.
    pub retention: authorization_server::retention::RetentionPolicy,
    /// The admin listener (metrics, health).
    pub admin: AdminConfig,
    /// Self-registration from a trusted registry: the wizard's texts and switches.
    #[serde(default)]
    pub registration: registration::SignupConfig,
    /// The SAML 2.0 identity provider.
    #[serde(default)]
    pub saml: authorization_server::saml::SamlConfig,
    /// The frame of every page: logo, footer links, the service desk's number.
    #[serde(default)]
    pub pages: web::chrome::PagesConfig,
    /// Logging.
    pub log: LogConfig,
}

/// `[http]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub addr: String,
    /// Addresses of reverse proxies whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a new connection has to send its first byte.
    pub first_byte_timeout_secs: u64,
    /// Seconds a request head (line and headers) has to arrive whole, from its first byte.
    pub header_timeout_secs: u64,
    /// Seconds a connection with no request in flight is kept open without a byte either way.
    pub idle_timeout_secs: u64,
    /// Seconds a request body may go without a byte arriving (then `408`, connection closed).
    pub body_timeout_secs: u64,
    /// Most open connections on the listener (also kept under the open-file limit).
    pub max_connections: usize,
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://...` or `postgres://...`; empty for the embedded SQLite file.
    pub url: String,
    /// File holding the URL.
    pub url_file: String,
    /// Pool size.
    pub max_connections: u32,
}

/// `[ephemeral]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EphemeralConfig {
    /// `redis://...`; empty for in-process.
    pub url: String,
    /// Redis key prefix.
    pub prefix: String,
}

/// `[keys]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Path of the key-encryption key file.
    pub kek_file: PathBuf,
    /// The key-encryption key itself, base64.
    pub kek: String,
    /// Key ring poll interval, seconds.
    pub poll_secs: u64,
    /// Pre-publish period of a new key, seconds.
    pub prepublish_secs: i64,
    /// JWKS / discovery cache lifetime, seconds.
    pub jwks_max_age_secs: i64,
    /// Clock skew allowance, seconds.
    pub clock_skew_secs: i64,
    /// Scheduled rotation period, days (0: off).
    pub rotate_every_days: i64,
    /// RSA key size.
    pub rsa_bits: u32,
}

/// `[clients]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsConfig {
    /// Per-node cache of client registrations, seconds.
    pub cache_secs: i64,
    /// Every relying party must push its authorization requests (RFC 9126).
    pub require_par: bool,
    /// The `fhirUser` claim (SMART App Launch, scope `fhirUser`): a template of the account's
    /// FHIR Practitioner URL with `{college}`, `{registration_number}`, `{login_id}` or
    /// `{account_id}`; empty: no such claim.
    #[serde(default)]
    pub fhir_user: String,
}

/// `[tokens]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// Seconds.
    pub access_token_ttl: i64,
    /// Seconds.
    pub id_token_ttl: i64,
    /// Seconds.
    pub refresh_token_ttl: i64,
    /// Seconds.
    pub code_ttl: i64,
    /// Seconds.
    pub session_ttl: i64,
    /// Seconds.
    pub login_ttl: i64,
}

/// `[tls]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain (PEM); empty: plain HTTP (behind a TLS proxy, or loopback).
    pub cert_file: PathBuf,
    /// Private key (PEM).
    pub key_file: PathBuf,
    /// Seconds between checks for a renewed certificate (SIGHUP reloads at once; 0: only then).
    pub reload_secs: u64,
    /// `Strict-Transport-Security` max-age when serving TLS, seconds (0: no header).
    pub hsts_max_age_secs: u64,
    /// Ask clients for a certificate in the handshake (mutual TLS, RFC 8705; optional).
    pub client_certificates: bool,
    /// CA certificates (PEM) for `tls_client_auth` relying parties; empty: none.
    pub client_ca_file: PathBuf,
    /// The header a trusted TLS-terminating proxy forwards client certificates in (empty:
    /// none).
    pub client_cert_header: String,
}

/// `[admin]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Listen address of `/metrics`, `/healthz`, `/readyz` (empty: no admin listener).
    pub addr: String,
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Window of every limit, seconds.
    pub window_secs: i64,
    /// Sign-in attempts per login ID per window (0: off).
    pub login_per_account: i64,
    /// Sign-in attempts per source address per window (0: off).
    pub login_per_address: i64,
    /// Forgotten login ID / password requests per source address per window (0: off).
    pub forgot_per_address: i64,
    /// Failed client authentications at the token endpoint per address per window (0: off).
    pub client_auth_failures_per_address: i64,
    /// Token requests per client per window (0: off; each costs a store round trip).
    pub token_per_client: i64,
}

/// `[mail]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// SMTP relay URL; empty: write mail to the outbox file.
    pub smtp_url: String,
    /// Sender address.
    pub from: String,
    /// Outbox file (embedded default); relative paths are under `data_dir`.
    pub outbox: PathBuf,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// tracing filter.
    pub level: String,
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads the defaults, then `overlay` (if any), then the environment.
    pub fn load(overlay: Option<&Path>) -> Result<Self, ConfigError> {
        let mut f = Figment::from(Toml::string(DEFAULT));
        if let Some(p) = overlay {
            if !p.exists() {
                return Err(ConfigError(format!("file {} not found", p.display())));
            }
            f = f.merge(Toml::file(p));
        }
        f = f.merge(Env::prefixed("ONEID__").split("__"));
        let c: Config = f.extract().map_err(|e| ConfigError(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// The embedded defaults only (tests start from these).
    pub fn defaults() -> Result<Self, ConfigError> {
        Figment::from(Toml::string(DEFAULT))
            .extract()
            .map_err(|e| ConfigError(e.to_string()))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !self.issuer.is_empty() {
            let u = url::Url::parse(&self.issuer)
                .map_err(|_| ConfigError("issuer: not an absolute URL".into()))?;
            if u.query().is_some() || u.fragment().is_some() {
                return Err(ConfigError(
                    "issuer: must not have a query or fragment".into(),
                ));
            }
            if u.scheme() != "https"
                && !matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
            {
                return Err(ConfigError(
                    "issuer: must be https (plain http only on loopback)".into(),
                ));
            }
        }
        if let Some(problem) = self.retention.problem() {
            return Err(ConfigError(problem.into()));
        }
        if self.http.addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!(
                "http.addr: {:?} is not host:port",
                self.http.addr
            )));
        }
        let h = &self.http;
        for (k, v) in [
            ("http.first_byte_timeout_secs", h.first_byte_timeout_secs),
            ("http.header_timeout_secs", h.header_timeout_secs),
            ("http.idle_timeout_secs", h.idle_timeout_secs),
            ("http.body_timeout_secs", h.body_timeout_secs),
            ("http.max_connections", h.max_connections as u64),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("{k}: must be positive")));
            }
        }
        for (k, v) in [
            ("tokens.access_token_ttl", self.tokens.access_token_ttl),
            ("tokens.id_token_ttl", self.tokens.id_token_ttl),
            ("tokens.refresh_token_ttl", self.tokens.refresh_token_ttl),
            ("tokens.code_ttl", self.tokens.code_ttl),
            ("tokens.session_ttl", self.tokens.session_ttl),
            ("tokens.login_ttl", self.tokens.login_ttl),
        ] {
            if v <= 0 {
                return Err(ConfigError(format!("{k}: must be positive")));
            }
        }
        let k = &self.keys;
        if k.prepublish_secs <= k.jwks_max_age_secs + k.poll_secs as i64 {
            return Err(ConfigError(format!(
                "keys.prepublish_secs: must exceed keys.jwks_max_age_secs + keys.poll_secs ({}), \
                 or relying parties may meet a key before their cached JWKS has it",
                k.jwks_max_age_secs + k.poll_secs as i64
            )));
        }
        if k.jwks_max_age_secs < 0 || k.clock_skew_secs < 0 || k.rotate_every_days < 0 {
            return Err(ConfigError("keys: durations must not be negative".into()));
        }
        if !matches!(k.rsa_bits, 2048 | 3072) {
            return Err(ConfigError("keys.rsa_bits: must be 2048 or 3072".into()));
        }
        self.accounts.validate().map_err(ConfigError)?;
        if self.tls.cert_file.as_os_str().is_empty() != self.tls.key_file.as_os_str().is_empty() {
            return Err(ConfigError(
                "tls.cert_file and tls.key_file: set both (PEM files) or neither".into(),
            ));
        }
        if !self.admin.addr.is_empty() && self.admin.addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!(
                "admin.addr: {:?} is not host:port (or empty for none)",
                self.admin.addr
            )));
        }
        self.stepup.validate().map_err(ConfigError)?;
        self.registration.validate().map_err(ConfigError)?;
        self.pages.validate().map_err(ConfigError)?;
        self.saml.validate().map_err(ConfigError)?;
        let l = &self.limits;
        if l.window_secs < 1 {
            return Err(ConfigError("limits.window_secs: must be positive".into()));
        }
        for (k, v) in [
            ("limits.login_per_account", l.login_per_account),
            ("limits.login_per_address", l.login_per_address),
            ("limits.forgot_per_address", l.forgot_per_address),
            (
                "limits.client_auth_failures_per_address",
                l.client_auth_failures_per_address,
            ),
            ("limits.token_per_client", l.token_per_client),
        ] {
            if v < 0 {
                return Err(ConfigError(format!("{k}: must be 0 (off) or more")));
            }
        }
        if !self.mail.smtp_url.is_empty() && !self.mail.from.contains('@') {
            return Err(ConfigError(
                "mail.from: must be an email address when mail.smtp_url is set".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError(
                "log.format: must be \"text\" or \"json\"".into(),
            ));
        }
        Ok(())
    }

    /// The database URL to use.
    pub fn database_url(&self) -> Result<String, ConfigError> {
        if !self.database.url.is_empty() {
            return Ok(self.database.url.clone());
        }
        if !self.database.url_file.is_empty() {
            return std::fs::read_to_string(&self.database.url_file)
                .map(|s| s.trim().to_owned())
                .map_err(|e| ConfigError(format!("database.url_file: {e}")));
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| ConfigError(format!("data_dir {}: {e}", self.data_dir.display())))?;
        Ok(format!(
            "sqlite://{}?mode=rwc",
            self.data_dir.join("oneid.db").display()
        ))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature, not ours
mod tests {
    use super::*;

    #[test]
    fn the_production_example_loads_and_passes_validation() {
        figment::Jail::expect_with(|_| {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/production.example.toml");
            let c = Config::load(Some(&path)).map_err(|e| e.0)?;
            assert!(c.issuer.starts_with("https://"));
            assert_eq!(c.log.format, "json");
            Ok(())
        });
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let c = Config::defaults().unwrap();
        c.validate().unwrap();
        assert_eq!(c.http.addr, "127.0.0.1:8080");
        assert_eq!(c.password.memory_kib, 19456);
    }

    #[test]
    fn environment_overrides_every_layer_and_unknown_keys_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("overlay.toml", "[http]\naddr = \"127.0.0.1:7000\"\n")?;
            jail.set_env("ONEID__ISSUER", "https://login.oneid.example");
            jail.set_env("ONEID__DATABASE__URL", "postgres://u@db/oneid");
            jail.set_env("ONEID__EPHEMERAL__URL", "redis://cache:6379");
            let c = Config::load(Some(Path::new("overlay.toml"))).map_err(|e| e.0)?;
            assert_eq!(c.issuer, "https://login.oneid.example");
            assert_eq!(c.http.addr, "127.0.0.1:7000");
            assert_eq!(c.database_url().map_err(|e| e.0)?, "postgres://u@db/oneid");
            assert_eq!(c.ephemeral.url, "redis://cache:6379");

            jail.set_env("ONEID__HTTP__ADDR", "127.0.0.1:9000");
            assert_eq!(
                Config::load(None).map_err(|e| e.0)?.http.addr,
                "127.0.0.1:9000"
            );

            jail.set_env("ONEID__HTTP__PORTT", "1");
            let err = Config::load(None).expect_err("unknown key");
            assert!(err.0.contains("portt"), "{}", err.0);
            Ok(())
        });
    }

    #[test]
    fn connection_limits_have_defaults_and_zero_is_refused() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.0)?;
            assert_eq!(
                (
                    c.http.first_byte_timeout_secs,
                    c.http.header_timeout_secs,
                    c.http.idle_timeout_secs,
                    c.http.body_timeout_secs,
                    c.http.max_connections
                ),
                (10, 15, 60, 15, 10_000)
            );
            jail.set_env("ONEID__HTTP__BODY_TIMEOUT_SECS", "0");
            let err = Config::load(None).expect_err("zero");
            assert!(err.0.contains("http.body_timeout_secs"), "{}", err.0);
            jail.set_env("ONEID__HTTP__BODY_TIMEOUT_SECS", "5");
            jail.set_env("ONEID__HTTP__MAX_CONNECTIONS", "0");
            let err = Config::load(None).expect_err("zero");
            assert!(err.0.contains("http.max_connections"), "{}", err.0);
            Ok(())
        });
    }

    #[test]
    fn the_registration_section_has_defaults_and_is_validated() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(|e| e.0)?;
            assert_eq!(c.registration.wizard_ttl_secs, 1800);
            assert!(
                !c.registration.one_mail_step,
                "a retired service is no step"
            );
            jail.set_env("ONEID__REGISTRATION__WIZARD_TTL_SECS", "10");
            let err = Config::load(None).expect_err("too short");
            assert!(err.0.contains("registration.wizard_ttl_secs"), "{}", err.0);
            jail.set_env("ONEID__REGISTRATION__WIZARD_TTL_SECS", "600");
            jail.set_env("ONEID__REGISTRATION__AGREEMENT_VERSION", "2027-02");
            let c = Config::load(None).map_err(|e| e.0)?;
            assert_eq!(c.registration.agreement_version, "2027-02");
            assert!(
                !c.registration.agreement_en.is_empty(),
                "built-in text kept"
            );
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ONEID__ISSUER", "http://idp.example");
            let err = Config::load(None).expect_err("plain http off loopback");
            assert!(err.0.starts_with("issuer"), "{}", err.0);
            jail.set_env("ONEID__ISSUER", "");
            jail.set_env("ONEID__TOKENS__CODE_TTL", "0");
            let err = Config::load(None).expect_err("zero lifetime");
            assert!(err.0.contains("tokens.code_ttl"), "{}", err.0);
            jail.set_env("ONEID__TOKENS__CODE_TTL", "60");
            jail.set_env("ONEID__KEYS__PREPUBLISH_SECS", "300");
            let err = Config::load(None).expect_err("pre-publish not longer than the JWKS cache");
            assert!(err.0.starts_with("keys.prepublish_secs"), "{}", err.0);
            jail.set_env("ONEID__KEYS__PREPUBLISH_SECS", "900");
            jail.set_env("ONEID__KEYS__RSA_BITS", "1024");
            let err = Config::load(None).expect_err("weak RSA");
            assert!(err.0.starts_with("keys.rsa_bits"), "{}", err.0);
            jail.set_env("ONEID__KEYS__RSA_BITS", "2048");
            jail.set_env("ONEID__ACCOUNTS__MAX_FAILURES", "0");
            let err = Config::load(None).expect_err("no failures allowed");
            assert!(err.0.starts_with("accounts.max_failures"), "{}", err.0);
            jail.set_env("ONEID__ACCOUNTS__MAX_FAILURES", "5");
            jail.set_env("ONEID__LIMITS__LOGIN_PER_ADDRESS", "-1");
            let err = Config::load(None).expect_err("negative limit");
            assert!(err.0.starts_with("limits.login_per_address"), "{}", err.0);
            Ok(())
        });
    }
}
