//! Rate limits on the endpoints people (and attackers) type into: sign-in per login ID and per
//! source address, forgotten login ID / password per source address. Counters live in the
//! ephemeral store, so with Redis every node shares them. A person over a limit gets a page
//! saying how long to wait (429 with `Retry-After`).

use crate::account_text::AccountText;
use crate::forms::View;
use authorization_server::Provider;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use platform::crypto::sha256_b64;
use platform::{EphemeralError, Locale};

/// Counts one attempt against `scope`/`id`; true when the limit `max` per window is passed
/// (`max` 0 turns the limit off). Identifiers are hashed, so no login ID sits in the store.
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

/// The page for a person over a limit.
pub fn too_many(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let a = AccountText::get(locale);
    let secs = retry_after(p);
    let minutes = (secs + 59) / 60;
    let v = View {
        title: a.too_many_title.into(),
        intro: vec![a.too_many_text.replace("{}", &minutes.to_string())],
        ..View::default()
    };
    let mut r = crate::widgets::send(p, headers, locale, &v, StatusCode::TOO_MANY_REQUESTS);
    if let Ok(h) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, h);
    }
    r
}
