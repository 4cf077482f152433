//! The consent page of third-party apps: before a code, the person reads what the app asks in
//! plain English or French, may untick what is optional, and allows or denies. What they
//! allow is remembered (`authorization_server::consent`) and not asked again until the app
//! asks more (or `prompt=consent`); My Profile lists it and takes it back. Province viewers
//! (not third-party) never ask.

use super::*;
use authorization_server::consent::{self, describe};
use web::forms::{Field, Fieldset, Form, View};

struct ConsentText {
    title: &'static str,
    intro: &'static str,
    always: &'static str,
    optional: &'static str,
    later: &'static str,
    allow: &'static str,
    deny: &'static str,
}

static EN: ConsentText = ConsentText {
    title: "{app} asks for access",
    intro: "{app} is not run by the province. Choose what it may have.",
    always: "It will always know:",
    optional: "It asks for (untick what you do not want to share):",
    later: "You can take this back at any time in My Profile, under Apps.",
    allow: "Allow",
    deny: "Deny",
};

static FR: ConsentText = ConsentText {
    title: "{app} demande l’accès",
    intro: "{app} n’est pas exploitée par la province. Choisissez ce qu’elle peut obtenir.",
    always: "Elle saura toujours :",
    optional: "Elle demande (décochez ce que vous ne voulez pas partager) :",
    later: "Vous pouvez retirer cet accès en tout temps dans Mon profil, sous Applications.",
    allow: "Permettre",
    deny: "Refuser",
};

fn text(locale: Locale) -> &'static ConsentText {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

/// The scopes of `req` the person may leave out (all but who they are and the launch).
fn optional(req: &AuthRequest) -> Vec<String> {
    req.scope
        .split_whitespace()
        .filter(|s| !consent::REQUIRED.contains(s))
        .map(str::to_owned)
        .collect()
}

fn view(req: &AuthRequest, token: &str, locale: Locale) -> View {
    let t = text(locale);
    let app = req.client_name.as_str();
    let required: Vec<String> = req
        .scope
        .split_whitespace()
        .filter(|s| consent::REQUIRED.contains(s))
        .map(|s| format!("• {}", describe(s, locale)))
        .collect();
    let mut intro = vec![t.intro.replace("{app}", app), t.always.into()];
    intro.extend(required);
    let fields: Vec<Field> = optional(req)
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut f = Field::new("checkbox", &format!("scope_{i}"), &describe(s, locale), "");
            f.checked = true;
            f
        })
        .collect();
    let fieldsets = if fields.is_empty() {
        Vec::new()
    } else {
        vec![Fieldset {
            legend: Some(t.optional.into()),
            fields,
            ..Fieldset::default()
        }]
    };
    View {
        title: t.title.replace("{app}", app),
        intro,
        forms: vec![Form {
            id: Some("consent".into()),
            action: "/authorize/consent".into(),
            hidden: vec![
                ("consent".into(), token.to_owned()),
                ("ui_locales".into(), locale.tag().to_owned()),
            ],
            fieldsets,
            submit: t.allow.into(),
            button_name: Some("allow".into()),
            buttons: vec![("deny".into(), "1".into(), t.deny.into())],
            ..Form::default()
        }],
        links: vec![("/account/apps".into(), t.later.into())],
        ..View::default()
    }
}

/// Before a code for `client`: `None` when it may go on (not a third-party app, or everything
/// asked was allowed before), else the consent page (or, with `prompt=none`,
/// `consent_required` to the app).
pub(crate) async fn ask_if_needed(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    session_key: &str,
    s: &SsoSession,
    locale: Locale,
) -> Result<Option<Response>, WebError> {
    if !client.third_party {
        return Ok(None);
    }
    let had = consent::granted(p, &s.account_id, &client.client_id)
        .await
        .or_page(locale)?;
    if !consent::needed(had.as_deref(), &req.scope, req.prompt_consent) {
        return Ok(None);
    }
    let question = (req, session_key, s);
    let none = ("consent_required", "the user must consent to this app");
    let r = pause::pause(p, "consent", "/authorize/consent", question, none, locale).await?;
    Ok(Some(r))
}

/// GET /authorize/consent?c=TOKEN: the consent page, to the browser that was asked only.
#[tracing::instrument(skip_all)]
pub async fn consent_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = web::http::locale(&headers, params.get("ui_locales").map(String::as_str));
    let token = params.get("c").map(String::as_str).unwrap_or("");
    let (parked, _, _) = pause::here(&p, &headers, "consent", token, locale).await?;
    Ok(web::widgets::send(
        &p,
        &headers,
        locale,
        &view(&parked.req, token, locale),
        StatusCode::OK,
    ))
}

/// POST /authorize/consent: allowed, what was ticked is remembered and the sign-in goes on
/// with it (the patient picker next, for a standalone launch; then the code); denied, the app
/// hears `access_denied`.
#[tracing::instrument(skip_all)]
pub async fn consent_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    let locale = web::http::locale(&headers, form.get("ui_locales").map(String::as_str));
    let Some(token) = form.get("consent") else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    let (_, key_now, s) = pause::here(&p, &headers, "consent", token, locale).await?;
    let pause::Paused {
        mut req,
        account_id,
        ..
    } = pause::take(&p, "consent", token, locale).await?;
    if form.contains_key("deny") || !form.contains_key("allow") {
        let _ = p
            .audit
            .record(AuditEvent {
                event: "consent.denied",
                actor: Some(&account_id),
                subject: Some(&account_id),
                client_id: Some(&req.client_id),
                session_id: Some(&s.sid),
                ..Default::default()
            })
            .await;
        let e = refusal("access_denied", "the user did not allow this app");
        return Ok(error_redirect(
            &p,
            &req.redirect_uri,
            req.state.as_deref(),
            e,
        ));
    }
    let optional = optional(&req);
    let kept: Vec<&str> = req
        .scope
        .split_whitespace()
        .filter(|s| {
            consent::REQUIRED.contains(s)
                || optional
                    .iter()
                    .position(|o| o == s)
                    .is_some_and(|i| form.contains_key(&format!("scope_{i}")))
        })
        .collect();
    let unticked: Vec<&String> = optional
        .iter()
        .filter(|o| !kept.contains(&o.as_str()))
        .collect();
    // Remembered: what was allowed before and now, less what was unticked now.
    let before = consent::granted(&p, &account_id, &req.client_id)
        .await
        .or_page(locale)?
        .unwrap_or_default();
    let mut remembered: Vec<String> = before
        .into_iter()
        .filter(|b| !unticked.contains(&b))
        .collect();
    for k in &kept {
        if !remembered.iter().any(|r| r == k) {
            remembered.push((*k).to_owned());
        }
    }
    consent::remember(&p, &account_id, &req.client_id, &remembered.join(" "))
        .await
        .or_page(locale)?;
    let _ = p
        .audit
        .record(AuditEvent {
            event: "consent.granted",
            actor: Some(&account_id),
            subject: Some(&account_id),
            client_id: Some(&req.client_id),
            session_id: Some(&s.sid),
            detail: Some(&kept.join(" ")),
            ..Default::default()
        })
        .await;
    req.scope = kept.join(" ");
    // Answered: what else is to be asked (a standalone launch's patient) comes next, then
    // the code.
    req.prompt_consent = false;
    super::issue_code(&p, &req, &key_now, s, locale).await
}
