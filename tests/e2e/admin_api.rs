//! Administration end to end: the JSON API's authorization (no token, wrong scope, a person's
//! token, the read-only audit scope), organizations, services, relying parties and LRA grants
//! with their validation, account suspension and termination (sessions and refresh tokens
//! end), the audit search and its JSON-lines export, the OpenAPI document, the CLI, and the
//! console (role, step-up, anti-forgery) over HTTP and in headless Chromium.

use oneid_tests::api::{http, Answer};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD, TEST_SERVICE};
use platform::Clock;
use serde_json::{json, Value};

/// A client_credentials token for `scope` (see `TestApp::client_token`).
async fn token(app: &TestApp, scope: &str) -> String {
    app.client_token(scope).await
}

/// One call to the admin API.
async fn call(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    oneid_tests::api::call(
        &format!("{}/admin/api", app.base),
        token,
        method,
        path,
        body,
    )
    .await
}

#[tokio::test]
async fn the_admin_api_needs_the_right_scope_from_a_client_or_a_stepped_up_administrator() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let none = call(&app, "", "GET", "/organizations", None).await;
    assert_eq!(none.status, 401);
    assert!(none.header("www-authenticate").starts_with("Bearer"));
    let bogus = call(&app, "not-a-token", "GET", "/organizations", None).await;
    bogus.assert_error(401, "invalid_token", "a forged token");

    let weak = token(&app, "api:read").await;
    let r = call(&app, &weak, "GET", "/organizations", None).await;
    r.assert_error(403, "insufficient_scope", "wrong scope");
    assert!(r.header("www-authenticate").contains("insufficient_scope"));

    // The read-only audit scope reads the audit trail and nothing else.
    let auditor = token(&app, "oneid:audit").await;
    let r = call(&app, &auditor, "GET", "/audit?limit=5", None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json["events"].is_array());
    let r = call(
        &app,
        &auditor,
        "POST",
        "/services",
        Some(json!({"id": "x", "name": "X"})),
    )
    .await;
    r.assert_error(403, "insufficient_scope", "an auditor writing");
    let r = call(&app, &auditor, "GET", "/organizations", None).await;
    r.assert_error(
        403,
        "insufficient_scope",
        "an auditor reading the directory",
    );

    // People: only an administrator who signed in with a second factor, at a relying party
    // allowed the scope. A clinician's token, an LRA's, and an administrator's signed in with
    // a password alone are refused, whatever scope they carry.
    let cfg = app
        .add_client_with("console-rp", |n| {
            n.scopes = vec!["openid".into(), "oneid:admin".into(), "oneid:audit".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let person_token = |login: &'static str, password: &'static str| {
        let rp = &rp;
        let app = &app;
        async move {
            let browser = Browser::new();
            let s = rp.start(&["oneid:admin", "oneid:audit"], &[]);
            let page = browser.get(&s.url).await;
            let cb = browser.login(&app.base, &page, login, password).await;
            let code = rp.code_from(&s, &cb);
            (browser, rp.finish(s, &code).await.access_token())
        }
    };
    let (_, clinician) = person_token(LOGIN_ID, PASSWORD).await;
    let lra = app
        .add_user("Lee.Registrar@ONEID.ON.CA", "Registrar-Desk-2026")
        .await;
    app.give_totp(&lra).await;
    app.provider
        .registration
        .directory
        .put_organization("uhn", "UHN")
        .await
        .unwrap();
    app.provider
        .registration
        .directory
        .grant_lra("uhn", &lra, "test")
        .await
        .unwrap();
    let (_, lra_token) = person_token("Lee.Registrar@ONEID.ON.CA", "Registrar-Desk-2026").await;
    let (admin_id, totp) = administrator(&app).await;
    let (admin_browser, password_only) = person_token(ADMIN_LOGIN, ADMIN_PASSWORD).await;
    for (who, t) in [
        ("a clinician", &clinician),
        ("an LRA", &lra_token),
        ("an administrator without a second factor", &password_only),
    ] {
        for path in ["/organizations", "/audit"] {
            let r = call(&app, t, "GET", path, None).await;
            r.assert_error(403, "insufficient_scope", &format!("{who} at {path}"));
        }
    }
    // The administrator steps the session up: that token administers, audited as them.
    let s = rp.start(
        &["oneid:admin", "oneid:audit"],
        &[("acr_values", "urn:oneid:loa:1:mfa")],
    );
    let r = admin_browser.get(&s.url).await;
    let page = stepup_act(&app, &admin_browser, &r, "choose", &[("method", "otp")]).await;
    let code = step_up::totp::code_at(&totp, app.clock.now());
    let done = stepup_act(&app, &admin_browser, &page, "verify", &[("code", &code)]).await;
    let c = rp.code_from(&s, &done);
    let stepped_up = rp.finish(s, &c).await.access_token();
    let r = call(&app, &stepped_up, "GET", "/organizations", None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(
        &app,
        &stepped_up,
        "POST",
        "/services",
        Some(json!({"id": "hub", "name": "OTN Hub"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let e = &app.audit("service.added").await[0];
    assert_eq!(e.actor.as_deref(), Some(admin_id.as_str()));
    assert_eq!(e.client_id.as_deref(), Some("console-rp"));
    // The role is read at every call: without it, the same token is refused.
    app.provider
        .accounts
        .revoke_role(&admin_id, "administrator", "")
        .await
        .unwrap();
    let r = call(&app, &stepped_up, "GET", "/organizations", None).await;
    r.assert_error(403, "insufficient_scope", "a former administrator");

    let admin = token(&app, "oneid:admin").await;
    let r = call(&app, &admin, "GET", "/organizations", None).await;
    assert_eq!(r.status, 200);
    // A removed client's token stops working.
    let doomed = token(&app, "oneid:admin oneid:audit").await;
    assert_eq!(call(&app, &doomed, "GET", "/audit", None).await.status, 200);
    let r = call(
        &app,
        &admin,
        "DELETE",
        "/clients/ops-oneid-admin-oneid-audit",
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    let r = call(&app, &doomed, "GET", "/audit", None).await;
    r.assert_error(401, "invalid_token", "the token of a removed client");
}

#[tokio::test]
async fn organizations_services_and_lra_grants_are_managed_checked_and_audited() {
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    let admin = token(&app, "oneid:admin").await;

    // Services.
    let r = call(
        &app,
        &admin,
        "POST",
        "/services",
        Some(json!({"id": "olis", "name": "OLIS", "url": "https://olis.example/", "min_assurance_level": 2})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["min_assurance_level"], 2);
    for (body, field) in [
        (json!({"id": "bad id", "name": "X"}), "id"),
        (json!({"id": "x", "name": " "}), "name"),
        (
            json!({"id": "x", "name": "X", "min_assurance_level": 4}),
            "min_assurance_level",
        ),
        (json!({"id": "x", "name": "X", "url": "ftp://x"}), "url"),
    ] {
        let r = call(&app, &admin, "POST", "/services", Some(body)).await;
        r.assert_error(400, "invalid_request", field);
        assert_eq!(r.json["field"], field);
    }
    let dup = call(
        &app,
        &admin,
        "POST",
        "/services",
        Some(json!({"id": "olis", "name": "Again"})),
    )
    .await;
    dup.assert_error(409, "conflict", "a taken id");
    let unknown_field = call(
        &app,
        &admin,
        "POST",
        "/services",
        Some(json!({"id": "y", "name": "Y", "colour": "red"})),
    )
    .await;
    unknown_field.assert_error(400, "invalid_request", "an unknown field");
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/services/olis",
        Some(json!({"name": "OLIS viewer", "url": null})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["name"].as_str(), r.json["url"].as_str()),
        (Some("OLIS viewer"), None)
    );
    assert_eq!(
        call(&app, &admin, "GET", "/services/nope", None)
            .await
            .status,
        404
    );
    let list = call(&app, &admin, "GET", "/services", None).await;
    assert_eq!(list.json["services"][0]["id"], "olis");
    call(
        &app,
        &admin,
        "POST",
        "/services",
        Some(json!({"id": "hub", "name": "OTN Hub"})),
    )
    .await;

    // Organizations.
    let r = call(
        &app,
        &admin,
        "POST",
        "/organizations",
        Some(json!({"id": "uhn", "name": "University Health Network", "services": ["olis"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["status"], "active");
    assert_eq!(r.json["services"], json!(["olis"]));
    let r = call(
        &app,
        &admin,
        "POST",
        "/organizations",
        Some(json!({"id": "x", "name": "X", "services": ["nope"]})),
    )
    .await;
    r.assert_error(400, "invalid_request", "an unknown service");
    assert_eq!(
        call(&app, &admin, "GET", "/organizations/x", None)
            .await
            .status,
        404,
        "nothing kept"
    );
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/organizations/uhn",
        Some(json!({"registering": true})),
    )
    .await;
    r.assert_error(
        400,
        "invalid_request",
        "registering without level and scheme",
    );
    assert_eq!(r.json["field"], "registering");
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/organizations/uhn",
        Some(json!({"registering": true, "assurance_level": 2, "id_scheme": "employee number", "status": "suspended"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (
            r.json["registering"].as_bool(),
            r.json["assurance_level"].as_i64()
        ),
        (Some(true), Some(2))
    );
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/organizations/uhn",
        Some(json!({"status": "gone"})),
    )
    .await;
    r.assert_error(400, "invalid_request", "a bad status");
    call(
        &app,
        &admin,
        "PATCH",
        "/organizations/uhn",
        Some(json!({"status": "active"})),
    )
    .await;
    let r = call(&app, &admin, "PUT", "/organizations/uhn/services/hub", None).await;
    assert_eq!(r.json["services"], json!(["hub", "olis"]));
    let r = call(
        &app,
        &admin,
        "DELETE",
        "/organizations/uhn/services/olis",
        None,
    )
    .await;
    assert_eq!(r.json["services"], json!(["hub"]));
    assert_eq!(
        call(
            &app,
            &admin,
            "DELETE",
            "/organizations/uhn/services/olis",
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(
            &app,
            &admin,
            "PUT",
            "/organizations/uhn/services/nope",
            None
        )
        .await
        .status,
        404
    );

    // Local registration authorities: only an account with a second factor of its own.
    let r = call(
        &app,
        &admin,
        "POST",
        "/organizations/uhn/lras",
        Some(json!({"login_id": LOGIN_ID})),
    )
    .await;
    r.assert_error(409, "conflict", "an account without a second factor");
    app.give_totp(&clinician).await;
    let r = call(
        &app,
        &admin,
        "POST",
        "/organizations/uhn/lras",
        Some(json!({"login_id": LOGIN_ID})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["account_id"], clinician.as_str());
    let again = call(
        &app,
        &admin,
        "POST",
        "/organizations/uhn/lras",
        Some(json!({"account_id": clinician})),
    )
    .await;
    assert_eq!(again.status, 200, "granting twice changes nothing");
    for body in [
        json!({}),
        json!({"login_id": "No.One@ONEID.ON.CA"}),
        json!({"login_id": LOGIN_ID, "account_id": clinician}),
    ] {
        let r = call(&app, &admin, "POST", "/organizations/uhn/lras", Some(body)).await;
        r.assert_error(400, "invalid_request", "a bad grant");
    }
    let r = call(
        &app,
        &admin,
        "POST",
        "/organizations/nope/lras",
        Some(json!({"login_id": LOGIN_ID})),
    )
    .await;
    assert_eq!(r.status, 404);
    let lras = call(&app, &admin, "GET", "/organizations/uhn/lras", None).await;
    assert_eq!(lras.json["lras"][0]["login_id"], LOGIN_ID);
    assert!(app
        .provider
        .accounts
        .has_role(&clinician, "lra")
        .await
        .unwrap());
    app.add_designation(&clinician, "CPSO", "80412").await;
    let account = call(&app, &admin, "GET", &format!("/accounts/{LOGIN_ID}"), None).await;
    assert_eq!(
        account.json["roles"],
        json!([{"role": "lra", "scope": "uhn"}])
    );
    assert_eq!(
        account.json["designations"],
        json!([{"college": "CPSO", "registration_number": "80412"}])
    );
    assert!(account.json.get("password_hash").is_none());
    let r = call(
        &app,
        &admin,
        "DELETE",
        &format!("/organizations/uhn/lras/{LOGIN_ID}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        call(
            &app,
            &admin,
            "DELETE",
            &format!("/organizations/uhn/lras/{clinician}"),
            None
        )
        .await
        .status,
        404
    );
    assert!(!app
        .provider
        .accounts
        .has_role(&clinician, "lra")
        .await
        .unwrap());

    // Every change is in the audit trail with the client as actor and what changed.
    let updated = app.audit("organization.updated").await;
    assert!(updated
        .iter()
        .all(|e| e.actor.as_deref() == Some("client:ops-oneid-admin")
            && e.client_id.as_deref() == Some("ops-oneid-admin")));
    assert!(updated.iter().any(|e| e
        .detail
        .as_deref()
        .unwrap()
        .contains("registering: false -> true")));
    let granted = app.audit("lra.granted").await;
    assert_eq!(granted.len(), 1, "once, not for the repeated grant");
    assert_eq!(granted[0].subject.as_deref(), Some(clinician.as_str()));
    assert!(granted[0]
        .detail
        .as_deref()
        .unwrap()
        .ends_with("lra: no -> yes"));
    let revoked = app.audit("lra.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert!(revoked[0]
        .detail
        .as_deref()
        .unwrap()
        .ends_with("lra: yes -> no"));
    assert_eq!(
        app.audit("service.updated").await[0].detail.as_deref(),
        Some("name: \"OLIS\" -> \"OLIS viewer\"; url: https://olis.example/ -> -")
    );
    assert_eq!(app.audit("organization.service_disallowed").await.len(), 1);
}

#[tokio::test]
async fn relying_parties_are_registered_with_a_secret_shown_once_and_put_in_services() {
    let app = spawn_app().await;
    let admin = token(&app, "oneid:admin").await;
    call(
        &app,
        &admin,
        "POST",
        "/services",
        Some(json!({"id": "hub", "name": "OTN Hub"})),
    )
    .await;
    let r = call(
        &app,
        &admin,
        "POST",
        "/clients",
        Some(json!({"client_id": "reports", "name": "Reports", "grant_types": ["client_credentials"], "scopes": ["api:read"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let secret = r.str("client_secret");
    assert_eq!(r.json["public"], false);
    // The secret works, and is never shown again.
    let t = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("reports", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), 200);
    let got = call(&app, &admin, "GET", "/clients/reports", None).await;
    assert!(got.json.get("client_secret").is_none() && got.json.get("secret_hash").is_none());
    assert!(!call(&app, &admin, "GET", "/clients", None)
        .await
        .json
        .to_string()
        .contains(&secret));

    for (body, what) in [
        (
            json!({"client_id": "v", "name": "V", "redirect_uris": ["http://viewer.example/cb"], "service_id": "hub"}),
            "plain http",
        ),
        (
            json!({"client_id": "v", "name": "V", "service_id": "hub"}),
            "code flow without redirect URI",
        ),
        (
            json!({"client_id": "v v", "name": "V", "redirect_uris": ["https://v.example/cb"], "service_id": "hub"}),
            "bad id",
        ),
        (
            json!({"client_id": "v", "name": "V", "redirect_uris": ["https://v.example/cb"], "id_token_alg": "HS256", "service_id": "hub"}),
            "bad alg",
        ),
        (
            json!({"client_id": "v", "name": "V", "redirect_uris": ["https://v.example/cb"], "service_id": "nope"}),
            "unknown service",
        ),
        (
            json!({"client_id": "v", "name": "V", "redirect_uris": ["https://v.example/cb"]}),
            "signs people in but belongs to no service",
        ),
        (
            json!({"client_id": "v", "name": "V", "secret": "my-own-secret"}),
            "a chosen secret",
        ),
    ] {
        let r = call(&app, &admin, "POST", "/clients", Some(body)).await;
        r.assert_error(400, "invalid_request", what);
    }
    let r = call(
        &app,
        &admin,
        "POST",
        "/clients",
        Some(json!({"client_id": "viewer", "name": "Viewer", "redirect_uris": ["https://v.example/cb"], "public": true, "service_id": "hub"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert!(
        r.json.get("client_secret").is_none(),
        "a public client has none"
    );
    assert_eq!(r.json["service_id"], "hub");
    let dup = call(
        &app,
        &admin,
        "POST",
        "/clients",
        Some(
            json!({"client_id": "viewer", "name": "V", "redirect_uris": ["https://v.example/cb"], "service_id": "hub"}),
        ),
    )
    .await;
    dup.assert_error(409, "conflict", "a taken client id");

    // A viewer signs people in: it cannot leave every service, only move to another.
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/clients/viewer",
        Some(json!({"service_id": null})),
    )
    .await;
    r.assert_error(400, "invalid_request", "a viewer outside every service");
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("belongs to a service"),
        "{}",
        r.json
    );
    call(
        &app,
        &admin,
        "POST",
        "/services",
        Some(json!({"id": "co", "name": "ConnectingOntario"})),
    )
    .await;
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/clients/viewer",
        Some(json!({"service_id": "co"})),
    )
    .await;
    assert_eq!(r.json["service_id"], "co");
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/clients/viewer",
        Some(json!({"service_id": "nope"})),
    )
    .await;
    r.assert_error(400, "invalid_request", "an unknown service");
    let r = call(&app, &admin, "PATCH", "/clients/viewer", Some(json!({}))).await;
    r.assert_error(400, "invalid_request", "nothing to change");
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/clients/viewer",
        Some(json!({"service_id": "hub"})),
    )
    .await;
    assert_eq!(r.json["service_id"], "hub");
    assert_eq!(
        app.provider
            .clients
            .get("viewer")
            .await
            .unwrap()
            .unwrap()
            .service_id
            .as_deref(),
        Some("hub")
    );
    assert_eq!(
        call(
            &app,
            &admin,
            "PATCH",
            "/clients/nope",
            Some(json!({"service_id": null}))
        )
        .await
        .status,
        404
    );

    assert_eq!(
        call(&app, &admin, "DELETE", "/clients/viewer", None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&app, &admin, "GET", "/clients/viewer", None)
            .await
            .status,
        404
    );
    assert_eq!(
        call(&app, &admin, "DELETE", "/clients/viewer", None)
            .await
            .status,
        404
    );
    let updated = app.audit("client.updated").await;
    assert_eq!(updated[0].detail.as_deref(), Some("service: co -> hub"));
    assert_eq!(updated[1].detail.as_deref(), Some("service: hub -> co"));
    let added = app.audit("client.added").await;
    assert!(added
        .iter()
        .all(|e| !e.detail.as_deref().unwrap_or("").contains(&secret)));
    assert_eq!(app.audit("client.removed").await.len(), 1);
}

async fn refresh_status(app: &TestApp, client: &str, refresh: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth(client, Some(format!("{client}-secret")))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn terminating_an_account_ends_its_sessions_and_revokes_its_refresh_tokens() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let admin = token(&app, "oneid:admin").await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let browser = Browser::new();
    let tokens = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let refresh = tokens.refresh_token().expect("a refresh token");
    let offline = rp.start(&["offline_access"], &[]);
    let cb = browser.get(&offline.url).await;
    let code = rp.code_from(&offline, &cb);
    let offline = rp.finish(offline, &code).await.refresh_token().unwrap();

    let r = call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{id}/terminate"),
        Some(json!({"reason": "left the hospital"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "terminated");
    assert_eq!(r.json["refresh_tokens_revoked"], 2);
    assert_eq!(refresh_status(&app, "viewer", &refresh).await, 400);
    assert_eq!(
        refresh_status(&app, "viewer", &offline).await,
        400,
        "offline ones too"
    );
    assert!(
        browser
            .get(&rp.start(&["profile"], &[]).url)
            .await
            .is_login_page(),
        "the SSO session is over"
    );
    let e = &app.audit("account.terminated").await[0];
    assert_eq!(e.subject.as_deref(), Some(id.as_str()));
    assert_eq!(e.actor.as_deref(), Some("client:ops-oneid-admin"));
    assert_eq!(
        e.detail.as_deref(),
        Some("status: active -> terminated; sessions ended; refresh tokens revoked: 2; reason: \"left the hospital\"")
    );
    // Final.
    let r = call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{LOGIN_ID}/reinstate"),
        None,
    )
    .await;
    r.assert_error(409, "conflict", "reinstating a terminated account");
    let r = call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{id}/terminate"),
        None,
    )
    .await;
    assert_eq!(r.json["changed"], false);
    assert_eq!(app.audit("account.terminated").await.len(), 1);
    assert_eq!(
        call(&app, &admin, "GET", "/accounts/nobody", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_suspended_account_is_out_until_it_is_reinstated() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let admin = token(&app, "oneid:admin").await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let browser = Browser::new();
    let tokens = rp.login(&browser, LOGIN_ID, PASSWORD).await;

    let r = call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{LOGIN_ID}/suspend"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["status"].as_str(), r.json["changed"].as_bool()),
        (Some("suspended"), Some(true))
    );
    // The refresh token is revoked, not merely refused while the account is suspended.
    assert_eq!(r.json["refresh_tokens_revoked"], 1, "{}", r.json);
    assert_eq!(
        refresh_status(&app, "viewer", &tokens.refresh_token().unwrap()).await,
        400
    );
    let s = rp.start(&["profile"], &[]);
    let page = browser.get(&s.url).await;
    assert!(page.is_login_page(), "the session ended");
    let refused = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_ne!(refused.status, 303, "a suspended account cannot sign in");
    assert!(refused.body.contains("name=\"password\""));

    let found = call(&app, &admin, "GET", "/accounts?q=Burt", None).await;
    assert_eq!(found.json["accounts"][0]["status"], "suspended");
    let r = call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{LOGIN_ID}/reinstate"),
        Some(json!({"reason": "back"})),
    )
    .await;
    assert_eq!(r.json["status"], "active");
    assert_eq!(
        refresh_status(&app, "viewer", &tokens.refresh_token().unwrap()).await,
        400,
        "reinstating brings no revoked token back"
    );
    let fresh = Browser::new();
    rp.login(&fresh, LOGIN_ID, PASSWORD).await;
    assert_eq!(app.audit("account.suspended").await.len(), 1);
    assert_eq!(
        app.audit("account.reinstated").await[0].detail.as_deref(),
        Some("status: suspended -> active; reason: \"back\"")
    );
    let r = call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{LOGIN_ID}/suspend"),
        Some(json!({"why": "x"})),
    )
    .await;
    r.assert_error(400, "invalid_request", "an unknown field");
}

#[tokio::test]
async fn the_audit_trail_is_searched_and_exported_with_its_filters() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let admin = token(&app, "oneid:admin").await;
    let auditor = token(&app, "oneid:audit").await;
    let t0 = app.clock.now();
    for i in 0..5 {
        call(
            &app,
            &admin,
            "POST",
            "/services",
            Some(json!({"id": format!("s{i}"), "name": format!("S{i}")})),
        )
        .await;
    }
    // Within the tokens' lifetime (600 s).
    app.clock.advance(100);
    let t1 = app.clock.now();
    call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{id}/suspend"),
        None,
    )
    .await;
    call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{id}/reinstate"),
        None,
    )
    .await;
    app.provider
        .audit
        .record(platform::AuditEvent {
            event: "login.success",
            actor: Some(&id),
            subject: Some(&id),
            ..Default::default()
        })
        .await
        .unwrap();

    let search = |q: String| {
        let (app, auditor) = (&app, &auditor);
        async move {
            let r = call(app, auditor, "GET", &format!("/audit?{q}"), None).await;
            assert_eq!(r.status, 200, "{q}: {}", r.json);
            r
        }
    };
    let events = |r: &Answer| -> Vec<String> {
        r.json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = search("event=service.added".into()).await;
    assert_eq!(events(&r).len(), 5);
    assert!(
        r.json["events"][0]["id"].as_i64() > r.json["events"][4]["id"].as_i64(),
        "newest first"
    );
    let r = search("event=account.*".into()).await;
    assert_eq!(events(&r), ["account.reinstated", "account.suspended"]);
    let r = search(format!("account={id}")).await;
    assert_eq!(
        events(&r),
        ["login.success", "account.reinstated", "account.suspended"],
        "subject or actor"
    );
    let r = search("actor=client:ops-oneid-admin&event=service.*".into()).await;
    assert_eq!(events(&r).len(), 5);
    let r = search(format!("from={t1}&actor=client:ops-oneid-admin")).await;
    assert_eq!(events(&r), ["account.reinstated", "account.suspended"]);
    let r = search(format!("from={t0}&to={}", t1 - 1)).await;
    assert!(events(&r).iter().all(|e| e != "account.suspended"));
    assert!(events(&r).contains(&"service.added".to_owned()));
    // Pages: two by two, without gaps or repeats.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = search(format!("event=service.added&limit=2{cursor}")).await;
        seen.extend(
            r.json["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["subject"].as_str().unwrap().to_owned()),
        );
        match r.json["next_cursor"].as_i64() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["s4", "s3", "s2", "s1", "s0"]);
    for bad in [
        "limit=0",
        "from=yesterday",
        "event=a%20b",
        "colour=red",
        "from=10&to=5",
    ] {
        call(&app, &auditor, "GET", &format!("/audit?{bad}"), None)
            .await
            .assert_error(400, "invalid_request", bad);
    }

    // The export: JSON lines with the same filters, every line an event that matches.
    let r = http()
        .get(format!("{}/admin/api/audit/export?account={id}", app.base))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let body = r.text().await.unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(lines
        .iter()
        .all(|e| e["subject"] == id.as_str() || e["actor"] == id.as_str()));
    let all = http()
        .get(format!("{}/admin/api/audit/export?from={t0}", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let n = all
        .lines()
        .inspect(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert!(v["at"].as_i64().unwrap() >= t0);
        })
        .count();
    assert!(n >= 10, "{all}");
    let exported = app.audit("audit.exported").await;
    assert_eq!(exported.len(), 2, "exports are audited");
    assert_eq!(exported[1].actor.as_deref(), Some("client:ops-oneid-audit"));
    let weak = token(&app, "api:read").await;
    let r = call(&app, &weak, "GET", "/audit/export", None).await;
    r.assert_error(403, "insufficient_scope", "export without the scope");
}

#[tokio::test]
async fn organizations_and_relying_parties_are_listed_a_page_at_a_time_by_keyset() {
    // A province has tens of thousands of organizations: no list reads them all at once. The
    // API pages by `cursor` (the previous page's `next_cursor`), the console by `after` and
    // `before`, the CLI a page at a time; together the pages hold each one once, in id order.
    let app = spawn_app().await;
    let dir = &app.provider.registration.directory;
    for i in 0..7 {
        dir.put_organization(&format!("org{i:02}"), &format!("Hospital {i}"))
            .await
            .unwrap();
    }
    for i in 0..5 {
        app.add_client(&format!("rp{i:02}")).await;
    }
    dir.allow_service("org03", TEST_SERVICE).await.unwrap();
    let t = token(&app, "oneid:admin").await;
    let all_orgs: Vec<String> = sqlx::query_scalar("SELECT id FROM organizations ORDER BY id")
        .fetch_all(app.provider.db.pool())
        .await
        .unwrap();
    let all_clients: Vec<String> =
        sqlx::query_scalar("SELECT client_id FROM clients ORDER BY client_id")
            .fetch_all(app.provider.db.pool())
            .await
            .unwrap();
    assert!(all_orgs.len() >= 7 && all_clients.len() >= 6);
    for (path, key, id, all) in [
        ("/organizations", "organizations", "id", &all_orgs),
        ("/clients", "clients", "client_id", &all_clients),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("{path}?limit=3&cursor={c}"),
                None => format!("{path}?limit=3"),
            };
            let r = call(&app, &t, "GET", &q, None).await;
            assert_eq!(r.status, 200, "{q}: {}", r.json);
            let page = r.json[key].as_array().unwrap();
            assert!(page.len() <= 3);
            seen.extend(page.iter().map(|o| o[id].as_str().unwrap().to_owned()));
            match r.json["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(&seen, all, "{path}");
        // The default page holds them all here; a bad page size or parameter is refused.
        let r = call(&app, &t, "GET", path, None).await;
        assert_eq!(r.json[key].as_array().unwrap().len(), all.len());
        assert!(r.json["next_cursor"].is_null());
        for bad in ["?limit=0", "?limit=1001", "?limit=x", "?offset=3"] {
            let r = call(&app, &t, "GET", &format!("{path}{bad}"), None).await;
            assert_eq!(r.status, 400, "{path}{bad}: {}", r.json);
        }
    }
    // An organization's allowed services come with it on its page.
    let r = call(&app, &t, "GET", "/organizations?limit=1&cursor=org02", None).await;
    assert_eq!(r.json["organizations"][0]["id"], "org03");
    assert_eq!(
        r.json["organizations"][0]["services"],
        json!([TEST_SERVICE])
    );

    // The console: 100 a page, so 7 fit on one; the cursor links go both ways.
    let (_, secret) = administrator(&app).await;
    let b = Browser::new();
    let first = console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/organizations",
    )
    .await;
    let ids = |r: &Resp| -> Vec<String> {
        r.table_rows()
            .into_iter()
            .map(|row| row[0].clone())
            .collect()
    };
    assert_eq!(ids(&first), all_orgs);
    assert!(first.link("Next page").is_none());
    let after = b
        .get(&format!("{}/admin/organizations?after=org02", app.base))
        .await;
    assert_eq!(ids(&after), all_orgs[3..]);
    let back = after.link("Previous page").expect("a previous page");
    let before = b.get(&format!("{}{back}", app.base)).await;
    assert_eq!(ids(&before), all_orgs[..3]);
    let rps = b
        .get(&format!("{}/admin/clients?before=rp03", app.base))
        .await;
    let want: Vec<String> = all_clients
        .iter()
        .filter(|c| c.as_str() < "rp03")
        .cloned()
        .collect();
    assert_eq!(ids(&rps), want);
    assert!(rps.link("Next page").is_some());

    // The CLI prints every one.
    let (code, out) = oneid(&app.storage, &["organizations", "list"]).await;
    assert_eq!(code, 0);
    let listed: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(listed, all_orgs);
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/admin/api/openapi.json", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/admin/api/organizations",
        "/admin/api/audit/export",
        "/admin/api/keys",
        "/admin/api/registries",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
}

// ---------------------------------------------------------------- the CLI

/// Runs the command line (see `Storage::cli`).
async fn oneid(storage: &oneid_tests::Storage, args: &[&str]) -> (i32, String) {
    storage.cli(args, "").await
}

#[tokio::test]
async fn the_cli_suspends_reinstates_terminates_and_sets_a_clients_service() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    app.add_client("viewer").await;
    app.provider
        .registration
        .directory
        .put_service(&registration::Service {
            id: "hub".into(),
            name: "OTN Hub".into(),
            url: None,
            min_assurance_level: 1,
        })
        .await
        .unwrap();
    let s = &app.storage;
    let (code, out) = oneid(
        s,
        &["accounts", "suspend", LOGIN_ID, "--reason", "on leave"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("suspended: sessions ended"), "{out}");
    assert_eq!(oneid(s, &["accounts", "reinstate", LOGIN_ID]).await.0, 0);
    assert_eq!(oneid(s, &["users", "terminate", LOGIN_ID]).await.0, 0);
    assert_eq!(
        oneid(s, &["accounts", "reinstate", LOGIN_ID]).await.0,
        1,
        "termination is final"
    );
    for e in [
        "account.suspended",
        "account.reinstated",
        "account.terminated",
    ] {
        let rows = app.audit(e).await;
        assert_eq!(rows[0].actor.as_deref(), Some("cli"), "{e}");
        assert_eq!(rows[0].subject.as_deref(), Some(id.as_str()), "{e}");
    }
    let (code, out) = oneid(s, &["clients", "set-service", "viewer", "hub"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        app.audit("client.updated").await[0].detail.as_deref(),
        Some(format!("service: {TEST_SERVICE} -> hub").as_str())
    );
    assert_eq!(
        oneid(s, &["clients", "set-service", "viewer", "nope"])
            .await
            .0,
        1
    );
    // A viewer signs people in: it cannot be taken out of every service.
    let (code, out) = oneid(s, &["clients", "set-service", "viewer", "none"]).await;
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        app.audit("client.updated").await[0].detail.as_deref(),
        Some(format!("service: {TEST_SERVICE} -> hub").as_str())
    );
    // A client acting for itself may be.
    app.add_client_with("robot", |n| {
        n.redirect_uris.clear();
        n.grant_types = vec!["client_credentials".into()];
    })
    .await;
    let (code, out) = oneid(s, &["clients", "set-service", "robot", "none"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        app.audit("client.updated").await[0].detail.as_deref(),
        Some(format!("service: {TEST_SERVICE} -> -").as_str())
    );
}

// ---------------------------------------------------------------- the console

pub(crate) const ADMIN_LOGIN: &str = "Ada.Admin@ONEID.ON.CA";
pub(crate) const ADMIN_PASSWORD: &str = "Admin-Console-2026";

/// An administrator with an authenticator app; returns its id and TOTP secret.
pub(crate) async fn administrator(app: &TestApp) -> (String, Vec<u8>) {
    // The second factor comes first: a staff role is granted only to an account with one.
    app.add_staff(ADMIN_LOGIN, ADMIN_PASSWORD, "administrator")
        .await
}

fn is_stepup(r: &Resp) -> bool {
    r.status == 200 && r.body.contains("name=\"action\" value=\"choose\"")
}

async fn stepup_act(
    app: &TestApp,
    b: &Browser,
    page: &Resp,
    action: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let t = page.hidden("t").expect("a step-up page");
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("t", t.as_str()),
        ("action", action),
    ];
    form.extend_from_slice(extra);
    b.post_form(&format!("{}/stepup", app.base), &form).await
}

/// Signs in at `path` with the password, then steps up with the authenticator app.
pub(crate) async fn console_sign_in(
    app: &TestApp,
    b: &Browser,
    login: &str,
    password: &str,
    secret: &[u8],
    path: &str,
) -> Resp {
    let r = b.get(&format!("{}{path}", app.base)).await;
    assert_eq!(r.status, 303, "sign in first");
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &page, login, password).await;
    assert_eq!(back.location(), Some(path));
    let r = b.get(&format!("{}{path}", app.base)).await;
    assert!(is_stepup(&r), "a recent step-up is needed: {}", r.body);
    let page = stepup_act(app, b, &r, "choose", &[("method", "otp")]).await;
    let code = step_up::totp::code_at(secret, app.clock.now());
    let done = stepup_act(app, b, &page, "verify", &[("code", &code)]).await;
    assert_eq!(done.location(), Some(path), "{}", done.body);
    b.get(&format!("{}{path}", app.base)).await
}

#[tokio::test]
async fn the_console_needs_the_role_a_recent_step_up_and_the_anti_forgery_token() {
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    let (_, secret) = administrator(&app).await;

    // A clinician is turned away.
    let b = Browser::new();
    let r = b.get(&format!("{}/admin/organizations", app.base)).await;
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(
        b.get(&format!("{}/admin/organizations", app.base))
            .await
            .status,
        403
    );
    // The role is not granted to an account with nothing to step up with.
    assert!(matches!(
        app.provider
            .accounts
            .grant_role(&clinician, "administrator", "test")
            .await,
        Err(credential_store::CredentialError::NoSecondFactor)
    ));
    let r = b.get(&format!("{}/admin/organizations", app.base)).await;
    assert_eq!(r.status, 403);

    let a = Browser::new();
    let page = console_sign_in(
        &app,
        &a,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/organizations",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("href=\"/admin/keys?ui_locales=en\""),
        "the nav links the key console"
    );
    let csrf = page.hidden("csrf").unwrap();
    let forged = a
        .post_form(
            &format!("{}/admin/organizations", app.base),
            &[("csrf", "x"), ("id", "uhn"), ("name", "UHN")],
        )
        .await;
    assert_eq!(forged.status, 400);
    let bad = a
        .post_form(
            &format!("{}/admin/organizations", app.base),
            &[("csrf", &csrf), ("id", "u h n"), ("name", "UHN")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Use 1 to 64 letters"), "{}", bad.body);
    let ok = a
        .post_form(
            &format!("{}/admin/organizations", app.base),
            &[("csrf", &csrf), ("id", "uhn"), ("name", "UHN")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let e = &app.audit("organization.added").await[0];
    let admin_id = app
        .provider
        .accounts
        .find_by_login_id(ADMIN_LOGIN)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(e.actor.as_deref(), Some(admin_id.as_str()));

    // The step-up wears off: the next page asks again.
    app.clock.advance(app.provider.stepup.recent_secs + 1);
    assert!(is_stepup(
        &a.get(&format!("{}/admin/audit", app.base)).await
    ));
}

#[tokio::test]
async fn the_console_searches_and_exports_the_audit_trail() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let (_, secret) = administrator(&app).await;
    let admin = token(&app, "oneid:admin").await;
    call(
        &app,
        &admin,
        "POST",
        &format!("/accounts/{id}/suspend"),
        None,
    )
    .await;
    let b = Browser::new();
    let page = console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/audit",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The search is a GET form: its filters are the address.
    assert!(page
        .body
        .contains("<form method=\"get\" action=\"/admin/audit\""));
    let r = b
        .get(&format!(
            "{}/admin/audit?account={LOGIN_ID}&event=account.*",
            app.base
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("account.suspended"), "{}", r.body);
    assert!(!r.body.contains("service.added"));
    let bad = b
        .get(&format!("{}/admin/audit?from=last+week", app.base))
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("Enter a date as YYYY-MM-DD."),
        "{}",
        bad.body
    );
    let export = b
        .get(&format!(
            "{}/admin/audit/export?event=account.suspended",
            app.base
        ))
        .await;
    assert_eq!(export.status, 200);
    assert_eq!(export.headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = export
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["subject"], id.as_str());
}

#[tokio::test]
async fn an_administrator_walks_through_the_console_in_a_real_browser() {
    use oneid_tests::webdriver::Browser as Chrome;
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    app.give_totp(&clinician).await;
    let (_, secret) = administrator(&app).await;
    let chrome = Chrome::start().await;
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    let base = &app.base;

    chrome.goto(&format!("{base}/admin/services")).await;
    chrome.type_into("#login_id", ADMIN_LOGIN).await;
    chrome.type_into("#password", ADMIN_PASSWORD).await;
    chrome.click("button[type=submit]").await;
    chrome.wait_for("#choose").await;
    chrome.click("input[name=method][value='otp']").await;
    chrome.click("#choose button[type=submit]").await;
    chrome.wait_for("#verify").await;
    chrome
        .type_into("#code", &step_up::totp::code_at(&secret, app.clock.now()))
        .await;
    chrome.click("#verify button[type=submit]").await;

    // A service.
    chrome.wait_for("form#add").await;
    chrome.type_into("#id", "olis").await;
    chrome.type_into("#name", "OLIS").await;
    chrome.type_into("#url", "https://olis.example/").await;
    chrome.click("#min_assurance_level option[value='2']").await;
    chrome.click("#add button[type=submit]").await;
    chrome.wait_for("#notice").await;
    assert!(chrome.source().await.contains("https://olis.example/"));
    chrome.screenshot(&shots.join("admin-1-services.png")).await;

    // An organization that may enrol its people into it.
    chrome.goto(&format!("{base}/admin/organizations")).await;
    chrome.type_into("#id", "uhn").await;
    chrome.type_into("#name", "University Health Network").await;
    chrome.click("#add button[type=submit]").await;
    chrome.wait_for("#services").await;
    chrome.click("#svc-olis").await;
    chrome.click("#services button[type=submit]").await;
    // The page the organization was added on has a notice too: wait for this one's.
    chrome
        .wait_for_text("#notice", "Your changes are saved.")
        .await;

    // An LRA for it.
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.click("#grant button[type=submit]").await;
    chrome
        .wait_for_text("#notice", "is now a local registration authority")
        .await;
    chrome
        .screenshot(&shots.join("admin-2-organization.png"))
        .await;
    let org = app
        .provider
        .registration
        .directory
        .organization("uhn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.services, ["olis"]);
    assert_eq!(
        app.provider
            .registration
            .directory
            .lras("uhn")
            .await
            .unwrap()[0]
            .account_id,
        clinician
    );

    // Suspend the clinician.
    chrome.goto(&format!("{base}/admin/accounts")).await;
    chrome.type_into("#q", LOGIN_ID).await;
    chrome.click("#search button[type=submit]").await;
    // The list of every account is there before the search: wait for the search's own page
    // (its address, and so its field's value, holds the search) before clicking a result.
    chrome
        .wait_for(&format!("input#q[value='{LOGIN_ID}']"))
        .await;
    chrome.click("#results tbody a").await;
    chrome.wait_for("#suspend").await;
    chrome.type_into("#suspend_reason", "on leave").await;
    chrome.click("#suspend button[type=submit]").await;
    chrome.wait_for_text("#notice", "suspended").await;
    chrome.screenshot(&shots.join("admin-3-account.png")).await;
    let a = app
        .provider
        .accounts
        .find_by_id(&clinician)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, credential_store::AccountStatus::Suspended);

    // In French.
    chrome
        .goto(&format!("{base}/admin/organizations?ui_locales=fr"))
        .await;
    chrome.wait_for("html[lang=fr]").await;
    assert_eq!(chrome.text("h1").await, "Organisations");
    assert!(chrome.source().await.contains("Ajouter une organisation"));
    chrome
        .goto(&format!(
            "{base}/admin/audit?ui_locales=fr&event=lra.granted"
        ))
        .await;
    assert_eq!(chrome.text("h1").await, "Journal d’audit");
    assert!(chrome.text("#results").await.contains("lra.granted"));
    chrome.screenshot(&shots.join("admin-4-audit-fr.png")).await;
    chrome.quit().await;
}

#[tokio::test]
async fn the_console_adds_a_registry_changes_its_status_rotates_its_key_and_imports_terminations() {
    use josekit::jws::ES256;
    let app = spawn_app().await;
    let (_, secret) = administrator(&app).await;
    let dir = &app.provider.registration.directory;
    dir.put_organization("cpso", "CPSO").await.unwrap();
    dir.put_service(&registration::Service {
        id: "viewer".into(),
        name: "Viewer".into(),
        url: None,
        min_assurance_level: 1,
    })
    .await
    .unwrap();
    let pem = |_: ()| {
        let kp = ES256.generate_key_pair().unwrap();
        String::from_utf8(kp.to_pem_public_key()).unwrap()
    };
    let a = Browser::new();
    let page = console_sign_in(
        &app,
        &a,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/registries",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();
    let url = format!("{}/admin/registries", app.base);
    let first_key = pem(());
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("id", "cpso"),
        ("name", "CPSO register"),
        ("owner", "CPSO"),
        ("contact", "registration@cpso.example"),
        ("college", "CPSO"),
        ("assurance_level", "2"),
        ("approval", "limited"),
        ("approved_from", "2026-02-30"),
        ("approved_until", ""),
        ("sponsor_id", "cpso"),
        ("service_viewer", "on"),
        ("alg", "ES256"),
        ("public_key_pem", first_key.as_str()),
    ];
    // A date that does not exist: the message beside it, what was typed kept, nothing stored.
    let bad = a.post_form(&url, &form).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("Enter a date as YYYY-MM-DD."),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("registration@cpso.example"));
    assert!(app
        .provider
        .registration
        .registries
        .get("cpso")
        .await
        .unwrap()
        .is_none());
    // A key that is not a public key is refused too.
    form[8] = ("approved_from", "2026-01-01");
    form[13] = ("public_key_pem", "not a key");
    let bad = a.post_form(&url, &form).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("public_key_pem"), "{}", bad.body);
    form[13] = ("public_key_pem", first_key.as_str());
    // The sponsor is typed: one that is not an organization is named beside its field, in the
    // page's language, and nothing is stored.
    form[10] = ("sponsor_id", "no-such-org");
    let bad = a.post_form(&url, &form).await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.field_error("sponsor_id").as_deref(),
        Some("There is no organization with this ID (see the Organizations page).")
    );
    let fr = a.post_form(&format!("{url}?ui_locales=fr"), &form).await;
    assert_eq!(
        fr.field_error("sponsor_id").as_deref(),
        Some("Aucune organisation n’a cet identifiant (voir la page Organisations).")
    );
    form[10] = ("sponsor_id", "cpso");
    // (Back to English for the rest.)
    let ok = a.post_form(&format!("{url}?ui_locales=en"), &form).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let r = app
        .provider
        .registration
        .registries
        .get("cpso")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.assurance_level, 2);
    assert_eq!(r.approval, registration::Approval::Limited);
    assert_eq!(r.approved_from, Some(1_767_225_600), "2026-01-01 00:00 UTC");
    assert_eq!(r.services, vec!["viewer".to_owned()]);
    assert_eq!(r.sponsor_id.as_deref(), Some("cpso"));
    let admin_id = app
        .provider
        .accounts
        .find_by_login_id(ADMIN_LOGIN)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        app.audit("registry.added").await[0].actor.as_deref(),
        Some(admin_id.as_str())
    );

    // Suspend, then terminate (only with the confirmation), which is final.
    let reg = format!("{}/admin/registries/cpso", app.base);
    let s = a
        .post_form(
            &reg,
            &[("csrf", &csrf), ("what", "status"), ("op_suspend", "1")],
        )
        .await;
    assert_eq!(s.status, 303, "{}", s.body);
    let r = app
        .provider
        .registration
        .registries
        .get("cpso")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, registration::RegistryStatus::Suspended);
    let unconfirmed = a
        .post_form(
            &reg,
            &[("csrf", &csrf), ("what", "status"), ("op", "terminate")],
        )
        .await;
    assert_eq!(unconfirmed.status, 400);
    assert!(
        unconfirmed.body.contains("Tick the box"),
        "{}",
        unconfirmed.body
    );
    let r = app
        .provider
        .registration
        .registries
        .get("cpso")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, registration::RegistryStatus::Suspended);

    // Rotate the key: the new one is live, the old one retires after the overlap.
    let new_key = pem(());
    let rot = a
        .post_form(
            &reg,
            &[
                ("csrf", &csrf),
                ("what", "key"),
                ("alg", "ES256"),
                ("public_key_pem", &new_key),
                ("overlap_secs", "60"),
            ],
        )
        .await;
    assert_eq!(rot.status, 303, "{}", rot.body);
    let keys = app
        .provider
        .registration
        .registries
        .keys("cpso")
        .await
        .unwrap();
    assert_eq!(keys.len(), 2);
    let old = keys
        .iter()
        .find(|k| k.public_pem.trim() == first_key.trim())
        .unwrap();
    assert_eq!(old.retire_at, Some(app.clock.now() + 60));

    // Import terminations: none of these has an account, so all are unknown.
    let imp = a
        .post_form(
            &reg,
            &[
                ("csrf", &csrf),
                ("what", "terminations"),
                ("members", "m-1, m-2\nm-3"),
            ],
        )
        .await;
    assert_eq!(imp.status, 200, "{}", imp.body);
    assert!(imp.body.contains("unknown: 3"), "{}", imp.body);

    let end = a
        .post_form(
            &reg,
            &[
                ("csrf", &csrf),
                ("what", "status"),
                ("op", "terminate"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(end.status, 303, "{}", end.body);
    let page = a.get(&format!("{reg}?ui_locales=fr")).await;
    assert!(page.body.contains("Résilié"), "{}", page.body);
    assert!(
        !page.body.contains("name=\"op\""),
        "no status form once terminated"
    );
}

#[tokio::test]
async fn a_search_without_an_account_pages_by_time_through_every_window_and_filter() {
    // Rows over three days, ids in time order except a few written late (another node's
    // clock behind), and events of two kinds. A search that is not about an account or an
    // actor is newest first by time, then id (through the `at` index, a page wherever the
    // window lies): every window and filter, paged either way at any size, gives exactly the
    // matching rows in that order, the late rows at their time.
    let app = spawn_app().await;
    let db = app.provider.db.clone();
    let t0 = 1_700_000_000_i64;
    let mut values = Vec::new();
    for i in 0..600_i64 {
        let late = if i % 97 == 0 { -7200 } else { 0 };
        // Some rows share a second, so the id breaks the tie.
        let at = t0 + (i / 2) * 864 + late;
        let event = if i % 3 == 0 {
            "login.failure"
        } else {
            "login.success"
        };
        values.push(format!(
            "({at}, '{event}', 'acct{}', 'acct{}')",
            i % 11,
            i % 11
        ));
    }
    sqlx::query(&format!(
        "INSERT INTO audit_log (at, event, actor, subject) VALUES {}",
        values.join(", ")
    ))
    .execute(db.pool())
    .await
    .unwrap();
    let audit = &app.provider.audit;
    let rows: Vec<(i64, i64, String)> = sqlx::query_as("SELECT id, at, event FROM audit_log")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let window = |from: i64, to: i64| platform::audit::AuditQuery {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let queries = vec![
        window(t0, t0 + 86_400),
        window(t0 + 40_000, t0 + 50_000),
        window(t0 - 86_400, t0 + 3 * 86_400),
        platform::audit::AuditQuery {
            event: Some("login.failure".into()),
            ..window(t0 + 20_000, t0 + 200_000)
        },
        platform::audit::AuditQuery {
            event: Some("login.*".into()),
            ..window(t0, t0 + 30_000)
        },
        platform::audit::AuditQuery {
            to: Some(t0 + 100_000),
            ..Default::default()
        },
        platform::audit::AuditQuery::default(),
    ];
    for q in &queries {
        // What the search must give: the matching rows by time then id, newest first.
        let mut expected: Vec<(i64, i64)> = rows
            .iter()
            .filter(|(_, at, event)| {
                q.from.is_none_or(|f| *at >= f)
                    && q.to.is_none_or(|t| *at <= t)
                    && match q.event.as_deref() {
                        None => true,
                        Some(e) => match e.strip_suffix('*') {
                            Some(prefix) => event.starts_with(prefix),
                            None => event == e,
                        },
                    }
            })
            .map(|(id, at, _)| (*at, *id))
            .collect();
        expected.sort();
        expected.reverse();
        let expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();
        assert!(expected.len() > 10, "{q:?}");
        if q.from == Some(t0 - 86_400) {
            assert!(
                expected.windows(2).any(|w| w[0] < w[1]),
                "late rows are out of id order"
            );
        }
        for limit in [1, 7, 50, 1000] {
            // Forwards, a page after the last row of the one before.
            let mut forward = Vec::new();
            let mut before = None;
            loop {
                let page = audit
                    .search(
                        &platform::audit::AuditQuery {
                            before,
                            ..q.clone()
                        },
                        limit,
                    )
                    .await
                    .unwrap();
                forward.extend(page.iter().map(|r| r.id));
                if (page.len() as i64) < limit {
                    break;
                }
                before = page.last().map(|r| r.id);
            }
            assert_eq!(forward, expected, "{q:?} limit {limit}");
            // Backwards from the oldest row, a page before the first row of the one after.
            let mut backward: Vec<i64> = vec![*expected.last().unwrap()];
            let mut after = expected.last().copied();
            loop {
                let page = audit
                    .search(&platform::audit::AuditQuery { after, ..q.clone() }, limit)
                    .await
                    .unwrap();
                let mut ids: Vec<i64> = page.iter().map(|r| r.id).collect();
                ids.extend(backward);
                backward = ids;
                if (page.len() as i64) < limit {
                    break;
                }
                after = page.first().map(|r| r.id);
            }
            assert_eq!(backward, expected, "{q:?} limit {limit}, backwards");
        }
    }
    // Between two rows: older than one and newer than the other.
    let all = audit.search(&window(t0, t0 + 86_400), 1000).await.unwrap();
    let between = audit
        .search(
            &platform::audit::AuditQuery {
                before: Some(all[10].id),
                after: Some(all[20].id),
                ..window(t0, t0 + 86_400)
            },
            1000,
        )
        .await
        .unwrap();
    let ids: Vec<i64> = between.iter().map(|r| r.id).collect();
    let want: Vec<i64> = all[11..20].iter().map(|r| r.id).collect();
    assert_eq!(ids, want);
    // A cursor whose row was archived since places nothing: an empty page, not one cut by its
    // id alone (which would repeat or skip a row written with a clock behind).
    sqlx::query("DELETE FROM audit_log WHERE id = $1")
        .bind(all[10].id)
        .execute(db.pool())
        .await
        .unwrap();
    for (before, after) in [(Some(all[10].id), None), (None, Some(all[10].id))] {
        let page = audit
            .search(
                &platform::audit::AuditQuery {
                    before,
                    after,
                    ..window(t0, t0 + 86_400)
                },
                1000,
            )
            .await
            .unwrap();
        assert!(page.is_empty(), "{before:?} {after:?}");
    }

    // About or by an account (its id as subject or actor, or `account:` and its id as the
    // actor of a console change): the same rows as filtering the whole trail, page by page.
    sqlx::query(
        "INSERT INTO audit_log (at, event, actor, subject) VALUES ($1, 'account.updated', \
         'account:acct3', 'acct5'), ($1, 'account.updated', 'acct3', 'acct7')",
    )
    .bind(t0 + 1000)
    .execute(db.pool())
    .await
    .unwrap();
    let everything = audit
        .search(&platform::audit::AuditQuery::default(), 10_000)
        .await
        .unwrap();
    let mine: Vec<i64> = everything
        .iter()
        .filter(|r| {
            r.subject.as_deref() == Some("acct3")
                || r.actor.as_deref() == Some("acct3")
                || r.actor.as_deref() == Some("account:acct3")
        })
        .map(|r| r.id)
        .collect();
    // About an account, newest first by id.
    let mut mine = mine;
    mine.sort_by(|a, b| b.cmp(a));
    assert!(mine.len() > 50);
    let account = |before: Option<i64>, after: Option<i64>| platform::audit::AuditQuery {
        account: Some("acct3".into()),
        before,
        after,
        ..Default::default()
    };
    let page: Vec<i64> = audit
        .search(&account(None, None), 20)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(page, mine[..20]);
    let next: Vec<i64> = audit
        .search(&account(Some(page[19]), None), 20)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(next, mine[20..40]);
    let back: Vec<i64> = audit
        .search(&account(None, Some(next[0])), 20)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(back, mine[..20]);
    let all: Vec<i64> = audit
        .search(&account(None, None), 10_000)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(all, mine, "each row once");
}
