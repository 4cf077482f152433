//! Step-up during sign-in (and before sensitive self-service changes): decide whether the
//! password is enough, and when it is not, start a challenge (`web::challenge`, whose first
//! page any surface shows); here its answers are checked at `POST /stepup`: a code by text
//! message or voice call, two of the online challenge questions, or a TOTP code. Success raises
//! the session to `…:mfa`, can remember the browser, and completes what was waiting (the
//! relying party's request, or the self-service page).

use crate::authorize::{self, AuthRequest};
use authorization_server::challenge::{self, audit, Action, CodeTexts, Outcome, Problem};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::Account;
use platform::ephemeral::get_json;
use platform::Locale;
use std::sync::Arc;
use step_up::Policy;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebResult};
use web::forms::View;
use web::http::{cookie, parse_query, see_other, set_cookie, ClientIp};
use web::session::{self, SsoSession};

mod acr;
mod page;

pub use acr::acr_satisfies;
pub(crate) use acr::{
    acr_wants_mfa, essential_acr_unreachable, has_phr, relying_party_wants_mfa,
    relying_party_wants_phr,
};
pub use page::demo_codes;
pub use web::challenge::{begin, methods_of, Method, Pending};
use web::challenge::{load, page};

/// Name of the device cookie.
pub use web::session::DEVICE_COOKIE;

/// After the password (`amr` is `pwd`) or a passkey (its methods, `mfa` among them):
/// completes the sign-in, or starts a challenge when the policy, the device or the relying
/// party calls for one and the sign-in has not two factors already.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_first_factor(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    request_id: &str,
    req: &AuthRequest,
    account: &Account,
    amr: Vec<String>,
    locale: Locale,
) -> WebResult {
    if authorization_server::agreement::due(p, account) {
        // Accepted first; the sign-in comes back here when it is.
        return authorize::ask_agreement(p, headers, request_id, account, None, amr, ip, locale)
            .await;
    }
    if essential_acr_unreachable(req, account.assurance_level) {
        let _ = p.store.delete(&authorize::login_key(request_id)).await;
        return Ok(authorize::unmet(
            p,
            req,
            "the account cannot reach the requested acr",
        ));
    }
    if relying_party_wants_phr(p, req, account.assurance_level).await && !has_phr(&amr) {
        // Only a passkey will do: the step-up offers nothing else, and an account without
        // one is told how to add one (and the relying party, that the sign-in is unmet).
        let mut methods = methods_of(p, account).await?;
        methods.retain(|m| *m == Method::Passkey);
        if methods.is_empty() {
            audit(p, "stepup.unavailable", &account.id, ip, Some("passkey")).await;
            let _ = p.store.delete(&authorize::login_key(request_id)).await;
            return Ok(no_passkey(p, headers, req, locale));
        }
        let pending = Pending {
            account_id: account.id.clone(),
            request_id: Some(request_id.to_owned()),
            amr,
            methods,
            locale,
            ..Pending::default()
        };
        return Ok(begin(p, headers, pending).await);
    }
    if amr.iter().any(|m| m == "mfa") {
        // Two factors already (a verified passkey): nothing to step up to.
        return authorize::complete_login(p, request_id, req, account, amr, locale, ip).await;
    }
    let wants = relying_party_wants_mfa(p, req, account.assurance_level).await;
    let device = cookie(p, headers, DEVICE_COOKIE);
    let recognized = match p.devices.recognize(&account.id, device.as_deref()).await {
        Ok(d) => d.is_some(),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let need = wants
        || match p.stepup.policy {
            Policy::Always => true,
            Policy::UnrecognizedDevice => !recognized,
            Policy::RelyingPartyOnly => false,
        };
    let pwd = amr;
    if !need {
        return authorize::complete_login(p, request_id, req, account, pwd, locale, ip).await;
    }
    let methods = methods_of(p, account).await?;
    if methods.is_empty() {
        audit(p, "stepup.unavailable", &account.id, ip, None).await;
        if wants {
            let _ = p.store.delete(&authorize::login_key(request_id)).await;
            return Ok(authorize::unmet(
                p,
                req,
                "no second factor is set up for this account",
            ));
        }
        // Nothing to challenge with: the password alone, and the acr says so.
        return authorize::complete_login(p, request_id, req, account, pwd, locale, ip).await;
    }
    let r = begin(
        p,
        headers,
        Pending {
            account_id: account.id.clone(),
            request_id: Some(request_id.to_owned()),
            amr: pwd,
            methods,
            locale,
            ..Pending::default()
        },
    )
    .await;
    Ok(r)
}

/// The relying party wants a passkey and the account has none: the page says how to add one,
/// and its link back tells the relying party `unmet_authentication_requirements` (a SAML SP,
/// `NoAuthnContext`).
pub(crate) fn no_passkey(
    p: &Provider,
    headers: &HeaderMap,
    req: &AuthRequest,
    locale: Locale,
) -> Response {
    if p.passkeys.is_none() {
        // Nothing to add one with here: the relying party hears it at once.
        return authorize::unmet(p, req, "passkeys are not available on this provider");
    }
    let a = AccountText::get(locale);
    let back = authorize::unmet(p, req, "a passkey is required and the account has none");
    let back = back
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/")
        .to_owned();
    let name = if req.client_name.is_empty() {
        "ONE ID".to_owned()
    } else {
        req.client_name.clone()
    };
    let v = View {
        title: a.passkey_required_title.into(),
        intro: vec![a.passkey_required_text.replace("{}", &name)],
        links: vec![
            (
                format!("/account/passkeys?ui_locales={}", locale.tag()),
                a.passkey_required_profile.into(),
            ),
            (back, a.passkey_required_back.replace("{}", &name)),
        ],
        ..View::default()
    };
    web::widgets::send(p, headers, locale, &v, StatusCode::FORBIDDEN)
}

/// GET /stepup?t=…: the challenge page again (e.g. after a reload).
#[tracing::instrument(skip_all)]
pub async fn show(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = web::http::locale(&headers, None);
    let token = params.get("t").cloned().unwrap_or_default();
    match load(&p, &token).await {
        Some(mut s) => {
            let asked = params.get("ui_locales").map(String::as_str);
            if let Some(l) = web::http::asked_locale(asked).or(web::http::chosen_locale(&headers)) {
                s.locale = l;
            }
            Ok(page(&p, &headers, &token, &s, None, StatusCode::OK).await)
        }
        None => Err(PageError::bad(locale, |t| t.login_expired).into()),
    }
}

/// POST /stepup (action = choose | verify | resend | other)
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> WebResult {
    let accept = web::http::locale(&headers, None);
    let form = match web::forms::checked(&p, &headers, &body, accept) {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    match web::limits::over(&p, "stepup-ip", &ip, p.cfg.login_limit_per_address).await {
        Ok(false) => {}
        Ok(true) => return Ok(web::limits::too_many(&p, &headers, accept)),
        Err(e) => return Err(PageError::internal(accept, e).into()),
    }
    let token = form.get("t").cloned().unwrap_or_default();
    let Some(mut s) = load(&p, &token).await else {
        return Err(PageError::bad(accept, |t| t.login_expired).into());
    };
    if let Some(l) = web::http::chosen_locale(&headers) {
        s.locale = l;
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let action = match get("action") {
        "choose" => Action::Choose(get("method")),
        "resend" => Action::Resend,
        "other" => Action::Other,
        "verify" => Action::Verify {
            code: get("code"),
            answers: web::widgets::typed_answers(&form, &s.questions),
            credential: get("credential"),
        },
        _ => return Err(PageError::bad(s.locale, |t| t.bad_request).into()),
    };
    let outcome = challenge::act(&p, &token, &mut s, action, &ip, code_texts)
        .await
        .or_page(s.locale)?;
    let a = AccountText::get(s.locale);
    let (error, status) = match outcome {
        Outcome::Met(m) => {
            let remember = form.contains_key("remember");
            return finish(&p, &headers, &ip, s, m, remember).await;
        }
        Outcome::Taken => return Err(PageError::bad(s.locale, |t| t.login_expired).into()),
        Outcome::Over => {
            let v = View {
                title: a.stepup_title.into(),
                errors: vec![(String::new(), a.too_many_codes.into())],
                ..View::default()
            };
            let status = StatusCode::UNAUTHORIZED;
            return Ok(web::widgets::send(&p, &headers, s.locale, &v, status));
        }
        Outcome::Again(None) => (None, StatusCode::OK),
        Outcome::Again(Some(problem)) => match problem {
            Problem::ChooseMethod => (Some(a.choose_method.to_owned()), StatusCode::BAD_REQUEST),
            Problem::GatewayDown => (
                Some(a.gateway_down.to_owned()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            Problem::GatewayDownNone => (
                Some(a.gateway_down_none.to_owned()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            Problem::ResendWait(secs) => (
                Some(a.resend_wait.replace("{}", &secs.to_string())),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            Problem::CodeExpired => (Some(a.code_expired.to_owned()), StatusCode::BAD_REQUEST),
            Problem::AnswersWrong => (Some(a.answers_wrong.to_owned()), StatusCode::UNAUTHORIZED),
            Problem::CodeWrong => (Some(a.code_wrong.to_owned()), StatusCode::UNAUTHORIZED),
            Problem::PasskeyFailed => (Some(a.passkey_failed.to_owned()), StatusCode::UNAUTHORIZED),
            Problem::PasskeyCloned => (Some(a.passkey_cloned.to_owned()), StatusCode::UNAUTHORIZED),
            Problem::Unexpected => (None, StatusCode::BAD_REQUEST),
        },
    };
    Ok(page(&p, &headers, &token, &s, error.as_deref(), status).await)
}

/// The words of a code's text message and call, in the account's language.
fn code_texts(locale: Locale) -> CodeTexts {
    let a = AccountText::get(locale);
    CodeTexts {
        sms: a.sms_text,
        voice: a.voice_text,
    }
}

/// The challenge is met: remember the device if asked, raise or start the session, and go on.
async fn finish(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    s: Pending,
    m: Method,
    remember: bool,
) -> WebResult {
    let locale = s.locale;
    let mut amr = s.amr.clone();
    let proved: Vec<&str> = if m == Method::Passkey && !s.passkey_amr.is_empty() {
        s.passkey_amr.iter().map(String::as_str).collect()
    } else {
        vec![m.amr(), "mfa"]
    };
    for x in proved {
        if !amr.iter().any(|y| y == x) {
            amr.push(x.to_owned());
        }
    }
    audit(p, "stepup.success", &s.account_id, ip, Some(m.amr())).await;
    let mut device_cookie = None;
    if remember {
        let token = cookie(p, headers, DEVICE_COOKIE)
            .filter(|t| t.len() == 43)
            .unwrap_or_else(step_up::Devices::new_token);
        let browser = step_up::browser_summary(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        );
        let network = step_up::coarse_network(ip);
        let days = p.stepup.remember_days;
        p.devices
            .remember(&s.account_id, &token, &browser, &network, days * 86_400)
            .await
            .or_page(locale)?;
        audit(p, "device.remembered", &s.account_id, ip, Some(&browser)).await;
        device_cookie = Some(set_cookie(p, DEVICE_COOKIE, &token, days * 86_400));
    }
    let mut r = match (&s.session_key, &s.request_id) {
        // A live session raised to multi-factor.
        (Some(key), _) => {
            let Ok(Some(mut sess)) = get_json::<SsoSession>(p.store.as_ref(), key).await else {
                return Err(PageError::bad(locale, |t| t.login_expired).into());
            };
            let account = match p.accounts.find_by_id(&s.account_id).await {
                Ok(Some(a)) => a,
                _ => return Err(PageError::bad(locale, |t| t.login_expired).into()),
            };
            sess.acr = step_up::acr::acr_of(account.assurance_level, &amr);
            sess.amr = amr;
            sess.mfa_at = Some(p.clock.now());
            // What this step-up proved, by the method used now.
            if m != Method::Kba {
                sess.possession_at = sess.mfa_at;
            }
            if m == Method::Passkey {
                sess.passkey_at = sess.mfa_at;
            }
            if s.passkey_listed {
                sess.listed_key_at = sess.mfa_at;
            }
            session::save(p, key, &sess).await.or_page(locale)?;
            match (&s.request_id, &s.return_to) {
                (Some(rid), _) if authorization_server::agreement::due(p, &account) => {
                    let key = Some(key.clone());
                    let amr = sess.amr.clone();
                    authorize::ask_agreement(p, headers, rid, &account, key, amr, ip, locale)
                        .await?
                }
                (Some(rid), _) => authorize::resume_with_session(p, rid, key, sess, locale).await?,
                (None, Some(back)) => see_other(back),
                (None, None) => see_other("/account"),
            }
        }
        (None, Some(rid)) => {
            let req: Option<AuthRequest> = get_json(p.store.as_ref(), &authorize::login_key(rid))
                .await
                .or_page(locale)?;
            let account = match p.accounts.find_by_id(&s.account_id).await {
                Ok(Some(a)) => a,
                _ => return Err(PageError::bad(locale, |t| t.login_expired).into()),
            };
            match req {
                // A first sign-in, stepped up: now the passkey offer.
                Some(_) if s.offer_passkey && authorize::offers_passkey(p, &account).await => {
                    authorize::offer_after(p, headers, &account, rid, amr, locale).await?
                }
                Some(req) => {
                    authorize::complete_login(p, rid, &req, &account, amr, locale, ip).await?
                }
                None => return Err(PageError::bad(locale, |t| t.login_expired).into()),
            }
        }
        (None, None) => return Err(PageError::bad(locale, |t| t.login_expired).into()),
    };
    if let Some(c) = device_cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acr_ladder() {
        assert!(acr_satisfies("urn:oneid:loa:2:mfa", "urn:oneid:loa:2"));
        assert!(acr_satisfies("urn:oneid:loa:2:mfa", "urn:oneid:loa:1:mfa"));
        assert!(!acr_satisfies("urn:oneid:loa:2", "urn:oneid:loa:1:mfa"));
        assert!(!acr_satisfies("urn:oneid:loa:1:mfa", "urn:oneid:loa:2"));
        assert!(!acr_satisfies("urn:oneid:loa:3:mfa", "something-else"));
        for m in [
            Method::Sms { phone: 2 },
            Method::Voice { phone: 0 },
            Method::Kba,
            Method::Totp,
        ] {
            assert_eq!(Method::parse(&m.key()), Some(m));
        }
        assert_eq!(Method::parse("sms:x"), None);
    }
}
