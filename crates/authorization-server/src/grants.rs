//! Refresh-token grants, the only SQL of the OAuth endpoints: a refresh token issued (stored
//! under its digest, in a family that shares one expiry), found, used once (atomically: of two
//! concurrent uses exactly one proceeds), and ended: at logout (the session's), at a password
//! reset or a termination (the account's, also inside another crate's transaction), and a
//! family at once when a used refresh token comes back.

use crate::tokens::AuthContext;
use crate::Provider;
use platform::crypto::{random_token, sha256_b64};
use sqlx::Row;

const INSERT_REFRESH: &str = "INSERT INTO refresh_tokens (token_hash, family_id, client_id, \
     account_id, scope, session_id, auth_time, acr, amr, created_at, expires_at, revoked, \
     dpop_jkt, audience, launch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, \
     $14)";
const FIND_REFRESH: &str = "SELECT family_id, client_id, account_id, scope, session_id, \
     auth_time, acr, amr, created_at, expires_at, used_at, revoked, dpop_jkt, audience, launch \
     FROM refresh_tokens WHERE token_hash = $1";
const USE_REFRESH: &str = "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND \
     used_at IS NULL AND revoked = 0";

/// The statements of the code exchange and the refresh, prepared on every new PostgreSQL
/// connection (with the other crates' hot statements: see `oneid`'s start).
pub const HOT_STATEMENTS: [&str; 3] = [INSERT_REFRESH, FIND_REFRESH, USE_REFRESH];

/// A stored refresh token, as found by its value.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    /// The family it rotates within.
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Who and how (the sign-in it came from).
    pub ctx: AuthContext,
    /// The scope granted.
    pub scope: String,
    /// When it was issued, unix seconds.
    pub created_at: i64,
    /// When the family expires, unix seconds.
    pub expires_at: i64,
    /// When it was used (a refresh token is used once).
    pub used_at: Option<i64>,
    /// Revoked (its family, its session or its account ended).
    pub revoked: bool,
    /// The DPoP key it is bound to (its thumbprint), if it was issued with a proof.
    pub dpop_jkt: Option<String>,
    /// The resource server its access tokens are for (its audience), if any.
    pub audience: Option<String>,
    /// The EHR launch's context it carries (SMART).
    pub launch: crate::smart_launch::LaunchContext,
}

/// A refresh token to issue.
#[derive(Debug, Clone, Copy)]
pub struct NewRefresh<'a> {
    /// The client it is issued to.
    pub client_id: &'a str,
    /// The family it rotates within.
    pub family: &'a str,
    /// The scope granted.
    pub scope: &'a str,
    /// The resource server its access tokens are for.
    pub audience: Option<&'a str>,
    /// The EHR launch's context (kept through refreshes).
    pub launch: &'a crate::smart_launch::LaunchContext,
    /// Who and how.
    pub ctx: &'a AuthContext,
    /// When the family expires (a rotated token keeps its family's expiry).
    pub expires_at: i64,
    /// The DPoP key it is bound to.
    pub dpop_jkt: Option<&'a str>,
}

impl RefreshGrant {
    /// Neither used, nor revoked, nor expired at `now`.
    pub fn usable(&self, now: i64) -> bool {
        self.used_at.is_none() && !self.revoked && self.expires_at > now
    }
}

/// Issues a refresh token as `g` says; returns its value.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn issue_refresh(p: &Provider, g: NewRefresh<'_>) -> Result<String, sqlx::Error> {
    let token = random_token(32);
    let ctx = g.ctx;
    sqlx::query(INSERT_REFRESH)
        .bind(sha256_b64(token.as_bytes()))
        .bind(g.family)
        .bind(g.client_id)
        .bind(&ctx.account_id)
        .bind(g.scope)
        .bind(&ctx.sid)
        .bind(ctx.auth_time)
        .bind(&ctx.acr)
        .bind(ctx.amr.join(" "))
        .bind(p.clock.now())
        .bind(g.expires_at)
        .bind(g.dpop_jkt)
        .bind(g.audience)
        .bind((!g.launch.is_empty()).then(|| serde_json::to_string(g.launch).unwrap_or_default()))
        .execute(p.db.pool())
        .await?;
    Ok(token)
}

/// The refresh token `presented`, if it was ever issued.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_refresh(
    p: &Provider,
    presented: &str,
) -> Result<Option<RefreshGrant>, sqlx::Error> {
    let row = sqlx::query(FIND_REFRESH)
        .bind(sha256_b64(presented.as_bytes()))
        .fetch_optional(p.db.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let amr: String = row.try_get("amr")?;
    Ok(Some(RefreshGrant {
        family_id: row.try_get("family_id")?,
        client_id: row.try_get("client_id")?,
        ctx: AuthContext {
            account_id: row.try_get("account_id")?,
            sid: row.try_get("session_id")?,
            auth_time: row.try_get("auth_time")?,
            acr: row.try_get("acr")?,
            amr: amr.split(' ').map(str::to_owned).collect(),
        },
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked: row.try_get::<i64, _>("revoked")? != 0,
        dpop_jkt: row.try_get("dpop_jkt")?,
        audience: row.try_get("audience")?,
        launch: row
            .try_get::<Option<String>, _>("launch")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    }))
}

/// Marks the refresh token `presented` used, atomically: true for the one use that did it,
/// false when it was already used or revoked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn use_refresh(p: &Provider, presented: &str) -> Result<bool, sqlx::Error> {
    let marked = sqlx::query(USE_REFRESH)
        .bind(p.clock.now())
        .bind(sha256_b64(presented.as_bytes()))
        .execute(p.db.pool())
        .await?;
    Ok(marked.rows_affected() == 1)
}

/// At logout: revokes the refresh tokens issued in session `sid`, except those granted
/// `offline_access`, which are meant to outlive the sign-in (OIDC Core §11).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_session_grants(p: &Provider, sid: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked = 1 WHERE session_id = $1 AND revoked = 0 \
         AND (' ' || scope || ' ') NOT LIKE '% offline_access %'",
    )
    .bind(sid)
    .execute(p.db.pool())
    .await
    .map(|r| r.rows_affected())
}

const REVOKE_ACCOUNT: &str =
    "UPDATE refresh_tokens SET revoked = 1 WHERE account_id = $1 AND revoked = 0";

/// Revokes every refresh token of an account (password reset, termination), including
/// `offline_access` ones.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_account_grants(p: &Provider, account_id: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(REVOKE_ACCOUNT)
        .bind(account_id)
        .execute(p.db.pool())
        .await
        .map(|r| r.rows_affected())
}

/// The same inside a caller's transaction: what the registration crate's terminations use
/// (wired in as its `GrantRevoker`), so they never write this crate's table themselves.
#[derive(Debug, Clone, Copy)]
pub struct AccountGrants;

#[async_trait::async_trait]
impl registration::GrantRevoker for AccountGrants {
    async fn revoke_all_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        account_id: &str,
    ) -> Result<u64, sqlx::Error> {
        sqlx::query(REVOKE_ACCOUNT)
            .bind(account_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    }
}

/// Revokes every refresh token of a family.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_family(p: &Provider, family: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = $1")
        .bind(family)
        .execute(p.db.pool())
        .await
        .map(|_| ())
}
