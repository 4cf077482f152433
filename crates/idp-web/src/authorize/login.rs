//! The login page and its form: the password checked, the sign-in completed (a code for the
//! relying party, or the console), the session it replaces ended, and an expired or temporary
//! password changed on the way.

use super::*;
use authorization_server::login::{self, PasswordLogin, PasswordOutcome};

/// The login page for a parked request, with the browser's CSRF cookie (minted if missing).
fn show_login(
    p: &Provider,
    headers: &HeaderMap,
    req: &AuthRequest,
    request_id: &str,
    locale: Locale,
) -> Response {
    let (csrf, set) = csrf_token(p, headers);
    let mut r = pages::login_page(
        LoginView {
            locale,
            client_name: &req.client_name,
            error: None,
            request_id,
            csrf: &csrf,
            login_hint: req.login_hint.as_deref().unwrap_or(""),
            passkey: passkey_signin(p),
        },
        StatusCode::OK,
    );
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// A passkey sign-in for a login page (none when the provider cannot be a WebAuthn relying
/// party).
pub(crate) fn passkey_signin(p: &Provider) -> Option<authorization_server::passkey::Begun> {
    match authorization_server::passkey::begin_signin(p, true) {
        Ok(b) => Some(b),
        Err(authorization_server::passkey::FlowError::Unavailable) => None,
        Err(e) => {
            tracing::warn!(error = %e, "passkey sign-in not offered");
            None
        }
    }
}

/// Parks the request and shows the login page.
pub(crate) async fn start_login(
    p: &Provider,
    headers: &HeaderMap,
    req: AuthRequest,
    locale: Locale,
) -> WebResult {
    let id = random_token(24);
    put_json(p.store.as_ref(), &login_key(&id), &req, p.cfg.login_ttl)
        .await
        .or_page(locale)?;
    Ok(show_login(p, headers, &req, &id, locale))
}

/// GET /login?request=ID[&ui_locales=fr]: the login page again (e.g. in the other language).
#[tracing::instrument(skip_all)]
pub async fn login_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = locale_of(&params, &headers);
    let Some(id) = params.get("request") else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let req: Option<AuthRequest> = get_json(p.store.as_ref(), &login_key(id))
        .await
        .or_page(locale)?;
    let Some(req) = req else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    // The language link on the page wins; else the one the request asked for.
    let locale = match params.get("ui_locales") {
        Some(_) => locale,
        None => web::http::flow_locale(&headers, req.ui_locales.as_deref()),
    };
    Ok(show_login(&p, &headers, &req, id, locale))
}

/// The parked request a login form names (`request`), and the language of its pages; an
/// unknown or expired one is the "sign-in expired" page.
async fn parked_request<'f>(
    p: &Provider,
    headers: &HeaderMap,
    form: &'f Params,
) -> Result<(&'f str, AuthRequest, Locale), WebError> {
    let accept = locale_of(&Params::new(), headers);
    let Some(id) = form.get("request") else {
        return Err(PageError::bad(accept, |t| t.login_expired).into());
    };
    let req: Option<AuthRequest> = get_json(p.store.as_ref(), &login_key(id))
        .await
        .or_page(accept)?;
    let Some(req) = req else {
        return Err(PageError::bad(accept, |t| t.login_expired).into());
    };
    let locale = web::http::flow_locale(headers, req.ui_locales.as_deref());
    Ok((id.as_str(), req, locale))
}

/// The login page of request `id` again, with `error` (and the login ID typed).
#[allow(clippy::too_many_arguments)]
fn login_again(
    p: &Provider,
    headers: &HeaderMap,
    req: &AuthRequest,
    id: &str,
    locale: Locale,
    login_hint: &str,
    error: &'static str,
    status: StatusCode,
) -> Response {
    let csrf = csrf_token(p, headers).0;
    pages::login_page(
        LoginView {
            locale,
            client_name: &req.client_name,
            error: Some(error),
            request_id: id,
            csrf: &csrf,
            login_hint,
            passkey: passkey_signin(p),
        },
        status,
    )
}

/// When the relying party named someone else (`id_token_hint`) than who signed in: no code
/// for this person; the parked request ends and the relying party hears `login_required`.
async fn not_the_hinted(
    p: &Provider,
    req: &AuthRequest,
    id: &str,
    account_id: &str,
) -> Option<Response> {
    if req.hint_sub.as_ref().is_none_or(|h| h == account_id) {
        return None;
    }
    let _ = p.store.delete(&login_key(id)).await;
    let e = refusal(
        "login_required",
        "the signed-in user is not the one the id_token_hint names",
    );
    Some(error_redirect(
        p,
        &req.redirect_uri,
        req.state.as_deref(),
        e,
    ))
}

/// POST /login/passkey: a sign-in with a passkey (any of the browser's for this site, no
/// login ID typed): the ceremony's token spent once, the passkey's account found by the
/// credential, its counter moved forward, and the parked request completed with the
/// passkey's methods (a verified passkey is both factors: no step-up).
#[tracing::instrument(skip_all)]
pub async fn passkey_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    use authorization_server::passkey::{self as flow, FlowError};
    let (id, req, locale) = parked_request(&p, &headers, &form).await?;
    // Counted with the password sign-ins from this address.
    let limit = p.cfg.login_limit_per_address;
    match web::limits::over(&p, "login-ip", &ip, limit).await {
        Ok(false) => {}
        Ok(true) => return Ok(web::limits::too_many(&p, &headers, locale)),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    }
    let a = web::account_text::AccountText::get(locale);
    let again = |error, status| login_again(&p, &headers, &req, id, locale, "", error, status);
    let token = form.get("t").map(String::as_str).unwrap_or("");
    let credential = form.get("credential").map(String::as_str).unwrap_or("");
    if credential.is_empty() {
        // The browser made no passkey answer (none there, cancelled, no WebAuthn).
        return Ok(again(a.passkey_failed, StatusCode::BAD_REQUEST));
    }
    let (account, done) = match flow::finish_signin(&p, token, credential, &ip).await {
        Ok(x) => x,
        Err(e) if e.is_internal() => return Err(PageError::internal(locale, e).into()),
        Err(FlowError::Cloned) => return Ok(again(a.passkey_cloned, StatusCode::UNAUTHORIZED)),
        Err(e) => {
            tracing::info!(error = %e, "passkey sign-in refused");
            p.metrics
                .inc("oneid_logins_total", "outcome=\"passkey_refused\"");
            return Ok(again(a.passkey_failed, StatusCode::UNAUTHORIZED));
        }
    };
    if let Some(r) = not_the_hinted(&p, &req, id, &account.id).await {
        return Ok(r);
    }
    p.metrics.inc("oneid_logins_total", "outcome=\"success\"");
    note_replaced_session(&p, &headers, id)
        .await
        .or_page(locale)?;
    crate::stepup::after_first_factor(&p, &headers, &ip, id, &req, &account, done.amr(), locale)
        .await
}

/// POST /login: checks the form, signs the person in, and completes the parked request (or,
/// when the password has expired or is temporary, asks for a new one first).
#[tracing::instrument(skip_all)]
pub async fn login_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    let (id, req, locale) = parked_request(&p, &headers, &form).await?;
    let login_id = form.get("login_id").map(|s| s.trim()).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let again =
        |error, status| login_again(&p, &headers, &req, id, locale, login_id, error, status);
    let t = locale.text();
    let attempt = PasswordLogin {
        login_id,
        password,
        ip: &ip,
        client_id: &req.client_id,
    };
    let signin = match login::password(&p, attempt).await.or_page(locale)? {
        PasswordOutcome::SignedIn(s) => s,
        PasswordOutcome::MissingFields => {
            return Ok(again(t.missing_fields, StatusCode::BAD_REQUEST))
        }
        PasswordOutcome::RateLimited => return Ok(web::limits::too_many(&p, &headers, locale)),
        PasswordOutcome::Invalid => {
            return Ok(again(t.invalid_credentials, StatusCode::UNAUTHORIZED))
        }
    };
    if let Some(r) = not_the_hinted(&p, &req, id, &signin.account.id).await {
        return Ok(r);
    }
    if signin.needs_new_password() {
        let (token, change) = login::require_new_password(&p, id, &signin, &ip)
            .await
            .or_page(locale)?;
        let a = &signin.account;
        let personal = web::widgets::personal_parts(&a.login_id, &a.names());
        let page = change_page(&p, &headers, locale, &token, change.expired, personal, None);
        return Ok(page);
    }
    p.metrics.inc("oneid_logins_total", "outcome=\"success\"");
    note_replaced_session(&p, &headers, id)
        .await
        .or_page(locale)?;
    let pwd = vec!["pwd".to_owned()];
    crate::stepup::after_first_factor(&p, &headers, &ip, id, &req, &signin.account, pwd, locale)
        .await
}

/// Ends a successful sign-in: takes the parked request (single use, so a double submit of the
/// form yields one session and one code), starts the SSO session with the methods used (`amr`;
/// `mfa` among them raises the `acr`) and answers the client.
pub(crate) async fn complete_login(
    p: &Provider,
    request_id: &str,
    req: &AuthRequest,
    account: &Account,
    amr: Vec<String>,
    locale: Locale,
    ip: &str,
) -> WebResult {
    match p.store.take(&login_key(request_id)).await {
        Ok(Some(_)) => {}
        Ok(None) => return Err(PageError::bad(locale, |t| t.login_expired).into()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    }
    let acr = step_up::acr::acr_of(account.assurance_level, &amr);
    let (key, s, set) = session::create(p, &account.id, acr, amr)
        .await
        .or_page(locale)?;
    // The session the browser held before this sign-in ends: whoever it was, it is replaced,
    // never left alive behind the new cookie.
    let old = match p.store.take(&replaces_key(request_id)).await {
        Ok(old) => old.and_then(|b| String::from_utf8(b).ok()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    if let Some(old) = old.filter(|old| *old != key) {
        authorization_server::logout::end_replaced(p, &old, ip)
            .await
            .or_page(locale)?;
    }
    let _ = p
        .audit
        .record(AuditEvent {
            event: "login.success",
            actor: Some(&account.id),
            subject: Some(&account.id),
            client_id: req.ticket.is_oidc().then_some(req.client_id.as_str()),
            session_id: Some(&s.sid),
            source: Some(ip),
            ..Default::default()
        })
        .await;
    if let Some(back) = req.ticket.return_to() {
        let back = web::widgets::local_return(&back)
            .ok_or_else(|| PageError::bad(locale, |t| t.bad_request))?;
        let mut r = see_other(back);
        r.headers_mut().append(header::SET_COOKIE, set);
        return Ok(r);
    }
    let mut r = issue_code(p, req, &key, s, locale).await?;
    r.headers_mut().append(header::SET_COOKIE, set);
    Ok(r)
}

/// Where the parked request `id` keeps the store key of the session it replaces.
fn replaces_key(id: &str) -> String {
    format!("login-replaces:{id}")
}

/// Notes, beside the parked request `id`, the SSO session this browser holds now (if any), so
/// that the sign-in, when it completes, ends it (`complete_login`): whoever signs in, the new
/// session replaces the old one, never leaves it alive behind the new cookie.
async fn note_replaced_session(
    p: &Provider,
    headers: &HeaderMap,
    id: &str,
) -> Result<(), platform::EphemeralError> {
    match session::current(p, headers).await? {
        Some((old, _)) => {
            p.store
                .put(&replaces_key(id), old.as_bytes(), p.cfg.login_ttl)
                .await
        }
        None => Ok(()),
    }
}

fn change_view(locale: Locale, token: &str, expired: bool, personal: String) -> web::forms::View {
    let a = web::account_text::AccountText::get(locale);
    web::forms::View {
        title: a.password_expired_title.into(),
        intro: vec![if expired {
            a.password_expired_text.into()
        } else {
            a.password_temporary_text.into()
        }],
        forms: vec![web::widgets::password_form(
            locale,
            "/login/password".into(),
            false,
            vec![
                ("change".into(), token.to_owned()),
                ("ui_locales".into(), locale.tag().to_owned()),
            ],
            personal,
        )],
        script: Some(web::widgets::PASSWORD_SCRIPT),
        ..Default::default()
    }
}

fn change_page(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    token: &str,
    expired: bool,
    personal: String,
    error: Option<&CredentialError>,
) -> Response {
    let mut v = change_view(locale, token, expired, personal);
    let status = match error {
        Some(e) => {
            web::widgets::password_errors(locale, &mut v, e);
            StatusCode::BAD_REQUEST
        }
        None => StatusCode::OK,
    };
    web::widgets::send(p, headers, locale, &v, status)
}

/// POST /login/password: the new password of a sign-in whose password expired or was
/// temporary; then the sign-in completes as usual.
#[tracing::instrument(skip_all)]
pub async fn password_change_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> WebResult {
    let accept = locale_of(&Params::new(), &headers);
    let Ok(form) = parse_form(&headers, &body) else {
        return Err(PageError::bad(accept, |t| t.bad_request).into());
    };
    let locale = web::http::locale(&headers, form.get("ui_locales").map(String::as_str));
    if !csrf_ok(&p, &headers, form.get("csrf")) {
        return Err(PageError::bad(locale, |t| t.csrf_failed).into());
    }
    let Some(token) = form.get("change") else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let change = login::pending_change(&p, token).await.or_page(locale)?;
    let Some(change) = change else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let account = match p.accounts.find_by_id(&change.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(PageError::bad(locale, |t| t.login_expired).into()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let personal = web::widgets::personal_parts(&account.login_id, &account.names());
    let new = form.get("new_password").map(String::as_str).unwrap_or("");
    let a = web::account_text::AccountText::get(locale);
    let mut v = change_view(locale, token, change.expired, personal.clone());
    if !web::widgets::new_password_typed(&mut v, a, &form) {
        return Ok(web::widgets::send(
            &p,
            &headers,
            locale,
            &v,
            StatusCode::BAD_REQUEST,
        ));
    }
    match p
        .accounts
        .set_password(&change.account_id, None, new, false)
        .await
    {
        Ok(()) => {}
        Err(e @ (CredentialError::Policy(_) | CredentialError::Reused)) => {
            return Ok(change_page(
                &p,
                &headers,
                locale,
                token,
                change.expired,
                personal,
                Some(&e),
            ));
        }
        Err(e) => return Err(PageError::internal(locale, e).into()),
    }
    login::end_change(&p, token).await;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "account.password_changed",
            actor: Some(&change.account_id),
            subject: Some(&change.account_id),
            source: Some(&ip),
            detail: Some(if change.expired {
                "expired"
            } else {
                "temporary"
            }),
            ..Default::default()
        })
        .await;
    let req: Option<AuthRequest> = get_json(p.store.as_ref(), &login_key(&change.request_id))
        .await
        .or_page(locale)?;
    let account = match p.accounts.find_by_id(&change.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(PageError::bad(locale, |t| t.login_expired).into()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    match req {
        Some(req) => {
            note_replaced_session(&p, &headers, &change.request_id)
                .await
                .or_page(locale)?;
            // A first sign-in (a temporary password from an LRA or the desk, now replaced):
            // the moment to add a passkey, before going on. An account with a factor to step
            // up with steps up first: a temporary password alone (which the desk gave out)
            // never adds a passkey, which would then sign in alone.
            if !change.expired && offers_passkey(&p, &account).await {
                let methods = web::challenge::methods_of(&p, &account).await?;
                if !methods.is_empty() {
                    let pending = web::challenge::Pending {
                        account_id: account.id.clone(),
                        request_id: Some(change.request_id.clone()),
                        amr: vec!["pwd".to_owned()],
                        methods,
                        locale,
                        offer_passkey: true,
                        ..Default::default()
                    };
                    return Ok(web::challenge::begin(&p, &headers, pending).await);
                }
                let pwd = vec!["pwd".to_owned()];
                return offer_after(&p, &headers, &account, &change.request_id, pwd, locale).await;
            }
            crate::stepup::after_first_factor(
                &p,
                &headers,
                &ip,
                &change.request_id,
                &req,
                &account,
                vec!["pwd".to_owned()],
                locale,
            )
            .await
        }
        // The sign-in page expired meanwhile: the password is changed all the same.
        None => Err(PageError::bad(locale, |t| t.login_expired).into()),
    }
}

/// A sign-in paused after its new password (and its step-up, if any), to offer a passkey.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Offer {
    request_id: String,
    account_id: String,
    /// The methods the sign-in used so far.
    #[serde(default)]
    amr: Vec<String>,
}

/// Pauses the sign-in `request_id` of `account` (with the methods `amr`) on the passkey
/// offer.
pub(crate) async fn offer_after(
    p: &Provider,
    headers: &HeaderMap,
    account: &Account,
    request_id: &str,
    amr: Vec<String>,
    locale: Locale,
) -> WebResult {
    let offer = Offer {
        request_id: request_id.to_owned(),
        account_id: account.id.clone(),
        amr,
    };
    let token = random_token(24);
    put_json(
        p.store.as_ref(),
        &offer_key(&token),
        &offer,
        p.cfg.login_ttl,
    )
    .await
    .or_page(locale)?;
    offer_page(p, headers, account, &token, None, "", locale).await
}

fn offer_key(token: &str) -> String {
    format!(
        "passkey-offer:{}",
        platform::crypto::sha256_b64(token.as_bytes())
    )
}

/// Whether to offer a passkey to `account` right after its password is set: the provider can
/// use passkeys, the account has none, and it is no staff account (a staff account adds its
/// factors after a step-up with one it has, never on a password alone).
pub(crate) async fn offers_passkey(p: &Provider, account: &Account) -> bool {
    p.passkeys.is_some()
        && matches!(p.accounts.has_passkey(&account.id).await, Ok(false))
        && matches!(p.accounts.is_staff(&account.id).await, Ok(false))
}

/// The offer: add a passkey now (named), or not now; either way the sign-in goes on.
async fn offer_page(
    p: &Provider,
    headers: &HeaderMap,
    account: &Account,
    token: &str,
    error: Option<&'static str>,
    typed_name: &str,
    locale: Locale,
) -> WebResult {
    use web::forms::{Field, Fieldset, Form, View};
    let a = web::account_text::AccountText::get(locale);
    let begun = authorization_server::passkey::begin_registration(p, account)
        .await
        .or_page(locale)?;
    let mut name = Field::new("text", "name", a.passkey_name, typed_name)
        .hint(a.passkey_name_hint)
        .required()
        .auto("off");
    if let Some(e) = error {
        name.error = Some(e.into());
    }
    let v = View {
        title: a.passkey_offer_title.into(),
        intro: vec![a.passkey_offer_text.into(), a.passkeys_intro.into()],
        script: Some(web::widgets::PASSKEY_SCRIPT),
        forms: vec![
            Form {
                id: Some("add".into()),
                action: "/login/passkey-offer".into(),
                hidden: vec![
                    ("offer".into(), token.to_owned()),
                    ("action".into(), "add".into()),
                    ("ui_locales".into(), locale.tag().into()),
                    ("t".into(), begun.token),
                    ("options".into(), begun.options.to_string()),
                    ("credential".into(), String::new()),
                ],
                fieldsets: vec![Fieldset {
                    fields: vec![name],
                    ..Fieldset::default()
                }],
                submit: a.passkey_add.into(),
                passkey: Some("create"),
                ..Form::default()
            },
            Form {
                id: Some("skip".into()),
                action: "/login/passkey-offer".into(),
                hidden: vec![
                    ("offer".into(), token.to_owned()),
                    ("action".into(), "skip".into()),
                    ("ui_locales".into(), locale.tag().into()),
                ],
                submit: a.passkey_offer_skip.into(),
                compact: true,
                ..Form::default()
            },
        ],
        ..View::default()
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(web::widgets::send(p, headers, locale, &v, status))
}

/// POST /login/passkey-offer (action = add | skip): after a first password, a passkey added
/// (or not), and the sign-in goes on with the methods it used (never the new passkey).
#[tracing::instrument(skip_all)]
pub async fn passkey_offer_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    let locale = web::http::locale(&headers, form.get("ui_locales").map(String::as_str));
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let token = get("offer");
    let offer: Option<Offer> = if token.is_empty() || token.len() > 64 {
        None
    } else {
        get_json(p.store.as_ref(), &offer_key(token))
            .await
            .or_page(locale)?
    };
    let Some(offer) = offer else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let account = match p.accounts.find_by_id(&offer.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(PageError::bad(locale, |t| t.login_expired).into()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let a = web::account_text::AccountText::get(locale);
    match get("action") {
        "skip" => {}
        "add" => {
            let name = match credential_store::passkey_name(get("name")) {
                Ok(n) => n,
                Err(e) => {
                    let (kept, why) = match e {
                        credential_store::PasskeyNameError::Empty => ("", a.required),
                        credential_store::PasskeyNameError::TooLong => {
                            (get("name"), a.passkey_name_too_long)
                        }
                    };
                    return offer_page(&p, &headers, &account, token, Some(why), kept, locale)
                        .await;
                }
            };
            let r = authorization_server::passkey::finish_registration(
                &p,
                &account.id,
                get("t"),
                get("credential"),
                &name,
                &ip,
            )
            .await;
            match r {
                Ok(_) => web::widgets::mail_passkey_added(&p, &account, &name),
                Err(e) if e.is_internal() => return Err(PageError::internal(locale, e).into()),
                Err(_) => {
                    let e = Some(a.passkey_failed);
                    return offer_page(&p, &headers, &account, token, e, &name, locale).await;
                }
            }
        }
        _ => return Err(PageError::bad(locale, |t| t.bad_request).into()),
    }
    // Once: the offer is gone, whatever raced it.
    if !matches!(p.store.take(&offer_key(token)).await, Ok(Some(_))) {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    }
    let req: Option<AuthRequest> = get_json(p.store.as_ref(), &login_key(&offer.request_id))
        .await
        .or_page(locale)?;
    let Some(req) = req else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let amr = if offer.amr.is_empty() {
        vec!["pwd".to_owned()]
    } else {
        offer.amr.clone()
    };
    crate::stepup::after_first_factor(
        &p,
        &headers,
        &ip,
        &offer.request_id,
        &req,
        &account,
        amr,
        locale,
    )
    .await
}
