//! Console pages for the audit trail: a search by account (id or login ID), actor, event and
//! dates, older pages, and the same filters exported as JSON lines.

use super::{form_request, page, page_request, send, show_error, Admin};
use crate::admin_api::{self, ApiError};
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use platform::audit::{AuditQuery, AuditRecord};
use std::sync::Arc;
use web::error::{OrPage, PageError, WebResult};
use web::forms::{Field, Form, Section};
use web::http::Params;
use web::lists::ListAddress;
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

/// The console's audit filters (`account`, `actor`, `event`, `from`, `to` as dates) and page
/// (`after` a row: older rows, the next page down the newest-first list; `before` a row: the
/// newer rows above it; `cursor` is the older name of `after`) as a search, or the field at
/// fault.
fn console_query(params: &Params) -> Result<AuditQuery, ApiError> {
    let mut api_params = Params::new();
    for k in ["account", "actor", "event"] {
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
    let mut q = admin_api::audit_query(&api_params)?.0;
    let row = |k: &'static str| -> Result<Option<i64>, ApiError> {
        match params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(k, "not an event number")),
        }
    };
    q.before = row("after")?.or(row("cursor")?);
    q.after = if q.before.is_some() {
        None
    } else {
        row("before")?
    };
    Ok(q)
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

/// The filters again as a query string (without the page).
fn filters_query(params: &Params) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for k in FILTERS {
        if let Some(v) = params.get(k).filter(|v| !v.trim().is_empty()) {
            s.append_pair(k, v.trim());
        }
    }
    s.finish()
}

/// The audit page's filters.
const FILTERS: [&str; 5] = ["account", "actor", "event", "from", "to"];

/// Rows on a page of the trail.
const PAGE: i64 = 50;

/// Actors and subjects as people: for each id among `rows`' actors and subjects that names an
/// account, its login ID and name.
async fn people(
    p: &Provider,
    a: &Admin,
    rows: &[AuditRecord],
) -> Result<std::collections::HashMap<String, (String, String)>, web::error::WebError> {
    let ids: Vec<&str> = rows
        .iter()
        .flat_map(|r| [r.actor.as_deref(), r.subject.as_deref()])
        .flatten()
        .map(|s| s.strip_prefix("account:").unwrap_or(s))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(web::error::OrPage::or_page(
        p.accounts.names_of(&ids).await,
        a.locale,
    )?)
}

/// An actor or subject as a cell: the person (login ID and name, linked to their account),
/// ONE ID itself, or the raw value.
fn who(
    a: &Admin,
    names: &std::collections::HashMap<String, (String, String)>,
    s: &Option<String>,
) -> (String, String) {
    let t = AdminText::get(a.locale);
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
}

async fn audit_page(p: &Provider, headers: &HeaderMap, a: &Admin, params: &Params) -> WebResult {
    let t = AdminText::get(a.locale);
    let mut list = ListAddress::new("/admin/audit", a.locale);
    for k in FILTERS {
        list = list.with(k, params.get(k).map(String::as_str).unwrap_or(""));
    }
    let filters = filters_query(params);
    let path = if filters.is_empty() {
        "/admin/audit".to_owned()
    } else {
        format!("/admin/audit?{filters}")
    };
    let mut v = page(a, t.audit_title, &path);
    v.forms.push(Form::filters(
        "/admin/audit",
        a.locale,
        vec![
            Field::new("text", "account", t.audit_account, list.get("account"))
                .hint(t.audit_account_hint)
                .auto("off"),
            Field::new("text", "actor", t.audit_actor, list.get("actor")).auto("off"),
            Field::new("text", "event", t.audit_event, list.get("event"))
                .hint(t.audit_event_hint)
                .auto("off"),
            Field::new("date", "from", t.audit_from, list.get("from")).hint(t.date_hint),
            Field::new("date", "to", t.audit_to, list.get("to")).hint(t.date_hint),
        ],
        t.search,
        &[],
    ));
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
    let mut rows = match p.audit.search(&q, PAGE + 1).await {
        Ok(r) => r,
        Err(e) => return Err(PageError::internal(a.locale, e).into()),
    };
    // One row more than a page says whether more lie beyond it, in the direction read.
    let more = rows.len() as i64 > PAGE;
    if more {
        if q.after.is_some() {
            rows.remove(0);
        } else {
            rows.pop();
        }
    }
    let (newer, older) = match (q.before, q.after) {
        (Some(_), _) => (true, more),
        (None, Some(_)) => (more, true),
        (None, None) => (false, more),
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
    let names = people(p, a, &rows).await?;
    let cell = |s: &Option<String>| (String::new(), s.clone().unwrap_or_default());
    v.table = rows
        .iter()
        .map(|r| {
            vec![
                (a.href(&format!("/admin/audit/{}", r.id)), datetime(r.at)),
                (String::new(), r.event.clone()),
                who(a, &names, &r.actor),
                who(a, &names, &r.subject),
                cell(&r.client_id),
                cell(&r.detail),
            ]
        })
        .collect();
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        if newer {
            v.pager.push((list.href(&[]), t.audit_newest.into()));
            v.pager.push((
                list.href(&[("before", &first.id.to_string())]),
                t.audit_newer.into(),
            ));
        }
        if older {
            v.pager.push((
                list.href(&[("after", &last.id.to_string())]),
                t.audit_older.into(),
            ));
        }
    } else if newer || older {
        v.pager.push((list.href(&[]), t.audit_newest.into()));
    }
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
    Ok(send(p, headers, a, &v, true))
}

/// GET /admin/audit/{id}: one event, whole, with links to its subject's and actor's trails.
#[tracing::instrument(skip_all)]
pub(super) async fn audit_row(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _) = page_request(&p, &headers, q, &format!("/admin/audit/{id}")).await?;
    let t = AdminText::get(a.locale);
    let Some(n) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
        return Err(super::not_found(&a));
    };
    let Some(r) = p.audit.get(n).await.or_page(a.locale)? else {
        return Err(super::not_found(&a));
    };
    let names = people(&p, &a, std::slice::from_ref(&r)).await?;
    let mut v = page(
        &a,
        &t.audit_row_title.replace("{}", &id),
        &format!("/admin/audit/{id}"),
    );
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    v.sections.push(Section {
        heading: None,
        rows: vec![
            (t.col_time.into(), datetime(r.at)),
            (t.audit_event.into(), r.event.clone()),
            (t.audit_actor.into(), who(&a, &names, &r.actor).1),
            (t.col_subject.into(), who(&a, &names, &r.subject).1),
            (t.col_client.into(), text(&r.client_id)),
            (t.col_session.into(), text(&r.session_id)),
            (t.col_source.into(), text(&r.source)),
            (t.col_detail.into(), text(&r.detail)),
        ],
    });
    let trail = |k: &str, v: &str| {
        ListAddress::new("/admin/audit", a.locale)
            .with(k, v)
            .href(&[])
    };
    for (raw, key, text) in [
        (&r.subject, "account", t.audit_of_subject),
        (&r.actor, "actor", t.audit_of_actor),
    ] {
        if let Some(raw) = raw.as_deref().filter(|s| !s.is_empty()) {
            v.links.push((trail(key, raw), text.into()));
        }
    }
    // The people named, each linked to their account.
    for (href, person) in [&r.actor, &r.subject].map(|s| who(&a, &names, s)) {
        if !href.is_empty() && !v.links.iter().any(|(h, _)| *h == href) {
            v.links.push((href, person));
        }
    }
    v.links.push((a.href("/admin/audit"), t.audit_back.into()));
    Ok(send(&p, &headers, &a, &v, true))
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
