//! Registering on the LRA console: a person on identity documents (the catalogue of 004
//! App. B, refused documents with their reason, the level rule), or an affiliate on the
//! organization's managed registration process; the outcome shows the login ID and the
//! temporary password once, or the account the person already has.

use super::{guard, page, refusal, val, Ctx, DOCUMENT_ROWS};
use crate::lra_text::LraText;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};

use credential_store::{CredentialError, Designation, Field as AField};
use platform::Locale;
use registration::colleges::COLLEGES;
use registration::lra::affiliation::{Affiliation, AFFILIATION_DOCUMENTS};
use registration::lra::{
    one_at_a_time, AffiliateRegistration, Evidence, EvidenceProblem, Identity, PersonRegistration,
    PRIMARY, SECONDARY, UNACCEPTABLE,
};
use registration::{LraError, Registered};
use std::sync::Arc;
use web::account_text::AccountText;
use web::error::{PageError, WebResult};
use web::forms::{Field, Fieldset, Form, Section, View};
use web::http::{parse_query, ClientIp, Params};
use web::widgets::{field_message, send};

fn text_field(typed: &Params, name: &str, label: &str) -> Field {
    Field::new("text", name, label, val(typed, name))
}

/// Legal and preferred names, date of birth, contact details, language.
fn identity_fieldset(locale: Locale, typed: &Params) -> Fieldset {
    let (t, a) = (LraText::get(locale), AccountText::get(locale));
    let lang = match val(typed, "locale") {
        "" => locale.tag(),
        l => l,
    };
    Fieldset {
        legend: Some(t.identity.into()),
        fields: vec![
            text_field(typed, "legal_given_name", a.legal_given_name).required(),
            text_field(typed, "legal_family_name", a.legal_family_name).required(),
            text_field(typed, "given_name", a.given_name).hint(t.preferred_hint),
            text_field(typed, "middle_name", a.middle_name),
            text_field(typed, "family_name", a.family_name).hint(t.preferred_hint),
            text_field(typed, "birth_date", a.birth_date)
                .hint(a.birth_date_hint)
                .required(),
            Field::new("email", "email", a.email, val(typed, "email")),
            Field::new("tel", "phone", a.phone, val(typed, "phone")).hint(a.phone_hint),
            Field::new("select", "locale", a.language, lang).options(vec![
                ("en".into(), a.english.into()),
                ("fr".into(), a.french.into()),
            ]),
        ],
        ..Fieldset::default()
    }
}

fn identity_of(form: &Params) -> Identity {
    let opt = |k: &str| form.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let college = val(form, "college");
    let number = val(form, "registration_number");
    Identity {
        legal_given_name: val(form, "legal_given_name").into(),
        legal_family_name: val(form, "legal_family_name").into(),
        given_name: val(form, "given_name").into(),
        middle_name: opt("middle_name"),
        family_name: val(form, "family_name").into(),
        birth_date: val(form, "birth_date").into(),
        email: opt("email"),
        phone: opt("phone"),
        locale: val(form, "locale").into(),
        designation: (!college.is_empty() || !number.trim().is_empty()).then(|| Designation {
            college: college.into(),
            registration_number: number.into(),
        }),
    }
}

fn register_view(ctx: &Ctx, typed: &Params) -> View {
    let locale = ctx.me.locale;
    let (t, a) = (LraText::get(locale), AccountText::get(locale));
    let mut v = page(ctx, t.register_title, "/lra/register");
    v.intro.push(t.register_intro.into());
    let mut colleges = vec![(String::new(), a.none.to_owned())];
    colleges.extend(
        COLLEGES
            .iter()
            .map(|c| (c.code.to_owned(), c.name(locale).to_owned())),
    );
    let photo = |p: bool| {
        if p {
            format!(" ({})", t.with_photo)
        } else {
            String::new()
        }
    };
    let mut documents = vec![(String::new(), t.no_document.to_owned())];
    documents.extend(PRIMARY.iter().map(|d| {
        let label = format!(
            "{}{}{}{}",
            t.primary,
            locale.colon(),
            d.name(locale),
            photo(d.photo)
        );
        (d.code.to_owned(), label)
    }));
    documents.extend(SECONDARY.iter().map(|d| {
        let label = format!(
            "{}{}{}{}",
            t.secondary,
            locale.colon(),
            d.name(locale),
            photo(d.photo)
        );
        (d.code.to_owned(), label)
    }));
    documents.extend(UNACCEPTABLE.iter().map(|u| {
        (
            u.code.to_owned(),
            format!("{}{}{}", t.not_accepted, locale.colon(), u.name(locale)),
        )
    }));
    let mut evidence: Vec<Field> = (1..=DOCUMENT_ROWS)
        .map(|i| {
            let name = format!("doc{i}");
            Field::new(
                "select",
                &name,
                &t.document_n.replace("{}", &i.to_string()),
                val(typed, &name),
            )
            .options(documents.clone())
        })
        .collect();
    let check = |name: &str, label: &str| Field {
        checked: typed.contains_key(name),
        ..Field::new("checkbox", name, label, "")
    };
    evidence.push(check("in_person", t.in_person));
    evidence.push(check("second_check", t.second_check));
    let level = match val(typed, "level") {
        "" => "1",
        l => l,
    };
    evidence.push(
        Field::new("select", "level", t.level, level)
            .options((1..=3).map(|l| (l.to_string(), format!("AL{l}"))).collect()),
    );
    v.forms.push(Form {
        id: Some("register".into()),
        action: format!("/lra/register?ui_locales={}", locale.tag()),
        fieldsets: vec![
            identity_fieldset(locale, typed),
            Fieldset {
                legend: Some(t.designation.into()),
                fields: vec![
                    Field::new("select", "college", t.college, val(typed, "college"))
                        .options(colleges),
                    text_field(typed, "registration_number", t.registration_number),
                ],
                ..Fieldset::default()
            },
            Fieldset {
                legend: Some(t.evidence.into()),
                hint: Some(t.evidence_hint.into()),
                fields: evidence,
                ..Fieldset::default()
            },
        ],
        submit: t.register.into(),
        ..Form::default()
    });
    v
}

/// As `show_error`, unless its field already has a message.
fn show_error_once(v: &mut View, locale: Locale, e: &LraError, documents: &[String]) {
    let mut probe = View::default();
    show_error(&mut probe, locale, e, documents);
    if probe
        .errors
        .iter()
        .all(|(field, _)| !v.errors.iter().any(|(f, _)| f == field))
    {
        show_error(v, locale, e, documents);
    }
}

/// Puts a registration error beside its field; false when it is not the person's doing.
fn show_error(v: &mut View, locale: Locale, e: &LraError, documents: &[String]) -> bool {
    let (t, a) = (LraText::get(locale), AccountText::get(locale));
    match e {
        LraError::Missing(name) => v.field_error(name, a.required),
        LraError::Invalid(name) => v.field_error(name, t.invalid_value),
        LraError::MemberIdConflict => v.field_error("member_id", t.member_conflict),
        LraError::Account(CredentialError::DesignationTaken) => {
            v.field_error("registration_number", t.designation_taken)
        }
        LraError::Account(CredentialError::Invalid(f)) => {
            let msg = field_message(a, *f);
            match f {
                AField::LegalName => {
                    v.field_error("legal_given_name", msg);
                    v.field_error("legal_family_name", msg);
                }
                AField::Designation => v.field_error("registration_number", a.bad_name),
                f => v.field_error(f.name(), msg),
            }
        }
        LraError::Evidence(problems) => {
            let doc = |row: usize| format!("doc{}", row + 1);
            let first_empty = documents.iter().position(|d| d.is_empty()).unwrap_or(0);
            for pr in problems {
                match pr {
                    EvidenceProblem::BadLevel => v.field_error("level", t.bad_level),
                    EvidenceProblem::Unknown { row } => {
                        v.field_error(&doc(*row), t.unknown_document)
                    }
                    EvidenceProblem::Unacceptable { code, row } => {
                        let why = registration::lra::unacceptable(code)
                            .map_or(t.unknown_document, |u| u.reason(locale));
                        v.field_error(&doc(*row), why)
                    }
                    EvidenceProblem::Repeated { row } => {
                        v.field_error(&doc(*row), t.repeated_document)
                    }
                    EvidenceProblem::TooMany => v.field_error("doc1", t.too_many_documents),
                    EvidenceProblem::NotInPerson => v.field_error("in_person", t.not_in_person),
                    EvidenceProblem::TooFew => v.field_error(&doc(first_empty), t.too_few),
                    EvidenceProblem::NoPrimary => v.field_error("doc1", t.no_primary),
                    EvidenceProblem::NoPhoto => v.field_error("doc1", t.no_photo),
                    EvidenceProblem::NoSecondCheck => {
                        v.field_error("second_check", t.no_second_check)
                    }
                }
            }
        }
        LraError::OrganizationInactive => v
            .errors
            .push((String::new(), t.organization_inactive.into())),
        LraError::NotRegistering => v.errors.push((String::new(), t.not_registering.into())),
        LraError::ProcessClosed => v.errors.push((String::new(), t.process_closed.into())),
        LraError::OwnAccount => v.errors.push((String::new(), t.own_account.into())),
        LraError::ExistingNeedsEvidence => v
            .errors
            .push((String::new(), t.existing_needs_evidence.into())),
        _ => return false,
    }
    true
}

/// The outcome page: a new account's login ID and temporary password (shown this once), or
/// the existing account.
fn registered_view(ctx: &Ctx, title: &str, path: &str, name: &str, r: &Registered) -> View {
    let locale = ctx.me.locale;
    let (t, a, l) = (LraText::get(locale), AccountText::get(locale), locale.tag());
    let mut v = page(ctx, title, path);
    let id = match r {
        Registered::Created {
            account_id,
            login_id,
            temporary_password,
            level,
        } => {
            v.notice = Some(
                t.registered
                    .replace("{name}", name)
                    .replace("{level}", &level.to_string()),
            );
            v.sections.push(Section {
                heading: None,
                rows: vec![
                    (a.login_id.into(), login_id.clone()),
                    (
                        t.temporary_password.into(),
                        temporary_password.expose().into(),
                    ),
                    (a.assurance.into(), format!("AL{level}")),
                ],
            });
            account_id
        }
        Registered::Existing {
            account_id,
            login_id,
        } => {
            v.notice = Some(t.existing.replace("{}", login_id));
            account_id
        }
    };
    v.links = vec![
        (
            format!("/lra/person?id={id}&ui_locales={l}"),
            t.open_person.into(),
        ),
        (format!("{path}?ui_locales={l}"), t.register_another.into()),
    ];
    v
}

/// GET /lra/register
#[tracing::instrument(skip_all)]
pub async fn register(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra/register", &ip).await?;
    let v = register_view(&ctx, &Params::default());
    Ok(send(&p, &headers, ctx.me.locale, &v, StatusCode::OK))
}

/// POST /lra/register
#[tracing::instrument(skip_all)]
pub async fn register_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra/register", &ip).await?;
    let locale = ctx.me.locale;
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    let documents: Vec<String> = (1..=DOCUMENT_ROWS)
        .map(|i| val(&form, &format!("doc{i}")).to_owned())
        .collect();
    let input = PersonRegistration {
        identity: identity_of(&form),
        evidence: Evidence {
            documents: documents.clone(),
            in_person: form.contains_key("in_person"),
            second_check: form.contains_key("second_check"),
        },
        level: val(&form, "level").parse().unwrap_or(0),
    };
    let name = display(&input.identity);
    let identity = input.identity.clone();
    let (level, evidence) = (input.level, input.evidence.clone());
    let outcome = one_at_a_time(
        p.store.as_ref(),
        &identity,
        ctx.lra.register_person(&ctx.reg, input),
    )
    .await;
    match outcome {
        Ok(r) => {
            let t = LraText::get(locale);
            let v = registered_view(&ctx, t.register_title, "/lra/register", &name, &r);
            Ok(send(&p, &headers, locale, &v, StatusCode::OK))
        }
        Err(e) => {
            let mut v = register_view(&ctx, &form);
            if !show_error(&mut v, locale, &e, &documents) {
                return Err(PageError::internal(locale, e).into());
            }
            // And every other problem of the identity typed, at once.
            for more in identity.problems() {
                show_error_once(&mut v, locale, &more, &documents);
            }
            let evidence = registration::lra::evidence::assess(level, &evidence);
            if !evidence.is_empty() {
                show_error_once(&mut v, locale, &LraError::Evidence(evidence), &documents);
            }
            Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST))
        }
    }
}

fn display(i: &Identity) -> String {
    let pick = |pref: &str, legal: &str| {
        if pref.trim().is_empty() {
            legal.trim().to_owned()
        } else {
            pref.trim().to_owned()
        }
    };
    format!(
        "{} {}",
        pick(&i.given_name, &i.legal_given_name),
        pick(&i.family_name, &i.legal_family_name)
    )
}

fn affiliate_view(ctx: &Ctx, typed: &Params) -> View {
    let locale = ctx.me.locale;
    let t = LraText::get(locale);
    let org = ctx.reg.organization();
    let mut v = page(ctx, t.affiliate_title, "/lra/affiliate");
    v.intro.push(
        t.affiliate_intro
            .replace("{org}", &org.name)
            .replace("{level}", &org.assurance_level.unwrap_or(1).to_string()),
    );
    // The organization names its scheme in its own words (English, as an administrator typed
    // it): the label itself in English, beside the label's French words in French.
    let scheme = org.id_scheme.as_deref().map(|s| match locale {
        Locale::En => {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        }
        Locale::Fr => format!("{} ({s})", t.member_id_label),
    });
    v.forms.push(Form {
        id: Some("affiliate".into()),
        action: format!("/lra/affiliate?ui_locales={}", locale.tag()),
        fieldsets: vec![
            identity_fieldset(locale, typed),
            Fieldset {
                legend: Some(t.affiliation.into()),
                fields: vec![
                    text_field(
                        typed,
                        "member_id",
                        scheme.as_deref().unwrap_or(t.member_id_label),
                    )
                    .required(),
                    Field::new(
                        "select",
                        "affiliation_document",
                        t.affiliation_document,
                        val(typed, "affiliation_document"),
                    )
                    .options(
                        std::iter::once((String::new(), t.choose.to_owned()))
                            .chain(
                                AFFILIATION_DOCUMENTS
                                    .iter()
                                    .map(|d| (d.code.to_owned(), d.name(locale).to_owned())),
                            )
                            .collect(),
                    )
                    .hint(t.affiliation_hint)
                    .required(),
                    text_field(typed, "relationship", t.relationship)
                        .hint(t.relationship_hint)
                        .required(),
                    text_field(typed, "confirmed_by", t.confirmed_by).hint(t.confirmed_by_hint),
                    Field {
                        checked: typed.contains_key("process_confirmed"),
                        ..Field::new("checkbox", "process_confirmed", t.process_confirmed, "")
                            .required()
                    },
                    Field {
                        checked: typed.contains_key("genuine_and_current"),
                        ..Field::new("checkbox", "genuine_and_current", t.genuine_and_current, "")
                            .required()
                    },
                ],
                ..Fieldset::default()
            },
        ],
        submit: t.register.into(),
        ..Form::default()
    });
    v
}

/// GET /lra/affiliate (a registering organization only)
#[tracing::instrument(skip_all)]
pub async fn affiliate(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra/affiliate", &ip).await?;
    if !ctx.reg.organization().registering {
        let t = LraText::get(ctx.me.locale);
        return Ok(refusal(
            &p,
            &headers,
            &ctx,
            t.not_registering,
            StatusCode::FORBIDDEN,
        ));
    }
    let v = affiliate_view(&ctx, &Params::default());
    Ok(send(&p, &headers, ctx.me.locale, &v, StatusCode::OK))
}

/// POST /lra/affiliate
#[tracing::instrument(skip_all)]
pub async fn affiliate_post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let ctx = guard(&p, &headers, &params, "/lra/affiliate", &ip).await?;
    let locale = ctx.me.locale;
    let t = LraText::get(locale);
    let form = web::forms::checked(&p, &headers, &body, locale)?;
    if !ctx.reg.organization().registering {
        return Ok(refusal(
            &p,
            &headers,
            &ctx,
            t.not_registering,
            StatusCode::FORBIDDEN,
        ));
    }
    let input = AffiliateRegistration {
        identity: identity_of(&form),
        member_id: val(&form, "member_id").into(),
        affiliation: Affiliation {
            document: val(&form, "affiliation_document").into(),
            relationship: val(&form, "relationship").into(),
            confirmed_by: val(&form, "confirmed_by").into(),
            process_confirmed: form.contains_key("process_confirmed"),
            genuine_and_current: form.contains_key("genuine_and_current"),
        },
    };
    let name = display(&input.identity);
    let identity = input.identity.clone();
    let outcome = one_at_a_time(
        p.store.as_ref(),
        &identity,
        ctx.lra.register_affiliate(&ctx.reg, input),
    )
    .await;
    match outcome {
        Ok(r) => {
            let v = registered_view(&ctx, t.affiliate_title, "/lra/affiliate", &name, &r);
            Ok(send(&p, &headers, locale, &v, StatusCode::OK))
        }
        Err(e) => {
            let mut v = affiliate_view(&ctx, &form);
            if !show_error(&mut v, locale, &e, &[]) {
                return Err(PageError::internal(locale, e).into());
            }
            // And every other problem of the identity typed, at once.
            for more in identity.problems() {
                show_error_once(&mut v, locale, &more, &[]);
            }
            Ok(send(&p, &headers, locale, &v, StatusCode::BAD_REQUEST))
        }
    }
}
