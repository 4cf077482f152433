//! SMART App Launch's EHR launch: a record system signed in with oneid makes a launch for its
//! user with the context open in it; the app's authorization request with `launch` gets that
//! context in the token response, the access token, introspection and refreshes. A launch is
//! used once, only for its app, and only by its person in the session it was made in.

use oneid_tests::api::{http, Answer};
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_payload, Rp};
use oneid_tests::{spawn_app, RpConfig, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};

const FHIR: &str = "https://fhir.example.on.ca/r4";

async fn launch(app: &TestApp, token: &str, body: Value) -> Answer {
    Answer::read(
        http()
            .post(format!("{}/smart/launch", app.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The record system (`ehr`, may make launches) and the medication app (`med-app`, the
/// `launch` scope, the FHIR server's patient scopes).
async fn setup(app: &TestApp) -> (RpConfig, RpConfig) {
    let ehr = app
        .add_client_with("ehr", |n| {
            n.scopes = vec!["openid".into(), "oneid:launch".into()];
        })
        .await;
    let med = app
        .add_client_with("med-app", |n| {
            n.scopes = vec!["openid".into(), "launch".into(), "offline_access".into()];
            n.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
        })
        .await;
    app.provider
        .resources
        .add(authorization_server::resources::NewResourceServer {
            id: "fhir".into(),
            name: "FHIR".into(),
            audience: FHIR.into(),
            scopes: vec!["patient/*.rs".into()],
        })
        .await
        .unwrap();
    app.provider
        .resources
        .allow("med-app", "fhir", &["patient/MedicationRequest.rs".into()])
        .await
        .unwrap();
    app.provider.clients.forget("med-app");
    (ehr, med)
}

/// Signs `login` in to the record system in `browser`; its access token.
async fn ehr_token(app: &TestApp, ehr: &RpConfig, browser: &Browser, login: &str) -> String {
    let rp = Rp::discover(ehr).await;
    let s = rp.start(&["oneid:launch"], &[]);
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, login, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    rp.finish(s, &code).await.access_token()
}

fn context() -> Value {
    json!({
        "patient": "p-123",
        "encounter": "e-456",
        "fhirContext": [{"reference": "MedicationRequest/m-1", "role": "launch-orders"}],
        "intent": "reconcile-medications",
        "need_patient_banner": true,
        "smart_style_url": "https://ehr.example.on.ca/smart-style.json",
    })
}

#[tokio::test]
async fn an_ehr_launch_brings_its_context_to_the_app_once_for_its_person() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let (ehr, med) = setup(&app).await;
    let browser = Browser::new();
    let token = ehr_token(&app, &ehr, &browser, LOGIN_ID).await;
    let mut body = context();
    body["client_id"] = "med-app".into();
    let made = launch(&app, &token, body).await;
    assert_eq!(made.status, 201, "{}", made.json);
    assert_eq!(made.header("cache-control"), "no-store");
    assert_eq!(made.json["expires_in"], 300);
    let handle = made.json["launch"].as_str().unwrap().to_owned();

    // The app, opened by the record system with iss and launch, asks with the launch scope.
    let rp = Rp::discover(&med).await;
    let s = rp.start(
        &[
            "openid",
            "launch",
            "patient/MedicationRequest.rs",
            "offline_access",
        ],
        &[("launch", &handle), ("aud", FHIR)],
    );
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    let me = ("med-app", "med-app-secret");
    let t = app
        .client_post(
            "/token",
            me,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &med.redirect_uri),
                ("code_verifier", s.verifier.secret()),
            ],
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.json);
    let ctx = context();
    for k in [
        "patient",
        "encounter",
        "fhirContext",
        "intent",
        "need_patient_banner",
        "smart_style_url",
    ] {
        assert_eq!(t.json[k], ctx[k], "{k} in the token response: {}", t.json);
    }
    let at = t.json["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_payload(&at);
    assert_eq!(claims["patient"], "p-123", "{claims}");
    assert_eq!(claims["aud"], FHIR);
    // The FHIR server introspects and finds the context.
    let gw = app
        .add_client_with("fhir-gateway", |n| {
            n.service_id = None;
            n.redirect_uris.clear();
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec!["oneid:introspect".into()];
        })
        .await;
    let gw_secret = gw.secret.clone().unwrap();
    let i = app
        .client_post(
            "/introspect",
            ("fhir-gateway", &gw_secret),
            &[("token", &at)],
        )
        .await;
    assert_eq!(i.json["active"], true);
    assert_eq!(i.json["patient"], "p-123", "{}", i.json);
    assert_eq!(i.json["encounter"], "e-456");
    assert_eq!(i.json["fhirContext"], ctx["fhirContext"]);
    // A refresh keeps it.
    let r = app
        .client_post(
            "/token",
            me,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t.json["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["patient"], "p-123", "{}", r.json);
    assert_eq!(
        jwt_payload(r.json["access_token"].as_str().unwrap())["patient"],
        "p-123"
    );

    // Used once: the same handle again is refused, back at the app.
    let s = rp.start(&["openid", "launch"], &[("launch", &handle)]);
    let r = browser.get(&s.url).await;
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
    assert_eq!(q.get("state"), Some(&s.state));
    // A launch made for this app is not another app's.
    let other = app
        .add_client_with("other-app", |n| {
            n.scopes = vec!["openid".into(), "launch".into()];
        })
        .await;
    let mut body = context();
    body["client_id"] = "med-app".into();
    let handle = launch(&app, &token, body).await.json["launch"]
        .as_str()
        .unwrap()
        .to_owned();
    let orp = Rp::discover(&other).await;
    let s = orp.start(&["openid", "launch"], &[("launch", &handle)]);
    let q = browser.get(&s.url).await.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
    // The launch scope without a launch, and a launch without the scope.
    let s = rp.start(&["openid", "launch"], &[]);
    let q = browser.get(&s.url).await.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
    let s = rp.start(&["openid"], &[("launch", "whatever")]);
    let q = browser.get(&s.url).await.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_scope"));
    assert_eq!(app.audit("launch.created").await.len(), 2);
}

#[tokio::test]
async fn a_launch_is_refused_to_another_person_and_to_another_session_of_its_own() {
    let app = spawn_app().await;
    app.add_clinician().await;
    app.add_user("Ann.Other@ONEID.ON.CA", PASSWORD).await;
    let (ehr, med) = setup(&app).await;
    let randy = Browser::new();
    let token = ehr_token(&app, &ehr, &randy, LOGIN_ID).await;
    let rp = Rp::discover(&med).await;
    for (who, why) in [
        ("Ann.Other@ONEID.ON.CA", "another person"),
        (LOGIN_ID, "the same person in another browser"),
    ] {
        let handle = launch(&app, &token, context()).await.json["launch"]
            .as_str()
            .unwrap()
            .to_owned();
        // The handle leaks to someone else's browser, who signs in there.
        let elsewhere = Browser::new();
        let s = rp.start(&["openid", "launch"], &[("launch", &handle)]);
        let page = elsewhere.get(&s.url).await;
        let r = elsewhere.login(&app.base, &page, who, PASSWORD).await;
        assert_eq!(r.status, 303, "{why}: {}", r.body);
        let q = r.location_params();
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("access_denied"),
            "{why}"
        );
        assert!(!q.contains_key("code"), "{why}");
    }
    assert_eq!(app.audit("launch.refused").await.len(), 2);
}

#[tokio::test]
async fn only_a_record_system_with_its_persons_token_makes_a_launch_with_a_valid_context() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let (ehr, _) = setup(&app).await;
    let browser = Browser::new();
    let token = ehr_token(&app, &ehr, &browser, LOGIN_ID).await;
    let no_token = Answer::read(
        http()
            .post(format!("{}/smart/launch", app.base))
            .json(&context())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_token.status, 401);
    assert_eq!(launch(&app, "forged", context()).await.status, 401);
    // A viewer without oneid:launch.
    let viewer = app.add_client("viewer").await;
    let vrp = Rp::discover(&viewer).await;
    let s = vrp.start(&["profile"], &[]);
    let cb = browser.get(&s.url).await;
    let code = vrp.code_from(&s, &cb);
    let vt = vrp.finish(s, &code).await.access_token();
    let r = launch(&app, &vt, context()).await;
    assert_eq!(
        (r.status, r.error()),
        (403, "insufficient_scope"),
        "{}",
        r.json
    );
    // A client acting for itself: neither oneid:launch nor a person.
    let machine = app.client_token("api:read").await;
    assert_eq!(launch(&app, &machine, context()).await.status, 403);
    // A context that is not one.
    for (bad, why) in [
        (json!({"patient": "../Patient/1"}), "not a FHIR id"),
        (json!({"patient": "p", "colour": "red"}), "an unknown field"),
        (
            json!({"fhirContext": [{"note": "x"}]}),
            "an entry naming nothing",
        ),
        (
            json!({"smart_style_url": "http://ehr.example/s.json"}),
            "not https",
        ),
        (json!({"need_patient_banner": "yes"}), "the wrong type"),
        (json!({"client_id": "no-such-app"}), "an unknown app"),
        (json!(["patient"]), "not an object"),
    ] {
        let r = launch(&app, &token, bad).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_request"),
            "{why}: {}",
            r.json
        );
    }
}

#[tokio::test]
async fn online_access_refresh_tokens_end_with_the_sign_in_session_and_offline_ones_do_not() {
    // Sign-in sessions of two hours, refresh tokens of eight.
    let app = oneid_tests::spawn_app_with(|c| c.tokens.session_ttl = 2 * 3600).await;
    app.add_clinician().await;
    let cfg = app
        .add_client_with("med-app", |n| {
            n.scopes = vec![
                "openid".into(),
                "online_access".into(),
                "offline_access".into(),
            ];
            n.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let s = rp.start(&["openid", "online_access"], &[]);
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let online = rp.finish(s, &code).await;
    let granted = serde_json::to_value(&online.response).unwrap()["scope"].clone();
    assert_eq!(granted, "openid online_access");
    let s = rp.start(&["openid", "offline_access"], &[]);
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    let offline = rp.finish(s, &code).await;
    let me = ("med-app", "med-app-secret");
    let refresh = |rt: String| {
        let app = &app;
        async move {
            app.client_post(
                "/token",
                me,
                &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            )
            .await
        }
    };
    // While the person is online, it refreshes.
    let r = refresh(online.refresh_token().unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let online_rt = r.json["refresh_token"].as_str().unwrap().to_owned();
    // Past the sign-in session's end (but not the refresh token lifetime), only the offline
    // one still works.
    let p = &app.provider.cfg;
    assert!(p.session_ttl < p.refresh_token_ttl);
    app.clock.advance(p.session_ttl + 1);
    refresh(online_rt)
        .await
        .assert_error(400, "invalid_grant", "online access after the session");
    let r = refresh(offline.refresh_token().unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

/// A browser app (a public SMART app) on its own origin redeems its code and calls userinfo
/// with `fetch` in Chromium: the token endpoint and userinfo answer any origin (CORS,
/// preflight included); introspection, for servers only, does not.
#[tokio::test]
async fn a_browser_app_on_another_origin_redeems_its_code_and_calls_userinfo_in_chromium() {
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    let cfg = app
        .add_client_with("spa", |n| {
            n.public = true;
            n.secret = None;
            n.scopes = vec!["openid".into(), "profile".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();
    let s = rp.start(&["openid", "profile"], &[]);
    let page = b.get(&s.url).await;
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    // The app's own origin: another port on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(|| async {
            axum::response::Html("<!doctype html><title>App</title><p>app</p>")
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let chrome = oneid_tests::webdriver::Browser::start().await;
    chrome.goto(&format!("{origin}/")).await;
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=spa&code_verifier={}",
        url_enc(&cfg.redirect_uri),
        s.verifier.secret()
    );
    let script = format!(
        r#"window.out = null;
        fetch("{base}/token", {{method: "POST",
            headers: {{"Content-Type": "application/x-www-form-urlencoded"}}, body: "{form}"}})
          .then(r => r.json())
          .then(t => fetch("{base}/userinfo", {{headers: {{Authorization: "Bearer " + t.access_token}}}})
            .then(r => r.json())
            .then(u => fetch("{base}/introspect", {{method: "POST",
                headers: {{"Content-Type": "application/x-www-form-urlencoded"}},
                body: "token=" + t.access_token}})
              .then(() => "introspect readable", e => "introspect blocked")
              .then(i => {{ window.out = JSON.stringify({{type: t.token_type, sub: u.sub, i}}); }})))
          .catch(e => {{ window.out = JSON.stringify({{error: String(e)}}); }});
        return true;"#,
        base = app.base
    );
    chrome.eval(&script).await;
    let mut out = Value::Null;
    for _ in 0..100 {
        out = chrome.eval("return window.out").await;
        if !out.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let out: Value = serde_json::from_str(out.as_str().expect("an answer")).unwrap();
    assert_eq!(out["type"], "Bearer", "{out}");
    assert_eq!(out["sub"], account.as_str(), "{out}");
    assert_eq!(out["i"], "introspect blocked", "{out}");
    chrome.quit().await;
}

fn url_enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
