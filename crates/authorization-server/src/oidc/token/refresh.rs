//! The refresh grant: a refresh token used once (of two concurrent uses exactly one proceeds,
//! a reused one ends its family), the person and their enrolment checked again, the scope
//! narrowed if asked (a clinical scope to one the grant covers), the next token of the family
//! with its expiry, audience and launch context.

use super::*;

/// Answers a refresh token request of `client`, bound as `bind` says.
pub(super) async fn refresh(
    p: &Provider,
    client: &Client,
    presented: &str,
    asked_scope: Option<&str>,
    resource: Option<&str>,
    bind: Binding<'_>,
) -> Result<TokenResponse, TokenError> {
    let jkt = bind.jkt;
    let grant = grants::find_refresh(p, presented)
        .await
        .map_err(unavailable)?
        .ok_or(TokenError::InvalidGrant("unknown refresh token"))?;
    let family = grant.family_id;
    if grant.client_id != client.client_id {
        return Err(TokenError::InvalidGrant(
            "the refresh token was issued to another client",
        ));
    }
    // A refresh token issued with a DPoP proof is honoured only with a proof by that key.
    let grant_jkt = grant.dpop_jkt;
    if let Some(bound) = &grant_jkt {
        if jkt != Some(bound.as_str()) {
            return Err(TokenError::InvalidGrant(
                "the refresh token is bound to a DPoP key this request does not prove",
            ));
        }
    }
    if grant.used_at.is_some() || grant.revoked {
        if grant.used_at.is_some() && !grant.revoked {
            revoke_family(p, &family).await.map_err(unavailable)?;
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
        return Err(TokenError::InvalidGrant(
            "the refresh token is no longer valid",
        ));
    }
    let expires_at = grant.expires_at;
    if expires_at <= p.clock.now() {
        return Err(TokenError::InvalidGrant("the refresh token has expired"));
    }
    same_target(resource, grant.audience.as_deref())?;
    let original = grant.scope;
    let scope = match asked_scope {
        Some(s) => {
            let asked: Vec<&str> = s.split_whitespace().collect();
            let had: Vec<String> = original.split(' ').map(str::to_owned).collect();
            // A clinical scope may be narrowed too (`patient/Observation.rs` to
            // `patient/Observation.r?category=laboratory`): covered by one of the grant's.
            let within = |a: &str| {
                crate::smart_scopes::allowed(&had, a)
                    .map_err(|e| TokenError::InvalidScope(e.to_string()))
            };
            for a in &asked {
                if !within(a)? {
                    return Err(TokenError::InvalidScope(
                        "scope exceeds the original grant".into(),
                    ));
                }
            }
            asked.join(" ")
        }
        None => original.clone(),
    };
    let audience = grant.audience;
    let launch = grant.launch;
    let ctx = grant.ctx;
    let account = p
        .accounts
        .find_by_id(&ctx.account_id)
        .await
        .map_err(internal)?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or(TokenError::InvalidGrant("the account is no longer active"))?;
    // The gate again: an enrolment ended, a sponsorship ended or a level lowered since the
    // sign-in stops the refresh.
    let Some(service) = &client.service_id else {
        return Err(TokenError::InvalidGrant(
            "this relying party belongs to no service, so no one may use it",
        ));
    };
    let access = p
        .registration
        .directory
        .access(&ctx.account_id, service)
        .await
        .map_err(unavailable)?;
    if access != registration::Access::Allowed {
        return Err(TokenError::InvalidGrant(
            "the account is no longer enrolled in this service at its level of assurance",
        ));
    }
    // Mark used atomically: of two concurrent uses exactly one proceeds.
    let marked = grants::use_refresh(p, presented)
        .await
        .map_err(unavailable)?;
    if !marked {
        revoke_family(p, &family).await.map_err(unavailable)?;
        return Err(TokenError::InvalidGrant(
            "the refresh token is no longer valid",
        ));
    }
    // The family stays bound to the key it was first bound to.
    let bound = grant_jkt.as_deref().or(jkt);
    let aud = audience.as_deref();
    // A rotated token keeps its family's expiry: refreshing never extends the grant.
    let next = grants::NewRefresh {
        client_id: &client.client_id,
        family: &family,
        scope: &original,
        audience: aud,
        launch: &launch,
        ctx: &ctx,
        expires_at,
        dpop_jkt: bound,
    };
    let next = new_refresh(p, next).await?;
    let (at, _) =
        access_token(p, client, &scope, aud, &launch, Some(&ctx), bind).map_err(internal)?;
    let extra = clinician_id_claims(p, &account, &scope).await?;
    let sub = crate::subjects::subject(p, client, &ctx.account_id);
    let idt = scope
        .split(' ')
        .any(|s| s == "openid")
        .then(|| {
            id_token(
                p,
                IdTokenInput {
                    client_id: &client.client_id,
                    sub: &sub,
                    alg: client.id_token_alg,
                    ctx: &ctx,
                    nonce: None,
                    access_token: Some(&at),
                    extra,
                },
            )
        })
        .transpose()
        .map_err(internal)?;
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
    Ok(answer(p, at, scope, idt, Some(next), launch, bind))
}
