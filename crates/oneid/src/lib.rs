//! The oneid binary's library half: configuration and wiring (`build` -> `App` ->
//! `run_until_stopped`), shared by `main` and the end-to-end tests. No business logic.

/// `writeln!` to a command's output, ignoring a closed pipe (the commands' answers are best
/// effort; their effects are already made).
macro_rules! wln {
    ($out:expr, $($arg:tt)*) => {
        let _ = writeln!($out, $($arg)*);
    };
}

mod approvals_cli;
pub mod cli;
mod clients_cli;
pub mod config;
pub mod demo;
pub mod demo_fhir;
pub mod demo_registry;
pub mod directory_cli;
pub mod populate;
mod province;
pub mod registries_cli;
mod resources_cli;
pub mod saml_cli;
pub mod serve;
pub mod smart_app;
pub mod tls;
pub mod viewers;

use authorization_server::keys::RotationPolicy;
use authorization_server::{KeyRing, Provider, ProviderConfig};
use credential_store::{Accounts, PasswordHasher};
use platform::{Db, EphemeralStore, MemoryStore, RedisStore, SecretBox, SharedClock, SystemClock};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use config::Config;

/// Start-up failures, each naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Db(#[from] platform::DbError),
    /// The ephemeral store could not be reached.
    #[error("ephemeral store: {0}")]
    Ephemeral(#[from] platform::EphemeralError),
    /// Key material problems.
    #[error("keys: {0}")]
    Keys(String),
    /// The listener could not bind.
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    /// An outgoing HTTP client could not be built (no TLS backend, for instance).
    #[error("HTTP client: {0}")]
    HttpClient(String),
}

/// Parts a caller may supply instead of building them from configuration (tests share a
/// clock or an in-process store between two nodes this way).
#[derive(Default)]
pub struct Parts {
    /// Clock to use.
    pub clock: Option<SharedClock>,
    /// Ephemeral store to use.
    pub store: Option<Arc<dyn EphemeralStore>>,
}

/// The storage and services every command needs, without the HTTP listener.
pub struct Core {
    /// Provider state.
    pub provider: Arc<Provider>,
}

/// Opens storage, runs migrations, loads the key ring: everything but the listener. The
/// database pool opens connections as a command needs them.
pub async fn core(cfg: &Config, issuer: &str, parts: Parts) -> Result<Core, StartError> {
    open_core(cfg, issuer, parts, false).await
}

/// The statements every request of the sign-in and SSO paths runs, prepared on each new
/// PostgreSQL connection before it serves (`Db::connect_full`).
pub fn hot_statements() -> Vec<String> {
    let mut v = credential_store::hot_statements();
    v.push(registration::services::ACCESS_SQL.to_owned());
    v.extend(
        authorization_server::grants::HOT_STATEMENTS
            .iter()
            .map(|s| (*s).to_owned()),
    );
    v.push(platform::audit::INSERT_SQL.to_owned());
    v
}

/// [`core`] for the server (`serving`: on PostgreSQL the pool keeps all its connections
/// open, see `Db::connect_full`) or for a command.
async fn open_core(
    cfg: &Config,
    issuer: &str,
    parts: Parts,
    serving: bool,
) -> Result<Core, StartError> {
    let clock = parts.clock.unwrap_or_else(|| Arc::new(SystemClock));
    let url = cfg.database_url()?;
    let max = cfg.database.max_connections;
    let db = if serving {
        Db::connect_full(&url, max, hot_statements()).await?
    } else {
        Db::connect(&url, max).await?
    };
    db.migrate().await?;
    db.warm_up().await?;
    // On PostgreSQL, this month's and the next months' audit partitions.
    platform::audit_partitions::ensure(&db, clock.now()).await?;
    let store: Arc<dyn EphemeralStore> = match parts.store {
        Some(s) => s,
        None if cfg.ephemeral.url.is_empty() => Arc::new(MemoryStore::new(clock.clone())),
        None => Arc::new(
            RedisStore::connect(&cfg.ephemeral.url, &cfg.ephemeral.prefix, clock.clone()).await?,
        ),
    };
    let sbox = if cfg.keys.kek.is_empty() {
        SecretBox::load_or_create(&cfg.keys.kek_file)
    } else {
        SecretBox::from_base64(&cfg.keys.kek)
    }
    .map_err(|e| StartError::Keys(e.to_string()))?;
    let t = &cfg.tokens;
    let k = &cfg.keys;
    let policy = RotationPolicy {
        prepublish_secs: k.prepublish_secs,
        retention_secs: t.access_token_ttl.max(t.id_token_ttl) + k.clock_skew_secs,
        rotate_every_secs: (k.rotate_every_days > 0).then_some(k.rotate_every_days * 86_400),
        rsa_bits: k.rsa_bits,
    };
    let keys = Arc::new(
        KeyRing::new(db.clone(), sbox.clone(), clock.clone())
            .with_policy(policy)
            .with_notifier(store.clone()),
    );
    keys.ensure_initial_keys()
        .await
        .map_err(|e| StartError::Keys(e.to_string()))?;
    keys.reload()
        .await
        .map_err(|e| StartError::Keys(e.to_string()))?;
    let hasher = PasswordHasher::new(cfg.password)
        .map_err(|e| StartError::Config(config::ConfigError(format!("password: {e}"))))?;
    let accounts = Accounts::new(db.clone(), clock.clone(), hasher, sbox.clone())
        .with_policy(cfg.accounts.clone());
    let outbox = if cfg.mail.outbox.is_absolute() {
        cfg.mail.outbox.clone()
    } else {
        cfg.data_dir.join(&cfg.mail.outbox)
    };
    let mailer = platform::mail::from_config(&cfg.mail.smtp_url, &cfg.mail.from, outbox)
        .map_err(|e| StartError::Config(config::ConfigError(e.to_string())))?;
    let pcfg = ProviderConfig {
        issuer: issuer.trim_end_matches('/').to_owned(),
        access_token_ttl: t.access_token_ttl,
        id_token_ttl: t.id_token_ttl,
        refresh_token_ttl: t.refresh_token_ttl,
        code_ttl: t.code_ttl,
        session_ttl: t.session_ttl,
        login_ttl: t.login_ttl,
        secure_cookies: None,
        client_cache_secs: cfg.clients.cache_secs.max(0),
        jwks_max_age_secs: k.jwks_max_age_secs,
        login_limit_per_account: cfg.limits.login_per_account,
        login_limit_per_address: cfg.limits.login_per_address,
        forgot_limit_per_address: cfg.limits.forgot_per_address,
        client_auth_failures_per_address: cfg.limits.client_auth_failures_per_address,
        token_limit_per_client: cfg.limits.token_per_client,
        limit_window_secs: cfg.limits.window_secs,
        trusted_proxies: cfg.http.trusted_proxies.clone(),
        require_par: cfg.clients.require_par,
        fhir_user: cfg.clients.fhir_user.clone(),
        client_cas: client_cas(&cfg.tls.client_ca_file)
            .map_err(|e| StartError::Config(config::ConfigError(e)))?,
        retention: cfg.retention.clone(),
    };
    let under_data = |p: &std::path::Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            cfg.data_dir.join(p)
        }
    };
    let (gateway, outbox): (Arc<dyn step_up::CodeGateway>, _) =
        if cfg.stepup.gateway.base_url.is_empty() {
            let o = Arc::new(step_up::gateway::OutboxGateway::new(
                under_data(&cfg.stepup.gateway.outbox),
                clock.clone(),
            ));
            (o.clone(), Some(o))
        } else {
            let g = step_up::gateway::TwilioGateway::new(&cfg.stepup.gateway)
                .map_err(|e| StartError::Config(config::ConfigError(e.to_string())))?;
            (Arc::new(g), None)
        };
    let saml_keys = Arc::new(authorization_server::saml::SamlKeys::new(
        db.clone(),
        sbox.clone(),
        clock.clone(),
        cfg.saml.rsa_bits,
    ));
    saml_keys
        .ensure_initial_key()
        .await
        .map_err(|e| StartError::Keys(e.to_string()))?;
    saml_keys
        .reload()
        .await
        .map_err(|e| StartError::Keys(e.to_string()))?;
    // The authenticator models staff may use, their certificates read now (a bad file stops
    // the start with its name).
    let staff_keys = cfg
        .stepup
        .staff_authenticators
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.ca_file = under_data(&a.ca_file);
            a.load()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StartError::Config(config::ConfigError(e)))?;
    let provider = Provider::new(pcfg, clock, db, store, accounts, keys, mailer)
        .map_err(|e| StartError::HttpClient(e.to_string()))?
        .with_step_up(cfg.stepup.clone(), gateway, outbox)
        .with_signup(cfg.registration.clone())
        .with_saml(cfg.saml.clone(), saml_keys)
        .with_staff_authenticators(staff_keys)
        .map_err(|e| StartError::Config(config::ConfigError(e)))?;
    if cfg.stepup.staff_require_passkey && provider.passkeys.is_none() {
        return Err(StartError::Config(config::ConfigError(
            "stepup.staff_require_passkey: passkeys need an issuer with a host name (not an \
             address); staff could never step up"
                .into(),
        )));
    }
    let provider = Arc::new(provider);
    Ok(Core { provider })
}

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    admin: Option<TcpListener>,
    tls: Option<tls::TlsFiles>,
    provider: Arc<Provider>,
    poll_secs: u64,
    limits: serve::ConnLimits,
    certs: serve::ClientCertSource,
}

/// The CA certificates in `file` (PEM), as DER; none for an empty path.
fn client_cas(file: &std::path::Path) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::pem::PemObject as _;
    if file.as_os_str().is_empty() {
        return Ok(Vec::new());
    }
    let fail = |e: String| format!("tls.client_ca_file {}: {e}", file.display());
    let cas: Vec<Vec<u8>> = rustls::pki_types::CertificateDer::pem_file_iter(file)
        .map_err(|e| fail(e.to_string()))?
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if cas.is_empty() {
        return Err(fail("no certificate in the file".into()));
    }
    Ok(cas)
}

/// Most open connections on the admin listener (metrics scrapers and health checks).
const ADMIN_MAX_CONNECTIONS: usize = 64;

/// The public listener's connection limits from `[http]`. The cap is lowered to fit the
/// open-file limit, keeping room for the database pool, Redis, files and the admin listener.
fn conn_limits(cfg: &Config) -> serve::ConnLimits {
    let secs = std::time::Duration::from_secs;
    let reserve = 128 + ADMIN_MAX_CONNECTIONS + cfg.database.max_connections as usize;
    let mut max = cfg.http.max_connections.max(1);
    if let Some(fit) = serve::connections_allowed_by_open_file_limit(reserve) {
        if fit < max {
            let fit = fit.max(16);
            tracing::info!(
                configured = max,
                allowed = fit,
                "http.max_connections lowered to fit the open-file limit (raise it with ulimit -n or LimitNOFILE)"
            );
            max = fit;
        }
    }
    serve::ConnLimits {
        first_byte: secs(cfg.http.first_byte_timeout_secs.max(1)),
        header: secs(cfg.http.header_timeout_secs.max(1)),
        idle: secs(cfg.http.idle_timeout_secs.max(1)),
        body: secs(cfg.http.body_timeout_secs.max(1)),
        max_connections: max,
        on_close: None,
    }
}

/// Binds the listener and builds everything.
pub async fn build(cfg: &Config, parts: Parts) -> Result<App, StartError> {
    web::chrome::install(cfg.pages.clone());
    let listener = TcpListener::bind(&cfg.http.addr)
        .await
        .map_err(|e| StartError::Bind(cfg.http.addr.clone(), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(cfg.http.addr.clone(), e))?;
    let tls = (!cfg.tls.cert_file.as_os_str().is_empty()).then(|| tls::TlsFiles {
        cert: cfg.tls.cert_file.clone(),
        key: cfg.tls.key_file.clone(),
        reload_secs: cfg.tls.reload_secs,
        hsts_max_age_secs: cfg.tls.hsts_max_age_secs,
        client_certificates: cfg.tls.client_certificates,
    });
    if let Some(t) = &tls {
        // A bad certificate stops the start, naming the file.
        tls::load_tls(t).map_err(|e| StartError::Config(config::ConfigError(e)))?;
    }
    let admin = if cfg.admin.addr.is_empty() {
        None
    } else {
        Some(
            TcpListener::bind(&cfg.admin.addr)
                .await
                .map_err(|e| StartError::Bind(cfg.admin.addr.clone(), e))?,
        )
    };
    let issuer = if !cfg.issuer.is_empty() {
        cfg.issuer.clone()
    } else if tls.is_some() {
        format!("https://{addr}")
    } else {
        format!("http://{addr}")
    };
    let core = open_core(cfg, &issuer, parts, true).await?;
    // Said at every start until fixed: a registry without a sponsor admits no one.
    if let Ok(ids) = core.provider.registration.registries.unsponsored().await {
        for id in ids {
            tracing::warn!(
                registry = %id,
                "registry names no sponsor: it admits no one until one is named \
                 (oneid registries update {id} --sponsor ORG)"
            );
        }
    }
    Ok(App {
        listener,
        admin,
        tls,
        provider: core.provider,
        poll_secs: cfg.keys.poll_secs.max(1),
        limits: conn_limits(cfg),
        certs: serve::ClientCertSource {
            proxy_header: (!cfg.tls.client_cert_header.is_empty())
                .then(|| axum::http::HeaderName::from_bytes(cfg.tls.client_cert_header.as_bytes()))
                .transpose()
                .map_err(|_| {
                    StartError::Config(config::ConfigError(
                        "tls.client_cert_header: not a header name".into(),
                    ))
                })?,
            trusted_proxies: cfg.http.trusted_proxies.clone(),
        },
    })
}

impl App {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The admin listener's address, if there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The provider (for seeding and inspection).
    pub fn provider(&self) -> Arc<Provider> {
        self.provider.clone()
    }

    /// Serves until SIGTERM or Ctrl-C, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let p = self.provider.clone();
        let every = std::time::Duration::from_secs(self.poll_secs);
        // Every node runs the ring's due transitions and re-reads it, so a rotation reaches
        // all of them within seconds even without Redis, and writes the audit counts of
        // high-volume events.
        let poller = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = p.keys.maintain().await {
                    tracing::warn!(error = %e, "key ring maintenance failed");
                }
                if let Err(e) = authorization_server::feeds::deliver_due(&p).await {
                    tracing::warn!(error = %e, "termination feed delivery failed");
                }
                if let Err(e) = authorization_server::retention::run(&p).await {
                    tracing::warn!(error = %e, "retention pass failed");
                }
                if let Err(e) = p.keys.reload().await {
                    tracing::warn!(error = %e, "key ring reload failed");
                }
                if let Some(k) = &p.saml.keys {
                    if let Err(e) = k.reload().await {
                        tracing::warn!(error = %e, "SAML key reload failed");
                    }
                }
                p.audit.flush_counts().await;
            }
        });
        // With Redis, a change made anywhere is announced and picked up at once.
        let listener_task = match self.provider.store.subscribe("keyring").await {
            Ok(mut rx) => {
                let keys = self.provider.keys.clone();
                Some(tokio::spawn(async move {
                    loop {
                        match rx.recv().await {
                            Ok(()) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                if let Err(e) = keys.reload().await {
                                    tracing::warn!(error = %e, "key ring reload failed");
                                }
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                        }
                    }
                }))
            }
            Err(e) => {
                tracing::warn!(error = %e, "no key ring change notices; polling only");
                None
            }
        };
        let router = app(self.provider.clone());
        // The documents relying parties poll most skip the router (same bytes, same headers).
        let documents = self.provider.clone();
        let fast: serve::FastPath =
            Arc::new(move |method, path| idp_web::document_fast_path(&documents, method, path));
        // One stop signal for both listeners.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop.await;
            let _ = stop_tx.send(true);
        });
        let metrics = self.provider.clone();
        let on_close: Arc<dyn Fn(&'static str) + Send + Sync> = Arc::new(move |reason| {
            metrics.metrics.inc(
                "oneid_connections_closed_total",
                format!("reason=\"{reason}\""),
            )
        });
        let limits = serve::ConnLimits {
            on_close: Some(on_close),
            ..self.limits
        };
        let admin = self.admin.map(|l| {
            let r = admin_web::operator::operator_router(self.provider.clone());
            let limits = serve::ConnLimits {
                max_connections: ADMIN_MAX_CONNECTIONS,
                ..limits.clone()
            };
            tokio::spawn(serve::serve(
                l,
                r,
                None,
                None,
                serve::ClientCertSource::default(),
                limits,
                stop_rx.clone(),
            ))
        });
        let r = serve::serve(
            self.listener,
            router,
            Some(fast),
            self.tls,
            self.certs,
            limits,
            stop_rx,
        )
        .await;
        if let Some(a) = admin {
            let _ = a.await;
        }
        poller.abort();
        if let Some(t) = listener_task {
            t.abort();
        }
        self.provider.audit.flush_counts().await;
        self.provider.db.close().await;
        r
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}

/// The three surfaces (the identity provider, the person-facing pages, the administrators')
/// as one application, with the documents relying parties poll most beside the middleware.
pub fn app(p: Arc<Provider>) -> axum::Router {
    let routes = idp_web::routes()
        .merge(account_web::routes())
        .merge(admin_web::routes());
    web::app::assemble(p, routes, idp_web::documents())
}

/// The demo SMART app and FHIR server of `d`, for ONE ID at `issuer`.
pub fn smart_demo_parts(
    d: &demo::SmartDemo,
    issuer: &str,
) -> (smart_app::SmartApp, demo_fhir::DemoFhir) {
    (
        smart_app::SmartApp {
            client_id: demo::SMART_APP_CLIENT.0.into(),
            secret: demo::SMART_APP_CLIENT.1.into(),
            name: demo::SMART_APP_NAME.into(),
            base: d.app_base.clone(),
            fhir_base: d.fhir_base.clone(),
        },
        demo_fhir::DemoFhir {
            issuer: issuer.to_owned(),
            base: d.fhir_base.clone(),
            client_id: demo::FHIR_CLIENT.0.into(),
            secret: demo::FHIR_CLIENT.1.into(),
        },
    )
}
