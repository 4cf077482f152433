//! Rate limits on what people (and attackers) type: sign-in per login ID and per source
//! address, forgotten login ID / password per source address, client authentication per
//! address, tokens per client. Counters live in the ephemeral store, so with Redis every node
//! shares them; identifiers are hashed, so no login ID sits in the store.

use crate::Provider;
use platform::crypto::sha256_b64;
use platform::EphemeralError;

/// Counts one attempt against `scope`/`id`; true when the limit `max` per window is passed
/// (`max` 0 turns the limit off).
pub async fn over(p: &Provider, scope: &str, id: &str, max: i64) -> Result<bool, EphemeralError> {
    if max <= 0 {
        return Ok(false);
    }
    let key = format!("rl:{scope}:{}", sha256_b64(id.to_lowercase().as_bytes()));
    let over = p.store.hit(&key, p.cfg.limit_window_secs).await? > max;
    if over {
        p.metrics
            .inc("oneid_rate_limited_total", format!("scope=\"{scope}\""));
    }
    Ok(over)
}

/// Seconds until the current window ends.
pub fn retry_after(p: &Provider) -> i64 {
    let w = p.cfg.limit_window_secs.max(1);
    w - p.clock.now().rem_euclid(w)
}
