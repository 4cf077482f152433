//! `oneid registries ...`: trusted registries whose members self-register, their keys, status
//! and reported terminations. Every change goes through `registration`'s administrator
//! operations, the same checks and audit as the admin API, with actor `cli`.

pub(crate) mod show;

pub(crate) use show::level;
use show::{one_line, show, show_time, window};

use authorization_server::Provider;
use clap::{Args, Subcommand};
use registration::registries;
use registration::{Actor, AdminError, KeyInput, RegistryInput, RegistryPatch, RegistryStatus};
use std::io::Write;
use std::path::PathBuf;

/// `oneid registries ...`
#[derive(Subcommand)]
pub enum RegistriesCmd {
    /// Add a trusted registry (approved from now), optionally with its public key.
    Add(Box<AddRegistry>),
    /// List registries.
    List,
    /// Show a registry and its keys.
    Show {
        /// Registry id.
        id: String,
    },
    /// Change a registry (only the flags given).
    Update(Box<UpdateRegistry>),
    /// Suspend a registry: no new registrants until it is reinstated.
    Suspend {
        /// Registry id.
        id: String,
    },
    /// Reinstate a suspended registry.
    Reinstate {
        /// Registry id.
        id: String,
    },
    /// Terminate a registry for good: no new registrants from now (accounts it validated stay
    /// usable under a general approval).
    Terminate {
        /// Registry id.
        id: String,
    },
    /// Add a key the registry signs with; its other keys stay accepted.
    AddKey(KeyArgs),
    /// Rotate the registry's key: the new one is accepted at once, the others stop being
    /// accepted after the overlap.
    RotateKey {
        #[command(flatten)]
        key: KeyArgs,
        /// How long the older keys stay accepted, seconds.
        #[arg(long, default_value_t = registries::DEFAULT_OVERLAP_SECS)]
        overlap_secs: i64,
    },
    /// Terminate the accounts of members the registry's owner reports as deleted or
    /// terminated (one member identifier per line; blank lines and # comments skipped).
    ImportTerminations {
        /// Registry id.
        id: String,
        /// The list.
        #[arg(long)]
        file: PathBuf,
    },
}

/// Flags of `registries add`.
#[derive(Args)]
pub struct AddRegistry {
    /// Short code (letters, digits, - and _): the `iss` of its hand-offs.
    #[arg(long)]
    id: String,
    /// Name.
    #[arg(long)]
    name: String,
    /// Who owns it.
    #[arg(long)]
    owner: String,
    /// Whom to contact.
    #[arg(long)]
    contact: String,
    /// College whose registration numbers it vouches for, e.g. CPSO.
    #[arg(long)]
    college: String,
    /// Level of assurance its members get: 1, 2 or 3 (or AL1, AL2, AL3).
    #[arg(long, value_parser = parse_level)]
    assurance_level: i64,
    /// How members are identified, in words (default "<COLLEGE> registration number").
    #[arg(long)]
    id_scheme: Option<String>,
    #[command(flatten)]
    approval: ApprovalArgs,
    /// Sponsoring organization (see `oneid organizations`); required, since every identity
    /// enters through a sponsor (004 §5.6).
    #[arg(long, required = true)]
    sponsor: Option<String>,
    /// Service its members are enrolled in (repeatable; see `oneid services`).
    #[arg(long = "service")]
    services: Vec<String>,
    /// A registration class that may self-register (repeatable; none: every class).
    #[arg(long = "eligible-class")]
    eligible_classes: Vec<String>,
    /// Its public key (SubjectPublicKeyInfo PEM file).
    #[arg(long, requires = "alg")]
    public_key: Option<PathBuf>,
    /// Algorithm of the key: ES256 or RS256.
    #[arg(long, requires = "public_key", value_parser = ["ES256", "RS256"])]
    alg: Option<String>,
    /// The key's kid (default: a thumbprint).
    #[arg(long, requires = "public_key")]
    kid: Option<String>,
}

/// Approval flags.
#[derive(Args)]
pub struct ApprovalArgs {
    /// General (any service) or limited (its services, inside the dates).
    #[arg(long, value_parser = ["general", "limited"])]
    approval: Option<String>,
    /// Limited approval from this day (YYYY-MM-DD, 00:00 UTC; `none` clears).
    #[arg(long)]
    approved_from: Option<String>,
    /// Limited approval until this day inclusive (YYYY-MM-DD, 23:59:59 UTC; `none` clears).
    #[arg(long)]
    approved_until: Option<String>,
}

/// Flags of `registries update`.
#[derive(Args)]
pub struct UpdateRegistry {
    /// Registry id.
    id: String,
    /// Name.
    #[arg(long)]
    name: Option<String>,
    /// Owner.
    #[arg(long)]
    owner: Option<String>,
    /// Contact.
    #[arg(long)]
    contact: Option<String>,
    /// Level of assurance: 1, 2 or 3 (or AL1, AL2, AL3).
    #[arg(long, value_parser = parse_level)]
    assurance_level: Option<i64>,
    #[command(flatten)]
    approval: ApprovalArgs,
    /// Sponsoring organization (it cannot be cleared: a registry always names one).
    #[arg(long)]
    sponsor: Option<String>,
    /// Service (repeatable; replaces the list).
    #[arg(long = "service", conflicts_with = "no_services")]
    services: Vec<String>,
    /// Clear the list of services.
    #[arg(long)]
    no_services: bool,
    /// A registration class that may self-register (repeatable; replaces the list).
    #[arg(long = "eligible-class", conflicts_with = "every_class")]
    eligible_classes: Vec<String>,
    /// Admit every registration class (clears the list).
    #[arg(long)]
    every_class: bool,
}

/// A key for `add-key` and `rotate-key`.
#[derive(Args)]
pub struct KeyArgs {
    /// Registry id.
    id: String,
    /// The public key (SubjectPublicKeyInfo PEM file).
    #[arg(long)]
    public_key: PathBuf,
    /// ES256 or RS256.
    #[arg(long, value_parser = ["ES256", "RS256"])]
    alg: String,
    /// The key's kid (default: a thumbprint).
    #[arg(long)]
    kid: Option<String>,
}

pub(crate) fn parse_level(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let n = t
        .strip_prefix("AL")
        .or_else(|| t.strip_prefix("al"))
        .unwrap_or(t);
    match n.parse::<i64>() {
        Ok(l @ 1..=3) => Ok(l),
        _ => Err(format!("{s:?}: use 1, 2 or 3 (AL1, AL2, AL3)")),
    }
}

fn read_pem(path: &PathBuf) -> Result<String, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if pem.contains("PRIVATE KEY") {
        return Err(format!(
            "{}: this is a private key; give the registry's public key (SubjectPublicKeyInfo PEM)",
            path.display()
        ));
    }
    Ok(pem)
}

fn fail(e: AdminError) -> String {
    match e {
        AdminError::NotFound(_) => "no such registry".into(),
        e => e.to_string(),
    }
}

/// Runs `oneid registries ...`.
pub async fn registries(
    cmd: RegistriesCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let regs = &p.registration.registries;
    let now = p.clock.now();
    let cli = Actor::CLI;
    match cmd {
        RegistriesCmd::Add(a) => {
            let a = *a;
            let from = window(
                "--approved-from",
                a.approval.approved_from.as_deref(),
                false,
            )?;
            let until = window(
                "--approved-until",
                a.approval.approved_until.as_deref(),
                true,
            )?;
            let public_key_pem = a.public_key.as_ref().map(read_pem).transpose()?;
            let (r, keys) = p
                .registration
                .add_registry(
                    RegistryInput {
                        id: a.id,
                        name: a.name,
                        owner: a.owner,
                        contact: a.contact,
                        college: a.college,
                        id_scheme: a.id_scheme,
                        assurance_level: a.assurance_level,
                        approval: a.approval.approval,
                        approved_from: from.flatten(),
                        approved_until: until.flatten(),
                        sponsor_id: a.sponsor,
                        services: a.services,
                        eligible_classes: a.eligible_classes,
                        public_key_pem,
                        alg: a.alg,
                        kid: a.kid,
                    },
                    cli,
                )
                .await
                .map_err(fail)?;
            wln!(
                out,
                "added registry {} ({}, {}, {} approval, {})",
                r.id,
                r.college,
                level(r.assurance_level),
                r.approval.as_str(),
                r.status.as_str()
            );
            for k in &keys {
                wln!(out, "key {} ({}) accepted for its hand-offs", k.kid, k.alg);
            }
            if keys.is_empty() {
                wln!(
                    out,
                    "no key yet: add one with `oneid registries add-key {} --public-key FILE --alg ES256`",
                    r.id
                );
            }
        }
        RegistriesCmd::List => {
            for r in regs.list().await.map_err(|e| e.to_string())? {
                let keys = regs.keys(&r.id).await.map_err(|e| e.to_string())?;
                wln!(out, "{}", one_line(&r, &keys, now));
            }
        }
        RegistriesCmd::Show { id } => {
            let r = regs
                .get(&id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no registry {id}"))?;
            let keys = regs.keys(&id).await.map_err(|e| e.to_string())?;
            show(out, &r, &keys, now);
        }
        RegistriesCmd::Update(u) => {
            let u = *u;
            let sponsor = u.sponsor.as_deref().map(|s| Some(s.trim().to_owned()));
            let services = if u.no_services {
                Some(Vec::new())
            } else if u.services.is_empty() {
                None
            } else {
                Some(u.services)
            };
            let patch = RegistryPatch {
                name: u.name,
                owner: u.owner,
                contact: u.contact,
                assurance_level: u.assurance_level,
                approval: u.approval.approval,
                approved_from: window(
                    "--approved-from",
                    u.approval.approved_from.as_deref(),
                    false,
                )?,
                approved_until: window(
                    "--approved-until",
                    u.approval.approved_until.as_deref(),
                    true,
                )?,
                sponsor_id: sponsor,
                services,
                eligible_classes: if u.every_class {
                    Some(Vec::new())
                } else {
                    Some(u.eligible_classes).filter(|c| !c.is_empty())
                },
            };
            let before = regs
                .get(&u.id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no registry {}", u.id))?;
            let after = p
                .registration
                .update_registry(&u.id, patch, cli)
                .await
                .map_err(fail)?;
            wln!(
                out,
                "updated registry {}: {}",
                after.id,
                registries::changes(&before, &after)
            );
        }
        RegistriesCmd::Suspend { id } => {
            let r = p
                .registration
                .set_registry_status(&id, RegistryStatus::Suspended, cli)
                .await
                .map_err(fail)?;
            wln!(
                out,
                "registry {} is {}: no new registrants until it is reinstated",
                r.id,
                r.status.as_str()
            );
        }
        RegistriesCmd::Reinstate { id } => {
            let r = p
                .registration
                .set_registry_status(&id, RegistryStatus::Approved, cli)
                .await
                .map_err(fail)?;
            wln!(
                out,
                "registry {} is {}: it accepts new registrants",
                r.id,
                r.status.as_str()
            );
        }
        RegistriesCmd::Terminate { id } => {
            let r = p
                .registration
                .set_registry_status(&id, RegistryStatus::Terminated, cli)
                .await
                .map_err(fail)?;
            wln!(
                out,
                "registry {} is terminated from {}: no new registrants; {}",
                r.id,
                show_time(r.status_changed_at),
                if r.approval == registration::Approval::General {
                    "the accounts it validated stay usable (general approval)"
                } else {
                    "review the accounts it validated (limited approval)"
                }
            );
        }
        RegistriesCmd::AddKey(k) => {
            let key = p
                .registration
                .add_registry_key(
                    &k.id,
                    KeyInput {
                        alg: Some(k.alg),
                        public_key_pem: read_pem(&k.public_key)?,
                        kid: k.kid,
                        rotate: false,
                        overlap_secs: None,
                    },
                    cli,
                )
                .await
                .map_err(fail)?;
            wln!(
                out,
                "added key {} ({}) to registry {}; its other keys stay accepted",
                key.kid,
                key.alg,
                k.id
            );
        }
        RegistriesCmd::RotateKey {
            key: k,
            overlap_secs,
        } => {
            let key = p
                .registration
                .add_registry_key(
                    &k.id,
                    KeyInput {
                        alg: Some(k.alg),
                        public_key_pem: read_pem(&k.public_key)?,
                        kid: k.kid,
                        rotate: true,
                        overlap_secs: Some(overlap_secs),
                    },
                    cli,
                )
                .await
                .map_err(fail)?;
            wln!(
                out,
                "registry {} now signs with key {} ({}); its older keys are accepted until {}",
                k.id,
                key.kid,
                key.alg,
                show_time(now + overlap_secs)
            );
        }
        RegistriesCmd::ImportTerminations { id, file } => {
            let members = identifiers_in(&file)?;
            let t = p
                .registration
                .import_terminations(&id, &members, cli)
                .await
                .map_err(fail)?;
            let unknown = format!("no account registered through {id}");
            terminations_said(out, &format!("registry {id}"), &t, &unknown)?;
        }
    }
    Ok(())
}

/// The identifiers in `file`, one per line (blank lines and `#` comments skipped).
pub(crate) fn identifiers_in(file: &std::path::Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// What an import of ended registrations did, for `who`; `unknown` says what unknown means.
pub(crate) fn terminations_said(
    out: &mut (dyn Write + Send),
    who: &str,
    t: &registration::Terminations,
    unknown: &str,
) -> Result<(), String> {
    wln!(
        out,
        "{who}: {} terminated, {} already terminated, {} unknown",
        t.terminated.len(),
        t.already.len(),
        t.unknown.len()
    );
    if !t.unknown.is_empty() {
        wln!(out, "unknown ({unknown}): {}", t.unknown.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_take_numbers_or_names() {
        assert_eq!(parse_level("2").unwrap(), 2);
        assert_eq!(parse_level("AL3").unwrap(), 3);
        assert!(parse_level("4").is_err());
        assert!(parse_level("AL0").is_err());
    }
}
