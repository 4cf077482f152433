//! Refresh-token grants as they end: at logout (the session's), at a password reset or a
//! termination (the account's, also inside another crate's transaction), and a family at once
//! when a used refresh token comes back.

use crate::Provider;

/// At logout: revokes the refresh tokens issued in session `sid`, except those granted
/// `offline_access`, which are meant to outlive the sign-in (OIDC Core §11).
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
pub async fn revoke_family(p: &Provider, family: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = $1")
        .bind(family)
        .execute(p.db.pool())
        .await
        .map(|_| ())
}
