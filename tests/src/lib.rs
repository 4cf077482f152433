//! End-to-end test helpers: `spawn_app()` starts the real server on port 0 with fresh storage
//! (SQLite + in-process by default; PostgreSQL + Redis when `ONEID_TEST_DATABASE_URL` and
//! `ONEID_TEST_REDIS_URL` are set, a new database and key prefix per test), a `Browser` that
//! keeps cookies and follows nothing by itself, and an `openidconnect` relying party.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use authorization_server::keys::SigAlg;
use authorization_server::{NewClient, Provider};
use base64::Engine as _;
use credential_store::NewAccount;
use oneid::{Config, Parts};
use platform::{EphemeralStore, ManualClock, MemoryStore, RedisStore};
use std::sync::Arc;
use tokio::sync::oneshot;

/// Which storage the suite runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite file + in-process store.
    Embedded,
    /// PostgreSQL + Redis.
    External {
        /// Admin URL of the throwaway cluster.
        pg: String,
        /// Redis URL.
        redis: String,
    },
}

/// The backend chosen by the environment.
pub fn backend() -> Backend {
    match (
        std::env::var("ONEID_TEST_DATABASE_URL"),
        std::env::var("ONEID_TEST_REDIS_URL"),
    ) {
        (Ok(pg), Ok(redis)) if !pg.is_empty() && !redis.is_empty() => {
            Backend::External { pg, redis }
        }
        _ => Backend::Embedded,
    }
}

/// Removes a test's SQLite directory when the last node using it is gone.
#[derive(Debug)]
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Removes `path` (a folder) when dropped.
    pub fn new(path: std::path::PathBuf) -> Self {
        Self(path)
    }

    /// The folder.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Storage for one test: a database URL and how to reach the ephemeral store.
#[derive(Debug, Clone)]
pub struct Storage {
    /// The SQLite directory, removed with the last clone.
    pub dir: Option<Arc<TempDir>>,
    /// Database URL.
    pub db_url: String,
    /// Redis URL, or none for in-process.
    pub redis_url: Option<String>,
    /// Redis key prefix.
    pub prefix: String,
    /// KEK (base64) shared by every node of the test.
    pub kek: String,
}

impl Storage {
    /// Runs the `oneid` command line in-process on this storage, with `stdin` as its standard
    /// input; its exit code and standard output (errors go to standard error, as for a person).
    pub async fn cli(&self, args: &[&str], stdin: &str) -> (i32, String) {
        let overlay = std::env::temp_dir().join(format!(
            "oneid-cli-{}.toml",
            platform::crypto::random_token(6)
        ));
        let toml = format!(
            "[database]\nurl = {:?}\n[ephemeral]\nurl = {:?}\nprefix = {:?}\n[keys]\nkek = {:?}\n[log]\nlevel = \"warn\"\n",
            self.db_url,
            self.redis_url.clone().unwrap_or_default(),
            self.prefix,
            self.kek
        );
        std::fs::write(&overlay, toml).unwrap();
        let mut argv = vec!["oneid", "--config", overlay.to_str().unwrap()];
        argv.extend_from_slice(args);
        let mut input = stdin.as_bytes();
        let mut out = Vec::new();
        let code = oneid::cli::run(argv, &mut input, &mut out).await;
        std::fs::remove_file(&overlay).unwrap();
        (code, String::from_utf8(out).unwrap())
    }
}

static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// Drops the databases earlier test runs left behind: each is named after the process that
/// made it (`oneid_test_{pid}_{tag}`), and a process that no longer runs needs none of them.
/// (A run cannot drop its own at exit: the servers' pools are still open while tests end.)
async fn sweep_databases(pg: &str) {
    let admin = platform::Db::connect(pg, 1).await.unwrap();
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname::text FROM pg_database WHERE datname LIKE 'oneid_test_%'")
            .fetch_all(admin.pool())
            .await
            .unwrap();
    for (name,) in names {
        // Only names of this form: `oneid_test_{pid}_{tag}`.
        let pid = name
            .strip_prefix("oneid_test_")
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(p, _)| p.parse::<u32>().ok());
        let gone = pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists());
        if gone {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(admin.pool())
                .await;
        }
    }
    admin.close().await;
}

/// Fresh storage: a new SQLite file, or a new PostgreSQL database and Redis prefix.
pub async fn fresh_storage() -> Storage {
    let tag = platform::crypto::random_token(9)
        .to_ascii_lowercase()
        .replace(['-', '_'], "x");
    let kek = base64::engine::general_purpose::STANDARD.encode(platform::crypto::random_bytes(32));
    match backend() {
        Backend::Embedded => {
            let dir = std::env::temp_dir().join(format!("oneid-test-{tag}"));
            std::fs::create_dir_all(&dir).unwrap();
            Storage {
                db_url: format!("sqlite://{}?mode=rwc", dir.join("oneid.db").display()),
                dir: Some(Arc::new(TempDir(dir.clone()))),
                redis_url: None,
                prefix: String::new(),
                kek,
            }
        }
        Backend::External { pg, redis } => {
            SWEPT.get_or_init(|| sweep_databases(&pg)).await;
            let name = format!("oneid_test_{}_{tag}", std::process::id());
            let admin = platform::Db::connect(&pg, 1).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(admin.pool())
                .await
                .unwrap();
            admin.close().await;
            let mut u = url::Url::parse(&pg).unwrap();
            u.set_path(&format!("/{name}"));
            Storage {
                dir: None,
                db_url: u.to_string(),
                redis_url: Some(redis),
                prefix: format!("test:{tag}:"),
                kek,
            }
        }
    }
}

/// A running server.
pub struct TestApp {
    /// Base URL (= issuer).
    pub base: String,
    /// Base URL of the admin listener (metrics, health).
    pub admin: String,
    /// Provider state, for seeding and inspecting storage.
    pub provider: Arc<Provider>,
    /// The clock the server reads.
    pub clock: Arc<ManualClock>,
    /// The storage it runs on.
    pub storage: Storage,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

/// Configuration for a test node on `storage`.
pub fn test_config(storage: &Storage) -> Config {
    let mut cfg = Config::defaults().unwrap();
    cfg.http.addr = "127.0.0.1:0".into();
    cfg.database.url = storage.db_url.clone();
    cfg.database.max_connections = 5;
    cfg.ephemeral.url = storage.redis_url.clone().unwrap_or_default();
    cfg.ephemeral.prefix = storage.prefix.clone();
    cfg.keys.kek = storage.kek.clone();
    cfg.mail.outbox = std::env::temp_dir().join(format!(
        "oneid-outbox-{}.jsonl",
        platform::crypto::random_token(9)
    ));
    cfg.stepup.gateway.outbox = std::env::temp_dir().join(format!(
        "oneid-codes-{}.jsonl",
        platform::crypto::random_token(9)
    ));
    // Most tests are about other things: step-up only when a relying party asks for it. The
    // step-up tests choose the production default (unrecognized devices).
    cfg.stepup.policy = step_up::Policy::RelyingPartyOnly;
    cfg.admin.addr = "127.0.0.1:0".into();
    // The registration tests walk the documents' seven steps, ONE Mail Direct's notice among
    // them (off by default: the service is retired).
    cfg.registration.one_mail_step = true;
    // The frame of the pages is one per process: every test app sets the same.
    cfg.pages.privacy_url = PRIVACY_URL.into();
    cfg.pages.service_desk_phone = DESK_PHONE.into();
    cfg
}

/// The privacy notice every test app's footer links to.
pub const PRIVACY_URL: &str = "https://privacy.example.org/oneid";
/// The service desk's number on every test app's pages.
pub const DESK_PHONE: &str = "1-800-555-0199";

/// Starts a server on fresh storage.
pub async fn spawn_app() -> TestApp {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    spawn_on(&storage, clock, None, |_| {}).await
}

/// Starts a server on fresh storage after adjusting its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let storage = fresh_storage().await;
    spawn_on(&storage, Arc::new(ManualClock::new()), None, adjust).await
}

/// Starts a server on fresh storage whose issuer is `http://localhost:<port>`, so that it can
/// be a WebAuthn relying party (an IP address cannot), after adjusting its configuration.
pub async fn spawn_localhost_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let storage = fresh_storage().await;
    spawn_on(&storage, Arc::new(ManualClock::new()), None, move |c| {
        c.http.addr = format!("127.0.0.1:{port}");
        c.issuer = format!("http://localhost:{port}");
        adjust(c);
    })
    .await
}

/// Starts a server on given storage (several nodes share storage this way).
pub async fn spawn_on(
    storage: &Storage,
    clock: Arc<ManualClock>,
    memory: Option<Arc<dyn EphemeralStore>>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut cfg = test_config(storage);
    adjust(&mut cfg);
    let app = oneid::build(
        &cfg,
        Parts {
            clock: Some(clock.clone()),
            store: memory,
        },
    )
    .await
    .expect("server starts");
    // A node served under `localhost` (passkeys: an address is no WebAuthn relying party) is
    // reached by that name.
    let base = if cfg.issuer.starts_with("http://localhost:") {
        cfg.issuer.clone()
    } else {
        format!("http://{}", app.local_addr())
    };
    let admin = app
        .admin_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_default();
    let provider = app.provider();
    let (tx, rx) = oneshot::channel();
    let handle = tokio::spawn(async move {
        let _ = app
            .run_until(async {
                let _ = rx.await;
            })
            .await;
    });
    TestApp {
        base,
        admin,
        provider,
        clock,
        storage: storage.clone(),
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// Two nodes on one storage: one database, one ephemeral store (the same Redis, or the same
/// in-process store object for the embedded backend), one clock, one issuer (node A's URL).
pub async fn spawn_pair() -> (TestApp, TestApp) {
    spawn_pair_with(|_| {}).await
}

/// [`spawn_pair`], with `adjust` applied to both nodes' configuration.
pub async fn spawn_pair_with(adjust: impl Fn(&mut Config)) -> (TestApp, TestApp) {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    let shared: Option<Arc<dyn EphemeralStore>> = match &storage.redis_url {
        Some(_) => None,
        None => Some(Arc::new(MemoryStore::new(clock.clone()))),
    };
    let a = spawn_on(&storage, clock.clone(), shared.clone(), &adjust).await;
    // Behind a load balancer every node answers for one issuer.
    let issuer = a.base.clone();
    let b = spawn_on(&storage, clock, shared, |c| {
        adjust(c);
        c.issuer = issuer;
    })
    .await;
    (a, b)
}

/// `n` server nodes on one storage (one database, one ephemeral store), one clock, one issuer
/// (the first node's URL), as behind a load balancer.
pub async fn spawn_nodes(n: usize) -> Vec<TestApp> {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    let shared: Option<Arc<dyn EphemeralStore>> = match &storage.redis_url {
        Some(_) => None,
        None => Some(Arc::new(MemoryStore::new(clock.clone()))),
    };
    let first = spawn_on(&storage, clock.clone(), shared.clone(), |_| {}).await;
    let issuer = first.base.clone();
    let mut nodes = vec![first];
    for _ in 1..n {
        let issuer = issuer.clone();
        nodes.push(
            spawn_on(&storage, clock.clone(), shared.clone(), |c| {
                c.issuer = issuer
            })
            .await,
        );
    }
    nodes
}

/// A store connected like the server's, for checks from the test side.
pub async fn redis_store(storage: &Storage, clock: Arc<ManualClock>) -> Option<RedisStore> {
    match &storage.redis_url {
        Some(u) => Some(
            RedisStore::connect(u, &storage.prefix, clock)
                .await
                .unwrap(),
        ),
        None => None,
    }
}

/// The demo clinician used by most tests.
pub const LOGIN_ID: &str = "Randy.Burt@ONEID.ON.CA";
/// Their password.
pub const PASSWORD: &str = "Clinic-Rounds-42";

/// The service the harness's relying parties belong to unless a test says otherwise (every
/// relying party that signs people in belongs to one).
pub const TEST_SERVICE: &str = "test-viewers";
/// The organization that sponsors every account `add_user` makes into `TEST_SERVICE`.
pub const TEST_SPONSOR: &str = "test-clinic";

impl TestApp {
    /// The admin listener's metrics (Prometheus text), asserting they answered 200.
    pub async fn metrics(&self) -> String {
        let r = reqwest::get(format!("{}/metrics", self.admin))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "metrics");
        r.text().await.unwrap()
    }

    /// Makes `TEST_SERVICE` (AL1) and `TEST_SPONSOR`, allowed to enrol there (idempotent).
    pub async fn test_service(&self) {
        let dir = &self.provider.registration.directory;
        dir.put_service(&registration::Service {
            id: TEST_SERVICE.into(),
            name: "Test Viewers".into(),
            url: None,
            min_assurance_level: 1,
        })
        .await
        .unwrap();
        dir.put_organization(TEST_SPONSOR, "Test Clinic")
            .await
            .unwrap();
        dir.allow_service(TEST_SPONSOR, TEST_SERVICE).await.unwrap();
    }

    /// Sponsors an account by `TEST_SPONSOR` and enrols it in `TEST_SERVICE`, as an LRA would.
    pub async fn enrol_in_test_service(&self, account_id: &str) {
        self.test_service().await;
        let dir = &self.provider.registration.directory;
        dir.sponsor(account_id, TEST_SPONSOR, None, "test")
            .await
            .unwrap();
        dir.enrol(account_id, TEST_SERVICE, TEST_SPONSOR, "test")
            .await
            .unwrap();
    }

    /// Creates an account, sponsored and enrolled in `TEST_SERVICE`.
    pub async fn add_user(&self, login_id: &str, password: &str) -> String {
        let id = self.add_unenrolled_user(login_id, password).await;
        self.enrol_in_test_service(&id).await;
        id
    }

    /// Creates an account that no one sponsors: it gets into no relying party.
    pub async fn add_unenrolled_user(&self, login_id: &str, password: &str) -> String {
        self.provider
            .accounts
            .create(NewAccount {
                login_id: Some(login_id.into()),
                given_name: "Randy".into(),
                family_name: "Burt".into(),
                birth_date: Some("1971-03-09".into()),
                email: Some("randy.burt@example.org".into()),
                phone: Some("+14165550100".into()),
                locale: "en".into(),
                password: password.into(),
                // An account in use: its holder accepted the current agreement at some first
                // sign-in (tests of that sign-in make their accounts without it).
                agreement_version: Some(self.provider.signup.agreement_version.clone()),
                ..NewAccount::default()
            })
            .await
            .unwrap()
            .id
    }

    /// Gives an account an authenticator app (the second factor a staff role needs first)
    /// and returns its secret.
    pub async fn give_totp(&self, account_id: &str) -> Vec<u8> {
        let secret = step_up::totp::new_secret();
        self.provider
            .accounts
            .set_totp(account_id, &secret)
            .await
            .unwrap();
        secret
    }

    /// A staff account: created, given an authenticator app, then granted `role`
    /// (`administrator` or `service_desk`). Returns its id and TOTP secret.
    pub async fn add_staff(&self, login_id: &str, password: &str, role: &str) -> (String, Vec<u8>) {
        let id = self.add_user(login_id, password).await;
        let secret = self.give_totp(&id).await;
        self.provider
            .accounts
            .grant_role(&id, role, "test")
            .await
            .unwrap();
        (id, secret)
    }

    /// Steps up the session of `b`, on the step-up page `page`, with the authenticator app
    /// of `secret`; returns the answer to the code (a redirect back when it is right).
    pub async fn step_up_totp(
        &self,
        b: &browser::Browser,
        page: &browser::Resp,
        secret: &[u8],
    ) -> browser::Resp {
        let url = format!("{}/stepup", self.base);
        let csrf = page.hidden("csrf").expect("an anti-forgery token");
        let t = page.hidden("t").expect("a step-up page");
        let chosen = b
            .post_form(
                &url,
                &[
                    ("csrf", &csrf),
                    ("t", &t),
                    ("action", "choose"),
                    ("method", "otp"),
                ],
            )
            .await;
        let t = chosen.hidden("t").unwrap_or(t);
        let code = step_up::totp::code_at(secret, platform::Clock::now(self.clock.as_ref()));
        b.post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("t", &t),
                ("action", "verify"),
                ("code", &code),
            ],
        )
        .await
    }

    /// Gives `account_id` a professional designation (`college`, `number`), as a registry or
    /// an LRA would have recorded it.
    pub async fn add_designation(&self, account_id: &str, college: &str, number: &str) {
        sqlx::query(
            "INSERT INTO professional_designations \
             (account_id, college, registration_number, created_at) VALUES ($1, $2, $3, 0)",
        )
        .bind(account_id)
        .bind(college)
        .bind(number)
        .execute(self.provider.db.pool())
        .await
        .unwrap();
    }

    /// The standard clinician.
    pub async fn add_clinician(&self) -> String {
        self.add_user(LOGIN_ID, PASSWORD).await
    }

    /// Registers a confidential client `id` with secret `{id}-secret`, redirect URI
    /// `http://127.0.0.1:9/{id}/cb` and post-logout URI `http://127.0.0.1:9/{id}/bye`.
    pub async fn add_client(&self, id: &str) -> RpConfig {
        self.add_client_with(id, |_| {}).await
    }

    /// Registers a client after adjusting its registration (in `TEST_SERVICE` unless the
    /// adjustment names another service or leaves it out).
    pub async fn add_client_with(&self, id: &str, adjust: impl FnOnce(&mut NewClient)) -> RpConfig {
        self.test_service().await;
        let mut n = NewClient {
            service_id: Some(TEST_SERVICE.into()),
            client_id: id.into(),
            name: format!("Viewer {id}"),
            redirect_uris: vec![format!("http://127.0.0.1:9/{id}/cb")],
            post_logout_redirect_uris: vec![format!("http://127.0.0.1:9/{id}/bye")],
            secret: Some(format!("{id}-secret")),
            ..NewClient::default()
        };
        adjust(&mut n);
        let public = n.public;
        let redirect = n.redirect_uris.first().cloned().unwrap_or_default();
        self.provider.clients.add(n).await.unwrap();
        RpConfig {
            client_id: id.into(),
            secret: (!public).then(|| format!("{id}-secret")),
            redirect_uri: redirect,
            issuer: self.base.clone(),
        }
    }

    /// Registers relying parties whose ID tokens are signed with each algorithm (RS256,
    /// PS256, EdDSA; ES256 signs their access tokens), so that the JWKS publishes a key of
    /// every algorithm (it publishes only those in use).
    pub async fn use_every_algorithm(&self) {
        for alg in [SigAlg::RS256, SigAlg::PS256, SigAlg::EdDSA] {
            let id = format!("uses-{}", alg.as_str().to_ascii_lowercase());
            self.add_client_with(&id, |n| n.id_token_alg = Some(alg))
                .await;
        }
    }

    /// A `client_credentials` access token for `scope`, from a client `ops-<scope>` allowed
    /// `oneid:admin`, `oneid:audit` and `api:read` (registered on first use).
    pub async fn client_token(&self, scope: &str) -> String {
        let id = format!("ops-{}", scope.replace([':', ' '], "-"));
        if self.provider.clients.get(&id).await.unwrap().is_none() {
            self.add_client_with(&id, |n| {
                n.service_id = None;
                n.redirect_uris.clear();
                n.grant_types = vec!["client_credentials".into()];
                n.scopes = vec![
                    "oneid:admin".into(),
                    "oneid:audit".into(),
                    "api:read".into(),
                ];
            })
            .await;
        }
        let v: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/token", self.base))
            .basic_auth(&id, Some(format!("{id}-secret")))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    /// Number of rows in a table.
    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(self.provider.db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap()
    }

    /// A form posted to `path` by the client `id` with its secret (client_secret_basic).
    pub async fn client_post(
        &self,
        path: &str,
        (id, secret): (&str, &str),
        form: &[(&str, &str)],
    ) -> api::Answer {
        let r = api::http()
            .post(format!("{}{path}", self.base))
            .basic_auth(id, Some(secret))
            .form(form)
            .send()
            .await
            .unwrap();
        api::Answer::read(r).await
    }

    /// Audit events named `event`, newest first.
    pub async fn audit(&self, event: &str) -> Vec<platform::audit::AuditRecord> {
        self.provider.audit.recent(Some(event), 100).await.unwrap()
    }
}

/// How a relying party is registered.
#[derive(Debug, Clone)]
pub struct RpConfig {
    /// Client id.
    pub client_id: String,
    /// Secret, for confidential clients.
    pub secret: Option<String>,
    /// Redirect URI.
    pub redirect_uri: String,
    /// Issuer.
    pub issuer: String,
}

pub mod api;
pub mod browser;
pub mod burst;
pub mod gateway;
pub mod jose;
pub mod rp;
pub mod saml;
pub mod smtp;
pub mod webdriver;
