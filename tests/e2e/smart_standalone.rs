//! SMART's standalone launch: an app asking `launch/patient` (no record system's launch) gets
//! its patient from the person, who searches the FHIR server the request names (`aud`) by name
//! and picks one. The FHIR server here is a small one on loopback that checks every token at
//! `/introspect`, as a real one would: only a token for this person, for it, reading patients.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use oneid_tests::api::http;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct Fhir {
    issuer: String,
    base: String,
    /// Every call: (path and query, the introspected token).
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

fn patients() -> Vec<Value> {
    vec![
        json!({"resourceType": "Patient", "id": "pat-1", "birthDate": "1961-04-02",
               "name": [{"family": "Smith", "given": ["John"]}]}),
        json!({"resourceType": "Patient", "id": "pat-2", "birthDate": "1990-11-30",
               "name": [{"family": "Tremblay", "given": ["Marie", "Ève"]}]}),
    ]
}

fn encounters() -> Vec<Value> {
    let e = |id: &str, patient: &str, kind: &str, start: &str| {
        json!({"resourceType": "Encounter", "id": id, "status": "finished",
               "subject": {"reference": format!("Patient/{patient}")},
               "type": [{"text": kind}], "period": {"start": start}})
    };
    vec![
        e(
            "enc-1",
            "pat-1",
            "Emergency visit",
            "2026-11-02T09:30:00-05:00",
        ),
        e(
            "enc-2",
            "pat-1",
            "Clinic visit",
            "2026-10-01T14:00:00-04:00",
        ),
        e(
            "enc-3",
            "pat-2",
            "Home care visit",
            "2026-09-15T10:00:00-04:00",
        ),
    ]
}

/// The token's introspection, when it is an active token for this server that reads patients.
async fn authorized(f: &Fhir, headers: &HeaderMap, what: String) -> bool {
    authorized_for(f, headers, what, "user/Patient.rs").await
}

/// The same for `scope` (exactly).
async fn authorized_for(f: &Fhir, headers: &HeaderMap, what: String, scope: &str) -> bool {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let i: Value = http()
        .post(format!("{}/introspect", f.issuer))
        .basic_auth("fhir-gateway", Some("fhir-gateway-secret"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ok = i["active"] == true && i["aud"] == f.base.as_str() && i["scope"] == scope;
    f.seen.lock().unwrap().push((what, i));
    ok
}

async fn search(
    State(f): State<Fhir>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    let name = q.get("name").cloned().unwrap_or_default().to_lowercase();
    if !authorized(&f, &headers, format!("search {name}")).await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let entry: Vec<Value> = patients()
        .into_iter()
        .filter(|p| p.to_string().to_lowercase().contains(&name))
        .map(|p| json!({ "resource": p }))
        .collect();
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "entry": entry}))
        .into_response()
}

async fn read(
    State(f): State<Fhir>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> axum::response::Response {
    if !authorized(&f, &headers, format!("read {id}")).await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match patients().into_iter().find(|p| p["id"] == id.as_str()) {
        Some(p) => axum::Json(p).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn search_encounters(
    State(f): State<Fhir>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    let patient = q.get("patient").cloned().unwrap_or_default();
    let what = format!("encounters {patient}");
    if !authorized_for(&f, &headers, what, "user/Encounter.rs").await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let reference = format!("Patient/{patient}");
    let entry: Vec<Value> = encounters()
        .into_iter()
        .filter(|e| e["subject"]["reference"] == reference.as_str())
        .map(|e| json!({ "resource": e }))
        .collect();
    axum::Json(json!({"resourceType": "Bundle", "type": "searchset", "entry": entry}))
        .into_response()
}

async fn read_encounter(
    State(f): State<Fhir>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> axum::response::Response {
    let what = format!("encounter {id}");
    if !authorized_for(&f, &headers, what, "user/Encounter.rs").await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match encounters().into_iter().find(|e| e["id"] == id.as_str()) {
        Some(e) => axum::Json(e).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A FHIR server on loopback, registered as the resource server `fhir`, and the app allowed
/// it; returns the server.
async fn setup(app: &TestApp) -> (Fhir, oneid_tests::RpConfig) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://127.0.0.1:{}/fhir",
        listener.local_addr().unwrap().port()
    );
    let f = Fhir {
        issuer: app.base.clone(),
        base: base.clone(),
        seen: Arc::default(),
    };
    let router = axum::Router::new()
        .route("/fhir/Patient", axum::routing::get(search))
        .route("/fhir/Patient/{id}", axum::routing::get(read))
        .route("/fhir/Encounter", axum::routing::get(search_encounters))
        .route("/fhir/Encounter/{id}", axum::routing::get(read_encounter))
        .with_state(f.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    app.add_client_with("fhir-gateway", |n| {
        n.service_id = None;
        n.redirect_uris.clear();
        n.grant_types = vec!["client_credentials".into()];
        n.scopes = vec!["oneid:introspect".into()];
    })
    .await;
    app.provider
        .resources
        .add(authorization_server::resources::NewResourceServer {
            id: "fhir".into(),
            name: "FHIR".into(),
            audience: base,
            scopes: vec!["patient/*.rs".into()],
        })
        .await
        .unwrap();
    let cfg = app
        .add_client_with("chart-app", |n| {
            n.scopes = vec![
                "openid".into(),
                "launch/patient".into(),
                "launch/encounter".into(),
            ];
        })
        .await;
    app.provider
        .resources
        .allow("chart-app", "fhir", &[])
        .await
        .unwrap();
    app.provider.clients.forget("chart-app");
    (f, cfg)
}

async fn follow(app: &TestApp, b: &Browser, r: &Resp) -> Resp {
    let to = r.location().unwrap_or_default().to_owned();
    assert!(
        to.starts_with("/authorize/patient?c="),
        "{} {}",
        r.status,
        r.body
    );
    let page = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

#[tokio::test]
async fn a_standalone_launch_lets_the_person_pick_the_patient_from_the_fhir_server() {
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    let (fhir, cfg) = setup(&app).await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();
    let s = rp.start(
        &["openid", "launch/patient", "patient/Observation.rs"],
        &[("aud", &fhir.base)],
    );
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let picker = follow(&app, &b, &r).await;
    assert!(
        picker.body.contains("Choose a patient for"),
        "{}",
        picker.body
    );
    let c = picker.hidden("c").unwrap();
    // Search by name: the FHIR server is asked with the person's own token.
    let found = b
        .get(&format!(
            "{}/authorize/patient?c={c}&q=smith&ui_locales=en",
            app.base
        ))
        .await;
    assert_eq!(found.status, 200);
    assert!(found.body.contains("John Smith"), "{}", found.body);
    assert!(found.body.contains("born 1961-04-02"));
    assert!(!found.body.contains("Tremblay"));
    {
        let seen = fhir.seen.lock().unwrap();
        let (what, token) = seen.last().unwrap();
        assert_eq!(what, "search smith");
        assert_eq!(token["active"], true);
        assert_eq!(token["sub"], account.as_str(), "the person's own authority");
        assert_eq!(token["scope"], "user/Patient.rs");
    }
    // In French too.
    let fr = b
        .get(&format!(
            "{}/authorize/patient?c={c}&q=tremblay&ui_locales=fr",
            app.base
        ))
        .await;
    assert!(fr.body.contains("Choisir un patient pour"), "{}", fr.body);
    assert!(fr.body.contains("Marie Ève Tremblay"));
    assert!(fr.body.contains("né(e) le 1990-11-30"));
    let none = b
        .get(&format!(
            "{}/authorize/patient?c={c}&q=nobody&ui_locales=en",
            app.base
        ))
        .await;
    assert!(none.body.contains("No patient found with this name."));
    // A patient the FHIR server does not have is not taken.
    let csrf = found.hidden("csrf").unwrap();
    let post = |patient: &'static str| {
        let (b, c, csrf, base) = (&b, c.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/authorize/patient"),
                &[
                    ("csrf", csrf.as_str()),
                    ("c", c.as_str()),
                    ("patient", patient),
                ],
            )
            .await
        }
    };
    let r = post("pat-404").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("This patient could not be found."));
    // Chosen: the code, and the patient in the token response.
    let r = post("pat-1").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let code = rp.code_from(&s, &r);
    let t = app
        .client_post(
            "/token",
            ("chart-app", "chart-app-secret"),
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1:9/chart-app/cb"),
                ("code_verifier", s.verifier.secret()),
            ],
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.json);
    assert_eq!(t.json["patient"], "pat-1");
    assert_eq!(t.json["need_patient_banner"], true);
    assert_eq!(
        t.json["scope"],
        "openid launch/patient patient/Observation.rs"
    );
    assert_eq!(app.audit("launch.patient_chosen").await.len(), 1);
    // Once: the page is gone.
    assert_eq!(post("pat-2").await.status, 400);
}

#[tokio::test]
async fn a_standalone_launch_names_its_fhir_server_and_only_its_browser_picks() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let (fhir, cfg) = setup(&app).await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();
    // Without aud: which FHIR server? (The client may reach one, but a picker needs it named
    // or implied by a clinical scope.)
    let s = rp.start(&["openid", "launch/patient"], &[]);
    let r = b.get(&s.url).await;
    let q = r.location_params();
    assert_eq!(
        q.get("error").map(String::as_str),
        Some("invalid_request"),
        "{}",
        r.body
    );
    // Signed in (the picker shown, left unanswered).
    let s = rp.start(&["openid", "launch/patient"], &[("aud", &fhir.base)]);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    follow(&app, &b, &r).await;
    // prompt=none cannot pick: interaction_required.
    let s = rp.start(
        &["openid", "launch/patient"],
        &[("aud", &fhir.base), ("prompt", "none")],
    );
    let q = b.get(&s.url).await.location_params();
    assert_eq!(
        q.get("error").map(String::as_str),
        Some("interaction_required")
    );
    // Another browser with the picker's address sees nothing.
    let s = rp.start(&["openid", "launch/patient"], &[("aud", &fhir.base)]);
    let r = b.get(&s.url).await;
    let to = r.location().unwrap().to_owned();
    let stranger = Browser::new();
    let peek = stranger.get(&format!("{}{to}&q=smith", app.base)).await;
    assert_eq!(peek.status, 400);
    assert!(!peek.body.contains("John Smith"));
    assert!(
        fhir.seen.lock().unwrap().is_empty(),
        "nothing searched for the stranger"
    );
}

/// The picker `page`'s search for `name`.
async fn search_page(app: &TestApp, b: &Browser, page: &Resp, name: &str) -> Resp {
    let c = page.hidden("c").unwrap();
    let url = format!(
        "{}/authorize/patient?c={c}&q={name}&ui_locales=en",
        app.base
    );
    let found = b.get(&url).await;
    assert_eq!(found.status, 200, "{}", found.body);
    found
}

/// Posts `field`=`id` with `page`'s form tokens to `path`.
async fn choose(
    app: &TestApp,
    b: &Browser,
    page: &Resp,
    path: &str,
    field: &str,
    id: &str,
) -> Resp {
    let csrf = page.hidden("csrf").unwrap();
    let c = page.hidden("c").unwrap();
    let form = [("csrf", csrf.as_str()), ("c", c.as_str()), (field, id)];
    b.post_form(&format!("{}{path}", app.base), &form).await
}

/// `launch/encounter` in a standalone launch: the patient first, then one of that patient's
/// encounters (listed with the person's own authority, `user/Encounter.rs` only); another
/// patient's encounter is not taken; the person may go back to choose another patient, or go
/// on without an encounter.
#[tokio::test]
async fn a_standalone_launch_with_launch_encounter_picks_the_patient_then_one_of_their_encounters()
{
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    let (fhir, cfg) = setup(&app).await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();
    let scopes = ["openid", "launch/encounter", "patient/Observation.rs"];
    let s = rp.start(&scopes, &[("aud", &fhir.base)]);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let picker = search_page(&app, &b, &follow(&app, &b, &r).await, "smith").await;
    let r = choose(&app, &b, &picker, "/authorize/patient", "patient", "pat-1").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap().to_owned();
    assert!(to.starts_with("/authorize/encounter?c="), "{to}");
    let list = b
        .get(&format!(
            "{}{}",
            app.base,
            to.replace("ui_locales=en", "ui_locales=fr")
        ))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("Choisir la rencontre pour"),
        "{}",
        list.body
    );
    assert!(list.body.contains("Emergency visit (2026-11-02 09:30)"));
    assert!(list.body.contains("Clinic visit (2026-10-01 14:00)"));
    assert!(!list.body.contains("Home care visit"), "another patient's");
    {
        let seen = fhir.seen.lock().unwrap();
        let (what, token) = seen.last().unwrap();
        assert_eq!(what, "encounters pat-1");
        assert_eq!(token["sub"], account.as_str(), "the person's own authority");
        assert_eq!(token["scope"], "user/Encounter.rs");
    }
    // Another patient's encounter is not taken.
    let r = choose(
        &app,
        &b,
        &list,
        "/authorize/encounter",
        "encounter",
        "enc-3",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("introuvable pour ce patient"), "{}", r.body);
    let r = choose(
        &app,
        &b,
        &list,
        "/authorize/encounter",
        "encounter",
        "enc-1",
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let code = rp.code_from(&s, &r);
    let t = app
        .client_post(
            "/token",
            ("chart-app", "chart-app-secret"),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/chart-app/cb"),
                ("code_verifier", s.verifier.secret()),
            ],
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.json);
    assert_eq!(t.json["patient"], "pat-1");
    assert_eq!(t.json["encounter"], "enc-1");
    assert_eq!(app.audit("launch.encounter_chosen").await.len(), 1);
    // Once.
    let again = choose(
        &app,
        &b,
        &list,
        "/authorize/encounter",
        "encounter",
        "enc-2",
    )
    .await;
    assert_eq!(again.status, 400);

    // The wrong patient picked: back to the picker from the encounter page, then on without an
    // encounter: the app gets the patient alone.
    let s = rp.start(&scopes, &[("aud", &fhir.base)]);
    let r = b.get(&s.url).await;
    let picker = search_page(&app, &b, &follow(&app, &b, &r).await, "smith").await;
    let r = choose(&app, &b, &picker, "/authorize/patient", "patient", "pat-1").await;
    let list = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    assert!(list.body.contains("Emergency visit"), "{}", list.body);
    let r = choose(&app, &b, &list, "/authorize/encounter", "another", "1").await;
    let picker = follow(&app, &b, &r).await;
    let picker = search_page(&app, &b, &picker, "tremblay").await;
    let r = choose(&app, &b, &picker, "/authorize/patient", "patient", "pat-2").await;
    let list = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    assert!(
        list.body.contains("Home care visit (2026-09-15 10:00)"),
        "{}",
        list.body
    );
    assert!(
        !list.body.contains("Emergency visit"),
        "the first patient's are gone"
    );
    let r = choose(&app, &b, &list, "/authorize/encounter", "without", "1").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let code = rp.code_from(&s, &r);
    let t = app
        .client_post(
            "/token",
            ("chart-app", "chart-app-secret"),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/chart-app/cb"),
                ("code_verifier", s.verifier.secret()),
            ],
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.json);
    assert_eq!(t.json["patient"], "pat-2");
    assert!(t.json.get("encounter").is_none(), "{}", t.json);
}
