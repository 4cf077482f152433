//! Relying parties (OIDC clients): registered with the checks of `oneid clients add` (the
//! secret generated and shown once), put in a service or taken out, removed; each change
//! audited.

use super::input::{ClientInput, ClientPatch};
use super::{api, body_json, reply, ApiError, Need};
use authorization_server::{Client, NewClient, Provider, SigAlg};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use registration::admin::record;
use registration::Actor;
use serde_json::{json, Value};
use std::sync::Arc;

/// A relying party as JSON (never its secret's digest).
pub fn client_json(c: &Client) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or_else(|_| json!({ "client_id": c.client_id }));
    v["public"] = c.is_public().into();
    v
}

fn summary(c: &Client) -> String {
    format!(
        "name={:?} type={} grants={} scopes={} redirect_uris={} service={}",
        c.name,
        if c.is_public() {
            "public"
        } else {
            "confidential"
        },
        c.grant_types.join(","),
        c.scopes.join(","),
        c.redirect_uris.join(","),
        c.service_id.as_deref().unwrap_or("-")
    )
}

fn alg(field: &'static str, v: Option<&str>) -> Result<Option<SigAlg>, ApiError> {
    match v {
        None => Ok(None),
        Some(s) => SigAlg::parse(s.trim()).map(Some).ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{field} must be RS256, ES256, PS256 or EdDSA"),
            )
        }),
    }
}

/// Registers a relying party; returns it and, for a confidential one, its secret (shown once:
/// only its digest is kept).
pub async fn add_client(
    p: &Provider,
    c: ClientInput,
    actor: Actor<'_>,
) -> Result<(Client, Option<String>), ApiError> {
    let pairwise = match c.subject_type.as_deref().map(str::trim) {
        None | Some("") | Some("public") => false,
        Some("pairwise") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "subject_type",
                "subject_type must be public or pairwise",
            ))
        }
    };
    let new = NewClient {
        pairwise,
        sector_identifier_uri: c.sector_identifier_uri,
        tls_client_auth: c.tls_client_auth,
        tls_client_auth_subject_dn: c.tls_client_auth_subject_dn,
        client_id: c.client_id,
        name: c.name,
        redirect_uris: c.redirect_uris,
        post_logout_redirect_uris: c.post_logout_redirect_uris,
        secret: None,
        public: c.public,
        grant_types: c.grant_types,
        scopes: c.scopes,
        id_token_alg: alg("id_token_alg", c.id_token_alg.as_deref())?,
        access_token_alg: alg("access_token_alg", c.access_token_alg.as_deref())?,
        require_mfa: c.require_mfa,
        require_phishing_resistant: c.require_phishing_resistant,
        third_party: c.third_party,
        require_par: c.require_par,
        require_dpop: c.require_dpop,
        fapi2: c.fapi2,
        require_signed_request_object: c.require_signed_request_object,
        jwks: c.jwks.map(|j| j.to_string()),
        jwks_uri: c.jwks_uri,
        backchannel_logout_uri: c.backchannel_logout_uri,
        frontchannel_logout_uri: c.frontchannel_logout_uri,
        service_id: c
            .service_id
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    };
    let (client, secret) = p.clients.add(new).await?;
    record(
        &p.audit,
        "client.added",
        actor,
        &client.client_id,
        &summary(&client),
    )
    .await;
    Ok((client, secret))
}

async fn client_or_404(p: &Provider, id: &str) -> Result<Arc<Client>, ApiError> {
    p.clients
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such client {id:?}")))
}

/// Removes a relying party.
pub async fn remove_client(p: &Provider, id: &str, actor: Actor<'_>) -> Result<(), ApiError> {
    let before = client_or_404(p, id).await?;
    if !p.clients.remove(id).await? {
        return Err(ApiError::NotFound(format!("no such client {id:?}")));
    }
    record(&p.audit, "client.removed", actor, id, &summary(&before)).await;
    Ok(())
}

// ---------------------------------------------------------------- handlers

/// GET /admin/api/clients?limit=&cursor= (a page by id)
#[tracing::instrument(skip_all)]
pub(super) async fn api_clients(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        let (cursor, limit) = super::list_page(q)?;
        let page = p.clients.page(cursor.as_deref(), None, limit).await?;
        let next = page.next_cursor(|c| &c.client_id);
        reply(
            StatusCode::OK,
            json!({
                "clients": page.rows.iter().map(client_json).collect::<Vec<_>>(),
                "next_cursor": next,
            }),
        )
    })
    .await
}

/// POST /admin/api/clients
#[tracing::instrument(skip_all)]
pub(super) async fn api_add_client(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let input: ClientInput = body_json(&body)?;
        let name = caller.actor();
        let (c, secret) = add_client(p, input, Actor::api(&name, &caller.client_id)).await?;
        let mut v = client_json(&c);
        if let Some(s) = secret {
            v["client_secret"] = s.into();
        }
        reply(StatusCode::CREATED, v)
    })
    .await
}

/// GET /admin/api/clients/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_client(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    api(&p, &headers, Need::Admin, |_| async {
        reply(StatusCode::OK, client_json(&*client_or_404(&p, &id).await?))
    })
    .await
}

/// PATCH /admin/api/clients/{id} (`{"service_id": "..." | null}`)
#[tracing::instrument(skip_all)]
pub(super) async fn api_update_client(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let patch: ClientPatch = body_json(&body)?;
        let Some(service) = patch.service_id else {
            return Err(ApiError::invalid(
                "service_id",
                "nothing to change: give service_id (a service, or null for a client that signs no one in)",
            ));
        };
        let name = caller.actor();
        let c = authorization_server::clients::set_client_service(
            p,
            &id,
            service.as_deref(),
            Actor::api(&name, &caller.client_id),
        )
        .await?;
        reply(StatusCode::OK, client_json(&c))
    })
    .await
}

/// DELETE /admin/api/clients/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn api_remove_client(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let p: &Provider = &p;
    api(p, &headers, Need::Admin, |caller| async move {
        let name = caller.actor();
        remove_client(p, &id, Actor::api(&name, &caller.client_id)).await?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
