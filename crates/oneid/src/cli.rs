//! The command line: serve, demo, migrate, and the administration of relying parties,
//! accounts (`accounts`), keys (`keys`), registries, organizations and services. `main` only
//! calls `run`; tests call it with their own arguments, standard input and output.

mod accounts;
mod audit;
mod keys;

use crate::{build, clients_cli, config::Config, core, demo, directory_cli, registries_cli, Parts};
use accounts::UsersCmd;
use clap::{Parser, Subcommand};
use keys::{keys, KeysCmd};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "oneid",
    version,
    about = "oneid: a federated identity provider for health care"
)]
struct Cli {
    /// Overlay configuration file (TOML) on top of the embedded default.
    #[arg(long, global = true, env = "ONEID_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Run the server with demo relying parties and a demo clinician.
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Make a self-signed TLS certificate and key for local use (then set tls.cert_file and
    /// tls.key_file to them).
    DevCert {
        /// Folder for cert.pem and key.pem.
        #[arg(long, default_value = "keys/dev-cert")]
        dir: std::path::PathBuf,
        /// Host names and addresses it is valid for (repeatable).
        #[arg(long = "host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        hosts: Vec<String>,
    },
    /// Fill the database with a fictional province for measuring growth (reproducible from
    /// the seed): accounts with realistic names, designations and phones, one password.
    Populate {
        /// How many accounts to add.
        #[arg(long)]
        accounts: usize,
        /// The seed: the same seed, the same people.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Every account's password (required: never a default that ships in the code). Run
        /// it against a measurement database only, never a real one.
        #[arg(long)]
        password: String,
        /// Also the province around them, in proportion (per million accounts: 20,000
        /// organizations with their LRAs, 50 services, 2,000,000 enrolments, 200 registries
        /// with members and terminations, 2,000,000 devices, 50,000,000 audit rows over two
        /// years).
        #[arg(long)]
        province: bool,
        /// With --province: this many audit rows instead (0: none).
        #[arg(long, requires = "province")]
        audit_rows: Option<usize>,
    },
    /// Manage relying parties (OIDC clients).
    #[command(subcommand)]
    Clients(clients_cli::ClientsCmd),
    /// Manage resource servers (APIs, FHIR servers) and which relying parties may get tokens
    /// for them.
    #[command(subcommand)]
    Resources(crate::resources_cli::ResourcesCmd),
    /// Manage accounts.
    #[command(subcommand, alias = "accounts")]
    Users(UsersCmd),
    /// Inspect the signing key ring.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Manage trusted registries whose members self-register (keys, status, terminations).
    #[command(subcommand, alias = "registry")]
    Registries(registries_cli::RegistriesCmd),
    /// Manage sponsoring organizations.
    #[command(subcommand)]
    Organizations(directory_cli::OrganizationsCmd),
    /// Approvals of registries and managed processes (reviews, changes, what is due), and
    /// self-registrations held because they matched an existing account.
    #[command(subcommand)]
    Approvals(crate::approvals_cli::ApprovalsCmd),
    /// Manage clinical services (what sponsors enrol people in).
    #[command(subcommand)]
    Services(directory_cli::ServicesCmd),
    /// Enrol accounts in services through a sponsoring organization (as an LRA would).
    #[command(subcommand)]
    Enrolments(directory_cli::EnrolmentsCmd),
    /// Audit retention: run an archiving pass, check an archive folder.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Manage SAML 2.0 service providers (registered from their metadata).
    #[command(subcommand)]
    SamlSps(crate::saml_cli::SamlSpsCmd),
    /// Manage the SAML signing keys (published in the IdP metadata).
    #[command(subcommand)]
    SamlKeys(crate::saml_cli::SamlKeysCmd),
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log.level));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (tests run several commands in one process) keeps the first subscriber.
    let _ = if cfg.log.format == "json" {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

/// Parses `args` (including the program name) and runs the command. Returns the process
/// exit code: 0 on success, 1 on failure, 2 on bad usage or configuration.
pub async fn run<I, T>(args: I, stdin: &mut (dyn Read + Send), out: &mut (dyn Write + Send)) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let cfg = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("oneid: {e}");
            return 2;
        }
    };
    init_logging(&cfg);
    match command(cli.command.unwrap_or(Command::Serve), cfg, stdin, out).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("oneid: {e}");
            1
        }
    }
}

async fn command(
    cmd: Command,
    cfg: Config,
    stdin: &mut (dyn Read + Send),
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let issuer = if cfg.issuer.is_empty() {
        format!("http://{}", cfg.http.addr)
    } else {
        cfg.issuer.clone()
    };
    match cmd {
        Command::Serve | Command::Demo => {
            let is_demo = matches!(cmd, Command::Demo);
            let mut cfg = cfg;
            if is_demo && cfg.stepup.gateway.base_url.is_empty() {
                // A newcomer has no phone to receive the codes: show them on a page.
                cfg.stepup.demo_codes_page = true;
            }
            if is_demo && cfg.issuer.is_empty() && cfg.tls.cert_file.as_os_str().is_empty() {
                // Passkeys need a host name (an address is no WebAuthn relying party): the demo
                // on loopback is served as `localhost`.
                if let Some(port) = cfg.http.addr.strip_prefix("127.0.0.1:") {
                    cfg.issuer = format!("http://localhost:{port}");
                }
            }
            if is_demo && cfg.pages.service_desk_phone.is_empty() {
                // A fictional number (555-01xx), so that the footer shows where it goes.
                cfg.pages.service_desk_phone = "1-800-555-0199".into();
            }
            let smart = demo::SmartDemo::fixed();
            if is_demo && cfg.clients.fhir_user.is_empty() {
                // The demo FHIR server's Practitioner of the demo clinician's CPSO number.
                cfg.clients.fhir_user =
                    format!("{}/Practitioner/{{registration_number}}", smart.fhir_base);
            }
            let app = build(&cfg, Parts::default())
                .await
                .map_err(|e| e.to_string())?;
            let p = app.provider();
            let registry = if is_demo {
                demo::seed(&p).await?;
                let registry = demo::seed_registry(&p, &cfg.data_dir).await?;
                demo::seed_smart(&p, &smart).await?;
                Some(registry)
            } else {
                None
            };
            let base = &p.cfg.issuer;
            wln!(
                out,
                "oneid listening on http://{} (issuer {base})",
                app.local_addr()
            );
            wln!(out, "  discovery: {base}/.well-known/openid-configuration");
            wln!(out, "  SAML 2.0 IdP metadata: {base}/saml/metadata");
            if !is_demo {
                return app.run_until_stopped().await.map_err(|e| e.to_string());
            }
            let mut viewers = Vec::new();
            for (id, name, port, secret, theme) in demo::VIEWERS {
                let addr = format!("127.0.0.1:{port}");
                match tokio::net::TcpListener::bind(&addr).await {
                    Ok(l) => viewers.push((
                        crate::viewers::Viewer {
                            client_id: (*id).to_owned(),
                            secret: (*secret).to_owned(),
                            name: (*name).to_owned(),
                            theme,
                            base: format!("http://{addr}"),
                            launch: None,
                        },
                        l,
                    )),
                    Err(e) => eprintln!("oneid: demo viewer {name} not started ({addr}: {e})"),
                }
            }
            let (smart_app, fhir) = crate::smart_demo_parts(&smart, &p.cfg.issuer);
            let ehr_addr = smart.ehr_base.trim_start_matches("http://").to_owned();
            match tokio::net::TcpListener::bind(&ehr_addr).await {
                Ok(l) => viewers.push((
                    crate::viewers::Viewer {
                        client_id: demo::EHR_CLIENT.0.into(),
                        secret: demo::EHR_CLIENT.1.into(),
                        name: demo::EHR_NAME.into(),
                        theme: "ehr",
                        base: smart.ehr_base.clone(),
                        launch: Some(crate::viewers::Launcher {
                            app_client_id: smart_app.client_id.clone(),
                            app_name: "medication viewer".into(),
                            app_launch_url: format!("{}/launch", smart.app_base),
                            fhir_base: smart.fhir_base.clone(),
                        }),
                    },
                    l,
                )),
                Err(e) => eprintln!("oneid: demo record system not started ({ehr_addr}: {e})"),
            }
            wln!(out, "");
            wln!(
                out,
                "Demo clinical viewers (sign in at one, then open the others):"
            );
            for (v, _) in viewers.iter().filter(|(v, _)| v.launch.is_none()) {
                wln!(out, "  {:<34} {}/", v.name, v.base);
            }
            wln!(
                out,
                "Demo SMART App Launch (open a patient in the record system, or the app alone):"
            );
            wln!(out, "  {:<34} {}/", demo::EHR_NAME, smart.ehr_base);
            wln!(out, "  {:<34} {}/", demo::SMART_APP_NAME, smart.app_base);
            wln!(out, "  {:<34} {}", "FHIR server", smart.fhir_base);
            let portal_addr = format!("127.0.0.1:{}", demo::PORTAL_PORT);
            let portal = match (registry, tokio::net::TcpListener::bind(&portal_addr).await) {
                (Some(registry), Ok(l)) => {
                    let portal = crate::demo_registry::Portal {
                        issuer: p.cfg.issuer.clone(),
                        registry,
                        members: crate::demo_registry::demo_members(),
                        base: format!("http://{portal_addr}"),
                    };
                    wln!(
                        out,
                        "Demo registry (self-registration: sign up for ONE ID as a member):"
                    );
                    wln!(
                        out,
                        "  {:<34} {}/",
                        crate::demo_registry::PORTAL_NAME,
                        portal.base
                    );
                    Some((portal, l))
                }
                (_, Err(e)) => {
                    eprintln!("oneid: demo member portal not started ({portal_addr}: {e})");
                    None
                }
                (None, _) => None,
            };
            wln!(
                out,
                "Demo clinician: login ID {}  password {}",
                demo::DEMO_LOGIN_ID,
                demo::DEMO_PASSWORD
            );
            wln!(
                out,
                "Demo staff (administrator, service desk, LRA of the CPSO): login ID {}  \
                 password {}  ({}/admin, {}/desk, {}/lra); clinicians: {}/account",
                demo::DEMO_STAFF_LOGIN_ID,
                demo::DEMO_STAFF_PASSWORD,
                issuer,
                issuer,
                issuer,
                issuer
            );
            wln!(
                out,
                "Demo LRA of {} (managed registration, AL2): login ID {}  password {}  ({}/lra)",
                demo::DEMO_REGISTERING_ORG.1,
                demo::DEMO_UHN_LRA_LOGIN_ID,
                demo::DEMO_UHN_LRA_PASSWORD,
                issuer
            );
            if cfg.stepup.demo_codes_page {
                wln!(
                    out,
                    "A sign-in from a new browser is stepped up: the codes \"sent\" by text \
                     message or call are at {issuer}/demo/codes"
                );
            }
            let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
            let mut stop_rx = stop_tx.subscribe();
            let viewers_task = tokio::spawn(crate::viewers::serve(
                p.cfg.issuer.clone(),
                viewers,
                async move {
                    let _ = stop_rx.recv().await;
                },
            ));
            let portal_task = portal.map(|(portal, l)| {
                let mut stop_rx = stop_tx.subscribe();
                tokio::spawn(crate::demo_registry::serve(portal, l, async move {
                    let _ = stop_rx.recv().await;
                }))
            });
            let mut smart_tasks = Vec::new();
            let app_addr = smart.app_base.trim_start_matches("http://").to_owned();
            match tokio::net::TcpListener::bind(&app_addr).await {
                Ok(l) => {
                    let mut stop_rx = stop_tx.subscribe();
                    smart_tasks.push(tokio::spawn(crate::smart_app::serve(
                        smart_app,
                        l,
                        async move {
                            let _ = stop_rx.recv().await;
                        },
                    )));
                }
                Err(e) => eprintln!("oneid: demo SMART app not started ({app_addr}: {e})"),
            }
            let fhir_addr = format!("127.0.0.1:{}", demo::SMART_PORTS.2);
            match tokio::net::TcpListener::bind(&fhir_addr).await {
                Ok(l) => {
                    let mut stop_rx = stop_tx.subscribe();
                    smart_tasks.push(tokio::spawn(crate::demo_fhir::serve(fhir, l, async move {
                        let _ = stop_rx.recv().await;
                    })));
                }
                Err(e) => eprintln!("oneid: demo FHIR server not started ({fhir_addr}: {e})"),
            }
            let r = app.run_until_stopped().await.map_err(|e| e.to_string());
            let _ = stop_tx.send(());
            for t in smart_tasks {
                let _ = t.await;
            }
            let _ = viewers_task.await;
            if let Some(t) = portal_task {
                let _ = t.await;
            }
            r
        }
        Command::DevCert { dir, hosts } => {
            let (cert, key) = crate::tls::dev_cert(&dir, &hosts)?;
            wln!(
                out,
                "wrote {} and {} (self-signed, 90 days, for {}); serve with\n  \
                 ONEID__TLS__CERT_FILE={} ONEID__TLS__KEY_FILE={} oneid serve",
                cert.display(),
                key.display(),
                hosts.join(", "),
                cert.display(),
                key.display()
            );
            Ok(())
        }
        Command::Migrate => {
            open(&cfg, &issuer).await?;
            wln!(out, "migrations applied; key ring ready");
            Ok(())
        }
        Command::Clients(c) => clients_cli::clients(c, &*open(&cfg, &issuer).await?, out).await,
        Command::Resources(c) => {
            crate::resources_cli::resources(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Users(c) => accounts::users(c, &cfg, &issuer, stdin, out).await,
        Command::Populate {
            accounts,
            seed,
            password,
            province,
            audit_rows,
        } => {
            let p = open(&cfg, &issuer).await?;
            let url = cfg.database_url().map_err(|e| e.to_string())?;
            let shape = province.then(|| {
                let mut s = crate::province::Shape::province(accounts);
                if let Some(n) = audit_rows {
                    s.audit_rows = n;
                }
                s
            });
            let n =
                crate::populate::populate(&p, accounts, seed, &password, shape, &url, out).await?;
            wln!(out, "added {n} accounts");
            Ok(())
        }
        Command::Keys(k) => keys(k, &*open(&cfg, &issuer).await?, out).await,
        Command::Registries(c) => {
            registries_cli::registries(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Approvals(c) => {
            crate::approvals_cli::approvals(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Organizations(c) => {
            directory_cli::organizations(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Services(c) => directory_cli::services(c, &*open(&cfg, &issuer).await?, out).await,
        Command::Enrolments(c) => {
            directory_cli::enrolments(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Audit(c) => audit::audit(c, &cfg, &issuer, out).await,
        Command::SamlSps(c) => crate::saml_cli::sps(c, &*open(&cfg, &issuer).await?, out).await,
        Command::SamlKeys(c) => crate::saml_cli::keys(c, &*open(&cfg, &issuer).await?, out).await,
    }
}

/// Audits an administrative command: actor `cli`, its subject, and for a relying party the
/// client id too.
pub(crate) async fn audit(
    p: &authorization_server::Provider,
    event: &str,
    subject: &str,
    detail: Option<&str>,
) {
    let client_id = event.starts_with("client.").then_some(subject);
    let _ = p
        .audit
        .record(platform::AuditEvent {
            event,
            actor: Some("cli"),
            subject: Some(subject),
            client_id,
            detail,
            ..Default::default()
        })
        .await;
}

/// Storage, migrations and key ring for an administrative command.
async fn open(
    cfg: &Config,
    issuer: &str,
) -> Result<std::sync::Arc<authorization_server::Provider>, String> {
    core(cfg, issuer, Parts::default())
        .await
        .map(|c| c.provider)
        .map_err(|e| e.to_string())
}
