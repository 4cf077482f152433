//! Console pages for accounts: find, then suspend, reinstate or terminate.

use super::provenance::{self, ProvenanceText};
use super::{form_request, not_found, page, page_request, send, send_detail, show_error, Admin};
use crate::admin_api::ApiError;
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use credential_store::{Account, AccountList, AccountOrder, AccountStatus};
use registration::{Actor, AdminError, StatusChange};
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::Params;
use web::lists::ListAddress;
use web::widgets::status_text;

// ---------------------------------------------------------------- accounts

/// Rows on a page of the accounts list.
const ACCOUNTS_PAGE: i64 = 50;

/// The accounts list: every account or a search's matches, filtered by status, ordered by a
/// column, a page at a time; every choice is in the address.
async fn accounts_page(p: &Provider, headers: &HeaderMap, a: &Admin, params: &Params) -> WebResult {
    let t = AdminText::get(a.locale);
    let at = AccountText::get(a.locale);
    let value = |k: &str| {
        params
            .get(k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let statuses = [
        AccountStatus::Active,
        AccountStatus::Locked,
        AccountStatus::Suspended,
        AccountStatus::Terminated,
    ];
    let status = statuses.into_iter().find(|s| s.as_str() == value("status"));
    let order = AccountOrder::parse(&value("sort")).unwrap_or_default();
    let descending = value("dir") == "desc";
    let list = ListAddress::new("/admin/accounts", a.locale)
        .with("q", &value("q"))
        .with("status", status.map(AccountStatus::as_str).unwrap_or(""))
        .with("sort", &value("sort"))
        .with("dir", if descending { "desc" } else { "" })
        .with("after", &value("after"))
        .with("before", &value("before"));
    let mut v = page(a, t.accounts_title, "/admin/accounts");
    v.other_lang_href = Some(list.other_language(a.locale));
    let mut options = vec![(String::new(), t.status_any.to_owned())];
    options.extend(
        statuses
            .iter()
            .map(|s| (s.as_str().to_owned(), status_text(at, *s).to_owned())),
    );
    v.forms.push(Form::filters(
        "/admin/accounts",
        a.locale,
        vec![
            Field::new("text", "q", t.search_label, list.get("q")).auto("off"),
            Field::new("select", "status", t.status_filter, list.get("status")).options(options),
        ],
        t.search,
        &[("sort", list.get("sort")), ("dir", list.get("dir"))],
    ));
    let found = p
        .accounts
        .list(&AccountList {
            query: list.get("q").to_owned(),
            status,
            order,
            descending,
            after: Some(list.get("after").to_owned()).filter(|s| !s.is_empty()),
            before: Some(list.get("before").to_owned()).filter(|s| !s.is_empty()),
            limit: ACCOUNTS_PAGE,
        })
        .await
        .or_page(a.locale)?;
    if found.accounts.is_empty() {
        v.intro.push(t.no_accounts.into());
    }
    v.table_head = vec![
        t.login_id.into(),
        t.name.into(),
        t.status.into(),
        at.assurance.into(),
        t.col_created.into(),
    ];
    v.table_sort = list.sort_headers(
        &[Some("login_id"), Some("name"), None, None, Some("created")],
        order.as_str(),
        descending,
    );
    v.table = found
        .accounts
        .iter()
        .map(|acc| {
            vec![
                (
                    a.href(&format!("/admin/accounts/{}", acc.id)),
                    acc.login_id.clone(),
                ),
                (String::new(), acc.display_name()),
                (String::new(), status_text(at, acc.status).into()),
                (String::new(), format!("AL{}", acc.assurance_level)),
                (String::new(), web::widgets::date(acc.created_at)),
            ]
        })
        .collect();
    let ends = found
        .accounts
        .first()
        .zip(found.accounts.last())
        .map(|(f, l)| (f.id.as_str(), l.id.as_str()));
    v.pager = list.pager(a.locale, ends, found.more_before, found.more_after);
    Ok(send(p, headers, a, &v, true))
}

/// GET /admin/accounts?q=&status=&sort=&dir=&after=&before=
#[tracing::instrument(skip_all)]
pub(super) async fn accounts(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/accounts").await?;
    accounts_page(&p, &headers, &a, &params).await
}

/// POST /admin/accounts (the search form of earlier pages, still answered)
#[tracing::instrument(skip_all)]
pub(super) async fn accounts_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/accounts").await?;
    accounts_page(&p, &headers, &a, &form).await
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
