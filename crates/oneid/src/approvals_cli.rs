//! `oneid approvals ...`: approvals of registries and managed processes as records (004
//! §5.2-5.3, §6.2-6.3) and the self-registrations held because their identity matched an
//! existing account (one person, one account). Audited with actor `cli`.

use crate::registries_cli::show::window;
use authorization_server::Provider;
use clap::Subcommand;
use registration::approvals::{ReviewInput, Subject};
use registration::Actor;
use std::io::Write;

/// `oneid approvals ...`
#[derive(Subcommand)]
pub enum ApprovalsCmd {
    /// List the approvals due for review, and why.
    Due,
    /// List the reviews of an approval, newest first.
    Reviews {
        /// `registry` or `process`.
        kind: String,
        /// The registry's id, or the registering organization's.
        id: String,
    },
    /// Record a review and put its decision in force.
    Review {
        /// `registry` or `process`.
        kind: String,
        /// The registry's id, or the registering organization's.
        id: String,
        /// Who reviewed (name, role).
        #[arg(long)]
        reviewed_by: String,
        /// general or limited.
        #[arg(long, value_parser = ["general", "limited"])]
        decision: String,
        /// A service of a process's limited approval (repeatable).
        #[arg(long = "service")]
        services: Vec<String>,
        /// Limited approval from this day (YYYY-MM-DD).
        #[arg(long)]
        approved_from: Option<String>,
        /// Limited approval until this day inclusive (YYYY-MM-DD).
        #[arg(long)]
        approved_until: Option<String>,
        /// The owner's named contacts.
        #[arg(long)]
        contacts: String,
        /// The day of the next review (YYYY-MM-DD).
        #[arg(long)]
        next_review: String,
    },
    /// Report a significant change or a change of corporate structure: due for review.
    Change {
        /// `registry` or `process`.
        kind: String,
        /// The registry's id, or the registering organization's.
        id: String,
        /// significant_change or corporate_structure.
        #[arg(long = "kind", value_parser = ["significant_change", "corporate_structure"])]
        change: String,
        /// What changed.
        #[arg(long)]
        note: Option<String>,
    },
    /// List the self-registrations held for review (one person, one account).
    Held,
    /// Resolve a held registration: link (the same person) or release (a different person).
    Resolve {
        /// The registry.
        registry: String,
        /// The registry's identifier of the member.
        member: String,
        /// link or release.
        #[arg(value_parser = ["link", "release"])]
        action: String,
    },
}

fn subject(kind: &str) -> Result<Subject, String> {
    Subject::parse(kind).ok_or_else(|| "the kind is registry or process".to_owned())
}

fn day(t: i64) -> String {
    web::widgets::date(t)
}

/// Runs `oneid approvals ...`.
pub async fn approvals(
    cmd: ApprovalsCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let reg = &p.registration;
    let cli = Actor::CLI;
    let fail = |e: registration::AdminError| e.to_string();
    match cmd {
        ApprovalsCmd::Due => {
            let due = reg.approvals_due().await.map_err(fail)?;
            if due.is_empty() {
                wln!(out, "no approval is due for review");
            }
            for d in due {
                wln!(
                    out,
                    "{}\t{}\t{}\tsince {}",
                    d.subject.as_str(),
                    d.subject_id,
                    d.reason,
                    day(d.since)
                );
            }
        }
        ApprovalsCmd::Reviews { kind, id } => {
            for r in reg.reviews(subject(&kind)?, &id).await.map_err(fail)? {
                wln!(
                    out,
                    "{}\t{} by {}\tcontacts {}\tnext review {}",
                    day(r.reviewed_at),
                    r.decision,
                    r.reviewed_by,
                    r.contacts,
                    day(r.next_review_at)
                );
            }
        }
        ApprovalsCmd::Review {
            kind,
            id,
            reviewed_by,
            decision,
            services,
            approved_from,
            approved_until,
            contacts,
            next_review,
        } => {
            let next = window("--next-review", Some(&next_review), false)?
                .flatten()
                .ok_or("--next-review is a day (YYYY-MM-DD)")?;
            let input = ReviewInput {
                reviewed_by,
                reviewed_at: None,
                decision,
                services,
                approved_from: window("--approved-from", approved_from.as_deref(), false)?
                    .flatten(),
                approved_until: window("--approved-until", approved_until.as_deref(), true)?
                    .flatten(),
                contacts,
                next_review_at: next,
            };
            let r = reg
                .record_review(subject(&kind)?, &id, input, cli)
                .await
                .map_err(fail)?;
            wln!(
                out,
                "reviewed {kind} {id}: {}; next review {}",
                r.decision,
                day(r.next_review_at)
            );
        }
        ApprovalsCmd::Change {
            kind,
            id,
            change,
            note,
        } => {
            reg.report_change(subject(&kind)?, &id, &change, note.as_deref(), cli)
                .await
                .map_err(fail)?;
            wln!(out, "{kind} {id}: due for review ({change})");
        }
        ApprovalsCmd::Held => {
            for h in reg.held().await.map_err(fail)? {
                wln!(
                    out,
                    "{}\t{}\t{}\tmatches account {}\theld {}",
                    h.registry_id,
                    h.member_id,
                    h.identity,
                    h.account_id,
                    day(h.held_at)
                );
            }
        }
        ApprovalsCmd::Resolve {
            registry,
            member,
            action,
        } => {
            reg.resolve_held(&registry, &member, &action, cli)
                .await
                .map_err(fail)?;
            wln!(out, "{registry} {member}: {action}ed");
        }
    }
    Ok(())
}
