//! Console pages for the audit trail: a search by account (id or login ID), actor, event and
//! dates, older pages, and the same filters exported as JSON lines.

use super::{form_request, page, page_request, send, show_error, Admin};
use crate::admin_api::{self, ApiError};
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use platform::audit::AuditQuery;
use std::sync::Arc;
use web::error::{PageError, WebResult};
use web::forms::{Field, Fieldset, Form};
use web::http::Params;
use web::widgets::datetime;

/// Unix seconds at 00:00 UTC of `YYYY-MM-DD`, or a number of unix seconds as is.
fn day_start(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if s.len() != 10 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (H. Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// The console's audit filters (`account`, `actor`, `event`, `from`, `to` as dates, `cursor`)
/// as a search, or the field at fault.
fn console_query(params: &Params) -> Result<AuditQuery, ApiError> {
    let mut api_params = Params::new();
    for k in ["account", "actor", "event", "cursor"] {
        if let Some(v) = params.get(k).filter(|v| !v.trim().is_empty()) {
            api_params.insert(k.into(), v.clone());
        }
    }
    for (k, end) in [("from", 0), ("to", 86_399)] {
        if let Some(v) = params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            let at = day_start(v).ok_or_else(|| ApiError::invalid(k, "not a date"))?;
            let at = if v.contains('-') { at + end } else { at };
            api_params.insert(k.into(), at.to_string());
        }
    }
    Ok(admin_api::audit_query(&api_params)?.0)
}

/// The console's search: its filters, with an account named by its login ID found.
async fn console_search(p: &Provider, params: &Params) -> Result<AuditQuery, ApiError> {
    let mut q = console_query(params)?;
    if let Some(login) = q.account.clone().filter(|s| s.contains('@')) {
        if let Some(found) = p.accounts.find_by_login_id(&login).await? {
            q.account = Some(found.id);
        }
    }
    Ok(q)
}

/// The filters again as a query string (without the cursor).
fn filters_query(params: &Params) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for k in ["account", "actor", "event", "from", "to"] {
        if let Some(v) = params.get(k).filter(|v| !v.trim().is_empty()) {
            s.append_pair(k, v.trim());
        }
    }
    s.finish()
}

async fn audit_page(p: &Provider, headers: &HeaderMap, a: &Admin, params: &Params) -> WebResult {
    let t = AdminText::get(a.locale);
    let filters = filters_query(params);
    let path = if filters.is_empty() {
        "/admin/audit".to_owned()
    } else {
        format!("/admin/audit?{filters}")
    };
    let mut v = page(a, t.audit_title, &path);
    let value = |k: &str| params.get(k).cloned().unwrap_or_default();
    v.forms.push(Form {
        id: Some("search".into()),
        action: a.href("/admin/audit"),
        fieldsets: vec![Fieldset {
            fields: vec![
                Field::new("text", "account", t.audit_account, &value("account"))
                    .hint(t.audit_account_hint)
                    .auto("off"),
                Field::new("text", "actor", t.audit_actor, &value("actor")).auto("off"),
                Field::new("text", "event", t.audit_event, &value("event"))
                    .hint(t.audit_event_hint)
                    .auto("off"),
                Field::new("date", "from", t.audit_from, &value("from")).hint(t.date_hint),
                Field::new("date", "to", t.audit_to, &value("to")).hint(t.date_hint),
            ],
            ..Fieldset::default()
        }],
        submit: t.search.into(),
        ..Form::default()
    });
    let q = match console_search(p, params).await {
        Ok(q) => q,
        Err(ApiError::Invalid { field, .. }) if field == "from" || field == "to" => {
            v.field_error(field, t.bad_date);
            return Ok(send(p, headers, a, &v, false));
        }
        Err(e) => {
            show_error(a, &mut v, e)?;
            return Ok(send(p, headers, a, &v, false));
        }
    };
    const PAGE: i64 = 50;
    let rows = match p.audit.search(&q, PAGE).await {
        Ok(r) => r,
        Err(e) => return Err(PageError::internal(a.locale, e).into()),
    };
    if rows.is_empty() {
        v.intro.push(t.audit_none.into());
    }
    v.table_head = vec![
        t.col_time.into(),
        t.audit_event.into(),
        t.audit_actor.into(),
        t.col_subject.into(),
        t.col_client.into(),
        t.col_detail.into(),
    ];
    // Actors and subjects as people: the login ID and name, linked to the account.
    let ids: Vec<&str> = rows
        .iter()
        .flat_map(|r| [r.actor.as_deref(), r.subject.as_deref()])
        .flatten()
        .map(|s| s.strip_prefix("account:").unwrap_or(s))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = web::error::OrPage::or_page(p.accounts.names_of(&ids).await, a.locale)?;
    let who = |s: &Option<String>| -> (String, String) {
        let Some(raw) = s.as_deref() else {
            return (String::new(), String::new());
        };
        let id = raw.strip_prefix("account:").unwrap_or(raw);
        match names.get(id) {
            Some((login, name)) => (
                a.href(&format!("/admin/accounts/{id}")),
                format!("{login} ({name})"),
            ),
            None if raw == "system" => (String::new(), t.audit_system.into()),
            None => (String::new(), raw.to_owned()),
        }
    };
    let cell = |s: &Option<String>| (String::new(), s.clone().unwrap_or_default());
    v.table = rows
        .iter()
        .map(|r| {
            vec![
                (String::new(), datetime(r.at)),
                (String::new(), r.event.clone()),
                who(&r.actor),
                who(&r.subject),
                cell(&r.client_id),
                cell(&r.detail),
            ]
        })
        .collect();
    let sep = if filters.is_empty() { "" } else { "&" };
    v.links.push((
        format!("/admin/audit/export?{filters}"),
        t.audit_export.into(),
    ));
    if q.account.is_some() {
        // One account's trail: also with its provenance first, as an auditor reads it.
        v.links.push((
            format!("/admin/audit/export?{filters}&include=provenance"),
            super::provenance::ProvenanceText::get(a.locale)
                .export
                .into(),
        ));
    }
    if rows.len() as i64 == PAGE {
        if let Some(last) = rows.last() {
            v.links.push((
                a.href(&format!("/admin/audit?{filters}{sep}cursor={}", last.id)),
                t.audit_older.into(),
            ));
        }
    }
    Ok(send(p, headers, a, &v, true))
}

/// GET /admin/audit?account=&actor=&event=&from=&to=&cursor=
#[tracing::instrument(skip_all)]
pub(super) async fn audit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/audit").await?;
    audit_page(&p, &headers, &a, &params).await
}

/// POST /admin/audit (the search form)
#[tracing::instrument(skip_all)]
pub(super) async fn audit_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/audit").await?;
    audit_page(&p, &headers, &a, &form).await
}

/// GET /admin/audit/export?account=&actor=&event=&from=&to=&include= (JSON lines; with
/// `include=provenance`, one account's provenance first)
#[tracing::instrument(skip_all)]
pub(super) async fn audit_export(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, mut params) = page_request(&p, &headers, q, "/admin/audit").await?;
    let refused = |e: ApiError| -> web::error::WebError {
        match e {
            ApiError::Storage(e) => PageError::internal(a.locale, e).into(),
            _ => PageError::bad(a.locale, |t| t.bad_request).into(),
        }
    };
    let with_provenance = admin_api::export_include(&mut params).map_err(refused)?;
    let q = console_search(&p, &params).await.map_err(refused)?;
    let head = match (&q.account, with_provenance) {
        (Some(account), true) => Some(
            admin_api::provenance_line(&p, account)
                .await
                .map_err(refused)?,
        ),
        _ => None,
    };
    Ok(admin_api::export_response(p.clone(), q, head, &a.account.id, None).await)
}
