//! A sign-in in progress: the validated authorization request, parked in the ephemeral store
//! under a random id (the login ticket) while the person signs in and steps up. A sign-in to
//! the provider's own pages or for a SAML service provider is parked the same way, its `Ticket`
//! saying where the browser goes afterwards; any surface can park one and send the browser to
//! `/login?request=ID`.

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
    /// The resource server the tokens are for (its audience), when the request named one or
    /// asked its scopes.
    #[serde(default)]
    pub audience: Option<String>,
    /// The EHR launch taken for it (SMART App Launch): a code is issued only for its person
    /// in its session, and carries its context.
    #[serde(default)]
    pub launch: Option<crate::smart_launch::Launch>,
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
    /// prompt=consent: a third-party app's consent is asked again.
    #[serde(default)]
    pub prompt_consent: bool,
    /// SMART's standalone launch (`launch/patient` without a record system's launch): the
    /// person picks the patient before the code.
    #[serde(default)]
    pub pick_patient: bool,
    /// A standalone launch asking `launch/encounter`: after the patient, the person picks one
    /// of that patient's encounters.
    #[serde(default)]
    pub pick_encounter: bool,
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
    /// Who the sign-in is for: a relying party, a SAML service provider or the provider's own
    /// pages.
    #[serde(default)]
    pub ticket: Ticket,
    /// `acr` values asked for (`acr_values`, or the `acr` claim request), in order.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// The `acr` claim was requested as essential.
    #[serde(default)]
    pub acr_essential: bool,
}

/// Who a parked sign-in is for, and so where the browser goes once the person is signed in
/// (and stepped up, when that was needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "lowercase")]
pub enum Ticket {
    /// A relying party's authorization request: a code goes to its redirect URI.
    #[default]
    Oidc,
    /// A SAML service provider's request, parked under `token`: the assertion is made at
    /// `/saml/continue?r=<token>`.
    Saml {
        /// The parked SAML request's token.
        token: String,
    },
    /// The provider's own pages (My Profile, the desk, the consoles): back to `return_to`, a
    /// local path.
    Console {
        /// Where to go back to.
        return_to: String,
    },
}

impl Ticket {
    /// Where the browser goes after the sign-in, for a sign-in that is not a relying party's.
    pub fn return_to(&self) -> Option<String> {
        match self {
            Ticket::Oidc => None,
            Ticket::Saml { token } => Some(format!("/saml/continue?r={token}")),
            Ticket::Console { return_to } => Some(return_to.clone()),
        }
    }

    /// A relying party's sign-in.
    pub fn is_oidc(&self) -> bool {
        matches!(self, Ticket::Oidc)
    }
}

/// The store key of a parked request.
pub fn login_key(id: &str) -> String {
    format!("login:{id}")
}

/// What a sign-in to our own pages continues to, by where it returns: administration, the
/// service desk, the LRA console, or My Profile.
pub fn console_name(locale: Locale, return_to: &str) -> &'static str {
    let t = locale.text();
    let under = |p: &str| {
        return_to == p
            || return_to.starts_with(&format!("{p}/"))
            || return_to.starts_with(&format!("{p}?"))
    };
    if under("/admin") {
        t.console_name
    } else if under("/desk") {
        t.console_desk
    } else if under("/lra") {
        t.console_lra
    } else if under("/device") {
        t.console_device
    } else {
        t.console_profile
    }
}

/// Parks a sign-in to the provider's own pages, coming back to `return_to` (a local path);
/// returns the ticket's id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn park_console_login(
    p: &Provider,
    locale: Locale,
    return_to: &str,
) -> Result<String, EphemeralError> {
    let req = AuthRequest {
        client_id: String::new(),
        client_name: console_name(locale, return_to).to_owned(),
        redirect_uri: String::new(),
        scope: String::new(),
        audience: None,
        launch: None,
        state: None,
        nonce: None,
        code_challenge: None,
        prompt_none: false,
        prompt_login: false,
        prompt_consent: false,
        pick_patient: false,
        pick_encounter: false,
        max_age: None,
        hint_sub: None,
        login_hint: None,
        ui_locales: Some(locale.tag().to_owned()),
        id_token_claims: Vec::new(),
        ticket: Ticket::Console {
            return_to: return_to.to_owned(),
        },
        acr_values: Vec::new(),
        acr_essential: false,
    };
    let id = random_token(24);
    put_json(p.store.as_ref(), &login_key(&id), &req, p.cfg.login_ttl).await?;
    Ok(id)
}
