//! The authorization endpoint (GET and POST) and the login page behind it.
//!
//! Order of checks: the client and its exact redirect URI first (failures get an error page,
//! never a redirect), then everything else (failures redirect with `error`, `state`, `iss`).
//! With a live SSO session that satisfies the request the code is issued at once; otherwise
//! the request is parked in the ephemeral store and the login page is shown.

use crate::pages::{self, LoginView};
use authorization_server::oidc::authorize::{
    check, client_for, code_key, code_location, refusal, refusal_location, session_fresh,
    store_code, with_params, AuthorizationRequest, ClientRefusal, Refusal,
};
use authorization_server::oidc::{par, request_object};
use authorization_server::{Client, Provider};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::{Account, CredentialError};
use platform::audit::AuditEvent;
use platform::crypto::random_token;
use platform::ephemeral::{get_json, put_json};
use platform::Locale;

use std::sync::Arc;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::http::{
    csrf_ok, csrf_token, parse_form, parse_query, see_other, ClientIp, CsrfForm, Params,
};
use web::session::{self, SsoSession};

mod agreement;
mod consent;
mod encounter;
mod login;
mod pause;
mod picker;

pub use agreement::agreement_submit;
pub(crate) use agreement::ask as ask_agreement;
pub(crate) use authorization_server::ticket::login_key;
pub use consent::{consent_page, consent_submit};
pub use encounter::{encounter_page, encounter_submit};
pub(crate) use login::{complete_login, offer_after, offers_passkey, start_login};
pub use login::{
    login_page, login_submit, passkey_offer_submit, passkey_submit, password_change_submit,
};
pub use picker::{picker_page, picker_submit};

pub use authorization_server::ticket::{AuthRequest, Ticket};

fn locale_of(params: &Params, headers: &HeaderMap) -> Locale {
    web::http::locale(headers, params.get("ui_locales").map(String::as_str))
}

/// GET /authorize
#[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty))]
pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q.unwrap_or_default().as_bytes());
    authorize(&p, &headers, &ip, params).await.into_response()
}

/// POST /authorize (form-encoded)
#[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty))]
pub async fn post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Response {
    let params = parse_form(&headers, &body);
    authorize(&p, &headers, &ip, params).await.into_response()
}

async fn authorize(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    params: Result<Params, web::http::ParamError>,
) -> WebResult {
    let accept = web::http::locale(headers, None);
    // Without trustworthy parameters there is no redirect URI to trust either.
    let params = params.map_err(|_| PageError::bad(accept, |t| t.bad_request))?;
    // A pushed request (RFC 9126): its parameters come from the provider's own store, taken
    // once, for the client that pushed them; any others in the address are ignored.
    let pushed = params
        .get("request_uri")
        .is_some_and(|u| u.starts_with(par::REQUEST_URI_PREFIX));
    let mut signed = false;
    let params = if pushed {
        let client_id = params.get("client_id").map(String::as_str).unwrap_or("");
        let uri = params.get("request_uri").map(String::as_str).unwrap_or("");
        match par::take(p, client_id, uri).await {
            Ok((pushed, was_signed)) => {
                signed = was_signed;
                pushed
            }
            Err(par::TakeError::Invalid) => {
                return Err(PageError::bad(accept, |t| t.login_expired).into())
            }
            Err(par::TakeError::Unavailable(e)) => {
                return Err(PageError::internal(accept, e).into())
            }
        }
    } else if let Some(jws) = params.get("request") {
        // A signed request object (RFC 9101) by value: its parameters are the request.
        let client = match params.get("client_id") {
            Some(id) => p.clients.get(id).await.or_page(accept)?,
            None => None,
        };
        let Some(client) = client else {
            return Err(PageError::bad(accept, |t| t.unknown_client).into());
        };
        match request_object::open(p, &client, jws).await {
            Ok(opened) => {
                signed = true;
                opened
            }
            Err(request_object::RequestObjectError::Invalid(why)) => {
                tracing::info!(why, "request object refused");
                return Err(PageError::bad(accept, |t| t.bad_request).into());
            }
            Err(request_object::RequestObjectError::Unavailable(e)) => {
                return Err(PageError::internal(accept, e).into())
            }
        }
    } else {
        params
    };
    let asked = AuthorizationRequest::from_params(params);
    let locale = web::http::locale(headers, asked.ui_locales.as_deref());
    let (client, redirect_uri) = client_for(p, &asked).await.map_err(|e| match e {
        ClientRefusal::UnknownClient => PageError::bad(locale, |t| t.unknown_client),
        ClientRefusal::BadRedirectUri => PageError::bad(locale, |t| t.bad_redirect_uri),
        ClientRefusal::Internal(e) => PageError::internal(locale, e),
    })?;
    tracing::Span::current().record("client_id", client.client_id.as_str());
    if !signed && client.require_signed_request_object {
        let e = refusal(
            "invalid_request",
            "this client must send a signed request object (JAR, RFC 9101)",
        );
        return Ok(error_redirect(p, &redirect_uri, asked.state.as_deref(), e));
    }
    if !pushed && par::required(p, &client) {
        let e = refusal(
            "invalid_request",
            "this client must push its authorization requests (PAR, RFC 9126)",
        );
        return Ok(error_redirect(p, &redirect_uri, asked.state.as_deref(), e));
    }
    let mut req = match check(p, &client, &redirect_uri, &asked).await {
        Ok(r) => r,
        Err(e) => return Ok(error_redirect(p, &redirect_uri, asked.state.as_deref(), e)),
    };
    if let Some(handle) = &asked.launch {
        // Taken now, once (on any node): the request goes on with the launch in it.
        let taken = authorization_server::smart_launch::take(p, handle)
            .await
            .or_page(locale)?
            .filter(|l| l.client_id.as_deref().is_none_or(|c| c == client.client_id));
        let Some(launch) = taken else {
            let e = refusal(
                "invalid_request",
                "the launch is unknown, expired, already used or for another app",
            );
            return Ok(error_redirect(p, &redirect_uri, req.state.as_deref(), e));
        };
        req.launch = Some(launch);
    }
    let live = session::current(p, headers).await.or_page(locale)?;
    if let Some((key, s)) = live.filter(|(_, s)| !req.prompt_login && session_fresh(p, &req, s)) {
        let at = Live { key, s, ip };
        if let Some(r) = with_session(p, headers, &client, &req, at, locale).await? {
            return Ok(r);
        }
    }
    if req.prompt_none {
        let e = refusal("login_required", "the user must sign in");
        return Ok(error_redirect(p, &redirect_uri, req.state.as_deref(), e));
    }
    start_login(p, headers, req, locale).await
}

/// A request met by the live session: a code at once, a step-up of the session, or the
/// gate's refusal. `None`: the session's account is no longer active (sign in again).
/// The live SSO session an authorization request came with, and from where.
pub(crate) struct Live<'a> {
    pub(crate) key: String,
    pub(crate) s: SsoSession,
    pub(crate) ip: &'a str,
}

pub(crate) async fn with_session(
    p: &Provider,
    headers: &HeaderMap,
    client: &Client,
    req: &AuthRequest,
    live: Live<'_>,
    locale: Locale,
) -> Result<Option<Response>, WebError> {
    let Live { key, s, ip } = live;
    let level = level_of(&s.acr);
    if crate::stepup::essential_acr_unreachable(req, level) {
        return Ok(Some(unmet(
            p,
            req,
            "the account cannot reach the requested acr",
        )));
    }
    let has_mfa = s.amr.iter().any(|a| a == "mfa");
    let wants_phr =
        client.require_phishing_resistant || step_up::acr::wants_phr(&req.acr_values, level);
    let phr = wants_phr && !crate::stepup::has_phr(&s.amr);
    if phr
        || (!has_mfa
            && (client.require_mfa
                || client.require_phishing_resistant
                || crate::stepup::acr_wants_mfa(req, level)))
    {
        // The session is not enough for this relying party: step it up (no password).
        if req.prompt_none {
            let e = refusal("interaction_required", "the user must complete a step-up");
            return Ok(Some(error_redirect(
                p,
                &req.redirect_uri,
                req.state.as_deref(),
                e,
            )));
        }
        let r = step_up_session(p, headers, req.clone(), key, s, phr, locale).await?;
        return Ok(Some(r));
    }
    // The account may have been suspended since the session began. Its check (database)
    // and storing the code (ephemeral store) run together; a code for an account that
    // turns out inactive is dropped unseen.
    let code = random_token(32);
    let (active, stored, gated) = tokio::join!(
        session_usable(p, &s),
        store_code(p, req, &s, &code),
        gate(p, client, req, &s, locale)
    );
    stored.or_page(locale)?;
    let refused = match gated {
        Ok(r) => r,
        Err(e) => {
            let _ = p.store.delete(&code_key(&code)).await;
            return Err(PageError::internal(locale, e).into());
        }
    };
    let Some(account) = active else {
        let _ = p.store.delete(&code_key(&code)).await;
        return Ok(None);
    };
    if authorization_server::agreement::due(p, &account) {
        // A new version of the agreement since this session began: asked before the code.
        let _ = p.store.delete(&code_key(&code)).await;
        if req.prompt_none {
            let e = refusal(
                "interaction_required",
                "the user must accept the current acceptable use agreement",
            );
            return Ok(Some(error_redirect(
                p,
                &req.redirect_uri,
                req.state.as_deref(),
                e,
            )));
        }
        let id = random_token(24);
        put_json(p.store.as_ref(), &login_key(&id), req, p.cfg.login_ttl)
            .await
            .or_page(locale)?;
        let amr = s.amr.clone();
        let r = agreement::ask(p, headers, &id, &account, Some(key), amr, ip, locale).await?;
        return Ok(Some(r));
    }
    if let Some(page) = refused {
        let _ = p.store.delete(&code_key(&code)).await;
        return Ok(Some(page));
    }
    if let Some(page) = question(p, client, req, &key, &s, locale).await? {
        let _ = p.store.delete(&code_key(&code)).await;
        return Ok(Some(page));
    }
    let r = deliver_code(p, req, &key, s, &code).await.or_page(locale)?;
    Ok(Some(r))
}

/// The session's account, when it is active and the session began after its sessions were
/// last ended.
async fn session_usable(p: &Provider, s: &SsoSession) -> Option<Account> {
    match p.accounts.find_by_id(&s.account_id).await {
        Ok(Some(a)) if session::still_valid(&a, s) => Some(a),
        _ => None,
    }
}

fn error_redirect(p: &Provider, redirect_uri: &str, state: Option<&str>, e: Refusal) -> Response {
    see_other(&refusal_location(p, redirect_uri, state, e))
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
        refusal("unmet_authentication_requirements", description),
    )
}

/// Parks the request and steps up the live session `key` for it.
pub(crate) async fn step_up_session(
    p: &Provider,
    headers: &HeaderMap,
    req: AuthRequest,
    key: String,
    s: SsoSession,
    passkey_only: bool,
    locale: Locale,
) -> WebResult {
    let account = match p.accounts.find_by_id(&s.account_id).await {
        Ok(Some(a)) if session::still_valid(&a, &s) => a,
        Ok(_) => return start_login(p, headers, req, locale).await,
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let mut methods = web::challenge::methods_of(p, &account).await?;
    if passkey_only {
        methods.retain(|m| *m == web::challenge::Method::Passkey);
        if methods.is_empty() {
            return Ok(crate::stepup::no_passkey(p, headers, &req, locale));
        }
    }
    if methods.is_empty() {
        return Ok(unmet(
            p,
            &req,
            "no second factor is set up for this account",
        ));
    }
    let id = random_token(24);
    put_json(p.store.as_ref(), &login_key(&id), &req, p.cfg.login_ttl)
        .await
        .or_page(locale)?;
    let pending = web::challenge::Pending {
        account_id: account.id,
        request_id: Some(id),
        amr: s.amr,
        session_key: Some(key),
        methods,
        locale,
        ..Default::default()
    };
    Ok(web::challenge::begin(p, headers, pending).await)
}

/// After the agreement was accepted by the holder of the live session `key`: the parked
/// request is answered with that session as it would have been (the gate, a step-up, the
/// code); a session that ended meanwhile signs in again.
pub(crate) async fn after_agreement_with_session(
    p: &Provider,
    headers: &HeaderMap,
    request_id: &str,
    key: &str,
    ip: &str,
    locale: Locale,
) -> WebResult {
    let taken = p.store.take(&login_key(request_id)).await.or_page(locale)?;
    let req: Option<AuthRequest> = taken.and_then(|b| serde_json::from_slice(&b).ok());
    let Some(req) = req else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let client = match p.clients.get(&req.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(PageError::bad(locale, |t| t.unknown_client).into()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let live = session::current(p, headers).await.or_page(locale)?;
    if let Some((key, s)) = live.filter(|(k, _)| k == key) {
        let at = Live { key, s, ip };
        if let Some(r) = with_session(p, headers, &client, &req, at, locale).await? {
            return Ok(r);
        }
    }
    start_login(p, headers, req, locale).await
}

/// After a live session was stepped up: the parked request completes with it.
pub(crate) async fn resume_with_session(
    p: &Provider,
    request_id: &str,
    key: &str,
    s: SsoSession,
    locale: Locale,
) -> WebResult {
    let taken = p.store.take(&login_key(request_id)).await.or_page(locale)?;
    let req: Option<AuthRequest> = taken.and_then(|b| serde_json::from_slice(&b).ok());
    let Some(req) = req else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    if let Some(back) = req.ticket.return_to() {
        let back = web::widgets::local_return(&back)
            .ok_or_else(|| PageError::bad(locale, |t| t.bad_request))?;
        return Ok(see_other(back));
    }
    issue_code(p, &req, key, s, locale).await
}

/// The gate: a person gets a code for a relying party of a service only when enrolled in
/// it through an active sponsorship, at or above its level of assurance. `Some(page)` is the
/// refusal: a page saying what is missing, with the way back to the relying party carrying
/// `access_denied`.
pub(crate) async fn gate(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    s: &SsoSession,
    locale: Locale,
) -> Result<Option<Response>, String> {
    let account_id = s.account_id.as_str();
    // An EHR launch is for the person who launched it, in the session they launched it in.
    if let Some(l) = &req.launch {
        if l.account_id != s.account_id || l.sid != s.sid {
            let _ = p
                .audit
                .record(platform::AuditEvent {
                    event: "launch.refused",
                    actor: Some(account_id),
                    subject: Some(&l.account_id),
                    client_id: Some(&client.client_id),
                    detail: Some("the launch was made in another session"),
                    ..Default::default()
                })
                .await;
            return Ok(Some(error_redirect(
                p,
                &req.redirect_uri,
                req.state.as_deref(),
                refusal(
                    "access_denied",
                    "the launch was made for another person or in another sign-in session",
                ),
            )));
        }
    }
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
            refusal(
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

/// What the person must still answer before the code, in order: a third-party app's consent,
/// then for a standalone launch the patient and (`launch/encounter`) the encounter; the page
/// that asks, or `None` when nothing is left. Every answer resumes through `issue_code`, so
/// this one chain decides what comes next.
async fn question(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    session_key: &str,
    s: &SsoSession,
    locale: Locale,
) -> Result<Option<Response>, WebError> {
    if let Some(page) = consent::ask_if_needed(p, client, req, session_key, s, locale).await? {
        return Ok(Some(page));
    }
    if let Some(page) = picker::ask_if_needed(p, req, session_key, s, locale).await? {
        return Ok(Some(page));
    }
    encounter::ask_if_needed(p, req, session_key, s, locale).await
}

/// Issues a code for the session and redirects to the client with it (after the gate and
/// whatever the person must still answer).
async fn issue_code(
    p: &Provider,
    req: &AuthRequest,
    session_key: &str,
    s: SsoSession,
    locale: Locale,
) -> WebResult {
    // A client removed since the request began gets nothing.
    let Some(client) = p.clients.get(&req.client_id).await.or_page(locale)? else {
        return Ok(PageError::bad(locale, |t| t.unknown_client).into_response());
    };
    if let Some(page) = gate(p, &client, req, &s, locale).await.or_page(locale)? {
        // The sign-in itself stands (the SSO session serves the services the person is
        // enrolled in); only this relying party is refused.
        return Ok(page);
    }
    if let Some(page) = question(p, &client, req, session_key, &s, locale).await? {
        return Ok(page);
    }
    let code = random_token(32);
    store_code(p, req, &s, &code).await.or_page(locale)?;
    Ok(deliver_code(p, req, session_key, s, &code)
        .await
        .or_page(locale)?)
}

pub(crate) async fn deliver_code(
    p: &Provider,
    req: &AuthRequest,
    session_key: &str,
    s: SsoSession,
    code: &str,
) -> Result<Response, platform::EphemeralError> {
    session::add_client(p, session_key, s, &req.client_id).await?;
    Ok(see_other(&code_location(p, req, code)))
}
