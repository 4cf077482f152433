//! Console pages for trusted registries: the list and a new one (with its first public key);
//! each one's page in `detail`. Changes go through `registration`'s administrator
//! operations, audited with the administrator's account id as actor.

mod detail;
mod text;

pub(in crate::admin_console) use detail::{registry, registry_post};
pub(crate) use text::RegistryText;

use super::{add_form, form_request, page, page_request, send, Admin};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use registration::{Actor, AdminError, RegistryInput, RegistryStatus};
use std::sync::Arc;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, View};
use web::http::see_other;

fn actor(a: &Admin) -> Actor<'_> {
    Actor::person(&a.account.id)
}

/// The day typed in `form`'s field `name` (YYYY-MM-DD): its first second, or with `end` its
/// last; `None` when empty; refused with `bad` when it is no day.
pub(super) fn day_field(
    form: &web::http::Params,
    name: &str,
    end: bool,
    bad: &str,
) -> Result<Option<i64>, crate::admin_api::ApiError> {
    match form.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => day_start(s)
            .map(|d| Some(if end { d + 86_399 } else { d }))
            .ok_or_else(|| crate::admin_api::ApiError::invalid("", bad)),
    }
}
/// Unix seconds of 00:00 UTC on `YYYY-MM-DD`.
pub(super) fn day_start(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (
        it.next()?.parse::<i64>().ok()?,
        it.next()?.parse::<i64>().ok()?,
        it.next()?.parse::<i64>().ok()?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (H. Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ts = days * 86_400;
    // Reject 2026-02-31 and the like: the date must read back the same.
    (web::widgets::date(ts) == s.trim()).then_some(ts)
}

fn status_text(t: &RegistryText, s: RegistryStatus) -> &'static str {
    match s {
        RegistryStatus::Approved => t.approved,
        RegistryStatus::Suspended => t.suspended,
        RegistryStatus::Terminated => t.terminated,
    }
}

async fn list_view(p: &Provider, a: &Admin) -> Result<View, WebError> {
    let t = RegistryText::get(a.locale);
    let all = p.registration.registries.list().await.or_page(a.locale)?;
    let services = p
        .registration
        .directory
        .services()
        .await
        .or_page(a.locale)?;
    let mut v = page(a, t.title, "/admin/registries");
    v.intro.push(t.intro.into());
    v.table_head = vec![
        t.id.into(),
        t.name.into(),
        t.college.into(),
        t.level.into(),
        t.approval.into(),
        t.status.into(),
    ];
    v.table = all
        .iter()
        .map(|r| {
            vec![
                (a.href(&format!("/admin/registries/{}", r.id)), r.id.clone()),
                (String::new(), r.name.clone()),
                (String::new(), r.college.clone()),
                (String::new(), format!("AL{}", r.assurance_level)),
                (
                    String::new(),
                    match r.approval {
                        registration::Approval::General => t.general.into(),
                        registration::Approval::Limited => t.limited.into(),
                    },
                ),
                (String::new(), status_text(t, r.status).into()),
            ]
        })
        .collect();
    // Every registry names its sponsor (004 §5.6): there is no "none". Typed, not chosen from
    // a list: a province has tens of thousands of organizations (adding checks that it is one).
    let mut fields = vec![
        Field::new("text", "id", t.id, "").required().auto("off"),
        Field::new("text", "name", t.name, "").required(),
        Field::new("text", "owner", t.owner, "").required(),
        Field::new("text", "contact", t.contact, "").required(),
        Field::new("text", "college", t.college, "")
            .required()
            .auto("off"),
        Field::new("select", "assurance_level", t.level, "2")
            .options((1..=3).map(|l| (l.to_string(), format!("AL{l}"))).collect()),
        Field::new("select", "approval", t.approval, "general").options(vec![
            ("general".into(), t.general.into()),
            ("limited".into(), t.limited.into()),
        ]),
        Field::new("text", "approved_from", t.approved_from, "").hint(t.date_hint),
        Field::new("text", "approved_until", t.approved_until, "").hint(t.date_hint),
        Field::new("text", "sponsor_id", t.sponsor, "")
            .hint(t.sponsor_hint)
            .auto("off")
            .required(),
        Field::new("text", "eligible_classes", t.classes, "").hint(t.classes_hint),
    ];
    for s in &services {
        fields.push(Field::new(
            "checkbox",
            &format!("service_{}", s.id),
            &format!("{}{}{}", t.services, a.locale.colon(), s.name),
            "",
        ));
    }
    fields.push(Field::new("select", "alg", t.alg, "ES256").options(vec![
        ("ES256".into(), "ES256".into()),
        ("RS256".into(), "RS256".into()),
    ]));
    fields.push(
        Field::new("textarea", "public_key_pem", t.public_key, "")
            .hint(t.public_key_hint)
            .required(),
    );
    v.forms.push(add_form(
        a,
        "/admin/registries",
        t.add,
        fields,
        t.add_button,
    ));
    Ok(v)
}

/// Shows a refused change on `v`; a storage failure is the error page instead.
fn refused(a: &Admin, errors: &mut Vec<(String, String)>, e: AdminError) -> Result<(), PageError> {
    let t = RegistryText::get(a.locale);
    match e {
        AdminError::Storage(m) => Err(PageError::internal(a.locale, m)),
        AdminError::NotFound(_) => {
            errors.push((String::new(), t.not_found.into()));
            Ok(())
        }
        e => {
            errors.push((String::new(), t.refused.replace("{}", &e.to_string())));
            Ok(())
        }
    }
}

/// GET /admin/registries
#[tracing::instrument(skip_all)]
pub(super) async fn registries(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _params) = page_request(&p, &headers, q, "/admin/registries").await?;
    Ok(send(&p, &headers, &a, &list_view(&p, &a).await?, true))
}

/// POST /admin/registries (add)
#[tracing::instrument(skip_all)]
pub(super) async fn registries_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/registries").await?;
    let t = RegistryText::get(a.locale);
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mut v = list_view(&p, &a).await?;
    for k in [
        "id",
        "name",
        "owner",
        "contact",
        "college",
        "assurance_level",
        "approval",
        "approved_from",
        "approved_until",
        "sponsor_id",
        "eligible_classes",
        "alg",
        "public_key_pem",
    ] {
        v.set_value(k, &get(k));
    }
    let mut dates = [None, None];
    for (i, k) in ["approved_from", "approved_until"].iter().enumerate() {
        let s = get(k);
        if s.is_empty() {
            continue;
        }
        match day_start(&s) {
            // The last day is included whole.
            Some(ts) => dates[i] = Some(if i == 1 { ts + 86_399 } else { ts }),
            None => v.field_error(k, t.bad_date),
        }
    }
    if !v.errors.is_empty() {
        return Ok(send(&p, &headers, &a, &v, false));
    }
    let services = p
        .registration
        .directory
        .services()
        .await
        .map(|all| {
            all.into_iter()
                .filter(|s| form.contains_key(&format!("service_{}", s.id)))
                .map(|s| s.id)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let input = RegistryInput {
        id: get("id"),
        name: get("name"),
        owner: get("owner"),
        contact: get("contact"),
        college: get("college"),
        id_scheme: None,
        assurance_level: get("assurance_level").parse().unwrap_or(0),
        approval: Some(get("approval")),
        approved_from: dates[0],
        approved_until: dates[1],
        sponsor_id: Some(get("sponsor_id")).filter(|s| !s.is_empty()),
        services,
        eligible_classes: get("eligible_classes")
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
        public_key_pem: Some(get("public_key_pem")),
        alg: Some(get("alg")),
        kid: None,
    };
    match p.registration.add_registry(input, actor(&a)).await {
        Ok((r, _)) => Ok(see_other(
            &a.href(&format!("/admin/registries/{}?notice=added", r.id)),
        )),
        // A typed sponsor that is no organization, beside its field.
        Err(AdminError::Invalid {
            field: "sponsor_id",
            ..
        }) => {
            v.field_error("sponsor_id", t.no_such_sponsor);
            Ok(send(&p, &headers, &a, &v, false))
        }
        Err(e) => {
            refused(&a, &mut v.errors, e)?;
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}
