//! A sign-in in progress: the validated authorization request, parked in the ephemeral store
//! under a random id (the login ticket) while the person signs in and steps up. A sign-in to
//! the provider's own pages is parked the same way, with `console_return` naming the page to
//! go back to; any surface can park one and send the browser to `/login?request=ID`.

use crate::Provider;
use platform::crypto::random_token;
use platform::ephemeral::put_json;
use platform::{EphemeralError, Locale};
use serde::{Deserialize, Serialize};

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    /// Client.
    pub client_id: String,
    /// Client display name.
    pub client_name: String,
    /// Exact registered redirect URI.
    pub redirect_uri: String,
    /// Granted scopes (requested ∩ allowed).
    pub scope: String,
    /// Opaque client state.
    pub state: Option<String>,
    /// Nonce for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// prompt=none.
    pub prompt_none: bool,
    /// prompt=login.
    pub prompt_login: bool,
    /// max_age.
    pub max_age: Option<i64>,
    /// Subject of a valid id_token_hint.
    pub hint_sub: Option<String>,
    /// login_hint.
    pub login_hint: Option<String>,
    /// Language asked for.
    pub ui_locales: Option<String>,
    /// Person claims asked for in the ID token (`claims` parameter).
    pub id_token_claims: Vec<String>,
    /// A sign-in to the provider's own console rather than for a relying party: where to go
    /// afterwards (a local path).
    #[serde(default)]
    pub console_return: Option<String>,
    /// `acr` values asked for (`acr_values`, or the `acr` claim request), in order.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// The `acr` claim was requested as essential.
    #[serde(default)]
    pub acr_essential: bool,
}

/// The store key of a parked request.
pub fn login_key(id: &str) -> String {
    format!("login:{id}")
}

/// Parks a sign-in to the provider's own pages, coming back to `return_to` (a local path);
/// returns the ticket's id.
pub async fn park_console_login(
    p: &Provider,
    locale: Locale,
    return_to: &str,
) -> Result<String, EphemeralError> {
    let req = AuthRequest {
        client_id: String::new(),
        client_name: locale.text().console_name.to_owned(),
        redirect_uri: String::new(),
        scope: String::new(),
        state: None,
        nonce: None,
        code_challenge: None,
        prompt_none: false,
        prompt_login: false,
        max_age: None,
        hint_sub: None,
        login_hint: None,
        ui_locales: Some(locale.tag().to_owned()),
        id_token_claims: Vec::new(),
        console_return: Some(return_to.to_owned()),
        acr_values: Vec::new(),
        acr_essential: false,
    };
    let id = random_token(24);
    put_json(p.store.as_ref(), &login_key(&id), &req, p.cfg.login_ttl).await?;
    Ok(id)
}
