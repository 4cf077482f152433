//! Self-registration from a trusted registry (000, 001; DOMAIN "Self-registration"): the
//! registry's member portal posts a signed hand-off to `/register`; the member walks seven
//! steps (policies, personal information, professional designation, challenge questions,
//! challenge phone, ONE Mail Direct, password) with Next / Back / Cancel and a progress bar;
//! the account is created at the end in one transaction, and the login ID and services are
//! shown.
//!
//! The wizard's state lives server-side in the ephemeral store under a random cookie, sealed
//! with the secret box (it holds challenge answers until the end) and expiring: after
//! `wizard_ttl_secs` without a step, and in any case `wizard_max_secs` after the hand-off, so
//! a hand-off meant to live minutes cannot be stretched by steps. Every rule is checked here
//! on the server; the registry's identity data is never read from the form.
//!
//! The wizard's rules (its steps, its state, each step's checks) are `registration::wizard`;
//! here are the handlers, and under `signup/` the pages (each step's `StepPage` drawn by its
//! template in `templates/signup/`), the state's cookie and the completion.

mod finish;
mod page;
mod pages;
mod same_person;
mod state;
mod steps;

use crate::signup_text::SignupText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use page::send_step;
use pages::{
    audit, complete_page, expired, help_page, member_terminated, message_page, page_locale,
};
use platform::Locale;
use registration::wizard::{
    find_step, locked_fields_in, steps, Arrival, ArrivalError, Nav, Step, Wizard,
};
use registration::RegistrationError;
use state::{drafts, lifetime, load, save, COOKIE};
use std::sync::Arc;
use steps::{step_view, validate};
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebResult};
use web::forms::View;
use web::http::{cookie, parse_query, see_other, set_cookie, ClientIp, Params};
use web::widgets::send;

pub use registration::SignupConfig;
pub use same_person::{hold, link};

/// POST /register: the registry's signed hand-off (`assertion`).
#[tracing::instrument(skip_all)]
pub async fn start(
    State(p): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let form = web::http::parse_form(&headers, &body).unwrap_or_default();
    let asked = form.get("ui_locales").or(params.get("ui_locales"));
    let mut locale = web::http::locale(&headers, asked.map(String::as_str));
    // Each hand-off costs a signature check and a durable write: bounded per address.
    if web::limits::over(&p, "register-ip", &ip, p.cfg.login_limit_per_address)
        .await
        .or_page(locale)?
    {
        return Ok(web::limits::too_many(&p, &headers, locale));
    }
    let token = form.get("assertion").map(String::as_str).unwrap_or("");
    let arrival = match p.registration.arrive(&p.cfg.issuer, token).await {
        Ok(a) => a,
        Err(ArrivalError::Internal(e)) => return Err(PageError::internal(locale, e).into()),
        Err(ArrivalError::Refused(e)) => return Ok(refused(&p, &headers, locale, &ip, e).await),
    };
    let h = arrival.handoff();
    if asked.is_none() {
        if let Some(l) = h.locale.as_deref().and_then(Locale::parse) {
            locale = l;
        }
    }
    let h = match arrival {
        Arrival::New(h) => h,
        Arrival::Existing {
            handoff: h,
            account_id,
            terminated,
        } => {
            let detail = format!("registry={} member={}", h.registry_id, h.member_id);
            audit(
                &p,
                "registration.existing_account",
                Some(&account_id),
                &ip,
                &detail,
            )
            .await;
            if terminated {
                let s = SignupText::get(locale);
                return Ok(message_page(
                    &p,
                    &headers,
                    locale,
                    s.welcome_title,
                    s.existing_terminated,
                    StatusCode::FORBIDDEN,
                ));
            }
            return Ok(see_other(&format!(
                "/register/welcome?ui_locales={}",
                locale.tag()
            )));
        }
        Arrival::ReportedTerminated(h) => {
            let detail = format!(
                "{} registry={} member={}",
                RegistrationError::MemberTerminated.code(),
                h.registry_id,
                h.member_id
            );
            audit(&p, "registration.refused", None, &ip, &detail).await;
            return Ok(member_terminated(&p, &headers, locale));
        }
    };
    let w = Wizard::new(h, p.clock.now(), locale);
    let cookie_value = platform::crypto::random_token(24);
    save(&p, &cookie_value, &w).await.or_page(locale)?;
    let (registry, member) = w.registry_member();
    let detail = format!("registry={registry} member={member}");
    audit(&p, "registration.started", None, &ip, &detail).await;
    let mut r = see_other(&format!("/register/{}", Step::Policies.slug()));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&p, COOKIE, &cookie_value, lifetime(&p, &w)),
    );
    Ok(r)
}

/// The page for a refused hand-off (audited).
async fn refused(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    ip: &str,
    e: RegistrationError,
) -> Response {
    let s = SignupText::get(locale);
    tracing::warn!(reason = e.code(), detail = %e, "registration hand-off refused");
    audit(p, "registration.refused", None, ip, e.code()).await;
    let registry_closed = matches!(
        e,
        RegistrationError::RegistrySuspended
            | RegistrationError::RegistryTerminated
            | RegistrationError::OutsideApproval
            | RegistrationError::NoSponsor
    );
    let (text, status) = if registry_closed {
        (s.refused_registry, StatusCode::FORBIDDEN)
    } else if matches!(e, RegistrationError::ClassNotEligible) {
        (s.refused_class, StatusCode::FORBIDDEN)
    } else {
        (s.refused_invalid, StatusCode::BAD_REQUEST)
    };
    message_page(p, headers, locale, s.refused_title, text, status)
}

/// GET /register/welcome: the self-service welcome page, with the notice that an account
/// exists already.
#[tracing::instrument(skip_all)]
pub async fn welcome(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = page_locale(&headers, &params, None);
    let s = SignupText::get(locale);
    let a = AccountText::get(locale);
    let tag = locale.tag();
    let v = View {
        title: s.welcome_title.into(),
        other_lang_href: Some(format!(
            "/register/welcome?ui_locales={}",
            locale.other().tag()
        )),
        notice: Some(s.existing_notice.into()),
        intro: vec![s.welcome_text.into()],
        links: vec![
            (format!("/account?ui_locales={tag}"), s.sign_in.into()),
            (
                format!("/forgot-login-id?ui_locales={tag}"),
                a.forgot_login_id.into(),
            ),
            (
                format!("/forgot-password?ui_locales={tag}"),
                a.forgot_password.into(),
            ),
        ],
        ..View::default()
    };
    Ok(send(&p, &headers, locale, &v, StatusCode::OK))
}

/// GET /register/{step} (and `/register/complete`, `/register/help`)
#[tracing::instrument(skip_all, fields(step = %slug))]
pub async fn show(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let loaded = load(&p, &headers).await.or_page(Locale::En)?;
    let locale = page_locale(&headers, &params, loaded.as_ref().map(|(_, w)| w));
    let Some((token, mut w)) = loaded else {
        return Ok(expired(&p, &headers, locale));
    };
    if w.locale != locale.tag() {
        w.locale = locale.tag().to_owned();
        save(&p, &token, &w).await.or_page(locale)?;
    }
    if slug == "complete" {
        return match &w.done {
            Some(d) => Ok(complete_page(&p, &headers, locale, d)),
            None => Ok(redirect_to_reached(&p, &w)),
        };
    }
    if w.done.is_some() {
        return Ok(see_other("/register/complete"));
    }
    if slug == "help" {
        return Ok(help_page(&p, &headers, locale, &w));
    }
    let Some((idx, step)) = find_step(&p.signup, &slug) else {
        return Err(PageError::bad(locale, |t| t.bad_request).into());
    };
    if idx > w.reached {
        return Ok(redirect_to_reached(&p, &w));
    }
    let v = step_view(&p, locale, &w, idx, step);
    Ok(send_step(&p, &headers, locale, &v, StatusCode::OK))
}

fn redirect_to_reached(p: &Provider, w: &Wizard) -> Response {
    see_other(&format!("/register/{}", w.reached_step(&p.signup).slug()))
}

/// POST /register/{step}
#[tracing::instrument(skip_all, fields(step = %slug))]
pub async fn submit(
    State(p): State<Arc<Provider>>,
    ip: ClientIp,
    headers: HeaderMap,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let mut left = p.signup.wizard_ttl_secs;
    let mut r = submit_step(&p, ip, &headers, slug, q, body, &mut left)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    // The wizard lives as long as the member keeps using it (up to its cap): the cookie's
    // lifetime follows the state's, unless this answer ends it (Cancel clears the cookie).
    let name = web::http::cookie_name(&p, COOKIE);
    let setting = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&format!("{name}="))));
    if let (false, Some(token)) = (setting, cookie(&p, &headers, COOKIE)) {
        r.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&p, COOKIE, &token, left.max(1)),
        );
    }
    Ok(r)
}

/// One step's answer; `left` is set to how long the wizard may still live.
async fn submit_step(
    p: &Arc<Provider>,
    ClientIp(ip): ClientIp,
    headers: &HeaderMap,
    slug: String,
    q: Option<String>,
    body: Bytes,
    left: &mut i64,
) -> WebResult {
    let p = p.clone();
    let headers = headers.clone();
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let loaded = load(&p, &headers).await.or_page(Locale::En)?;
    let locale = page_locale(&headers, &params, loaded.as_ref().map(|(_, w)| w));
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let Some((token, mut w)) = loaded else {
        return Ok(expired(&p, &headers, locale));
    };
    *left = lifetime(&p, &w);
    if w.done.is_some() {
        return Ok(see_other("/register/complete"));
    }
    let Some((idx, step)) = find_step(&p.signup, &slug) else {
        return Err(PageError::bad(locale, |t| t.bad_request).into());
    };
    if idx > w.reached {
        return Ok(redirect_to_reached(&p, &w));
    }
    let s = SignupText::get(locale);
    let nav = Nav::parse(form.get("nav").map(String::as_str), step);
    if nav == Nav::Cancel && !form.contains_key("confirm_cancel") {
        // Cancel asks first: nothing typed is lost by a stray click.
        return Ok(pages::confirm_cancel(&p, &headers, locale, step));
    }
    if nav == Nav::Cancel {
        let _ = drafts(&p).forget(&token).await;
        let (registry, member) = w.registry_member();
        let detail = format!("registry={registry} member={member} step={}", step.slug());
        audit(&p, "registration.cancelled", None, &ip, &detail).await;
        let mut r = message_page(
            &p,
            &headers,
            locale,
            s.cancelled_title,
            s.cancelled_text,
            StatusCode::OK,
        );
        r.headers_mut()
            .append(header::SET_COOKIE, set_cookie(&p, COOKIE, "", 0));
        return Ok(r);
    }
    check_tampering(&p, &w, &form, &ip).await;
    w.absorb(step, &form);
    let all = steps(&p.signup);
    let go = |i: usize| -> Response {
        let st = all.get(i).copied().unwrap_or(Step::Policies);
        see_other(&format!(
            "/register/{}?ui_locales={}",
            st.slug(),
            locale.tag()
        ))
    };
    match nav {
        Nav::Back => {
            save(&p, &token, &w).await.or_page(locale)?;
            return Ok(go(idx.saturating_sub(1)));
        }
        Nav::MoveMiddle | Nav::Add | Nav::Reset(_) => {
            w.edit(nav);
            save(&p, &token, &w).await.or_page(locale)?;
            return Ok(go(idx));
        }
        Nav::Next | Nav::Cancel => {}
    }
    // Next: every rule of this step, on the server.
    let mut v = step_view(&p, locale, &w, idx, step);
    let ok = validate(&p, locale, &mut w, step, &form, &mut v)
        .await
        .or_page(locale)?;
    if !ok {
        // A step that fails again closes the steps after it until it passes.
        w.reached = w.reached.min(idx);
        save(&p, &token, &w).await.or_page(locale)?;
        return Ok(send_step(&p, &headers, locale, &v, StatusCode::BAD_REQUEST));
    }
    if step == Step::Password {
        return finish::finish(&p, &headers, locale, &token, w, &form, &ip, v).await;
    }
    w.reached = w.reached.max(idx + 1);
    save(&p, &token, &w).await.or_page(locale)?;
    Ok(go(idx + 1))
}

/// Logs (and audits) a posted value for a field the registry locked; the value is ignored.
async fn check_tampering(p: &Provider, w: &Wizard, form: &Params, ip: &str) {
    let hit = locked_fields_in(form);
    if hit.is_empty() {
        return;
    }
    let (registry, member) = w.registry_member();
    let detail = format!(
        "registry={registry} member={member} fields={}",
        hit.join(",")
    );
    tracing::warn!(fields = %hit.join(","), "registration form carried locked fields; ignored");
    audit(p, "registration.tampered", None, ip, &detail).await;
}
