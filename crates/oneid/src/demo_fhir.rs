//! A tiny FHIR server for `oneid demo` only: a few fictional patients, their medication
//! requests and encounters, and the demo practitioner, read-only, behind ONE ID. It is a
//! resource server as a real one would be: every call carries a Bearer token, which it checks
//! at ONE ID's introspection endpoint (its own client credentials, scope `oneid:introspect`);
//! the token must be active, for this server (`aud` is its base URL) and carry a SMART scope
//! that reads the resource type, and a `patient/` scope reaches only the patient in the
//! token's context. It serves `/.well-known/smart-configuration` (ONE ID's, as SMART apps look
//! for it at the FHIR base) and answers browsers on any origin, so browser SMART apps can use
//! it. The standalone launch's patient and encounter pickers search it. Production mode
//! (`serve`) serves none of it.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The demo FHIR server.
#[derive(Debug, Clone)]
pub struct DemoFhir {
    /// ONE ID's issuer (its introspection endpoint is `{issuer}/introspect`).
    pub issuer: String,
    /// Its base URL, e.g. `http://127.0.0.1:8087/fhir`: the resource server's audience.
    pub base: String,
    /// Its client id at ONE ID (for introspection).
    pub client_id: String,
    /// Its client secret.
    pub secret: String,
}

/// A fictional patient.
#[derive(Debug)]
pub struct DemoPatient {
    /// FHIR id.
    pub id: &'static str,
    /// Given name.
    pub given: &'static str,
    /// Family name.
    pub family: &'static str,
    /// Birth date.
    pub birth_date: &'static str,
    /// FHIR administrative gender.
    pub gender: &'static str,
    /// Active medication requests, as a person reads them.
    pub medications: &'static [&'static str],
}

/// The demo's patients.
pub const PATIENTS: &[DemoPatient] = &[
    DemoPatient {
        id: "pat-1001",
        given: "Margaret",
        family: "Okafor",
        birth_date: "1948-03-12",
        gender: "female",
        medications: &[
            "Metformin 500 mg tablet, twice daily",
            "Lisinopril 10 mg tablet, once daily",
        ],
    },
    DemoPatient {
        id: "pat-1002",
        given: "Jean-Luc",
        family: "Bouchard",
        birth_date: "1956-09-27",
        gender: "male",
        medications: &[
            "Apixaban 5 mg tablet, twice daily",
            "Atorvastatin 20 mg tablet, at bedtime",
        ],
    },
    DemoPatient {
        id: "pat-1003",
        given: "Priya",
        family: "Raman",
        birth_date: "1983-01-05",
        gender: "female",
        medications: &["Levothyroxine 75 mcg tablet, once daily before breakfast"],
    },
    DemoPatient {
        id: "pat-1004",
        given: "Thomas",
        family: "Whitehorse",
        birth_date: "1971-07-19",
        gender: "male",
        medications: &[
            "Salbutamol 100 mcg inhaler, 2 puffs as needed",
            "Fluticasone 125 mcg inhaler, 2 puffs twice daily",
        ],
    },
];

/// (id, patient, type, start) of each fictional encounter.
pub const ENCOUNTERS: &[(&str, &str, &str, &str)] = &[
    (
        "enc-2001",
        "pat-1001",
        "Family medicine visit",
        "2026-11-18T09:30:00-05:00",
    ),
    (
        "enc-2002",
        "pat-1001",
        "Diabetes clinic",
        "2026-08-04T13:15:00-04:00",
    ),
    (
        "enc-2003",
        "pat-1002",
        "Emergency visit",
        "2026-11-29T22:40:00-05:00",
    ),
    (
        "enc-2004",
        "pat-1003",
        "Endocrinology consult",
        "2026-10-07T10:00:00-04:00",
    ),
    (
        "enc-2005",
        "pat-1004",
        "Respirology follow-up",
        "2026-09-22T15:45:00-04:00",
    ),
];

fn encounter(e: &(&str, &str, &str, &str)) -> Value {
    let (id, patient, kind, start) = e;
    json!({
        "resourceType": "Encounter", "id": id, "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"text": kind}],
        "subject": {"reference": format!("Patient/{patient}")},
        "participant": [{"individual": {"reference": format!("Practitioner/{PRACTITIONER_ID}")}}],
        "period": {"start": start},
    })
}

/// The demo practitioner's id (the demo clinician's CPSO registration number, which the demo's
/// `fhirUser` rule uses).
pub const PRACTITIONER_ID: &str = "98765";

/// A patient as a FHIR resource.
pub fn patient(id: &str) -> Option<Value> {
    let p = PATIENTS.iter().find(|p| p.id == id)?;
    Some(json!({
        "resourceType": "Patient", "id": p.id, "active": true, "gender": p.gender,
        "birthDate": p.birth_date,
        "identifier": [{"system": "https://oneid.example/demo/mrn", "value": p.id}],
        "name": [{"use": "official", "family": p.family, "given": [p.given]}],
    }))
}

fn medications(patient_id: &str) -> Vec<Value> {
    let Some(p) = PATIENTS.iter().find(|p| p.id == patient_id) else {
        return Vec::new();
    };
    p.medications
        .iter()
        .enumerate()
        .map(|(i, text)| {
            json!({
                "resourceType": "MedicationRequest", "id": format!("{}-rx{}", p.id, i + 1),
                "status": "active", "intent": "order",
                "medicationCodeableConcept": {"text": text},
                "subject": {"reference": format!("Patient/{}", p.id)},
                "requester": {"reference": format!("Practitioner/{PRACTITIONER_ID}")},
            })
        })
        .collect()
}

fn practitioner(id: &str) -> Option<Value> {
    (id == PRACTITIONER_ID).then(|| {
        json!({
            "resourceType": "Practitioner", "id": PRACTITIONER_ID, "active": true,
            "identifier": [{"system": "https://www.cpso.on.ca", "value": PRACTITIONER_ID}],
            "name": [{"prefix": ["Dr."], "family": "Tremblay", "given": ["Alex"]}],
        })
    })
}

struct FhirState {
    fhir: DemoFhir,
    http: reqwest::Client,
}

fn fhir_json(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    r
}

fn outcome(status: StatusCode, code: &str, text: &str) -> Response {
    let mut r = fhir_json(
        status,
        json!({"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": code, "diagnostics": text}]}),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"demo-fhir\""),
        );
    }
    r
}

/// Whether a SMART scope (v2 `patient/Observation.rs`, `user/*.cruds`, v1 `patient/*.read`)
/// allows `interaction` (`'r'` read, `'s'` search) on `resource`; its context (`patient`,
/// `user` or `system`) when it does. A scope limited by a filter (`?category=…`) allows
/// nothing here: this server does not apply filters, so it cannot honour one.
pub fn reads(scope: &str, resource: &str, interaction: char) -> Option<&'static str> {
    let (context, rest) = scope.split_once('/')?;
    let context = match context {
        "patient" => "patient",
        "user" => "user",
        "system" => "system",
        _ => return None,
    };
    if rest.contains('?') {
        return None;
    }
    let (kind, perms) = rest.split_once('.')?;
    if kind != "*" && kind != resource {
        return None;
    }
    let v1 = perms == "read" || perms == "*";
    let v2 = !perms.is_empty()
        && perms.chars().all(|c| "cruds".contains(c))
        && perms.contains(interaction);
    (v1 || v2).then_some(context)
}

/// Who may see what: `Ok(Some(patient))` for a token limited to one patient, `Ok(None)` for
/// one that may `interaction` every patient's `resource`, or the refusal.
async fn authorize(
    s: &FhirState,
    headers: &HeaderMap,
    resource: &str,
    interaction: char,
) -> Result<Option<String>, Response> {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
    else {
        return Err(outcome(
            StatusCode::UNAUTHORIZED,
            "login",
            "send an access token from ONE ID",
        ));
    };
    let answer = s
        .http
        .post(format!("{}/introspect", s.fhir.issuer))
        .basic_auth(&s.fhir.client_id, Some(&s.fhir.secret))
        .form(&[("token", token)])
        .send()
        .await;
    let i: Value = match answer {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
        _ => {
            return Err(outcome(
                StatusCode::SERVICE_UNAVAILABLE,
                "transient",
                "ONE ID cannot be reached",
            ))
        }
    };
    let for_me = match &i["aud"] {
        Value::String(a) => *a == s.fhir.base,
        Value::Array(a) => a.iter().any(|a| *a == s.fhir.base.as_str()),
        _ => false,
    };
    if i["active"] != true || !for_me {
        return Err(outcome(
            StatusCode::UNAUTHORIZED,
            "login",
            "the access token is not active, or not for this server",
        ));
    }
    // A sender-constrained token is worth something only with its proof (DPoP) or over its
    // connection (a client certificate); this demo server checks neither, so takes none.
    if i.get("cnf").is_some_and(|c| !c.is_null()) {
        return Err(outcome(
            StatusCode::UNAUTHORIZED,
            "login",
            "this server takes Bearer tokens only, not sender-constrained ones",
        ));
    }
    let contexts: Vec<&str> = i["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter_map(|sc| reads(sc, resource, interaction))
        .collect();
    if contexts.iter().any(|c| *c != "patient") {
        return Ok(None);
    }
    match (contexts.is_empty(), i["patient"].as_str()) {
        (false, Some(p)) => Ok(Some(p.to_owned())),
        _ => Err(outcome(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("the access token does not read {resource}"),
        )),
    }
}

fn bundle(entries: Vec<Value>, base: &str) -> Value {
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|r| {
            let url = format!(
                "{base}/{}/{}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            );
            json!({"fullUrl": url, "resource": r, "search": {"mode": "match"}})
        })
        .collect();
    json!({"resourceType": "Bundle", "type": "searchset", "total": entry.len(), "entry": entry})
}

async fn search_patients(
    State(s): State<Arc<FhirState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let only = match authorize(&s, &headers, "Patient", 's').await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let name = q.get("name").map(|n| n.to_lowercase()).unwrap_or_default();
    let found = PATIENTS
        .iter()
        .filter(|p| only.as_deref().is_none_or(|o| o == p.id))
        .filter(|p| {
            name.is_empty()
                || p.given.to_lowercase().starts_with(&name)
                || p.family.to_lowercase().starts_with(&name)
        })
        .filter(|p| q.get("_id").is_none_or(|id| id == p.id))
        .filter_map(|p| patient(p.id))
        .collect();
    fhir_json(StatusCode::OK, bundle(found, &s.fhir.base))
}

async fn read_patient(
    State(s): State<Arc<FhirState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let only = match authorize(&s, &headers, "Patient", 'r').await {
        Ok(o) => o,
        Err(r) => return r,
    };
    match patient(&id) {
        Some(p) if only.as_deref().is_none_or(|o| o == id) => fhir_json(StatusCode::OK, p),
        _ => outcome(StatusCode::NOT_FOUND, "not-found", "no such patient"),
    }
}

/// The patient a search names (`patient=` or `subject=`, with or without `Patient/`).
fn patient_param(q: &HashMap<String, String>) -> Option<String> {
    q.get("patient")
        .or(q.get("subject"))
        .map(|p| p.trim_start_matches("Patient/").to_owned())
}

async fn search_medications(
    State(s): State<Arc<FhirState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let only = match authorize(&s, &headers, "MedicationRequest", 's').await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let Some(patient) = patient_param(&q) else {
        return outcome(StatusCode::BAD_REQUEST, "required", "search by patient");
    };
    if only.as_deref().is_some_and(|o| o != patient) {
        return fhir_json(StatusCode::OK, bundle(Vec::new(), &s.fhir.base));
    }
    fhir_json(StatusCode::OK, bundle(medications(&patient), &s.fhir.base))
}

async fn search_encounters(
    State(s): State<Arc<FhirState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let only = match authorize(&s, &headers, "Encounter", 's').await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let Some(patient) = patient_param(&q) else {
        return outcome(StatusCode::BAD_REQUEST, "required", "search by patient");
    };
    let found = ENCOUNTERS
        .iter()
        .filter(|e| e.1 == patient && only.as_deref().is_none_or(|o| o == e.1))
        .map(encounter)
        .collect();
    fhir_json(StatusCode::OK, bundle(found, &s.fhir.base))
}

async fn read_encounter(
    State(s): State<Arc<FhirState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let only = match authorize(&s, &headers, "Encounter", 'r').await {
        Ok(o) => o,
        Err(r) => return r,
    };
    match ENCOUNTERS.iter().find(|e| e.0 == id) {
        Some(e) if only.as_deref().is_none_or(|o| o == e.1) => {
            fhir_json(StatusCode::OK, encounter(e))
        }
        _ => outcome(StatusCode::NOT_FOUND, "not-found", "no such encounter"),
    }
}

async fn read_practitioner(
    State(s): State<Arc<FhirState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = authorize(&s, &headers, "Practitioner", 'r').await {
        return r;
    }
    match practitioner(&id) {
        Some(p) => fhir_json(StatusCode::OK, p),
        None => outcome(StatusCode::NOT_FOUND, "not-found", "no such practitioner"),
    }
}

/// ONE ID's SMART configuration, served at the FHIR base as SMART apps look for it there.
async fn smart_configuration(State(s): State<Arc<FhirState>>) -> Response {
    let url = format!("{}/.well-known/smart-configuration", s.fhir.issuer);
    match s.http.get(url).send().await {
        Ok(r) if r.status().is_success() => match r.json::<Value>().await {
            Ok(v) => axum::Json(v).into_response(),
            Err(_) => StatusCode::BAD_GATEWAY.into_response(),
        },
        _ => StatusCode::BAD_GATEWAY.into_response(),
    }
}

async fn metadata(State(s): State<Arc<FhirState>>) -> Response {
    let i = &s.fhir.issuer;
    fhir_json(
        StatusCode::OK,
        json!({
            "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
            "fhirVersion": "4.0.1", "format": ["json"],
            "rest": [{"mode": "server", "security": {
                "service": [{"coding": [{"system":
                    "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}]}],
                "extension": [{"url":
                    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [
                        {"url": "authorize", "valueUri": format!("{i}/authorize")},
                        {"url": "token", "valueUri": format!("{i}/token")}]}]},
                "resource": [
                    {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}]},
                    {"type": "MedicationRequest", "interaction": [{"code": "search-type"}]},
                    {"type": "Encounter", "interaction": [{"code": "read"}, {"code": "search-type"}]},
                    {"type": "Practitioner", "interaction": [{"code": "read"}]}]}],
        }),
    )
}

/// Any origin may call (Bearer tokens, no cookies), so browser SMART apps can.
async fn cors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let preflight = req.method() == Method::OPTIONS;
    let mut r = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if preflight {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, accept, content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    r
}

/// The FHIR server's routes (under the path of its base URL).
pub fn router(fhir: DemoFhir) -> Router {
    let path = url::Url::parse(&fhir.base)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let http = match crate::viewers::http_client() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "demo FHIR server cannot make its HTTP client");
            reqwest::Client::new()
        }
    };
    let state = Arc::new(FhirState { fhir, http });
    let api = Router::new()
        .route("/.well-known/smart-configuration", get(smart_configuration))
        .route("/metadata", get(metadata))
        .route("/Patient", get(search_patients))
        .route("/Patient/{id}", get(read_patient))
        .route("/MedicationRequest", get(search_medications))
        .route("/Encounter", get(search_encounters))
        .route("/Encounter/{id}", get(read_encounter))
        .route("/Practitioner/{id}", get(read_practitioner))
        .with_state(state);
    let app = if path.is_empty() {
        api
    } else {
        Router::new().nest(&path, api)
    };
    app.layer(axum::middleware::from_fn(cors))
}

/// Serves the FHIR server on `listener` until `stop` completes.
pub async fn serve(
    fhir: DemoFhir,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let _ = axum::serve(listener, router(fhir))
        .with_graceful_shutdown(stop)
        .await;
}

#[cfg(test)]
mod tests {
    use super::reads;

    #[test]
    fn smart_scopes_that_read_a_type() {
        assert_eq!(reads("patient/Patient.rs", "Patient", 'r'), Some("patient"));
        assert_eq!(reads("patient/Patient.rs", "Patient", 's'), Some("patient"));
        assert_eq!(
            reads("user/*.cruds", "MedicationRequest", 's'),
            Some("user")
        );
        assert_eq!(reads("patient/*.read", "Patient", 's'), Some("patient"));
        // Read without search, and search without read.
        assert_eq!(reads("patient/Patient.r", "Patient", 's'), None);
        assert_eq!(reads("patient/Patient.s", "Patient", 'r'), None);
        // A filter this server does not apply grants nothing.
        assert_eq!(
            reads(
                "patient/Observation.rs?category=laboratory",
                "Observation",
                's'
            ),
            None
        );
        assert_eq!(reads("patient/Observation.rs", "Patient", 'r'), None);
        assert_eq!(reads("patient/Patient.c", "Patient", 'r'), None);
        assert_eq!(reads("patient/Patient.write", "Patient", 'r'), None);
        assert_eq!(reads("openid", "Patient", 'r'), None);
        assert_eq!(reads("launch/patient", "Patient", 'r'), None);
    }
}
