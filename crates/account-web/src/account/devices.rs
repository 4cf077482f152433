//! Recognized computers: list and forget the browsers remembered after a step-up.

use super::*;

async fn devices_view(p: &Provider, headers: &HeaderMap, me: &Me) -> Result<View, WebError> {
    let a = AccountText::get(me.locale);
    let now = p.clock.now();
    let list = p.devices.list(&me.account.id).await.or_page(me.locale)?;
    // This browser, when it is one of them.
    let token = web::http::cookie(p, headers, web::session::DEVICE_COOKIE);
    let this = p
        .devices
        .recognize(&me.account.id, token.as_deref())
        .await
        .or_page(me.locale)?
        .map(|d| d.id);
    let mut v = View {
        title: a.devices_title.into(),
        other_lang_href: lang_href("/account/devices", me.locale),
        nav: nav(a, me.locale),
        intro: vec![a.devices_intro.into()],
        ..View::default()
    };
    let trusted: Vec<_> = list.iter().filter(|d| d.trusted(now)).collect();
    if trusted.is_empty() {
        v.intro.push(a.devices_none.into());
    }
    for d in trusted {
        let browser = step_up::devices::browser_summary_in(&d.browser, me.locale);
        // Two "Chrome on Linux" read apart by when they were first remembered; this one
        // is marked.
        let mut heading = a
            .device_heading
            .replace("{b}", &browser)
            .replace("{f}", &date(d.created_at));
        if this.as_deref() == Some(d.id.as_str()) {
            heading = format!("{heading} {}", a.device_this);
        }
        v.sections.push(Section {
            heading: Some(heading.clone()),
            rows: vec![(
                String::new(),
                a.device_row
                    .replace("{b}", &browser)
                    .replace("{n}", &d.network)
                    .replace("{f}", &date(d.created_at))
                    .replace("{l}", &date(d.last_seen_at))
                    .replace("{u}", &date(d.trusted_until)),
            )],
        });
        v.forms.push(Form {
            id: Some(format!("revoke-{}", d.id)),
            action: format!("/account/devices?ui_locales={}", me.locale.tag()),
            hidden: vec![("device".into(), d.id.clone())],
            submit: a.device_revoke.replace("{}", &heading),
            compact: true,
            ..Form::default()
        });
    }
    Ok(v)
}

/// GET /account/devices
#[tracing::instrument(skip_all)]
pub async fn devices(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/devices", Guard::Session).await?;
    let v = devices_view(&p, &headers, &me).await?;
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// POST /account/devices (device = id): forgets a recognized computer.
#[tracing::instrument(skip_all)]
pub async fn devices_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/devices", Guard::Session).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let id = form.get("device").map(String::as_str).unwrap_or("");
    let revoked = p
        .devices
        .revoke(&me.account.id, id)
        .await
        .or_page(me.locale)?;
    if revoked {
        audit_change(&p, &me, "device.revoked").await;
    }
    let mut v = devices_view(&p, &headers, &me).await?;
    if revoked {
        v.notice = Some(AccountText::get(me.locale).device_revoked.into());
    }
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}
