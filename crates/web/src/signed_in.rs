//! The signed-in person behind a page, and how sure the page must be that it is the account
//! holder (`Guard`): a live session, a recent step-up, or, for staff work, a recent step-up
//! with a phone or an authenticator app. Without a session the browser is sent to sign in
//! (a parked console login, `authorization_server::ticket`); without a step-up recent enough,
//! the challenge's first page is shown in place (`challenge`).

use crate::account_text::AccountText;
use crate::challenge;
use crate::error::{OrPage, PageError, WebError};
use crate::forms::View;
use crate::http::{see_other, Params};
use crate::session::{self, SsoSession};
use crate::widgets::send;
use authorization_server::Provider;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::Account;
use platform::Locale;

/// Who is signed in, and in which language to answer.
pub struct Me {
    pub account: Account,
    pub session: SsoSession,
    pub locale: Locale,
}

/// How sure a page must be that the person at the keyboard is the account holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// A live session is enough.
    Session,
    /// A sensitive change: a step-up within `stepup.recent_secs` (or, for an account with
    /// nothing to step up with, or when step-up is for relying parties only, a sign-in that
    /// recent).
    Sensitive,
    /// A change to the second factors (phones, authenticator app): as `Sensitive`, but for a
    /// staff account as `Staff`, so that a password alone (which the service desk could have
    /// reset) never adds a factor to an account that opens a console.
    Factor,
    /// Adding a factor that signs in alone (a passkey): a step-up within `stepup.recent_secs`
    /// with any method the account has, whatever the step-up policy (for a staff account, as
    /// `Staff`); an account with none, a sign-in that recent.
    NewFactor,
    /// An irreversible act on one's own account (closing it): a step-up within
    /// `stepup.recent_secs` with any method the account has, whatever the step-up policy; an
    /// account with none, a sign-in that recent.
    StepUp,
    /// Staff work (the service desk): a step-up with a phone or an authenticator app within
    /// `stepup.recent_secs`, whatever the step-up policy; an account with neither is turned
    /// away.
    Staff,
}

/// Step-up methods that prove possession (a phone, an authenticator app), not knowledge.
pub fn possession(m: &challenge::Method) -> bool {
    !matches!(m, challenge::Method::Kba)
}

/// True when the session was stepped up recently with a phone, an authenticator app or a
/// passkey (that step-up itself, not an earlier one of the session).
pub fn stepped_up_with_possession(p: &Provider, s: &SsoSession) -> bool {
    let now = p.clock.now();
    s.possession_at
        .is_some_and(|t| now - t <= p.stepup.recent_secs)
}

/// True when the session was stepped up recently with a passkey.
pub fn stepped_up_with_passkey(p: &Provider, s: &SsoSession) -> bool {
    let now = p.clock.now();
    s.passkey_at
        .is_some_and(|t| now - t <= p.stepup.recent_secs)
}

/// The signed-in person, or the response that sends them to sign in (or to step up).
pub async fn me(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
    return_to: &str,
    guard: Guard,
) -> Result<Me, WebError> {
    let asked = params.get("ui_locales").map(String::as_str);
    let accept = crate::http::locale(headers, asked);
    let live = session::signed_in(p, headers).await.or_page(accept)?;
    let Some((key, s, account)) = live else {
        return Err(start_console_login(p, accept, return_to).await.into());
    };
    let locale = crate::http::signed_in_locale(headers, asked, &account.locale);
    // Where a step-up comes back to: this page, in the language asked for.
    let back = || match asked {
        Some(l) => format!("{return_to}?ui_locales={l}"),
        None => return_to.to_owned(),
    };
    // Staff work itself (not a change to one's own factors, which is how a passkey is added):
    // a passkey when the configuration says so.
    let passkey_only = guard == Guard::Staff && p.stepup.staff_require_passkey;
    let guard = match guard {
        Guard::Factor => match p.accounts.is_staff(&account.id).await {
            Ok(true) => Guard::Staff,
            Ok(false) => Guard::Sensitive,
            Err(e) => return Err(PageError::internal(locale, e).into()),
        },
        Guard::NewFactor => match p.accounts.is_staff(&account.id).await {
            Ok(true) => Guard::Staff,
            Ok(false) => Guard::StepUp,
            Err(e) => return Err(PageError::internal(locale, e).into()),
        },
        g => g,
    };
    // With a list of authenticator models for staff, only a passkey of one of them.
    let listed_only = passkey_only && p.passkeys.as_ref().is_some_and(|k| k.staff_list());
    let stepped_up = if listed_only {
        let now = p.clock.now();
        s.listed_key_at
            .is_some_and(|t| now - t <= p.stepup.recent_secs)
    } else if passkey_only {
        stepped_up_with_passkey(p, &s)
    } else {
        stepped_up_with_possession(p, &s)
    };
    if guard == Guard::Staff && !stepped_up {
        let mut methods = challenge::methods_of(p, &account).await?;
        methods.retain(possession);
        if passkey_only {
            methods.retain(|m| *m == challenge::Method::Passkey);
        }
        if listed_only
            && !authorization_server::passkey::has_listed_passkey(p, &account.id)
                .await
                .or_page(locale)?
        {
            methods.clear();
        }
        if methods.is_empty() && passkey_only {
            let a = AccountText::get(locale);
            let l = locale.tag();
            let why = if listed_only {
                a.staff_needs_listed_passkey
            } else {
                a.staff_needs_passkey
            };
            let v = View {
                title: a.staff_factor_title.into(),
                errors: vec![(String::new(), why.into())],
                links: vec![(
                    format!("/account/passkeys?ui_locales={l}"),
                    a.passkey_required_profile.into(),
                )],
                ..View::default()
            };
            return Err(send(p, headers, locale, &v, StatusCode::FORBIDDEN).into());
        }
        if methods.is_empty() {
            let a = AccountText::get(locale);
            let v = View {
                title: a.staff_factor_title.into(),
                errors: vec![(String::new(), a.staff_needs_factor.into())],
                ..View::default()
            };
            return Err(send(p, headers, locale, &v, StatusCode::FORBIDDEN).into());
        }
        let pending = challenge::Pending {
            account_id: account.id.clone(),
            amr: s.amr.clone(),
            session_key: Some(key),
            return_to: Some(back()),
            methods,
            locale,
            listed_only,
            ..Default::default()
        };
        return Err(challenge::begin(p, headers, pending).await.into());
    }
    if matches!(guard, Guard::Sensitive | Guard::StepUp) {
        let now = p.clock.now();
        let recent = p.stepup.recent_secs;
        let stepped_up = s.mfa_at.is_some_and(|t| now - t <= recent);
        if !stepped_up {
            let methods = if guard == Guard::Sensitive
                && p.stepup.policy == step_up::Policy::RelyingPartyOnly
            {
                Vec::new()
            } else {
                challenge::methods_of(p, &account).await?
            };
            if !methods.is_empty() {
                return Err(step_up_session(
                    p,
                    headers,
                    &account,
                    &s,
                    key,
                    back(),
                    methods,
                    locale,
                )
                .await
                .into());
            }
            if now - s.auth_time > recent {
                return Err(start_console_login(p, locale, return_to).await.into());
            }
        }
    }
    Ok(Me {
        account,
        session: s,
        locale,
    })
}

/// Starts a step-up of the live session `key` with `methods`, coming back to `back`.
#[allow(clippy::too_many_arguments)]
pub async fn step_up_session(
    p: &Provider,
    headers: &HeaderMap,
    account: &Account,
    s: &SsoSession,
    key: String,
    back: String,
    methods: Vec<challenge::Method>,
    locale: Locale,
) -> Response {
    challenge::begin(
        p,
        headers,
        challenge::Pending {
            account_id: account.id.clone(),
            amr: s.amr.clone(),
            session_key: Some(key),
            return_to: Some(back),
            methods,
            locale,
            ..Default::default()
        },
    )
    .await
}

/// Parks a sign-in to the provider's own pages and sends the browser to the login page; after
/// it, the browser returns to `return_to` (a local path) with an SSO session.
pub async fn start_console_login(p: &Provider, locale: Locale, return_to: &str) -> Response {
    match authorization_server::ticket::park_console_login(p, locale, return_to).await {
        Ok(id) => see_other(&format!("/login?request={id}")),
        Err(e) => PageError::internal(locale, e).into_response(),
    }
}
