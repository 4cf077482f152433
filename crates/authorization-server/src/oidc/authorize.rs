//! The authorization request (OIDC Core §3.1.2.1) as a typed value, its checks, and the code
//! it ends with.
//!
//! Order of checks: the client and its exact redirect URI first ([`client_for`]; failures are
//! shown to the person, never redirected), then everything else ([`check`]; failures go back
//! to the redirect URI as a [`Refusal`] with `error`, `state` and `iss`).

use super::Params;
use crate::sso::SsoSession;
use crate::ticket::{AuthRequest, Ticket};
use crate::tokens::{verify_id_token_hint, AuthContext};
use crate::{Client, Provider};
use platform::crypto::sha256_b64;
use platform::ephemeral::put_json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The authorization request's parameters, as sent (unchecked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub id_token_hint: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub claims: Option<String>,
    pub acr_values: Option<String>,
    /// A request object (not supported; its presence is refused).
    pub request: Option<String>,
    /// A request object by reference (not supported; its presence is refused).
    pub request_uri: Option<String>,
    /// The resource server the token is for (RFC 8707).
    pub resource: Option<String>,
    /// The same, as SMART App Launch names it.
    pub aud: Option<String>,
    /// An EHR launch's handle (SMART App Launch), with the `launch` scope.
    pub launch: Option<String>,
}

impl AuthorizationRequest {
    /// The request from its query or form parameters; unknown parameters are ignored (OIDC
    /// Core §3.1.2.1).
    pub fn from_params(mut p: Params) -> Self {
        let mut take = |k: &str| p.remove(k);
        Self {
            client_id: take("client_id"),
            redirect_uri: take("redirect_uri"),
            response_type: take("response_type"),
            response_mode: take("response_mode"),
            scope: take("scope"),
            state: take("state"),
            nonce: take("nonce"),
            code_challenge: take("code_challenge"),
            code_challenge_method: take("code_challenge_method"),
            prompt: take("prompt"),
            max_age: take("max_age"),
            id_token_hint: take("id_token_hint"),
            login_hint: take("login_hint"),
            ui_locales: take("ui_locales"),
            claims: take("claims"),
            acr_values: take("acr_values"),
            request: take("request"),
            request_uri: take("request_uri"),
            resource: take("resource"),
            aud: take("aud"),
            launch: take("launch"),
        }
    }
}

/// Why the client or its redirect URI cannot be trusted (shown as a page, never redirected).
#[derive(Debug)]
pub enum ClientRefusal {
    /// No `client_id`, or no such client.
    UnknownClient,
    /// No `redirect_uri`, or not one the client registered (exact match).
    BadRedirectUri,
    /// The client store failed.
    Internal(String),
}

/// The client and its exactly-registered redirect URI.
pub async fn client_for(
    p: &Provider,
    r: &AuthorizationRequest,
) -> Result<(Arc<Client>, String), ClientRefusal> {
    let client_id = r.client_id.as_ref().ok_or(ClientRefusal::UnknownClient)?;
    let client = p
        .clients
        .get(client_id)
        .await
        .map_err(|e| ClientRefusal::Internal(e.to_string()))?
        .ok_or(ClientRefusal::UnknownClient)?;
    let uri = r
        .redirect_uri
        .as_ref()
        .ok_or(ClientRefusal::BadRedirectUri)?;
    if !client.has_redirect_uri(uri) {
        return Err(ClientRefusal::BadRedirectUri);
    }
    let uri = uri.clone();
    Ok((client, uri))
}

/// An error sent back to the client's redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub error: &'static str,
    pub description: &'static str,
}

/// A refusal.
pub fn refusal(error: &'static str, description: &'static str) -> Refusal {
    Refusal { error, description }
}

/// Checks the request for `client` (already found, with its redirect URI) and returns the
/// login ticket it becomes.
pub async fn check(
    p: &Provider,
    client: &Client,
    redirect_uri: &str,
    r: &AuthorizationRequest,
) -> Result<AuthRequest, Refusal> {
    let redir = refusal;
    if r.request.is_some() {
        return Err(redir(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if r.request_uri.is_some() {
        return Err(redir(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    match r.response_type.as_deref() {
        None => return Err(redir("invalid_request", "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(redir(
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
    }
    if let Some(m) = &r.response_mode {
        if m != "query" {
            return Err(redir(
                "invalid_request",
                "only response_mode=query is supported",
            ));
        }
    }
    if !client.allows_grant("authorization_code") {
        return Err(redir(
            "unauthorized_client",
            "the client may not use the authorization code grant",
        ));
    }
    let requested: Vec<&str> = r
        .scope
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    if !requested.contains(&"openid") {
        return Err(redir("invalid_scope", "the openid scope is required"));
    }
    let target = crate::resources::target(
        &client.resources,
        r.resource.as_deref(),
        r.aud.as_deref(),
        &requested,
    )
    .map_err(|e| redir("invalid_target", e.0))?;
    let mut granted: Vec<String> = Vec::new();
    for s in requested {
        // A malformed clinical scope (SMART) is refused, not left out.
        match crate::smart_scopes::ClinicalScope::parse(s) {
            Err(_) => {
                return Err(redir(
                    "invalid_scope",
                    "a clinical scope is malformed (its resource type, permissions or search \
                     parameters)",
                ))
            }
            Ok(Some(c)) if c.context == crate::smart_scopes::Context::System => {
                return Err(redir(
                    "invalid_scope",
                    "system/ scopes are for backend services (client_credentials)",
                ))
            }
            Ok(_) => {}
        }
        // A scope of the resource server the request is for: as the client may have it there
        // (a wider clinical scope narrowed to the client's); any other: as registered.
        let add: Vec<String> = match target {
            Some(t) if crate::resources::is_resource_scope(t, s) => crate::resources::grant(t, s),
            _ if client.allows_scope(s) => vec![s.to_owned()],
            _ => Vec::new(),
        };
        for a in add {
            if !granted.contains(&a) {
                granted.push(a);
            }
        }
    }
    // An EHR launch: the handle comes with the scope (it is taken later, once the request
    // is accepted: see `crate::smart_launch`).
    match (r.launch.is_some(), granted.iter().any(|g| g == "launch")) {
        (true, false) => {
            return Err(redir(
                "invalid_scope",
                "launch is for the launch scope, which this client may not use or did not ask",
            ))
        }
        (false, true) => {
            return Err(redir(
                "invalid_request",
                "the launch scope needs the launch parameter the record system gave",
            ))
        }
        _ => {}
    }
    // A standalone launch: the patient is picked from the FHIR server the request names, and
    // with launch/encounter then one of that patient's encounters (an encounter is always
    // some patient's, so launch/encounter picks the patient too).
    let standalone = |s: &str| r.launch.is_none() && granted.iter().any(|g| g == s);
    let pick_encounter = standalone("launch/encounter");
    let pick_patient = standalone("launch/patient") || pick_encounter;
    if pick_patient && target.is_none() {
        return Err(redir(
            "invalid_request",
            "launch/patient or launch/encounter without a launch names the FHIR server to pick \
             from (aud)",
        ));
    }
    if !granted.iter().any(|g| g == "openid") {
        return Err(redir("invalid_scope", "the client may not request openid"));
    }
    if r.state.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err(redir("invalid_request", "state is too long"));
    }
    if r.nonce.as_ref().is_some_and(|s| s.len() > 512) {
        return Err(redir("invalid_request", "nonce is too long"));
    }
    let code_challenge = pkce_challenge(r)?;
    if client.fapi2 && code_challenge.is_none() {
        return Err(redir(
            "invalid_request",
            "this client must use PKCE (S256): FAPI 2.0",
        ));
    }
    if client.is_public() && code_challenge.is_none() {
        return Err(redir(
            "invalid_request",
            "public clients must use PKCE (S256)",
        ));
    }
    let prompts: Vec<&str> = r
        .prompt
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    for pr in &prompts {
        if !matches!(*pr, "none" | "login" | "consent" | "select_account") {
            return Err(redir("invalid_request", "unknown prompt value"));
        }
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(redir(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age =
        match &r.max_age {
            Some(m) => Some(m.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
                redir("invalid_request", "max_age must be a non-negative integer")
            })?),
            None => None,
        };
    // The hint names its person by the subject its client knows them by: the account behind
    // it is what a session is compared with.
    let hint_sub = match &r.id_token_hint {
        Some(h) => {
            let invalid = || {
                redir(
                    "invalid_request",
                    "id_token_hint is not a valid ID token from this provider",
                )
            };
            let hint = verify_id_token_hint(p, h).ok_or_else(invalid)?;
            let aud = hint.client_id().ok_or_else(invalid)?;
            let account = crate::subjects::account_of_client_id(p, aud, &hint.sub)
                .await
                .map_err(|_| redir("server_error", "the request could not be checked"))?;
            Some(account.ok_or_else(invalid)?)
        }
        None => None,
    };
    let acr_values: Vec<String> = r
        .acr_values
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .take(10)
        .map(|a| a.chars().take(128).collect())
        .collect();
    let asked = match &r.claims {
        Some(c) => claims_request(c)?,
        None => ClaimsRequest::default(),
    };
    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope: granted.join(" "),
        audience: target.map(|t| t.audience.clone()),
        launch: None,
        state: r.state.clone(),
        nonce: r.nonce.clone(),
        code_challenge: code_challenge.map(str::to_owned),
        prompt_none,
        // max_age=0 means a fresh login, like prompt=login (OIDC Core §3.1.2.1).
        prompt_login: prompts.contains(&"login") || max_age == Some(0),
        prompt_consent: prompts.contains(&"consent"),
        pick_patient,
        pick_encounter,
        max_age,
        hint_sub,
        login_hint: r.login_hint.as_ref().map(|s| s.chars().take(128).collect()),
        ui_locales: r.ui_locales.as_ref().map(|s| s.chars().take(64).collect()),
        id_token_claims: asked.id_token,
        ticket: Ticket::Oidc,
        acr_values: asked.acr_values.unwrap_or(acr_values),
        acr_essential: asked.acr_essential,
    })
}

/// The PKCE challenge (S256 only; RFC 7636 §4.2: 43 base64url characters).
fn pkce_challenge(r: &AuthorizationRequest) -> Result<Option<&str>, Refusal> {
    let redir = refusal;
    let code_challenge = match (
        r.code_challenge.as_deref(),
        r.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256")) => Some(c),
        (Some(_), None) => {
            return Err(redir(
                "invalid_request",
                "code_challenge_method must be S256 (plain is not allowed)",
            ))
        }
        (_, Some(m)) if m != "S256" => {
            return Err(redir(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
        (None, Some(_)) => return Err(redir("invalid_request", "code_challenge is missing")),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(redir(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
    };
    if let Some(c) = code_challenge {
        let ok = c.len() == 43
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(redir(
                "invalid_request",
                "code_challenge must be a base64url SHA-256 digest (43 characters)",
            ));
        }
    }
    Ok(code_challenge)
}

/// What the `claims` parameter asks of the ID token (OIDC Core §5.5).
#[derive(Debug, Default)]
struct ClaimsRequest {
    /// Claims the provider knows (bounded, whatever was sent).
    id_token: Vec<String>,
    /// An `acr` claim request's values, when it named any (they replace `acr_values`).
    acr_values: Option<Vec<String>>,
    /// Whether the `acr` claim was requested as essential (§5.5.1.1).
    acr_essential: bool,
}

fn claims_request(c: &str) -> Result<ClaimsRequest, Refusal> {
    let v: serde_json::Value = serde_json::from_str(c)
        .map_err(|_| refusal("invalid_request", "claims is not valid JSON"))?;
    if !v.is_object() {
        return Err(refusal("invalid_request", "claims must be a JSON object"));
    }
    let mut out = ClaimsRequest::default();
    if let Some(acr) = v.get("id_token").and_then(|o| o.get("acr")) {
        out.acr_essential = acr.get("essential").and_then(|e| e.as_bool()) == Some(true);
        let asked: Vec<String> = match (acr.get("values"), acr.get("value")) {
            (Some(serde_json::Value::Array(a)), _) => a
                .iter()
                .filter_map(|x| x.as_str())
                .take(10)
                .map(str::to_owned)
                .collect(),
            (_, Some(serde_json::Value::String(one))) => vec![one.clone()],
            _ => Vec::new(),
        };
        if !asked.is_empty() {
            out.acr_values = Some(asked);
        }
    }
    out.id_token = v
        .get("id_token")
        .and_then(|o| o.as_object())
        .map(|o| {
            o.keys()
                .filter(|k| crate::discovery::CLAIMS.contains(&k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(out)
}

/// Whether the session meets the request's `max_age` and `id_token_hint`.
pub fn session_fresh(p: &Provider, req: &AuthRequest, s: &SsoSession) -> bool {
    if let Some(max_age) = req.max_age {
        if p.clock.now() - s.auth_time > max_age {
            return false;
        }
    }
    req.hint_sub.as_ref().is_none_or(|h| *h == s.account_id)
}

/// `redirect_uri` with `pairs` added to its query.
pub fn with_params(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// Where a refusal sends the browser: the redirect URI with `error`, its description,
/// `state` and `iss` (RFC 9207).
pub fn refusal_location(
    p: &Provider,
    redirect_uri: &str,
    state: Option<&str>,
    e: Refusal,
) -> String {
    let mut pairs = vec![("error", e.error), ("error_description", e.description)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", &p.cfg.issuer));
    with_params(redirect_uri, &pairs)
}

/// Where a code sends the browser: the redirect URI with `code`, `state` and `iss`.
pub fn code_location(p: &Provider, req: &AuthRequest, code: &str) -> String {
    let mut pairs = vec![("code", code)];
    if let Some(st) = &req.state {
        pairs.push(("state", st));
    }
    pairs.push(("iss", &p.cfg.issuer));
    with_params(&req.redirect_uri, &pairs)
}

/// What a code stands for, kept in the ephemeral store under the code's digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    /// Client.
    pub client_id: String,
    /// Redirect URI the code was sent to.
    pub redirect_uri: String,
    /// Scopes.
    pub scope: String,
    /// Nonce.
    pub nonce: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// Who and how.
    pub ctx: AuthContext,
    /// Person claims for the ID token.
    pub id_token_claims: Vec<String>,
    /// When the code was issued, unix seconds (0 for a code issued before this was kept).
    #[serde(default)]
    pub issued_at: i64,
    /// The resource server the tokens are for (its audience), if any.
    #[serde(default)]
    pub audience: Option<String>,
    /// An EHR launch's context.
    #[serde(default)]
    pub launch: crate::smart_launch::LaunchContext,
}

/// Ephemeral key of a code.
pub fn code_key(code: &str) -> String {
    format!("code:{}", sha256_b64(code.as_bytes()))
}

/// Stores what `code` stands for, for `code_ttl`.
pub async fn store_code(
    p: &Provider,
    req: &AuthRequest,
    s: &SsoSession,
    code: &str,
) -> Result<(), platform::EphemeralError> {
    let grant = CodeGrant {
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scope: req.scope.clone(),
        audience: req.audience.clone(),
        launch: req
            .launch
            .as_ref()
            .map(|l| l.context.clone())
            .unwrap_or_default(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        ctx: AuthContext {
            account_id: s.account_id.clone(),
            sid: s.sid.clone(),
            auth_time: s.auth_time,
            acr: s.acr.clone(),
            amr: s.amr.clone(),
        },
        id_token_claims: req.id_token_claims.clone(),
        issued_at: p.clock.now(),
    };
    put_json(p.store.as_ref(), &code_key(code), &grant, p.cfg.code_ttl).await
}

#[cfg(test)]
mod tests {
    use super::super::params;
    use super::*;

    #[test]
    fn parameters_become_fields_and_unknown_ones_are_ignored() {
        let r = AuthorizationRequest::from_params(params(&[
            ("client_id", "c"),
            ("scope", "openid"),
            ("ui_locales", "fr"),
            ("x-extension", "whatever"),
        ]));
        assert_eq!(r.client_id.as_deref(), Some("c"));
        assert_eq!(r.scope.as_deref(), Some("openid"));
        assert_eq!(r.ui_locales.as_deref(), Some("fr"));
        assert_eq!(r.redirect_uri, None);
    }

    #[test]
    fn pkce_takes_only_s256_with_a_digest_sized_challenge() {
        let good = "a".repeat(43);
        let mk = |c: Option<&str>, m: Option<&str>| AuthorizationRequest {
            code_challenge: c.map(str::to_owned),
            code_challenge_method: m.map(str::to_owned),
            ..Default::default()
        };
        assert_eq!(
            pkce_challenge(&mk(Some(&good), Some("S256"))),
            Ok(Some(good.as_str()))
        );
        assert_eq!(pkce_challenge(&mk(None, None)), Ok(None));
        assert!(pkce_challenge(&mk(Some(&good), Some("plain"))).is_err());
        assert!(pkce_challenge(&mk(Some(&good), None)).is_err());
        assert!(pkce_challenge(&mk(None, Some("S256"))).is_err());
        assert!(pkce_challenge(&mk(Some("short"), Some("S256"))).is_err());
    }

    #[test]
    fn an_acr_claim_request_replaces_acr_values_and_may_be_essential() {
        let c = claims_request(
            r#"{"id_token":{"acr":{"essential":true,"values":["a","b"]},"email":null,"bogus":null}}"#,
        )
        .unwrap();
        assert!(c.acr_essential);
        assert_eq!(c.acr_values, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert!(c.id_token.contains(&"email".to_owned()));
        assert!(!c.id_token.contains(&"bogus".to_owned()));
        assert!(claims_request("[1]").is_err());
        assert!(claims_request("{").is_err());
    }
}
