//! `oneid accounts ...`: create an account, forget its recognized computers, grant a role,
//! and the status changes of the admin API (`registration`'s), audited with actor `cli`.

use super::{audit, open};
use crate::config::Config;
use clap::{Args, Subcommand};
use credential_store::NewAccount;
use std::io::{Read, Write};

#[derive(Subcommand)]
pub(super) enum UsersCmd {
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
pub(super) enum StatusCmd {
    /// Suspend an account: its sessions end at once and its refresh tokens are revoked.
    Suspend(StatusArgs),
    /// Reinstate a suspended (or locked) account.
    Reinstate(StatusArgs),
    /// Terminate an account for good: its sessions end and its refresh tokens are revoked.
    Terminate(StatusArgs),
}

#[derive(Args)]
pub(super) struct StatusArgs {
    /// Login ID of the account.
    login_id: String,
    /// A short reason, kept in the audit trail.
    #[arg(long)]
    reason: Option<String>,
}

/// Runs `oneid accounts ...`; each command opens the storage when it needs it.
pub(super) async fn users(
    cmd: UsersCmd,
    cfg: &Config,
    issuer: &str,
    stdin: &mut (dyn Read + Send),
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    match cmd {
        UsersCmd::Add {
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
        } => {
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
            let p = open(cfg, issuer).await?;
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
        UsersCmd::ForgetDevices { login_id } => {
            let p = open(cfg, issuer).await?;
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
        UsersCmd::GrantRole {
            login_id,
            role,
            organization,
        } => {
            let p = open(cfg, issuer).await?;
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
        UsersCmd::Status(c) => account_status(c, &*open(cfg, issuer).await?, out).await,
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
