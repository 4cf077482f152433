//! The command line: serve, demo, migrate, and the administration of relying parties,
//! accounts, keys, registries, organizations and services. `main` only calls `run`; tests call it with their own arguments,
//! standard input and output.

use crate::{build, clients_cli, config::Config, core, demo, directory_cli, registries_cli, Parts};
use authorization_server::SigAlg;
use clap::{Args, Parser, Subcommand};
use credential_store::NewAccount;
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
    /// Manage relying parties (OIDC clients).
    #[command(subcommand)]
    Clients(clients_cli::ClientsCmd),
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
    /// Manage clinical services (what sponsors enrol people in).
    #[command(subcommand)]
    Services(directory_cli::ServicesCmd),
    /// Enrol accounts in services through a sponsoring organization (as an LRA would).
    #[command(subcommand)]
    Enrolments(directory_cli::EnrolmentsCmd),
    /// Manage SAML 2.0 service providers (registered from their metadata).
    #[command(subcommand)]
    SamlSps(crate::saml_cli::SamlSpsCmd),
    /// Manage the SAML signing keys (published in the IdP metadata).
    #[command(subcommand)]
    SamlKeys(crate::saml_cli::SamlKeysCmd),
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Create an account; the password is read from standard input.
    Add {
        /// Login ID; generated as First.Last@DOMAIN (next free number) when omitted.
        #[arg(long)]
        login_id: Option<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The password is temporary: it must be changed at the first sign-in.
        #[arg(long)]
        temporary: bool,
        /// Preferred first name.
        #[arg(long)]
        given_name: String,
        /// Middle names.
        #[arg(long)]
        middle_name: Option<String>,
        /// Preferred last name.
        #[arg(long)]
        family_name: String,
        /// Date of birth, YYYY-MM-DD.
        #[arg(long)]
        birth_date: Option<String>,
        /// Email address.
        #[arg(long)]
        email: Option<String>,
        /// Preferred language: en or fr.
        #[arg(long, default_value = "en")]
        locale: String,
        /// Level of assurance, 1 to 3.
        #[arg(long, default_value_t = 1)]
        assurance_level: i64,
        /// A professional designation, COLLEGE:NUMBER (e.g. CPSO:12345); repeatable.
        #[arg(long = "designation")]
        designations: Vec<String>,
        /// A challenge phone (a mobile, for step-up codes by text or call); repeatable. A
        /// staff role is granted only to an account with a second factor: a phone, or an
        /// authenticator app its holder sets up at /account/totp.
        #[arg(long = "phone")]
        phones: Vec<String>,
    },
    /// Forget every recognized computer of an account: its next sign-in anywhere is stepped up.
    ForgetDevices {
        /// Login ID of the account.
        #[arg(long)]
        login_id: String,
    },
    #[command(flatten)]
    Status(StatusCmd),
    /// Grant a role to an account (administrator: the console at /admin/keys; service_desk:
    /// /desk; lra: the LRA console at /lra, for one organization). The account must already
    /// have a second factor (a challenge phone, or an authenticator app): refused otherwise.
    GrantRole {
        /// Login ID of the account.
        #[arg(long)]
        login_id: String,
        /// Role name.
        #[arg(long, value_parser = ["administrator", "service_desk", "lra"])]
        role: String,
        /// The organization an LRA registers for (required with --role lra, only with it).
        #[arg(long)]
        organization: Option<String>,
    },
}

/// `oneid accounts suspend|reinstate|terminate LOGIN_ID`: the account status changes of the
/// admin API, audited with actor `cli`.
#[derive(Subcommand)]
enum StatusCmd {
    /// Suspend an account: its sessions end at once and its refresh tokens are revoked.
    Suspend(StatusArgs),
    /// Reinstate a suspended (or locked) account.
    Reinstate(StatusArgs),
    /// Terminate an account for good: its sessions end and its refresh tokens are revoked.
    Terminate(StatusArgs),
}

#[derive(Args)]
struct StatusArgs {
    /// Login ID of the account.
    login_id: String,
    /// A short reason, kept in the audit trail.
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// List signing keys, their states and ages.
    List,
    /// Start a rotation: a new key, published now, signing after the pre-publish period.
    Rotate {
        /// Algorithm (RS256, ES256, PS256, EdDSA); all four when omitted.
        #[arg(long)]
        alg: Option<String>,
        /// Emergency: sign with the new key at once (relying parties with a cached JWKS may
        /// reject tokens until they refetch it).
        #[arg(long)]
        now: bool,
    },
    /// Make a next (or retired) key the active one now.
    Activate {
        /// Key id.
        kid: String,
    },
    /// Retire an active key (its pending next key takes over) or cancel a next key.
    Retire {
        /// Key id.
        kid: String,
    },
    /// Revoke a compromised key: out of the JWKS at once; an active key is replaced.
    Revoke {
        /// Key id.
        kid: String,
    },
    /// Import a private key made elsewhere (PEM or private JWK) as the next key.
    Import {
        /// Algorithm of the key.
        #[arg(long)]
        alg: String,
        /// File holding the key.
        #[arg(long)]
        file: PathBuf,
        /// Sign with it at once instead of after the pre-publish period.
        #[arg(long)]
        now: bool,
    },
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
            let app = build(&cfg, Parts::default())
                .await
                .map_err(|e| e.to_string())?;
            let p = app.provider();
            let registry = if is_demo {
                demo::seed(&p).await?;
                Some(demo::seed_registry(&p, &cfg.data_dir).await?)
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
                        },
                        l,
                    )),
                    Err(e) => eprintln!("oneid: demo viewer {name} not started ({addr}: {e})"),
                }
            }
            wln!(out, "");
            wln!(
                out,
                "Demo clinical viewers (sign in at one, then open the others):"
            );
            for (v, _) in &viewers {
                wln!(out, "  {:<34} {}/", v.name, v.base);
            }
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
            let r = app.run_until_stopped().await.map_err(|e| e.to_string());
            let _ = stop_tx.send(());
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
        Command::Users(UsersCmd::Add {
            login_id,
            password_stdin: _,
            temporary,
            given_name,
            middle_name,
            family_name,
            birth_date,
            email,
            locale,
            assurance_level,
            designations,
            phones,
        }) => {
            let designations = designations
                .iter()
                .map(|d| match d.split_once(':') {
                    Some((c, n)) => Ok(credential_store::Designation {
                        college: c.to_owned(),
                        registration_number: n.to_owned(),
                    }),
                    None => Err(format!("--designation {d:?}: expected COLLEGE:NUMBER")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut password = String::new();
            stdin
                .read_to_string(&mut password)
                .map_err(|e| format!("reading the password from stdin: {e}"))?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let p = open(&cfg, &issuer).await?;
            let a = p
                .accounts
                .create(NewAccount {
                    login_id,
                    given_name,
                    middle_name,
                    family_name,
                    birth_date,
                    email,
                    locale,
                    assurance_level,
                    designations,
                    password,
                    temporary_password: temporary,
                    phones: phones
                        .into_iter()
                        .map(|n| (n, credential_store::PhoneKind::Mobile))
                        .collect(),
                    ..NewAccount::default()
                })
                .await
                .map_err(|e| e.to_string())?;
            audit(&p, "account.created", &a.id, None).await;
            wln!(out, "created account {} (subject {})", a.login_id, a.id);
            Ok(())
        }
        Command::Users(UsersCmd::ForgetDevices { login_id }) => {
            let p = open(&cfg, &issuer).await?;
            let a = p
                .accounts
                .find_by_login_id(&login_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no account {login_id}"))?;
            let n = p
                .devices
                .revoke_all(&a.id)
                .await
                .map_err(|e| e.to_string())?;
            audit(&p, "device.revoked", &a.id, Some(&format!("all ({n})"))).await;
            wln!(out, "forgot {n} recognized computer(s) of {}", a.login_id);
            Ok(())
        }
        Command::Users(UsersCmd::GrantRole {
            login_id,
            role,
            organization,
        }) => {
            let p = open(&cfg, &issuer).await?;
            let a = p
                .accounts
                .find_by_login_id(&login_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no account {login_id}"))?;
            match (role.as_str(), organization) {
                ("lra", Some(org)) => {
                    p.registration
                        .directory
                        .grant_lra(&org, &a.id, "cli")
                        .await
                        .map_err(|e| e.to_string())?;
                    let detail = format!("lra organization={org}");
                    audit(&p, "account.role_granted", &a.id, Some(&detail)).await;
                    wln!(out, "{} is now an LRA of {org}", a.login_id);
                    return Ok(());
                }
                ("lra", None) => return Err("--role lra needs --organization".into()),
                (_, Some(_)) => return Err("--organization goes with --role lra only".into()),
                (_, None) => {}
            }
            p.accounts
                .grant_role(&a.id, &role, "cli")
                .await
                .map_err(|e| e.to_string())?;
            audit(&p, "account.role_granted", &a.id, Some(&role)).await;
            wln!(out, "{} is now {role}", a.login_id);
            Ok(())
        }
        Command::Users(UsersCmd::Status(c)) => {
            account_status(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Keys(k) => keys(k, &*open(&cfg, &issuer).await?, out).await,
        Command::Registries(c) => {
            registries_cli::registries(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Organizations(c) => {
            directory_cli::organizations(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::Services(c) => directory_cli::services(c, &*open(&cfg, &issuer).await?, out).await,
        Command::Enrolments(c) => {
            directory_cli::enrolments(c, &*open(&cfg, &issuer).await?, out).await
        }
        Command::SamlSps(c) => crate::saml_cli::sps(c, &*open(&cfg, &issuer).await?, out).await,
        Command::SamlKeys(c) => crate::saml_cli::keys(c, &*open(&cfg, &issuer).await?, out).await,
    }
}

async fn account_status(
    cmd: StatusCmd,
    p: &authorization_server::Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    use registration::{Actor, StatusChange};
    let (change, args, done) = match cmd {
        StatusCmd::Suspend(a) => (StatusChange::Suspend, a, "suspended"),
        StatusCmd::Reinstate(a) => (StatusChange::Reinstate, a, "reinstated"),
        StatusCmd::Terminate(a) => (StatusChange::Terminate, a, "terminated"),
    };
    if !args.login_id.contains('@') {
        return Err(format!("{:?} is not a login ID", args.login_id));
    }
    let r = p
        .registration
        .change_status(&args.login_id, change, args.reason.as_deref(), Actor::CLI)
        .await
        .map_err(|e| e.to_string())?;
    if !r.changed {
        wln!(
            out,
            "{} is already {}",
            r.account.login_id,
            r.account.status.as_str()
        );
    } else if change == StatusChange::Reinstate {
        wln!(out, "{} {done}", r.account.login_id);
    } else {
        wln!(
            out,
            "{} {done}: sessions ended, {} refresh token(s) revoked",
            r.account.login_id,
            r.refresh_tokens_revoked
        );
    }
    Ok(())
}

fn when(now: i64, t: Option<i64>) -> String {
    match t {
        None => "-".into(),
        Some(t) if t <= now => format!("{}s ago", now - t),
        Some(t) => format!("in {}s", t - now),
    }
}

async fn keys(
    cmd: KeysCmd,
    p: &authorization_server::Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let ring = &p.keys;
    let alg_of = |s: &str| {
        SigAlg::parse(s).ok_or_else(|| format!("--alg {s:?}: use RS256, ES256, PS256 or EdDSA"))
    };
    match cmd {
        KeysCmd::List => {
            let now = p.clock.now();
            wln!(
                out,
                "{:<22} {:<6} {:<8} {:>14} {:>14} {:>14}",
                "KID",
                "ALG",
                "STATE",
                "CREATED",
                "SIGNS/SIGNED",
                "RETIRED"
            );
            for k in ring.list().await.map_err(|e| e.to_string())? {
                let signs = k.activated_at.or(k.activate_after);
                wln!(
                    out,
                    "{:<22} {:<6} {:<8} {:>14} {:>14} {:>14}",
                    k.kid,
                    k.alg,
                    k.state,
                    when(now, Some(k.created_at)),
                    when(now, signs),
                    when(now, k.retired_at.or(k.revoked_at))
                );
            }
        }
        KeysCmd::Rotate { alg, now } => {
            let algs = match alg.as_deref() {
                Some(a) => vec![alg_of(a)?],
                None => SigAlg::ALL.to_vec(),
            };
            if now {
                eprintln!("oneid: warning: --now signs with the new key at once; relying parties holding a cached JWKS may reject its tokens until they refetch it");
            }
            for a in algs {
                let r = ring
                    .rotate(a, now, "cli")
                    .await
                    .map_err(|e| e.to_string())?;
                wln!(
                    out,
                    "{} {}: new key {} signs {}",
                    r.alg,
                    if now { "rotated" } else { "rotation started" },
                    r.kid,
                    when(p.clock.now(), Some(r.signs_from))
                );
            }
        }
        KeysCmd::Activate { kid } => {
            let old = ring
                .activate(&kid, "cli")
                .await
                .map_err(|e| e.to_string())?;
            wln!(
                out,
                "{kid} is active{}",
                old.map(|o| format!("; {o} retired")).unwrap_or_default()
            );
        }
        KeysCmd::Retire { kid } => {
            ring.retire(&kid, "cli").await.map_err(|e| e.to_string())?;
            wln!(out, "{kid} retired");
        }
        KeysCmd::Revoke { kid } => {
            let r = ring.revoke(&kid, "cli").await.map_err(|e| e.to_string())?;
            wln!(out, "{kid} revoked and removed from the JWKS");
            if let Some(n) = r {
                wln!(out, "{n} signs in its place");
            }
        }
        KeysCmd::Import { alg, file, now } => {
            let material = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let r = ring
                .import(alg_of(&alg)?, &material, now, "cli")
                .await
                .map_err(|e| e.to_string())?;
            wln!(
                out,
                "imported {} key {} signing {}",
                r.alg,
                r.kid,
                when(p.clock.now(), Some(r.signs_from))
            );
        }
    }
    Ok(())
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
