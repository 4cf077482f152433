//! The wizard's cookie and its state, kept sealed in the provider's ephemeral store by
//! `registration::wizard::Drafts`.

use authorization_server::Provider;
use axum::http::HeaderMap;
use platform::EphemeralError;
use registration::wizard::{Drafts, Wizard};
use web::http::cookie;

/// The cookie holding the wizard's random token.
pub(super) const COOKIE: &str = "oneid_signup";

/// The wizards in progress in `p`'s store.
pub(super) fn drafts(p: &Provider) -> Drafts<'_> {
    Drafts::new(
        p.store.as_ref(),
        p.accounts.sealer(),
        p.clock.as_ref(),
        &p.signup,
    )
}

/// The wizard of this browser's cookie, with its token; none without a live one.
pub(super) async fn load(
    p: &Provider,
    headers: &HeaderMap,
) -> Result<Option<(String, Wizard)>, EphemeralError> {
    let Some(token) = cookie(p, headers, COOKIE) else {
        return Ok(None);
    };
    Ok(drafts(p).load(&token).await?.map(|w| (token, w)))
}

/// How long the wizard may still live (its state and its cookie), seconds.
pub(super) fn lifetime(p: &Provider, w: &Wizard) -> i64 {
    drafts(p).lifetime(w)
}

/// Keeps `w` under `token`.
pub(super) async fn save(p: &Provider, token: &str, w: &Wizard) -> Result<(), EphemeralError> {
    drafts(p).save(token, w).await
}
