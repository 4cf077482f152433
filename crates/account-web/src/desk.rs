//! The service desk: an agent (an account with the `service_desk` role) finds an account by
//! login ID, name or registration number, reveals its two service-desk answers to verify a
//! caller (audited), unlocks it, or issues a temporary password (shown once, to be changed at
//! the first sign-in). Agents never see online answers or passwords.
//!
//! Least privilege: an agent works stepped up recently with a phone or an authenticator app
//! (as in the LRA and administration consoles), acts on clinicians only (never on a staff
//! account, an administrator's job, nor on their own), and confirms before issuing a
//! temporary password or revealing answers. Every refusal is audited.

use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};

use credential_store::staff::DeskRefusal;
use credential_store::Account;
use platform::audit::AuditEvent;
use platform::Locale;
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Form, Section, View};
use web::http::{parse_query, ClientIp, Params};
use web::signed_in::{me, Guard, Me};
use web::widgets::{date, datetime, send, status_text};

/// The role that opens the service desk.
pub const DESK_ROLE: &str = "service_desk";

async fn agent(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
    return_to: &str,
) -> Result<Me, WebError> {
    let me = me(p, headers, params, return_to, Guard::Session).await?;
    match p.accounts.has_role(&me.account.id, DESK_ROLE).await {
        // Then a recent step-up with a phone or an authenticator app, as for the consoles.
        Ok(true) => Ok(web::signed_in::me(p, headers, params, return_to, Guard::Staff).await?),
        Ok(false) => {
            let a = AccountText::get(me.locale);
            let v = View {
                title: a.desk_title.into(),
                errors: vec![(String::new(), a.desk_forbidden.into())],
                links: web::widgets::places(p, &me.account.id, me.locale)
                    .await
                    .unwrap_or_default(),
                ..View::default()
            };
            Err(send(p, headers, me.locale, &v, StatusCode::FORBIDDEN).into())
        }
        Err(e) => Err(PageError::internal(me.locale, e).into()),
    }
}

fn search_form(locale: Locale, q: &str) -> Form {
    let a = AccountText::get(locale);
    Form::filters(
        "/desk",
        locale,
        vec![Field::new("text", "q", a.desk_search, q)
            .hint(a.desk_search_hint)
            .auto("off")],
        a.search,
        &[],
    )
}

/// GET /desk?q=...
#[tracing::instrument(skip_all)]
pub async fn search(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = agent(&p, &headers, &params, "/desk").await?;
    let query = params.get("q").cloned().unwrap_or_default();
    search_page(&p, &headers, &me, &query).await
}

/// POST /desk (the search form)
#[tracing::instrument(skip_all)]
pub async fn search_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = agent(&p, &headers, &params, "/desk").await?;
    let form = web::forms::checked(&p, &headers, &body, me.locale)?;
    let query = form.get("q").cloned().unwrap_or_default();
    search_page(&p, &headers, &me, &query).await
}

async fn search_page(p: &Provider, headers: &HeaderMap, me: &Me, query: &str) -> WebResult {
    let a = AccountText::get(me.locale);
    let mut v = View {
        title: a.desk_title.into(),
        other_lang_href: Some(
            web::lists::ListAddress::new("/desk", me.locale)
                .with("q", query)
                .other_language(me.locale),
        ),
        nav: desk_nav(p, me).await?,
        forms: vec![search_form(me.locale, query)],
        wide: true,
        ..View::default()
    };
    if !query.trim().is_empty() {
        let found = p.accounts.search(query).await.or_page(me.locale)?;
        if found.is_empty() {
            v.intro.push(a.desk_no_results.into());
        }
        v.table_head = vec![a.login_id.into(), a.name.into(), a.status.into()];
        v.table = found
            .iter()
            .map(|acc| {
                vec![
                    (
                        format!("/desk/account?id={}&ui_locales={}", acc.id, me.locale.tag()),
                        acc.login_id.clone(),
                    ),
                    (String::new(), acc.display_name()),
                    (String::new(), status_text(a, acc.status).into()),
                ]
            })
            .collect();
    }
    Ok(send(p, headers, me.locale, &v, StatusCode::OK))
}

/// The desk's navigation: the search, the other places the agent's roles open, sign out.
async fn desk_nav(p: &Provider, me: &Me) -> Result<Vec<(String, String)>, WebError> {
    let a = AccountText::get(me.locale);
    let mut nav = vec![(
        format!("/desk?ui_locales={}", me.locale.tag()),
        a.desk_title.to_owned(),
    )];
    nav.extend(
        web::widgets::places(p, &me.account.id, me.locale)
            .await
            .or_page(me.locale)?
            .into_iter()
            .filter(|(href, _)| !href.starts_with("/desk")),
    );
    nav.push(("/logout".into(), a.nav_sign_out.into()));
    Ok(nav)
}

/// What the page says for a refusal.
fn refusal_text(a: &AccountText, why: DeskRefusal) -> &'static str {
    match why {
        DeskRefusal::OwnAccount => a.desk_own_account,
        DeskRefusal::StaffAccount => a.desk_staff_account,
    }
}

async fn account_view(
    p: &Provider,
    locale: Locale,
    acc: &Account,
    refused: Option<&str>,
) -> Result<View, WebError> {
    let a = AccountText::get(locale);
    let designations = p.accounts.designations(&acc.id).await.or_page(locale)?;
    let now = p.clock.now();
    let none = || a.none.to_owned();
    let mut rows = vec![
        (a.login_id.into(), acc.login_id.clone()),
        (a.name.into(), acc.display_name()),
        (
            a.legal_name.into(),
            format!(
                "{} {}",
                acc.legal_given_name.as_deref().unwrap_or(""),
                acc.legal_family_name.as_deref().unwrap_or("")
            )
            .trim()
            .to_owned(),
        ),
        (
            a.birth_date.into(),
            acc.birth_date.clone().unwrap_or_else(none),
        ),
        (a.email.into(), acc.email.clone().unwrap_or_else(none)),
        (
            a.phone.into(),
            acc.phone
                .as_deref()
                .map(credential_store::display_phone)
                .unwrap_or_else(none),
        ),
        (a.status.into(), status_text(a, acc.status).into()),
        (a.assurance.into(), format!("AL{}", acc.assurance_level)),
        (
            a.designations.into(),
            if designations.is_empty() {
                none()
            } else {
                designations
                    .iter()
                    .map(|d| format!("{} {}", d.college, d.registration_number))
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        ),
        (a.password_changed.into(), date(acc.password_changed_at)),
    ];
    // Whether sign-in is locked, and so whether "Unlock" has anything to do.
    let locked_for_now = acc.locked_until.filter(|t| *t > now);
    let locked = locked_for_now.is_some() || acc.status == credential_store::AccountStatus::Locked;
    rows.push((
        a.sign_in_state.into(),
        match locked_for_now {
            Some(t) => format!("{} {}", a.locked_until, datetime(t)),
            None if locked => status_text(a, acc.status).into(),
            None => a.not_locked.into(),
        },
    ));
    let action = format!("/desk/account?id={}&ui_locales={}", acc.id, locale.tag());
    // The passkeys, each removable (a lost phone or key); the desk never adds one.
    let passkeys = p.accounts.passkeys(&acc.id).await.or_page(locale)?;
    let passkey_rows: Vec<(String, String)> = passkeys
        .iter()
        .map(|k| {
            let used = k.last_used_at.map(date);
            let kind = if k.backup_eligible {
                a.passkey_synced
            } else {
                a.passkey_bound
            };
            (
                k.name.clone(),
                a.passkey_row
                    .replace("{k}", kind)
                    .replace("{a}", &date(k.created_at))
                    .replace("{u}", used.as_deref().unwrap_or(a.passkey_never)),
            )
        })
        .collect();
    let op = |name: &str, label: &str| Form {
        id: Some(name.into()),
        action: action.clone(),
        hidden: vec![("op".into(), name.into())],
        submit: label.into(),
        ..Form::default()
    };
    Ok(View {
        wide: true,
        title: acc.login_id.clone(),
        other_lang_href: Some(format!(
            "/desk/account?id={}&ui_locales={}",
            acc.id,
            locale.other().tag()
        )),
        sections: vec![
            Section {
                heading: None,
                rows,
            },
            Section {
                heading: Some(a.passkeys_title.into()),
                rows: if passkey_rows.is_empty() {
                    vec![(a.none.into(), String::new())]
                } else {
                    passkey_rows
                },
            },
        ],
        forms: if refused.is_some() {
            Vec::new()
        } else {
            let mut ops = vec![op("reveal", a.reveal_answers)];
            if locked {
                ops.push(op("unlock", a.unlock));
            }
            ops.push(op("temporary", a.issue_temporary));
            for k in &passkeys {
                ops.push(Form {
                    id: Some(format!("remove-passkey-{}", k.id)),
                    action: action.clone(),
                    hidden: vec![
                        ("op".into(), "remove_passkey".into()),
                        ("passkey".into(), k.id.clone()),
                    ],
                    submit: a.passkey_remove.replace("{}", &k.name),
                    compact: true,
                    ..Form::default()
                });
            }
            ops
        },
        intro: refused.map(str::to_owned).into_iter().collect(),
        links: vec![(
            format!("/desk?ui_locales={}", locale.tag()),
            a.back_to_search.into(),
        )],
        ..View::default()
    })
}

async fn find(p: &Provider, locale: Locale, params: &Params) -> Result<Account, WebError> {
    let id = params.get("id").map(String::as_str).unwrap_or("");
    match p.accounts.find_by_id(id).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => {
            let a = AccountText::get(locale);
            Err(
                web::pages::error_page(locale, a.no_such_account, None, StatusCode::NOT_FOUND)
                    .into(),
            )
        }
        Err(e) => Err(PageError::internal(locale, e).into()),
    }
}

/// GET /desk/account?id=...
#[tracing::instrument(skip_all)]
pub async fn account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = agent(&p, &headers, &params, "/desk").await?;
    let acc = find(&p, me.locale, &params).await?;
    let refused = p
        .accounts
        .desk_refusal(&me.account.id, &acc)
        .await
        .or_page(me.locale)?
        .map(|why| refusal_text(AccountText::get(me.locale), why));
    let mut v = account_view(&p, me.locale, &acc, refused).await?;
    v.nav = desk_nav(&p, &me).await?;
    Ok(send(&p, &headers, me.locale, &v, StatusCode::OK))
}

/// POST /desk/account?id=... (op = reveal | unlock | temporary | remove_passkey)
#[tracing::instrument(skip_all)]
pub async fn account_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let me = agent(&p, &headers, &params, "/desk").await?;
    let locale = me.locale;
    let a = AccountText::get(locale);
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let acc = find(&p, locale, &params).await?;
    let op = form.get("op").map(String::as_str).unwrap_or("");
    let audit = |event: &'static str| AuditEvent {
        event,
        actor: Some(&me.account.id),
        subject: Some(&acc.id),
        source: Some(&ip),
        ..Default::default()
    };
    // A staff account, or the agent's own, is refused whatever the form says (it carries no
    // such action, so this is a forged or stale post).
    let refused = p
        .accounts
        .desk_refusal(&me.account.id, &acc)
        .await
        .or_page(locale)?;
    if let Some(why) = refused {
        let detail = format!("op={op:?} target={}", why.target());
        let _ = p
            .audit
            .record(AuditEvent {
                detail: Some(&detail),
                ..audit("desk.refused")
            })
            .await;
        let v = View {
            title: a.desk_title.into(),
            errors: vec![(String::new(), refusal_text(a, why).into())],
            links: vec![(
                format!("/desk?ui_locales={}", locale.tag()),
                a.back_to_search.into(),
            )],
            ..View::default()
        };
        return Ok(send(&p, &headers, locale, &v, StatusCode::FORBIDDEN));
    }
    // Issuing a temporary password and revealing answers are confirmed first.
    if matches!(op, "reveal" | "temporary")
        && form.get("confirm").map(String::as_str) != Some("yes")
    {
        let back = format!("/desk/account?id={}&ui_locales={}", acc.id, locale.tag());
        let (question, submit) = if op == "reveal" {
            (a.desk_confirm_reveal, a.reveal_answers)
        } else {
            (a.desk_confirm_temporary, a.issue_temporary)
        };
        let v = View {
            title: a.desk_confirm_title.into(),
            intro: vec![question.replace("{}", &acc.login_id)],
            forms: vec![Form {
                id: Some("confirm".into()),
                action: back.clone(),
                hidden: vec![("op".into(), op.into()), ("confirm".into(), "yes".into())],
                submit: submit.into(),
                ..Form::default()
            }],
            links: vec![(back, a.cancel.into())],
            ..View::default()
        };
        return Ok(send(&p, &headers, locale, &v, StatusCode::OK));
    }
    let mut extra = Vec::new();
    let mut notice = None;
    match op {
        "reveal" => {
            let answers = p
                .accounts
                .reveal_desk_answers(&acc.id)
                .await
                .or_page(locale)?;
            let _ = p.audit.record(audit("desk.answers_revealed")).await;
            let rows = answers
                .iter()
                .map(|qa| {
                    (
                        credential_store::question(&qa.question_id)
                            .map(|q| q.text(locale).to_owned())
                            .unwrap_or_else(|| qa.question_id.clone()),
                        qa.answer.clone(),
                    )
                })
                .collect::<Vec<_>>();
            extra.push(Section {
                heading: Some(a.desk_answers.into()),
                rows: if rows.is_empty() {
                    vec![(a.desk_no_answers.into(), String::new())]
                } else {
                    rows
                },
            });
        }
        "unlock" => {
            // The desk lifts a lock (failures or its own); suspension and termination are
            // decisions of a sponsor or an administrator and stay.
            if p.accounts.desk_unlock(&acc).await.or_page(locale)? {
                let _ = p.audit.record(audit("desk.account_unlocked")).await;
                notice = Some(a.unlocked.to_owned());
            } else {
                notice = Some(status_text(a, acc.status).to_owned());
            }
        }
        "temporary" => {
            let password = p
                .accounts
                .issue_temporary_password(&acc.id)
                .await
                .or_page(locale)?;
            let _ = p
                .audit
                .record(audit("desk.temporary_password_issued"))
                .await;
            notice = Some(a.temporary_issued.replace("{}", &password));
        }
        "remove_passkey" => {
            // A lost phone or key: the holder cannot remove it themselves. Audited
            // `passkey.removed` with the agent as actor.
            let id = form.get("passkey").map(String::as_str).unwrap_or("");
            let removed =
                authorization_server::passkey::remove(&p, &acc.id, id, &me.account.id, &ip)
                    .await
                    .or_page(locale)?;
            if removed.is_none() {
                return Err(PageError::bad(locale, |t| t.bad_request).into());
            }
            notice = Some(a.passkey_removed.to_owned());
        }
        _ => return Err(PageError::bad(locale, |t| t.bad_request).into()),
    }
    let acc = find(&p, locale, &params).await?;
    let mut v = account_view(&p, locale, &acc, None).await?;
    v.nav = desk_nav(&p, &me).await?;
    v.sections.extend(extra);
    v.notice = notice;
    Ok(send(&p, &headers, locale, &v, StatusCode::OK))
}
