//! `oneid organizations ...` and `oneid services ...`: the sponsors and the clinical services
//! registries enrol their members in. Every change is audited with actor `cli`.

use crate::registries_cli::{level, parse_level};
use authorization_server::Provider;
use clap::Subcommand;
use std::io::Write;

macro_rules! wln {
    ($out:expr, $($arg:tt)*) => {
        let _ = writeln!($out, $($arg)*);
    };
}

/// `oneid organizations ...`
#[derive(Subcommand)]
pub enum OrganizationsCmd {
    /// Add a sponsoring organization (or rename one).
    Add {
        /// Short code.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
    },
    /// List organizations.
    List,
}

/// `oneid services ...`
#[derive(Subcommand)]
pub enum ServicesCmd {
    /// Add a clinical service (or change one).
    Add {
        /// Short code.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Where a person starts using it.
        #[arg(long)]
        url: Option<String>,
        /// Lowest level of assurance it admits: 1, 2 or 3 (or AL1, AL2, AL3).
        #[arg(long, default_value = "1", value_parser = parse_level)]
        min_assurance_level: i64,
    },
    /// List services.
    List,
}

async fn audit(p: &Provider, event: &str, subject: &str, detail: &str) {
    let _ = p
        .audit
        .record(platform::AuditEvent {
            event,
            actor: Some("cli"),
            subject: Some(subject),
            detail: Some(detail),
            ..Default::default()
        })
        .await;
}

/// Runs `oneid organizations ...`.
pub async fn organizations(
    cmd: OrganizationsCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let dir = &p.registration.directory;
    match cmd {
        OrganizationsCmd::Add { id, name } => {
            let before = dir
                .organizations()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|o| o.id == id);
            dir.put_organization(&id, &name)
                .await
                .map_err(|e| e.to_string())?;
            match before {
                None => {
                    audit(
                        p,
                        "organization.added",
                        &id,
                        &format!("name={:?}", name.trim()),
                    )
                    .await;
                    wln!(out, "added organization {id}");
                }
                Some(o) => {
                    let detail = format!("name: {:?} -> {:?}", o.name, name.trim());
                    audit(p, "organization.updated", &id, &detail).await;
                    wln!(out, "renamed organization {id}");
                }
            }
        }
        OrganizationsCmd::List => {
            for o in dir.organizations().await.map_err(|e| e.to_string())? {
                wln!(out, "{}\t{}", o.id, o.name);
            }
        }
    }
    Ok(())
}

/// Runs `oneid services ...`.
pub async fn services(
    cmd: ServicesCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let dir = &p.registration.directory;
    let line = |s: &registration::Service| {
        format!(
            "name={:?} url={} min_level={}",
            s.name,
            s.url.as_deref().unwrap_or("-"),
            level(s.min_assurance_level)
        )
    };
    match cmd {
        ServicesCmd::Add {
            id,
            name,
            url,
            min_assurance_level,
        } => {
            let before = dir
                .services()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|s| s.id == id);
            let s = registration::Service {
                id: id.clone(),
                name: name.trim().to_owned(),
                url,
                min_assurance_level,
            };
            dir.put_service(&s).await.map_err(|e| e.to_string())?;
            match before {
                None => {
                    audit(p, "service.added", &id, &line(&s)).await;
                    wln!(out, "added service {id} ({})", level(min_assurance_level));
                }
                Some(b) => {
                    audit(
                        p,
                        "service.updated",
                        &id,
                        &format!("{} -> {}", line(&b), line(&s)),
                    )
                    .await;
                    wln!(out, "updated service {id} ({})", level(min_assurance_level));
                }
            }
        }
        ServicesCmd::List => {
            for s in dir.services().await.map_err(|e| e.to_string())? {
                wln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    s.id,
                    s.name,
                    level(s.min_assurance_level),
                    s.url.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}
