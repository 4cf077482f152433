//! `oneid organizations ...`, `oneid services ...` and `oneid enrolments ...`: the sponsors,
//! the clinical services registries enrol their members in, and enrolments made by an
//! administrator (what an LRA does at its console). Every change is audited with actor `cli`.

mod process;

use crate::registries_cli::{level, parse_level};
use authorization_server::Provider;
use clap::Subcommand;
use std::io::Write;

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
    /// Change an organization's managed registration process (004 §6): whether it is a
    /// registering organization, the level assigned to its process, how it identifies its
    /// people, and the scope of its approval.
    Update {
        /// Short code.
        id: String,
        /// It is a registering client organization (its LRAs register affiliates).
        #[arg(long, conflicts_with = "not_registering")]
        registering: bool,
        /// It is not (any more).
        #[arg(long)]
        not_registering: bool,
        /// Level assigned to its managed registration process: 1, 2 or 3 (or AL1..AL3).
        #[arg(long, value_parser = parse_level)]
        assurance_level: Option<i64>,
        /// How it identifies its people, e.g. "employee number" (empty clears it).
        #[arg(long)]
        id_scheme: Option<String>,
        /// The scope of its approval, in words (empty clears it).
        #[arg(long)]
        scope: Option<String>,
    },
    /// Let an organization sponsor people into a service (its LRAs may enrol them there).
    AllowService {
        /// The organization's short code.
        organization: String,
        /// The service's short code.
        service: String,
    },
    #[command(flatten)]
    Process(process::ProcessCmd),
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

/// `oneid enrolments ...`
#[derive(Subcommand)]
pub enum EnrolmentsCmd {
    /// Sponsor an account by an organization (unless it already does) and enrol it in a
    /// service the organization may sponsor into, when the account's level of assurance meets
    /// the service's. Access starts at once.
    Add(EnrolArgs),
    /// End an account's enrolment in a service through an organization.
    End(EnrolArgs),
    /// List an account's enrolments.
    List {
        /// Login ID of the account.
        #[arg(long)]
        login_id: String,
    },
}

/// Who, through which sponsor, into what.
#[derive(clap::Args)]
pub struct EnrolArgs {
    /// Login ID of the account.
    #[arg(long)]
    login_id: String,
    /// The sponsoring organization's short code.
    #[arg(long)]
    organization: String,
    /// The service's short code.
    #[arg(long)]
    service: String,
}

/// Runs `oneid enrolments ...`.
pub async fn enrolments(
    cmd: EnrolmentsCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let dir = &p.registration.directory;
    let account = |login_id: String| async move {
        p.accounts
            .find_by_login_id(&login_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no account {login_id}"))
    };
    match cmd {
        EnrolmentsCmd::Add(a) => {
            let acc = account(a.login_id).await?;
            let (sponsored, enrolled) = dir
                .sponsor_and_enrol(&acc.id, &a.organization, &a.service, "cli")
                .await
                .map_err(|e| e.to_string())?;
            if sponsored {
                let detail = format!("org={} sponsorship: none -> active", a.organization);
                audit(p, "sponsorship.started", &acc.id, &detail).await;
            }
            if enrolled {
                let detail = format!(
                    "org={} service={} enrolment: none -> active",
                    a.organization, a.service
                );
                audit(p, "enrolment.added", &acc.id, &detail).await;
                wln!(
                    out,
                    "{} is enrolled in {} through {}",
                    acc.login_id,
                    a.service,
                    a.organization
                );
            } else {
                wln!(
                    out,
                    "{} already was enrolled in {} through {}",
                    acc.login_id,
                    a.service,
                    a.organization
                );
            }
        }
        EnrolmentsCmd::End(a) => {
            let acc = account(a.login_id).await?;
            if !dir
                .end_enrolment(&acc.id, &a.service, &a.organization)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!(
                    "{} is not enrolled in {} through {}",
                    acc.login_id, a.service, a.organization
                ));
            }
            let detail = format!(
                "org={} service={} enrolment: active -> ended",
                a.organization, a.service
            );
            audit(p, "enrolment.ended", &acc.id, &detail).await;
            wln!(out, "ended {}'s enrolment in {}", acc.login_id, a.service);
        }
        EnrolmentsCmd::List { login_id } => {
            let acc = account(login_id).await?;
            for e in dir.enrolments(&acc.id).await.map_err(|e| e.to_string())? {
                wln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    e.service.id,
                    e.sponsor_id,
                    e.status,
                    e.authorized_by
                );
            }
        }
    }
    Ok(())
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

/// An organization's managed-registration settings on one line (CLI and audit).
fn summary(o: &registration::services::OrganizationRecord) -> String {
    format!(
        "registering={} level={} id_scheme={:?} scope={:?}",
        o.registering,
        o.assurance_level
            .map_or_else(|| "-".to_owned(), |l| format!("AL{l}")),
        o.id_scheme.as_deref().unwrap_or(""),
        o.scope.as_deref().unwrap_or("")
    )
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
            let before = dir.organization(&id).await.map_err(|e| e.to_string())?;
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
            // A page at a time: a province has tens of thousands.
            let mut after: Option<String> = None;
            loop {
                let page = dir
                    .organization_page(after.as_deref(), None, 1000)
                    .await
                    .map_err(|e| e.to_string())?;
                for o in &page.rows {
                    if o.registering {
                        wln!(out, "{}\t{}\t{}", o.id, o.name, summary(o));
                    } else {
                        wln!(out, "{}\t{}", o.id, o.name);
                    }
                }
                match page.next_cursor(|o| &o.id) {
                    Some(next) => after = Some(next.to_owned()),
                    None => break,
                }
            }
        }
        OrganizationsCmd::Update {
            id,
            registering,
            not_registering,
            assurance_level,
            id_scheme,
            scope,
        } => {
            let before = dir
                .organization(&id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no such organization: {id}"))?;
            let text = |v: Option<String>| v.map(|s| Some(s).filter(|s| !s.trim().is_empty()));
            let change = registration::services::OrganizationChange {
                registering: (registering || not_registering).then_some(registering),
                assurance_level: assurance_level.map(Some),
                id_scheme: text(id_scheme),
                scope: text(scope),
                ..Default::default()
            };
            let after = dir
                .update_organization(&id, change)
                .await
                .map_err(|e| match e {
                    registration::RegistrationError::Invalid("registering") => {
                        "a registering organization needs --assurance-level and --id-scheme"
                            .to_owned()
                    }
                    e => e.to_string(),
                })?;
            let detail = format!("{} -> {}", summary(&before), summary(&after));
            audit(p, "organization.updated", &id, &detail).await;
            wln!(out, "updated organization {id}: {}", summary(&after));
        }
        OrganizationsCmd::Process(c) => process::run(c, p, out).await?,
        OrganizationsCmd::AllowService {
            organization,
            service,
        } => {
            let new = dir
                .allow_service(&organization, &service)
                .await
                .map_err(|e| e.to_string())?;
            if new {
                let detail = format!("service={service}");
                audit(p, "organization.service_allowed", &organization, &detail).await;
                wln!(out, "{organization} may now sponsor people into {service}");
            } else {
                wln!(
                    out,
                    "{organization} already may sponsor people into {service}"
                );
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
