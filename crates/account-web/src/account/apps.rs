//! Apps: the third-party apps the person allowed (the consent page's answers), what each may
//! have, and taking an app's access back (its refresh tokens for this person end with it).

use super::*;
use authorization_server::consent;

pub(super) struct AppsText {
    pub nav: &'static str,
    title: &'static str,
    intro: &'static str,
    none: &'static str,
    allowed_on: &'static str,
    revoke: &'static str,
    revoked: &'static str,
}

static EN: AppsText = AppsText {
    nav: "Apps",
    title: "Apps you allowed",
    intro: "Apps not run by the province that you allowed to act for you, and what each may \
            have. Take an app's access back and it must ask you again.",
    none: "You have not allowed any app.",
    allowed_on: "Allowed on {d}",
    revoke: "Take back the access of {app}",
    revoked: "Access taken back.",
};

static FR: AppsText = AppsText {
    nav: "Applications",
    title: "Applications que vous avez permises",
    intro: "Les applications non exploitées par la province que vous avez autorisées à agir \
            pour vous, et ce que chacune peut obtenir. Retirez l’accès d’une application et \
            elle devra vous le redemander.",
    none: "Vous n’avez permis aucune application.",
    allowed_on: "Permise le {d}",
    revoke: "Retirer l’accès de {app}",
    revoked: "Accès retiré.",
};

pub(super) fn text(locale: Locale) -> &'static AppsText {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

async fn apps_view(p: &Provider, me: &Me) -> Result<View, WebError> {
    let a = AccountText::get(me.locale);
    let t = text(me.locale);
    let list = consent::list(p, &me.account.id).await.or_page(me.locale)?;
    let mut v = View {
        title: t.title.into(),
        other_lang_href: lang_href("/account/apps", me.locale),
        nav: nav(a, me.locale),
        intro: vec![t.intro.into()],
        ..View::default()
    };
    if list.is_empty() {
        v.intro.push(t.none.into());
    }
    for c in list {
        let name = match p.clients.get(&c.client_id).await.or_page(me.locale)? {
            Some(client) => client.name.clone(),
            None => c.client_id.clone(),
        };
        let mut rows = vec![(
            String::new(),
            t.allowed_on.replace("{d}", &date(c.granted_at)),
        )];
        rows.extend(
            c.scopes
                .iter()
                .map(|s| (String::new(), consent::describe(s, me.locale))),
        );
        v.sections.push(Section {
            heading: Some(name.clone()),
            rows,
        });
        v.forms.push(Form {
            id: Some(format!("revoke-{}", v.forms.len())),
            action: format!("/account/apps?ui_locales={}", me.locale.tag()),
            hidden: vec![("client".into(), c.client_id.clone())],
            submit: t.revoke.replace("{app}", &name),
            compact: true,
            ..Form::default()
        });
    }
    Ok(v)
}

/// GET /account/apps
#[tracing::instrument(skip_all)]
pub async fn apps(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/apps", Guard::Session).await?;
    let v = apps_view(&p, &me).await?;
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// POST /account/apps (client = id): takes an app's access back.
#[tracing::instrument(skip_all)]
pub async fn apps_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, "/account/apps", Guard::Session).await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let client = form.get("client").map(String::as_str).unwrap_or("");
    let revoked = consent::revoke(&p, &me.account.id, client)
        .await
        .or_page(me.locale)?;
    if revoked {
        let _ = p
            .audit
            .record(AuditEvent {
                event: "consent.revoked",
                actor: Some(&me.account.id),
                subject: Some(&me.account.id),
                client_id: Some(client),
                ..Default::default()
            })
            .await;
    }
    let mut v = apps_view(&p, &me).await?;
    if revoked {
        v.notice = Some(text(me.locale).revoked.into());
    }
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}
