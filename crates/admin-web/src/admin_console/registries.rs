//! Console pages for trusted registries: the list and a new one (with its first public key),
//! and each one's settings, keys, status (suspend, reinstate, terminate), key rotation and the
//! import of the registrations its owner reports terminated. Changes go through
//! `registration`'s administrator operations, audited with the administrator's account id as actor.

use super::{form_request, page, page_request, send, Admin};
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use platform::Locale;
use registration::{Actor, AdminError, KeyInput, Registry, RegistryInput, RegistryStatus};
use std::sync::Arc;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::see_other;

/// The words of the registry pages.
#[derive(Debug)]
pub(crate) struct RegistryText {
    pub nav: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub add: &'static str,
    pub add_button: &'static str,
    pub id: &'static str,
    pub name: &'static str,
    pub owner: &'static str,
    pub contact: &'static str,
    pub college: &'static str,
    pub level: &'static str,
    pub approval: &'static str,
    pub general: &'static str,
    pub limited: &'static str,
    pub approved_from: &'static str,
    pub approved_until: &'static str,
    pub date_hint: &'static str,
    pub sponsor: &'static str,
    pub none: &'static str,
    pub services: &'static str,
    pub status: &'static str,
    pub approved: &'static str,
    pub suspended: &'static str,
    pub terminated: &'static str,
    pub since: &'static str,
    pub kid: &'static str,
    pub alg: &'static str,
    pub created: &'static str,
    pub retires: &'static str,
    pub live: &'static str,
    pub public_key: &'static str,
    pub public_key_hint: &'static str,
    pub status_legend: &'static str,
    pub suspend: &'static str,
    pub reinstate: &'static str,
    pub terminate: &'static str,
    pub confirm_terminate: &'static str,
    pub confirm_required: &'static str,
    pub rotate_legend: &'static str,
    pub overlap: &'static str,
    pub overlap_hint: &'static str,
    pub rotate: &'static str,
    pub rotated: &'static str,
    pub terminations_legend: &'static str,
    pub members: &'static str,
    pub members_hint: &'static str,
    pub import: &'static str,
    pub imported: &'static str,
    pub added: &'static str,
    pub status_changed: &'static str,
    pub bad_date: &'static str,
    pub not_found: &'static str,
    pub refused: &'static str,
}

impl RegistryText {
    pub(crate) fn get(locale: Locale) -> &'static RegistryText {
        match locale {
            Locale::En => &EN,
            Locale::Fr => &FR,
        }
    }
}

static EN: RegistryText = RegistryText {
    nav: "Registries",
    title: "Trusted registries",
    intro: "Registries whose members self-register from their portal with a signed hand-off.",
    add: "Add a registry",
    add_button: "Add",
    id: "Id",
    name: "Name",
    owner: "Owner",
    contact: "Contact",
    college: "College",
    level: "Level of assurance",
    approval: "Approval",
    general: "General",
    limited: "Limited to its services",
    approved_from: "Approved from",
    approved_until: "Approved until",
    date_hint: "YYYY-MM-DD (UTC), optional",
    sponsor: "Sponsor",
    none: "None",
    services: "Services",
    status: "Status",
    approved: "Approved",
    suspended: "Suspended",
    terminated: "Terminated",
    since: "since",
    kid: "Key id",
    alg: "Algorithm",
    created: "Added",
    retires: "Accepted until",
    live: "live",
    public_key: "Public key (PEM)",
    public_key_hint: "SubjectPublicKeyInfo PEM: -----BEGIN PUBLIC KEY----- …",
    status_legend: "Status",
    suspend: "Suspend",
    reinstate: "Reinstate",
    terminate: "Terminate",
    confirm_terminate: "I understand that termination is final",
    confirm_required: "Tick the box to confirm the termination.",
    rotate_legend: "Rotate the signing key",
    overlap: "Old keys accepted for (seconds)",
    overlap_hint: "600 by default: the longest a hand-off may live",
    rotate: "Rotate",
    rotated: "The new key is registered; older keys stop being accepted after the overlap.",
    terminations_legend: "Import terminated registrations",
    members: "Member identifiers",
    members_hint: "Separated by spaces, commas or new lines",
    import: "Import",
    imported: "Terminated: {t}; already terminated: {a}; unknown: {u}.",
    added: "The registry is added.",
    status_changed: "The status is changed.",
    bad_date: "Enter a date as YYYY-MM-DD.",
    not_found: "There is no such registry.",
    refused: "Not saved: {}",
};

static FR: RegistryText = RegistryText {
    nav: "Registres",
    title: "Registres de confiance",
    intro: "Registres dont les membres s'inscrivent eux-mêmes à partir de leur portail, par un transfert signé.",
    add: "Ajouter un registre",
    add_button: "Ajouter",
    id: "Identifiant",
    name: "Nom",
    owner: "Propriétaire",
    contact: "Personne-ressource",
    college: "Ordre",
    level: "Niveau d'assurance",
    approval: "Approbation",
    general: "Générale",
    limited: "Limitée à ses services",
    approved_from: "Approuvé à partir du",
    approved_until: "Approuvé jusqu'au",
    date_hint: "AAAA-MM-JJ (UTC), facultatif",
    sponsor: "Parrain",
    none: "Aucun",
    services: "Services",
    status: "État",
    approved: "Approuvé",
    suspended: "Suspendu",
    terminated: "Résilié",
    since: "depuis le",
    kid: "Identifiant de clé",
    alg: "Algorithme",
    created: "Ajoutée",
    retires: "Acceptée jusqu'au",
    live: "active",
    public_key: "Clé publique (PEM)",
    public_key_hint: "PEM SubjectPublicKeyInfo : -----BEGIN PUBLIC KEY----- …",
    status_legend: "État",
    suspend: "Suspendre",
    reinstate: "Rétablir",
    terminate: "Résilier",
    confirm_terminate: "Je comprends que la résiliation est définitive",
    confirm_required: "Cochez la case pour confirmer la résiliation.",
    rotate_legend: "Remplacer la clé de signature",
    overlap: "Anciennes clés acceptées pendant (secondes)",
    overlap_hint: "600 par défaut : la durée de vie maximale d'un transfert",
    rotate: "Remplacer",
    rotated: "La nouvelle clé est enregistrée; les anciennes cessent d'être acceptées après le chevauchement.",
    terminations_legend: "Importer des inscriptions résiliées",
    members: "Identifiants de membres",
    members_hint: "Séparés par des espaces, des virgules ou des sauts de ligne",
    import: "Importer",
    imported: "Résiliés : {t}; déjà résiliés : {a}; inconnus : {u}.",
    added: "Le registre est ajouté.",
    status_changed: "L'état est modifié.",
    bad_date: "Entrez une date au format AAAA-MM-JJ.",
    not_found: "Ce registre n'existe pas.",
    refused: "Non enregistré : {}",
};

fn actor(a: &Admin) -> Actor<'_> {
    Actor::person(&a.account.id)
}

/// Unix seconds of 00:00 UTC on `YYYY-MM-DD`.
fn day_start(s: &str) -> Option<i64> {
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
    let orgs = p
        .registration
        .directory
        .organizations()
        .await
        .or_page(a.locale)?;
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
    let mut sponsors = vec![(String::new(), t.none.to_owned())];
    sponsors.extend(orgs.iter().map(|o| (o.id.clone(), o.name.clone())));
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
        Field::new("select", "sponsor_id", t.sponsor, "").options(sponsors),
    ];
    for s in &services {
        fields.push(Field::new(
            "checkbox",
            &format!("service_{}", s.id),
            &format!("{}: {}", t.services, s.name),
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
    v.forms.push(Form {
        id: Some("add".into()),
        action: a.href("/admin/registries"),
        fieldsets: vec![Fieldset {
            legend: Some(t.add.into()),
            fields,
            ..Fieldset::default()
        }],
        submit: t.add_button.into(),
        ..Form::default()
    });
    Ok(v)
}

/// Shows a refused change on `v`; a storage failure is the error page instead.
fn refused(a: &Admin, v: &mut View, e: AdminError) -> Result<(), WebError> {
    let t = RegistryText::get(a.locale);
    match e {
        AdminError::Storage(m) => Err(PageError::internal(a.locale, m).into()),
        AdminError::NotFound(_) => {
            v.errors.push((String::new(), t.not_found.into()));
            Ok(())
        }
        e => {
            v.errors
                .push((String::new(), t.refused.replace("{}", &e.to_string())));
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
    send(&p, &headers, &a, &list_view(&p, &a).await?, true)
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
        return send(&p, &headers, &a, &v, false);
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
        public_key_pem: Some(get("public_key_pem")),
        alg: Some(get("alg")),
        kid: None,
    };
    match p.registration.add_registry(input, actor(&a)).await {
        Ok((r, _)) => Ok(see_other(
            &a.href(&format!("/admin/registries/{}?notice=added", r.id)),
        )),
        Err(e) => {
            refused(&a, &mut v, e)?;
            send(&p, &headers, &a, &v, false)
        }
    }
}

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
pub(super) async fn registry(
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
    send(&p, &headers, &a, &v, true)
}

/// POST /admin/registries/{id}: status, key rotation or terminations.
#[tracing::instrument(skip_all)]
pub(super) async fn registry_post(
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
                return send(&p, &headers, &a, &v, false);
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
                    return send(&p, &headers, &a, &v, true);
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
            send(&p, &headers, &a, &v, false)
        }
    }
}
