//! Console pages for accounts: find, then suspend, reinstate or terminate.

use super::provenance::{self, ProvenanceText};
use super::{form_request, not_found, page, page_request, send, send_detail, show_error, Admin};
use crate::admin_api::ApiError;
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use credential_store::{Account, AccountStatus};
use registration::{Actor, AdminError, StatusChange};
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::widgets::status_text;

// ---------------------------------------------------------------- accounts

async fn accounts_page(p: &Provider, headers: &HeaderMap, a: &Admin, q: &str) -> WebResult {
    let t = AdminText::get(a.locale);
    let at = AccountText::get(a.locale);
    let mut v = page(a, t.accounts_title, "/admin/accounts");
    v.forms.push(Form {
        id: Some("search".into()),
        action: a.href("/admin/accounts"),
        fieldsets: vec![Fieldset {
            fields: vec![Field::new("text", "q", t.search_label, q).auto("off")],
            ..Fieldset::default()
        }],
        submit: t.search.into(),
        ..Form::default()
    });
    if !q.trim().is_empty() {
        let found = match p.accounts.search(q).await {
            Ok(f) => f,
            Err(e) => return Err(PageError::internal(a.locale, e).into()),
        };
        if found.is_empty() {
            v.intro.push(t.no_accounts.into());
        }
        v.table_head = vec![t.login_id.into(), t.name.into(), t.status.into()];
        v.table = found
            .iter()
            .map(|acc| {
                vec![
                    (
                        a.href(&format!("/admin/accounts/{}", acc.id)),
                        acc.login_id.clone(),
                    ),
                    (String::new(), acc.display_name()),
                    (String::new(), status_text(at, acc.status).into()),
                ]
            })
            .collect();
    }
    Ok(send(p, headers, a, &v, true))
}

/// GET /admin/accounts?q=...
#[tracing::instrument(skip_all)]
pub(super) async fn accounts(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/accounts").await?;
    let q = params.get("q").cloned().unwrap_or_default();
    accounts_page(&p, &headers, &a, &q).await
}

/// POST /admin/accounts (the search form)
#[tracing::instrument(skip_all)]
pub(super) async fn accounts_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/accounts").await?;
    let q = form.get("q").cloned().unwrap_or_default();
    accounts_page(&p, &headers, &a, &q).await
}

async fn account_view(p: &Provider, a: &Admin, acc: &Account) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let at = AccountText::get(a.locale);
    let roles = p
        .registration
        .directory
        .roles_of(&acc.id)
        .await
        .or_page(a.locale)?;
    let provenance = p
        .registration
        .account_provenance(&acc.id)
        .await
        .or_page(a.locale)?;
    let path = format!("/admin/accounts/{}", acc.id);
    let mut v = page(a, &acc.login_id, &path);
    v.sections.push(Section {
        heading: None,
        rows: vec![
            (t.login_id.into(), acc.login_id.clone()),
            (t.name.into(), acc.display_name()),
            (t.status.into(), status_text(at, acc.status).into()),
            (at.assurance.into(), format!("AL{}", acc.assurance_level)),
            (
                t.roles.into(),
                if roles.is_empty() {
                    at.none.into()
                } else {
                    roles
                        .iter()
                        .map(|(r, s)| {
                            if s.is_empty() {
                                r.clone()
                            } else {
                                format!("{r} ({s})")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            ),
        ],
    });
    v.sections
        .extend(provenance::sections(a.locale, &provenance));
    let mut export = url::form_urlencoded::Serializer::new(String::new());
    export.append_pair("account", &acc.id);
    export.append_pair("include", "provenance");
    v.links.push((
        a.href(&format!("/admin/audit/export?{}", export.finish())),
        ProvenanceText::get(a.locale).export.into(),
    ));
    let action = a.href(&path);
    let reason = |op: &str| Field::new("text", &format!("{op}_reason"), t.reason, "").auto("off");
    let form = |op: &str, submit: &str, fields: Vec<Field>| Form {
        id: Some(op.into()),
        action: action.clone(),
        hidden: vec![("op".into(), op.into())],
        fieldsets: if fields.is_empty() {
            Vec::new()
        } else {
            vec![Fieldset {
                fields,
                ..Fieldset::default()
            }]
        },
        submit: submit.into(),
        ..Form::default()
    };
    match acc.status {
        AccountStatus::Terminated => {}
        AccountStatus::Suspended => {
            v.forms
                .push(form("reinstate", t.reinstate, vec![reason("reinstate")]));
        }
        AccountStatus::Active | AccountStatus::Locked => {
            v.forms
                .push(form("suspend", t.suspend, vec![reason("suspend")]));
            if acc.status == AccountStatus::Locked {
                v.forms
                    .push(form("reinstate", t.reinstate, vec![reason("reinstate")]));
            }
        }
    }
    let locked = acc.locked_until.is_some_and(|t| t > p.clock.now());
    if acc.status == AccountStatus::Active && locked {
        v.forms.push(form("unlock", t.unlock, Vec::new()));
    }
    if acc.status != AccountStatus::Terminated {
        // What the service desk does for a clinician, an administrator does for anyone
        // (staff accounts included, which the desk does not touch), confirmed and audited.
        let confirm = |op: &str, label: &str| {
            vec![Field::new("checkbox", &format!("confirm_{op}"), label, "")]
        };
        v.forms.push(form(
            "temporary",
            t.issue_temporary,
            confirm("temporary", t.confirm_temporary),
        ));
        v.forms.push(form(
            "reveal",
            t.reveal_answers,
            confirm("reveal", t.confirm_reveal),
        ));
        let fields = vec![
            reason("terminate"),
            Field::new("checkbox", "confirm", t.confirm_terminate, ""),
        ];
        v.forms.push(form("terminate", t.terminate, fields));
    }
    Ok(v)
}

async fn find(p: &Provider, a: &Admin, id: &str) -> Result<Account, WebError> {
    match p.registration.find_account(id).await {
        Ok(acc) => Ok(acc),
        Err(AdminError::NotFound(_)) => Err(not_found(a)),
        Err(e) => Err(PageError::internal(a.locale, e).into()),
    }
}

/// GET /admin/accounts/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _params) = page_request(&p, &headers, q, "/admin/accounts").await?;
    let acc = find(&p, &a, &id).await?;
    Ok(send_detail(
        &p,
        &headers,
        &a,
        &account_view(&p, &a, &acc).await?,
        true,
    ))
}

/// POST /admin/accounts/{id} (op = suspend | reinstate | terminate)
#[tracing::instrument(skip_all)]
pub(super) async fn account_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/accounts").await?;
    let t = AdminText::get(a.locale);
    let acc = find(&p, &a, &id).await?;
    let op = form.get("op").map(String::as_str).unwrap_or("");
    if matches!(op, "temporary" | "reveal" | "unlock") {
        return desk_op(&p, &headers, &a, &acc, op, &form).await;
    }
    let Some(change) = form.get("op").and_then(|o| StatusChange::parse(o)) else {
        return Err(PageError::bad(a.locale, |t| t.bad_request).into());
    };
    if change == StatusChange::Terminate && !form.contains_key("confirm") {
        let mut v = account_view(&p, &a, &acc).await?;
        v.field_error("confirm", t.confirm_required);
        return Ok(send_detail(&p, &headers, &a, &v, false));
    }
    let op = form.get("op").cloned().unwrap_or_default();
    let reason = form.get(&format!("{op}_reason"));
    let result = p
        .registration
        .change_status(
            &acc.id,
            change,
            reason.map(String::as_str),
            Actor::person(&a.account.id),
        )
        .await;
    let acc = find(&p, &a, &id).await?;
    let mut v = account_view(&p, &a, &acc).await?;
    match result {
        Ok(out) => {
            let n = out.refresh_tokens_revoked.to_string();
            v.notice = Some(match (out.changed, change) {
                (false, _) => t.unchanged.into(),
                (true, StatusChange::Suspend) => t.suspended_done.replace("{}", &n),
                (true, StatusChange::Reinstate) => t.reinstated_done.into(),
                (true, StatusChange::Terminate) => t.terminated_done.replace("{}", &n),
            });
            Ok(send_detail(&p, &headers, &a, &v, true))
        }
        Err(e) => {
            show_error(&a, &mut v, ApiError::from(e))?;
            Ok(send_detail(&p, &headers, &a, &v, false))
        }
    }
}

/// Unlocking an account, or a temporary password or its service-desk answers once the box
/// is ticked.
async fn desk_op(
    p: &Provider,
    headers: &HeaderMap,
    a: &Admin,
    acc: &Account,
    op: &str,
    form: &web::http::Params,
) -> WebResult {
    let t = AdminText::get(a.locale);
    let at = AccountText::get(a.locale);
    let confirm = format!("confirm_{op}");
    let confirmed = op == "unlock" || form.contains_key(&confirm);
    if !confirmed || acc.status == AccountStatus::Terminated {
        let mut v = account_view(p, a, acc).await?;
        v.field_error(&confirm, t.confirm_box_required);
        return Ok(send_detail(p, headers, a, &v, false));
    }
    let actor = Actor::person(&a.account.id);
    let (notice, extra) = if op == "unlock" {
        match p.registration.unlock(&acc.id, actor).await {
            Ok(true) => (Some(t.unlocked_done.to_owned()), None),
            Ok(false) => (Some(t.unchanged.to_owned()), None),
            Err(e) => return Err(PageError::internal(a.locale, e).into()),
        }
    } else if op == "temporary" {
        match p
            .registration
            .issue_temporary_password(&acc.id, actor)
            .await
        {
            Ok((_, pw)) => (Some(at.temporary_issued.replace("{}", &pw)), None),
            Err(e) => return Err(PageError::internal(a.locale, e).into()),
        }
    } else {
        match p.registration.reveal_desk_answers(&acc.id, actor).await {
            Ok((_, answers)) => {
                let rows = answers
                    .iter()
                    .map(|qa| {
                        (
                            credential_store::question(&qa.question_id)
                                .map(|q| q.text(a.locale).to_owned())
                                .unwrap_or_else(|| qa.question_id.clone()),
                            qa.answer.clone(),
                        )
                    })
                    .collect::<Vec<_>>();
                let rows = if rows.is_empty() {
                    vec![(at.desk_no_answers.into(), String::new())]
                } else {
                    rows
                };
                (
                    None,
                    Some(Section {
                        heading: Some(at.desk_answers.into()),
                        rows,
                    }),
                )
            }
            Err(e) => return Err(PageError::internal(a.locale, e).into()),
        }
    };
    let acc = find(p, a, &acc.id).await?;
    let mut v = account_view(p, a, &acc).await?;
    v.notice = notice;
    v.sections.extend(extra);
    Ok(send_detail(p, headers, a, &v, true))
}
