//! Resource servers: registered with their audience and scopes (admin API, CLI), each relying
//! party allowed some of them; a token for one names it in `aud` (RFC 8707 `resource`, SMART
//! `aud`) and carries only the scopes the client may have there.

use oneid_tests::api::Answer;
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_payload, Rp};
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};

const FHIR: &str = "https://fhir.example.on.ca/r4";
const LABS: &str = "https://labs.example.on.ca";

async fn admin(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> Answer {
    let token = app.client_token("oneid:admin").await;
    oneid_tests::api::call(
        &format!("{}/admin/api", app.base),
        &token,
        method,
        path,
        body,
    )
    .await
}

/// The FHIR server (clinical scopes) and a lab API (plain scopes), registered through the
/// admin API.
async fn register_servers(app: &TestApp) {
    let a = admin(
        app,
        "POST",
        "/resource-servers",
        Some(json!({
            "id": "fhir",
            "name": "Provincial FHIR server",
            "audience": FHIR,
            "scopes": ["patient/*.rs", "user/*.rs", "system/*.rs"],
        })),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.json);
    let a = admin(
        app,
        "POST",
        "/resource-servers",
        Some(json!({
            "id": "labs",
            "name": "Lab results API",
            "audience": LABS,
            "scopes": ["labs:read", "labs:write"],
        })),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.json);
}

async fn allow(app: &TestApp, client: &str, resource: &str, scopes: &[&str]) {
    let a = admin(
        app,
        "PUT",
        &format!("/clients/{client}/resources/{resource}"),
        Some(json!({ "scopes": scopes })),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
}

fn scopes_of(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    s.sort();
    s
}

#[tokio::test]
async fn a_token_is_for_the_resource_server_named_with_only_the_scopes_allowed_there() {
    let app = spawn_app().await;
    app.add_clinician().await;
    register_servers(&app).await;
    let cfg = app
        .add_client_with("med-viewer", |n| {
            n.scopes = vec!["openid".into(), "offline_access".into()];
            n.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
        })
        .await;
    allow(
        &app,
        "med-viewer",
        "fhir",
        &["patient/Observation.rs", "patient/MedicationRequest.rs"],
    )
    .await;
    allow(&app, "med-viewer", "labs", &["labs:read"]).await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();

    // SMART's aud: a wider clinical scope is narrowed to the client's there; a scope of
    // another resource server, or one the client may not have, is left out.
    let s = rp.start(
        &["openid", "patient/*.rs", "labs:read", "user/Patient.r"],
        &[("aud", FHIR)],
    );
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    let body = serde_json::to_value(&t.response).unwrap();
    assert_eq!(
        scopes_of(&body["scope"]),
        [
            "openid",
            "patient/MedicationRequest.rs",
            "patient/Observation.rs"
        ]
    );
    let at = jwt_payload(&t.access_token());
    assert_eq!(at["aud"], FHIR, "{at}");
    assert_eq!(at["client_id"], "med-viewer");
    assert_eq!(scopes_of(&at["scope"]), scopes_of(&body["scope"]));

    // A resource server that introspects (registered to see any token) reads the audience.
    let checker = app
        .add_client_with("fhir-gateway", |n| {
            n.service_id = None;
            n.redirect_uris.clear();
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec!["oneid:introspect".into()];
        })
        .await;
    let secret = checker.secret.clone().unwrap();
    let who = ("fhir-gateway", secret.as_str());
    let i = app
        .client_post("/introspect", who, &[("token", &t.access_token())])
        .await;
    assert_eq!(i.json["active"], true, "{}", i.json);
    assert_eq!(i.json["aud"], FHIR);

    // Refreshing keeps the audience; a clinical scope narrows to one the grant covers; a
    // resource the grant is not for is invalid_target.
    let rt = t.refresh_token().expect("a refresh token");
    let me = ("med-viewer", "med-viewer-secret");
    let wrong = app
        .client_post(
            "/token",
            me,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("resource", LABS),
            ],
        )
        .await;
    wrong.assert_error(400, "invalid_target", "another resource at refresh");
    let r = app
        .client_post(
            "/token",
            me,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "openid patient/Observation.r?category=laboratory"),
                ("resource", FHIR),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let at = jwt_payload(r.json["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], FHIR);
    assert_eq!(
        at["scope"], "openid patient/Observation.r?category=laboratory",
        "{at}"
    );
    let rt = r.json["refresh_token"].as_str().unwrap().to_owned();
    let wider = app
        .client_post(
            "/token",
            me,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("scope", "openid patient/Condition.rs"),
            ],
        )
        .await;
    wider.assert_error(400, "invalid_scope", "a scope the grant never had");

    // RFC 8707's resource: the lab API, its scope only; the token says so.
    let s = rp.start(
        &["openid", "labs:read", "labs:write"],
        &[("resource", LABS)],
    );
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    let at = jwt_payload(&t.access_token());
    assert_eq!(at["aud"], LABS);
    assert_eq!(scopes_of(&at["scope"]), ["labs:read", "openid"]);
    // Only the labs scope asked, nothing named: the one resource server it belongs to.
    let s = rp.start(&["openid", "labs:read"], &[]);
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    assert_eq!(
        jwt_payload(&rp.finish(s, &code).await.access_token())["aud"],
        LABS
    );
    // No resource server's scope: a token for the client itself, as before.
    let s = rp.start(&["openid"], &[]);
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    assert_eq!(
        jwt_payload(&rp.finish(s, &code).await.access_token())["aud"],
        "med-viewer"
    );

    // Refused, back at the relying party: a resource it may not reach, resource and aud
    // naming two, an audience not exactly registered, a clinical scope with two servers it
    // could be for.
    for (extra, scopes, why) in [
        (
            vec![("resource", "https://elsewhere.example")],
            vec!["openid"],
            "an unknown resource",
        ),
        (
            vec![("resource", FHIR), ("aud", LABS)],
            vec!["openid"],
            "two different",
        ),
        (
            vec![("aud", "https://fhir.example.on.ca/r4/")],
            vec!["openid"],
            "not exact",
        ),
        (
            vec![],
            vec!["openid", "patient/Observation.rs"],
            "which one?",
        ),
    ] {
        let s = rp.start(&scopes, &extra);
        let r = browser.get(&s.url).await;
        assert_eq!(r.status, 303, "{why}: {}", r.body);
        let q = r.location_params();
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("invalid_target"),
            "{why}"
        );
        assert_eq!(q.get("state"), Some(&s.state), "{why}");
    }

    // At the token endpoint, a resource other than the grant's is refused (RFC 8707 §2.2).
    let s = rp.start(&["openid", "patient/Observation.rs"], &[("aud", FHIR)]);
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    let bad = app
        .client_post(
            "/token",
            me,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cfg.redirect_uri),
                ("code_verifier", s.verifier.secret()),
                ("resource", LABS),
            ],
        )
        .await;
    bad.assert_error(400, "invalid_target", "another resource for the code");
}

#[tokio::test]
async fn a_backend_gets_a_token_for_the_resource_server_it_names_and_nothing_wider() {
    let app = spawn_app().await;
    register_servers(&app).await;
    let cfg = app
        .add_client_with("lab-sync", |n| {
            n.service_id = None;
            n.redirect_uris.clear();
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec![];
        })
        .await;
    allow(
        &app,
        "lab-sync",
        "fhir",
        &["system/Observation.rs?category=laboratory"],
    )
    .await;
    allow(&app, "lab-sync", "labs", &[]).await;
    let secret = cfg.secret.clone().unwrap();
    let me = ("lab-sync", secret.as_str());
    let ask = |f: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut f = f;
            f.push(("grant_type", "client_credentials"));
            app.client_post("/token", me, &f).await
        }
    };
    let ok = ask(vec![
        ("scope", "system/Observation.rs?category=laboratory"),
        ("aud", FHIR),
    ])
    .await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    let at = jwt_payload(ok.json["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], FHIR);
    assert_eq!(at["sub"], "lab-sync");
    assert_eq!(at["scope"], "system/Observation.rs?category=laboratory");
    // Wider than allowed: narrowed to what it may have there.
    let narrowed = ask(vec![("scope", "system/*.rs"), ("resource", FHIR)]).await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.json);
    assert_eq!(
        narrowed.json["scope"],
        "system/Observation.rs?category=laboratory"
    );
    // Allowed every scope the lab API accepts (none named when allowed).
    let labs = ask(vec![("scope", "labs:read labs:write")]).await;
    assert_eq!(labs.status, 200, "{}", labs.json);
    assert_eq!(
        jwt_payload(labs.json["access_token"].as_str().unwrap())["aud"],
        LABS
    );
    // Nothing it may have there, another category, an unknown resource server.
    ask(vec![("scope", "system/Patient.rs"), ("aud", FHIR)])
        .await
        .assert_error(400, "invalid_scope", "not allowed there");
    ask(vec![
        ("scope", "system/Observation.rs?category=vital-signs"),
        ("aud", FHIR),
    ])
    .await
    .assert_error(400, "invalid_scope", "another category");
    ask(vec![
        ("scope", "labs:read"),
        ("resource", "https://x.example"),
    ])
    .await
    .assert_error(400, "invalid_target", "an unknown resource");
}

#[tokio::test]
async fn administrators_register_resource_servers_and_allow_clients_with_checked_scopes() {
    let app = spawn_app().await;
    register_servers(&app).await;
    app.add_client("viewer").await;
    let list = admin(&app, "GET", "/resource-servers", None).await;
    assert_eq!(list.status, 200);
    let ids: Vec<&str> = list.json["resource_servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fhir", "labs"]);
    let one = admin(&app, "GET", "/resource-servers/fhir", None).await;
    assert_eq!(one.json["audience"], FHIR);
    assert_eq!(
        one.json["scopes"],
        json!(["patient/*.rs", "user/*.rs", "system/*.rs"])
    );

    // Refused registrations, each with its reason.
    for (body, status, why) in [
        (
            json!({"id": "x", "name": "X", "audience": "http://fhir.example", "scopes": ["a"]}),
            400,
            "https",
        ),
        (
            json!({"id": "x", "name": "X", "audience": "https://x.example?a=1", "scopes": ["a"]}),
            400,
            "query",
        ),
        (
            json!({"id": "x", "name": "X", "audience": "https://x.example", "scopes": ["patient/Foo.rs"]}),
            400,
            "unknown FHIR resource",
        ),
        (
            json!({"id": "x", "name": "X", "audience": "https://x.example", "scopes": ["openid"]}),
            400,
            "the provider's own",
        ),
        (
            json!({"id": "x", "name": "X", "audience": "https://x.example", "scopes": []}),
            400,
            "at least one scope",
        ),
        (
            json!({"id": "fhir", "name": "Again", "audience": "https://y.example", "scopes": ["a"]}),
            409,
            "already exists",
        ),
        (
            json!({"id": "y", "name": "Same audience", "audience": FHIR, "scopes": ["a"]}),
            409,
            "already exists",
        ),
    ] {
        let a = admin(&app, "POST", "/resource-servers", Some(body.clone())).await;
        assert_eq!(a.status, status, "{body}: {}", a.json);
        assert!(
            a.json.to_string().contains(why),
            "{body}: {} should say {why}",
            a.json
        );
    }

    // A client's scopes there are covered by the server's; unknown client or server: 404.
    let bad = admin(
        &app,
        "PUT",
        "/clients/viewer/resources/fhir",
        Some(json!({"scopes": ["patient/Observation.cruds"]})),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.json);
    let ok = admin(
        &app,
        "PUT",
        "/clients/viewer/resources/fhir",
        Some(json!({"scopes": ["patient/Observation.rs?category=laboratory"]})),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    assert_eq!(ok.json["audience"], FHIR);
    for path in [
        "/clients/nobody/resources/fhir",
        "/clients/viewer/resources/nothing",
    ] {
        assert_eq!(
            admin(&app, "PUT", path, Some(json!({}))).await.status,
            404,
            "{path}"
        );
    }
    let client = admin(&app, "GET", "/clients/viewer", None).await;
    assert_eq!(
        client.json["resources"],
        json!([{"resource_id": "fhir", "audience": FHIR, "scopes": ["patient/Observation.rs?category=laboratory"]}])
    );
    // Lists say it too (read for the whole page at once).
    let list = admin(&app, "GET", "/clients?limit=100", None).await;
    let listed = list.json["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "viewer")
        .cloned()
        .expect("the viewer listed");
    assert_eq!(listed["resources"], client.json["resources"], "{listed}");
    let allowed = app.audit("client.resource_allowed").await;
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0].subject.as_deref(), Some("viewer"));

    // Removing the server takes every client's permission with it.
    assert_eq!(
        admin(&app, "DELETE", "/resource-servers/fhir", None)
            .await
            .status,
        204
    );
    assert_eq!(
        admin(&app, "GET", "/resource-servers/fhir", None)
            .await
            .status,
        404
    );
    let client = admin(&app, "GET", "/clients/viewer", None).await;
    assert_eq!(client.json["resources"], json!([]));
    assert_eq!(app.count("client_resources").await, 0);
    assert_eq!(app.audit("resource.removed").await.len(), 1);
    assert_eq!(
        admin(&app, "DELETE", "/clients/viewer/resources/labs", None)
            .await
            .status,
        404
    );

    // Only administrators.
    let audit_only = app.client_token("oneid:audit").await;
    let a = oneid_tests::api::call(
        &format!("{}/admin/api", app.base),
        &audit_only,
        "GET",
        "/resource-servers",
        None,
    )
    .await;
    assert_eq!(a.status, 403);
}
