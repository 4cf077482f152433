//! The authorization endpoint (GET and POST) and the login page behind it.
//!
//! Order of checks: the client and its exact redirect URI first (failures get an error page,
//! never a redirect), then everything else (failures redirect with `error`, `state`, `iss`).
//! With a live SSO session that satisfies the request the code is issued at once; otherwise
//! the request is parked in the ephemeral store and the login page is shown.

use crate::pages::{self, LoginView};
use authorization_server::tokens::{acr_for, verify_id_token_hint, AuthContext};
use authorization_server::{Client, Provider};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::{Account, AuthError, CredentialError};
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use platform::Locale;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use web::error::PageError;
use web::http::{csrf_ok, csrf_token, parse_form, parse_query, see_other, ClientIp, Params};
use web::session::{self, SsoSession};

mod login;

pub(crate) use authorization_server::ticket::login_key;
pub(crate) use login::{complete_login, start_login};
pub use login::{login_page, login_page_get, login_submit, password_change_submit};

pub use authorization_server::ticket::{AuthRequest, Ticket};

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
}

/// Ephemeral key of a code.
pub fn code_key(code: &str) -> String {
    format!("code:{}", sha256_b64(code.as_bytes()))
}

/// An error that is sent back to the client's redirect URI.
struct Redirected {
    error: &'static str,
    description: &'static str,
}

fn redir(error: &'static str, description: &'static str) -> Redirected {
    Redirected { error, description }
}

fn locale_of(params: &Params, headers: &HeaderMap) -> Locale {
    web::http::locale(headers, params.get("ui_locales").map(String::as_str))
}

/// GET /authorize
#[tracing::instrument(skip_all)]
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes());
    authorize(&p, &headers, params).await
}

/// POST /authorize (form-encoded)
#[tracing::instrument(skip_all)]
pub async fn post(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let params = parse_form(&headers, &body);
    authorize(&p, &headers, params).await
}

async fn authorize(
    p: &Provider,
    headers: &HeaderMap,
    params: Result<Params, web::http::ParamError>,
) -> Response {
    let accept = web::http::locale(headers, None);
    let Ok(params) = params else {
        // Without trustworthy parameters there is no redirect URI to trust either.
        return PageError::bad(accept, |t| t.bad_request).into_response();
    };
    let locale = locale_of(&params, headers);
    let client = match client_and_redirect(p, &params, locale).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let (client, redirect_uri) = client;
    let state = params.get("state").cloned();
    let req = match validate(p, &client, &redirect_uri, &params) {
        Ok(r) => r,
        Err(e) => return error_redirect(p, &redirect_uri, state.as_deref(), e),
    };
    let live = match session::current(p, headers).await {
        Ok(s) => s,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    if let Some((key, s)) = live.filter(|(_, s)| !req.prompt_login && session_fresh(p, &req, s)) {
        let level = level_of(&s.acr);
        if crate::stepup::essential_acr_unreachable(&req, level) {
            return unmet(p, &req, "the account cannot reach the requested acr");
        }
        let has_mfa = s.amr.iter().any(|a| a == "mfa");
        if !has_mfa && (client.require_mfa || crate::stepup::acr_wants_mfa(&req, level)) {
            // The session is not enough for this relying party: step it up (no password).
            if req.prompt_none {
                return error_redirect(
                    p,
                    &redirect_uri,
                    req.state.as_deref(),
                    redir("interaction_required", "the user must complete a step-up"),
                );
            }
            return step_up_session(p, headers, req, key, s, locale).await;
        }
        // The account may have been suspended since the session began. Its check (database)
        // and storing the code (ephemeral store) run together; a code for an account that
        // turns out inactive is dropped unseen.
        let code = random_token(32);
        let (active, stored, gated) = tokio::join!(
            session_usable(p, &s),
            store_code(p, &req, &s, &code),
            gate(p, &client, &req, &s.account_id, locale)
        );
        if let Err(e) = stored {
            return PageError::internal(locale, e).into_response();
        }
        let refused = match gated {
            Ok(r) => r,
            Err(e) => {
                let _ = p.store.delete(&code_key(&code)).await;
                return PageError::internal(locale, e).into_response();
            }
        };
        if let (true, Some(page)) = (active, refused) {
            let _ = p.store.delete(&code_key(&code)).await;
            return page;
        }
        if active {
            return match deliver_code(p, &req, &key, s, &code).await {
                Ok(r) => r,
                Err(e) => PageError::internal(locale, e).into_response(),
            };
        }
        let _ = p.store.delete(&code_key(&code)).await;
    }
    if req.prompt_none {
        return error_redirect(
            p,
            &redirect_uri,
            req.state.as_deref(),
            redir("login_required", "the user must sign in"),
        );
    }
    start_login(p, headers, req, locale).await
}

async fn client_and_redirect(
    p: &Provider,
    params: &Params,
    locale: Locale,
) -> Result<(Arc<Client>, String), PageError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| PageError::bad(locale, |t| t.unknown_client))?;
    let client = p
        .clients
        .get(client_id)
        .await
        .map_err(|e| PageError::internal(locale, e))?
        .ok_or_else(|| PageError::bad(locale, |t| t.unknown_client))?;
    let uri = params
        .get("redirect_uri")
        .ok_or_else(|| PageError::bad(locale, |t| t.bad_redirect_uri))?;
    if !client.has_redirect_uri(uri) {
        return Err(PageError::bad(locale, |t| t.bad_redirect_uri));
    }
    let uri = uri.clone();
    Ok((client, uri))
}

fn validate(
    p: &Provider,
    client: &Client,
    redirect_uri: &str,
    params: &Params,
) -> Result<AuthRequest, Redirected> {
    let get = |k: &str| params.get(k).map(String::as_str);
    if get("request").is_some() {
        return Err(redir(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if get("request_uri").is_some() {
        return Err(redir(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    match get("response_type") {
        None => return Err(redir("invalid_request", "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(redir(
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
    }
    if let Some(m) = get("response_mode") {
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
    let requested: Vec<&str> = get("scope").unwrap_or("").split_whitespace().collect();
    if !requested.contains(&"openid") {
        return Err(redir("invalid_scope", "the openid scope is required"));
    }
    let mut granted: Vec<&str> = Vec::new();
    for s in requested {
        if client.allows_scope(s) && !granted.contains(&s) {
            granted.push(s);
        }
    }
    if !granted.contains(&"openid") {
        return Err(redir("invalid_scope", "the client may not request openid"));
    }
    let state = get("state").map(str::to_owned);
    if state.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err(redir("invalid_request", "state is too long"));
    }
    let nonce = get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|s| s.len() > 512) {
        return Err(redir("invalid_request", "nonce is too long"));
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
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
    if client.is_public() && code_challenge.is_none() {
        return Err(redir(
            "invalid_request",
            "public clients must use PKCE (S256)",
        ));
    }
    let prompts: Vec<&str> = get("prompt").unwrap_or("").split_whitespace().collect();
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
        match get("max_age") {
            Some(m) => Some(m.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
                redir("invalid_request", "max_age must be a non-negative integer")
            })?),
            None => None,
        };
    let hint_sub = match get("id_token_hint") {
        Some(h) => Some(
            verify_id_token_hint(p, h)
                .ok_or_else(|| {
                    redir(
                        "invalid_request",
                        "id_token_hint is not a valid ID token from this provider",
                    )
                })?
                .sub,
        ),
        None => None,
    };
    let mut acr_values: Vec<String> = get("acr_values")
        .unwrap_or("")
        .split_whitespace()
        .take(10)
        .map(|a| a.chars().take(128).collect())
        .collect();
    let mut acr_essential = false;
    let id_token_claims = match get("claims") {
        Some(c) => {
            let v: serde_json::Value = serde_json::from_str(c)
                .map_err(|_| redir("invalid_request", "claims is not valid JSON"))?;
            if !v.is_object() {
                return Err(redir("invalid_request", "claims must be a JSON object"));
            }
            // An `acr` claim request (OIDC Core §5.5.1.1): its values, and whether essential.
            if let Some(acr) = v.get("id_token").and_then(|o| o.get("acr")) {
                acr_essential = acr.get("essential").and_then(|e| e.as_bool()) == Some(true);
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
                    acr_values = asked;
                }
            }
            // Only claims the provider knows are kept (bounded, whatever was sent).
            v.get("id_token")
                .and_then(|o| o.as_object())
                .map(|o| {
                    o.keys()
                        .filter(|k| authorization_server::discovery::CLAIMS.contains(&k.as_str()))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope: granted.join(" "),
        state,
        nonce,
        code_challenge: code_challenge.map(str::to_owned),
        prompt_none,
        // max_age=0 means a fresh login, like prompt=login (OIDC Core §3.1.2.1).
        prompt_login: prompts.contains(&"login") || max_age == Some(0),
        max_age,
        hint_sub,
        login_hint: get("login_hint").map(|s| s.chars().take(128).collect()),
        ui_locales: get("ui_locales").map(|s| s.chars().take(64).collect()),
        id_token_claims,
        ticket: Ticket::Oidc,
        acr_values,
        acr_essential,
    })
}

/// Whether the session meets the request's max_age and id_token_hint.
fn session_fresh(p: &Provider, req: &AuthRequest, s: &SsoSession) -> bool {
    if let Some(max_age) = req.max_age {
        if p.clock.now() - s.auth_time > max_age {
            return false;
        }
    }
    req.hint_sub.as_ref().is_none_or(|h| *h == s.account_id)
}

/// The session's account is active and the session began after its sessions were last ended.
async fn session_usable(p: &Provider, s: &SsoSession) -> bool {
    matches!(
        p.accounts.find_by_id(&s.account_id).await,
        Ok(Some(a)) if session::still_valid(&a, s)
    )
}

fn with_params(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
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

fn error_redirect(
    p: &Provider,
    redirect_uri: &str,
    state: Option<&str>,
    e: Redirected,
) -> Response {
    let mut pairs = vec![("error", e.error), ("error_description", e.description)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", &p.cfg.issuer));
    see_other(&with_params(redirect_uri, &pairs))
}

pub(crate) use step_up::acr::level_of;

/// Tells the relying party its authentication requirements cannot be met.
pub(crate) fn unmet(p: &Provider, req: &AuthRequest, description: &'static str) -> Response {
    if req.redirect_uri.is_empty() {
        // A SAML sign-in tells its service provider (NoAuthnContext); a console sign-in has
        // no relying party to tell.
        if let Ticket::Saml { token } = &req.ticket {
            return see_other(&format!("/saml/continue?r={token}&unmet=1"));
        }
        return PageError::bad(Locale::default(), |t| t.bad_request).into_response();
    }
    error_redirect(
        p,
        &req.redirect_uri,
        req.state.as_deref(),
        redir("unmet_authentication_requirements", description),
    )
}

/// Parks the request and steps up the live session `key` for it.
pub(crate) async fn step_up_session(
    p: &Provider,
    headers: &HeaderMap,
    req: AuthRequest,
    key: String,
    s: SsoSession,
    locale: Locale,
) -> Response {
    let account = match p.accounts.find_by_id(&s.account_id).await {
        Ok(Some(a)) if session::still_valid(&a, &s) => a,
        Ok(_) => return start_login(p, headers, req, locale).await,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    let methods = match web::challenge::methods_of(p, &account).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if methods.is_empty() {
        return unmet(p, &req, "no second factor is set up for this account");
    }
    let id = random_token(24);
    if let Err(e) = put_json(p.store.as_ref(), &login_key(&id), &req, p.cfg.login_ttl).await {
        return PageError::internal(locale, e).into_response();
    }
    web::challenge::begin(
        p,
        headers,
        web::challenge::Pending {
            account_id: account.id,
            request_id: Some(id),
            amr: s.amr,
            session_key: Some(key),
            methods,
            locale,
            ..Default::default()
        },
    )
    .await
}

/// After a live session was stepped up: the parked request completes with it.
pub(crate) async fn resume_with_session(
    p: &Provider,
    request_id: &str,
    key: &str,
    s: SsoSession,
    locale: Locale,
) -> Response {
    let req: Option<AuthRequest> = match p.store.take(&login_key(request_id)).await {
        Ok(Some(b)) => serde_json::from_slice(&b).ok(),
        Ok(None) => None,
        Err(e) => return PageError::internal(locale, e).into_response(),
    };
    let Some(req) = req else {
        return PageError::bad(locale, |t| t.login_expired).into_response();
    };
    if let Some(back) = req.ticket.return_to() {
        return match web::widgets::local_return(&back) {
            Some(back) => see_other(back),
            None => PageError::bad(locale, |t| t.bad_request).into_response(),
        };
    }
    match issue_code(p, &req, key, s, locale).await {
        Ok(r) => r,
        Err(e) => PageError::internal(locale, e).into_response(),
    }
}

/// The gate: a person gets a code for a relying party of a service only when enrolled in
/// it through an active sponsorship, at or above its level of assurance. `Some(page)` is the
/// refusal: a page saying what is missing, with the way back to the relying party carrying
/// `access_denied`.
pub(crate) async fn gate(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    account_id: &str,
    locale: Locale,
) -> Result<Option<Response>, String> {
    let service = client.service_id.as_deref();
    let Some(text) = gate_text(p, service, account_id, &client.client_id, locale).await? else {
        return Ok(None);
    };
    let g = web::gate_text::GateText::get(locale);
    // prompt=none shows nothing: the relying party gets the refusal straight away.
    if req.prompt_none {
        return Ok(Some(error_redirect(
            p,
            &req.redirect_uri,
            req.state.as_deref(),
            redir(
                "access_denied",
                "the user is not enrolled in this service at its level of assurance",
            ),
        )));
    }
    let mut pairs = vec![
        ("error", "access_denied"),
        (
            "error_description",
            "the user is not enrolled in this service at its level of assurance",
        ),
    ];
    if let Some(st) = &req.state {
        pairs.push(("state", st));
    }
    pairs.push(("iss", &p.cfg.issuer));
    let back = with_params(&req.redirect_uri, &pairs);
    let v = web::forms::View {
        title: g.title.into(),
        intro: vec![text],
        links: vec![(back, g.back.replace("{client}", &client.name))],
        ..Default::default()
    };
    Ok(Some(web::forms::render(
        locale,
        &v,
        "",
        axum::http::StatusCode::FORBIDDEN,
    )))
}

/// The gate for an account and a service: `None` when the account may go in, else what the
/// person is told (the refusal is audited, naming `audit_client`: the relying party or SAML
/// service provider asking). Shared by OIDC and SAML.
pub(crate) async fn gate_text(
    p: &Provider,
    service: Option<&str>,
    account_id: &str,
    audit_client: &str,
    locale: Locale,
) -> Result<Option<String>, String> {
    // A relying party in no service admits no one: every one belongs to a service.
    let access = match service {
        Some(service) => p
            .registration
            .directory
            .access(account_id, service)
            .await
            .map_err(|e| e.to_string())?,
        None => registration::Access::UnknownService,
    };
    let g = web::gate_text::GateText::get(locale);
    let (text, detail) = match &access {
        registration::Access::Allowed => return Ok(None),
        registration::Access::NotEnrolled { service } => {
            (g.not_enrolled.replace("{service}", service), "not_enrolled")
        }
        registration::Access::LevelTooLow {
            service,
            need,
            have,
        } => (
            g.level_too_low
                .replace("{service}", service)
                .replace("{need}", &need.to_string())
                .replace("{have}", &have.to_string()),
            "level_too_low",
        ),
        registration::Access::UnknownService if service.is_none() => {
            (g.unknown_service.to_owned(), "no_service")
        }
        registration::Access::UnknownService => (g.unknown_service.to_owned(), "unknown_service"),
    };
    let _ = p
        .audit
        .record(platform::AuditEvent {
            event: "authorization.refused",
            actor: Some(account_id),
            subject: Some(account_id),
            client_id: Some(audit_client),
            detail: Some(detail),
            ..Default::default()
        })
        .await;
    Ok(Some(text))
}

/// Issues a code for the session and redirects to the client with it (after the gate).
async fn issue_code(
    p: &Provider,
    req: &AuthRequest,
    session_key: &str,
    s: SsoSession,
    locale: Locale,
) -> Result<Response, String> {
    // A client removed since the request began gets nothing.
    let Some(client) = p
        .clients
        .get(&req.client_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(PageError::bad(locale, |t| t.unknown_client).into_response());
    };
    {
        if let Some(page) = gate(p, &client, req, &s.account_id, locale).await? {
            // The sign-in itself stands (the SSO session serves the services the person is
            // enrolled in); only this relying party is refused.
            return Ok(page);
        }
    }
    let code = random_token(32);
    store_code(p, req, &s, &code)
        .await
        .map_err(|e| e.to_string())?;
    deliver_code(p, req, session_key, s, &code)
        .await
        .map_err(|e| e.to_string())
}

async fn store_code(
    p: &Provider,
    req: &AuthRequest,
    s: &SsoSession,
    code: &str,
) -> Result<(), platform::EphemeralError> {
    let grant = CodeGrant {
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scope: req.scope.clone(),
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
    };
    put_json(p.store.as_ref(), &code_key(code), &grant, p.cfg.code_ttl).await
}

async fn deliver_code(
    p: &Provider,
    req: &AuthRequest,
    session_key: &str,
    s: SsoSession,
    code: &str,
) -> Result<Response, platform::EphemeralError> {
    session::add_client(p, session_key, s, &req.client_id).await?;
    let mut pairs = vec![("code", code)];
    if let Some(st) = &req.state {
        pairs.push(("state", st));
    }
    pairs.push(("iss", &p.cfg.issuer));
    Ok(see_other(&with_params(&req.redirect_uri, &pairs)))
}
