//! The LRA console: a local registration authority (an account with role `lra` for one
//! organization, after a recent step-up) finds the people its organization sponsors,
//! registers a person on identity documents or an affiliate on the organization's managed
//! process (login ID and temporary password shown once), and enrols them into the services
//! the organization may sponsor. Every rule is in `registration::lra`; these handlers parse,
//! call one function and show the result, in English or French.

mod register;

use crate::lra_text::LraText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registration::{Lra, LraError, Registrar};
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{OrPage, PageError, WebError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::{parse_query, ClientIp, Params};
use web::signed_in::{me, Guard, Me};
use web::widgets::{date, send, status_text};

/// Document rows on the registration form.
const DOCUMENT_ROWS: usize = 3;

/// A signed-in, stepped-up LRA and its organization.
struct Ctx {
    me: Me,
    reg: Registrar,
    lra: Lra,
    /// The other places the LRA's roles open (My Profile, the service desk, administration).
    elsewhere: Vec<(String, String)>,
}

/// The LRA at the keyboard, or the response that sends them to sign in, to step up, or away.
async fn guard(
    p: &Provider,
    headers: &HeaderMap,
    params: &Params,
    return_to: &str,
    ip: &str,
) -> Result<Ctx, WebError> {
    let me = me(p, headers, params, return_to, Guard::Session).await?;
    let lra = p.registration.lra();
    match lra.registrar(&me.account.id).await {
        // Then a recent step-up with a phone or an authenticator app, whatever the step-up
        // policy (an LRA has one: the role is granted only then), as for all staff work.
        Ok(Some(reg)) => {
            let me = web::signed_in::me(p, headers, params, return_to, Guard::Staff).await?;
            let elsewhere = web::widgets::places(p, &me.account.id, me.locale)
                .await
                .or_page(me.locale)?
                .into_iter()
                .filter(|(href, _)| !href.starts_with("/lra"))
                .collect();
            Ok(Ctx {
                reg: reg.with_source(ip),
                me,
                lra,
                elsewhere,
            })
        }
        Ok(None) => {
            let t = LraText::get(me.locale);
            let v = View {
                title: t.title.into(),
                errors: vec![(String::new(), t.forbidden.into())],
                links: web::widgets::places(p, &me.account.id, me.locale)
                    .await
                    .unwrap_or_default(),
                ..View::default()
            };
            Err(send(p, headers, me.locale, &v, StatusCode::FORBIDDEN).into())
        }
        Err(e) => Err(PageError::internal(me.locale, e).into()),
    }
}

/// Evidence of affiliation as the LRA confirmed it: the document, the relationship, who in
/// the organization confirmed it (older rows: their description).
fn affiliation_text(
    t: &LraText,
    locale: platform::Locale,
    e: &registration::lra::EvidenceRecord,
) -> String {
    let Some(d) = &e.details else {
        return e.document.clone();
    };
    let doc = registration::lra::affiliation::affiliation_document(&e.document)
        .map_or_else(|| e.document.clone(), |x| x.name(locale).to_owned());
    let mut parts = vec![
        doc,
        t.affiliation_relationship
            .replace("{relationship}", &d.relationship),
    ];
    if let Some(who) = &d.confirmed_by {
        parts.push(t.affiliation_confirmed_by.replace("{who}", who));
    }
    parts.join(", ")
}

fn val<'a>(typed: &'a Params, k: &str) -> &'a str {
    typed.get(k).map(String::as_str).unwrap_or("")
}

/// A page of the console: navigation, the organization, the language link.
fn page(ctx: &Ctx, title: &str, path: &str) -> View {
    let locale = ctx.me.locale;
    let (t, a, l) = (LraText::get(locale), AccountText::get(locale), locale.tag());
    let org = ctx.reg.organization();
    let mut nav = vec![
        (format!("/lra?ui_locales={l}"), t.nav_search.to_owned()),
        (
            format!("/lra/register?ui_locales={l}"),
            t.nav_register.into(),
        ),
    ];
    if org.registering {
        nav.push((
            format!("/lra/affiliate?ui_locales={l}"),
            t.nav_affiliate.into(),
        ));
    }
    nav.extend(ctx.elsewhere.iter().cloned());
    nav.push(("/logout".into(), a.nav_sign_out.into()));
    let sep = if path.contains('?') { '&' } else { '?' };
    View {
        title: title.to_owned(),
        other_lang_href: Some(format!("{path}{sep}ui_locales={}", locale.other().tag())),
        nav,
        intro: vec![t.organization.replace("{}", &org.name)],
        wide: true,
        ..View::default()
    }
}

/// The console page saying why not (`status`), with the way back.
fn refusal(
    p: &Provider,
    headers: &HeaderMap,
    ctx: &Ctx,
    msg: &str,
    status: StatusCode,
) -> Response {
    let t = LraText::get(ctx.me.locale);
    let mut v = page(ctx, t.title, "/lra");
    v.errors.push((String::new(), msg.to_owned()));
    send(p, headers, ctx.me.locale, &v, status)
}

// ---------------------------------------------------------------- search

/// GET /lra?q=...
#[tracing::instrument(skip_all)]
pub async fn search(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra", &ip).await?;
    search_page(&p, &headers, &ctx, val(&params, "q"), None).await
}

/// POST /lra (the search form)
#[tracing::instrument(skip_all)]
pub async fn search_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra", &ip).await?;
    let form = web::forms::checked(&p, &headers, &body, ctx.me.locale)?;
    search_page(&p, &headers, &ctx, val(&form, "q"), None).await
}

async fn search_page(
    p: &Provider,
    headers: &HeaderMap,
    ctx: &Ctx,
    query: &str,
    notice: Option<String>,
) -> WebResult {
    let locale = ctx.me.locale;
    let (t, a) = (LraText::get(locale), AccountText::get(locale));
    let path = if query.trim().is_empty() {
        "/lra".to_owned()
    } else {
        web::lists::ListAddress::new("/lra", locale)
            .with("q", query)
            .href(&[("ui_locales", "")])
    };
    let mut v = page(ctx, t.title, &path);
    v.notice = notice;
    v.forms.push(Form::filters(
        "/lra",
        locale,
        vec![Field::new("text", "q", t.search, query)
            .hint(t.search_hint)
            .auto("off")],
        a.search,
        &[],
    ));
    if !query.trim().is_empty() {
        let found = ctx.lra.search(&ctx.reg, query).await.or_page(locale)?;
        if found.is_empty() {
            v.intro.push(t.no_results.into());
        }
        v.table_head = vec![
            a.login_id.into(),
            a.name.into(),
            t.member_id.into(),
            a.assurance.into(),
            a.status.into(),
        ];
        v.table = found
            .iter()
            .map(|s| {
                let acc = &s.account;
                vec![
                    (
                        format!("/lra/person?id={}&ui_locales={}", acc.id, locale.tag()),
                        acc.login_id.clone(),
                    ),
                    (String::new(), acc.display_name()),
                    (String::new(), s.member_id.clone().unwrap_or_default()),
                    (String::new(), format!("AL{}", acc.assurance_level)),
                    (String::new(), status_text(a, acc.status).into()),
                ]
            })
            .collect();
    }
    Ok(send(p, headers, locale, &v, StatusCode::OK))
}

// ---------------------------------------------------------------- a person

/// The person's page, or the refusal (404 for another organization's person and for no one).
async fn person_view(
    p: &Provider,
    headers: &HeaderMap,
    ctx: &Ctx,
    id: &str,
) -> Result<View, WebError> {
    let locale = ctx.me.locale;
    let (t, a, l) = (LraText::get(locale), AccountText::get(locale), locale.tag());
    let person = match ctx.lra.person(&ctx.reg, id).await {
        Ok(x) => x,
        Err(LraError::NotSponsored) => {
            return Err(refusal(p, headers, ctx, t.no_person, StatusCode::NOT_FOUND).into())
        }
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let acc = &person.account;
    let path = format!("/lra/person?id={}", acc.id);
    let mut v = page(ctx, &acc.display_name(), &path);
    let none = || a.none.to_owned();
    let mut rows = vec![
        (a.login_id.into(), acc.login_id.clone()),
        (a.name.into(), acc.display_name()),
        (
            a.legal_name.into(),
            format!(
                "{} {}",
                acc.legal_given_name.as_deref().unwrap_or(""),
                acc.legal_family_name.as_deref().unwrap_or("")
            )
            .trim()
            .to_owned(),
        ),
        (
            a.birth_date.into(),
            acc.birth_date.clone().unwrap_or_else(none),
        ),
        (a.email.into(), acc.email.clone().unwrap_or_else(none)),
        (
            a.phone.into(),
            acc.phone
                .as_deref()
                .map(credential_store::display_phone)
                .unwrap_or_else(none),
        ),
        (a.status.into(), status_text(a, acc.status).into()),
        (a.assurance.into(), format!("AL{}", acc.assurance_level)),
    ];
    if !person.designations.is_empty() {
        let d = person.designations.iter();
        let d = d.map(|d| format!("{} {}", d.college, d.registration_number));
        rows.push((a.designations.into(), d.collect::<Vec<_>>().join("\n")));
    }
    if let Some(m) = &person.member_id {
        rows.push((t.member_id.into(), m.clone()));
    }
    v.sections.push(Section {
        heading: None,
        rows,
    });
    let evidence = person.evidence.iter().map(|e| {
        let (kind, what) = match e.kind.as_str() {
            "affiliation" => (t.kind_affiliation, affiliation_text(t, locale, e)),
            k => (
                if k == "primary" {
                    t.primary_document
                } else {
                    t.secondary_document
                },
                registration::lra::document(&e.document)
                    .map_or_else(|| e.document.clone(), |d| d.name(locale).to_owned()),
            ),
        };
        let mut notes = vec![what];
        if e.photo {
            notes.push(t.with_photo.into());
        }
        if e.in_person {
            notes.push(t.seen_in_person.into());
        }
        let when = t
            .recorded
            .replace("{org}", &e.organization_id)
            .replace("{date}", &date(e.recorded_at));
        (kind.to_owned(), format!("{}; {when}", notes.join(", ")))
    });
    let evidence: Vec<_> = evidence.collect();
    v.sections.push(Section {
        heading: Some(t.evidence_on_record.into()),
        rows: if evidence.is_empty() {
            vec![(t.evidence_none.into(), String::new())]
        } else {
            evidence
        },
    });
    let enrolments = person.enrolments.iter().map(|e| {
        let through = t
            .enrolled_through
            .replace("{sponsor}", &e.sponsor_id)
            .replace("{date}", &date(e.authorized_at));
        (e.service.name.clone(), through)
    });
    let enrolments: Vec<_> = enrolments.collect();
    v.sections.push(Section {
        heading: Some(t.enrolments.into()),
        rows: if enrolments.is_empty() {
            vec![(t.enrolments_none.into(), String::new())]
        } else {
            enrolments
        },
    });
    let action = format!("{path}&ui_locales={l}");
    let org = &ctx.reg.organization().id;
    for e in person.enrolments.iter().filter(|e| &e.sponsor_id == org) {
        v.forms.push(Form {
            id: Some(format!("end-{}", e.service.id)),
            action: action.clone(),
            hidden: vec![
                ("op".into(), "end".into()),
                ("service".into(), e.service.id.clone()),
            ],
            submit: t.end_enrolment.replace("{}", &e.service.name),
            ..Form::default()
        });
    }
    if person.can_enrol.is_empty() {
        v.intro.push(t.no_services.into());
    } else {
        let options = person.can_enrol.iter();
        let options = options.map(|s| {
            (
                s.id.clone(),
                format!("{} (AL{})", s.name, s.min_assurance_level),
            )
        });
        v.forms.push(Form {
            id: Some("enrol".into()),
            action: action.clone(),
            hidden: vec![("op".into(), "enrol".into())],
            fieldsets: vec![Fieldset {
                fields: vec![
                    Field::new("select", "service", t.enrol_in, "").options(options.collect())
                ],
                ..Fieldset::default()
            }],
            submit: t.enrol.into(),
            ..Form::default()
        });
    }
    v.forms.push(Form {
        id: Some("end-sponsorship".into()),
        action,
        hidden: vec![("op".into(), "end_sponsorship".into())],
        fieldsets: vec![Fieldset {
            hint: Some(t.end_sponsorship_hint.into()),
            fields: vec![Field::new(
                "checkbox",
                "confirm",
                t.confirm_end_sponsorship,
                "",
            )],
            ..Fieldset::default()
        }],
        submit: t.end_sponsorship.into(),
        ..Form::default()
    });
    v.links
        .push((format!("/lra?ui_locales={l}"), t.back_to_search.into()));
    Ok(v)
}

/// GET /lra/person?id=...
#[tracing::instrument(skip_all)]
pub async fn person(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra", &ip).await?;
    let v = person_view(&p, &headers, &ctx, val(&params, "id")).await?;
    Ok(send(&p, &headers, ctx.me.locale, &v, StatusCode::OK))
}

/// POST /lra/person?id=... (op = enrol | end | end_sponsorship)
#[tracing::instrument(skip_all)]
pub async fn person_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra", &ip).await?;
    let locale = ctx.me.locale;
    let t = LraText::get(locale);
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let id = val(&params, "id");
    let service = val(&form, "service");
    let service_name = p
        .registration
        .directory
        .services()
        .await
        .ok()
        .and_then(|all| all.into_iter().find(|s| s.id == service))
        .map_or_else(|| service.to_owned(), |s| s.name);
    let op = val(&form, "op");
    match ctx.lra.refuse_staff(&ctx.reg, id, op).await {
        Ok(()) => {}
        Err(LraError::StaffAccount) => {
            let forbidden = StatusCode::FORBIDDEN;
            return Ok(refusal(&p, &headers, &ctx, t.staff_account, forbidden));
        }
        Err(e) => return Err(PageError::internal(locale, e).into()),
    }
    if op == "end_sponsorship" && !form.contains_key("confirm") {
        let mut v = person_view(&p, &headers, &ctx, id).await?;
        v.field_error("confirm", t.confirm_required);
        return Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST));
    }
    let (result, done) = match op {
        "enrol" => (
            ctx.lra.enrol(&ctx.reg, id, service).await,
            t.enrolled.replace("{}", &service_name),
        ),
        "end" => (
            ctx.lra.end_enrolment(&ctx.reg, id, service).await,
            t.enrolment_ended.replace("{}", &service_name),
        ),
        "end_sponsorship" => match ctx.lra.end_sponsorship(&ctx.reg, id).await {
            Ok(()) => {
                let who = match p.accounts.find_by_id(id).await {
                    Ok(a) => a.map(|a| a.login_id).unwrap_or_default(),
                    Err(e) => return Err(PageError::internal(locale, e).into()),
                };
                let notice = t.sponsorship_ended.replace("{}", &who);
                return search_page(&p, &headers, &ctx, "", Some(notice)).await;
            }
            Err(e) => (Err(e), String::new()),
        },
        _ => return Err(PageError::bad(locale, |t| t.bad_request).into()),
    };
    let error = match result {
        Ok(()) => None,
        Err(LraError::NotSponsored) => {
            return Ok(refusal(
                &p,
                &headers,
                &ctx,
                t.no_person,
                StatusCode::NOT_FOUND,
            ))
        }
        Err(LraError::ServiceNotAllowed) => Some(t.service_not_allowed.to_owned()),
        Err(LraError::OwnAccount) => Some(t.own_account.to_owned()),
        Err(LraError::NotEnrolled) => Some(t.not_enrolled.to_owned()),
        Err(LraError::OrganizationInactive) => Some(t.organization_inactive.to_owned()),
        Err(LraError::LevelTooLow { need, have }) => Some(
            t.level_too_low
                .replace("{need}", &need.to_string())
                .replace("{have}", &have.to_string()),
        ),
        Err(e) => return Err(PageError::internal(locale, e).into()),
    };
    let mut v = person_view(&p, &headers, &ctx, id).await?;
    match error {
        None => {
            v.notice = Some(done);
            Ok(send(&p, &headers, locale, &v, StatusCode::OK))
        }
        Some(msg) => {
            if op == "enrol" && v.forms.iter().any(|f| f.id.as_deref() == Some("enrol")) {
                v.field_error("service", &msg);
            } else {
                v.errors.push((String::new(), msg));
            }
            Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST))
        }
    }
}

/// The console's routes, merged into the provider's router.
pub fn router() -> axum::Router<Arc<Provider>> {
    use axum::routing::get;
    axum::Router::new()
        .route("/lra", get(search).post(search_post))
        .route(
            "/lra/register",
            get(register::register).post(register::register_post),
        )
        .route(
            "/lra/affiliate",
            get(register::affiliate).post(register::affiliate_post),
        )
        .route("/lra/person", get(person).post(person_post))
}
