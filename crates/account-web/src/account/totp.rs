//! The authenticator app (TOTP): enrol with a QR code, confirm with a code, remove.

use super::*;

fn totp_pending_key(sid: &str) -> String {
    format!(
        "totp-enrol:{}",
        platform::crypto::sha256_b64(sid.as_bytes())
    )
}

async fn totp_view(p: &Provider, me: &Me) -> Result<View, WebError> {
    let a = AccountText::get(me.locale);
    let l = me.locale.tag();
    let mut v = View {
        title: a.totp_title.into(),
        other_lang_href: lang_href("/account/totp", me.locale),
        nav: nav(a, me.locale),
        ..View::default()
    };
    if let Some(at) = me.account.totp_enrolled_at {
        v.intro.push(a.totp_enrolled.replace("{}", &date(at)));
        v.forms.push(Form {
            id: Some("remove".into()),
            action: format!("/account/totp?ui_locales={l}"),
            hidden: vec![("action".into(), "remove".into())],
            submit: a.totp_remove.into(),
            ..Form::default()
        });
        return Ok(v);
    }
    // A secret waits for confirmation (10 minutes), the same one on a reload.
    let key = totp_pending_key(&me.session.sid);
    let secret = platform::ephemeral::get_json::<String>(p.store.as_ref(), &key)
        .await
        .or_page(me.locale)?
        .and_then(|s| step_up::totp::from_base32(&s))
        .unwrap_or_default();
    let secret = if secret.is_empty() {
        let s = step_up::totp::new_secret();
        platform::ephemeral::put_json(p.store.as_ref(), &key, &step_up::totp::base32(&s), 600)
            .await
            .or_page(me.locale)?;
        s
    } else {
        secret
    };
    let uri = step_up::totp::otpauth_uri(
        p.cfg
            .issuer
            .trim_start_matches("https://")
            .trim_start_matches("http://"),
        &me.account.login_id,
        &secret,
    );
    v.svg = step_up::totp::qr_svg(&uri);
    v.intro.push(a.totp_enrol_intro.into());
    v.sections.push(Section {
        heading: None,
        rows: vec![(a.totp_key.into(), step_up::totp::base32(&secret))],
    });
    v.forms.push(Form {
        id: Some("enrol".into()),
        action: format!("/account/totp?ui_locales={l}"),
        hidden: vec![("action".into(), "confirm".into())],
        fieldsets: vec![Fieldset {
            fields: vec![Field::new("text", "code", a.code, "")
                .required()
                .auto("one-time-code")],
            ..Fieldset::default()
        }],
        submit: a.totp_confirm.into(),
        ..Form::default()
    });
    Ok(v)
}

/// GET /account/totp
#[tracing::instrument(skip_all)]
pub async fn totp(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/totp", Guard::Factor).await?;
    let v = totp_view(&p, &me).await?;
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// POST /account/totp (action = confirm | remove)
#[tracing::instrument(skip_all)]
pub async fn totp_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let mut me = me(&p, &headers, &params, "/account/totp", Guard::Factor).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let a = AccountText::get(me.locale);
    let notice;
    match form.get("action").map(String::as_str) {
        Some("confirm") => {
            let key = totp_pending_key(&me.session.sid);
            let secret = platform::ephemeral::get_json::<String>(p.store.as_ref(), &key)
                .await
                .ok()
                .flatten()
                .and_then(|s| step_up::totp::from_base32(&s));
            let code = form.get("code").map(String::as_str).unwrap_or("");
            let ok = secret
                .as_deref()
                .and_then(|s| step_up::totp::verify(s, code, p.clock.now(), None))
                .map(|step| (step, secret.clone().unwrap_or_default()));
            let Some((step, secret)) = ok else {
                let mut v = totp_view(&p, &me).await?;
                v.field_error("code", a.code_wrong);
                return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
            };
            p.accounts
                .set_totp(&me.account.id, &secret)
                .await
                .or_page(me.locale)?;
            // The confirming code is spent.
            let _ = p.accounts.use_totp_step(&me.account.id, step).await;
            let _ = p.store.delete(&key).await;
            audit_change(&p, &me, "account.totp_enrolled").await;
            notice = a.totp_done;
        }
        Some("remove") => {
            let phones = !p
                .accounts
                .challenge_phones(&me.account.id)
                .await
                .or_page(me.locale)?
                .is_empty()
                && !me.account.no_direct_number;
            let passkey = p
                .accounts
                .has_passkey(&me.account.id)
                .await
                .or_page(me.locale)?;
            if p.accounts
                .leaves_staff_without_factor(&me.account.id, passkey, phones)
                .await
                .or_page(me.locale)?
            {
                let mut v = totp_view(&p, &me).await?;
                v.errors.push((String::new(), a.staff_keep_factor.into()));
                return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
            }
            p.accounts
                .remove_totp(&me.account.id)
                .await
                .or_page(me.locale)?;
            audit_change(&p, &me, "account.totp_removed").await;
            notice = a.totp_removed;
        }
        _ => return Err(PageError::bad(me.locale, |t| t.bad_request).into()),
    }
    let Some(account) = p
        .accounts
        .find_by_id(&me.account.id)
        .await
        .or_page(me.locale)?
    else {
        return Err(PageError::bad(me.locale, |t| t.login_expired).into());
    };
    me.account = account;
    let mut v = totp_view(&p, &me).await?;
    v.notice = Some(notice.into());
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}
