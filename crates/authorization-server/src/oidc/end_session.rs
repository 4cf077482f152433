//! The end-session request (RP-Initiated Logout 1.0 §2) as a typed value, and its checks: the
//! hint verified, the client it names, and the `post_logout_redirect_uri` registered for that
//! client, exactly.

use super::Params;
use crate::sso::SsoSession;
use crate::tokens::{verify_id_token_hint, IdTokenHint};
use crate::Provider;

/// The end-session request's parameters, as sent (unchecked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub ui_locales: Option<String>,
}

impl EndSessionRequest {
    /// The request from its query or form parameters (others are ignored).
    pub fn from_params(mut p: Params) -> Self {
        let mut take = |k: &str| p.remove(k);
        Self {
            id_token_hint: take("id_token_hint"),
            client_id: take("client_id"),
            post_logout_redirect_uri: take("post_logout_redirect_uri"),
            state: take("state"),
            ui_locales: take("ui_locales"),
        }
    }
}

/// A checked end-session request.
#[derive(Debug, Clone)]
pub struct EndSession {
    /// The hint, when it verified (one that no longer does, its key rotated out or revoked
    /// hours after the sign-in, counts as none: the person then confirms).
    pub hint: Option<IdTokenHint>,
    /// The client the request speaks for (named, or the hint's audience).
    pub client_id: Option<String>,
    /// Where to go afterwards (registered for that client).
    pub redirect: Option<String>,
    /// Returned to the client with the redirect.
    pub state: Option<String>,
}

/// Why an end-session request is refused.
#[derive(Debug)]
pub enum EndSessionError {
    /// The client named and the hint's disagree, or the redirect is not registered for it (or
    /// there is no client to register it for).
    Refused,
    /// The client store failed.
    Internal(String),
}

/// Checks the request.
pub async fn check(p: &Provider, r: EndSessionRequest) -> Result<EndSession, EndSessionError> {
    let mut hint = r
        .id_token_hint
        .as_deref()
        .and_then(|h| verify_id_token_hint(p, h));
    // The hint's subject is the one its client knows the person by: compare accounts.
    if let Some(h) = hint.as_mut() {
        let account = match h.client_id() {
            Some(aud) => crate::subjects::account_of_client_id(p, aud, &h.sub)
                .await
                .map_err(|e| EndSessionError::Internal(e.to_string()))?,
            None => None,
        };
        h.sub = account.unwrap_or_default();
    }
    let hint_client = hint.as_ref().and_then(|h| h.client_id()).map(str::to_owned);
    let client_id = match (r.client_id, hint_client) {
        (Some(a), Some(b)) if a != b => return Err(EndSessionError::Refused),
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    let redirect = match r.post_logout_redirect_uri {
        Some(uri) => {
            let cid = client_id.as_ref().ok_or(EndSessionError::Refused)?;
            match p.clients.get(cid).await {
                Ok(Some(c)) if c.has_post_logout_redirect_uri(&uri) => Some(uri),
                Ok(_) => return Err(EndSessionError::Refused),
                Err(e) => return Err(EndSessionError::Internal(e.to_string())),
            }
        }
        None => None,
    };
    Ok(EndSession {
        hint,
        client_id,
        redirect,
        state: r.state,
    })
}

impl EndSession {
    /// Whether the request speaks for this browser's session (`live`), so that it may end
    /// without asking: its hint names the session or its person (or there is nothing to end).
    pub fn vouched_for(&self, live: Option<&SsoSession>) -> bool {
        match (&self.hint, live) {
            (Some(_), None) => true,
            (Some(h), Some(s)) => h.sid.as_deref() == Some(s.sid.as_str()) || h.sub == s.account_id,
            (None, None) => true,
            (None, Some(_)) => false,
        }
    }
}
