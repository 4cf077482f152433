//! The demo's SMART App Launch parts, as `oneid demo` runs them (the record system, the
//! medication viewer and the FHIR server, seeded by `demo::seed_smart`), driven by a real
//! browser; and SMART on FHIR's own JavaScript client library (`fhirclient`, from the npm
//! registry through `scripts/test`) as the app side of an EHR launch and of a standalone
//! launch, in Chromium, against ONE ID and the demo FHIR server.

use axum::response::Html;
use oneid::demo::{self, SmartDemo};
use oneid::viewers::{Launcher, Viewer};
use oneid_tests::api::http;
use oneid_tests::browser::Browser as Http;
use oneid_tests::rp::Rp;
use oneid_tests::webdriver::Browser;
use oneid_tests::{spawn_app_with, RpConfig, TestApp, LOGIN_ID, PASSWORD, TEST_SPONSOR};
use serde_json::{json, Value};
use tokio::net::TcpListener;

struct Demo {
    app: TestApp,
    d: SmartDemo,
    /// Ends the demo servers when dropped.
    _stop: tokio::sync::broadcast::Sender<()>,
}

async fn bind() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    (l, base)
}

/// ONE ID with the demo clinician's CPSO designation, the demo's SMART parts seeded and
/// served; the record system opens `app_launch_url` (the demo app's when `None`) for
/// `app_client_id`.
async fn start(launch_to: Option<(&str, String)>) -> Demo {
    let (ehr_l, ehr_base) = bind().await;
    let (app_l, app_base) = bind().await;
    let (fhir_l, fhir_root) = bind().await;
    let d = SmartDemo {
        ehr_base,
        app_base,
        fhir_base: format!("{fhir_root}/fhir"),
    };
    let rule = format!("{}/Practitioner/{{registration_number}}", d.fhir_base);
    let app = spawn_app_with(|c| c.clients.fhir_user = rule).await;
    let clinician = app.add_clinician().await;
    app.add_designation(&clinician, "CPSO", "98765").await;
    demo::seed_smart(&app.provider, &d).await.unwrap();
    // Seeding twice changes nothing (the demo seeds on every start).
    demo::seed_smart(&app.provider, &d).await.unwrap();
    // The clinician works at the hospital: enrolled in its service.
    let dir = &app.provider.registration.directory;
    let service = demo::SMART_SERVICE.0;
    dir.allow_service(TEST_SPONSOR, service).await.unwrap();
    dir.enrol(&clinician, service, TEST_SPONSOR, "test")
        .await
        .unwrap();
    let (smart_app, fhir) = oneid::smart_demo_parts(&d, &app.base);
    let (client, url) = match launch_to {
        Some((c, u)) => (c.to_owned(), u),
        None => (
            smart_app.client_id.clone(),
            format!("{}/launch", d.app_base),
        ),
    };
    let ehr = Viewer {
        client_id: demo::EHR_CLIENT.0.into(),
        secret: demo::EHR_CLIENT.1.into(),
        name: demo::EHR_NAME.into(),
        theme: "ehr",
        base: d.ehr_base.clone(),
        launch: Some(Launcher {
            app_client_id: client,
            app_name: "medication viewer".into(),
            app_launch_url: url,
            fhir_base: d.fhir_base.clone(),
        }),
    };
    let (tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let stop = |tx: &tokio::sync::broadcast::Sender<()>| {
        let mut rx = tx.subscribe();
        async move {
            let _ = rx.recv().await;
        }
    };
    tokio::spawn(oneid::demo_fhir::serve(fhir, fhir_l, stop(&tx)));
    tokio::spawn(oneid::smart_app::serve(smart_app, app_l, stop(&tx)));
    tokio::spawn(oneid::viewers::serve(
        app.base.clone(),
        vec![(ehr, ehr_l)],
        stop(&tx),
    ));
    Demo { app, d, _stop: tx }
}

/// Signs in at the record system in Chromium: its patient list.
async fn sign_in_at_the_ehr(chrome: &Browser, demo: &Demo) {
    chrome.goto(&format!("{}/", demo.d.ehr_base)).await;
    chrome.wait_for("#signed-out").await;
    chrome.click("#login").await;
    chrome.wait_for("#login_id").await;
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("button[type=submit]").await;
    chrome.wait_for("#patients").await;
}

/// Waits for one of `selectors`; the one found.
async fn first_of(chrome: &Browser, selectors: &[&'static str]) -> &'static str {
    for _ in 0..150 {
        for s in selectors {
            if chrome.has(s).await {
                return s;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "none of {selectors:?} at {}: {}",
        chrome.url().await,
        chrome.source().await
    );
}

async fn allow(chrome: &Browser) {
    chrome
        .click("form#consent button[name=allow]:not(.default-submit)")
        .await;
}

#[tokio::test]
async fn the_demo_record_system_opens_the_medication_viewer_for_its_patient_and_the_app_alone_lets_the_person_pick(
) {
    let demo = start(None).await;
    let chrome = Browser::start().await;
    sign_in_at_the_ehr(&chrome, &demo).await;
    assert!(chrome
        .text("#patients")
        .await
        .contains("Bouchard, Jean-Luc"));

    // EHR launch: the medication viewer is a third-party app, so ONE ID asks first.
    chrome.click("#open-pat-1002").await;
    chrome.wait_for("form#consent").await;
    assert!(chrome.url().await.starts_with(&demo.app.base));
    let asked = chrome.text("form#consent").await;
    assert!(asked.contains("MedicationRequest"), "{asked}");
    allow(&chrome).await;
    chrome.wait_for("#launched").await;
    assert!(chrome.url().await.starts_with(&demo.d.app_base));
    assert_eq!(chrome.text("#patient").await, "pat-1002");
    assert_eq!(chrome.text("#patient-name").await, "Jean-Luc Bouchard");
    assert!(chrome.text("#how").await.contains("EHR launch"));
    assert_eq!(
        chrome.text("#fhir-user").await,
        format!("{}/Practitioner/98765", demo.d.fhir_base)
    );
    let scopes = chrome.text("#scopes").await;
    for s in [
        "openid",
        "fhirUser",
        "launch",
        "patient/Patient.rs",
        "patient/MedicationRequest.rs",
    ] {
        assert!(scopes.split(' ').any(|g| g == s), "{s} in {scopes}");
    }
    let meds = chrome.text("#medications").await;
    assert!(meds.contains("Apixaban 5 mg"), "{meds}");
    assert!(!meds.contains("Metformin"), "another patient's: {meds}");
    assert_eq!(demo.app.audit("launch.created").await.len(), 1);

    // Another patient: the consent is remembered, straight into the app.
    chrome.goto(&format!("{}/", demo.d.ehr_base)).await;
    chrome.click("#open-pat-1003").await;
    chrome.wait_for("#launched").await;
    assert_eq!(chrome.text("#patient-name").await, "Priya Raman");
    assert!(chrome.text("#medications").await.contains("Levothyroxine"));

    // Standalone: the app opened alone asks for launch/patient; the person picks at ONE ID
    // from the demo FHIR server's patients (and consents to the new scope).
    chrome.click("#close").await;
    chrome.wait_for("#not-launched").await;
    chrome.click("#standalone").await;
    // The new scope (launch/patient) is asked first, then the patient; then straight back.
    assert_eq!(
        first_of(&chrome, &["form#search", "form#consent"]).await,
        "form#consent"
    );
    allow(&chrome).await;
    chrome.wait_for("form#search").await;
    chrome
        .type_into("form#search input[name=q]", "okafor")
        .await;
    chrome.click("form#search button[type=submit]").await;
    chrome.wait_for("form#choose-pat-1001").await;
    assert!(!chrome.source().await.contains("choose-pat-1002"));
    chrome.click("form#choose-pat-1001 button").await;
    assert_eq!(
        first_of(&chrome, &["#launched", "form#consent"]).await,
        "#launched",
        "no second consent after the pick"
    );
    chrome.wait_for("#launched").await;
    assert_eq!(chrome.text("#patient").await, "pat-1001");
    assert!(chrome.text("#how").await.contains("standalone"));
    assert!(chrome.text("#medications").await.contains("Metformin"));
    chrome.quit().await;
}

/// The record system's launch form takes only its own CSRF token, and the app works only
/// with its own FHIR server.
#[tokio::test]
async fn the_demo_record_system_and_app_refuse_forged_launches() {
    let demo = start(None).await;
    let b = Http::new();
    let r = b
        .post_form(
            &format!("{}/launch", demo.d.ehr_base),
            &[("patient", "pat-1001"), ("csrf", "x")],
        )
        .await;
    assert_eq!(r.status, 303, "no session: sign in first");
    assert_eq!(r.location(), Some("/login"));
    let r = b
        .get(&format!(
            "{}/launch?iss=https%3A%2F%2Fevil.example%2Ffhir&launch=x",
            demo.d.app_base
        ))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("does not know that FHIR server"),
        "{}",
        r.body
    );
    assert!(demo.app.audit("launch.created").await.is_empty());
}

/// A token for the FHIR server, as an app other than the demo's gets it through an EHR launch
/// for `patient`.
async fn patient_token(demo: &Demo, patient: &str) -> String {
    let app = &demo.app;
    let probe = app
        .add_client_with("probe", |n| {
            n.service_id = Some(demo::SMART_SERVICE.0.into());
            n.scopes = vec!["openid".into(), "launch".into()];
        })
        .await;
    app.provider
        .resources
        .allow(
            "probe",
            demo::FHIR_RESOURCE,
            &[
                "patient/Patient.rs".into(),
                "patient/MedicationRequest.rs".into(),
            ],
        )
        .await
        .unwrap();
    app.provider.clients.forget("probe");
    let ehr = RpConfig {
        client_id: demo::EHR_CLIENT.0.into(),
        secret: Some(demo::EHR_CLIENT.1.into()),
        redirect_uri: format!("{}/callback", demo.d.ehr_base),
        issuer: app.base.clone(),
    };
    let b = Http::new();
    let erp = Rp::discover(&ehr).await;
    let s = erp.start(&["oneid:launch"], &[]);
    let page = b.get(&s.url).await;
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = erp.code_from(&s, &cb);
    let ehr_token = erp.finish(s, &code).await.access_token();
    let made: Value = http()
        .post(format!("{}/smart/launch", app.base))
        .bearer_auth(&ehr_token)
        .json(&json!({"client_id": "probe", "patient": patient}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let handle = made["launch"].as_str().expect("a launch").to_owned();
    let rp = Rp::discover(&probe).await;
    let s = rp.start(
        &[
            "openid",
            "launch",
            "patient/Patient.rs",
            "patient/MedicationRequest.rs",
        ],
        &[("launch", &handle), ("aud", &demo.d.fhir_base)],
    );
    let cb = b.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    rp.finish(s, &code).await.access_token()
}

async fn fhir(demo: &Demo, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = http().get(format!("{}/{path}", demo.d.fhir_base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// The demo FHIR server is a resource server: it checks every token at ONE ID and a token for
/// one patient reads that patient only.
#[tokio::test]
async fn the_demo_fhir_server_reads_only_what_the_token_grants() {
    let demo = start(None).await;
    let (st, cfg) = fhir(&demo, ".well-known/smart-configuration", None).await;
    assert_eq!(st, 200);
    assert_eq!(cfg["issuer"], demo.app.base.as_str(), "ONE ID's: {cfg}");
    assert_eq!(fhir(&demo, "Patient/pat-1001", None).await.0, 401);
    assert_eq!(fhir(&demo, "Patient/pat-1001", Some("forged")).await.0, 401);
    // A token of ONE ID, but not for this server.
    let other = demo.app.client_token("api:read").await;
    assert_eq!(fhir(&demo, "Patient/pat-1001", Some(&other)).await.0, 401);

    let t = patient_token(&demo, "pat-1002").await;
    let (st, p) = fhir(&demo, "Patient/pat-1002", Some(&t)).await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["name"][0]["family"], "Bouchard");
    assert_eq!(fhir(&demo, "Patient/pat-1001", Some(&t)).await.0, 404);
    let (_, all) = fhir(&demo, "Patient?name=", Some(&t)).await;
    assert_eq!(all["total"], 1, "only the patient in context: {all}");
    let (_, theirs) = fhir(&demo, "MedicationRequest?patient=pat-1001", Some(&t)).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (_, mine) = fhir(&demo, "MedicationRequest?patient=pat-1002", Some(&t)).await;
    assert_eq!(mine["total"], 2, "{mine}");
    // No scope reads practitioners.
    assert_eq!(fhir(&demo, "Practitioner/98765", Some(&t)).await.0, 403);
    // Revoked: refused at once.
    let r = demo
        .app
        .client_post(
            "/revoke",
            ("probe", "probe-secret"),
            &[("token", t.as_str())],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(fhir(&demo, "Patient/pat-1002", Some(&t)).await.0, 401);
}

// ---- fhirclient: SMART on FHIR's JavaScript client library as the app ----------------------

const JS_APP: &str = "js-med-app";

fn fhirclient_js() -> String {
    let path = std::env::var("ONEID_TEST_FHIRCLIENT")
        .expect("ONEID_TEST_FHIRCLIENT: the fhirclient browser bundle (scripts/test fetches it)");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const SCOPE: &str = "openid fhirUser patient/Patient.rs patient/MedicationRequest.rs";

/// The app's pages: `launch.html` (EHR launch: fhirclient reads `iss` and `launch`),
/// `standalone.html` (standalone launch at the demo FHIR server) and `index.html` (the
/// redirect URI: fhirclient redeems the code, then reads the patient and medications).
async fn serve_js_app(l: TcpListener, fhir_base: String, lib: String) {
    let page = |script: String| {
        Html(format!(
            "<!doctype html><html lang=en><meta charset=utf-8><title>js app</title>\
             <script src=/fhir-client.js></script><pre id=out></pre><script>\
             const out = document.getElementById('out');\
             const fail = e => {{ out.textContent = 'error: ' + e; out.dataset.done = 1; }};\
             {script}</script></html>"
        ))
    };
    let launch = page(format!(
        "localStorage.setItem('launched', location.href);\
         FHIR.oauth2.authorize({{clientId: '{JS_APP}', scope: '{SCOPE} launch', \
         redirectUri: 'index.html'}}).catch(fail);"
    ));
    let standalone = page(format!(
        "FHIR.oauth2.authorize({{iss: '{fhir_base}', clientId: '{JS_APP}', \
         scope: '{SCOPE} launch/patient', redirectUri: 'index.html'}}).catch(fail);"
    ));
    let index = page(
        "FHIR.oauth2.ready().then(async client => {\
           const p = await client.patient.read();\
           const meds = await client.request('MedicationRequest?patient=' + client.patient.id);\
           out.textContent = JSON.stringify({patient: client.patient.id, family: p.name[0].family,\
             fhirUser: client.getFhirUser(),\
             idFhirUser: client.getIdToken().fhirUser, scope: client.state.tokenResponse.scope,\
             banner: client.state.tokenResponse.need_patient_banner, meds: meds.total});\
           out.dataset.done = 1;\
         }).catch(fail);"
            .to_owned(),
    );
    let bytes = axum::body::Bytes::from(lib);
    let router = axum::Router::new()
        .route("/launch.html", axum::routing::get(move || async { launch }))
        .route(
            "/standalone.html",
            axum::routing::get(move || async { standalone }),
        )
        .route("/index.html", axum::routing::get(move || async { index }))
        .route(
            "/fhir-client.js",
            axum::routing::get(move || async move {
                ([("content-type", "text/javascript")], bytes.clone())
            }),
        );
    axum::serve(l, router).await.unwrap();
}

/// What the JS app shows once done.
async fn js_result(chrome: &Browser) -> Value {
    chrome.wait_for("#out[data-done]").await;
    let text = chrome.text("#out").await;
    serde_json::from_str(&text).unwrap_or_else(|_| json!({ "error": text }))
}

#[tokio::test]
async fn fhirclient_drives_an_ehr_launch_and_a_standalone_launch_in_chromium() {
    let (js_l, js_base) = bind().await;
    let demo = start(Some((JS_APP, format!("{js_base}/launch.html")))).await;
    // A public browser app (PKCE, no secret), province-run: no consent page.
    demo.app
        .add_client_with(JS_APP, |n| {
            n.service_id = Some(demo::SMART_SERVICE.0.into());
            n.public = true;
            n.secret = None;
            n.redirect_uris = vec![format!("{js_base}/index.html")];
            n.scopes = ["openid", "fhirUser", "launch", "launch/patient"]
                .map(str::to_owned)
                .to_vec();
        })
        .await;
    demo.app
        .provider
        .resources
        .allow(
            JS_APP,
            demo::FHIR_RESOURCE,
            &[
                "patient/Patient.rs".into(),
                "patient/MedicationRequest.rs".into(),
            ],
        )
        .await
        .unwrap();
    demo.app.provider.clients.forget(JS_APP);
    // Read here, so that a missing bundle fails the test at once, saying why.
    let lib = fhirclient_js();
    tokio::spawn(serve_js_app(js_l, demo.d.fhir_base.clone(), lib));
    let chrome = Browser::start().await;
    sign_in_at_the_ehr(&chrome, &demo).await;

    // EHR launch: the record system opens launch.html?iss=…&launch=…; fhirclient finds ONE ID
    // through the FHIR server's smart-configuration and comes back to index.html.
    chrome.click("#open-pat-1004").await;
    let got = js_result(&chrome).await;
    assert!(chrome.url().await.starts_with(&js_base));
    assert_eq!(got["patient"], "pat-1004", "{got}");
    assert_eq!(got["family"], "Whitehorse");
    assert_eq!(got["meds"], 2);
    assert_eq!(got["banner"], true);
    // The library shortens fhirUser to its last two segments; the ID token has the URL.
    assert_eq!(got["fhirUser"], "Practitioner/98765");
    assert_eq!(
        got["idFhirUser"],
        format!("{}/Practitioner/98765", demo.d.fhir_base)
    );
    let scope = got["scope"].as_str().unwrap_or_default();
    assert!(scope.split(' ').any(|s| s == "launch"), "{scope}");
    assert!(scope
        .split(' ')
        .any(|s| s == "patient/MedicationRequest.rs"));

    // The same launch URL again (a reload, a shared link): the handle was used, so ONE ID
    // refuses (back to the app's redirect URI) and the library reports it, reading nothing.
    assert_eq!(demo.app.audit("launch.created").await.len(), 1);
    let launched = chrome.eval("return localStorage.getItem('launched')").await;
    let launched = launched.as_str().expect("the launch URL").to_owned();
    assert!(launched.contains("launch="), "{launched}");
    chrome.goto(&launched).await;
    let again = js_result(&chrome).await;
    let error = again["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("invalid_request") && error.contains("already used"),
        "{again}"
    );

    // Standalone: fhirclient starts from the FHIR server; the person picks at ONE ID.
    chrome.goto(&format!("{js_base}/standalone.html")).await;
    chrome.wait_for("form#search").await;
    chrome.type_into("form#search input[name=q]", "raman").await;
    chrome.click("form#search button[type=submit]").await;
    chrome.wait_for("form#choose-pat-1003").await;
    chrome.click("form#choose-pat-1003 button").await;
    let got = js_result(&chrome).await;
    assert_eq!(got["patient"], "pat-1003", "{got}");
    assert_eq!(got["family"], "Raman");
    assert_eq!(got["meds"], 1);
    let scope = got["scope"].as_str().unwrap_or_default();
    assert!(scope.split(' ').any(|s| s == "launch/patient"), "{scope}");
    chrome.quit().await;
}
