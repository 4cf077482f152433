//! `oneid organizations process|suspend-registration|reinstate-registration|
//! terminate-registration|import-terminations`: a registering organization's managed
//! registration process (004 §6), held to the rules of registries. Audited with actor `cli`.

use crate::registries_cli::show::window;
use authorization_server::Provider;
use clap::Subcommand;
use registration::processes::{ApprovalInput, Process, ProcessStatus};
use registration::Actor;
use std::io::Write;
use std::path::PathBuf;

/// The managed-process subcommands of `oneid organizations`.
#[derive(Subcommand)]
pub enum ProcessCmd {
    /// Show or set the approval of an organization's managed registration process: general,
    /// or limited to some services (`--service`, repeatable) and dates.
    Process {
        /// The organization's short code.
        organization: String,
        /// General (any service) or limited (its services, inside the dates); absent: show.
        #[arg(long, value_parser = ["general", "limited"])]
        approval: Option<String>,
        /// Limited approval from this day (YYYY-MM-DD, 00:00 UTC).
        #[arg(long)]
        approved_from: Option<String>,
        /// Limited approval until this day inclusive (YYYY-MM-DD, 23:59:59 UTC).
        #[arg(long)]
        approved_until: Option<String>,
        /// A service of a limited approval (repeatable).
        #[arg(long = "service")]
        services: Vec<String>,
    },
    /// Suspend the managed registration process (from a day, default now); the organization
    /// still sponsors.
    SuspendRegistration {
        /// The organization's short code.
        organization: String,
        /// From this day (YYYY-MM-DD, 00:00 UTC).
        #[arg(long)]
        from: Option<String>,
    },
    /// Reinstate the managed registration process.
    ReinstateRegistration {
        /// The organization's short code.
        organization: String,
        /// From this day (YYYY-MM-DD, 00:00 UTC).
        #[arg(long)]
        from: Option<String>,
    },
    /// Terminate the managed registration process (final) from a day, default now.
    TerminateRegistration {
        /// The organization's short code.
        organization: String,
        /// From this day (YYYY-MM-DD, 00:00 UTC).
        #[arg(long)]
        from: Option<String>,
    },
    /// Terminate the accounts of the affiliates the organization reports as no longer
    /// registered: one identifier (the organization's) per line; blank lines and `#` comments
    /// are skipped.
    ImportTerminations {
        /// The organization's short code.
        organization: String,
        /// The list.
        #[arg(long)]
        file: PathBuf,
    },
}

fn show(p: &Process) -> String {
    let day = |t: Option<i64>| t.map_or("-".into(), web::widgets::date);
    format!(
        "{}: approval {}{} status {} from {} (before: {})",
        p.organization_id,
        p.approval,
        if p.approval == "limited" {
            format!(
                " {}..{} services={}",
                day(p.approved_from),
                day(p.approved_until),
                p.services.join(",")
            )
        } else {
            String::new()
        },
        p.status.as_str(),
        web::widgets::date(p.status_from),
        p.previous_status.as_str()
    )
}

fn day(flag: &str, v: Option<String>) -> Result<Option<i64>, String> {
    Ok(window(flag, v.as_deref(), false)?.flatten())
}

/// Runs one of these subcommands.
pub async fn run(
    cmd: ProcessCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let reg = &p.registration;
    let cli = Actor::CLI;
    let fail = |e: registration::AdminError| e.to_string();
    let status = |org: String, s: ProcessStatus, from: Option<String>| async move {
        let from = day("--from", from)?;
        let proc = reg
            .set_process_status(&org, s, from, cli)
            .await
            .map_err(fail)?;
        Ok::<_, String>(proc)
    };
    let proc = match cmd {
        ProcessCmd::Process {
            organization,
            approval,
            approved_from,
            approved_until,
            services,
        } => match approval {
            None => reg
                .process(&organization)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{organization} has no managed registration process"))?,
            Some(approval) => {
                let input = ApprovalInput {
                    approval,
                    approved_from: day("--approved-from", approved_from)?,
                    approved_until: window("--approved-until", approved_until.as_deref(), true)?
                        .flatten(),
                    services,
                };
                reg.set_process_approval(&organization, input, cli)
                    .await
                    .map_err(fail)?
            }
        },
        ProcessCmd::SuspendRegistration { organization, from } => {
            status(organization, ProcessStatus::Suspended, from).await?
        }
        ProcessCmd::ReinstateRegistration { organization, from } => {
            status(organization, ProcessStatus::Active, from).await?
        }
        ProcessCmd::TerminateRegistration { organization, from } => {
            status(organization, ProcessStatus::Terminated, from).await?
        }
        ProcessCmd::ImportTerminations { organization, file } => {
            let members = crate::registries_cli::identifiers_in(&file)?;
            let t = reg
                .terminate_affiliates(&organization, &members, cli)
                .await
                .map_err(fail)?;
            let unknown = "no affiliate registered with that identifier";
            let who = format!("organization {organization}");
            crate::registries_cli::terminations_said(out, &who, &t, unknown)?;
            return Ok(());
        }
    };
    wln!(out, "{}", show(&proc));
    Ok(())
}
