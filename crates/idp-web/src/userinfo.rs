//! Bearer-token endpoints: userinfo (GET, POST with header, POST with body), introspection
//! (RFC 7662) and revocation (RFC 7009).

use crate::client_auth::authenticate_client;
use authorization_server::grants::{self, revoke_family};
use authorization_server::tokens::{
    live_access_token, revoked_key, user_claims, verify_access_token, AccessClaims,
};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::AccountStatus;
use serde_json::json;
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{bearer, body_or_error, json_no_store, parse_form, Params};

type Body = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// A live (signed, unexpired, unrevoked) access token.
async fn live_token(p: &Provider, token: &str) -> Result<Option<AccessClaims>, OAuthError> {
    live_access_token(p, token)
        .await
        .map_err(OAuthError::unavailable)
}

/// GET /userinfo
#[tracing::instrument(skip_all)]
pub async fn get(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let token = bearer(&headers).map(str::to_owned);
    respond(userinfo(&p, token).await)
}

/// POST /userinfo (token in the Authorization header or, form-encoded, in the body; never
/// both, RFC 6750 §2)
#[tracing::instrument(skip_all)]
pub async fn post(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Body) -> Response {
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
    respond(userinfo(&p, token).await)
}

fn respond(r: Result<Response, OAuthError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn userinfo(p: &Provider, token: Option<String>) -> Result<Response, OAuthError> {
    let Some(token) = token else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"oneid\""),
        );
        return Ok(r);
    };
    let Some(c) = verify_access_token(p, &token) else {
        return Err(OAuthError::invalid_token(
            "the access token is invalid, expired or revoked",
        ));
    };
    let scopes: Vec<&str> = c.scope.split(' ').collect();
    if !c.has_person() || !scopes.contains(&"openid") {
        return Err(OAuthError::invalid_token(
            "the access token does not grant access to userinfo",
        ));
    }
    // The revocation check (ephemeral store) and the account (database) in parallel.
    let rvk = revoked_key(&c.jti);
    let (revoked, account) = tokio::join!(p.store.get(&rvk), p.accounts.find_by_id(&c.sub));
    if revoked.map_err(OAuthError::unavailable)?.is_some() {
        return Err(OAuthError::invalid_token(
            "the access token is invalid, expired or revoked",
        ));
    }
    let account = account
        .map_err(OAuthError::internal)?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or_else(|| OAuthError::invalid_token("the account is no longer active"))?;
    let claims = user_claims(&account, &scopes);
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
    let inactive = || json_no_store(json!({ "active": false }).to_string());
    // token_type_hint only orders the search (RFC 7662 §2.1); an access token is recognised
    // by its signature without a lookup, so it is always tried first.
    {
        if let Some(c) = live_token(p, token).await? {
            // Another client's token is none of this client's business (its facts would
            // tell who signed in where), unless it is registered to introspect any token.
            if c.client_id != client.client_id
                && c.aud != client.client_id
                && !client.may_introspect_any()
            {
                return Ok(inactive());
            }
            let mut body = json!({
                "active": true,
                "iss": c.iss,
                "sub": c.sub,
                "aud": c.aud,
                "client_id": c.client_id,
                "exp": c.exp,
                "iat": c.iat,
                "jti": c.jti,
                "scope": c.scope,
                "token_type": "Bearer",
            });
            if let Some(a) = c.auth_time {
                body["auth_time"] = a.into();
            }
            if let Some(a) = c.acr {
                body["acr"] = a.into();
            }
            if let Some(s) = c.sid {
                body["sid"] = s.into();
            }
            return Ok(json_no_store(body.to_string()));
        }
    }
    let grant = grants::find_refresh(p, token)
        .await
        .map_err(OAuthError::unavailable)?;
    let Some(grant) = grant.filter(|g| g.usable(p.clock.now())) else {
        return Ok(inactive());
    };
    if grant.client_id != client.client_id && !client.may_introspect_any() {
        return Ok(inactive());
    }
    let body = json!({
        "active": true,
        "iss": p.cfg.issuer,
        "client_id": grant.client_id,
        "sub": grant.ctx.account_id,
        "scope": grant.scope,
        "exp": grant.expires_at,
        "iat": grant.created_at,
        "token_type": "refresh_token",
    });
    Ok(json_no_store(body.to_string()))
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
    if let Some(c) = verify_access_token(p, token) {
        if c.client_id == client.client_id {
            let ttl = (c.exp - p.clock.now()).max(1);
            p.store
                .put(&revoked_key(&c.jti), b"1", ttl)
                .await
                .map_err(OAuthError::unavailable)?;
        }
    } else {
        let grant = grants::find_refresh(p, token)
            .await
            .map_err(OAuthError::unavailable)?;
        if let Some(g) = grant.filter(|g| g.client_id == client.client_id) {
            revoke_family(p, &g.family_id)
                .await
                .map_err(OAuthError::unavailable)?;
        }
    }
    Ok(json_no_store("{}".into()))
}
