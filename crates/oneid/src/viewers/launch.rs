//! The demo record system's EHR launch: the clinician signed in to it picks a patient and
//! "Open in the medication viewer"; the record system asks ONE ID for a launch handle bound to
//! that patient and to the clinician (`POST /smart/launch` with the clinician's access token,
//! which carries `oneid:launch`), then opens the SMART app with `iss` (the FHIR server) and
//! `launch` (the handle), as SMART App Launch's EHR launch does.

use super::{redirect, ViewerState};
use crate::demo_fhir::PATIENTS;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The SMART app a record system opens, and the FHIR server it names.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The app's client id at ONE ID (the launch is for it alone).
    pub app_client_id: String,
    /// The app's name, as the button says it ("Open in the medication viewer").
    pub app_name: String,
    /// The app's launch URL; `iss` and `launch` are added to it.
    pub app_launch_url: String,
    /// The FHIR server's base URL (`iss`).
    pub fhir_base: String,
}

/// One patient in the record system's list.
pub struct PatientRow {
    pub id: &'static str,
    pub name: String,
    pub birth_date: &'static str,
}

/// The record system's patients (the demo FHIR server's).
pub fn patients() -> Vec<PatientRow> {
    PATIENTS
        .iter()
        .map(|p| PatientRow {
            id: p.id,
            name: format!("{}, {}", p.family, p.given),
            birth_date: p.birth_date,
        })
        .collect()
}

fn fail(s: &ViewerState, headers: &HeaderMap, why: &str) -> Response {
    s.page(s.session(headers).map(|(_, u)| u), Some(why.to_owned()))
}

/// POST /launch (patient, csrf): opens the app for the patient.
pub async fn launch(
    State(s): State<Arc<ViewerState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(launcher) = s.viewer.launch.as_ref() else {
        return redirect("/");
    };
    let Some((key, user)) = s.session(&headers) else {
        return redirect("/login");
    };
    let csrf = form.get("csrf").map(String::as_bytes).unwrap_or_default();
    if !platform::crypto::ct_eq(csrf, user.csrf.as_bytes()) {
        return fail(&s, &headers, "This form has expired; try again.");
    }
    let Some(patient) = form
        .get("patient")
        .filter(|p| PATIENTS.iter().any(|d| d.id == p.as_str()))
    else {
        return fail(&s, &headers, "No such patient.");
    };
    let answer = s
        .http
        .post(format!("{}/smart/launch", s.issuer))
        .bearer_auth(&user.access_token)
        .json(&json!({
            "client_id": launcher.app_client_id,
            "patient": patient,
            "need_patient_banner": true,
        }))
        .send()
        .await;
    let answer = match answer {
        Ok(r) => (r.status(), r.json::<Value>().await.unwrap_or_default()),
        Err(_) => return fail(&s, &headers, "ONE ID cannot be reached; try again."),
    };
    match answer {
        (st, v) if st.is_success() && v["launch"].is_string() => {
            let Ok(mut to) = url::Url::parse(&launcher.app_launch_url) else {
                return fail(&s, &headers, "The app's launch URL is not a URL.");
            };
            to.query_pairs_mut()
                .append_pair("iss", &launcher.fhir_base)
                .append_pair("launch", v["launch"].as_str().unwrap_or_default());
            redirect(to.as_str())
        }
        (st, v) if st.as_u16() == 401 && v["error"] == "invalid_token" => {
            // The access token expired or was revoked (the session ended): sign in again,
            // silently if ONE ID still has a session. Other refusals are shown.
            if let Ok(mut m) = s.sessions.lock() {
                m.remove(&key);
            }
            redirect("/login?silent=1")
        }
        (_, v) => {
            let why = v["error_description"].as_str().unwrap_or("no reason given");
            fail(&s, &headers, &format!("ONE ID refused the launch: {why}"))
        }
    }
}
