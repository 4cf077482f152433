//! Console pages for resource servers (APIs, FHIR servers): the list and a new one, each
//! one's removal; and on a relying party's page, the resource servers it may get tokens for,
//! with its scopes there, given and taken back. In English and French.

use super::clients::enc;
use super::directory::{keep_typed, text_of};
use super::{
    add_form, form_request, not_found, page, page_request, send, send_detail, show_error, Admin,
};
use crate::admin_api::resource_servers as api;
use crate::admin_api::ApiError;
use authorization_server::resources::{validate_audience, validate_scope, NewResourceServer};
use authorization_server::{Client, Provider};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use platform::Locale;
use registration::Actor;
use std::sync::Arc;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::{see_other, Params};

/// The words of the resource server pages.
#[derive(Debug)]
pub(crate) struct ResourceText {
    pub nav: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub add: &'static str,
    pub add_button: &'static str,
    pub id: &'static str,
    pub id_hint: &'static str,
    pub name: &'static str,
    pub audience: &'static str,
    pub audience_hint: &'static str,
    pub scopes: &'static str,
    pub scopes_hint: &'static str,
    pub bad_id: &'static str,
    pub bad_name: &'static str,
    pub bad_audience: &'static str,
    pub bad_scopes: &'static str,
    pub exists: &'static str,
    pub added: &'static str,
    pub remove: &'static str,
    pub remove_confirm: &'static str,
    pub remove_button: &'static str,
    pub confirm_required: &'static str,
    pub removed: &'static str,
    pub clients_heading: &'static str,
    pub none: &'static str,
    pub allow: &'static str,
    pub allow_button: &'static str,
    pub resource: &'static str,
    pub choose: &'static str,
    pub client_scopes_hint: &'static str,
    pub not_accepted: &'static str,
    pub no_resource: &'static str,
    pub allowed: &'static str,
    pub disallow: &'static str,
    pub disallow_button: &'static str,
    pub disallowed: &'static str,
}

static EN: ResourceText = ResourceText {
    nav: "Resource servers",
    title: "Resource servers",
    intro: "APIs and FHIR servers that access tokens are for. A relying party names one with \
            resource or aud; its token then carries that audience and only the scopes the \
            relying party may have there.",
    add: "Register a resource server",
    add_button: "Register",
    id: "Identifier",
    id_hint: "Letters, digits, - _ . (at most 64).",
    name: "Name",
    audience: "Audience (base URL)",
    audience_hint: "https, without a query or fragment; exactly what clients send.",
    scopes: "Scopes it accepts",
    scopes_hint: "One per line: SMART scopes such as patient/Observation.rs or user/*.rs, or \
                  any other scope.",
    bad_id: "Give an identifier of letters, digits, - _ or . (at most 64).",
    bad_name: "Give a name.",
    bad_audience: "Give the server's base URL, starting with https:// (http only on this \
                   computer), without a query or fragment.",
    bad_scopes: "Give at least one scope, one per line; each a well-formed SMART scope or \
                 scope word, never one of the provider's own (openid, profile...).",
    exists: "A resource server with this identifier or audience already exists.",
    added: "Resource server registered.",
    remove: "Remove this resource server",
    remove_confirm: "Yes: relying parties lose their permission for it",
    remove_button: "Remove",
    confirm_required: "Tick the box to confirm.",
    removed: "Resource server removed.",
    clients_heading: "Resource servers it may get tokens for",
    none: "None",
    allow: "Allow a resource server",
    allow_button: "Allow",
    resource: "Resource server",
    choose: "Choose…",
    client_scopes_hint: "One per line, each covered by one the server accepts; empty: all of \
                         them.",
    not_accepted: "A scope is not one this resource server accepts, or is malformed.",
    no_resource: "Choose a resource server.",
    allowed: "Permission saved.",
    disallow: "Take back a permission",
    disallow_button: "Take back",
    disallowed: "Permission taken back.",
};

static FR: ResourceText = ResourceText {
    nav: "Serveurs de ressources",
    title: "Serveurs de ressources",
    intro: "Les API et serveurs FHIR auxquels les jetons d’accès sont destinés. Une partie \
            utilisatrice en désigne un par resource ou aud; son jeton porte alors cette \
            audience et seulement les portées qu’elle peut y avoir.",
    add: "Inscrire un serveur de ressources",
    add_button: "Inscrire",
    id: "Identifiant",
    id_hint: "Lettres, chiffres, - _ . (64 au plus).",
    name: "Nom",
    audience: "Audience (URL de base)",
    audience_hint: "https, sans requête ni fragment; exactement ce qu’envoient les clients.",
    scopes: "Portées acceptées",
    scopes_hint: "Une par ligne : des portées SMART comme patient/Observation.rs ou \
                  user/*.rs, ou toute autre portée.",
    bad_id: "Donnez un identifiant de lettres, chiffres, - _ ou . (64 au plus).",
    bad_name: "Donnez un nom.",
    bad_audience: "Donnez l’URL de base du serveur, commençant par https:// (http seulement \
                   sur cet ordinateur), sans requête ni fragment.",
    bad_scopes: "Donnez au moins une portée, une par ligne; chacune une portée SMART bien \
                 formée ou un mot de portée, jamais une du fournisseur (openid, profile…).",
    exists: "Un serveur de ressources avec cet identifiant ou cette audience existe déjà.",
    added: "Serveur de ressources inscrit.",
    remove: "Retirer ce serveur de ressources",
    remove_confirm: "Oui : les parties utilisatrices perdent leur permission",
    remove_button: "Retirer",
    confirm_required: "Cochez la case pour confirmer.",
    removed: "Serveur de ressources retiré.",
    clients_heading: "Serveurs de ressources pour lesquels elle peut obtenir des jetons",
    none: "Aucun",
    allow: "Permettre un serveur de ressources",
    allow_button: "Permettre",
    resource: "Serveur de ressources",
    choose: "Choisir…",
    client_scopes_hint: "Une par ligne, chacune couverte par une que le serveur accepte; \
                         vide : toutes.",
    not_accepted: "Une portée n’est pas acceptée par ce serveur de ressources, ou est mal \
                   formée.",
    no_resource: "Choisissez un serveur de ressources.",
    allowed: "Permission enregistrée.",
    disallow: "Retirer une permission",
    disallow_button: "Retirer",
    disallowed: "Permission retirée.",
};

impl ResourceText {
    /// The words in `locale`.
    pub(crate) fn get(locale: Locale) -> &'static ResourceText {
        match locale {
            Locale::Fr => &FR,
            _ => &EN,
        }
    }
}

fn lines(form: &Params, name: &str) -> Vec<String> {
    form.get(name)
        .map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default()
}

async fn list_view(p: &Provider, a: &Admin) -> Result<View, WebError> {
    let t = ResourceText::get(a.locale);
    let all = p.resources.list().await.or_page(a.locale)?;
    let mut v = page(a, t.title, "/admin/resources");
    v.intro.push(t.intro.into());
    v.table_head = vec![
        t.id.into(),
        t.name.into(),
        t.audience.into(),
        t.scopes.into(),
    ];
    v.table = all
        .iter()
        .map(|r| {
            vec![
                (
                    a.href(&format!("/admin/resources/{}", enc(&r.id))),
                    r.id.clone(),
                ),
                (String::new(), r.name.clone()),
                (String::new(), r.audience.clone()),
                (String::new(), r.scopes.join(", ")),
            ]
        })
        .collect();
    let fields = vec![
        Field::new("text", "id", t.id, "")
            .hint(t.id_hint)
            .auto("off")
            .required(),
        Field::new("text", "name", t.name, "").required(),
        Field::new("url", "audience", t.audience, "")
            .hint(t.audience_hint)
            .auto("off")
            .required(),
        Field::new("textarea", "scopes", t.scopes, "")
            .hint(t.scopes_hint)
            .required(),
    ];
    v.forms
        .push(add_form(a, "/admin/resources", t.add, fields, t.add_button));
    Ok(v)
}

/// GET /admin/resources
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/resources").await?;
    let mut v = list_view(&p, &a).await?;
    if params.get("notice").map(String::as_str) == Some("removed") {
        v.notice = Some(ResourceText::get(a.locale).removed.into());
    }
    Ok(send(&p, &headers, &a, &v, true))
}

/// The registration the form asks for, or the first field at fault (in the page's words).
fn input(
    form: &Params,
    t: &'static ResourceText,
) -> Result<NewResourceServer, (&'static str, &'static str)> {
    let id = text_of(form, "id").unwrap_or_default();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(("id", t.bad_id));
    }
    let name = text_of(form, "name").ok_or(("name", t.bad_name))?;
    let audience = text_of(form, "audience").unwrap_or_default();
    if validate_audience(&audience).is_err() {
        return Err(("audience", t.bad_audience));
    }
    let scopes = lines(form, "scopes");
    if scopes.is_empty() || scopes.iter().any(|s| validate_scope(s).is_err()) {
        return Err(("scopes", t.bad_scopes));
    }
    Ok(NewResourceServer {
        id,
        name,
        audience,
        scopes,
    })
}

/// POST /admin/resources (register one)
#[tracing::instrument(skip_all)]
pub(super) async fn list_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/resources").await?;
    let t = ResourceText::get(a.locale);
    let result = match input(&form, t) {
        Ok(n) => api::add(&p, n, Actor::person(&a.account.id))
            .await
            .map_err(Err),
        Err(fault) => Err(Ok(fault)),
    };
    match result {
        Ok(r) => {
            let mut v = detail_view(&p, &a, &r.id).await?;
            v.notice = Some(t.added.into());
            Ok(send_detail(&p, &headers, &a, &v, true))
        }
        Err(e) => {
            let mut v = list_view(&p, &a).await?;
            keep_typed(&mut v, &form, &["id", "name", "audience", "scopes"]);
            match e {
                Ok((field, msg)) => v.field_error(field, msg),
                Err(ApiError::Conflict(_)) => v.field_error("id", t.exists),
                Err(e) => show_error(&a, &mut v, e)?,
            }
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}

async fn detail_view(p: &Provider, a: &Admin, id: &str) -> Result<View, WebError> {
    let t = ResourceText::get(a.locale);
    let Some(r) = p.resources.get(id).await.or_page(a.locale)? else {
        return Err(not_found(a));
    };
    let path = format!("/admin/resources/{}", enc(id));
    let mut v = page(a, &format!("{} ({})", r.name, r.id), &path);
    v.sections.push(Section {
        heading: None,
        rows: vec![
            (t.id.into(), r.id.clone()),
            (t.audience.into(), r.audience.clone()),
            (t.scopes.into(), r.scopes.join("\n")),
        ],
    });
    v.forms.push(Form {
        id: Some("remove".into()),
        action: a.href(&path),
        hidden: vec![("op".into(), "remove".into())],
        fieldsets: vec![Fieldset {
            legend: Some(t.remove.into()),
            fields: vec![Field::new("checkbox", "confirm", t.remove_confirm, "")],
            ..Fieldset::default()
        }],
        submit: t.remove_button.into(),
        ..Form::default()
    });
    v.links = vec![(a.href("/admin/resources"), t.title.into())];
    Ok(v)
}

/// GET /admin/resources/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn detail(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _) = page_request(&p, &headers, q, "/admin/resources").await?;
    let v = detail_view(&p, &a, &id).await?;
    Ok(send_detail(&p, &headers, &a, &v, true))
}

/// POST /admin/resources/{id} (op = remove)
#[tracing::instrument(skip_all)]
pub(super) async fn detail_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/resources").await?;
    let t = ResourceText::get(a.locale);
    if !form.contains_key("confirm") {
        let mut v = detail_view(&p, &a, &id).await?;
        v.field_error("confirm", t.confirm_required);
        return Ok(send_detail(&p, &headers, &a, &v, false));
    }
    match api::remove(&p, &id, Actor::person(&a.account.id)).await {
        Ok(()) => Ok(see_other(&a.href("/admin/resources?notice=removed"))),
        Err(ApiError::NotFound(_)) => Err(not_found(&a)),
        Err(e) => Err(PageError::internal(a.locale, e).into()),
    }
}

/// On a relying party's page: the resource servers it may get tokens for, and the forms that
/// give and take back a permission.
pub(super) async fn client_part(
    p: &Provider,
    a: &Admin,
    c: &Client,
    path: &str,
    v: &mut View,
) -> Result<(), WebError> {
    let t = ResourceText::get(a.locale);
    let rows = if c.resources.is_empty() {
        vec![(t.resource.into(), t.none.into())]
    } else {
        c.resources
            .iter()
            .map(|r| {
                (
                    r.resource_id.clone(),
                    format!("{}\n{}", r.audience, r.scopes.join("\n")),
                )
            })
            .collect()
    };
    v.sections.push(Section {
        heading: Some(t.clients_heading.into()),
        rows,
    });
    let all = p.resources.list().await.or_page(a.locale)?;
    if !all.is_empty() {
        let mut options = vec![(String::new(), t.choose.to_owned())];
        options.extend(
            all.iter()
                .map(|r| (r.id.clone(), format!("{} ({})", r.name, r.id))),
        );
        v.forms.push(Form {
            id: Some("allow".into()),
            action: a.href(path),
            hidden: vec![("op".into(), "allow".into())],
            fieldsets: vec![Fieldset {
                legend: Some(t.allow.into()),
                fields: vec![
                    Field::new("select", "resource", t.resource, "")
                        .options(options)
                        .required(),
                    Field::new("textarea", "resource_scopes", t.scopes, "")
                        .hint(t.client_scopes_hint),
                ],
                ..Fieldset::default()
            }],
            submit: t.allow_button.into(),
            ..Form::default()
        });
    }
    if !c.resources.is_empty() {
        let mut options = vec![(String::new(), t.choose.to_owned())];
        options.extend(
            c.resources
                .iter()
                .map(|r| (r.resource_id.clone(), r.resource_id.clone())),
        );
        v.forms.push(Form {
            id: Some("disallow".into()),
            action: a.href(path),
            hidden: vec![("op".into(), "disallow".into())],
            fieldsets: vec![Fieldset {
                legend: Some(t.disallow.into()),
                fields: vec![Field::new("select", "disallow_resource", t.resource, "")
                    .options(options)
                    .required()],
                ..Fieldset::default()
            }],
            submit: t.disallow_button.into(),
            ..Form::default()
        });
    }
    Ok(())
}

/// A relying party page's `allow` or `disallow` form: `Ok(notice)` when done, `Err((field,
/// message))` when refused in the page's words; `None` for another form.
pub(super) async fn client_op(
    p: &Provider,
    a: &Admin,
    client_id: &str,
    form: &Params,
) -> Option<Result<Result<&'static str, (&'static str, &'static str)>, ApiError>> {
    let t = ResourceText::get(a.locale);
    let actor = Actor::person(&a.account.id);
    match form.get("op").map(String::as_str) {
        Some("allow") => {
            let Some(resource) = text_of(form, "resource") else {
                return Some(Ok(Err(("resource", t.no_resource))));
            };
            let scopes = lines(form, "resource_scopes");
            Some(
                match api::allow(p, client_id, &resource, &scopes, actor).await {
                    Ok(_) => Ok(Ok(t.allowed)),
                    Err(ApiError::Invalid { .. }) => Ok(Err(("resource_scopes", t.not_accepted))),
                    Err(ApiError::NotFound(m)) if m.contains("resource server") => {
                        Ok(Err(("resource", t.no_resource)))
                    }
                    Err(e) => Err(e),
                },
            )
        }
        Some("disallow") => {
            let Some(resource) = text_of(form, "disallow_resource") else {
                return Some(Ok(Err(("disallow_resource", t.no_resource))));
            };
            Some(match api::disallow(p, client_id, &resource, actor).await {
                Ok(()) => Ok(Ok(t.disallowed)),
                Err(ApiError::NotFound(_)) => Ok(Err(("disallow_resource", t.no_resource))),
                Err(e) => Err(e),
            })
        }
        _ => None,
    }
}
