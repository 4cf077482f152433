//! One registry's console page (its own template, `registry.html`): its settings and keys,
//! and its forms (status, key rotation, the import of the registrations its owner reports
//! terminated).

use super::super::{form_request, page, page_request, send_page, Admin, Frame};
use super::{actor, refused, status_text, RegistryText};
use askama::Template;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use registration::{AdminError, KeyInput, Registry, RegistryStatus};
use std::sync::Arc;
use web::error::{OrPage, WebError, WebResult};
use web::http::see_other;

/// A key's row.
struct KeyRow {
    kid: String,
    alg: String,
    created: String,
    retires: String,
}

/// A registry's page: its settings, its keys, and its forms (status while not terminated,
/// key rotation, terminations).
#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    f: Frame,
    rt: &'static RegistryText,
    action: String,
    facts: Vec<(&'static str, String)>,
    keys: Vec<KeyRow>,
    /// The status form's main button (op, label); none once terminated.
    status_button: Option<(&'static str, &'static str)>,
    confirm_error: Option<&'static str>,
}

impl std::ops::Deref for RegistryPage {
    type Target = Frame;
    fn deref(&self) -> &Frame {
        &self.f
    }
}

impl RegistryPage {
    /// Sends the page (`ok`: 200, else 400).
    fn send(mut self, p: &Provider, headers: &HeaderMap, ok: bool) -> Response {
        send_page(p, headers, ok, |csrf| {
            self.f.csrf = csrf;
            self.render()
        })
    }
}

async fn registry_page(p: &Provider, a: &Admin, r: &Registry) -> Result<RegistryPage, WebError> {
    let t = RegistryText::get(a.locale);
    let keys = p
        .registration
        .registries
        .keys(&r.id)
        .await
        .or_page(a.locale)?;
    let now = p.clock.now();
    let path = format!("/admin/registries/{}", r.id);
    let window = |ts: Option<i64>| ts.map(web::widgets::date).unwrap_or_else(|| "–".into());
    let facts = vec![
        (t.id, r.id.clone()),
        (t.owner, r.owner.clone()),
        (t.contact, r.contact.clone()),
        (t.college, format!("{} ({})", r.college, r.id_scheme)),
        (t.level, format!("AL{}", r.assurance_level)),
        (
            t.approval,
            match r.approval {
                registration::Approval::General => t.general.into(),
                registration::Approval::Limited => format!(
                    "{} ({} – {})",
                    t.limited,
                    window(r.approved_from),
                    window(r.approved_until)
                ),
            },
        ),
        (
            t.sponsor,
            r.sponsor_id.clone().unwrap_or_else(|| t.no_sponsor.into()),
        ),
        (
            t.classes,
            if r.eligible_classes.is_empty() {
                t.classes_all.into()
            } else {
                r.eligible_classes.join(", ")
            },
        ),
        (
            t.services,
            if r.services.is_empty() {
                t.none.into()
            } else {
                r.services.join(", ")
            },
        ),
        (
            t.status,
            format!(
                "{} ({} {})",
                status_text(t, r.status),
                t.since,
                web::widgets::date(r.status_changed_at)
            ),
        ),
    ];
    let keys = keys
        .iter()
        .map(|k| KeyRow {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            created: web::widgets::datetime(k.created_at),
            retires: match k.retire_at {
                None => t.live.into(),
                Some(at) if at > now => format!("{} ({})", web::widgets::datetime(at), t.live),
                Some(at) => web::widgets::datetime(at),
            },
        })
        .collect();
    let status_button = match r.status {
        RegistryStatus::Terminated => None,
        RegistryStatus::Approved => Some(("suspend", t.suspend)),
        RegistryStatus::Suspended => Some(("reinstate", t.reinstate)),
    };
    Ok(RegistryPage {
        f: Frame::new(a, &format!("{} – {}", t.title, r.name), &path),
        rt: t,
        action: a.href(&path),
        facts,
        keys,
        status_button,
        confirm_error: None,
    })
}

async fn load(p: &Provider, a: &Admin, id: &str) -> Result<Registry, WebError> {
    if let Some(r) = p.registration.registries.get(id).await.or_page(a.locale)? {
        return Ok(r);
    }
    let t = RegistryText::get(a.locale);
    let mut v = page(a, t.title, "/admin/registries");
    v.errors.push((String::new(), t.not_found.into()));
    Err(WebError::answer(web::widgets::send(
        p,
        &HeaderMap::new(),
        a.locale,
        &v,
        axum::http::StatusCode::NOT_FOUND,
    )))
}

/// GET /admin/registries/{id}
#[tracing::instrument(skip_all)]
pub(in crate::admin_console) async fn registry(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> WebResult {
    let path = format!("/admin/registries/{id}");
    let (a, params) = page_request(&p, &headers, q, &path).await?;
    let r = load(&p, &a, &id).await?;
    let mut v = registry_page(&p, &a, &r).await?;
    let t = RegistryText::get(a.locale);
    v.f.notice = match params.get("notice").map(String::as_str) {
        Some("added") => Some(t.added.into()),
        Some("status") => Some(t.status_changed.into()),
        Some("rotated") => Some(t.rotated.into()),
        _ => None,
    };
    Ok(v.send(&p, &headers, true))
}

/// POST /admin/registries/{id}: status, key rotation or terminations.
#[tracing::instrument(skip_all)]
pub(in crate::admin_console) async fn registry_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let path = format!("/admin/registries/{id}");
    let (a, form) = form_request(&p, &headers, q, &body, &path).await?;
    let r = load(&p, &a, &id).await?;
    let t = RegistryText::get(a.locale);
    let mut v = registry_page(&p, &a, &r).await?;
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let outcome: Result<Option<String>, AdminError> = match get("what").as_str() {
        "status" => {
            let op = if form.get("op").map(String::as_str) == Some("terminate") {
                "terminate"
            } else if form.contains_key("op_reinstate") {
                "reinstate"
            } else {
                "suspend"
            };
            if op == "terminate" && !form.contains_key("confirm") {
                v.confirm_error = Some(t.confirm_required);
                v.f.errors
                    .push(("confirm".into(), t.confirm_required.into()));
                return Ok(v.send(&p, &headers, false));
            }
            let status = match op {
                "terminate" => RegistryStatus::Terminated,
                "reinstate" => RegistryStatus::Approved,
                _ => RegistryStatus::Suspended,
            };
            p.registration
                .set_registry_status(&id, status, actor(&a))
                .await
                .map(|_| Some("status".to_owned()))
        }
        "key" => {
            let overlap = get("overlap_secs");
            let overlap = if overlap.is_empty() {
                Ok(600)
            } else {
                overlap.parse::<i64>().map_err(|_| {
                    AdminError::invalid("", "overlap_secs must be a number of seconds")
                })
            };
            match overlap {
                Err(e) => Err(e),
                Ok(o) => p
                    .registration
                    .add_registry_key(
                        &id,
                        KeyInput {
                            alg: Some(get("alg")),
                            public_key_pem: get("public_key_pem"),
                            kid: None,
                            rotate: true,
                            overlap_secs: Some(o),
                        },
                        actor(&a),
                    )
                    .await
                    .map(|_| Some("rotated".to_owned())),
            }
        }
        "terminations" => {
            let members: Vec<String> = get("members")
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            match p
                .registration
                .import_terminations(&id, &members, actor(&a))
                .await
            {
                Ok(done) => {
                    let mut v = registry_page(&p, &a, &load(&p, &a, &id).await?).await?;
                    v.f.notice = Some(
                        t.imported
                            .replace("{t}", &done.terminated.len().to_string())
                            .replace("{a}", &done.already.len().to_string())
                            .replace("{u}", &done.unknown.len().to_string()),
                    );
                    return Ok(v.send(&p, &headers, true));
                }
                Err(e) => Err(e),
            }
        }
        _ => Err(AdminError::invalid("", "unknown form")),
    };
    match outcome {
        Ok(notice) => Ok(see_other(
            &a.href(&format!("{path}?notice={}", notice.unwrap_or_default())),
        )),
        Err(e) => {
            refused(&a, &mut v.f.errors, e)?;
            Ok(v.send(&p, &headers, false))
        }
    }
}
