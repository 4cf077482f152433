//! Client authentication at the token, pushed authorization request, introspection and
//! revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523, checked by
//! `authorization_server::client_assertion`), `tls_client_auth` and
//! `self_signed_tls_client_auth` (RFC 8705, `authorization_server::mtls`), or `none` for a
//! public client.

use authorization_server::client_assertion::{self, AssertionError, JWT_BEARER};
use authorization_server::{Client, Provider};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::sync::Arc;
use web::error::OAuthError;
use web::http::Params;

/// How the client presented its credentials.
#[derive(Debug)]
struct Presented {
    id: String,
    secret: Option<String>,
    basic: bool,
}

fn presented(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let basic = auth.and_then(|a| {
        let (scheme, rest) = a.split_once(' ')?;
        scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
    });
    if let Some(b64) = basic {
        if params.contains_key("client_secret") {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| OAuthError::invalid_client(true))?;
        let s = String::from_utf8(raw).map_err(|_| OAuthError::invalid_client(true))?;
        let (id, secret) = s.split_once(':').ok_or(OAuthError::invalid_client(true))?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
        let dec = |x: &str| {
            url::form_urlencoded::parse(format!("x={x}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let id = dec(id);
        if let Some(body_id) = params.get("client_id") {
            if *body_id != id {
                return Err(OAuthError::invalid_client(true));
            }
        }
        return Ok(Presented {
            id,
            secret: Some(dec(secret)),
            basic: true,
        });
    }
    let id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_client(false))?;
    Ok(Presented {
        id: id.clone(),
        secret: params.get("client_secret").cloned(),
        basic: false,
    })
}

/// Authenticates the calling client (`client_secret_basic`, `client_secret_post`,
/// `private_key_jwt`, or `none` for a public client). Every failure is the same
/// `invalid_client`; why is logged.
pub async fn authenticate_client(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Arc<Client>, OAuthError> {
    if let Some(kind) = params.get("client_assertion_type") {
        if kind != JWT_BEARER {
            return Err(OAuthError::invalid_request(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        if headers.contains_key(header::AUTHORIZATION) || params.contains_key("client_secret") {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        let assertion = params
            .get("client_assertion")
            .ok_or_else(|| OAuthError::invalid_request("client_assertion is missing"))?;
        return match client_assertion::authenticate(
            p,
            assertion,
            params.get("client_id").map(String::as_str),
        )
        .await
        {
            Ok(c) => Ok(c),
            Err(AssertionError::Unavailable(e)) => Err(OAuthError::unavailable(e)),
            Err(AssertionError::Invalid(why)) => {
                tracing::info!(why, "client assertion refused");
                Err(OAuthError::invalid_client(false))
            }
        };
    }
    if params.contains_key("client_assertion") {
        return Err(OAuthError::invalid_request(
            "client_assertion needs client_assertion_type",
        ));
    }
    let pr = presented(headers, params)?;
    let client = p.clients.get(&pr.id).await.map_err(OAuthError::internal)?;
    let Some(client) = client else {
        return Err(OAuthError::invalid_client(pr.basic));
    };
    match (&pr.secret, client.is_public()) {
        (Some(s), false) if client.secret_matches(s) => Ok(client),
        (None, true) => Ok(client),
        (None, false) if client.uses_mtls() => {
            // Mutual TLS (RFC 8705): the certificate of this connection (or the one a trusted
            // proxy forwarded) is the credential.
            let chain = web::http::client_certificate(headers).unwrap_or_default();
            match authorization_server::mtls::authenticate(p, &client, &chain) {
                Ok(()) => Ok(client),
                Err(why) => {
                    tracing::info!(why, "mutual TLS client authentication refused");
                    Err(OAuthError::invalid_client(false))
                }
            }
        }
        _ => Err(OAuthError::invalid_client(pr.basic)),
    }
}

/// A client's form post to an endpoint that authenticates clients (token, PAR, device
/// authorization): the body read, the form parsed, the client authenticated with the guessing
/// of secrets slowed down per address, and named in the request's span.
pub async fn authenticated_form(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(Params, Arc<Client>), OAuthError> {
    let body = web::http::body_or_error(body)?;
    let params = web::http::parse_form(headers, &body).map_err(|e| e.oauth())?;
    let client = authenticate_client_limited(p, headers, &params, ip).await?;
    tracing::Span::current().record("client_id", client.client_id.as_str());
    Ok((params, client))
}

/// The same, with the guessing of client secrets from one address slowed down: after
/// `client_auth_failures_per_address` failures in a window, `429` (good requests never pay
/// for the counter).
pub async fn authenticate_client_limited(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
    ip: &str,
) -> Result<Arc<Client>, OAuthError> {
    match authenticate_client(p, headers, params).await {
        Ok(c) => Ok(c),
        Err(e) => {
            let limit = p.cfg.client_auth_failures_per_address;
            let over = web::limits::over(p, "token-auth-ip", ip, limit)
                .await
                .map_err(OAuthError::unavailable)?;
            if over {
                return Err(OAuthError::too_many(web::limits::retry_after(p)));
            }
            Err(e)
        }
    }
}
