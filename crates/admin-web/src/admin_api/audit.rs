//! The audit trail for administrators and auditors: a search by account (subject or actor),
//! actor, event and time range, newest first, a page at a time (keyset paging after a row: by
//! sequence number about an account or by an actor, by time then sequence number otherwise;
//! see `platform::audit::AuditQuery`), and the same filters exported as JSON lines, streamed
//! a page at a time.
//! An export of one account with `include=provenance` starts with a line holding the
//! account's provenance, so one file carries both the summary and every row behind it.
//! Reading needs `oneid:audit` or `oneid:admin`; an export is itself audited.

use super::{api, reply, ApiError, Need};
use authorization_server::Provider;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use platform::audit::{AuditQuery, AuditRecord};
use platform::AuditEvent;
use serde_json::{json, Value};
use std::sync::Arc;
use web::http::{parse_query, Params};

/// Rows in a search page by default.
pub const AUDIT_PAGE_DEFAULT: i64 = 100;
/// Most rows in a search page.
pub const AUDIT_PAGE_MAX: i64 = 1000;
/// Rows read per step of an export (about 600 KB in memory at a time).
const EXPORT_STEP: i64 = 2000;

const PARAMS: &[&str] = &["account", "actor", "event", "from", "to", "limit", "cursor"];

fn text<'a>(params: &'a Params, name: &'static str) -> Result<Option<&'a str>, ApiError> {
    match params.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > 200 || v.chars().any(char::is_control) => Err(
            ApiError::invalid(name, format!("{name} must be at most 200 characters")),
        ),
        Some(v) => Ok(Some(v)),
    }
}

fn number(params: &Params, name: &'static str) -> Result<Option<i64>, ApiError> {
    match params.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid(
                name,
                format!("{name} must be a whole number (unix seconds)"),
            )
        }),
    }
}

/// The filters, page size and cursor of a search (or export) from its query parameters:
/// `account`, `actor`, `event` (exact, or `family.*`), `from` and `to` (unix seconds,
/// inclusive), `limit` (1 to 1000, default 100) and `cursor` (the previous page's
/// `next_cursor`). Unknown parameters are refused.
pub fn audit_query(params: &Params) -> Result<(AuditQuery, i64), ApiError> {
    if let Some(k) = params.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            "",
            format!("unknown parameter {k} (use {})", PARAMS.join(", ")),
        ));
    }
    let event = text(params, "event")?;
    if let Some(e) = event {
        let body = e.strip_suffix('*').unwrap_or(e);
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(ApiError::invalid(
                "event",
                "event is an event name (e.g. account.suspended) or a family (account.*)",
            ));
        }
    }
    let from = number(params, "from")?;
    let to = number(params, "to")?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::invalid("to", "to must not be before from"));
        }
    }
    let limit = number(params, "limit")
        .map_err(|_| ApiError::invalid("limit", "limit must be a whole number"))?
        .unwrap_or(AUDIT_PAGE_DEFAULT);
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {AUDIT_PAGE_MAX}"),
        ));
    }
    let before = number(params, "cursor")
        .map_err(|_| ApiError::invalid("cursor", "cursor is the next_cursor of a page"))?;
    if before.is_some_and(|c| c <= 0) {
        return Err(ApiError::invalid(
            "cursor",
            "cursor is the next_cursor of a page",
        ));
    }
    Ok((
        AuditQuery {
            account: text(params, "account")?.map(str::to_owned),
            actor: text(params, "actor")?.map(str::to_owned),
            event: event.map(str::to_owned),
            from,
            to,
            before,
            after: None,
        },
        limit,
    ))
}

/// One row as JSON.
pub fn record_json(r: &AuditRecord) -> Value {
    serde_json::to_value(r).unwrap_or_else(|_| json!({ "id": r.id }))
}

/// The first line of an export with `include=provenance`: the account (id and login ID) and
/// its provenance, told from an audit row by its `provenance` member.
pub async fn provenance_line(p: &Provider, account: &str) -> Result<Value, ApiError> {
    let a = p.registration.find_account(account).await?;
    let provenance = p.registration.account_provenance(&a.id).await?;
    Ok(json!({
        "account": { "id": a.id, "login_id": a.login_id, "name": a.display_name() },
        "provenance": provenance,
    }))
}

/// What an export includes besides the rows, from its `include` parameter (taken out of
/// `params`): `provenance` (needs `account`) or nothing.
pub fn export_include(params: &mut Params) -> Result<bool, ApiError> {
    match params.remove("include").as_deref().map(str::trim) {
        None | Some("") => Ok(false),
        Some("provenance") if params.get("account").is_some_and(|a| !a.trim().is_empty()) => {
            Ok(true)
        }
        Some("provenance") => Err(ApiError::invalid(
            "include",
            "include=provenance is for one account: give account too",
        )),
        Some(_) => Err(ApiError::invalid(
            "include",
            "include is provenance, or nothing",
        )),
    }
}

/// The rows matching `q`, newest first, as JSON lines, read `EXPORT_STEP` rows at a time (new
/// rows arriving meanwhile are not included: the cursor only goes back in time); `head`, when
/// given, is the first line.
pub fn export_body(p: Arc<Provider>, q: AuditQuery, head: Option<Value>) -> Body {
    let first = head.map(|h| {
        let mut line = h.to_string().into_bytes();
        line.push(b'\n');
        Ok::<_, std::io::Error>(Bytes::from(line))
    });
    let state = (p, q, false);
    let stream = futures_util::stream::try_unfold(state, |(p, mut q, done)| async move {
        if done {
            return Ok(None);
        }
        let io = |e: platform::DbError| std::io::Error::other(e.to_string());
        let rows = p.audit.search(&q, EXPORT_STEP).await.map_err(io)?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        q.before = Some(last.id);
        let mut buf = Vec::with_capacity(rows.len() * 256);
        for r in &rows {
            serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        let done = (rows.len() as i64) < EXPORT_STEP;
        Ok::<_, std::io::Error>(Some((Bytes::from(buf), (p, q, done))))
    });
    Body::from_stream(futures_util::stream::iter(first).chain(stream))
}

/// A summary of the filters, for the audit row of an export.
pub(crate) fn filters_summary(q: &AuditQuery) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let n = |v: Option<i64>| v.map_or_else(|| "-".into(), |v| v.to_string());
    format!(
        "account={} actor={} event={} from={} to={}",
        s(&q.account),
        s(&q.actor),
        s(&q.event),
        n(q.from),
        n(q.to)
    )
}

/// A JSON-lines download of the rows matching `q` (after `head`, the provenance line, when
/// given), audited as `audit.exported` by `actor`.
pub(crate) async fn export_response(
    p: Arc<Provider>,
    q: AuditQuery,
    head: Option<Value>,
    actor: &str,
    client: Option<&str>,
) -> Response {
    let mut detail = filters_summary(&q);
    if head.is_some() {
        detail.push_str(" include=provenance");
    }
    let _ = p
        .audit
        .record(AuditEvent {
            event: "audit.exported",
            actor: Some(actor),
            client_id: client,
            detail: Some(&detail),
            ..Default::default()
        })
        .await;
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"oneid-audit.jsonl\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        export_body(p, q, head),
    )
        .into_response()
}

fn params_of(q: Option<String>) -> Result<Params, ApiError> {
    parse_query(q.unwrap_or_default().as_bytes())
        .map_err(|_| ApiError::invalid("", "each parameter may be given once"))
}

/// GET /admin/api/audit?account=&actor=&event=&from=&to=&limit=&cursor=
#[tracing::instrument(skip_all)]
pub(super) async fn api_search(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    api(&p, &headers, Need::Audit, |_| async {
        let (query, limit) = audit_query(&params_of(q)?)?;
        let rows = p.audit.search(&query, limit).await?;
        let next = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        reply(
            StatusCode::OK,
            json!({
                "events": rows.iter().map(record_json).collect::<Vec<_>>(),
                "next_cursor": next,
            }),
        )
    })
    .await
}

/// GET /admin/api/audit/export?account=&actor=&event=&from=&to=&include= (JSON lines)
#[tracing::instrument(skip_all)]
pub(super) async fn api_export(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let p2 = p.clone();
    api(&p, &headers, Need::Audit, |caller| async move {
        let mut params = params_of(q)?;
        let with_provenance = export_include(&mut params)?;
        if params.contains_key("limit") {
            return Err(ApiError::invalid(
                "limit",
                "an export has every matching row: narrow it with from and to",
            ));
        }
        let (query, _) = audit_query(&params)?;
        let head = match (&query.account, with_provenance) {
            (Some(account), true) => Some(provenance_line(&p2, account).await?),
            _ => None,
        };
        let actor = caller.actor();
        Ok(export_response(p2, query, head, &actor, Some(&caller.client_id)).await)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        parse_query(q.as_bytes()).unwrap()
    }

    #[test]
    fn search_parameters_are_checked() {
        let (q, limit) = audit_query(&params(
            "account=abc&event=account.*&from=10&to=20&cursor=7",
        ))
        .unwrap();
        assert_eq!(q.account.as_deref(), Some("abc"));
        assert_eq!(q.event.as_deref(), Some("account.*"));
        assert_eq!(
            (q.from, q.to, q.before, limit),
            (Some(10), Some(20), Some(7), 100)
        );
        for bad in [
            "limit=0",
            "limit=1001",
            "from=x",
            "from=20&to=10",
            "event=a%20b",
            "event=*",
            "cursor=0",
            "who=x",
        ] {
            assert!(audit_query(&params(bad)).is_err(), "{bad}");
        }
    }
}
