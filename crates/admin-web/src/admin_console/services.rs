//! Console pages for services: the list, a new one, and each one's name, start URL and
//! minimum level of assurance.

use super::directory::{keep_typed, level_of, levels, text_of};
use super::{
    add_form, form_request, not_found, page, page_request, send, send_detail, show_error, Admin,
};
use crate::admin_api::ApiError;
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use registration::directory_admin::{ServiceInput, ServicePatch};
use registration::Actor;
use registration::Service;
use std::sync::Arc;
use web::error::{OrPage, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, View};
use web::http::see_other;

fn service_fields(a: &Admin, s: Option<&Service>) -> Vec<Field> {
    let t = AdminText::get(a.locale);
    vec![
        Field::new("text", "name", t.name, s.map_or("", |s| s.name.as_str())).required(),
        Field::new(
            "text",
            "url",
            t.url,
            s.and_then(|s| s.url.as_deref()).unwrap_or(""),
        )
        .auto("off"),
        Field::new(
            "select",
            "min_assurance_level",
            t.min_level,
            &s.map_or(1, |s| s.min_assurance_level).to_string(),
        )
        .options(levels(t, false)),
    ]
}

async fn services_view(p: &Provider, a: &Admin) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let all = p
        .registration
        .directory
        .services()
        .await
        .or_page(a.locale)?;
    let mut v = page(a, t.services_title, "/admin/services");
    v.table_head = vec![t.id.into(), t.name.into(), t.min_level.into(), t.url.into()];
    v.table = all
        .iter()
        .map(|s| {
            vec![
                (a.href(&format!("/admin/services/{}", s.id)), s.id.clone()),
                (String::new(), s.name.clone()),
                (String::new(), format!("AL{}", s.min_assurance_level)),
                (String::new(), s.url.clone().unwrap_or_else(|| "–".into())),
            ]
        })
        .collect();
    let mut fields = vec![Field::new("text", "id", t.id, "")
        .hint(t.id_hint)
        .required()];
    fields.extend(service_fields(a, None));
    v.forms
        .push(add_form(a, "/admin/services", t.service_add, fields, t.add));
    Ok(v)
}

/// GET /admin/services
#[tracing::instrument(skip_all)]
pub(super) async fn services(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/services").await?;
    let mut v = services_view(&p, &a).await?;
    if params.get("notice").map(String::as_str) == Some("added") {
        v.notice = Some(AdminText::get(a.locale).added.into());
    }
    Ok(send(&p, &headers, &a, &v, true))
}

/// POST /admin/services (add)
#[tracing::instrument(skip_all)]
pub(super) async fn services_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/services").await?;
    let result: Result<_, ApiError> = async {
        let input = ServiceInput {
            id: text_of(&form, "id").unwrap_or_default(),
            name: text_of(&form, "name").unwrap_or_default(),
            url: text_of(&form, "url"),
            min_assurance_level: Some(level_of(&form, "min_assurance_level")?.unwrap_or(0)),
        };
        Ok(p.registration
            .add_service(input, Actor::person(&a.account.id))
            .await?)
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&a.href("/admin/services?notice=added"))),
        Err(e) => {
            let mut v = services_view(&p, &a).await?;
            keep_typed(&mut v, &form, &["id", "name", "url", "min_assurance_level"]);
            show_error(&a, &mut v, e)?;
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}

async fn service_view(p: &Provider, a: &Admin, id: &str) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let Some(s) = p
        .registration
        .directory
        .service(id)
        .await
        .or_page(a.locale)?
    else {
        return Err(not_found(a));
    };
    let path = format!("/admin/services/{id}");
    let mut v = page(a, &format!("{} ({})", s.name, s.id), &path);
    v.forms.push(Form {
        id: Some("details".into()),
        action: a.href(&path),
        fieldsets: vec![Fieldset {
            fields: service_fields(a, Some(&s)),
            ..Fieldset::default()
        }],
        submit: t.save.into(),
        ..Form::default()
    });
    Ok(v)
}

/// GET /admin/services/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn service(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _params) = page_request(&p, &headers, q, "/admin/services").await?;
    Ok(send_detail(
        &p,
        &headers,
        &a,
        &service_view(&p, &a, &id).await?,
        true,
    ))
}

/// POST /admin/services/{id} (save)
#[tracing::instrument(skip_all)]
pub(super) async fn service_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/services").await?;
    let result: Result<_, ApiError> = async {
        let patch = ServicePatch {
            name: Some(form.get("name").cloned().unwrap_or_default()),
            url: Some(text_of(&form, "url")),
            min_assurance_level: Some(level_of(&form, "min_assurance_level")?.unwrap_or(0)),
        };
        Ok(p.registration
            .update_service(&id, patch, Actor::person(&a.account.id))
            .await?)
    }
    .await;
    let mut v = service_view(&p, &a, &id).await?;
    match result {
        Ok(_) => {
            v.notice = Some(AdminText::get(a.locale).saved.into());
            Ok(send_detail(&p, &headers, &a, &v, true))
        }
        Err(e) => {
            keep_typed(&mut v, &form, &["name", "url", "min_assurance_level"]);
            show_error(&a, &mut v, e)?;
            Ok(send_detail(&p, &headers, &a, &v, false))
        }
    }
}
