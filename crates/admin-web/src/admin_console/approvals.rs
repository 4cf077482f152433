//! The console's list of approvals due for review (004 §5.3, §6.3.5, §6.7.3): registries and
//! managed registration processes never reviewed, past their review date, or reported changed,
//! each linked to its page; forms to record a review and to report a change; and the
//! self-registrations held because they matched an existing account, to link or release.

use super::{form_request, page, page_request, send, show_error, Admin};
use crate::admin_api::ApiError;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use platform::Locale;
use registration::approvals::{ReviewInput, Subject};
use registration::Actor;
use std::sync::Arc;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::Params;

struct Text {
    review_legend: &'static str,
    change_legend: &'static str,
    held_heading: &'static str,
    held_none: &'static str,
    kind: &'static str,
    id: &'static str,
    reviewed_by: &'static str,
    decision: &'static str,
    general: &'static str,
    limited: &'static str,
    services: &'static str,
    services_hint: &'static str,
    approved_from: &'static str,
    approved_until: &'static str,
    contacts: &'static str,
    next_review: &'static str,
    day_hint: &'static str,
    change_kind: &'static str,
    note: &'static str,
    record: &'static str,
    report: &'static str,
    link: &'static str,
    release: &'static str,
    done: &'static str,
    bad_date: &'static str,
    title: &'static str,
    intro: &'static str,
    none: &'static str,
    head: [&'static str; 4],
    registry: &'static str,
    process: &'static str,
    reasons: [(&'static str, &'static str); 5],
}

const EN: Text = Text {
    review_legend: "Record a review",
    change_legend: "Report a change (the approval falls due)",
    held_heading: "Self-registrations held: their identity matches an existing account",
    held_none: "No self-registration is held.",
    kind: "What",
    id: "Registry or organization id",
    reviewed_by: "Reviewed by",
    decision: "Decision",
    general: "General",
    limited: "Limited",
    services: "Services (a process's limited approval)",
    services_hint: "Separated by commas",
    approved_from: "Approved from",
    approved_until: "Approved until",
    contacts: "The owner's named contacts",
    next_review: "Next review",
    day_hint: "YYYY-MM-DD",
    change_kind: "Change",
    note: "Note",
    record: "Record the review",
    report: "Report the change",
    link: "Link {m} to the matching account",
    release: "Release {m} (a different person)",
    done: "Done.",
    bad_date: "Enter a date as YYYY-MM-DD.",
    title: "Approvals due for review",
    intro: "Registries and managed registration processes whose approval must be reviewed: never reviewed, past the date of their next review, or reported changed (a significant change, a change of corporate structure, a new level of assurance).",
    none: "No approval is due for review.",
    head: ["What", "Id", "Why", "Since"],
    registry: "Registry",
    process: "Managed registration process",
    reasons: [
        ("never_reviewed", "Never reviewed"),
        ("review_date", "Review date reached"),
        ("significant_change", "Significant change reported"),
        ("corporate_structure", "Change of corporate structure"),
        ("level_changed", "Level of assurance changed"),
    ],
};

const FR: Text = Text {
    review_legend: "Consigner une révision",
    change_legend: "Signaler un changement (l’approbation est à réviser)",
    held_heading: "Auto-inscriptions en attente\u{a0}: leur identité correspond à un compte existant",
    held_none: "Aucune auto-inscription n’est en attente.",
    kind: "Quoi",
    id: "Identifiant du registre ou de l’organisme",
    reviewed_by: "Révisée par",
    decision: "Décision",
    general: "Générale",
    limited: "Limitée",
    services: "Services (approbation limitée d’un processus)",
    services_hint: "Séparés par des virgules",
    approved_from: "Approuvé à compter du",
    approved_until: "Approuvé jusqu’au",
    contacts: "Personnes-ressources nommées du propriétaire",
    next_review: "Prochaine révision",
    day_hint: "AAAA-MM-JJ",
    change_kind: "Changement",
    note: "Note",
    record: "Consigner la révision",
    report: "Signaler le changement",
    link: "Lier {m} au compte correspondant",
    release: "Libérer {m} (une autre personne)",
    done: "C’est fait.",
    bad_date: "Entrez une date au format AAAA-MM-JJ.",
    title: "Approbations à réviser",
    intro: "Registres et processus d’inscription gérés dont l’approbation doit être révisée\u{a0}: jamais révisée, date de la prochaine révision atteinte, ou changement signalé (changement important, changement de structure organisationnelle, nouveau niveau d’assurance).",
    none: "Aucune approbation n’est à réviser.",
    head: ["Quoi", "Identifiant", "Pourquoi", "Depuis"],
    registry: "Registre",
    process: "Processus d’inscription géré",
    reasons: [
        ("never_reviewed", "Jamais révisée"),
        ("review_date", "Date de révision atteinte"),
        ("significant_change", "Changement important signalé"),
        ("corporate_structure", "Changement de structure organisationnelle"),
        ("level_changed", "Niveau d’assurance modifié"),
    ],
};

fn text(l: Locale) -> &'static Text {
    match l {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

async fn view(p: &Provider, a: &Admin) -> Result<View, WebError> {
    let t = text(a.locale);
    let due = p.registration.approvals_due().await.or_page(a.locale)?;
    let mut v = page(a, t.title, "/admin/approvals");
    v.intro.push(t.intro.into());
    if due.is_empty() {
        v.intro.push(t.none.into());
    } else {
        v.table_head = t.head.iter().map(|h| (*h).to_owned()).collect();
        v.table = due
            .iter()
            .map(|d| {
                let (what, href) = match d.subject {
                    Subject::Registry => {
                        (t.registry, format!("/admin/registries/{}", d.subject_id))
                    }
                    Subject::Process => {
                        (t.process, format!("/admin/organizations/{}", d.subject_id))
                    }
                };
                let why = t
                    .reasons
                    .iter()
                    .find(|(k, _)| *k == d.reason)
                    .map_or(d.reason.as_str(), |(_, v)| v);
                vec![
                    (String::new(), what.to_owned()),
                    (a.href(&href), d.subject_id.clone()),
                    (String::new(), why.to_owned()),
                    (String::new(), web::widgets::date(d.since)),
                ]
            })
            .collect();
    }
    let action = a.href("/admin/approvals");
    let op = |name: &str| vec![("op".to_owned(), name.to_owned())];
    let kinds = vec![
        ("registry".to_owned(), t.registry.to_owned()),
        ("process".to_owned(), t.process.to_owned()),
    ];
    v.forms.push(Form {
        id: Some("review".into()),
        action: action.clone(),
        hidden: op("review"),
        fieldsets: vec![Fieldset {
            legend: Some(t.review_legend.into()),
            fields: vec![
                Field::new("select", "kind", t.kind, "registry").options(kinds.clone()),
                Field::new("text", "id", t.id, "").required().auto("off"),
                Field::new("text", "reviewed_by", t.reviewed_by, "").required(),
                Field::new("select", "decision", t.decision, "general").options(vec![
                    ("general".into(), t.general.into()),
                    ("limited".into(), t.limited.into()),
                ]),
                Field::new("text", "services", t.services, "").hint(t.services_hint),
                Field::new("text", "approved_from", t.approved_from, "").hint(t.day_hint),
                Field::new("text", "approved_until", t.approved_until, "").hint(t.day_hint),
                Field::new("text", "contacts", t.contacts, "").required(),
                Field::new("text", "next_review", t.next_review, "")
                    .hint(t.day_hint)
                    .required(),
            ],
            ..Fieldset::default()
        }],
        submit: t.record.into(),
        ..Form::default()
    });
    v.forms.push(Form {
        id: Some("change".into()),
        action: action.clone(),
        hidden: op("change"),
        fieldsets: vec![Fieldset {
            legend: Some(t.change_legend.into()),
            fields: vec![
                Field::new("select", "kind", t.kind, "registry").options(kinds),
                Field::new("text", "id", t.id, "").required().auto("off"),
                Field::new("select", "change", t.change_kind, "significant_change").options(
                    t.reasons[2..4]
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                ),
                Field::new("text", "note", t.note, ""),
            ],
            ..Fieldset::default()
        }],
        submit: t.report.into(),
        ..Form::default()
    });
    let held = p
        .registration
        .held()
        .await
        .map_err(|e| WebError::from(PageError::internal(a.locale, e)))?;
    v.sections.push(Section {
        heading: Some(t.held_heading.into()),
        rows: if held.is_empty() {
            vec![(t.held_none.into(), String::new())]
        } else {
            held.iter()
                .map(|h| {
                    (
                        format!("{} {}", h.registry_id, h.member_id),
                        h.identity.clone(),
                    )
                })
                .collect()
        },
    });
    for (i, h) in held.iter().enumerate() {
        for (what, label) in [("link", t.link), ("release", t.release)] {
            let mut hidden = op("held");
            hidden.extend([
                ("registry".to_owned(), h.registry_id.clone()),
                ("member".to_owned(), h.member_id.clone()),
                ("action".to_owned(), what.to_owned()),
            ]);
            v.forms.push(Form {
                id: Some(format!("{what}-{i}")),
                action: action.clone(),
                hidden,
                submit: label.replace("{m}", &h.member_id),
                ..Form::default()
            });
        }
    }
    Ok(v)
}

/// GET /admin/approvals
#[tracing::instrument(skip_all)]
pub(super) async fn approvals(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let (a, _) = page_request(&p, &headers, q, "/admin/approvals").await?;
    let v = view(&p, &a).await?;
    Ok(send(&p, &headers, &a, &v, true))
}

async fn act(p: &Provider, a: &Admin, form: &Params) -> Result<(), ApiError> {
    let t = text(a.locale);
    let actor = Actor::person(&a.account.id);
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let kind = || {
        Subject::parse(&get("kind")).ok_or_else(|| ApiError::invalid("kind", "registry or process"))
    };
    match get("op").as_str() {
        "review" => {
            let next = super::registries::day_field(form, "next_review", false, t.bad_date)?
                .ok_or_else(|| ApiError::invalid("", t.bad_date))?;
            let input = ReviewInput {
                reviewed_by: get("reviewed_by"),
                reviewed_at: None,
                decision: get("decision"),
                services: get("services")
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
                approved_from: super::registries::day_field(
                    form,
                    "approved_from",
                    false,
                    t.bad_date,
                )?,
                approved_until: super::registries::day_field(
                    form,
                    "approved_until",
                    true,
                    t.bad_date,
                )?,
                contacts: get("contacts"),
                next_review_at: next,
            };
            p.registration
                .record_review(kind()?, &get("id"), input, actor)
                .await?;
        }
        "change" => {
            let note = get("note");
            let note = Some(note.as_str()).filter(|n| !n.is_empty());
            p.registration
                .report_change(kind()?, &get("id"), &get("change"), note, actor)
                .await?;
        }
        "held" => {
            p.registration
                .resolve_held(&get("registry"), &get("member"), &get("action"), actor)
                .await?;
        }
        _ => return Err(ApiError::invalid("", "unknown operation")),
    }
    Ok(())
}

/// POST /admin/approvals (op = review | change | held)
#[tracing::instrument(skip_all)]
pub(super) async fn approvals_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let (a, form) = form_request(&p, &headers, q, &body, "/admin/approvals").await?;
    let result = act(&p, &a, &form).await;
    let mut v = view(&p, &a).await?;
    match result {
        Ok(()) => {
            v.notice = Some(text(a.locale).done.into());
            Ok(send(&p, &headers, &a, &v, true))
        }
        Err(e) => {
            super::directory::keep_typed(
                &mut v,
                &form,
                &[
                    "id",
                    "reviewed_by",
                    "services",
                    "approved_from",
                    "approved_until",
                    "contacts",
                    "next_review",
                    "note",
                ],
            );
            show_error(&a, &mut v, e)?;
            Ok(send(&p, &headers, &a, &v, false))
        }
    }
}
