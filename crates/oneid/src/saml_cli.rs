//! `oneid saml-sps ...` (the SAML service providers) and `oneid saml-keys ...` (the IdP's
//! SAML signing keys). Every change is audited with actor `cli`.

use authorization_server::saml::api::{register, unregister};
use authorization_server::saml::sps::fetch_metadata;
use authorization_server::saml::NewSp;
use authorization_server::Provider;
use clap::{Args, Subcommand};
use platform::AuditEvent;
use std::io::Write;

macro_rules! wln {
    ($out:expr, $($arg:tt)*) => {
        let _ = writeln!($out, $($arg)*);
    };
}

/// `oneid saml-sps ...`
#[derive(Subcommand)]
pub enum SamlSpsCmd {
    /// Register a service provider from its metadata.
    Add(Box<AddSp>),
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
    /// The service it belongs to (`oneid services add`): people get in only when enrolled
    /// there at the service's level of assurance.
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
            let metadata = if a.metadata.starts_with("https://")
                || a.metadata.starts_with("http://")
            {
                fetch_metadata(&a.metadata)
                    .await
                    .map_err(|e| e.to_string())?
            } else {
                std::fs::read_to_string(&a.metadata).map_err(|e| format!("{}: {e}", a.metadata))?
            };
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
