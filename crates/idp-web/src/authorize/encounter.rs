//! SMART's standalone launch with `launch/encounter`: once the patient is picked, the person
//! picks one of that patient's encounters, listed from the FHIR server the request is for
//! (its `aud`) with their own authority (an access token for them, for that server, with
//! `user/Encounter.rs` only). The chosen encounter is read back and must be the patient's
//! before it is put in the launch context. In English and French. The person may also go on
//! without an encounter (the app gets the patient alone) or choose another patient.

use super::picker::{enc, fhir_get, user_token};
use super::*;
use authorization_server::smart_launch::fhir_id;
use pause::Paused;
use serde_json::Value;
use web::forms::{Form, Section, View};

struct EncounterText {
    title: &'static str,
    intro: &'static str,
    results: &'static str,
    none: &'static str,
    choose: &'static str,
    without: &'static str,
    another: &'static str,
    unreachable: &'static str,
    not_found: &'static str,
    unnamed: &'static str,
    /// FHIR's Encounter.status codes as a person reads them.
    statuses: [(&'static str, &'static str); 9],
}

static EN: EncounterText = EncounterText {
    title: "Choose the encounter for {app}",
    intro: "{app} opens one encounter of the patient you chose. Choose it from the patient's \
            encounters in the clinical record.",
    results: "Encounters",
    none: "The clinical record has no encounter for this patient.",
    choose: "Choose {name}",
    without: "Continue without an encounter",
    another: "Choose another patient",
    unreachable: "The clinical record could not be searched just now. Try again.",
    not_found: "This encounter could not be found for this patient. Choose again.",
    unnamed: "Encounter {id}",
    statuses: [
        ("planned", "Planned"),
        ("arrived", "Arrived"),
        ("triaged", "Triaged"),
        ("in-progress", "In progress"),
        ("onleave", "Temporarily away"),
        ("finished", "Finished"),
        ("cancelled", "Cancelled"),
        ("entered-in-error", "Entered in error"),
        ("unknown", "Status unknown"),
    ],
};

static FR: EncounterText = EncounterText {
    title: "Choisir la rencontre pour {app}",
    intro: "{app} ouvre une rencontre du patient choisi. Choisissez-la parmi les rencontres \
            du patient dans le dossier clinique.",
    results: "Rencontres",
    none: "Le dossier clinique n’a aucune rencontre pour ce patient.",
    choose: "Choisir {name}",
    without: "Continuer sans rencontre",
    another: "Choisir un autre patient",
    unreachable: "Le dossier clinique n’a pas pu être consulté. Réessayez.",
    not_found: "Cette rencontre est introuvable pour ce patient. Choisissez de nouveau.",
    unnamed: "Rencontre {id}",
    statuses: [
        ("planned", "Prévue"),
        ("arrived", "Arrivée"),
        ("triaged", "Triage effectué"),
        ("in-progress", "En cours"),
        ("onleave", "Absence temporaire"),
        ("finished", "Terminée"),
        ("cancelled", "Annulée"),
        ("entered-in-error", "Saisie par erreur"),
        ("unknown", "Statut inconnu"),
    ],
};

fn text(locale: Locale) -> &'static EncounterText {
    match locale {
        Locale::Fr => &FR,
        Locale::En => &EN,
    }
}

/// An encounter as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    id: String,
    /// Its type (or class) as written in the record.
    name: Option<String>,
    /// When it began (the date).
    start: Option<String>,
    status: Option<String>,
}

/// Whether `reference` names `patient` of the FHIR server `aud`: `Patient/{id}` or
/// `{aud}/Patient/{id}`, a version (`/_history/…`) aside; another server's patient is not.
fn names_patient(reference: &str, aud: &str, patient: &str) -> bool {
    let unversioned = reference.split("/_history/").next().unwrap_or_default();
    let relative = unversioned
        .strip_prefix(aud.trim_end_matches('/'))
        .map_or(unversioned, |r| r.trim_start_matches('/'));
    relative == format!("Patient/{patient}")
}

/// The encounter `r` when it is one of `patient`'s (at `aud`) that can be opened (not
/// cancelled, not entered in error).
fn found(r: &Value, aud: &str, patient: &str) -> Option<Found> {
    if r["resourceType"] != "Encounter" {
        return None;
    }
    if !names_patient(r["subject"]["reference"].as_str()?, aud, patient) {
        return None;
    }
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let status = text(&r["status"]);
    if matches!(status.as_deref(), Some("cancelled" | "entered-in-error")) {
        return None;
    }
    let id = r["id"].as_str().filter(|id| fhir_id(id))?.to_owned();
    let name = text(&r["type"][0]["text"])
        .or_else(|| text(&r["type"][0]["coding"][0]["display"]))
        .or_else(|| text(&r["class"]["display"]))
        .or_else(|| text(&r["class"]["code"]));
    // The date, and the time when given (two encounters of one day stay apart).
    let start = r["period"]["start"].as_str().map(|d| {
        let d: String = d.chars().take(16).collect();
        d.replace('T', " ")
    });
    Some(Found {
        id,
        name,
        start,
        status,
    })
}

fn patient_of(req: &AuthRequest) -> String {
    req.launch
        .as_ref()
        .and_then(|l| l.context.patient.clone())
        .unwrap_or_default()
}

/// The patient's encounters, newest first.
async fn list(
    p: &Provider,
    client: &Client,
    aud: &str,
    s: &SsoSession,
    patient: &str,
) -> Result<Vec<Found>, String> {
    let token = user_token(p, client, aud, s, "user/Encounter.rs")?;
    let url = format!(
        "{}/Encounter?patient={}&_sort=-date&_count=20",
        aud.trim_end_matches('/'),
        enc(patient)
    );
    let bundle = fhir_get(p, &url, &token).await?.unwrap_or_default();
    Ok(bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|x| found(&x["resource"], aud, patient))
                .collect()
        })
        .unwrap_or_default())
}

async fn read(
    p: &Provider,
    client: &Client,
    aud: &str,
    s: &SsoSession,
    patient: &str,
    id: &str,
) -> Result<Option<Found>, String> {
    if !fhir_id(id) {
        return Ok(None);
    }
    let token = user_token(p, client, aud, s, "user/Encounter.rs")?;
    let url = format!("{}/Encounter/{id}", aud.trim_end_matches('/'));
    // The encounter asked for, and no other the server might answer with.
    Ok(fhir_get(p, &url, &token)
        .await?
        .and_then(|r| found(&r, aud, patient))
        .filter(|f| f.id == id))
}

/// Before a code: `None` unless the sign-in asks `launch/encounter` in a standalone launch
/// whose patient is picked and no encounter yet, else the encounter page (or, with
/// `prompt=none`, `interaction_required`).
pub(super) async fn ask_if_needed(
    p: &Provider,
    req: &AuthRequest,
    session_key: &str,
    s: &SsoSession,
    locale: Locale,
) -> Result<Option<Response>, WebError> {
    let waiting = req
        .launch
        .as_ref()
        .is_some_and(|l| l.context.patient.is_some() && l.context.encounter.is_none());
    if !req.pick_encounter || !waiting {
        return Ok(None);
    }
    let question = (req, session_key, s);
    let none = ("interaction_required", "the user must choose an encounter");
    let r = pause::pause(
        p,
        "encounter",
        "/authorize/encounter",
        question,
        none,
        locale,
    )
    .await?;
    Ok(Some(r))
}

fn label(t: &EncounterText, f: &Found) -> String {
    let name = f
        .name
        .clone()
        .unwrap_or_else(|| t.unnamed.replace("{id}", &f.id));
    match &f.start {
        Some(d) => format!("{name} ({d})"),
        None => name,
    }
}

/// The status in the person's language (a code FHIR does not define is shown as it is).
fn status(t: &EncounterText, code: Option<&str>) -> String {
    let Some(code) = code else {
        return String::new();
    };
    t.statuses
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, shown)| (*shown).to_owned())
}

fn page(
    req: &AuthRequest,
    token: &str,
    found: Result<Vec<Found>, String>,
    error: Option<&str>,
    locale: Locale,
) -> View {
    let t = text(locale);
    let app = req.client_name.as_str();
    let mut v = View {
        title: t.title.replace("{app}", app),
        intro: vec![t.intro.replace("{app}", app)],
        ..View::default()
    };
    if let Some(e) = error {
        v.errors.push((String::new(), e.to_owned()));
    }
    let hidden = |extra: Option<(&str, &str)>| {
        let mut h = vec![
            ("c".to_owned(), token.to_owned()),
            ("ui_locales".to_owned(), locale.tag().to_owned()),
        ];
        if let Some((k, val)) = extra {
            h.push((k.to_owned(), val.to_owned()));
        }
        h
    };
    match found {
        Err(_) => v.errors.push((String::new(), t.unreachable.into())),
        Ok(list) if list.is_empty() => v.intro.push(t.none.into()),
        Ok(list) => {
            v.sections.push(Section {
                heading: Some(t.results.into()),
                rows: list
                    .iter()
                    .map(|f| (label(t, f), status(t, f.status.as_deref())))
                    .collect(),
            });
            for f in &list {
                v.forms.push(Form {
                    id: Some(format!("choose-{}", f.id)),
                    action: "/authorize/encounter".into(),
                    hidden: hidden(Some(("encounter", &f.id))),
                    submit: t.choose.replace("{name}", &label(t, f)),
                    compact: true,
                    ..Form::default()
                });
            }
        }
    }
    for (id, submit) in [("without", t.without), ("another", t.another)] {
        v.forms.push(Form {
            id: Some(id.into()),
            action: "/authorize/encounter".into(),
            hidden: hidden(Some((id, "1"))),
            submit: submit.into(),
            compact: true,
            ..Form::default()
        });
    }
    v
}

/// GET /authorize/encounter?c=TOKEN: the patient's encounters to choose from.
#[tracing::instrument(skip_all)]
pub async fn encounter_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> WebResult {
    let params = parse_query(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let locale = web::http::locale(&headers, params.get("ui_locales").map(String::as_str));
    let token = params.get("c").map(String::as_str).unwrap_or("");
    let (w, _, s, client) =
        pause::here_with_client(&p, &headers, "encounter", token, locale).await?;
    let aud = w.req.audience.clone().unwrap_or_default();
    let found = list(&p, &client, &aud, &s, &patient_of(&w.req)).await;
    if let Err(e) = &found {
        tracing::warn!(error = %e, "encounter search failed");
    }
    let v = page(&w.req, token, found, None, locale);
    Ok(web::widgets::send(&p, &headers, locale, &v, StatusCode::OK))
}

/// POST /authorize/encounter (c, encounter | without | another): the encounter read back from
/// the FHIR server and checked to be the patient's, then the code with it in the launch
/// context; or the code with the patient alone; or the patient picker again.
#[tracing::instrument(skip_all)]
pub async fn encounter_submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm,
) -> WebResult {
    let locale = web::http::locale(&headers, form.get("ui_locales").map(String::as_str));
    let token = form.get("c").map(String::as_str).unwrap_or("");
    let (w, key_now, s, client) =
        pause::here_with_client(&p, &headers, "encounter", token, locale).await?;
    if form.contains_key("without") || form.contains_key("another") {
        let Paused { mut req, .. } = pause::take(&p, "encounter", token, locale).await?;
        if form.contains_key("without") {
            // The patient alone: the app opens no encounter.
            req.pick_encounter = false;
        } else {
            // Back to the patient picker, the patient chosen forgotten.
            req.launch = None;
        }
        return super::issue_code(&p, &req, &key_now, s, locale).await;
    }
    let aud = w.req.audience.clone().unwrap_or_default();
    let patient = patient_of(&w.req);
    let id = form.get("encounter").map(String::as_str).unwrap_or("");
    let (status, error) = match read(&p, &client, &aud, &s, &patient, id).await {
        Ok(Some(c)) => return chosen(&p, token, key_now, s, c, locale).await,
        Ok(None) => (StatusCode::BAD_REQUEST, text(locale).not_found),
        Err(e) => {
            tracing::warn!(error = %e, "encounter read failed");
            (StatusCode::BAD_GATEWAY, text(locale).unreachable)
        }
    };
    let listed = list(&p, &client, &aud, &s, &patient).await;
    let v = page(&w.req, token, listed, Some(error), locale);
    Ok(web::widgets::send(&p, &headers, locale, &v, status))
}

/// The encounter `chosen`: into the launch context, then the code.
async fn chosen(
    p: &Provider,
    token: &str,
    key_now: String,
    s: SsoSession,
    chosen: Found,
    locale: Locale,
) -> WebResult {
    let Paused { mut req, .. } = pause::take(p, "encounter", token, locale).await?;
    let Some(launch) = req.launch.as_mut() else {
        return Err(PageError::bad(locale, |t| t.login_expired).into());
    };
    launch.context.encounter = Some(chosen.id.clone());
    let _ = p
        .audit
        .record(AuditEvent {
            event: "launch.encounter_chosen",
            actor: Some(&s.account_id),
            subject: Some(&s.account_id),
            client_id: Some(&req.client_id),
            session_id: Some(&s.sid),
            detail: Some(&chosen.id),
            ..Default::default()
        })
        .await;
    super::issue_code(p, &req, &key_now, s, locale).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_patients_encounters_are_taken() {
        let aud = "https://fhir.example/r4";
        let e = json!({"resourceType": "Encounter", "id": "e1", "status": "finished",
            "subject": {"reference": "Patient/p1"}, "type": [{"text": "Clinic visit"}],
            "period": {"start": "2026-11-02T09:30:00-05:00"}});
        let f = found(&e, aud, "p1").unwrap();
        assert_eq!(f.name.as_deref(), Some("Clinic visit"));
        assert_eq!(f.start.as_deref(), Some("2026-11-02 09:30"));
        assert_eq!(found(&e, aud, "p2"), None, "another patient's");
        assert_eq!(found(&e, aud, "p"), None, "a prefix is not the patient");
        let with = |reference: &str| {
            let mut x = e.clone();
            x["subject"]["reference"] = reference.into();
            found(&x, aud, "p1").is_some()
        };
        assert!(
            with("https://fhir.example/r4/Patient/p1"),
            "this server's, absolute"
        );
        assert!(with("Patient/p1/_history/2"), "a version of the patient");
        assert!(
            !with("https://other.example/r4/Patient/p1"),
            "another server's"
        );
        assert!(!with("Group/p1"));
        for status in ["cancelled", "entered-in-error"] {
            let mut x = e.clone();
            x["status"] = status.into();
            assert_eq!(found(&x, aud, "p1"), None, "{status}");
        }
        let mut bad = e.clone();
        bad["id"] = "../Patient/p2".into();
        assert_eq!(found(&bad, aud, "p1"), None, "not a FHIR id");
        let mut other = e;
        other["resourceType"] = "Observation".into();
        assert_eq!(found(&other, aud, "p1"), None);
    }

    #[test]
    fn statuses_are_read_in_both_languages() {
        assert_eq!(status(&FR, Some("finished")), "Terminée");
        assert_eq!(status(&EN, Some("in-progress")), "In progress");
        assert_eq!(status(&EN, Some("x-local")), "x-local");
        assert_eq!(status(&FR, None), "");
        for (code, _) in EN.statuses {
            assert!(FR.statuses.iter().any(|(c, _)| *c == code), "{code}");
        }
    }
}
