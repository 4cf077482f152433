//! The acceptable-use agreement asked inside the sign-in, like a forced password change: after
//! the password (and any new password), or when a live session meets a new version, the person
//! reads the current version and accepts it before the sign-in goes on. Declining ends the
//! sign-in; an OIDC relying party hears `access_denied`.

use super::*;
use authorization_server::agreement::{self, Pending};
use web::account_text::AccountText;
use web::forms::{Form, View};

fn view(p: &Provider, locale: Locale, token: &str) -> View {
    let a = AccountText::get(locale);
    let text = match locale {
        Locale::Fr => &p.signup.agreement_fr,
        Locale::En => &p.signup.agreement_en,
    };
    let mut intro = vec![a
        .agreement_intro
        .replace("{version}", agreement::current(p))];
    intro.extend(
        text.split("\n\n")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
    );
    View {
        title: a.agreement_title.into(),
        intro,
        forms: vec![Form {
            id: Some("agreement".into()),
            action: "/login/agreement".into(),
            hidden: vec![
                ("agreement".into(), token.to_owned()),
                ("ui_locales".into(), locale.tag().to_owned()),
            ],
            submit: a.agreement_accept.into(),
            button_name: Some("accept".into()),
            buttons: vec![("decline".into(), "1".into(), a.agreement_decline.into())],
            ..Form::default()
        }],
        ..View::default()
    }
}

/// Parks the sign-in of `account` for ticket `request_id` (with the live session `session_key`,
/// if it came with one, and the methods the sign-in used) and shows the agreement.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn ask(
    p: &Provider,
    headers: &HeaderMap,
    request_id: &str,
    account: &Account,
    session_key: Option<String>,
    amr: Vec<String>,
    ip: &str,
    locale: Locale,
) -> WebResult {
    let token = agreement::require(p, request_id, account, session_key, amr, ip)
        .await
        .or_page(locale)?;
    Ok(web::widgets::send(
        p,
        headers,
        locale,
        &view(p, locale, &token),
        StatusCode::OK,
    ))
}

/// POST /login/agreement: accepted, the sign-in goes on (step-up, then the code or the
/// console); declined, it ends.
#[tracing::instrument(skip_all)]
pub async fn agreement_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    let locale = web::http::locale(&headers, form.get("ui_locales").map(String::as_str));
    let Some(token) = form.get("agreement") else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let Some(pending) = agreement::take(&p, token).await.or_page(locale)? else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    if form.contains_key("decline") || !form.contains_key("accept") {
        return declined(&p, &headers, &pending, &ip, locale).await;
    }
    agreement::accept(&p, &pending, &ip).await.or_page(locale)?;
    if let Some(key) = &pending.session_key {
        return super::after_agreement_with_session(
            &p,
            &headers,
            &pending.request_id,
            key,
            &ip,
            locale,
        )
        .await;
    }
    let req: Option<AuthRequest> = get_json(p.store.as_ref(), &login_key(&pending.request_id))
        .await
        .or_page(locale)?;
    let Some(req) = req else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let account = match p.accounts.find_by_id(&pending.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(PageError::bad(locale, |t| t.login_expired).into()),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let amr = if pending.amr.is_empty() {
        vec!["pwd".to_owned()]
    } else {
        pending.amr.clone()
    };
    crate::stepup::after_first_factor(
        &p,
        &headers,
        &ip,
        &pending.request_id,
        &req,
        &account,
        amr,
        locale,
    )
    .await
}

/// The sign-in ends: the parked ticket is dropped; an OIDC relying party hears
/// `access_denied`, anyone else reads why.
async fn declined(
    p: &Provider,
    headers: &HeaderMap,
    pending: &Pending,
    ip: &str,
    locale: Locale,
) -> WebResult {
    agreement::decline(p, pending, ip).await;
    let taken = p
        .store
        .take(&login_key(&pending.request_id))
        .await
        .or_page(locale)?;
    let req: Option<AuthRequest> = taken.and_then(|b| serde_json::from_slice(&b).ok());
    if let Some(req) = req.filter(|r| r.ticket.is_oidc()) {
        let e = refusal(
            "access_denied",
            "the user did not accept the acceptable use agreement",
        );
        return Ok(error_redirect(
            p,
            &req.redirect_uri,
            req.state.as_deref(),
            e,
        ));
    }
    let a = AccountText::get(locale);
    let v = View {
        title: a.agreement_declined_title.into(),
        intro: vec![a.agreement_declined_text.into()],
        ..View::default()
    };
    Ok(web::widgets::send(
        p,
        headers,
        locale,
        &v,
        StatusCode::FORBIDDEN,
    ))
}
