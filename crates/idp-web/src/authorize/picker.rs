//! SMART's standalone launch: an app asking `launch/patient` without a launch from a record
//! system gets its patient from the person, who picks one on this page from the FHIR server
//! the request is for (its `aud`), searched with their own authority: an access token for
//! them, for that server, with `user/Patient.rs` only. In English and French. The chosen
//! patient is read back from the FHIR server before it is put in the launch context.

use super::*;
use authorization_server::smart_launch::{fhir_id, Launch, LaunchContext};
use authorization_server::tokens::{access_token, AuthContext, Binding};
use pause::Paused;
use serde_json::Value;
use web::forms::{Field, Fieldset, Form, Section, View};

struct PickerText {
    title: &'static str,
    intro: &'static str,
    search: &'static str,
    search_hint: &'static str,
    search_button: &'static str,
    results: &'static str,
    none: &'static str,
    choose: &'static str,
    born: &'static str,
    unreachable: &'static str,
    not_found: &'static str,
}

static EN: PickerText = PickerText {
    title: "Choose a patient for {app}",
    intro: "{app} opens one patient's record. Search the clinical record by name and choose the \
            patient; you see only the patients you may see.",
    search: "Patient name",
    search_hint: "Family or given name, at least 2 letters.",
    search_button: "Search",
    results: "Patients found",
    none: "No patient found with this name.",
    choose: "Choose {name}",
    born: "born {d}",
    unreachable: "The clinical record could not be searched just now. Try again.",
    not_found: "This patient could not be found. Search again.",
};

static FR: PickerText = PickerText {
    title: "Choisir un patient pour {app}",
    intro: "{app} ouvre le dossier d’un patient. Cherchez dans le dossier clinique par nom et \
            choisissez le patient; vous ne voyez que les patients que vous pouvez voir.",
    search: "Nom du patient",
    search_hint: "Nom de famille ou prénom, au moins 2 lettres.",
    search_button: "Chercher",
    results: "Patients trouvés",
    none: "Aucun patient trouvé sous ce nom.",
    choose: "Choisir {name}",
    born: "né(e) le {d}",
    unreachable: "Le dossier clinique n’a pas pu être consulté. Réessayez.",
    not_found: "Ce patient est introuvable. Cherchez de nouveau.",
};

fn text(locale: Locale) -> &'static PickerText {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

/// A patient as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    id: String,
    name: String,
    birth_date: Option<String>,
}

fn found(r: &Value) -> Option<Found> {
    if r["resourceType"] != "Patient" {
        return None;
    }
    let id = r["id"].as_str()?.to_owned();
    let n = &r["name"][0];
    let given: Vec<&str> = n["given"]
        .as_array()
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let name = match n["text"].as_str() {
        Some(t) => t.to_owned(),
        None => format!("{} {}", given.join(" "), n["family"].as_str().unwrap_or("")),
    };
    Some(Found {
        id,
        name: name.trim().to_owned(),
        birth_date: r["birthDate"].as_str().map(str::to_owned),
    })
}

/// An access token for the signed-in person, for the FHIR server `aud`, with `scope` only
/// (`user/Patient.rs`: reads and searches patients).
pub(super) fn user_token(
    p: &Provider,
    client: &Client,
    aud: &str,
    s: &SsoSession,
    scope: &str,
) -> Result<String, String> {
    let ctx = AuthContext {
        account_id: s.account_id.clone(),
        sid: s.sid.clone(),
        auth_time: s.auth_time,
        acr: s.acr.clone(),
        amr: s.amr.clone(),
    };
    let none = LaunchContext::default();
    access_token(
        p,
        client,
        scope,
        Some(aud),
        &none,
        Some(&ctx),
        Binding::default(),
    )
    .map(|(t, _)| t)
    .map_err(|e| e.to_string())
}

pub(super) async fn fhir_get(
    p: &Provider,
    url: &str,
    token: &str,
) -> Result<Option<Value>, String> {
    let r = p
        .backchannel
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/fhir+json")
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        // Not the URL: it names a patient (or a name searched), which logs do not keep.
        .map_err(|e| e.without_url().to_string())?;
    if matches!(r.status().as_u16(), 404 | 410) {
        return Ok(None);
    }
    if !r.status().is_success() {
        return Err(format!("FHIR server answered {}", r.status()));
    }
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    if body.len() > 1 << 20 {
        return Err("FHIR answer too large".into());
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| e.to_string())
}

pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn search(
    p: &Provider,
    client: &Client,
    aud: &str,
    s: &SsoSession,
    q: &str,
) -> Result<Vec<Found>, String> {
    let token = user_token(p, client, aud, s, "user/Patient.rs")?;
    let url = format!(
        "{}/Patient?name={}&_count=20",
        aud.trim_end_matches('/'),
        enc(q)
    );
    let bundle = fhir_get(p, &url, &token).await?.unwrap_or_default();
    Ok(bundle["entry"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| found(&x["resource"])).collect())
        .unwrap_or_default())
}

async fn read(
    p: &Provider,
    client: &Client,
    aud: &str,
    s: &SsoSession,
    id: &str,
) -> Result<Option<Found>, String> {
    if !fhir_id(id) {
        return Ok(None);
    }
    let token = user_token(p, client, aud, s, "user/Patient.rs")?;
    let url = format!("{}/Patient/{id}", aud.trim_end_matches('/'));
    Ok(fhir_get(p, &url, &token).await?.as_ref().and_then(found))
}

/// Before a code: `None` when no patient is to be picked (no `launch/patient`, or a launch
/// gave one), else the picker (or, with `prompt=none`, `interaction_required`).
pub(crate) async fn ask_if_needed(
    p: &Provider,
    req: &AuthRequest,
    session_key: &str,
    s: &SsoSession,
    locale: Locale,
) -> Result<Option<Response>, WebError> {
    let given = req
        .launch
        .as_ref()
        .is_some_and(|l| l.context.patient.is_some());
    if !req.pick_patient || given {
        return Ok(None);
    }
    let question = (req, session_key, s);
    let none = ("interaction_required", "the user must choose a patient");
    let r = pause::pause(p, "picker", "/authorize/patient", question, none, locale).await?;
    Ok(Some(r))
}

fn page(
    req: &AuthRequest,
    token: &str,
    q: &str,
    found: Option<Result<Vec<Found>, String>>,
    error: Option<&str>,
    locale: Locale,
) -> View {
    let t = text(locale);
    let app = req.client_name.as_str();
    let mut search = Field::new("text", "q", t.search, q)
        .hint(t.search_hint)
        .auto("off")
        .required();
    search.error = error.map(str::to_owned);
    let mut v = View {
        title: t.title.replace("{app}", app),
        intro: vec![t.intro.replace("{app}", app)],
        forms: vec![Form {
            id: Some("search".into()),
            action: "/authorize/patient".into(),
            get: true,
            hidden: vec![
                ("c".into(), token.to_owned()),
                ("ui_locales".into(), locale.tag().to_owned()),
            ],
            fieldsets: vec![Fieldset {
                fields: vec![search],
                ..Fieldset::default()
            }],
            submit: t.search_button.into(),
            ..Form::default()
        }],
        ..View::default()
    };
    match found {
        None => {}
        Some(Err(_)) => v.errors.push((String::new(), t.unreachable.into())),
        Some(Ok(list)) if list.is_empty() => v.intro.push(t.none.into()),
        Some(Ok(list)) => {
            v.sections.push(Section {
                heading: Some(t.results.into()),
                rows: list
                    .iter()
                    .map(|f| {
                        let born = f
                            .birth_date
                            .as_deref()
                            .map(|d| t.born.replace("{d}", d))
                            .unwrap_or_default();
                        (f.name.clone(), born)
                    })
                    .collect(),
            });
            for f in list {
                v.forms.push(Form {
                    id: Some(format!("choose-{}", f.id)),
                    action: "/authorize/patient".into(),
                    hidden: vec![
                        ("c".into(), token.to_owned()),
                        ("patient".into(), f.id.clone()),
                        ("ui_locales".into(), locale.tag().to_owned()),
                    ],
                    submit: t.choose.replace("{name}", &f.name),
                    compact: true,
                    ..Form::default()
                });
            }
        }
    }
    v
}

/// GET /authorize/patient?c=TOKEN[&q=NAME]: the picker, and the patients found by name.
#[tracing::instrument(skip_all)]
pub async fn picker_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = web::http::locale(&headers, params.get("ui_locales").map(String::as_str));
    let token = params.get("c").map(String::as_str).unwrap_or("");
    let (w, _, s, client) = pause::here_with_client(&p, &headers, "picker", token, locale).await?;
    let q = params.get("q").map(|q| q.trim()).unwrap_or("");
    let aud = w.req.audience.clone().unwrap_or_default();
    let found = if q.chars().count() >= 2 && q.chars().count() <= 100 {
        let r = search(&p, &client, &aud, &s, q).await;
        if let Err(e) = &r {
            tracing::warn!(error = %e, "patient search failed");
        }
        Some(r)
    } else {
        None
    };
    let short = (!q.is_empty() && found.is_none()).then_some(text(locale).search_hint);
    let v = page(&w.req, token, q, found, short, locale);
    Ok(web::widgets::send(&p, &headers, locale, &v, StatusCode::OK))
}

/// POST /authorize/patient (c, patient): the patient read back from the FHIR server, then the
/// code, with the patient in the launch context.
#[tracing::instrument(skip_all)]
pub async fn picker_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    let locale = web::http::locale(&headers, form.get("ui_locales").map(String::as_str));
    let token = form.get("c").map(String::as_str).unwrap_or("");
    let (w, key_now, s, client) =
        pause::here_with_client(&p, &headers, "picker", token, locale).await?;
    let id = form.get("patient").map(String::as_str).unwrap_or("");
    let aud = w.req.audience.clone().unwrap_or_default();
    let chosen = match read(&p, &client, &aud, &s, id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "patient read failed");
            let v = page(&w.req, token, "", Some(Err(e)), None, locale);
            return Ok(web::widgets::send(
                &p,
                &headers,
                locale,
                &v,
                StatusCode::BAD_GATEWAY,
            ));
        }
    };
    let Some(chosen) = chosen else {
        let v = page(
            &w.req,
            token,
            "",
            None,
            Some(text(locale).not_found),
            locale,
        );
        return Ok(web::widgets::send(
            &p,
            &headers,
            locale,
            &v,
            StatusCode::BAD_REQUEST,
        ));
    };
    let Paused { mut req, .. } = pause::take(&p, "picker", token, locale).await?;
    req.launch = Some(Launch {
        account_id: s.account_id.clone(),
        sid: s.sid.clone(),
        ehr: String::new(),
        client_id: Some(req.client_id.clone()),
        context: LaunchContext {
            patient: Some(chosen.id.clone()),
            need_patient_banner: Some(true),
            ..LaunchContext::default()
        },
    });
    let _ = p
        .audit
        .record(AuditEvent {
            event: "launch.patient_chosen",
            actor: Some(&s.account_id),
            subject: Some(&s.account_id),
            client_id: Some(&req.client_id),
            session_id: Some(&s.sid),
            detail: Some(&chosen.id),
            ..Default::default()
        })
        .await;
    // Next: with launch/encounter, one of this patient's encounters; then the code.
    super::issue_code(&p, &req, &key_now, s, locale).await
}
