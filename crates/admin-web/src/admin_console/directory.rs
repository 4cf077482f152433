//! Console pages for organizations: the list, a new one, and each one's details, allowed
//! services and local registration authorities.

use super::{
    add_form, form_request, not_found, page, page_request, send, send_detail, show_error, Admin,
};
use crate::admin_api::ApiError;
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use registration::directory_admin::{LraInput, OrganizationInput, OrganizationPatch};
use registration::services::OrganizationRecord;
use registration::Actor;
use std::sync::Arc;
use web::error::{OrPage, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::{see_other, Params};

pub(super) fn levels(t: &AdminText, with_none: bool) -> Vec<(String, String)> {
    let mut o = Vec::new();
    if with_none {
        o.push((String::new(), t.level_none.to_owned()));
    }
    o.extend((1..=3).map(|l| (l.to_string(), format!("AL{l}"))));
    o
}

fn org_status_text(t: &AdminText, s: &str) -> String {
    match s {
        "active" => t.org_active,
        "suspended" => t.org_suspended,
        "terminated" => t.org_terminated,
        other => other,
    }
    .to_owned()
}

/// The organization fields shared by the add and edit forms.
fn organization_fields(a: &Admin, o: Option<&OrganizationRecord>) -> Vec<Field> {
    let t = AdminText::get(a.locale);
    let mut registering = Field::new("checkbox", "registering", t.registering, "");
    registering.checked = o.is_some_and(|o| o.registering);
    let mut f = vec![
        Field::new("text", "name", t.name, o.map_or("", |o| o.name.as_str())).required(),
        registering,
        Field::new(
            "select",
            "assurance_level",
            t.level,
            &o.and_then(|o| o.assurance_level)
                .map_or(String::new(), |l| l.to_string()),
        )
        .options(levels(t, true)),
        Field::new(
            "text",
            "id_scheme",
            t.id_scheme,
            o.and_then(|o| o.id_scheme.as_deref()).unwrap_or(""),
        )
        .hint(t.id_scheme_hint),
        Field::new(
            "text",
            "scope",
            t.scope,
            o.and_then(|o| o.scope.as_deref()).unwrap_or(""),
        ),
    ];
    if let Some(o) = o {
        let statuses = ["active", "suspended", "terminated"]
            .iter()
            .map(|s| ((*s).to_owned(), org_status_text(t, s)))
            .collect();
        f.insert(
            1,
            Field::new("select", "status", t.status, &o.status).options(statuses),
        );
    }
    f
}

pub(super) fn text_of(form: &Params, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub(super) fn level_of(form: &Params, name: &'static str) -> Result<Option<i64>, ApiError> {
    match form.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::invalid(name, "not a level")),
    }
}

/// Shows what was typed in the fields named `names`.
pub(super) fn keep_typed(v: &mut View, form: &Params, names: &[&str]) {
    for n in names {
        if let Some(x) = form.get(*n) {
            v.set_value(n, x);
        }
    }
}

// ---------------------------------------------------------------- organizations

/// Rows on a page of the organizations' list.
const ORGANIZATIONS_PAGE: i64 = 100;

/// The organizations, a page at a time by id (`after` / `before` in `params`: a province has
/// tens of thousands), and the form that adds one.
async fn organizations_view(p: &Provider, a: &Admin, params: &Params) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let cursor = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let list = web::lists::ListAddress::new("/admin/organizations", a.locale)
        .with("after", cursor("after").unwrap_or(""))
        .with("before", cursor("before").unwrap_or(""));
    let found = p
        .registration
        .directory
        .organization_page(cursor("after"), cursor("before"), ORGANIZATIONS_PAGE)
        .await
        .or_page(a.locale)?;
    let all = &found.rows;
    let mut v = page(a, t.organizations_title, "/admin/organizations");
    v.other_lang_href = Some(list.other_language(a.locale));
    let ends = found.ends(|o| &o.id);
    v.pager = list.pager(a.locale, ends, found.more_before, found.more_after);
    v.table_head = vec![
        t.id.into(),
        t.name.into(),
        t.status.into(),
        t.registering.into(),
        t.level.into(),
    ];
    v.table = all
        .iter()
        .map(|o| {
            vec![
                (
                    a.href(&format!("/admin/organizations/{}", o.id)),
                    o.id.clone(),
                ),
                (String::new(), o.name.clone()),
                (String::new(), org_status_text(t, &o.status)),
                (
                    String::new(),
                    if o.registering { t.yes } else { t.no }.into(),
                ),
                (
                    String::new(),
                    o.assurance_level.map_or("–".into(), |l| format!("AL{l}")),
                ),
            ]
        })
        .collect();
    let mut fields = vec![Field::new("text", "id", t.id, "")
        .hint(t.id_hint)
        .required()];
    fields.extend(organization_fields(a, None));
    v.forms.push(add_form(
        a,
        "/admin/organizations",
        t.organization_add,
        fields,
        t.add,
    ));
    Ok(v)
}

/// GET /admin/organizations
#[tracing::instrument(skip_all)]
pub(super) async fn organizations(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/organizations").await?;
    Ok(send(
        &p,
        &headers,
        &a,
        &organizations_view(&p, &a, &params).await?,
        true,
    ))
}

/// POST /admin/organizations (add)
#[tracing::instrument(skip_all)]
pub(super) async fn organizations_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/organizations").await?;
    let result: Result<_, ApiError> = async {
        let input = OrganizationInput {
            id: text_of(&form, "id").unwrap_or_default(),
            name: text_of(&form, "name").unwrap_or_default(),
            status: None,
            registering: form.contains_key("registering"),
            assurance_level: level_of(&form, "assurance_level")?,
            id_scheme: text_of(&form, "id_scheme"),
            scope: text_of(&form, "scope"),
            services: Vec::new(),
        };
        Ok(p.registration
            .add_organization(input, Actor::person(&a.account.id))
            .await?)
    }
    .await;
    match result {
        Ok(o) => Ok(see_other(
            &a.href(&format!("/admin/organizations/{}?notice=added", o.id)),
        )),
        Err(e) => {
            let mut v = organizations_view(&p, &a, &Params::default()).await?;
            keep_typed(
                &mut v,
                &form,
                &["id", "name", "assurance_level", "id_scheme", "scope"],
            );
            for f in v.forms.iter_mut().flat_map(|f| f.fieldsets.iter_mut()) {
                for x in f.fields.iter_mut().filter(|x| x.name == "registering") {
                    x.checked = form.contains_key("registering");
                }
            }
            show_error(&a, &mut v, e)?;
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}

async fn organization_view(p: &Provider, a: &Admin, id: &str) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let dir = &p.registration.directory;
    let Some(o) = dir.organization(id).await.or_page(a.locale)? else {
        return Err(not_found(a));
    };
    let services = dir.services().await.or_page(a.locale)?;
    let lras = dir.lras(id).await.or_page(a.locale)?;
    let path = format!("/admin/organizations/{id}");
    let action = a.href(&path);
    let mut v = page(a, &format!("{} ({})", o.name, o.id), &path);
    let op = |name: &str| vec![("op".to_owned(), name.to_owned())];
    v.forms.push(Form {
        id: Some("details".into()),
        action: action.clone(),
        hidden: op("update"),
        fieldsets: vec![Fieldset {
            legend: Some(t.organization_edit.into()),
            fields: organization_fields(a, Some(&o)),
            ..Fieldset::default()
        }],
        submit: t.save.into(),
        ..Form::default()
    });
    let boxes = services
        .iter()
        .map(|s| {
            let mut f = Field::new(
                "checkbox",
                &format!("svc-{}", s.id),
                &format!("{} ({})", s.name, s.id),
                "",
            );
            f.checked = o.services.contains(&s.id);
            f
        })
        .collect::<Vec<_>>();
    v.forms.push(Form {
        id: Some("services".into()),
        action: action.clone(),
        hidden: op("services"),
        fieldsets: vec![Fieldset {
            legend: Some(t.services_allowed.into()),
            hint: services.is_empty().then(|| t.no_services.to_owned()),
            fields: boxes,
            ..Fieldset::default()
        }],
        submit: t.save.into(),
        ..Form::default()
    });
    v.sections.push(Section {
        heading: Some(t.lras.into()),
        rows: if lras.is_empty() {
            vec![(t.lras_none.into(), String::new())]
        } else {
            lras.iter()
                .map(|l| (l.login_id.clone(), l.name.clone()))
                .collect()
        },
    });
    v.forms.push(Form {
        id: Some("grant".into()),
        action: action.clone(),
        hidden: op("grant"),
        fieldsets: vec![Fieldset {
            legend: Some(t.lra_grant_legend.into()),
            fields: vec![Field::new("text", "login_id", t.lra_login_id, "")
                .auto("off")
                .required()],
            ..Fieldset::default()
        }],
        submit: t.lra_grant.into(),
        ..Form::default()
    });
    for (i, l) in lras.iter().enumerate() {
        let mut hidden = op("revoke");
        hidden.push(("account".into(), l.account_id.clone()));
        v.forms.push(Form {
            id: Some(format!("revoke-{i}")),
            action: action.clone(),
            hidden,
            submit: t.lra_revoke.replace("{}", &l.login_id),
            ..Form::default()
        });
    }
    super::process::add_to(p, a, id, &action, &mut v)
        .await
        .or_page(a.locale)?;
    Ok(v)
}

/// GET /admin/organizations/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn organization(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/organizations").await?;
    let mut v = organization_view(&p, &a, &id).await?;
    if params.get("notice").map(String::as_str) == Some("added") {
        v.notice = Some(AdminText::get(a.locale).added.into());
    }
    Ok(send_detail(&p, &headers, &a, &v, true))
}

/// Runs one operation of the organization page; returns the notice to show.
async fn organization_op(
    p: &Provider,
    a: &Admin,
    id: &str,
    form: &Params,
) -> Result<String, ApiError> {
    let t = AdminText::get(a.locale);
    let actor = Actor::person(&a.account.id);
    let name = form.get("op").map(String::as_str).unwrap_or("");
    if let Some(done) = super::process::op(p, a, id, name, form).await {
        return done;
    }
    match name {
        "update" => {
            let patch = OrganizationPatch {
                name: Some(form.get("name").cloned().unwrap_or_default()),
                status: form.get("status").cloned(),
                registering: Some(form.contains_key("registering")),
                assurance_level: Some(level_of(form, "assurance_level")?),
                id_scheme: Some(text_of(form, "id_scheme")),
                scope: Some(text_of(form, "scope")),
            };
            p.registration.update_organization(id, patch, actor).await?;
            Ok(t.saved.into())
        }
        "services" => {
            let o = p
                .registration
                .directory
                .organization(id)
                .await?
                .ok_or_else(|| ApiError::NotFound("organization".into()))?;
            for s in p.registration.directory.services().await? {
                let want = form.contains_key(&format!("svc-{}", s.id));
                let has = o.services.contains(&s.id);
                if want && !has {
                    p.registration.allow_service(id, &s.id, actor).await?;
                } else if has && !want {
                    p.registration.disallow_service(id, &s.id, actor).await?;
                }
            }
            Ok(t.saved.into())
        }
        "grant" => {
            let who = LraInput {
                login_id: text_of(form, "login_id"),
                account_id: None,
            };
            let (lra, _) = p.registration.grant_lra(id, &who, actor).await?;
            Ok(t.lra_granted.replace("{}", &lra.login_id))
        }
        "revoke" => {
            let account = form.get("account").cloned().unwrap_or_default();
            let acc = p.registration.find_account(&account).await?;
            p.registration.revoke_lra(id, &acc.id, actor).await?;
            Ok(t.lra_revoked.replace("{}", &acc.login_id))
        }
        _ => Err(ApiError::invalid("", "unknown operation")),
    }
}

/// POST /admin/organizations/{id} (op = update | services | grant | revoke)
#[tracing::instrument(skip_all)]
pub(super) async fn organization_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/organizations").await?;
    let result = organization_op(&p, &a, &id, &form).await;
    let mut v = organization_view(&p, &a, &id).await?;
    match result {
        Ok(notice) => {
            v.notice = Some(notice);
            Ok(send_detail(&p, &headers, &a, &v, true))
        }
        Err(e) => {
            match form.get("op").map(String::as_str) {
                Some("update") => keep_typed(
                    &mut v,
                    &form,
                    &["name", "status", "assurance_level", "id_scheme", "scope"],
                ),
                Some("grant") => keep_typed(&mut v, &form, &["login_id"]),
                _ => {}
            }
            show_error(&a, &mut v, e)?;
            Ok(send_detail(&p, &headers, &a, &v, false))
        }
    }
}
