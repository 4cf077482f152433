//! `oneid resources ...`: register, list and remove resource servers (APIs, FHIR servers),
//! and allow a relying party tokens for one with some of its scopes.

use admin_web::admin_api::resource_servers as rs;
use authorization_server::resources::NewResourceServer;
use authorization_server::Provider;
use clap::Subcommand;
use registration::Actor;
use std::io::Write;

#[derive(Subcommand)]
pub enum ResourcesCmd {
    /// Register a resource server.
    Add {
        /// Short identifier (A-Z a-z 0-9 - _ .).
        #[arg(long)]
        id: String,
        /// Display name (shown on consent pages).
        #[arg(long)]
        name: String,
        /// Its base URL: what clients name as `resource` (RFC 8707) or `aud` (SMART), and
        /// what its tokens carry as `aud`.
        #[arg(long)]
        audience: String,
        /// A scope it accepts (repeatable): SMART clinical scopes (`patient/Observation.rs`,
        /// `user/*.cruds`, `system/*.rs`, `?category=` filters, v1 `patient/*.read`) or any
        /// other scope token.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// List resource servers.
    List,
    /// Remove a resource server (and every relying party's permission for it).
    Remove {
        /// Resource server id.
        id: String,
    },
    /// Allow a relying party tokens for a resource server, with some of its scopes (none
    /// given: all of them). Replaces an earlier permission.
    Allow {
        /// Client id.
        client_id: String,
        /// Resource server id.
        resource: String,
        /// A scope it may get there (repeatable), covered by one the server accepts.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Take back a relying party's permission for a resource server.
    Disallow {
        /// Client id.
        client_id: String,
        /// Resource server id.
        resource: String,
    },
}

/// Runs a `resources` subcommand.
pub async fn resources(cmd: ResourcesCmd, p: &Provider, out: &mut dyn Write) -> Result<(), String> {
    let e = |e: admin_web::admin_api::ApiError| e.to_string();
    match cmd {
        ResourcesCmd::Add {
            id,
            name,
            audience,
            scopes,
        } => {
            let n = NewResourceServer {
                id,
                name,
                audience,
                scopes,
            };
            let r = rs::add(p, n, Actor::CLI).await.map_err(e)?;
            wln!(
                out,
                "registered resource server {} ({}) accepting: {}",
                r.id,
                r.audience,
                r.scopes.join(" ")
            );
        }
        ResourcesCmd::List => {
            for r in p.resources.list().await.map_err(|e| e.to_string())? {
                wln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    r.id,
                    r.audience,
                    r.name,
                    r.scopes.join(" ")
                );
            }
        }
        ResourcesCmd::Remove { id } => {
            rs::remove(p, &id, Actor::CLI).await.map_err(e)?;
            wln!(out, "removed resource server {id}");
        }
        ResourcesCmd::Allow {
            client_id,
            resource,
            scopes,
        } => {
            let c = rs::allow(p, &client_id, &resource, &scopes, Actor::CLI)
                .await
                .map_err(e)?;
            wln!(
                out,
                "{client_id} may get tokens for {} ({}) with: {}",
                c.resource_id,
                c.audience,
                c.scopes.join(" ")
            );
        }
        ResourcesCmd::Disallow {
            client_id,
            resource,
        } => {
            rs::disallow(p, &client_id, &resource, Actor::CLI)
                .await
                .map_err(e)?;
            wln!(out, "{client_id} may no longer get tokens for {resource}");
        }
    }
    Ok(())
}
