//! Step-up during sign-in (and before sensitive self-service changes): decide whether the
//! password is enough, and when it is not, start a challenge (`web::challenge`, whose first
//! page any surface shows); here its answers are checked at `POST /stepup`: a code by text
//! message or voice call, two of the online challenge questions, or a TOTP code. Success raises
//! the session to `…:mfa`, can remember the browser, and completes what was waiting (the
//! relying party's request, or the self-service page).

use crate::authorize::{self, AuthRequest};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::{Account, Guess};
use platform::audit::AuditEvent;
use platform::ephemeral::get_json;
use platform::Locale;
use std::sync::Arc;
use step_up::gateway::{Channel, Delivery};
use step_up::{codes, Policy};
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebResult};
use web::forms::View;
use web::http::{cookie, parse_query, see_other, set_cookie, ClientIp};
use web::session::{self, SsoSession};

mod acr;
mod page;

pub use acr::acr_satisfies;
pub(crate) use acr::{acr_wants_mfa, essential_acr_unreachable, relying_party_wants_mfa};
pub use page::demo_codes;
pub use web::challenge::{begin, methods_of, Method, Pending};
use web::challenge::{key_of, load, page, pending_key, save};

/// Name of the device cookie.
pub const DEVICE_COOKIE: &str = "oneid_device";

/// After the password: completes the sign-in, or starts a challenge when the policy, the
/// device or the relying party calls for one.
pub(crate) async fn after_password(
    p: &Provider,
    headers: &HeaderMap,
    ip: &str,
    request_id: &str,
    req: &AuthRequest,
    account: &Account,
    locale: Locale,
) -> WebResult {
    if essential_acr_unreachable(req, account.assurance_level) {
        let _ = p.store.delete(&authorize::login_key(request_id)).await;
        return Ok(authorize::unmet(
            p,
            req,
            "the account cannot reach the requested acr",
        ));
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
    let pwd = vec!["pwd".to_owned()];
    if !need {
        return authorize::complete_login(p, request_id, req, account, pwd, locale, ip).await;
    }
    let methods = match methods_of(p, account).await {
        Ok(m) => m,
        Err(r) => return Ok(r),
    };
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

async fn audit(
    p: &Provider,
    event: &'static str,
    account_id: &str,
    ip: &str,
    detail: Option<&str>,
) {
    // Every step-up event is counted too (`oneid_stepups_total{method,outcome}`), and a code
    // the gateway could not deliver also as a gateway error.
    if let Some(outcome) = event.strip_prefix("stepup.") {
        let method = detail.unwrap_or("none");
        p.metrics.inc(
            "oneid_stepups_total",
            format!("method=\"{method}\",outcome=\"{outcome}\""),
        );
        if outcome == "gateway_error" {
            p.metrics
                .inc("oneid_gateway_errors_total", format!("method=\"{method}\""));
        }
    }
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some(account_id),
            subject: Some(account_id),
            source: Some(ip),
            detail,
            ..Default::default()
        })
        .await;
}

/// Sends a code for `m`; false (and the method set aside) when the gateway failed.
async fn send_code(p: &Provider, token: &str, s: &mut Pending, m: Method, ip: &str) -> bool {
    let phones = p
        .accounts
        .challenge_phones(&s.account_id)
        .await
        .unwrap_or_default();
    let (channel, idx) = match m {
        Method::Sms { phone } => (Channel::Sms, phone),
        Method::Voice { phone } => (Channel::Voice, phone),
        _ => return false,
    };
    let Some(phone) = phones.get(idx) else {
        return false;
    };
    let account_locale = match p.accounts.find_by_id(&s.account_id).await {
        Ok(Some(acc)) => Locale::parse(&acc.locale).unwrap_or(s.locale),
        _ => s.locale,
    };
    let at = AccountText::get(account_locale);
    let code = codes::new_code();
    let text = match channel {
        Channel::Sms => at.sms_text.replace("{}", &code),
        Channel::Voice => at.voice_text.replace("{}", &codes::spoken(&code)),
    };
    let delivery = Delivery {
        to: phone.e164.clone(),
        channel,
        text,
        locale: account_locale,
    };
    let now = p.clock.now();
    match p.gateway.send(&delivery).await {
        Ok(()) => {
            s.code_digest = Some(codes::digest(token, &code));
            s.code_expires = now + p.stepup.code_ttl_secs;
            s.sent_at = now;
            audit(p, "stepup.code_sent", &s.account_id, ip, Some(m.amr())).await;
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, method = m.amr(), "step-up code not delivered");
            audit(p, "stepup.gateway_error", &s.account_id, ip, Some(m.amr())).await;
            if !s.failed.contains(&m) {
                s.failed.push(m);
            }
            s.chosen = None;
            false
        }
    }
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
        Some(s) => Ok(page(&p, &headers, &token, &s, None, StatusCode::OK).await),
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
    let a = AccountText::get(s.locale);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let now = p.clock.now();
    Ok(match get("action") {
        "choose" => {
            let Some(m) = Method::parse(get("method"))
                .filter(|m| s.methods.contains(m) && !s.failed.contains(m))
            else {
                return Ok(page(
                    &p,
                    &headers,
                    &token,
                    &s,
                    Some(a.choose_method),
                    StatusCode::BAD_REQUEST,
                )
                .await);
            };
            s.chosen = Some(m);
            match m {
                Method::Kba => {
                    let qs = p
                        .accounts
                        .online_questions(&s.account_id)
                        .await
                        .unwrap_or_default();
                    s.questions = web::widgets::pick_two(&qs);
                }
                Method::Totp => {}
                _ => {
                    if !send_code(&p, &token, &mut s, m, &ip).await {
                        let _ = save(&p, &token, &s).await;
                        let status = StatusCode::SERVICE_UNAVAILABLE;
                        if s.methods.iter().all(|m| s.failed.contains(m)) {
                            return Ok(page(
                                &p,
                                &headers,
                                &token,
                                &s,
                                Some(a.gateway_down_none),
                                status,
                            )
                            .await);
                        }
                        return Ok(
                            page(&p, &headers, &token, &s, Some(a.gateway_down), status).await
                        );
                    }
                }
            }
            if let Err(e) = save(&p, &token, &s).await {
                return Err(PageError::internal(s.locale, e).into());
            }
            page(&p, &headers, &token, &s, None, StatusCode::OK).await
        }
        "resend" => {
            let Some(m) = s
                .chosen
                .filter(|m| matches!(m, Method::Sms { .. } | Method::Voice { .. }))
            else {
                return Ok(page(&p, &headers, &token, &s, None, StatusCode::BAD_REQUEST).await);
            };
            if now - s.sent_at < p.stepup.resend_secs {
                let msg = a.resend_wait.replace(
                    "{}",
                    &(p.stepup.resend_secs - (now - s.sent_at)).to_string(),
                );
                return Ok(page(
                    &p,
                    &headers,
                    &token,
                    &s,
                    Some(&msg),
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await);
            }
            if !send_code(&p, &token, &mut s, m, &ip).await {
                let _ = save(&p, &token, &s).await;
                return Ok(page(
                    &p,
                    &headers,
                    &token,
                    &s,
                    Some(a.gateway_down),
                    StatusCode::SERVICE_UNAVAILABLE,
                )
                .await);
            }
            let _ = save(&p, &token, &s).await;
            page(&p, &headers, &token, &s, None, StatusCode::OK).await
        }
        "other" => {
            s.chosen = None;
            s.code_digest = None;
            let _ = save(&p, &token, &s).await;
            page(&p, &headers, &token, &s, None, StatusCode::OK).await
        }
        "verify" => {
            let Some(m) = s.chosen else {
                return Ok(page(&p, &headers, &token, &s, None, StatusCode::BAD_REQUEST).await);
            };
            let sent_code = !matches!(m, Method::Kba | Method::Totp);
            if sent_code && now >= s.code_expires {
                // Nothing is checked against an expired code, so nothing is counted.
                return Ok(page(
                    &p,
                    &headers,
                    &token,
                    &s,
                    Some(a.code_expired),
                    StatusCode::BAD_REQUEST,
                )
                .await);
            }
            // The attempt is taken before the guess is checked, on the challenge's own counter
            // and then on the account's: a burst of parallel guesses gets distinct numbers, and
            // those past either limit are refused unchecked.
            let n = match p
                .store
                .incr(
                    &key_of("stepup-tries", &token),
                    p.cfg.login_ttl.max(p.stepup.code_ttl_secs),
                )
                .await
            {
                Ok(n) => n,
                Err(e) => return Err(PageError::internal(s.locale, e).into()),
            };
            let answers = web::widgets::typed_answers(&form, &s.questions);
            let guess = if n > i64::from(p.stepup.max_attempts) {
                Ok(Guess::Refused)
            } else {
                p.accounts
                    .guarded(
                        &s.account_id,
                        async {
                            match m {
                                Method::Kba => p
                                    .accounts
                                    .verify_online_answers(&s.account_id, &answers)
                                    .await
                                    .unwrap_or(false),
                                Method::Totp => verify_totp(&p, &s.account_id, get("code")).await,
                                _ => s
                                    .code_digest
                                    .as_deref()
                                    .is_some_and(|d| codes::matches(&token, get("code"), d)),
                            }
                        },
                        async {
                            if m == Method::Kba {
                                p.accounts.dummy_online_answers(&answers).await;
                            }
                        },
                    )
                    .await
            };
            let guess = match guess {
                Ok(g) => g,
                Err(e) => return Err(PageError::internal(s.locale, e).into()),
            };
            match guess {
                Guess::Right => {
                    // A challenge that succeeded is taken once, whatever else raced it.
                    let first = p
                        .store
                        .put_if_absent(&key_of("stepup-done", &token), b"1", p.cfg.login_ttl)
                        .await;
                    let _ = p.store.delete(&pending_key(&token)).await;
                    if !first.or_page(s.locale)? {
                        return Err(PageError::bad(s.locale, |t| t.login_expired).into());
                    }
                    let remember = form.contains_key("remember");
                    return finish(&p, &headers, &ip, s, m, remember).await;
                }
                Guess::Wrong { locked_now } => {
                    audit(&p, "stepup.failure", &s.account_id, &ip, Some(m.amr())).await;
                    if n < i64::from(p.stepup.max_attempts) && !locked_now {
                        let msg = if m == Method::Kba {
                            a.answers_wrong
                        } else {
                            a.code_wrong
                        };
                        return Ok(page(
                            &p,
                            &headers,
                            &token,
                            &s,
                            Some(msg),
                            StatusCode::UNAUTHORIZED,
                        )
                        .await);
                    }
                }
                Guess::Refused => {
                    audit(&p, "stepup.refused", &s.account_id, &ip, Some(m.amr())).await;
                }
            }
            // The challenge is over: its last attempt is spent, or the account is locked.
            let _ = p.store.delete(&pending_key(&token)).await;
            if let Some(r) = &s.request_id {
                let _ = p.store.delete(&authorize::login_key(r)).await;
            }
            let v = View {
                title: a.stepup_title.into(),
                errors: vec![(String::new(), a.too_many_codes.into())],
                ..View::default()
            };
            web::widgets::send(&p, &headers, s.locale, &v, StatusCode::UNAUTHORIZED)
        }
        _ => return Err(PageError::bad(s.locale, |t| t.bad_request).into()),
    })
}

async fn verify_totp(p: &Provider, account_id: &str, code: &str) -> bool {
    let Ok(Some((secret, last))) = p.accounts.totp(account_id).await else {
        return false;
    };
    match step_up::totp::verify(&secret, code, p.clock.now(), last) {
        // The step is used once, even with two nodes racing.
        Some(step) => p
            .accounts
            .use_totp_step(account_id, step)
            .await
            .unwrap_or(false),
        None => false,
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
    for x in [m.amr(), "mfa"] {
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
            sess.acr = authorization_server::tokens::acr_for(account.assurance_level, true);
            sess.amr = amr;
            sess.mfa_at = Some(p.clock.now());
            session::save(p, key, &sess).await.or_page(locale)?;
            match (&s.request_id, &s.return_to) {
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
