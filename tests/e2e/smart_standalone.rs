//! SMART's standalone launch: an app asking `launch/patient` (no record system's launch) gets
//! its patient from the person, who searches the FHIR server the request names (`aud`) by name
//! and picks one. The FHIR server here is a small one on loopback that checks every token at
//! `/introspect`, as a real one would: only a token for this person, for it, reading patients.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use oneid_tests::api::{http, Answer};
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

/// The token's introspection, when it is an active token for this server that reads patients.
async fn authorized(f: &Fhir, headers: &HeaderMap, what: String) -> bool {
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
    let ok = i["active"] == true && i["aud"] == f.base.as_str() && i["scope"] == "user/Patient.rs";
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
            n.scopes = vec!["openid".into(), "launch/patient".into()];
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
    let t = Answer::read(
        http()
            .post(format!("{}/token", app.base))
            .basic_auth("chart-app", Some("chart-app-secret"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1:9/chart-app/cb"),
                ("code_verifier", s.verifier.secret()),
            ])
            .send()
            .await
            .unwrap(),
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
