//! Passkeys on My Profile: the list (name, kind, added, last used), "Add a passkey" after a
//! recent step-up with any method the account has, whatever the step-up policy (a staff
//! account's with a phone, an app or a passkey), and removal. Adding
//! is a WebAuthn registration whose state waits in the ephemeral store for five minutes and
//! is taken once (`authorization_server::passkey`).

use super::*;
use authorization_server::passkey::{self as flow, FlowError};
use web::http::ClientIp;

const PATH: &str = "/account/passkeys";

/// The page: the account's passkeys, and the form that adds one (a new ceremony each time the
/// page is shown).
async fn passkeys_view(p: &Provider, me: &Me, typed_name: &str) -> Result<View, WebError> {
    let a = AccountText::get(me.locale);
    let l = me.locale.tag();
    let mut v = View {
        title: a.passkeys_title.into(),
        other_lang_href: lang_href(PATH, me.locale),
        nav: nav(a, me.locale),
        intro: vec![a.passkeys_intro.into()],
        script: Some(web::widgets::PASSKEY_SCRIPT),
        ..View::default()
    };
    let list = p
        .accounts
        .passkeys(&me.account.id)
        .await
        .or_page(me.locale)?;
    if list.is_empty() {
        v.intro.push(a.passkeys_none.into());
    }
    for k in &list {
        let kind = if k.backup_eligible {
            a.passkey_synced
        } else {
            a.passkey_bound
        };
        let used = k.last_used_at.map(date);
        v.sections.push(Section {
            heading: Some(k.name.clone()),
            rows: vec![(
                String::new(),
                a.passkey_row
                    .replace("{k}", kind)
                    .replace("{a}", &date(k.created_at))
                    .replace("{u}", used.as_deref().unwrap_or(a.passkey_never)),
            )],
        });
        v.forms.push(Form {
            id: Some(format!("remove-{}", k.id)),
            action: format!("{PATH}?ui_locales={l}"),
            hidden: vec![
                ("action".into(), "remove".into()),
                ("passkey".into(), k.id.clone()),
            ],
            submit: a.passkey_remove.replace("{}", &k.name),
            compact: true,
            ..Form::default()
        });
    }
    if list.len() >= credential_store::MAX_PASSKEYS {
        v.intro.push(a.passkey_too_many.into());
        return Ok(v);
    }
    let begun = match flow::begin_registration(p, &me.account).await {
        Ok(b) => b,
        Err(FlowError::Unavailable) => {
            v.intro.push(a.passkeys_unavailable.into());
            return Ok(v);
        }
        Err(e) => return Err(PageError::internal(me.locale, e).into()),
    };
    v.forms.push(Form {
        id: Some("add".into()),
        action: format!("{PATH}?ui_locales={l}"),
        hidden: vec![
            ("action".into(), "add".into()),
            ("t".into(), begun.token),
            ("options".into(), begun.options.to_string()),
            ("credential".into(), String::new()),
        ],
        fieldsets: vec![Fieldset {
            fields: vec![Field::new("text", "name", a.passkey_name, typed_name)
                .hint(a.passkey_name_hint)
                .required()
                .auto("off")],
            ..Fieldset::default()
        }],
        submit: a.passkey_add.into(),
        passkey: Some("create"),
        ..Form::default()
    });
    Ok(v)
}

/// GET /account/passkeys
#[tracing::instrument(skip_all)]
pub async fn passkeys(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = me(&p, &headers, &params, PATH, Guard::NewFactor).await?;
    let v = passkeys_view(&p, &me, "").await?;
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// POST /account/passkeys (action = add | remove)
#[tracing::instrument(skip_all)]
pub async fn passkeys_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let accept = web::http::locale(&headers, params.get("ui_locales").map(String::as_str));
    let form = web::forms::checked(&p, &headers, &body, accept)?;
    // Adding a passkey needs a step-up with what the account has; removing one is a change
    // like any factor's.
    let guard = if form.get("action").map(String::as_str) == Some("add") {
        Guard::NewFactor
    } else {
        Guard::Factor
    };
    let me = me(&p, &headers, &params, PATH, guard).await?;
    let a = AccountText::get(me.locale);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let notice = match get("action") {
        "add" => {
            let typed = get("name");
            let name = match credential_store::passkey_name(typed) {
                Ok(n) => n,
                Err(e) => {
                    let (kept, why) = match e {
                        credential_store::PasskeyNameError::Empty => ("", a.required),
                        credential_store::PasskeyNameError::TooLong => {
                            (typed, a.passkey_name_too_long)
                        }
                    };
                    let mut v = passkeys_view(&p, &me, kept).await?;
                    v.field_error("name", why);
                    return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
                }
            };
            let r = flow::finish_registration(
                &p,
                &me.account.id,
                get("t"),
                get("credential"),
                &name,
                &ip,
            )
            .await;
            let problem = match r {
                Ok(_) => {
                    web::widgets::mail_passkey_added(&p, &me.account, &name);
                    None
                }
                Err(e) if e.is_internal() => return Err(PageError::internal(me.locale, e).into()),
                Err(FlowError::Exists) => Some(a.passkey_exists),
                Err(FlowError::TooMany) => Some(a.passkey_too_many),
                Err(FlowError::Unavailable) => Some(a.passkeys_unavailable),
                Err(e) => {
                    tracing::info!(error = %e, "passkey not added");
                    Some(a.passkey_failed)
                }
            };
            if let Some(problem) = problem {
                let mut v = passkeys_view(&p, &me, &name).await?;
                v.errors.push((String::new(), problem.into()));
                return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
            }
            a.passkey_added
        }
        "remove" => {
            let id = get("passkey");
            let list = p
                .accounts
                .passkeys(&me.account.id)
                .await
                .or_page(me.locale)?;
            // A staff account keeps a factor that proves possession.
            let others = list.iter().any(|k| k.id != id);
            let phones = !me.account.no_direct_number
                && !p
                    .accounts
                    .challenge_phones(&me.account.id)
                    .await
                    .or_page(me.locale)?
                    .is_empty();
            let totp = me.account.totp_enrolled_at.is_some() || others;
            if p.accounts
                .leaves_staff_without_factor(&me.account.id, totp, phones)
                .await
                .or_page(me.locale)?
            {
                let mut v = passkeys_view(&p, &me, "").await?;
                v.errors.push((String::new(), a.staff_keep_factor.into()));
                return Ok(send(&p, &headers, me.locale, &v, StatusCode::BAD_REQUEST));
            }
            let removed = flow::remove(&p, &me.account.id, id, &me.account.id, &ip)
                .await
                .or_page(me.locale)?;
            if removed.is_none() {
                return Err(PageError::bad(me.locale, |t| t.bad_request).into());
            }
            a.passkey_removed
        }
        _ => return Err(PageError::bad(me.locale, |t| t.bad_request).into()),
    };
    let mut v = passkeys_view(&p, &me, "").await?;
    v.notice = Some(notice.into());
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}
