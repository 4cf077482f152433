//! A sign-in paused just before its code, for a question only the person can answer (a
//! third-party app's consent, the patient of a standalone launch): the request parked under a
//! token in the question page's address, answerable only from the browser that was asked,
//! still in the same sign-in session, and once.

use super::*;
use platform::crypto::sha256_b64;
use platform::ephemeral::take_json;
use serde::{Deserialize, Serialize};

/// The paused sign-in.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Paused {
    pub req: AuthRequest,
    pub session_key: String,
    pub account_id: String,
}

fn key(kind: &str, token: &str) -> String {
    format!("{kind}:{}", sha256_b64(token.as_bytes()))
}

/// Pauses `req` (of session `s`, stored under `session_key`) and sends the browser to the
/// question at `path` (its own address, so that the page is bound to the session the browser
/// has then: a sign-in may have just started it). With `prompt=none` nothing can be asked: the
/// app hears `none_error`.
pub(crate) async fn pause(
    p: &Provider,
    kind: &str,
    path: &str,
    (req, session_key, s): (&AuthRequest, &str, &SsoSession),
    none_error: (&'static str, &'static str),
    locale: Locale,
) -> Result<Response, WebError> {
    if req.prompt_none {
        let e = refusal(none_error.0, none_error.1);
        return Ok(error_redirect(
            p,
            &req.redirect_uri,
            req.state.as_deref(),
            e,
        ));
    }
    let token = random_token(24);
    let paused = Paused {
        req: req.clone(),
        session_key: session_key.to_owned(),
        account_id: s.account_id.clone(),
    };
    put_json(
        p.store.as_ref(),
        &key(kind, &token),
        &paused,
        p.cfg.login_ttl,
    )
    .await
    .or_page(locale)?;
    Ok(see_other(&format!(
        "{path}?c={token}&ui_locales={}",
        locale.tag()
    )))
}

/// The sign-in paused under `token`, with the live session's key and the session, when this
/// browser is the one that was asked (anyone else's try leaves the question standing).
pub(crate) async fn here(
    p: &Provider,
    headers: &HeaderMap,
    kind: &str,
    token: &str,
    locale: Locale,
) -> Result<(Paused, String, SsoSession), WebError> {
    let paused: Option<Paused> = get_json(p.store.as_ref(), &key(kind, token))
        .await
        .or_page(locale)?;
    let live = session::current(p, headers).await.or_page(locale)?;
    match (paused, live) {
        (Some(w), Some((k, s))) if k == w.session_key && s.account_id == w.account_id => {
            Ok((w, k, s))
        }
        _ => Err(PageError::bad(locale, |t| t.login_expired).into()),
    }
}

/// The same, with the app the sign-in is for (a client removed meanwhile: the page says so).
pub(crate) async fn here_with_client(
    p: &Provider,
    headers: &HeaderMap,
    kind: &str,
    token: &str,
    locale: Locale,
) -> Result<(Paused, String, SsoSession, Arc<Client>), WebError> {
    let (w, k, s) = here(p, headers, kind, token, locale).await?;
    let Some(client) = p.clients.get(&w.req.client_id).await.or_page(locale)? else {
        return Err(PageError::bad(locale, |t| t.unknown_client).into());
    };
    Ok((w, k, s, client))
}

/// Takes the paused sign-in `token` (once, on any node) to answer it.
pub(crate) async fn take(
    p: &Provider,
    kind: &str,
    token: &str,
    locale: Locale,
) -> Result<Paused, WebError> {
    let paused: Option<Paused> = take_json(p.store.as_ref(), &key(kind, token))
        .await
        .or_page(locale)?;
    paused.ok_or_else(|| PageError::bad(locale, |t| t.login_expired).into())
}
