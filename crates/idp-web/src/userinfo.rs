//! Bearer-token endpoints over HTTP: userinfo (GET, POST with header, POST with body; the
//! token read one way only), introspection (RFC 7662) and revocation (RFC 7009) for an
//! authenticated client. What they answer is `authorization_server::oidc::resource`'s.

use crate::client_auth::authenticate_client;
use authorization_server::oidc::resource::{self, UserinfoError};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{bearer, body_or_error, json_no_store, parse_form, Params};

type Body = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// GET /userinfo
#[tracing::instrument(skip_all)]
pub async fn get(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    if is_dpop(&headers) {
        return dpop_userinfo(&p, &headers, "GET").await;
    }
    let token = bearer(&headers).map(str::to_owned);
    respond(userinfo(&p, &headers, token).await)
}

/// True when the token is sent with the DPoP scheme.
fn is_dpop(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"))
}

/// Userinfo for a DPoP token: the proof checked (method, URL, the token's hash, nonce, replay),
/// then the token, which must be bound to the proof's key. Refusals say so in
/// `WWW-Authenticate: DPoP` (RFC 9449 §7.1); every answer carries the next nonce.
async fn dpop_userinfo(p: &Provider, headers: &HeaderMap, htm: &str) -> Response {
    use crate::dpop_http::{presented, Presented, ResourceRefusal};
    use authorization_server::dpop::DpopError;
    let url = format!("{}/userinfo", p.cfg.issuer);
    let challenge = |error: &str, description: &str| {
        let mut r = (
            StatusCode::UNAUTHORIZED,
            json_no_store(
                serde_json::json!({ "error": error, "error_description": description }).to_string(),
            ),
        )
            .into_response();
        let value = format!(
            "DPoP realm=\"oneid\", error=\"{error}\", algs=\"{}\"",
            authorization_server::dpop::ALGS.join(" ")
        );
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    };
    let mut r = match presented(p, headers, htm, &url).await {
        Ok(Presented::Dpop(token, jkt)) => {
            match resource::userinfo(p, token, Some(&jkt), certificate(headers).as_deref()).await {
                Ok(claims) => json_no_store(serde_json::Value::Object(claims).to_string()),
                Err(UserinfoError::InvalidToken(d)) => challenge("invalid_token", d),
                Err(UserinfoError::Unavailable(e)) => OAuthError::unavailable(e).into_response(),
                Err(UserinfoError::Internal(e)) => OAuthError::internal(e).into_response(),
            }
        }
        Ok(Presented::Bearer) | Err(ResourceRefusal::NoToken) => {
            challenge("invalid_request", "no DPoP access token")
        }
        Err(ResourceRefusal::Proof(DpopError::UseNonce)) => challenge(
            "use_dpop_nonce",
            "use the DPoP-Nonce of this answer in a new proof",
        ),
        Err(ResourceRefusal::Proof(DpopError::Invalid(why))) => {
            challenge("invalid_dpop_proof", why)
        }
        Err(ResourceRefusal::Proof(DpopError::Unavailable(e))) => {
            OAuthError::unavailable(e).into_response()
        }
    };
    crate::dpop_http::add_nonce(p, &mut r);
    r
}

/// POST /userinfo (token in the Authorization header or, form-encoded, in the body; never
/// both, RFC 6750 §2)
#[tracing::instrument(skip_all)]
pub async fn post(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Body) -> Response {
    if is_dpop(&headers) {
        return dpop_userinfo(&p, &headers, "POST").await;
    }
    let header_token = bearer(&headers).map(str::to_owned);
    let body = match body_or_error(body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let body_token = if body.is_empty() {
        None
    } else {
        match parse_form(&headers, &body) {
            Ok(params) => params.get("access_token").cloned(),
            // A header-authenticated POST may carry any body.
            Err(_) if header_token.is_some() => None,
            Err(e) => return e.oauth().into_response(),
        }
    };
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return OAuthError::invalid_request("send the access token one way, not two")
                .into_response()
        }
        (h, b) => h.or(b),
    };
    respond(userinfo(&p, &headers, token).await)
}

/// The thumbprint of the client certificate the request came with (mutual TLS), if any.
pub(crate) fn certificate(headers: &HeaderMap) -> Option<String> {
    web::http::client_certificate(headers).and_then(|chain| {
        chain
            .first()
            .map(|c| authorization_server::mtls::thumbprint(c))
    })
}

fn respond(r: Result<Response, OAuthError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn userinfo(
    p: &Provider,
    headers: &HeaderMap,
    token: Option<String>,
) -> Result<Response, OAuthError> {
    let Some(token) = token else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"oneid\""),
        );
        return Ok(r);
    };
    let claims = resource::userinfo(p, &token, None, certificate(headers).as_deref())
        .await
        .map_err(|e| match e {
            UserinfoError::InvalidToken(d) => OAuthError::invalid_token(d),
            UserinfoError::Unavailable(e) => OAuthError::unavailable(e),
            UserinfoError::Internal(e) => OAuthError::internal(e),
        })?;
    Ok(json_no_store(serde_json::Value::Object(claims).to_string()))
}

async fn client_params(
    p: &Provider,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Arc<authorization_server::Client>, Params), OAuthError> {
    let body = body_or_error(body)?;
    let params = parse_form(headers, &body).map_err(|e| e.oauth())?;
    let client = authenticate_client(p, headers, &params).await?;
    Ok((client, params))
}

/// POST /introspect (RFC 7662); confidential clients only. A client learns about its own tokens
/// (issued to it, or naming it as audience); another client's token is `{"active": false}`
/// unless the caller is registered with the scope `oneid:introspect` (a resource server that
/// checks every client's tokens).
#[tracing::instrument(skip_all)]
pub async fn introspect(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond(do_introspect(&p, &headers, body).await)
}

async fn do_introspect(
    p: &Provider,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let (client, params) = client_params(p, headers, body).await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client(false));
    }
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let answer = resource::introspect(p, &client, token)
        .await
        .map_err(crate::token_endpoint::oauth)?;
    let body = serde_json::to_string(&answer).map_err(OAuthError::internal)?;
    Ok(json_no_store(body))
}

/// POST /revoke (RFC 7009): answers 200 whether or not the token was known.
#[tracing::instrument(skip_all)]
pub async fn revoke(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Body) -> Response {
    respond(do_revoke(&p, &headers, body).await)
}

async fn do_revoke(p: &Provider, headers: &HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let (client, params) = client_params(p, headers, body).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    resource::revoke(p, &client, token)
        .await
        .map_err(crate::token_endpoint::oauth)?;
    Ok(json_no_store("{}".into()))
}
