//! The token endpoint: authorization_code (single use; a replay revokes what the first
//! redemption issued), refresh_token (rotated on every use; reuse of an old one revokes the
//! whole family), client_credentials (no database write on its path).

use crate::authorize::{code_key, CodeGrant};
use crate::client_auth::authenticate_client;
use authorization_server::grants::{self, revoke_family};
use authorization_server::tokens::{
    access_token, id_token, revoked_key, user_claims, AuthContext, IdTokenInput,
};
use authorization_server::{Client, Provider};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use credential_store::AccountStatus;
use platform::audit::AuditEvent;
use platform::crypto::{b64url, ct_eq, random_token, sha256, sha256_b64};
use platform::ephemeral::{put_json, take_json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{body_or_error, json_no_store, parse_form, Params};

/// What the first redemption of a code issued, so a replay can revoke it.
#[derive(Debug, Serialize, Deserialize)]
struct Redeemed {
    family_id: Option<String>,
    jti: String,
    exp: i64,
}

fn used_key(code: &str) -> String {
    format!("used:{}", sha256_b64(code.as_bytes()))
}

/// POST /token
#[tracing::instrument(skip_all)]
pub async fn token(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    web::http::ClientIp(ip): web::http::ClientIp,
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
    let body = body_or_error(body)?;
    let params = parse_form(headers, &body).map_err(|e| e.oauth())?;
    let client = match authenticate_client(p, headers, &params).await {
        Ok(c) => c,
        Err(e) => {
            // Guessing client secrets from one address is slowed down; good requests never
            // pay for the counter.
            let over = web::limits::over(
                p,
                "token-auth-ip",
                ip,
                p.cfg.client_auth_failures_per_address,
            )
            .await
            .map_err(OAuthError::unavailable)?;
            if over {
                return Err(OAuthError::too_many(web::limits::retry_after(p)));
            }
            return Err(e);
        }
    };
    if p.cfg.token_limit_per_client > 0
        && web::limits::over(
            p,
            "token-client",
            &client.client_id,
            p.cfg.token_limit_per_client,
        )
        .await
        .map_err(OAuthError::unavailable)?
    {
        return Err(OAuthError::too_many(web::limits::retry_after(p)));
    }
    let grant = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    match grant.as_str() {
        "authorization_code" | "refresh_token" | "client_credentials" => {}
        _ => return Err(OAuthError::unsupported_grant_type("unsupported grant_type")),
    }
    if !client.allows_grant(grant) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this grant type",
        ));
    }
    let r = match grant.as_str() {
        "authorization_code" => authorization_code(p, &client, &params).await,
        "refresh_token" => refresh(p, &client, &params).await,
        _ => client_credentials(p, &client, &params),
    };
    if r.is_ok() {
        p.metrics.inc(
            "oneid_tokens_issued_total",
            match grant.as_str() {
                "authorization_code" => "grant=\"authorization_code\"",
                "refresh_token" => "grant=\"refresh_token\"",
                _ => "grant=\"client_credentials\"",
            },
        );
    }
    r
}

async fn authorization_code(
    p: &Provider,
    client: &Client,
    params: &Params,
) -> Result<Response, OAuthError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is required"))?;
    if code.len() > 256 {
        return Err(OAuthError::invalid_grant("invalid code"));
    }
    let grant: Option<CodeGrant> = take_json(p.store.as_ref(), &code_key(code))
        .await
        .map_err(OAuthError::unavailable)?;
    let Some(grant) = grant else {
        // Replayed? Revoke what the first redemption issued (RFC 6749 §4.1.2).
        if let Ok(Some(r)) = take_json::<Redeemed>(p.store.as_ref(), &used_key(code)).await {
            revoke_redeemed(p, &r).await;
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "token.code_reuse",
                    client_id: Some(&client.client_id),
                    detail: Some("tokens from the first redemption revoked"),
                    ..Default::default()
                })
                .await;
        }
        return Err(OAuthError::invalid_grant(
            "the code is invalid, expired or already used",
        ));
    };
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if grant.redirect_uri != *redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let ok_form = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = b64url(&sha256(verifier.as_bytes()));
            if !ok_form || !ct_eq(computed.as_bytes(), challenge.as_bytes()) {
                return Err(OAuthError::invalid_grant("PKCE verification failed"));
            }
        }
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier given but the authorization request had no code_challenge",
            ))
        }
        (None, None) => {}
    }
    let account = p
        .accounts
        .find_by_id(&grant.ctx.account_id)
        .await
        .map_err(OAuthError::internal)?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;
    let (at, at_claims) =
        access_token(p, client, &grant.scope, Some(&grant.ctx)).map_err(OAuthError::internal)?;
    let extra = requested_claims(&account, client, &grant.id_token_claims);
    let idt = id_token(
        p,
        IdTokenInput {
            client_id: &client.client_id,
            alg: client.id_token_alg,
            ctx: &grant.ctx,
            nonce: grant.nonce.as_deref(),
            access_token: Some(&at),
            extra,
        },
    )
    .map_err(OAuthError::internal)?;
    let family = client
        .allows_grant("refresh_token")
        .then(|| random_token(16));
    let redeemed = Redeemed {
        family_id: family.clone(),
        jti: at_claims.jti.clone(),
        exp: at_claims.exp,
    };
    // The replay marker goes to the ephemeral store while the database writes run: one
    // round trip less on the path of every sign-in.
    let durable = async {
        let refresh = match &family {
            Some(f) => Some(new_refresh(p, client, f, &grant.scope, &grant.ctx, None).await?),
            None => None,
        };
        let _ = p
            .audit
            .record(AuditEvent {
                event: "token.issued",
                actor: Some(&client.client_id),
                subject: Some(&grant.ctx.account_id),
                client_id: Some(&client.client_id),
                session_id: Some(&grant.ctx.sid),
                detail: Some("authorization_code"),
                ..Default::default()
            })
            .await;
        Ok::<_, OAuthError>(refresh)
    };
    let marker_key = used_key(code);
    let marker = put_json(
        p.store.as_ref(),
        &marker_key,
        &redeemed,
        p.cfg.access_token_ttl,
    );
    let (refresh, _) = tokio::join!(durable, marker);
    let refresh = refresh?;
    Ok(token_response(p, &at, &grant.scope, Some(&idt), refresh))
}

fn requested_claims(
    account: &credential_store::Account,
    client: &Client,
    asked: &[String],
) -> Map<String, Value> {
    if asked.is_empty() {
        return Map::new();
    }
    // The claims parameter asks for individual claims (OIDC Core §5.5) beyond the scopes of
    // this request, but never beyond the scopes the client is registered for.
    let allowed: Vec<&str> = ["profile", "email", "phone"]
        .into_iter()
        .filter(|s| client.allows_scope(s))
        .collect();
    let all = user_claims(account, &allowed);
    all.into_iter()
        .filter(|(k, _)| asked.iter().any(|a| a == k) && k != "sub")
        .collect()
}

fn token_response(
    p: &Provider,
    at: &str,
    scope: &str,
    id_token: Option<&str>,
    refresh: Option<String>,
) -> Response {
    let mut body = json!({
        "access_token": at,
        "token_type": "Bearer",
        "expires_in": p.cfg.access_token_ttl,
        "scope": scope,
    });
    if let Some(t) = id_token {
        body["id_token"] = t.into();
    }
    if let Some(r) = refresh {
        body["refresh_token"] = r.into();
    }
    json_no_store(body.to_string())
}

async fn new_refresh(
    p: &Provider,
    client: &Client,
    family: &str,
    scope: &str,
    ctx: &AuthContext,
    expires_at: Option<i64>,
) -> Result<String, OAuthError> {
    // A rotated token keeps its family's expiry: refreshing never extends the grant.
    let expires_at = expires_at.unwrap_or(p.clock.now() + p.cfg.refresh_token_ttl);
    grants::issue_refresh(p, &client.client_id, family, scope, ctx, expires_at)
        .await
        .map_err(OAuthError::unavailable)
}

async fn revoke_redeemed(p: &Provider, r: &Redeemed) {
    if let Some(f) = &r.family_id {
        if let Err(e) = revoke_family(p, f).await {
            tracing::error!(error = %e, "could not revoke a refresh family");
        }
    }
    let ttl = (r.exp - p.clock.now()).max(1);
    if let Err(e) = p.store.put(&revoked_key(&r.jti), b"1", ttl).await {
        tracing::error!(error = %e, "could not revoke an access token");
    }
}

async fn refresh(p: &Provider, client: &Client, params: &Params) -> Result<Response, OAuthError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let grant = grants::find_refresh(p, presented)
        .await
        .map_err(OAuthError::unavailable)?
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    let family = grant.family_id;
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if grant.used_at.is_some() || grant.revoked {
        if grant.used_at.is_some() && !grant.revoked {
            revoke_family(p, &family)
                .await
                .map_err(OAuthError::unavailable)?;
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "token.refresh_reuse",
                    client_id: Some(&client.client_id),
                    detail: Some("refresh token family revoked"),
                    ..Default::default()
                })
                .await;
        }
        return Err(OAuthError::invalid_grant(
            "the refresh token is no longer valid",
        ));
    }
    let expires_at = grant.expires_at;
    if expires_at <= p.clock.now() {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let original = grant.scope;
    let scope = match params.get("scope") {
        Some(s) => {
            let asked: Vec<&str> = s.split_whitespace().collect();
            if asked.iter().any(|a| !original.split(' ').any(|o| o == *a)) {
                return Err(OAuthError::invalid_scope(
                    "scope exceeds the original grant",
                ));
            }
            asked.join(" ")
        }
        None => original.clone(),
    };
    let ctx = grant.ctx;
    p.accounts
        .find_by_id(&ctx.account_id)
        .await
        .map_err(OAuthError::internal)?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;
    // The gate again: an enrolment ended, a sponsorship ended or a level lowered since the
    // sign-in stops the refresh.
    let Some(service) = &client.service_id else {
        return Err(OAuthError::invalid_grant(
            "this relying party belongs to no service, so no one may use it",
        ));
    };
    let access = p
        .registration
        .directory
        .access(&ctx.account_id, service)
        .await
        .map_err(OAuthError::unavailable)?;
    if access != registration::Access::Allowed {
        return Err(OAuthError::invalid_grant(
            "the account is no longer enrolled in this service at its level of assurance",
        ));
    }
    // Mark used atomically: of two concurrent uses exactly one proceeds.
    let marked = grants::use_refresh(p, presented)
        .await
        .map_err(OAuthError::unavailable)?;
    if !marked {
        revoke_family(p, &family)
            .await
            .map_err(OAuthError::unavailable)?;
        return Err(OAuthError::invalid_grant(
            "the refresh token is no longer valid",
        ));
    }
    let next = new_refresh(p, client, &family, &original, &ctx, Some(expires_at)).await?;
    let (at, _) = access_token(p, client, &scope, Some(&ctx)).map_err(OAuthError::internal)?;
    let scopes: Vec<&str> = scope.split(' ').collect();
    let idt = scopes
        .contains(&"openid")
        .then(|| {
            id_token(
                p,
                IdTokenInput {
                    client_id: &client.client_id,
                    alg: client.id_token_alg,
                    ctx: &ctx,
                    nonce: None,
                    access_token: Some(&at),
                    extra: Map::new(),
                },
            )
        })
        .transpose()
        .map_err(OAuthError::internal)?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "token.issued",
            actor: Some(&client.client_id),
            subject: Some(&ctx.account_id),
            client_id: Some(&client.client_id),
            session_id: Some(&ctx.sid),
            detail: Some("refresh_token"),
            ..Default::default()
        })
        .await;
    Ok(token_response(p, &at, &scope, idt.as_deref(), Some(next)))
}

fn client_credentials(
    p: &Provider,
    client: &Client,
    params: &Params,
) -> Result<Response, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    let asked: Vec<&str> = params
        .get("scope")
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    for s in &asked {
        if *s == "openid" || *s == "offline_access" || !client.allows_scope(s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {s} is not available to this client with client_credentials"
            )));
        }
    }
    let scope = asked.join(" ");
    let (at, _) = access_token(p, client, &scope, None).map_err(OAuthError::internal)?;
    p.audit
        .count("token.issued.client_credentials", &client.client_id);
    Ok(token_response(p, &at, &scope, None, None))
}
