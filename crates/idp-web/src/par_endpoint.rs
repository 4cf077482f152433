//! The pushed authorization request endpoint (RFC 9126) over HTTP: the form read, the client
//! authenticated as at the token endpoint, the request checked and kept by
//! `authorization_server::oidc::par`, and `201` with the `request_uri` as `no-store` JSON.

use crate::client_auth::authenticated_form;
use authorization_server::oidc::par::{push, PushError};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::audit::AuditEvent;
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{json_no_store, ClientIp};

/// POST /par
#[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty))]
pub async fn par(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    match handle(&p, &headers, &ip, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, OAuthError> {
    let (mut params, client) = authenticated_form(p, headers, ip, body).await?;
    // The client's credentials are not part of the authorization request.
    for k in ["client_secret", "client_assertion", "client_assertion_type"] {
        params.remove(k);
    }
    let (request_uri, expires_in) = match push(p, &client, params).await {
        Ok(x) => x,
        Err(PushError::Refused(r)) => {
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "par.refused",
                    client_id: Some(&client.client_id),
                    source: Some(ip),
                    detail: Some(r.error),
                    ..Default::default()
                })
                .await;
            return Err(OAuthError::refused(r.error, r.description));
        }
        Err(PushError::Internal(e)) => return Err(OAuthError::unavailable(e)),
    };
    let body = serde_json::json!({ "request_uri": request_uri, "expires_in": expires_in });
    Ok((StatusCode::CREATED, json_no_store(body.to_string())).into_response())
}
