//! The token request (RFC 6749 §4.1.3, §6, §4.4) as a typed value, and its answer for a client
//! already authenticated: `authorization_code` (single use; a replay revokes what the first
//! redemption issued), `refresh_token` (rotated on every use; reuse of an old one revokes the
//! whole family), `client_credentials` (no database write on its path).

use super::authorize::{code_key, CodeGrant};
use super::Params;
use crate::grants::{self, revoke_family};
use crate::tokens::{
    access_token, clinician_claims, has_scope, id_token, revoked_key, user_claims, Binding,
    IdTokenInput,
};
use crate::{Client, Provider};
use credential_store::AccountStatus;
use platform::audit::AuditEvent;
use platform::crypto::{b64url, ct_eq, random_token, sha256, sha256_b64};
use platform::ephemeral::{put_json, take_json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod refresh;

/// Why a token request is refused (RFC 6749 §5.2), or could not be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// `invalid_request`.
    InvalidRequest(&'static str),
    /// `invalid_grant`.
    InvalidGrant(&'static str),
    /// `invalid_scope`.
    InvalidScope(String),
    /// `invalid_target` (RFC 8707): a resource the grant or the client does not reach.
    InvalidTarget(&'static str),
    /// `unauthorized_client`.
    UnauthorizedClient(&'static str),
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// A device's poll not answered with tokens (RFC 8628 §3.5): the error code
    /// (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`) and why.
    Device(&'static str, &'static str),
    /// A store the grant needs did not answer (`temporarily_unavailable`; cause logged).
    Unavailable(String),
    /// Anything else (`server_error`; cause logged, never shown).
    Internal(String),
}

fn unavailable(e: impl std::fmt::Display) -> TokenError {
    TokenError::Unavailable(e.to_string())
}

fn internal(e: impl std::fmt::Display) -> TokenError {
    TokenError::Internal(e.to_string())
}

/// The grant types the token endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    DeviceCode,
}

impl GrantType {
    /// The `grant_type` parameter: required, and one of ours.
    pub fn from_params(params: &Params) -> Result<Self, TokenError> {
        match params.get("grant_type").map(String::as_str) {
            None => Err(TokenError::InvalidRequest("grant_type is required")),
            Some("authorization_code") => Ok(GrantType::AuthorizationCode),
            Some("refresh_token") => Ok(GrantType::RefreshToken),
            Some("client_credentials") => Ok(GrantType::ClientCredentials),
            Some(super::device::GRANT_TYPE) => Ok(GrantType::DeviceCode),
            Some(_) => Err(TokenError::UnsupportedGrantType),
        }
    }

    /// Its name, as registered for clients and sent in `grant_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::DeviceCode => super::device::GRANT_TYPE,
        }
    }
}

/// A token request, by grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// Redeem a code (with its PKCE verifier when the request had a challenge).
    AuthorizationCode {
        code: String,
        redirect_uri: String,
        code_verifier: Option<String>,
        /// The resource server asked for (RFC 8707): the grant's.
        resource: Option<String>,
    },
    /// Rotate a refresh token (optionally narrowing the scope).
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
        /// The resource server asked for (RFC 8707): the grant's.
        resource: Option<String>,
    },
    /// A token for the client itself, for a resource server it names (`resource`, or SMART's
    /// `aud`) or its only one.
    ClientCredentials {
        scope: Option<String>,
        resource: Option<String>,
        aud: Option<String>,
    },
    /// A device's poll (RFC 8628).
    DeviceCode { device_code: String },
}

impl TokenRequest {
    /// The request of grant type `g` from the form's parameters.
    pub fn from_params(g: GrantType, params: &Params) -> Result<Self, TokenError> {
        let get = |k: &str| params.get(k).cloned();
        Ok(match g {
            GrantType::AuthorizationCode => TokenRequest::AuthorizationCode {
                code: get("code").ok_or(TokenError::InvalidRequest("code is required"))?,
                redirect_uri: get("redirect_uri")
                    .ok_or(TokenError::InvalidRequest("redirect_uri is required"))?,
                code_verifier: get("code_verifier"),
                resource: get("resource"),
            },
            GrantType::RefreshToken => TokenRequest::RefreshToken {
                refresh_token: get("refresh_token")
                    .ok_or(TokenError::InvalidRequest("refresh_token is required"))?,
                scope: get("scope"),
                resource: get("resource"),
            },
            GrantType::ClientCredentials => TokenRequest::ClientCredentials {
                scope: get("scope"),
                resource: get("resource"),
                aud: get("aud"),
            },
            GrantType::DeviceCode => TokenRequest::DeviceCode {
                device_code: get("device_code")
                    .ok_or(TokenError::InvalidRequest("device_code is required"))?,
            },
        })
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// An EHR launch's context (SMART App Launch): `patient`, `encounter`...
    #[serde(flatten)]
    pub launch: crate::smart_launch::LaunchContext,
}

/// Answers `req` for `client` (authenticated, and allowed the grant); `bind`: the DPoP key the
/// request proved it holds and the client certificate it came with, which the tokens are then
/// bound to.
#[tracing::instrument(level = "debug", skip_all, fields(client_id = %client.client_id))]
pub async fn exchange(
    p: &Provider,
    client: &Client,
    req: TokenRequest,
    bind: Binding<'_>,
) -> Result<TokenResponse, TokenError> {
    match req {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let v = code_verifier.as_deref();
            let r = resource.as_deref();
            redeem_code(p, client, &code, &redirect_uri, v, r, bind).await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
            resource,
        } => {
            let r = resource.as_deref();
            refresh::refresh(p, client, &refresh_token, scope.as_deref(), r, bind).await
        }
        TokenRequest::ClientCredentials {
            scope,
            resource,
            aud,
        } => {
            let target = crate::resources::target(
                &client.resources,
                resource.as_deref(),
                aud.as_deref(),
                &scope
                    .as_deref()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect::<Vec<_>>(),
            )
            .map_err(|e| TokenError::InvalidTarget(e.0))?;
            client_credentials(p, client, scope.as_deref(), target, bind)
        }
        TokenRequest::DeviceCode { device_code } => {
            super::device::poll(p, client, &device_code, bind).await
        }
    }
}

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

/// The PKCE check (RFC 7636 §4.6), in constant time.
fn pkce_ok(challenge: &Option<String>, verifier: Option<&str>) -> Result<(), TokenError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            let ok_form = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = b64url(&sha256(verifier.as_bytes()));
            if !ok_form || !ct_eq(computed.as_bytes(), challenge.as_bytes()) {
                return Err(TokenError::InvalidGrant("PKCE verification failed"));
            }
            Ok(())
        }
        (Some(_), None) => Err(TokenError::InvalidGrant("code_verifier is required")),
        (None, Some(_)) => Err(TokenError::InvalidGrant(
            "code_verifier given but the authorization request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

/// RFC 8707 §2.2: a `resource` at the token endpoint must be one the grant is for (a grant is
/// for one resource server at most).
fn same_target(asked: Option<&str>, granted: Option<&str>) -> Result<(), TokenError> {
    match asked {
        Some(a) if Some(a) != granted => Err(TokenError::InvalidTarget(
            "the resource is not the one this grant is for",
        )),
        _ => Ok(()),
    }
}

async fn redeem_code(
    p: &Provider,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
    resource: Option<&str>,
    bind: Binding<'_>,
) -> Result<TokenResponse, TokenError> {
    if code.len() > 256 {
        return Err(TokenError::InvalidGrant("invalid code"));
    }
    let grant: Option<CodeGrant> = take_json(p.store.as_ref(), &code_key(code))
        .await
        .map_err(unavailable)?;
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
        return Err(TokenError::InvalidGrant(
            "the code is invalid, expired or already used",
        ));
    };
    if grant.client_id != client.client_id {
        return Err(TokenError::InvalidGrant(
            "the code was issued to another client",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(TokenError::InvalidGrant(
            "redirect_uri does not match the authorization request",
        ));
    }
    pkce_ok(&grant.code_challenge, verifier)?;
    same_target(resource, grant.audience.as_deref())?;
    if client.fapi2 && p.clock.now() - grant.issued_at > crate::clients::FAPI2_CODE_SECS {
        return Err(TokenError::InvalidGrant("the code has expired"));
    }
    issue_for_grant(p, client, &grant, bind, "authorization_code", Some(code)).await
}

/// Tokens for a sign-in's grant (a redeemed code, an approved device): the access token, the
/// ID token, and a refresh token when the client may refresh; audited as `token.issued` with
/// `how` (the grant type). `code`: the code redeemed, whose replay marker then names what was
/// issued so a second redemption revokes it.
pub(crate) async fn issue_for_grant(
    p: &Provider,
    client: &Client,
    grant: &CodeGrant,
    bind: Binding<'_>,
    how: &'static str,
    code: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let account = p
        .accounts
        .find_by_id(&grant.ctx.account_id)
        .await
        .map_err(internal)?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or(TokenError::InvalidGrant("the account is no longer active"))?;
    let sub = crate::subjects::issue(p, client, &grant.ctx.account_id)
        .await
        .map_err(internal)?;
    let (at, at_claims) = access_token(
        p,
        client,
        &grant.scope,
        grant.audience.as_deref(),
        &grant.launch,
        Some(&grant.ctx),
        bind,
    )
    .map_err(internal)?;
    let mut extra = requested_claims(&account, client, &grant.id_token_claims);
    extra.extend(clinician_id_claims(p, &account, &grant.scope).await?);
    let idt = id_token(
        p,
        IdTokenInput {
            client_id: &client.client_id,
            sub: &sub,
            alg: client.id_token_alg,
            ctx: &grant.ctx,
            nonce: grant.nonce.as_deref(),
            access_token: Some(&at),
            extra,
        },
    )
    .map_err(internal)?;
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
            Some(f) => {
                let r = grants::NewRefresh {
                    client_id: &client.client_id,
                    family: f,
                    scope: &grant.scope,
                    audience: grant.audience.as_deref(),
                    launch: &grant.launch,
                    ctx: &grant.ctx,
                    expires_at: refresh_expiry(p, &grant.scope, &grant.ctx),
                    dpop_jkt: bind.jkt,
                };
                Some(new_refresh(p, r).await?)
            }
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
                detail: Some(how),
                ..Default::default()
            })
            .await;
        Ok::<_, TokenError>(refresh)
    };
    let marker = async {
        if let Some(code) = code {
            let _ = put_json(
                p.store.as_ref(),
                &used_key(code),
                &redeemed,
                p.cfg.access_token_ttl,
            )
            .await;
        }
    };
    let (refresh, ()) = tokio::join!(durable, marker);
    Ok(answer(
        p,
        at,
        grant.scope.clone(),
        Some(idt),
        refresh?,
        grant.launch.clone(),
        bind,
    ))
}

/// The `clinician` scope's claims for an ID token, when the grant holds the scope, and the
/// `fhirUser` claim (SMART), when it holds that one: a clinical application reads them at
/// sign-in without a userinfo call.
async fn clinician_id_claims(
    p: &Provider,
    account: &credential_store::Account,
    scope: &str,
) -> Result<Map<String, Value>, TokenError> {
    let clinician = has_scope(scope, "clinician");
    let fhir = has_scope(scope, "fhirUser") && !p.cfg.fhir_user.is_empty();
    if !clinician && !fhir {
        return Ok(Map::new());
    }
    let designations = p
        .accounts
        .designations(&account.id)
        .await
        .map_err(internal)?;
    let mut m = if clinician {
        clinician_claims(account, &designations)
    } else {
        Map::new()
    };
    if let Some(u) = fhir
        .then(|| crate::tokens::fhir_user(&p.cfg.fhir_user, account, &designations))
        .flatten()
    {
        m.insert("fhirUser".into(), u.into());
    }
    Ok(m)
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
    let all = user_claims(account, &[], &allowed);
    all.into_iter()
        .filter(|(k, _)| asked.iter().any(|a| a == k) && k != "sub")
        .collect()
}

fn answer(
    p: &Provider,
    access_token: String,
    scope: String,
    id_token: Option<String>,
    refresh_token: Option<String>,
    launch: crate::smart_launch::LaunchContext,
    bind: Binding<'_>,
) -> TokenResponse {
    TokenResponse {
        access_token,
        token_type: if bind.jkt.is_some() { "DPoP" } else { "Bearer" },
        expires_in: p.cfg.access_token_ttl,
        scope,
        id_token,
        refresh_token,
        launch,
    }
}

/// When a new refresh family expires: after `refresh_token_ttl`, but with SMART's
/// `online_access` (and not `offline_access`) no later than the sign-in session it came from
/// (which logout also ends: its refresh tokens are revoked with it).
fn refresh_expiry(p: &Provider, scope: &str, ctx: &crate::tokens::AuthContext) -> i64 {
    let full = p.clock.now() + p.cfg.refresh_token_ttl;
    if has_scope(scope, "online_access") && !has_scope(scope, "offline_access") {
        full.min(ctx.auth_time + p.cfg.session_ttl)
    } else {
        full
    }
}

async fn new_refresh(p: &Provider, g: grants::NewRefresh<'_>) -> Result<String, TokenError> {
    grants::issue_refresh(p, g).await.map_err(unavailable)
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

fn client_credentials(
    p: &Provider,
    client: &Client,
    asked: Option<&str>,
    target: Option<&crate::resources::ClientResource>,
    bind: Binding<'_>,
) -> Result<TokenResponse, TokenError> {
    if client.is_public() {
        return Err(TokenError::UnauthorizedClient(
            "public clients cannot use client_credentials",
        ));
    }
    let asked: Vec<&str> = asked
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    for s in &asked {
        match crate::smart_scopes::ClinicalScope::parse(s) {
            Err(e) => return Err(TokenError::InvalidScope(e.to_string())),
            // Without a user there is no patient or user to reach data as.
            Ok(Some(c)) if c.context != crate::smart_scopes::Context::System => {
                return Err(TokenError::InvalidScope(format!(
                    "scope {s}: patient/ and user/ scopes need a user; a backend asks system/"
                )));
            }
            Ok(_) => {}
        }
        if *s == "openid" || *s == "offline_access" {
            return Err(TokenError::InvalidScope(format!(
                "scope {s} is not available to this client with client_credentials"
            )));
        }
    }
    // Each scope asked is granted whole or the request is refused (a backend asks for what
    // it was registered for); a wider clinical scope is narrowed to the client's there.
    let mut granted: Vec<String> = Vec::new();
    for s in &asked {
        let add = match target {
            Some(t) if crate::resources::is_resource_scope(t, s) => crate::resources::grant(t, s),
            _ if client.allows_scope(s) => vec![(*s).to_owned()],
            _ => Vec::new(),
        };
        if add.is_empty() {
            return Err(TokenError::InvalidScope(format!(
                "scope {s} is not available to this client with client_credentials"
            )));
        }
        for a in add {
            if !granted.contains(&a) {
                granted.push(a);
            }
        }
    }
    let scope = granted.join(" ");
    let aud = target.map(|t| t.audience.as_str());
    let (at, _) =
        access_token(p, client, &scope, aud, &Default::default(), None, bind).map_err(internal)?;
    p.audit
        .count("token.issued.client_credentials", &client.client_id);
    Ok(answer(p, at, scope, None, None, Default::default(), bind))
}

#[cfg(test)]
mod tests {
    use super::super::params;
    use super::*;

    #[test]
    fn the_grant_type_is_required_and_must_be_ours() {
        assert_eq!(
            GrantType::from_params(&params(&[])),
            Err(TokenError::InvalidRequest("grant_type is required"))
        );
        assert_eq!(
            GrantType::from_params(&params(&[("grant_type", "password")])),
            Err(TokenError::UnsupportedGrantType)
        );
        let g = GrantType::from_params(&params(&[("grant_type", "refresh_token")])).unwrap();
        assert_eq!(g.as_str(), "refresh_token");
    }

    #[test]
    fn each_grant_names_what_it_is_missing() {
        let code =
            TokenRequest::from_params(GrantType::AuthorizationCode, &params(&[("code", "c")]));
        assert_eq!(
            code,
            Err(TokenError::InvalidRequest("redirect_uri is required"))
        );
        let r = TokenRequest::from_params(
            GrantType::RefreshToken,
            &params(&[("refresh_token", "t"), ("scope", "openid")]),
        )
        .unwrap();
        assert_eq!(
            r,
            TokenRequest::RefreshToken {
                refresh_token: "t".into(),
                scope: Some("openid".into()),
                resource: None,
            }
        );
    }

    #[test]
    fn pkce_needs_the_verifier_of_the_challenge() {
        let verifier = "v".repeat(43);
        let challenge = Some(b64url(&sha256(verifier.as_bytes())));
        assert_eq!(pkce_ok(&challenge, Some(&verifier)), Ok(()));
        assert!(pkce_ok(&challenge, Some(&"w".repeat(43))).is_err());
        assert!(pkce_ok(&challenge, None).is_err());
        assert!(pkce_ok(&None, Some(&verifier)).is_err());
        assert_eq!(pkce_ok(&None, None), Ok(()));
    }

    #[test]
    fn a_token_response_leaves_out_what_was_not_issued() {
        let r = TokenResponse {
            access_token: "a".into(),
            token_type: "Bearer",
            expires_in: 300,
            scope: "x".into(),
            id_token: None,
            refresh_token: None,
            launch: Default::default(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["token_type"], "Bearer");
        assert!(v.get("id_token").is_none() && v.get("refresh_token").is_none());
    }
}
