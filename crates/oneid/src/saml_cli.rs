//! `oneid saml-sps ...` (the SAML service providers) and `oneid saml-keys ...` (the IdP's
//! SAML signing keys). Every change is audited with actor `cli`.

use authorization_server::saml::sps::{fetch_metadata, from_metadata};
use authorization_server::saml::sps::{modify, register, unregister};
use authorization_server::saml::{NewSp, SpChoices, SpUpdate};
use authorization_server::Provider;
use clap::{Args, Subcommand};
use platform::AuditEvent;
use std::io::Write;

/// `oneid saml-sps ...`
#[derive(Subcommand)]
pub enum SamlSpsCmd {
    /// Register a service provider from its metadata.
    Add(Box<AddSp>),
    /// Update a service provider in place from its fresh metadata (new keys or endpoints)
    /// and/or new choices; what is not given stays, and so do the persistent NameIDs it gave out.
    Update(Box<UpdateSp>),
    /// List service providers.
    List,
    /// Remove a service provider (and the persistent NameIDs it was given).
    Remove {
        /// Its entityID.
        entity_id: String,
    },
}

/// `oneid saml-sps add`
#[derive(Args)]
pub struct AddSp {
    /// The SP's metadata: a file, or an http(s) URL to fetch it from.
    #[arg(long)]
    metadata: String,
    /// Display name (default: the metadata's ServiceName, else the entityID).
    #[arg(long)]
    name: Option<String>,
    /// The service it belongs to (`oneid services add`; required): people get in only when
    /// enrolled there at the service's level of assurance.
    #[arg(long)]
    service: Option<String>,
    /// Attribute to release (repeatable; default: what the metadata requests, else all):
    /// uid, givenName, sn, displayName, mail, college, registrationNumber, levelOfAssurance.
    #[arg(long = "attribute")]
    attributes: Vec<String>,
    /// NameID format (default: the metadata's first supported one, else persistent).
    #[arg(long)]
    nameid_format: Option<String>,
    /// Let ONE ID start sign-ins to it (IdP-initiated SSO).
    #[arg(long)]
    allow_idp_initiated: bool,
    /// Sign the whole Response, not only the Assertion.
    #[arg(long)]
    sign_response: bool,
    /// Encrypt assertions to the SP's encryption certificate.
    #[arg(long)]
    encrypt: bool,
    /// Step up every sign-in to it (multi-factor).
    #[arg(long)]
    require_mfa: bool,
    /// Accept only a passkey at every sign-in to it (phishing-resistant; implies
    /// --require-mfa).
    #[arg(long)]
    require_phishing_resistant: bool,
}

/// `oneid saml-sps update`
#[derive(Args)]
pub struct UpdateSp {
    /// Its entityID (default: the one in --metadata).
    entity_id: Option<String>,
    /// The SP's metadata as it is now: a file, or an https URL (http only on loopback).
    #[arg(long)]
    metadata: Option<String>,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// Another service for it (an SP always belongs to one).
    #[arg(long)]
    service: Option<String>,
    /// Attributes to release (repeatable; replaces the list).
    #[arg(long = "attribute")]
    attributes: Vec<String>,
    /// NameID format.
    #[arg(long)]
    nameid_format: Option<String>,
    /// IdP-initiated SSO: true or false.
    #[arg(long)]
    allow_idp_initiated: Option<bool>,
    /// Sign the whole Response: true or false.
    #[arg(long)]
    sign_response: Option<bool>,
    /// Encrypt assertions: true or false.
    #[arg(long)]
    encrypt: Option<bool>,
    /// Step up every sign-in: true or false.
    #[arg(long)]
    require_mfa: Option<bool>,
    /// Accept only a passkey at every sign-in (phishing-resistant): true or false.
    #[arg(long)]
    require_phishing_resistant: Option<bool>,
}

/// Reads `--metadata`: an http(s) URL to fetch, else a file.
async fn read_metadata(arg: &str) -> Result<String, String> {
    if arg.starts_with("https://") || arg.starts_with("http://") {
        fetch_metadata(arg).await.map_err(|e| e.to_string())
    } else {
        std::fs::read_to_string(arg).map_err(|e| format!("{arg}: {e}"))
    }
}

/// `oneid saml-keys ...`
#[derive(Subcommand)]
pub enum SamlKeysCmd {
    /// List the IdP's SAML signing keys.
    List,
    /// Add a next key: published in the metadata at once, signing only after `activate`
    /// (give service providers time to refresh the metadata in between).
    Rotate,
    /// Make the next key sign; the current one stays in the metadata, retired.
    Activate,
    /// Remove a retired (or next) key from the metadata.
    Remove {
        /// Key id.
        kid: String,
    },
}

/// Runs `oneid saml-sps ...`.
pub async fn sps(
    cmd: SamlSpsCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    match cmd {
        SamlSpsCmd::Add(a) => {
            let metadata = read_metadata(&a.metadata).await?;
            let n = NewSp {
                metadata,
                name: a.name,
                service_id: a.service,
                attributes: (!a.attributes.is_empty()).then_some(a.attributes),
                nameid_format: a.nameid_format,
                allow_idp_initiated: a.allow_idp_initiated,
                sign_response: a.sign_response,
                encrypt_assertions: a.encrypt,
                require_mfa: a.require_mfa,
                require_phishing_resistant: a.require_phishing_resistant,
            };
            let sp = register(p, n, "cli").await.map_err(|e| e.to_string())?;
            wln!(out, "registered {} ({})", sp.entity_id, sp.name);
            for acs in &sp.acs {
                wln!(out, "  ACS {} (index {})", acs.location, acs.index);
            }
            wln!(out, "  NameID {}", sp.nameid_format);
            wln!(out, "  attributes {}", sp.attributes.join(", "));
            wln!(out, "  IdP metadata: {}/saml/metadata", p.cfg.issuer);
            Ok(())
        }
        SamlSpsCmd::Update(u) => {
            let metadata = match &u.metadata {
                Some(m) => Some(read_metadata(m).await?),
                None => None,
            };
            let entity_id = match (&u.entity_id, &metadata) {
                (Some(e), _) => e.clone(),
                (None, Some(m)) => from_metadata(m).map_err(|e| e.to_string())?.entity_id,
                (None, None) => return Err("give the entityID or --metadata".into()),
            };
            let update = SpUpdate {
                metadata,
                choices: SpChoices {
                    name: u.name,
                    service_id: u.service.map(|s| (s != "none").then_some(s)),
                    attributes: (!u.attributes.is_empty()).then_some(u.attributes),
                    nameid_format: u.nameid_format,
                    allow_idp_initiated: u.allow_idp_initiated,
                    sign_response: u.sign_response,
                    encrypt_assertions: u.encrypt,
                    require_mfa: u.require_mfa,
                    require_phishing_resistant: u.require_phishing_resistant,
                },
            };
            let Some(sp) = modify(p, &entity_id, update, "cli")
                .await
                .map_err(|e| e.to_string())?
            else {
                return Err(format!("no service provider {entity_id}"));
            };
            wln!(out, "updated {} ({})", sp.entity_id, sp.name);
            for acs in &sp.acs {
                wln!(out, "  ACS {} (index {})", acs.location, acs.index);
            }
            wln!(out, "  signing certificates {}", sp.signing_certs.len());
            wln!(out, "  NameID {}", sp.nameid_format);
            wln!(out, "  attributes {}", sp.attributes.join(", "));
            Ok(())
        }
        SamlSpsCmd::List => {
            for sp in p.saml.sps.list().await.map_err(|e| e.to_string())? {
                wln!(
                    out,
                    "{}\t{}\tservice={}\tnameid={}\tidp_initiated={}\tsign_response={}\tencrypt={}",
                    sp.entity_id,
                    sp.name,
                    sp.service_id.as_deref().unwrap_or("-"),
                    sp.nameid_format,
                    sp.allow_idp_initiated,
                    sp.sign_response,
                    sp.encrypt_assertions
                );
            }
            Ok(())
        }
        SamlSpsCmd::Remove { entity_id } => {
            if unregister(p, &entity_id, "cli")
                .await
                .map_err(|e| e.to_string())?
            {
                wln!(out, "removed {entity_id}");
                Ok(())
            } else {
                Err(format!("no service provider {entity_id}"))
            }
        }
    }
}

async fn audit(p: &Provider, event: &str, kid: &str) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some("cli"),
            subject: Some(kid),
            ..Default::default()
        })
        .await;
}

/// Runs `oneid saml-keys ...`.
pub async fn keys(
    cmd: SamlKeysCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let k = p.saml.keys.as_ref().ok_or("SAML keys are not loaded")?;
    match cmd {
        SamlKeysCmd::List => {
            for i in k.list().await.map_err(|e| e.to_string())? {
                wln!(out, "{}\t{}\tsha256={}", i.kid, i.state, i.fingerprint);
            }
        }
        SamlKeysCmd::Rotate => {
            let kid = k.rotate().await.map_err(|e| e.to_string())?;
            audit(p, "saml.key_created", &kid).await;
            wln!(
                out,
                "{kid} is published in the metadata; run `oneid saml-keys activate` once every \
                 service provider has it"
            );
        }
        SamlKeysCmd::Activate => {
            let kid = k.activate().await.map_err(|e| e.to_string())?;
            audit(p, "saml.key_activated", &kid).await;
            wln!(out, "{kid} signs now");
        }
        SamlKeysCmd::Remove { kid } => {
            k.remove(&kid).await.map_err(|e| e.to_string())?;
            audit(p, "saml.key_removed", &kid).await;
            wln!(out, "{kid} removed");
        }
    }
    Ok(())
}
