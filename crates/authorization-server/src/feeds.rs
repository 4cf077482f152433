//! The termination feed to registries (004 §5.7.2): the notices written when a member ends
//! their own registration are posted to the subscribing registry's URL, each as a JWT we sign
//! (header `typ` `oneid-termination-notice+jwt`, ES256, its key in our JWKS; claims `iss`,
//! `aud` (the registry id), `iat`, `exp`, `jti`, `terminated` (the member identifiers) and
//! `reason`), body `application/jwt`. A 2xx answer delivers it; anything else is tried again
//! later, waiting twice as long each time (from a minute up to an hour). Each notice is claimed
//! before it is sent, so nodes delivering at the same time send it once.

use crate::{Provider, SigAlg, StoreError};
use platform::crypto::random_token;
use platform::DbError;

/// How long a node holds a notice it is delivering, seconds.
const CLAIM_SECS: i64 = 300;

/// How long a notice token is valid, seconds.
const NOTICE_TTL: i64 = 3600;

/// Posts every notice due now; how many were delivered.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliver_due(p: &Provider) -> Result<usize, StoreError> {
    let now = p.clock.now();
    let due: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT n.id, n.registry_id, n.member_id, f.url, n.attempts FROM registry_notices n \
         JOIN registry_feeds f ON f.registry_id = n.registry_id \
         WHERE n.delivered_at IS NULL AND n.next_attempt_at <= $1 \
         ORDER BY n.next_attempt_at LIMIT 100",
    )
    .bind(now)
    .fetch_all(p.db.pool())
    .await
    .map_err(DbError::from)?;
    let mut delivered = 0;
    for (id, registry, member, url, attempts) in due {
        // Taken atomically before it is sent: another node running the same tick skips it
        // (the lease ends after CLAIM_SECS if this node dies mid-delivery).
        let claimed = sqlx::query(
            "UPDATE registry_notices SET next_attempt_at = $2 \
             WHERE id = $1 AND delivered_at IS NULL AND next_attempt_at <= $3",
        )
        .bind(&id)
        .bind(now + CLAIM_SECS)
        .bind(now)
        .execute(p.db.pool())
        .await
        .map_err(DbError::from)?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let claims = serde_json::json!({
            "iss": p.cfg.issuer,
            "aud": registry,
            "iat": now,
            "exp": now + NOTICE_TTL,
            "jti": random_token(16),
            "terminated": [member],
            "reason": "closed_by_registrant",
        });
        let outcome = match serde_json::to_vec(&claims)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                p.keys
                    .sign(SigAlg::ES256, "oneid-termination-notice+jwt", &b)
                    .map_err(|e| e.to_string())
            }) {
            Err(e) => Err(format!("signing: {e}")),
            Ok(token) => match p
                .backchannel
                .post(&url)
                .header("content-type", "application/jwt")
                .body(token)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
                Err(_) => Err("unreachable".to_owned()),
            },
        };
        match outcome {
            Ok(()) => {
                delivered += 1;
                sqlx::query(
                    "UPDATE registry_notices SET delivered_at = $2, attempts = attempts + 1, \
                     last_error = NULL WHERE id = $1",
                )
                .bind(&id)
                .bind(now)
                .execute(p.db.pool())
                .await
                .map_err(DbError::from)?;
            }
            Err(e) => {
                let wait = (60_i64 << attempts.clamp(0, 6)).min(3600);
                tracing::warn!(registry = %registry, error = %e, "termination notice not delivered");
                sqlx::query(
                    "UPDATE registry_notices SET attempts = attempts + 1, next_attempt_at = $2, \
                     last_error = $3 WHERE id = $1",
                )
                .bind(&id)
                .bind(now + wait)
                .bind(&e)
                .execute(p.db.pool())
                .await
                .map_err(DbError::from)?;
            }
        }
    }
    Ok(delivered)
}
