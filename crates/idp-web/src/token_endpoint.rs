//! The token endpoint over HTTP: the form read, the client authenticated (with the guessing of
//! client secrets slowed down per address), the per-client rate limit, and the typed request
//! handed to `authorization_server::oidc::token`, whose answer is sent as `no-store` JSON.

use crate::client_auth::authenticated_form;
use authorization_server::oidc::token::{exchange, GrantType, TokenError, TokenRequest};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{json_no_store, ClientIp};

/// A refused token request as its OAuth answer.
pub(crate) fn oauth(e: TokenError) -> OAuthError {
    match e {
        TokenError::InvalidRequest(d) => OAuthError::invalid_request(d),
        TokenError::InvalidGrant(d) => OAuthError::invalid_grant(d),
        TokenError::InvalidScope(d) => OAuthError::invalid_scope(d),
        TokenError::InvalidTarget(d) => OAuthError::refused("invalid_target", d),
        TokenError::UnauthorizedClient(d) => OAuthError::unauthorized_client(d),
        TokenError::UnsupportedGrantType => {
            OAuthError::unsupported_grant_type("unsupported grant_type")
        }
        TokenError::Device(code, d) => OAuthError::refused(code, d),
        TokenError::Unavailable(cause) => OAuthError::unavailable(cause),
        TokenError::Internal(cause) => OAuthError::internal(cause),
    }
}

/// POST /token
#[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty))]
pub async fn token(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let dpop = headers.contains_key("dpop");
    let mut r = match handle(&p, &headers, &ip, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    // A client that proves a DPoP key gets the nonce for its next proof with every answer.
    if dpop {
        crate::dpop_http::add_nonce(&p, &mut r);
    }
    r
}

async fn handle(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, OAuthError> {
    let (params, client) = authenticated_form(p, headers, ip, body).await?;
    let limit = p.cfg.token_limit_per_client;
    if limit > 0
        && web::limits::over(p, "token-client", &client.client_id, limit)
            .await
            .map_err(OAuthError::unavailable)?
    {
        return Err(OAuthError::too_many(web::limits::retry_after(p)));
    }
    let grant = GrantType::from_params(&params).map_err(oauth)?;
    if !client.allows_grant(grant.as_str()) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this grant type",
        ));
    }
    let req = TokenRequest::from_params(grant, &params).map_err(oauth)?;
    let algs: &[&str] = if client.fapi2 {
        &authorization_server::clients::FAPI2_ALGS
    } else {
        &authorization_server::dpop::ALGS
    };
    let jkt = crate::dpop_http::token_proof(p, headers, algs).await?;
    // A client that authenticated with mutual TLS gets tokens bound to its certificate
    // (RFC 8705 §3).
    let x5t = client
        .uses_mtls()
        .then(|| web::http::client_certificate(headers))
        .flatten()
        .and_then(|chain| {
            chain
                .first()
                .map(|leaf| authorization_server::mtls::thumbprint(leaf))
        });
    // FAPI 2.0 asks for sender-constrained tokens: DPoP, or a certificate binding.
    if jkt.is_none() && (client.require_dpop || (client.fapi2 && x5t.is_none())) {
        return Err(OAuthError::invalid_request(
            "this client must prove a DPoP key (RFC 9449)",
        ));
    }
    let bind = authorization_server::tokens::Binding {
        jkt: jkt.as_deref(),
        x5t_s256: x5t.as_deref(),
    };
    let answer = exchange(p, &client, req, bind).await.map_err(oauth)?;
    p.metrics.inc(
        "oneid_tokens_issued_total",
        match grant {
            GrantType::AuthorizationCode => "grant=\"authorization_code\"",
            GrantType::RefreshToken => "grant=\"refresh_token\"",
            GrantType::ClientCredentials => "grant=\"client_credentials\"",
            GrantType::DeviceCode => "grant=\"device_code\"",
        },
    );
    let body = serde_json::to_string(&answer).map_err(OAuthError::internal)?;
    Ok(json_no_store(body))
}
