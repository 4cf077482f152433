//! `oneid clients ...`: register, list, show and remove relying parties (OIDC clients), and
//! put one in a service.

use crate::cli::audit;
use authorization_server::{NewClient, Provider, SigAlg};
use clap::{Args, Subcommand};
use std::io::Write;

#[derive(Subcommand)]
pub enum ClientsCmd {
    /// Register a relying party.
    Add(Box<AddClient>),
    /// List relying parties.
    List,
    /// Remove a relying party.
    Remove {
        /// Client id.
        client_id: String,
    },
    /// Put a relying party in a service (people get in only when enrolled there), or, for a
    /// client that signs no one in (client_credentials only), take it out with `none`.
    SetService {
        /// Client id.
        client_id: String,
        /// The service's short code, or `none`.
        service: String,
    },
}

#[derive(Args)]
pub struct AddClient {
    /// Client identifier.
    #[arg(long)]
    client_id: String,
    /// Display name, shown on the login page.
    #[arg(long)]
    name: String,
    /// Exact redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Exact post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Use this secret instead of a generated one.
    #[arg(long, conflicts_with = "public")]
    secret: Option<String>,
    /// A public client: no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Allowed grant type (repeatable): authorization_code, refresh_token, client_credentials.
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Allowed scope (repeatable).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// ID token signing algorithm: RS256 (default), ES256, PS256, EdDSA.
    #[arg(long = "id-token-alg")]
    id_token_alg: Option<String>,
    /// Access token signing algorithm: ES256 (default), RS256, PS256, EdDSA.
    #[arg(long = "access-token-alg")]
    access_token_alg: Option<String>,
    /// Step up every sign-in for this client (multi-factor), whatever the device.
    #[arg(long)]
    require_mfa: bool,
    /// Accept only a passkey at every sign-in for this client (phishing-resistant; implies
    /// --require-mfa).
    #[arg(long)]
    require_phishing_resistant: bool,
    /// A third-party app: people consent to what it asks (remembered, taken back in My
    /// Profile). Without it, a province viewer: pre-authorized, no consent page.
    #[arg(long)]
    third_party: bool,
    /// Accept only pushed authorization requests (RFC 9126): the client posts its request to
    /// /par first and sends the browser to /authorize with the request_uri it gets.
    #[arg(long)]
    require_par: bool,
    /// Accept only DPoP-bound tokens (RFC 9449): the client proves a key at the token endpoint.
    #[arg(long)]
    require_dpop: bool,
    /// Hold the client to the FAPI 2.0 Security Profile: pushed requests, PKCE,
    /// private_key_jwt (--jwks-file or --jwks-uri), DPoP-bound tokens, PS256/ES256/EdDSA only
    /// (ID tokens PS256 unless --id-token-alg says otherwise), 60-second codes.
    #[arg(long)]
    fapi2: bool,
    /// Accept only signed request objects (RFC 9101) from this client (it needs keys).
    #[arg(long = "require-signed-request-object")]
    require_signed_request_object: bool,
    /// Give this client pairwise subject identifiers (OIDC Core §8.1), one per sector, instead
    /// of the account id every public client sees.
    #[arg(long)]
    pairwise: bool,
    /// The document (https, a JSON array listing every redirect URI of the client) whose host
    /// is a pairwise client's sector; without it the redirect URIs must share one host.
    #[arg(long = "sector-identifier-uri")]
    sector_identifier_uri: Option<String>,
    /// Authenticate this client with mutual TLS by a certificate from the CAs in
    /// tls.client_ca_file whose subject is this distinguished name (RFC 8705 tls_client_auth),
    /// e.g. "CN=lab,O=Example Hospital,C=CA".
    #[arg(long = "tls-client-auth-subject-dn")]
    tls_client_auth_subject_dn: Option<String>,
    /// Authenticate this client with mutual TLS by the self-signed certificate registered in its
    /// --jwks-file as x5c (RFC 8705 self_signed_tls_client_auth).
    #[arg(long = "self-signed-tls-client-auth")]
    self_signed_tls_client_auth: bool,
    /// Where logout tokens are posted when a session ends (OpenID Connect Back-Channel Logout).
    #[arg(long = "backchannel-logout-uri")]
    backchannel_logout_uri: Option<String>,
    /// What the logged-out page loads in a hidden iframe when a session ends (OpenID Connect
    /// Front-Channel Logout; `iss` and `sid` are added to it).
    #[arg(long = "frontchannel-logout-uri")]
    frontchannel_logout_uri: Option<String>,
    /// A file holding the client's public keys (a JWK set): it authenticates with
    /// `private_key_jwt` (RFC 7523) and has no secret.
    #[arg(long = "jwks-file")]
    jwks_file: Option<std::path::PathBuf>,
    /// Where the client publishes its public keys (https): it authenticates with
    /// `private_key_jwt` (RFC 7523) and has no secret.
    #[arg(long = "jwks-uri")]
    jwks_uri: Option<String>,
    /// The service this relying party belongs to (`oneid services add`): people get in only
    /// when enrolled there at the service's level of assurance.
    #[arg(long)]
    service: Option<String>,
    /// May introspect any client's tokens (a resource server): adds the scope
    /// `oneid:introspect`. Without it a client introspects only its own tokens.
    #[arg(long)]
    introspect_any: bool,
}

fn parse_alg(flag: &str, v: Option<&str>) -> Result<Option<SigAlg>, String> {
    match v {
        None => Ok(None),
        Some(s) => SigAlg::parse(s)
            .map(Some)
            .ok_or_else(|| format!("{flag} {s:?}: use RS256, ES256, PS256 or EdDSA")),
    }
}

pub async fn clients(
    cmd: ClientsCmd,
    p: &Provider,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    match cmd {
        ClientsCmd::Add(a) => {
            let alg = parse_alg("--id-token-alg", a.id_token_alg.as_deref())?;
            let at_alg = parse_alg("--access-token-alg", a.access_token_alg.as_deref())?;
            let mut scopes = a.scopes;
            if a.introspect_any {
                if scopes.is_empty() {
                    scopes = authorization_server::clients::SCOPES
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect();
                }
                scopes.push(authorization_server::clients::INTROSPECT_ANY_SCOPE.to_owned());
            }
            let jwks = match &a.jwks_file {
                Some(f) => Some(
                    std::fs::read_to_string(f)
                        .map_err(|e| format!("cannot read {}: {e}", f.display()))?,
                ),
                None => None,
            };
            let (client, secret) = p
                .clients
                .add(NewClient {
                    client_id: a.client_id,
                    name: a.name,
                    redirect_uris: a.redirect_uris,
                    post_logout_redirect_uris: a.post_logout_redirect_uris,
                    secret: a.secret,
                    public: a.public,
                    grant_types: a.grant_types,
                    scopes,
                    id_token_alg: alg,
                    access_token_alg: at_alg,
                    require_mfa: a.require_mfa,
                    require_phishing_resistant: a.require_phishing_resistant,
                    third_party: a.third_party,
                    require_par: a.require_par,
                    require_dpop: a.require_dpop,
                    fapi2: a.fapi2,
                    require_signed_request_object: a.require_signed_request_object,
                    pairwise: a.pairwise,
                    sector_identifier_uri: a.sector_identifier_uri,
                    tls_client_auth: if a.self_signed_tls_client_auth {
                        Some(authorization_server::mtls::SELF_SIGNED_TLS_CLIENT_AUTH.to_owned())
                    } else {
                        a.tls_client_auth_subject_dn
                            .as_ref()
                            .map(|_| authorization_server::mtls::TLS_CLIENT_AUTH.to_owned())
                    },
                    tls_client_auth_subject_dn: a.tls_client_auth_subject_dn,
                    jwks,
                    jwks_uri: a.jwks_uri,
                    backchannel_logout_uri: a.backchannel_logout_uri,
                    frontchannel_logout_uri: a.frontchannel_logout_uri,
                    service_id: a.service,
                })
                .await
                .map_err(|e| e.to_string())?;
            audit(p, "client.added", &client.client_id, None).await;
            wln!(out, "registered client {}", client.client_id);
            if let Some(s) = secret {
                wln!(out, "client secret (shown once, store it now): {s}");
            }
            Ok(())
        }
        ClientsCmd::List => {
            // A page at a time, never the whole table.
            let mut after: Option<String> = None;
            loop {
                let page = p
                    .clients
                    .page(after.as_deref(), None, 1000)
                    .await
                    .map_err(|e| e.to_string())?;
                for cl in &page.rows {
                    wln!(
                    out,
                    "{}\t{}\t{}\tgrants={}\tscopes={}\tid_token_alg={}\taccess_token_alg={}\tredirect_uris={}{}{}",
                    cl.client_id,
                    cl.name,
                    if cl.is_public() {
                        "public"
                    } else {
                        "confidential"
                    },
                    cl.grant_types.join(","),
                    cl.scopes.join(","),
                    cl.id_token_alg.as_str(),
                    cl.access_token_alg.as_str(),
                    cl.redirect_uris.join(","),
                    cl.backchannel_logout_uri
                        .as_ref()
                        .map_or(String::new(), |u| format!("\tbackchannel_logout_uri={u}")),
                    cl.frontchannel_logout_uri
                        .as_ref()
                        .map_or(String::new(), |u| format!("\tfrontchannel_logout_uri={u}")),
                );
                }
                match page.next_cursor(|c| &c.client_id) {
                    Some(next) => after = Some(next.to_owned()),
                    None => break,
                }
            }
            Ok(())
        }
        ClientsCmd::SetService { client_id, service } => {
            let service = (service != "none").then_some(service.as_str());
            let c = authorization_server::clients::set_client_service(
                p,
                &client_id,
                service,
                registration::Actor::CLI,
            )
            .await
            .map_err(|e| e.to_string())?;
            match &c.service_id {
                Some(s) => {
                    wln!(out, "{client_id} belongs to service {s}");
                }
                None => {
                    wln!(
                        out,
                        "{client_id} belongs to no service (it signs no one in)"
                    );
                }
            }
            Ok(())
        }
        ClientsCmd::Remove { client_id } => {
            if p.clients
                .remove(&client_id)
                .await
                .map_err(|e| e.to_string())?
            {
                audit(p, "client.removed", &client_id, None).await;
                wln!(out, "removed client {client_id}");
                Ok(())
            } else {
                Err(format!("no client {client_id}"))
            }
        }
    }
}
