//! One registry's console page: its settings and keys, and its forms (status, key rotation,
//! the import of the registrations its owner reports terminated).

use super::super::{form_request, page, page_request, send, Admin};
use super::{actor, refused, status_text, RegistryText};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use registration::{AdminError, KeyInput, Registry, RegistryStatus};
use std::sync::Arc;
use web::error::{OrPage, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::see_other;

async fn registry_view(p: &Provider, a: &Admin, r: &Registry) -> Result<View, WebError> {
    let t = RegistryText::get(a.locale);
    let keys = p
        .registration
        .registries
        .keys(&r.id)
        .await
        .or_page(a.locale)?;
    let now = p.clock.now();
    let path = format!("/admin/registries/{}", r.id);
    let mut v = page(a, &format!("{} – {}", t.title, r.name), &path);
    let window = |ts: Option<i64>| ts.map(web::widgets::date).unwrap_or_else(|| "–".into());
    v.sections.push(Section {
        heading: None,
        rows: vec![
            (t.id.into(), r.id.clone()),
            (t.owner.into(), r.owner.clone()),
            (t.contact.into(), r.contact.clone()),
            (t.college.into(), format!("{} ({})", r.college, r.id_scheme)),
            (t.level.into(), format!("AL{}", r.assurance_level)),
            (
                t.approval.into(),
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
                t.sponsor.into(),
                r.sponsor_id.clone().unwrap_or_else(|| t.none.into()),
            ),
            (
                t.services.into(),
                if r.services.is_empty() {
                    t.none.into()
                } else {
                    r.services.join(", ")
                },
            ),
            (
                t.status.into(),
                format!(
                    "{} ({} {})",
                    status_text(t, r.status),
                    t.since,
                    web::widgets::date(r.status_changed_at)
                ),
            ),
        ],
    });
    v.table_head = vec![
        t.kid.into(),
        t.alg.into(),
        t.created.into(),
        t.retires.into(),
    ];
    v.table = keys
        .iter()
        .map(|k| {
            vec![
                (String::new(), k.kid.clone()),
                (String::new(), k.alg.clone()),
                (String::new(), web::widgets::datetime(k.created_at)),
                (
                    String::new(),
                    match k.retire_at {
                        None => t.live.into(),
                        Some(at) if at > now => {
                            format!("{} ({})", web::widgets::datetime(at), t.live)
                        }
                        Some(at) => web::widgets::datetime(at),
                    },
                ),
            ]
        })
        .collect();
    if r.status != RegistryStatus::Terminated {
        let mut buttons = Vec::new();
        let main = if r.status == RegistryStatus::Approved {
            ("suspend", t.suspend)
        } else {
            ("reinstate", t.reinstate)
        };
        buttons.push(("op".into(), "terminate".into(), t.terminate.into()));
        v.forms.push(Form {
            id: Some("status".into()),
            action: a.href(&path),
            hidden: vec![("what".into(), "status".into())],
            fieldsets: vec![Fieldset {
                legend: Some(t.status_legend.into()),
                fields: vec![Field::new("checkbox", "confirm", t.confirm_terminate, "")],
                ..Fieldset::default()
            }],
            submit: main.1.into(),
            button_name: Some(format!("op_{}", main.0)),
            buttons,
            ..Form::default()
        });
    }
    v.forms.push(Form {
        id: Some("rotate".into()),
        action: a.href(&path),
        hidden: vec![("what".into(), "key".into())],
        fieldsets: vec![Fieldset {
            legend: Some(t.rotate_legend.into()),
            fields: vec![
                Field::new("select", "alg", t.alg, "ES256").options(vec![
                    ("ES256".into(), "ES256".into()),
                    ("RS256".into(), "RS256".into()),
                ]),
                Field::new("textarea", "public_key_pem", t.public_key, "")
                    .hint(t.public_key_hint)
                    .required(),
                Field::new("text", "overlap_secs", t.overlap, "600").hint(t.overlap_hint),
            ],
            ..Fieldset::default()
        }],
        submit: t.rotate.into(),
        ..Form::default()
    });
    v.forms.push(Form {
        id: Some("terminations".into()),
        action: a.href(&path),
        hidden: vec![("what".into(), "terminations".into())],
        fieldsets: vec![Fieldset {
            legend: Some(t.terminations_legend.into()),
            fields: vec![Field::new("textarea", "members", t.members, "")
                .hint(t.members_hint)
                .required()],
            ..Fieldset::default()
        }],
        submit: t.import.into(),
        ..Form::default()
    });
    Ok(v)
}

async fn load(p: &Provider, a: &Admin, id: &str) -> Result<Registry, WebError> {
    if let Some(r) = p.registration.registries.get(id).await.or_page(a.locale)? {
        return Ok(r);
    }
    let t = RegistryText::get(a.locale);
    let mut v = page(a, t.title, "/admin/registries");
    v.errors.push((String::new(), t.not_found.into()));
    Err(WebError::Answer(web::widgets::send(
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
    let mut v = registry_view(&p, &a, &r).await?;
    let t = RegistryText::get(a.locale);
    v.notice = match params.get("notice").map(String::as_str) {
        Some("added") => Some(t.added.into()),
        Some("status") => Some(t.status_changed.into()),
        Some("rotated") => Some(t.rotated.into()),
        _ => None,
    };
    Ok(send(&p, &headers, &a, &v, true))
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
    let mut v = registry_view(&p, &a, &r).await?;
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
                v.field_error("confirm", t.confirm_required);
                return Ok(send(&p, &headers, &a, &v, false));
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
                    let mut v = registry_view(&p, &a, &load(&p, &a, &id).await?).await?;
                    v.notice = Some(
                        t.imported
                            .replace("{t}", &done.terminated.len().to_string())
                            .replace("{a}", &done.already.len().to_string())
                            .replace("{u}", &done.unknown.len().to_string()),
                    );
                    return Ok(send(&p, &headers, &a, &v, true));
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
            refused(&a, &mut v, e)?;
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}
