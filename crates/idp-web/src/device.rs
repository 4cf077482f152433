//! The Device Authorization Grant (RFC 8628) over HTTP: the device's request at
//! `POST /device_authorization` (the client authenticated as at the token endpoint), and the
//! person's pages: `/device` (sign in, type the code shown on the device), the confirmation
//! naming the application (RFC 8628 §5.4: no one approves a device they did not start), then
//! the same path as any sign-in for that relying party (its gate, its step-up, the agreement),
//! which ends at `/device/done` instead of a redirect URI.
//!
//! Typing codes is throttled per account and per address, each attempt counted before the
//! code is looked up, so a burst of guesses cannot pass the limit on any node.

use crate::authorize::{start_login, with_session, AuthRequest, Live, Ticket};
use crate::client_auth::authenticated_form;
use authorization_server::oidc::authorize::{code_key, CodeGrant};
use authorization_server::oidc::device::{self, DeviceError, DeviceRequest};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::audit::AuditEvent;
use platform::ephemeral::take_json;
use platform::Locale;
use std::sync::Arc;
use web::error::{OAuthError, OrPage, WebResult};
use web::forms::{Field, Fieldset, Form, View};
use web::http::{json_no_store, parse_query, ClientIp};
use web::signed_in::{me, Guard, Me};
use web::widgets::send;

/// Device sign-ins started per source address per rate-limit window.
const STARTS_PER_ADDRESS: i64 = 60;
/// Device sign-ins started per client per rate-limit window.
const STARTS_PER_CLIENT: i64 = 600;

/// Code attempts per account per rate-limit window.
const ATTEMPTS_PER_ACCOUNT: i64 = 10;
/// Code attempts per source address per rate-limit window.
const ATTEMPTS_PER_ADDRESS: i64 = 30;

/// POST /device_authorization
#[tracing::instrument(skip_all, fields(client_id = tracing::field::Empty))]
pub async fn authorization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    match device_authorization(&p, &headers, &ip, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn device_authorization(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, OAuthError> {
    let (params, client) = authenticated_form(p, headers, ip, body).await?;
    // Each request keeps two entries in the ephemeral store for 20 minutes: a public
    // client's id is no licence to fill it.
    let (by_address, by_client) = tokio::join!(
        web::limits::over(p, "device-start-address", ip, STARTS_PER_ADDRESS),
        web::limits::over(
            p,
            "device-start-client",
            &client.client_id,
            STARTS_PER_CLIENT
        ),
    );
    if by_address.map_err(OAuthError::unavailable)? | by_client.map_err(OAuthError::unavailable)? {
        return Err(OAuthError::too_many(web::limits::retry_after(p)));
    }
    let get = |k: &str| params.get(k).map(String::as_str);
    let started = device::start(p, &client, get("scope"), get("acr_values"))
        .await
        .map_err(|e| match e {
            DeviceError::Refused(code, why) => OAuthError::refused(code, why),
            DeviceError::Unavailable(e) => OAuthError::unavailable(e),
        })?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "device.started",
            actor: Some(&client.client_id),
            client_id: Some(&client.client_id),
            source: Some(ip),
            ..Default::default()
        })
        .await;
    let body = serde_json::to_string(&started).map_err(OAuthError::internal)?;
    Ok(json_no_store(body))
}

/// The words of the device pages.
struct DeviceText {
    title: &'static str,
    intro: &'static str,
    code: &'static str,
    code_hint: &'static str,
    next: &'static str,
    bad_code: &'static str,
    confirm_title: &'static str,
    confirm: &'static str,
    confirm_warning: &'static str,
    allow: &'static str,
    deny: &'static str,
    done_title: &'static str,
    done: &'static str,
    denied_title: &'static str,
    denied: &'static str,
    gone: &'static str,
}

static EN: DeviceText = DeviceText {
    title: "Sign in on a device",
    intro: "A shared tablet or a command-line tool shows a code when it wants you to sign in. Type it here.",
    code: "Code shown on the device",
    code_hint: "8 letters, for example BCDF-GHJK.",
    next: "Continue",
    bad_code: "This code is not valid or has expired. Check the code on the device, or start again there.",
    confirm_title: "Sign this device in?",
    confirm: "{client} on a device asks to act as you. The device shows the code {code}.",
    confirm_warning: "Allow only if you started this on a device you are using now. If someone gave you this code, deny it.",
    allow: "Allow",
    deny: "Deny",
    done_title: "The device is signed in",
    done: "You can go back to the device: it continues as you. You can close this page.",
    denied_title: "The device is not signed in",
    denied: "The device was refused. It does not act as you.",
    gone: "This sign-in has ended or expired. Start again on the device.",
};

static FR: DeviceText = DeviceText {
    title: "Connexion sur un appareil",
    intro: "Une tablette partagée ou un outil en ligne de commande affiche un code quand il vous demande de vous connecter. Saisissez-le ici.",
    code: "Code affiché sur l’appareil",
    code_hint: "8 lettres, par exemple BCDF-GHJK.",
    next: "Continuer",
    bad_code: "Ce code n’est pas valide ou a expiré. Vérifiez le code sur l’appareil ou recommencez depuis celui-ci.",
    confirm_title: "Connecter cet appareil\u{a0}?",
    confirm: "{client}, sur un appareil, demande à agir en votre nom. L’appareil affiche le code {code}.",
    confirm_warning: "N’acceptez que si vous avez lancé cette demande sur un appareil que vous utilisez en ce moment. Si quelqu’un vous a donné ce code, refusez.",
    allow: "Accepter",
    deny: "Refuser",
    done_title: "L’appareil est connecté",
    done: "Vous pouvez retourner à l’appareil\u{a0}: il continue en votre nom. Vous pouvez fermer cette page.",
    denied_title: "L’appareil n’est pas connecté",
    denied: "L’appareil a été refusé. Il n’agit pas en votre nom.",
    gone: "Cette connexion est terminée ou a expiré. Recommencez sur l’appareil.",
};

fn text(locale: Locale) -> &'static DeviceText {
    match locale {
        Locale::En => &EN,
        Locale::Fr => &FR,
    }
}

fn code_view(locale: Locale, typed: &str) -> View {
    let t = text(locale);
    View {
        title: t.title.into(),
        other_lang_href: web::widgets::lang_href("/device", locale),
        intro: vec![t.intro.into()],
        forms: vec![Form {
            id: Some("device".into()),
            action: format!("/device?ui_locales={}", locale.tag()),
            fieldsets: vec![Fieldset {
                fields: vec![Field::new("text", "user_code", t.code, typed)
                    .hint(t.code_hint)
                    .auto("off")
                    .required()],
                ..Fieldset::default()
            }],
            submit: t.next.into(),
            ..Form::default()
        }],
        ..View::default()
    }
}

fn message(title: &str, line: &str) -> View {
    View {
        title: title.into(),
        intro: vec![line.into()],
        ..View::default()
    }
}

/// Where the sign-in comes back to: this page, with the code the device's link carried and
/// the language asked for.
fn return_to(params: &web::http::Params) -> String {
    let mut pairs = Vec::new();
    if let Some(c) = params.get("user_code").and_then(|c| device::normalize(c)) {
        pairs.push(format!("user_code={}", device::display(&c)));
    }
    if let Some(l) = params.get("ui_locales").and_then(|l| Locale::parse(l)) {
        pairs.push(format!("ui_locales={}", l.tag()));
    }
    if pairs.is_empty() {
        "/device".into()
    } else {
        format!("/device?{}", pairs.join("&"))
    }
}

/// GET /device[?user_code=…]: the code form (after signing in), filled in from the device's
/// link when it carried the code.
#[tracing::instrument(skip_all)]
pub async fn page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, &return_to(&params), Guard::Session).await?;
    let typed = params
        .get("user_code")
        .and_then(|c| device::normalize(c))
        .map(|c| device::display(&c))
        .unwrap_or_default();
    let v = code_view(me.locale, &typed);
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// Counts one code attempt for the person and the address; true when either is over its
/// limit.
async fn too_many_attempts(p: &Provider, me: &Me, ip: &str) -> Result<bool, String> {
    let (account, address) = tokio::join!(
        web::limits::over(p, "device-code", &me.account.id, ATTEMPTS_PER_ACCOUNT),
        web::limits::over(p, "device-code-address", ip, ATTEMPTS_PER_ADDRESS),
    );
    Ok(account.map_err(|e| e.to_string())? | address.map_err(|e| e.to_string())?)
}

/// The pending request the form's code names, after the attempt was counted: `Err` is the
/// page to answer with (the limit reached, or the form again with its error).
async fn checked_code(
    p: &Provider,
    headers: &HeaderMap,
    me: &Me,
    ip: &str,
    typed: &str,
) -> Result<(String, DeviceRequest), Response> {
    match too_many_attempts(p, me, ip).await {
        Ok(false) => {}
        Ok(true) => {
            let _ = p
                .audit
                .record(AuditEvent {
                    event: "device.code_limited",
                    actor: Some(&me.account.id),
                    subject: Some(&me.account.id),
                    source: Some(ip),
                    ..Default::default()
                })
                .await;
            return Err(web::limits::too_many(p, headers, me.locale));
        }
        Err(e) => return Err(web::error::PageError::internal(me.locale, e).into_response()),
    }
    match device::pending(p, typed).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => {
            let mut v = code_view(me.locale, typed);
            v.field_error("user_code", text(me.locale).bad_code);
            Err(send(p, headers, me.locale, &v, StatusCode::BAD_REQUEST))
        }
        Err(e) => Err(web::error::PageError::internal(me.locale, e).into_response()),
    }
}

/// A posted code form, as `/device` and `/device/confirm` take it.
struct Posted {
    /// The person, signed in.
    me: Me,
    /// The form, its anti-forgery token checked.
    form: web::http::Params,
    /// The pending request its code names, and that request's handle.
    handle: String,
    req: DeviceRequest,
}

/// The posted form's person, fields and pending request (the code attempt counted first);
/// `Ok(Err(page))`: the page to answer with instead (the limit reached, the form again with
/// its error).
async fn posted(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    q: Option<String>,
    body: &Bytes,
) -> Result<Result<Posted, Response>, web::error::WebError> {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(p, headers, &params, "/device", Guard::Session).await?;
    let form = web::forms::checked(p, headers, body, me.locale)?;
    let typed = form.get("user_code").map(String::as_str).unwrap_or("");
    let found = checked_code(p, headers, &me, ip, typed).await;
    Ok(found.map(|(handle, req)| Posted {
        me,
        form,
        handle,
        req,
    }))
}

/// POST /device: the code typed; the confirmation naming the application.
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let Posted { me, req, .. } = match posted(&p, &headers, &ip, q, &body).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let t = text(me.locale);
    let code = device::display(&req.user_code);
    let v = View {
        title: t.confirm_title.into(),
        intro: vec![
            t.confirm
                .replace("{client}", &req.client_name)
                .replace("{code}", &code),
            t.confirm_warning.into(),
        ],
        forms: vec![Form {
            id: Some("confirm".into()),
            action: format!("/device/confirm?ui_locales={}", me.locale.tag()),
            hidden: vec![("user_code".into(), code)],
            submit: t.allow.into(),
            button_name: Some("allow".into()),
            buttons: vec![("deny".into(), "1".into(), t.deny.into())],
            ..Form::default()
        }],
        ..View::default()
    };
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// POST /device/confirm: denied, or the sign-in for the device's relying party goes on as any
/// sign-in would (gate, step-up, agreement), ending at `/device/done`.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let Posted {
        me,
        form,
        handle,
        req,
    } = match posted(&p, &headers, &ip, q, &body).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let t = text(me.locale);
    if form.contains_key("deny") {
        device::deny(&p, &handle, &req).await.or_page(me.locale)?;
        audit(&p, "device.denied", &me, &req.client_id, &ip).await;
        let v = message(t.denied_title, t.denied);
        return Ok(send(&p, &headers, me.locale, &v, StatusCode::OK));
    }
    let Some(client) = p.clients.get(&req.client_id).await.or_page(me.locale)? else {
        return Err(web::error::PageError::bad(me.locale, |t| t.unknown_client).into());
    };
    let auth = AuthRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        // The end of the sign-in, in the person's language.
        redirect_uri: format!("{}?h={handle}&ui_locales={}", done_uri(&p), me.locale.tag()),
        scope: req.scope.clone(),
        audience: None,
        launch: None,
        state: Some(handle.clone()),
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
        ui_locales: Some(me.locale.tag().to_owned()),
        id_token_claims: Vec::new(),
        ticket: Ticket::Oidc,
        acr_values: req.acr_values.clone(),
        acr_essential: false,
    };
    let live = web::session::current(&p, &headers)
        .await
        .or_page(me.locale)?;
    if let Some((key, s)) = live.filter(|(_, s)| s.account_id == me.account.id) {
        let at = Live { key, s, ip: &ip };
        if let Some(r) = with_session(&p, &headers, &client, &auth, at, me.locale).await? {
            return Ok(r);
        }
    }
    start_login(&p, &headers, auth, me.locale).await
}

/// Where a device's sign-in ends (`/device/done`), as an absolute URL.
fn done_uri(p: &Provider) -> String {
    format!("{}/device/done", p.cfg.issuer)
}

async fn audit(p: &Provider, event: &'static str, me: &Me, client_id: &str, ip: &str) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some(&me.account.id),
            subject: Some(&me.account.id),
            client_id: Some(client_id),
            session_id: Some(&me.session.sid),
            source: Some(ip),
            ..Default::default()
        })
        .await;
}

/// GET /device/done?code=…&state=… (or `error=…`): where the device's sign-in ends. The grant
/// the code stands for becomes the device's approval; a refusal on the way (the gate, a
/// step-up that cannot be met) becomes its denial.
#[tracing::instrument(skip_all)]
pub async fn done(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/device", Guard::Session).await?;
    let t = text(me.locale);
    let handle = params.get("state").map(String::as_str).unwrap_or("");
    let gone = || message(t.title, t.gone);
    let Some(req) = device::by_handle(&p, handle).await.or_page(me.locale)? else {
        return Ok(send(
            &p,
            &headers,
            me.locale,
            &gone(),
            StatusCode::BAD_REQUEST,
        ));
    };
    if params.contains_key("error") {
        device::deny(&p, handle, &req).await.or_page(me.locale)?;
        audit(&p, "device.denied", &me, &req.client_id, &ip).await;
        let v = message(t.denied_title, t.denied);
        return Ok(send(&p, &headers, me.locale, &v, StatusCode::OK));
    }
    let code = params.get("code").map(String::as_str).unwrap_or("");
    let grant: Option<CodeGrant> = if code.is_empty() || code.len() > 256 {
        None
    } else {
        take_json(p.store.as_ref(), &code_key(code))
            .await
            .or_page(me.locale)?
    };
    // The code must be this device sign-in's, for this person: nothing else becomes an
    // approval.
    let grant = grant.filter(|g| {
        g.client_id == req.client_id
            && g.redirect_uri
                .starts_with(&format!("{}?h={handle}&", done_uri(&p)))
            && g.ctx.account_id == me.account.id
    });
    let Some(grant) = grant else {
        return Ok(send(
            &p,
            &headers,
            me.locale,
            &gone(),
            StatusCode::BAD_REQUEST,
        ));
    };
    if !device::approve(&p, handle, &req, &grant)
        .await
        .or_page(me.locale)?
    {
        return Ok(send(
            &p,
            &headers,
            me.locale,
            &gone(),
            StatusCode::BAD_REQUEST,
        ));
    }
    audit(&p, "device.approved", &me, &req.client_id, &ip).await;
    let v = message(t.done_title, t.done);
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}
