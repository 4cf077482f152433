//! The Device Authorization Grant (RFC 8628), for shared ward tablets and command-line tools:
//! the device asks for a pair of codes at `/device_authorization`, shows the short user code,
//! and polls the token endpoint with the long device code while a clinician, on a phone or a
//! workstation, signs in at `/device`, types the user code, confirms, and goes through the same
//! gate, step-up and agreement as any sign-in for that relying party.
//!
//! State, all in the ephemeral store (so every node sees it), under the device code's digest
//! (`handle`, never the code itself):
//! - `dev:{handle}`: the request (client, scope, acr values, user code, expiry); written once;
//! - `devu:{user code}`: the handle, taken when the person decides (a user code serves once);
//! - `deva:{handle}`: the approval, the grant a code would have carried (person, session, acr),
//!   put once, taken once by the poll that gets the tokens;
//! - `devd:{handle}`: the refusal;
//! - `devp:{handle}:{n}`: one poll per interval `n`, put-if-absent; a second poll in the same
//!   interval is told `slow_down`.
//!
//! A user code is 8 letters from an alphabet without vowels (no words, no 0/O or 1/I mix-ups),
//! about 34 bits: guessing one is throttled per account and per address at `/device`, every
//! attempt counted before the code is looked up.

use super::authorize::CodeGrant;
use super::token::{issue_for_grant, TokenError, TokenResponse};
use crate::{Client, Provider};
use platform::crypto::{b64url, random_bytes, random_token, sha256};
use platform::ephemeral::{get_json, put_json, take_json};
use platform::EphemeralError;
use serde::{Deserialize, Serialize};

/// The grant type a device polls with.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long a pair of codes lives, seconds.
pub const LIFETIME: i64 = 600;

/// The shortest time between two polls, seconds.
pub const INTERVAL: i64 = 5;

/// The letters of user codes (RFC 8628 §6.1: no vowels, no look-alikes).
const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code.
const USER_CODE_LEN: usize = 8;

/// A device's request, as kept while the person decides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRequest {
    /// The client.
    pub client_id: String,
    /// Its name, shown to the person.
    pub client_name: String,
    /// Granted scopes (asked ∩ allowed).
    pub scope: String,
    /// `acr_values` asked for.
    pub acr_values: Vec<String>,
    /// The user code, normalized (8 letters).
    pub user_code: String,
    /// Expiry, unix seconds.
    pub expires_at: i64,
}

/// The answer to a device authorization request (RFC 8628 §3.2).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Why a device authorization request is refused (RFC 6749 §5.2 errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceError {
    /// An OAuth error code and its description.
    Refused(&'static str, &'static str),
    /// The ephemeral store did not answer.
    Unavailable(String),
}

fn handle_of(device_code: &str) -> String {
    b64url(&sha256(device_code.as_bytes()))
}

fn request_key(handle: &str) -> String {
    format!("dev:{handle}")
}

fn user_key(user_code: &str) -> String {
    format!("devu:{user_code}")
}

fn approval_key(handle: &str) -> String {
    format!("deva:{handle}")
}

fn denial_key(handle: &str) -> String {
    format!("devd:{handle}")
}

/// The letters of a typed user code (case, spaces and dashes ignored); `None` when it
/// cannot be one.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// A user code as shown: `BCDF-GHJK`.
pub fn display(code: &str) -> String {
    if code.len() == USER_CODE_LEN {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

fn new_user_code() -> String {
    // 256 is a multiple of 20 minus 16: draws of 240 and above are thrown away, so every
    // letter is equally likely.
    let mut out = String::with_capacity(USER_CODE_LEN);
    while out.len() < USER_CODE_LEN {
        for b in random_bytes(16) {
            if b < 240 && out.len() < USER_CODE_LEN {
                out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// Starts a device sign-in for `client` (authenticated, or a public client named by its id)
/// asking for `scope` (default `openid`) and `acr_values`.
pub async fn start(
    p: &Provider,
    client: &Client,
    scope: Option<&str>,
    acr_values: Option<&str>,
) -> Result<DeviceAuthorization, DeviceError> {
    if !client.allows_grant(GRANT_TYPE) {
        return Err(DeviceError::Refused(
            "unauthorized_client",
            "the client may not use the device authorization grant",
        ));
    }
    if client.fapi2 {
        return Err(DeviceError::Refused(
            "unauthorized_client",
            "a FAPI 2.0 client signs people in with pushed authorization requests",
        ));
    }
    let requested: Vec<&str> = scope.unwrap_or("openid").split_whitespace().collect();
    if !requested.contains(&"openid") {
        return Err(DeviceError::Refused(
            "invalid_scope",
            "the openid scope is required",
        ));
    }
    let mut granted: Vec<&str> = Vec::new();
    for s in requested {
        match crate::smart_scopes::ClinicalScope::parse(s) {
            Err(_) => {
                return Err(DeviceError::Refused(
                    "invalid_scope",
                    "a clinical scope is malformed (its resource type, permissions or search \
                     parameters)",
                ))
            }
            Ok(Some(c)) if c.context == crate::smart_scopes::Context::System => {
                return Err(DeviceError::Refused(
                    "invalid_scope",
                    "system/ scopes are for backend services (client_credentials)",
                ))
            }
            Ok(_) => {}
        }
        if client.allows_scope(s) && !granted.contains(&s) {
            granted.push(s);
        }
    }
    if !granted.contains(&"openid") {
        return Err(DeviceError::Refused(
            "invalid_scope",
            "the client may not request openid",
        ));
    }
    let acr_values: Vec<String> = acr_values
        .unwrap_or("")
        .split_whitespace()
        .filter(|a| a.len() <= 128)
        .take(8)
        .map(str::to_owned)
        .collect();
    let unavailable = |e: EphemeralError| DeviceError::Unavailable(e.to_string());
    let device_code = random_token(32);
    let handle = handle_of(&device_code);
    // A fresh user code; one already in use (1 in 25 billion) is drawn again.
    let mut user_code = None;
    for _ in 0..5 {
        let c = new_user_code();
        if p.store
            .put_if_absent(&user_key(&c), handle.as_bytes(), LIFETIME)
            .await
            .map_err(unavailable)?
        {
            user_code = Some(c);
            break;
        }
    }
    let user_code = user_code.ok_or(DeviceError::Unavailable("no free user code".into()))?;
    let req = DeviceRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        scope: granted.join(" "),
        acr_values,
        user_code: user_code.clone(),
        expires_at: p.clock.now() + LIFETIME,
    };
    // Kept past its expiry so a late poll is told `expired_token`, not an unknown code.
    put_json(p.store.as_ref(), &request_key(&handle), &req, LIFETIME * 2)
        .await
        .map_err(unavailable)?;
    let verification_uri = format!("{}/device", p.cfg.issuer);
    Ok(DeviceAuthorization {
        device_code,
        verification_uri_complete: format!("{verification_uri}?user_code={}", display(&user_code)),
        verification_uri,
        user_code: display(&user_code),
        expires_in: LIFETIME,
        interval: INTERVAL,
    })
}

/// The pending request a typed user code names (`None`: no such code, or it expired or was
/// decided on), with its handle.
pub async fn pending(
    p: &Provider,
    typed: &str,
) -> Result<Option<(String, DeviceRequest)>, EphemeralError> {
    let Some(code) = normalize(typed) else {
        return Ok(None);
    };
    let Some(handle) = p.store.get(&user_key(&code)).await? else {
        return Ok(None);
    };
    let handle = String::from_utf8(handle).unwrap_or_default();
    let req: Option<DeviceRequest> = get_json(p.store.as_ref(), &request_key(&handle)).await?;
    Ok(req
        .filter(|r| r.expires_at > p.clock.now() && r.user_code == code)
        .map(|r| (handle, r)))
}

/// The request behind `handle`, while it is pending.
pub async fn by_handle(
    p: &Provider,
    handle: &str,
) -> Result<Option<DeviceRequest>, EphemeralError> {
    let req: Option<DeviceRequest> = get_json(p.store.as_ref(), &request_key(handle)).await?;
    Ok(req.filter(|r| r.expires_at > p.clock.now()))
}

/// The person approved: the device's next poll gets tokens for `grant` (the sign-in's person,
/// session and assurance). False when the request was decided on already.
pub async fn approve(
    p: &Provider,
    handle: &str,
    req: &DeviceRequest,
    grant: &CodeGrant,
) -> Result<bool, EphemeralError> {
    if p.store.get(&denial_key(handle)).await?.is_some() {
        return Ok(false);
    }
    let body = serde_json::to_vec(grant).map_err(|e| EphemeralError::Unavailable(e.to_string()))?;
    let ttl = (req.expires_at - p.clock.now()).max(1) + LIFETIME;
    let first = p
        .store
        .put_if_absent(&approval_key(handle), &body, ttl)
        .await?;
    p.store.delete(&user_key(&req.user_code)).await?;
    Ok(first)
}

/// The person refused (or the gate did): the device's next poll is told `access_denied`.
pub async fn deny(p: &Provider, handle: &str, req: &DeviceRequest) -> Result<(), EphemeralError> {
    p.store
        .put_if_absent(&denial_key(handle), b"1", LIFETIME * 2)
        .await?;
    p.store.delete(&user_key(&req.user_code)).await
}

/// A device's poll (RFC 8628 §3.4, §3.5) for `client`: tokens once the person approved, else
/// `authorization_pending`, `slow_down`, `access_denied` or `expired_token`.
pub async fn poll(
    p: &Provider,
    client: &Client,
    device_code: &str,
    bind: crate::tokens::Binding<'_>,
) -> Result<TokenResponse, TokenError> {
    let unavailable = |e: EphemeralError| TokenError::Unavailable(e.to_string());
    if device_code.len() > 256 {
        return Err(TokenError::InvalidGrant("invalid device code"));
    }
    let handle = handle_of(device_code);
    let req: Option<DeviceRequest> = get_json(p.store.as_ref(), &request_key(&handle))
        .await
        .map_err(unavailable)?;
    let Some(req) = req else {
        return Err(TokenError::InvalidGrant(
            "the device code is invalid or was used",
        ));
    };
    if req.client_id != client.client_id {
        return Err(TokenError::InvalidGrant(
            "the device code was issued to another client",
        ));
    }
    let now = p.clock.now();
    if now >= req.expires_at {
        return Err(TokenError::Device(
            "expired_token",
            "the device code has expired: start again",
        ));
    }
    let slot = format!("devp:{handle}:{}", now.div_euclid(INTERVAL));
    if !p
        .store
        .put_if_absent(&slot, b"1", INTERVAL * 2)
        .await
        .map_err(unavailable)?
    {
        return Err(TokenError::Device(
            "slow_down",
            "polling too fast: wait 5 seconds more between polls",
        ));
    }
    let approved: Option<CodeGrant> = take_json(p.store.as_ref(), &approval_key(&handle))
        .await
        .map_err(unavailable)?;
    if let Some(grant) = approved {
        // Single use: the request goes with the approval.
        p.store
            .delete(&request_key(&handle))
            .await
            .map_err(unavailable)?;
        return issue_for_grant(p, client, &grant, bind, "device_code", None).await;
    }
    if p.store
        .get(&denial_key(&handle))
        .await
        .map_err(unavailable)?
        .is_some()
    {
        let _ = p.store.delete(&request_key(&handle)).await;
        return Err(TokenError::Device(
            "access_denied",
            "the person refused the sign-in on this device",
        ));
    }
    Err(TokenError::Device(
        "authorization_pending",
        "the person has not finished signing in yet",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_unambiguous_letters_typed_any_way() {
        for _ in 0..200 {
            let c = new_user_code();
            assert_eq!(normalize(&c).as_deref(), Some(c.as_str()));
            assert!(c.bytes().all(|b| !b"AEIOUY01".contains(&b)), "{c}");
            let shown = display(&c);
            assert_eq!(shown.len(), 9);
            assert_eq!(
                normalize(&shown.to_lowercase()).as_deref(),
                Some(c.as_str())
            );
            assert_eq!(
                normalize(&format!(" {} ", shown.replace('-', " "))),
                Some(c.clone())
            );
        }
        assert_eq!(normalize("BCDF-GHJ"), None);
        assert_eq!(normalize("BCDF-GHJA"), None, "a vowel is never in a code");
        assert_eq!(normalize("BCDF-GHJKL"), None);
    }
}
