//! What a bearer token opens: the person's claims at userinfo (OIDC Core §5.3), a token's
//! facts at introspection (RFC 7662), and its end at revocation (RFC 7009). The caller is
//! already authenticated where it must be (a client at introspection and revocation).

use super::token::TokenError;
use crate::grants::{self, revoke_family};
use crate::tokens::{live_access_token, revoked_key, user_claims, verify_access_token};
use crate::{Client, Provider};
use credential_store::AccountStatus;
use serde::Serialize;
use serde_json::{Map, Value};

/// Why userinfo refuses a token (`invalid_token`, RFC 6750 §3.1), or could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserinfoError {
    /// `invalid_token`, with what is wrong.
    InvalidToken(&'static str),
    /// A store did not answer.
    Unavailable(String),
    /// Anything else (logged, never shown).
    Internal(String),
}

/// Whether a request may use the access token `c`: `jkt` is the DPoP key the request proved
/// (a DPoP-bound token needs its own key's proof, and an unbound token is not taken as a DPoP
/// one); `certificate` the thumbprint of the client certificate it came with (a
/// certificate-bound token needs the same one). The refusal says why.
pub fn check_binding(
    c: &crate::tokens::AccessClaims,
    jkt: Option<&str>,
    certificate: Option<&str>,
) -> Result<(), &'static str> {
    // A certificate-bound token (RFC 8705 §3) is worth nothing over another connection.
    if let Some(bound) = c.x5t_s256() {
        let same =
            certificate.is_some_and(|t| platform::crypto::ct_eq(t.as_bytes(), bound.as_bytes()));
        if !same {
            return Err(
                "the access token is bound to a client certificate this request does not present",
            );
        }
    }
    match (c.jkt(), jkt) {
        (Some(bound), Some(proved)) if bound == proved => Ok(()),
        (None, None) => Ok(()),
        (Some(_), None) => Err("the access token is DPoP-bound: send it with a DPoP proof"),
        (Some(_), Some(_)) => Err("the DPoP proof is not by the key the token is bound to"),
        (None, Some(_)) => Err("the access token is not DPoP-bound"),
    }
}

/// The claims of the person the access token `token` was issued for, as its scopes allow;
/// `jkt`: the DPoP key the request proved (a bound token needs its own key's proof, and an
/// unbound token is not taken as a DPoP one); `certificate`: the thumbprint of the client
/// certificate the request came with (a certificate-bound token needs the same one).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn userinfo(
    p: &Provider,
    token: &str,
    jkt: Option<&str>,
    certificate: Option<&str>,
) -> Result<Map<String, Value>, UserinfoError> {
    const INVALID: &str = "the access token is invalid, expired or revoked";
    let c = verify_access_token(p, token).ok_or(UserinfoError::InvalidToken(INVALID))?;
    check_binding(&c, jkt, certificate).map_err(UserinfoError::InvalidToken)?;
    let scopes: Vec<&str> = c.scope.split(' ').collect();
    if !c.has_person() || !scopes.contains(&"openid") {
        return Err(UserinfoError::InvalidToken(
            "the access token does not grant access to userinfo",
        ));
    }
    // The account the token's subject names for its client (itself, unless the client has
    // pairwise subjects).
    let account_id = crate::subjects::account_of_client_id(p, &c.client_id, &c.sub)
        .await
        .map_err(|e| UserinfoError::Internal(e.to_string()))?
        .ok_or(UserinfoError::InvalidToken(INVALID))?;
    // The revocation check (ephemeral store) and the account (database) in parallel.
    let rvk = revoked_key(&c.jti);
    let clinician = scopes.contains(&"clinician");
    let fhir = scopes.contains(&"fhirUser") && !p.cfg.fhir_user.is_empty();
    let designations = async {
        if clinician || fhir {
            p.accounts.designations(&account_id).await
        } else {
            Ok(Vec::new())
        }
    };
    let (revoked, account, designations) = tokio::join!(
        p.store.get(&rvk),
        p.accounts.find_by_id(&account_id),
        designations
    );
    if revoked
        .map_err(|e| UserinfoError::Unavailable(e.to_string()))?
        .is_some()
    {
        return Err(UserinfoError::InvalidToken(INVALID));
    }
    let account = account
        .map_err(|e| UserinfoError::Internal(e.to_string()))?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or(UserinfoError::InvalidToken(
            "the account is no longer active",
        ))?;
    let designations = designations.map_err(|e| UserinfoError::Internal(e.to_string()))?;
    let mut claims = user_claims(&account, &designations, &scopes);
    if fhir {
        if let Some(u) = crate::tokens::fhir_user(&p.cfg.fhir_user, &account, &designations) {
            claims.insert("fhirUser".into(), u.into());
        }
    }
    claims.insert("sub".into(), c.sub.into());
    Ok(claims)
}

/// An introspection answer (RFC 7662 §2.2): `{"active": false}` or the token's facts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The DPoP key a bound token is bound to (RFC 9449 §6.2): a resource server checks the
    /// proof it receives against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<crate::tokens::Confirmation>,
    /// An EHR launch's context the token carries (SMART).
    #[serde(flatten)]
    pub launch: crate::smart_launch::LaunchContext,
}

/// Introspects `token` for the confidential `client`. A client learns about its own tokens
/// (issued to it, or naming it as audience); another client's token is inactive to it unless
/// it is registered with `oneid:introspect` (a resource server that checks every client's
/// tokens).
#[tracing::instrument(level = "debug", skip_all, fields(client_id = %client.client_id))]
pub async fn introspect(
    p: &Provider,
    client: &Client,
    token: &str,
) -> Result<Introspection, TokenError> {
    let unavailable = |e: platform::EphemeralError| TokenError::Unavailable(e.to_string());
    // token_type_hint only orders the search (RFC 7662 §2.1); an access token is recognised
    // by its signature without a lookup, so it is always tried first.
    if let Some(c) = live_access_token(p, token).await.map_err(unavailable)? {
        // Another client's token is none of this client's business (its facts would tell who
        // signed in where), unless it is registered to introspect any token.
        if c.client_id != client.client_id
            && c.aud != client.client_id
            && !client.may_introspect_any()
        {
            return Ok(Introspection::default());
        }
        return Ok(Introspection {
            active: true,
            iss: Some(c.iss),
            sub: Some(c.sub),
            aud: Some(c.aud),
            client_id: Some(c.client_id),
            exp: Some(c.exp),
            iat: Some(c.iat),
            jti: Some(c.jti),
            scope: Some(c.scope),
            token_type: Some(if c.cnf.as_ref().is_some_and(|b| b.jkt.is_some()) {
                "DPoP"
            } else {
                "Bearer"
            }),
            auth_time: c.auth_time,
            acr: c.acr,
            sid: c.sid,
            cnf: c.cnf,
            launch: c.launch,
        });
    }
    let grant = grants::find_refresh(p, token)
        .await
        .map_err(|e| TokenError::Unavailable(e.to_string()))?;
    let Some(grant) = grant.filter(|g| g.usable(p.clock.now())) else {
        return Ok(Introspection::default());
    };
    if grant.client_id != client.client_id && !client.may_introspect_any() {
        return Ok(Introspection::default());
    }
    // The subject as the token's client knows the person (pairwise or not).
    let owner = p
        .clients
        .get(&grant.client_id)
        .await
        .map_err(|e| TokenError::Unavailable(e.to_string()))?;
    let Some(owner) = owner else {
        return Ok(Introspection::default());
    };
    let sub = crate::subjects::subject(p, &owner, &grant.ctx.account_id);
    Ok(Introspection {
        active: true,
        iss: Some(p.cfg.issuer.clone()),
        client_id: Some(grant.client_id),
        sub: Some(sub),
        scope: Some(grant.scope),
        exp: Some(grant.expires_at),
        iat: Some(grant.created_at),
        token_type: Some("refresh_token"),
        ..Introspection::default()
    })
}

/// Revokes `token` if it is `client`'s: an access token until it expires, a refresh token
/// with its whole family. Anything else is ignored (RFC 7009 §2.2: the answer is the same).
#[tracing::instrument(level = "debug", skip_all, fields(client_id = %client.client_id))]
pub async fn revoke(p: &Provider, client: &Client, token: &str) -> Result<(), TokenError> {
    let unavailable = |e: String| TokenError::Unavailable(e);
    if let Some(c) = verify_access_token(p, token) {
        if c.client_id == client.client_id {
            let ttl = (c.exp - p.clock.now()).max(1);
            p.store
                .put(&revoked_key(&c.jti), b"1", ttl)
                .await
                .map_err(|e| unavailable(e.to_string()))?;
        }
        return Ok(());
    }
    let grant = grants::find_refresh(p, token)
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    if let Some(g) = grant.filter(|g| g.client_id == client.client_id) {
        revoke_family(p, &g.family_id)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inactive_answer_says_nothing_else() {
        let v = serde_json::to_value(Introspection::default()).unwrap();
        assert_eq!(v, serde_json::json!({ "active": false }));
    }
}
