//! Closing one's own account (004 §5.7.2, §6.7.2): after a recent step-up and a confirmation,
//! the holder ends their registration (`registration::closing`); the browser is signed out.

use super::*;
use axum::http::header;
use axum::response::IntoResponse;
use web::http::ClientIp;

fn close_view(a: &AccountText, locale: Locale) -> View {
    View {
        title: a.close_title.into(),
        other_lang_href: lang_href("/account/close", locale),
        nav: nav(a, locale),
        intro: vec![a.close_intro.into(), a.close_kept.into()],
        forms: vec![Form {
            id: Some("close".into()),
            action: format!("/account/close?ui_locales={}", locale.tag()),
            fieldsets: vec![Fieldset {
                fields: vec![Field::new("checkbox", "confirm", a.close_confirm, "").required()],
                ..Fieldset::default()
            }],
            submit: a.close_submit.into(),
            ..Form::default()
        }],
        ..View::default()
    }
}

/// GET /account/close: what closing does, and the confirmation (a step-up within
/// `stepup.recent_secs` first).
#[tracing::instrument(skip_all)]
pub async fn close(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/close", Guard::StepUp).await?;
    let a = AccountText::get(me.locale);
    Ok(send(
        &p,
        &headers,
        me.locale,
        &close_view(a, me.locale),
        StatusCode::OK,
    ))
}

/// POST /account/close (confirm = on): the account is closed and this browser signed out.
#[tracing::instrument(skip_all)]
pub async fn close_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/close", Guard::StepUp).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let a = AccountText::get(me.locale);
    if !form.contains_key("confirm") {
        let mut v = close_view(a, me.locale);
        v.field_error("confirm", a.close_must_confirm);
        return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
    }
    p.registration
        .close_own_account(&me.account.id, &ip)
        .await
        .or_page(me.locale)?;
    let v = View {
        title: a.closed_title.into(),
        intro: vec![a.closed_text.into()],
        ..View::default()
    };
    let mut r = send(&p, &headers, me.locale, &v, StatusCode::OK).into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, web::session::clear_cookie(&p));
    Ok(r)
}
