//! The administrators' console under `/admin`: organizations (details, allowed services, local
//! registration authorities), services, relying parties, accounts (suspend, reinstate, unlock,
//! terminate, issue a temporary password, reveal the desk answers) and the audit trail (search
//! and JSON-lines export), in English and French.
//!
//! A person gets in signed in through this provider, holding the `administrator` role, and
//! stepped up recently (`stepup.recent_secs`) with a phone or an authenticator app; an
//! administrator with neither is told to ask another. Every form carries the anti-forgery
//! token. The changes
//! go through `admin_api`'s functions, audited with the administrator's account id as actor.

mod approvals;
mod audit;
mod clients;
mod directory;
mod people;
mod process;
mod provenance;
mod registries;
mod resources;
mod services;

use crate::admin::ADMIN_ROLE;
use crate::admin_api::ApiError;
use crate::admin_text::AdminText;
use authorization_server::Provider;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use credential_store::Account;
use platform::Locale;
use std::sync::Arc;
use web::challenge as stepup;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, View};
use web::http::{parse_query, Params};
use web::session;
use web::signed_in::start_console_login;

/// The administrator at the keyboard.
pub(crate) struct Admin {
    /// Their account.
    pub account: Account,
    /// The console's language.
    pub locale: Locale,
    /// The other places their roles open (My Profile, the service desk, the LRA console).
    pub elsewhere: Vec<(String, String)>,
}

impl Admin {
    /// A link inside the console, in the console's language.
    pub fn href(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}ui_locales={}", self.locale.tag())
    }
}

fn refusal(p: &Provider, headers: &HeaderMap, locale: Locale, v: View) -> Response {
    web::widgets::send(p, headers, locale, &v, StatusCode::FORBIDDEN)
}

/// The signed-in, stepped-up administrator, or the response that gets them there (sign in,
/// step up) or turns them away.
pub(crate) async fn administrator(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
    return_to: &str,
) -> Result<Admin, WebError> {
    let asked = params.get("ui_locales").map(String::as_str);
    let accept = web::http::locale(headers, asked);
    let back = match asked {
        Some(l)
            if Locale::parse(l).is_some() && !params_in(return_to).contains_key("ui_locales") =>
        {
            let sep = if return_to.contains('?') { '&' } else { '?' };
            format!("{return_to}{sep}ui_locales={l}")
        }
        _ => return_to.to_owned(),
    };
    let live = session::signed_in(p, headers).await.or_page(accept)?;
    let Some((key, s, account)) = live else {
        return Err(start_console_login(p, accept, &back).await.into());
    };
    let locale = web::http::signed_in_locale(headers, asked, &account.locale);
    let t = AdminText::get(locale);
    if !p
        .accounts
        .has_role(&account.id, ADMIN_ROLE)
        .await
        .or_page(locale)?
    {
        let v = View {
            title: t.home_title.into(),
            errors: vec![(String::new(), locale.text().forbidden.into())],
            links: web::widgets::places(p, &account.id, locale)
                .await
                .unwrap_or_default(),
            ..View::default()
        };
        return Err(refusal(p, headers, locale, v).into());
    }
    if web::signed_in::stepped_up_with_possession(p, &s) {
        let elsewhere = web::widgets::places(p, &account.id, locale)
            .await
            .or_page(locale)?
            .into_iter()
            .filter(|(href, _)| !href.starts_with("/admin"))
            .collect();
        return Ok(Admin {
            account,
            locale,
            elsewhere,
        });
    }
    // Administration is stepped up whatever the step-up policy for relying parties says, with
    // a phone or an authenticator app (not the challenge questions), as all staff work is.
    let mut methods = stepup::methods_of(p, &account).await?;
    methods.retain(web::signed_in::possession);
    if methods.is_empty() {
        let v = View {
            title: t.home_title.into(),
            errors: vec![(String::new(), t.needs_mfa.into())],
            ..View::default()
        };
        return Err(refusal(p, headers, locale, v).into());
    }
    Err(WebError::answer(
        stepup::begin(
            p,
            headers,
            stepup::Pending {
                account_id: account.id.clone(),
                amr: s.amr.clone(),
                session_key: Some(key),
                return_to: Some(back),
                methods,
                locale,
                ..Default::default()
            },
        )
        .await,
    ))
}

/// The parameters of a path's query.
fn params_in(path: &str) -> Params {
    path.split_once('?')
        .and_then(|(_, q)| parse_query(q.as_bytes()).ok())
        .unwrap_or_default()
}

/// The administrator asking for a console page of `area` (its return path after sign-in),
/// with the query's parameters; or the response that signs them in, steps them up or turns
/// them away.
pub(crate) async fn page_request(
    p: &Provider,
    headers: &HeaderMap,
    q: Option<String>,
    area: &str,
) -> Result<(Admin, Params), WebError> {
    // Back after signing in to the page asked for, its filters and order too.
    let back = match q.as_deref() {
        Some(q) if !q.is_empty() => format!("{area}?{q}"),
        _ => area.to_owned(),
    };
    let params = query(q);
    let a = administrator(p, headers, &params, &back).await?;
    Ok((a, params))
}

/// The same for a form posted to a console page: the administrator and the form, its
/// anti-forgery token checked.
pub(crate) async fn form_request(
    p: &Provider,
    headers: &HeaderMap,
    q: Option<String>,
    body: &[u8],
    area: &str,
) -> Result<(Admin, Params), WebError> {
    let (a, _) = page_request(p, headers, q, area).await?;
    let form = web::forms::checked(p, headers, body, a.locale)?;
    Ok((a, form))
}

/// The console's "not found" page.
pub(crate) fn not_found(a: &Admin) -> WebError {
    WebError::answer(web::pages::error_page(
        a.locale,
        AdminText::get(a.locale).not_found,
        None,
        StatusCode::NOT_FOUND,
    ))
}

/// The console's navigation.
pub(crate) fn nav(a: &Admin) -> Vec<(String, String)> {
    let t = AdminText::get(a.locale);
    vec![
        (a.href("/admin/organizations"), t.nav_organizations.into()),
        (a.href("/admin/services"), t.nav_services.into()),
        (a.href("/admin/clients"), t.nav_clients.into()),
        (
            a.href("/admin/resources"),
            resources::ResourceText::get(a.locale).nav.into(),
        ),
        (
            a.href("/admin/registries"),
            registries::RegistryText::get(a.locale).nav.into(),
        ),
        (a.href("/admin/accounts"), t.nav_accounts.into()),
        (a.href("/admin/approvals"), t.nav_approvals.into()),
        (a.href("/admin/audit"), t.nav_audit.into()),
        (a.href("/admin/keys"), t.nav_keys.into()),
    ]
    .into_iter()
    .chain(a.elsewhere.iter().cloned())
    .chain([("/logout".into(), t.nav_sign_out.into())])
    .collect()
}

/// A console page: title, navigation and the link to the other language.
pub(crate) fn page(a: &Admin, title: &str, path: &str) -> View {
    let sep = if path.contains('?') { '&' } else { '?' };
    View {
        title: title.to_owned(),
        nav: nav(a),
        other_lang_href: Some(format!("{path}{sep}ui_locales={}", a.locale.other().tag())),
        wide: true,
        ..View::default()
    }
}

/// A list page's form that adds one: `fields` under `legend`, posted to the list's `path`.
pub(crate) fn add_form(
    a: &Admin,
    path: &str,
    legend: &str,
    fields: Vec<Field>,
    submit: &str,
) -> Form {
    Form {
        id: Some("add".into()),
        action: a.href(path),
        fieldsets: vec![Fieldset {
            legend: Some(legend.into()),
            fields,
            ..Fieldset::default()
        }],
        submit: submit.into(),
        ..Form::default()
    }
}

/// What every console page with its own template shows around its content (see
/// `templates/admin_head.html`): the language link, the navigation, the title, the refusals
/// and the notice.
pub(crate) struct Frame {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub t: &'static platform::i18n::Text,
    pub title: String,
    pub nav: Vec<(String, String)>,
    pub other_lang_href: String,
    /// Refusals: (field id or "", message), the field's linked from the summary.
    pub errors: Vec<(String, String)>,
    pub notice: Option<String>,
    /// This browser's anti-forgery token, set by `send_page`.
    pub csrf: String,
}

impl Frame {
    /// The frame of a console page titled `title` at `path`.
    pub fn new(a: &Admin, title: &str, path: &str) -> Self {
        let v = page(a, title, path);
        Frame {
            lang: a.locale.tag(),
            other_lang: a.locale.other().tag(),
            t: a.locale.text(),
            title: v.title,
            nav: v.nav,
            other_lang_href: v.other_lang_href.unwrap_or_default(),
            errors: Vec::new(),
            notice: None,
            csrf: String::new(),
        }
    }
}

/// Sends a console page with its own template (`ok`: 200, else 400): `render` gets this
/// browser's anti-forgery token for the page's forms.
pub(crate) fn send_page(
    p: &Provider,
    headers: &HeaderMap,
    ok: bool,
    render: impl FnOnce(String) -> askama::Result<String>,
) -> Response {
    let (csrf, set) = web::http::csrf_token(p, headers);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut r = web::pages::html(render(csrf), status);
    if let Some(c) = set {
        r.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    r
}

/// A record's page: its facts, then what can be done to it, each action in its own section
/// (`templates/detail.html`; the list and add pages keep the generic form page).
#[derive(askama::Template)]
#[template(path = "detail.html")]
struct DetailPage<'a> {
    lang: &'static str,
    t: &'static platform::i18n::Text,
    frame: Frame,
    v: &'a View,
    csrf: String,
}

/// Sends a record's page (`ok`: 200, else 400).
pub(crate) fn send_detail(
    p: &Provider,
    headers: &HeaderMap,
    a: &Admin,
    v: &View,
    ok: bool,
) -> Response {
    let mut frame = Frame::new(a, &v.title, "");
    frame.nav = v.nav.clone();
    frame.other_lang_href = v.other_lang_href.clone().unwrap_or_default();
    frame.errors = v.errors.clone();
    frame.notice = v.notice.clone();
    send_page(p, headers, ok, |csrf| {
        askama::Template::render(&DetailPage {
            lang: a.locale.tag(),
            t: a.locale.text(),
            frame,
            v,
            csrf,
        })
    })
}

/// Sends a console page.
pub(crate) fn send(p: &Provider, headers: &HeaderMap, a: &Admin, v: &View, ok: bool) -> Response {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    web::widgets::send(p, headers, a.locale, v, status)
}

/// Puts a refused change on the page: beside its field when it names one the page has,
/// otherwise in the summary. A storage failure is the internal error page instead.
pub(crate) fn show_error(a: &Admin, v: &mut View, e: ApiError) -> Result<(), PageError> {
    let t = AdminText::get(a.locale);
    match e {
        ApiError::Storage(m) => return Err(PageError::internal(a.locale, m)),
        ApiError::Invalid { field, message } => {
            let msg = match field {
                "id" => t.bad_id.to_owned(),
                "name" => t.bad_name.to_owned(),
                "assurance_level" | "min_assurance_level" => t.bad_level.to_owned(),
                "url" => t.bad_url.to_owned(),
                "id_scheme" | "scope" | "reason" => t.bad_text.to_owned(),
                "registering" => t.bad_registering.to_owned(),
                "login_id" => t.no_such_account.to_owned(),
                "event" => t.bad_event.to_owned(),
                _ => t.refused.replace("{}", &message),
            };
            if field.is_empty() {
                v.errors.push((String::new(), msg));
            } else {
                v.field_error(field, &msg);
            }
        }
        ApiError::Conflict(m) if m.contains("already exists") => {
            v.field_error("id", t.exists);
        }
        ApiError::Conflict(_) => {
            v.errors.push((String::new(), t.conflict.into()));
        }
        ApiError::NotFound(_) => {
            v.errors.push((String::new(), t.not_found.into()));
        }
    }
    Ok(())
}

/// The query string's parameters (a repeated one: none at all).
pub(crate) fn query(q: Option<String>) -> Params {
    parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default()
}

/// GET /admin (and `/admin/`)
#[tracing::instrument(skip_all)]
async fn home(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = query(q);
    let a = administrator(&p, &headers, &params, "/admin").await?;
    let t = AdminText::get(a.locale);
    let mut v = page(&a, t.home_title, "/admin");
    v.intro.push(t.home_intro.into());
    v.links = nav(&a);
    Ok(send(&p, &headers, &a, &v, true))
}

/// The console's routes, merged into the provider's router.
pub fn router() -> Router<Arc<Provider>> {
    use audit as au;
    use directory as d;
    use people as pe;
    use services as s;
    Router::new()
        .route("/admin", get(home))
        .route("/admin/", get(home))
        .route(
            "/admin/organizations",
            get(d::organizations).post(d::organizations_post),
        )
        .route(
            "/admin/organizations/{id}",
            get(d::organization).post(d::organization_post),
        )
        .route("/admin/services", get(s::services).post(s::services_post))
        .route(
            "/admin/services/{id}",
            get(s::service).post(s::service_post),
        )
        .route(
            "/admin/clients",
            get(clients::clients).post(clients::clients_post),
        )
        .route(
            "/admin/clients/{id}",
            get(clients::client).post(clients::client_post),
        )
        .route(
            "/admin/resources",
            get(resources::list).post(resources::list_post),
        )
        .route(
            "/admin/resources/{id}",
            get(resources::detail).post(resources::detail_post),
        )
        .route("/admin/accounts", get(pe::accounts).post(pe::accounts_post))
        .route(
            "/admin/accounts/{id}",
            get(pe::account).post(pe::account_post),
        )
        .route(
            "/admin/registries",
            get(registries::registries).post(registries::registries_post),
        )
        .route(
            "/admin/registries/{id}",
            get(registries::registry).post(registries::registry_post),
        )
        .route(
            "/admin/approvals",
            get(approvals::approvals).post(approvals::approvals_post),
        )
        .route("/admin/audit", get(au::audit).post(au::audit_post))
        .route("/admin/audit/export", get(au::audit_export))
        .route("/admin/audit/{id}", get(au::audit_row))
}
