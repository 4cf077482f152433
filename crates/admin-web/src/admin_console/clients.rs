//! Console pages for relying parties: the list and a new one (in its service; a confidential
//! one's generated secret shown once), and each one's service and removal.

use super::directory::{keep_typed, text_of};
use super::{
    add_form, form_request, not_found, page, page_request, send, send_detail, show_error, Admin,
};
use crate::admin_api::{self, ApiError, ClientInput};
use crate::admin_text::AdminText;
use authorization_server::clients::validate_redirect_uri;
use authorization_server::keys::SigAlg;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use registration::Actor;
use std::sync::Arc;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::{see_other, Params};

/// A path segment, percent-encoded.
pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The services as select options, after `first`.
async fn service_options(
    p: &Provider,
    a: &Admin,
    first: (String, String),
) -> Result<Vec<(String, String)>, WebError> {
    let services = p
        .registration
        .directory
        .services()
        .await
        .or_page(a.locale)?;
    let mut options = vec![first];
    options.extend(
        services
            .iter()
            .map(|s| (s.id.clone(), format!("{} ({})", s.name, s.id))),
    );
    Ok(options)
}

/// Rows on a page of the relying parties' list.
const CLIENTS_PAGE: i64 = 100;

/// The relying parties, a page at a time by id (`after` / `before` in `params`), and the form
/// that registers one.
async fn clients_view(p: &Provider, a: &Admin, params: &Params) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let cursor = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let list = web::lists::ListAddress::new("/admin/clients", a.locale)
        .with("after", cursor("after").unwrap_or(""))
        .with("before", cursor("before").unwrap_or(""));
    let found = p
        .clients
        .page(cursor("after"), cursor("before"), CLIENTS_PAGE)
        .await
        .or_page(a.locale)?;
    let all = &found.rows;
    let mut v = page(a, t.clients_title, "/admin/clients");
    v.other_lang_href = Some(list.other_language(a.locale));
    let ends = found.ends(|c| &c.client_id);
    v.pager = list.pager(a.locale, ends, found.more_before, found.more_after);
    v.table_head = vec![
        t.client_id.into(),
        t.name.into(),
        t.client_kind.into(),
        t.service.into(),
    ];
    v.table = all
        .iter()
        .map(|c| {
            vec![
                (
                    a.href(&format!("/admin/clients/{}", enc(&c.client_id))),
                    c.client_id.clone(),
                ),
                (String::new(), c.name.clone()),
                (
                    String::new(),
                    if c.is_public() {
                        t.public
                    } else {
                        t.confidential
                    }
                    .into(),
                ),
                (
                    String::new(),
                    c.service_id.clone().unwrap_or_else(|| "–".into()),
                ),
            ]
        })
        .collect();
    let services = service_options(p, a, (String::new(), t.choose.into())).await?;
    let fields = vec![
        Field::new("text", "client_id", t.client_id, "")
            .hint(t.client_id_hint)
            .auto("off")
            .required(),
        Field::new("text", "name", t.name, "").required(),
        Field::new("select", "service_id", t.service, "")
            .options(services)
            .required(),
        Field::new("textarea", "redirect_uris", t.redirect_uris, "")
            .hint(t.uris_hint)
            .required(),
        Field::new(
            "textarea",
            "post_logout_redirect_uris",
            t.post_logout_uris,
            "",
        )
        .hint(t.uris_hint),
        Field::new("select", "kind", t.client_kind, "confidential").options(vec![
            ("confidential".into(), t.confidential.into()),
            ("public".into(), t.public.into()),
        ]),
        Field::new("select", "id_token_alg", t.id_token_alg, "RS256").options(
            SigAlg::ALL
                .iter()
                .map(|g| (g.as_str().to_owned(), g.as_str().to_owned()))
                .collect(),
        ),
        Field::new("checkbox", "require_mfa", t.require_mfa, ""),
        Field::new(
            "checkbox",
            "require_phishing_resistant",
            t.require_phishing_resistant,
            "",
        ),
        Field::new("checkbox", "require_par", t.require_par, ""),
        Field::new("checkbox", "third_party", t.third_party, ""),
        Field::new("checkbox", "pairwise", t.pairwise, ""),
        Field::new("url", "sector_identifier_uri", t.sector_identifier_uri, "")
            .hint(t.sector_hint)
            .auto("off"),
    ];
    v.forms
        .push(add_form(a, "/admin/clients", t.client_add, fields, t.add));
    Ok(v)
}

/// GET /admin/clients
#[tracing::instrument(skip_all)]
pub(super) async fn clients(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, params) = page_request(&p, &headers, q, "/admin/clients").await?;
    let mut v = clients_view(&p, &a, &params).await?;
    if params.get("notice").map(String::as_str) == Some("removed") {
        v.notice = Some(AdminText::get(a.locale).removed.into());
    }
    Ok(send(&p, &headers, &a, &v, true))
}

/// The lines of a textarea, trimmed, blank ones dropped.
fn lines(form: &Params, name: &str) -> Vec<String> {
    form.get(name)
        .map(|v| {
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The registration the form asks for, or the first field at fault (with the console's own
/// words, so the page reads in its language).
fn client_input(form: &Params, a: &Admin) -> Result<ClientInput, (&'static str, &'static str)> {
    let t = AdminText::get(a.locale);
    let client_id = text_of(form, "client_id").unwrap_or_default();
    if client_id.is_empty()
        || client_id.len() > 128
        || !client_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    {
        return Err(("client_id", t.bad_client_id));
    }
    let name = text_of(form, "name").ok_or(("name", t.bad_name))?;
    let service_id = text_of(form, "service_id").ok_or(("service_id", t.needs_service))?;
    let redirect_uris = lines(form, "redirect_uris");
    if redirect_uris.is_empty()
        || redirect_uris
            .iter()
            .any(|u| validate_redirect_uri(u).is_err())
    {
        return Err(("redirect_uris", t.bad_uris));
    }
    let post_logout_redirect_uris = lines(form, "post_logout_redirect_uris");
    if post_logout_redirect_uris
        .iter()
        .any(|u| validate_redirect_uri(u).is_err())
    {
        return Err(("post_logout_redirect_uris", t.bad_uris));
    }
    Ok(ClientInput {
        client_id,
        name,
        redirect_uris,
        post_logout_redirect_uris,
        public: form.get("kind").map(String::as_str) == Some("public"),
        id_token_alg: text_of(form, "id_token_alg"),
        require_mfa: form.contains_key("require_mfa"),
        require_phishing_resistant: form.contains_key("require_phishing_resistant"),
        require_par: form.contains_key("require_par"),
        third_party: form.contains_key("third_party"),
        subject_type: form.contains_key("pairwise").then(|| "pairwise".to_owned()),
        sector_identifier_uri: text_of(form, "sector_identifier_uri"),
        service_id: Some(service_id),
        ..ClientInput::default()
    })
}

/// POST /admin/clients (register one)
#[tracing::instrument(skip_all)]
pub(super) async fn clients_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/clients").await?;
    let result = match client_input(&form, &a) {
        Ok(input) => admin_api::add_client(&p, input, Actor::person(&a.account.id))
            .await
            .map_err(Err),
        Err(fault) => Err(Ok(fault)),
    };
    match result {
        Ok((c, secret)) => {
            // The secret is shown here, once; only its digest is kept.
            let mut v = client_view(&p, &a, &c.client_id).await?;
            let t = AdminText::get(a.locale);
            v.notice = Some(t.added.into());
            if let Some(s) = secret {
                v.sections.insert(
                    0,
                    Section {
                        heading: Some(t.secret_heading.into()),
                        rows: vec![(t.secret_once.into(), s)],
                    },
                );
            }
            Ok(send(&p, &headers, &a, &v, true))
        }
        Err(e) => {
            let mut v = clients_view(&p, &a, &Params::default()).await?;
            keep_typed(
                &mut v,
                &form,
                &[
                    "client_id",
                    "name",
                    "service_id",
                    "redirect_uris",
                    "post_logout_redirect_uris",
                    "kind",
                    "id_token_alg",
                    "sector_identifier_uri",
                ],
            );
            match e {
                Ok((field, msg)) => v.field_error(field, msg),
                Err(e) => {
                    show_error(&a, &mut v, e)?;
                }
            }
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}

async fn client_view(p: &Provider, a: &Admin, id: &str) -> Result<View, WebError> {
    let t = AdminText::get(a.locale);
    let Some(c) = p.clients.get(id).await.or_page(a.locale)? else {
        return Err(not_found(a));
    };
    let path = format!("/admin/clients/{}", enc(id));
    let mut v = page(a, &format!("{} ({})", c.name, c.client_id), &path);
    v.sections.push(Section {
        heading: None,
        rows: vec![
            (t.client_id.into(), c.client_id.clone()),
            (
                t.client_kind.into(),
                if c.is_public() {
                    t.public
                } else {
                    t.confidential
                }
                .into(),
            ),
            (t.grants.into(), c.grant_types.join(", ")),
            (t.redirect_uris.into(), c.redirect_uris.join("\n")),
            (
                t.subject_type.into(),
                match &c.sector {
                    Some(sector) => format!("{} {sector}", t.subject_pairwise),
                    None => t.subject_public.into(),
                },
            ),
        ],
    });
    // A client that signs people in must stay in a service; one acting only for itself
    // (client_credentials) may be in none.
    let first = if c.allows_grant("authorization_code") {
        (String::new(), t.choose.to_owned())
    } else {
        (String::new(), t.service_none.to_owned())
    };
    let options = service_options(p, a, first).await?;
    v.forms.push(Form {
        id: Some("service".into()),
        action: a.href(&path),
        hidden: vec![("op".into(), "service".into())],
        fieldsets: vec![Fieldset {
            fields: vec![Field::new(
                "select",
                "service_id",
                t.service,
                c.service_id.as_deref().unwrap_or(""),
            )
            .options(options)],
            ..Fieldset::default()
        }],
        submit: t.save.into(),
        ..Form::default()
    });
    super::resources::client_part(p, a, &c, &path, &mut v).await?;
    v.forms.push(Form {
        id: Some("remove".into()),
        action: a.href(&path),
        hidden: vec![("op".into(), "remove".into())],
        fieldsets: vec![Fieldset {
            legend: Some(t.client_remove.into()),
            fields: vec![Field::new(
                "checkbox",
                "confirm",
                t.client_remove_confirm,
                "",
            )],
            ..Fieldset::default()
        }],
        submit: t.remove.into(),
        ..Form::default()
    });
    Ok(v)
}

/// GET /admin/clients/{id}
#[tracing::instrument(skip_all)]
pub(super) async fn client(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _params) = page_request(&p, &headers, q, "/admin/clients").await?;
    Ok(send_detail(
        &p,
        &headers,
        &a,
        &client_view(&p, &a, &id).await?,
        true,
    ))
}

/// POST /admin/clients/{id} (op = service | remove)
#[tracing::instrument(skip_all)]
pub(super) async fn client_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/clients").await?;
    let t = AdminText::get(a.locale);
    let actor = Actor::person(&a.account.id);
    if form.get("op").map(String::as_str) == Some("remove") {
        if !form.contains_key("confirm") {
            let mut v = client_view(&p, &a, &id).await?;
            v.field_error("confirm", t.confirm_required);
            return Ok(send_detail(&p, &headers, &a, &v, false));
        }
        return match admin_api::remove_client(&p, &id, actor).await {
            Ok(()) => Ok(see_other(&a.href("/admin/clients?notice=removed"))),
            Err(ApiError::NotFound(_)) => Err(not_found(&a)),
            Err(e) => Err(PageError::internal(a.locale, e).into()),
        };
    }
    if let Some(done) = super::resources::client_op(&p, &a, &id, &form).await {
        let mut v = client_view(&p, &a, &id).await?;
        return match done {
            Ok(Ok(notice)) => {
                v.notice = Some(notice.into());
                Ok(send_detail(&p, &headers, &a, &v, true))
            }
            Ok(Err((field, msg))) => {
                keep_typed(&mut v, &form, &["resource", "resource_scopes"]);
                v.field_error(field, msg);
                Ok(send_detail(&p, &headers, &a, &v, false))
            }
            Err(ApiError::NotFound(_)) => Err(not_found(&a)),
            Err(e) => {
                show_error(&a, &mut v, e)?;
                Ok(send_detail(&p, &headers, &a, &v, false))
            }
        };
    }
    let service = form.get("service_id").map(String::as_str);
    let result = authorization_server::clients::set_client_service(&p, &id, service, actor)
        .await
        .map_err(ApiError::from);
    let mut v = client_view(&p, &a, &id).await?;
    match result {
        Ok(_) => {
            v.notice = Some(t.saved.into());
            Ok(send_detail(&p, &headers, &a, &v, true))
        }
        Err(ApiError::Invalid { message, .. }) => {
            let msg = if message.contains("belongs to a service") {
                t.needs_service
            } else {
                t.no_such_service
            };
            v.field_error("service_id", msg);
            Ok(send_detail(&p, &headers, &a, &v, false))
        }
        Err(e) => {
            show_error(&a, &mut v, e)?;
            Ok(send_detail(&p, &headers, &a, &v, false))
        }
    }
}
