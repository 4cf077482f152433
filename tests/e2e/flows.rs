//! The code flow with a real relying party, SSO into a second one, prompt=none, logout.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, LOGIN_ID, PASSWORD};

#[tokio::test]
async fn clinician_logs_in_once_and_reaches_a_second_viewer_without_a_password() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let co = Rp::discover(&app.add_client("connectingontario").await).await;
    let cc = Rp::discover(&app.add_client("clinicalconnect").await).await;
    let browser = Browser::new();

    let first = co.login(&browser, LOGIN_ID, PASSWORD).await;
    assert_eq!(first.claims.subject().as_str(), sub);
    let info = co.userinfo(&first).await;
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(
        info.preferred_username().map(|u| u.as_str()),
        Some(LOGIN_ID)
    );

    let second = cc.sso(&browser, &[]).await;
    assert_eq!(second.claims.subject().as_str(), sub);
    assert_eq!(second.sid(), first.sid(), "one SSO session");
    assert_eq!(second.claims.auth_time(), first.claims.auth_time());

    let silent = cc.sso(&browser, &[("prompt", "none")]).await;
    assert_eq!(silent.claims.subject().as_str(), sub);
}

#[tokio::test]
async fn prompt_none_without_a_session_redirects_with_login_required() {
    let app = spawn_app().await;
    let rp = Rp::discover(&app.add_client("otnhub").await).await;
    let s = rp.start(&["profile"], &[("prompt", "none")]);
    let r = Browser::new().get(&s.url).await;
    assert_eq!(r.status, 303);
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("login_required"));
    assert_eq!(q.get("state"), Some(&s.state));
    assert_eq!(q.get("iss"), Some(&app.base));
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn prompt_login_forces_the_login_page_and_a_later_auth_time() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let browser = Browser::new();
    let first = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    app.clock.advance(5);
    let s = rp.start(&["profile"], &[("prompt", "login")]);
    let page = browser.get(&s.url).await;
    assert!(
        page.is_login_page(),
        "prompt=login must show the login page"
    );
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let second = rp.finish(s, &code).await;
    assert!(second.claims.auth_time().unwrap() > first.claims.auth_time().unwrap());
}

#[tokio::test]
async fn max_age_forces_a_fresh_login_once_exceeded_but_not_before() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("clinicalconnect").await).await;
    let browser = Browser::new();
    let first = rp.login(&browser, LOGIN_ID, PASSWORD).await;

    // Within max_age: SSO, same auth_time, auth_time present.
    let within = rp.sso(&browser, &[("max_age", "10000")]).await;
    assert_eq!(within.claims.auth_time(), first.claims.auth_time());

    app.clock.advance(2);
    let s = rp.start(&["profile"], &[("max_age", "1")]);
    let page = browser.get(&s.url).await;
    assert!(
        page.is_login_page(),
        "max_age=1 after 2 s must ask for login"
    );
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let again = rp.finish(s, &code).await;
    assert!(again.claims.auth_time().unwrap() > first.claims.auth_time().unwrap());

    // max_age with prompt=none and a stale session: login_required, not a login page.
    app.clock.advance(5);
    let s = rp.start(&["profile"], &[("max_age", "1"), ("prompt", "none")]);
    let r = browser.get(&s.url).await;
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("login_required")
    );
}

#[tokio::test]
async fn id_token_hint_with_prompt_none_returns_the_same_subject_and_a_mismatch_requires_login() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    app.add_user("Other.Person@ONEID.ON.CA", "Other-Person-77")
        .await;
    let rp = Rp::discover(&app.add_client("otnhub").await).await;
    let browser = Browser::new();
    let first = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let again = rp
        .sso(
            &browser,
            &[("prompt", "none"), ("id_token_hint", &first.id_token)],
        )
        .await;
    assert_eq!(again.claims.subject().as_str(), sub);

    // The hint names someone else than the session's person.
    let other_browser = Browser::new();
    let other = rp
        .login(
            &other_browser,
            "Other.Person@ONEID.ON.CA",
            "Other-Person-77",
        )
        .await;
    let s = rp.start(
        &["profile"],
        &[("prompt", "none"), ("id_token_hint", &other.id_token)],
    );
    let r = browser.get(&s.url).await;
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("login_required")
    );
}

#[tokio::test]
async fn id_token_carries_the_protocol_claims() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let t = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    let raw = &t.raw;
    assert_eq!(raw["iss"], app.base.as_str());
    assert_eq!(raw["sub"], sub.as_str());
    assert_eq!(raw["aud"], "connectingontario");
    assert_eq!(raw["acr"], "urn:oneid:loa:1");
    assert_eq!(raw["amr"], serde_json::json!(["pwd"]));
    assert!(raw["sid"].as_str().is_some_and(|s| s.len() >= 16));
    assert!(raw["at_hash"].is_string());
    assert!(raw["nonce"].is_string());
    let exp = raw["exp"].as_i64().unwrap();
    let iat = raw["iat"].as_i64().unwrap();
    assert_eq!(exp - iat, 600);
    assert_eq!(oneid_tests::rp::jwt_header(&t.id_token)["alg"], "RS256");
    // Subject is opaque: not the login ID.
    assert!(!sub.contains('@'));
}

#[tokio::test]
async fn claims_parameter_asking_for_name_in_the_id_token_is_honoured() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let browser = Browser::new();
    let s = rp.start(
        &[],
        &[("claims", r#"{"id_token":{"name":{"essential":true}}}"#)],
    );
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    assert_eq!(t.raw["name"], "Randy Burt");
    assert!(t.raw.get("email").is_none(), "only what was asked");
}

#[tokio::test]
async fn a_request_without_nonce_and_with_scopes_reordered_succeeds() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("connectingontario").await;
    let browser = Browser::new();
    let url = format!(
        "{}/authorize?state=st1&scope=email%20openid%20profile&redirect_uri={}&client_id=connectingontario&response_type=code&extra=foobar&display=popup&ui_locales=fr&claims_locales=fr&acr_values=urn:oneid:loa:1",
        app.base,
        url::form_urlencoded::byte_serialize(cfg.redirect_uri.as_bytes()).collect::<String>()
    );
    let page = browser.get(&url).await;
    assert!(page.is_login_page());
    assert!(
        page.body.contains("lang=\"fr\""),
        "ui_locales=fr gives a French page"
    );
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(cb.status, 303);
    let q = cb.location_params();
    let code = q.get("code").unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("connectingontario", Some("connectingontario-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &cfg.redirect_uri),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let idt = oneid_tests::rp::jwt_payload(body["id_token"].as_str().unwrap());
    assert!(idt.get("nonce").is_none());
    assert_eq!(body["scope"], "email openid profile");
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_and_returns_to_the_registered_uri() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let co = Rp::discover(&app.add_client("connectingontario").await).await;
    let cc = Rp::discover(&app.add_client("clinicalconnect").await).await;
    let browser = Browser::new();
    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    cc.sso(&browser, &[]).await;

    let bye = "http://127.0.0.1:9/connectingontario/bye";
    let url = format!(
        "{}/logout?id_token_hint={}&post_logout_redirect_uri={}&state=later",
        app.base,
        t.id_token,
        url::form_urlencoded::byte_serialize(bye.as_bytes()).collect::<String>()
    );
    let r = browser.get(&url).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some(format!("{bye}?state=later").as_str()));
    assert!(r.headers["set-cookie"].contains("oneid_session=;"));
    assert_eq!(app.audit("logout").await.len(), 1);

    // Every viewer now needs a login again.
    let s = cc.start(&["profile"], &[]);
    assert!(browser.get(&s.url).await.is_login_page());
    let s = co.start(&["profile"], &[("prompt", "none")]);
    assert_eq!(
        browser
            .get(&s.url)
            .await
            .location_params()
            .get("error")
            .map(String::as_str),
        Some("login_required")
    );
}

#[tokio::test]
async fn logout_refuses_an_unregistered_post_logout_redirect_uri_and_keeps_the_session() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let co = Rp::discover(&app.add_client("connectingontario").await).await;
    let browser = Browser::new();
    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    let url = format!(
        "{}/logout?id_token_hint={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        app.base, t.id_token
    );
    let r = browser.get(&url).await;
    assert_eq!(r.status, 400);
    assert!(r.location().is_none());
    co.sso(&browser, &[]).await;
}

#[tokio::test]
async fn logout_without_a_hint_asks_the_person_to_confirm() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let co = Rp::discover(&app.add_client("connectingontario").await).await;
    let browser = Browser::new();
    co.login(&browser, LOGIN_ID, PASSWORD).await;

    let page = browser.get(&format!("{}/logout", app.base)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("action=\"/logout/confirm\""));
    // Still signed in until confirmed.
    co.sso(&browser, &[]).await;

    // A forged confirmation without the CSRF token does nothing.
    let request = page.hidden("request").unwrap();
    let forged = browser
        .post_form(
            &format!("{}/logout/confirm", app.base),
            &[("request", &request), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, 400);
    co.sso(&browser, &[]).await;

    let csrf = page.hidden("csrf").unwrap();
    let done = browser
        .post_form(
            &format!("{}/logout/confirm", app.base),
            &[("request", &request), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("id=\"logged-out\""));
    let s = co.start(&["profile"], &[]);
    assert!(browser.get(&s.url).await.is_login_page());
}

#[tokio::test]
async fn the_authorization_request_may_be_posted_as_a_form() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let browser = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let (endpoint, query) = s.url.split_once('?').unwrap();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let form: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = browser.post_form(endpoint, &form).await;
    assert!(page.is_login_page());
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    assert_eq!(t.claims.subject().as_str(), sub);
}

#[tokio::test]
async fn the_login_page_speaks_french_when_asked_and_sends_security_headers() {
    let app = spawn_app().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let mut browser = Browser::new();
    browser.lang = Some("fr-CA,fr;q=0.9,en;q=0.5".into());
    let s = rp.start(&["profile"], &[]);
    let page = browser.get(&s.url).await;
    assert!(page.is_login_page());
    assert!(page.body.contains("<html lang=\"fr\">"));
    assert!(page.body.contains("Mot de passe"));
    assert!(
        page.body.contains("Viewer connectingontario"),
        "names the viewer"
    );
    let csp = &page.headers["content-security-policy"];
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["cache-control"], "no-store");
    let cookies = &page.headers["set-cookie"];
    assert!(cookies.contains("HttpOnly") && cookies.contains("SameSite=Lax"));

    // The same page in English through ui_locales, which wins over Accept-Language.
    let s = rp.start(&["profile"], &[("ui_locales", "en")]);
    let page = browser.get(&s.url).await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("Password"));
}

#[tokio::test]
async fn logout_revokes_the_sessions_refresh_tokens_but_not_offline_ones() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("connectingontario").await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let online = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let s = rp.start(&["offline_access"], &[]);
    let cb = browser.get(&s.url).await;
    let code = rp.code_from(&s, &cb);
    let offline = rp.finish(s, &code).await;
    let url = format!("{}/logout?id_token_hint={}", app.base, online.id_token);
    assert_eq!(browser.get(&url).await.status, 200);
    let base = app.base.clone();
    let refresh = |t: String| {
        let base = base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/token"))
                .basic_auth("connectingontario", Some("connectingontario-secret"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", t.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        refresh(online.refresh_token().unwrap()).await,
        400,
        "ended with the session"
    );
    assert_eq!(
        refresh(offline.refresh_token().unwrap()).await,
        200,
        "offline_access outlives it"
    );
}

#[tokio::test]
async fn max_age_zero_forces_a_fresh_login() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let browser = Browser::new();
    rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let s = rp.start(&["profile"], &[("max_age", "0")]);
    assert!(browser.get(&s.url).await.is_login_page());
}

#[tokio::test]
async fn signing_in_as_someone_other_than_the_hinted_person_returns_login_required() {
    let app = spawn_app().await;
    app.add_clinician().await;
    app.add_user("Other.Person@ONEID.ON.CA", "Other-Person-77")
        .await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let first = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    let browser = Browser::new();
    let s = rp.start(&["profile"], &[("id_token_hint", &first.id_token)]);
    let page = browser.get(&s.url).await;
    let r = browser
        .login(
            &app.base,
            &page,
            "Other.Person@ONEID.ON.CA",
            "Other-Person-77",
        )
        .await;
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("login_required"));
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn a_hint_signed_by_a_key_that_is_gone_does_not_block_logout() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let browser = Browser::new();
    let t = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let kid = oneid_tests::rp::jwt_header(&t.id_token)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    app.provider.keys.revoke(&kid, "test").await.unwrap();
    let page = browser
        .get(&format!("{}/logout?id_token_hint={}", app.base, t.id_token))
        .await;
    assert_eq!(page.status, 200, "the person is asked to confirm");
    assert!(page.body.contains("action=\"/logout/confirm\""));
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_host_prefixed() {
    let app =
        oneid_tests::spawn_app_with(|c| c.issuer = "https://login.oneid.example".into()).await;
    let cfg = app.add_client("viewer").await;
    let url = format!(
        "{}/authorize?client_id=viewer&response_type=code&scope=openid&redirect_uri={}",
        app.base,
        url::form_urlencoded::byte_serialize(cfg.redirect_uri.as_bytes()).collect::<String>()
    );
    let page = Browser::new().get(&url).await;
    assert!(page.is_login_page());
    let set = &page.headers["set-cookie"];
    assert!(set.starts_with("__Host-oneid_csrf="), "{set}");
    assert!(
        set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"),
        "{set}"
    );
}

#[tokio::test]
async fn a_session_of_a_suspended_account_yields_no_code() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let browser = Browser::new();
    rp.login(&browser, LOGIN_ID, PASSWORD).await;
    sqlx::query("UPDATE accounts SET status = 'suspended'")
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    let s = rp.start(&["profile"], &[("prompt", "none")]);
    let r = browser.get(&s.url).await;
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("login_required"));
    assert!(!q.contains_key("code"));
    let s = rp.start(&["profile"], &[]);
    assert!(browser.get(&s.url).await.is_login_page());
}

#[tokio::test]
async fn the_clinician_scope_releases_designations_and_assurance_in_the_id_token_and_userinfo() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    app.add_designation(&sub, "CPSO", "98765").await;
    let co = Rp::discover(&app.add_client("connectingontario").await).await;
    let browser = Browser::new();
    let userinfo = |t: String| {
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}/userinfo"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };

    // Without the scope: nothing of it.
    let plain = co.login(&browser, LOGIN_ID, PASSWORD).await;
    assert!(plain.raw.get("designations").is_none(), "{}", plain.raw);
    let info = userinfo(plain.access_token()).await;
    assert!(info.get("designations").is_none(), "{info}");
    assert!(info.get("assurance_level").is_none(), "{info}");

    // With it: the college and number, and the level, in the ID token and at userinfo.
    let s = co.start(&["profile", "clinician"], &[]);
    let cb = browser.get(&s.url).await;
    let code = co.code_from(&s, &cb);
    let t = co.finish(s, &code).await;
    let expected = serde_json::json!([{ "college": "CPSO", "registration_number": "98765" }]);
    assert_eq!(t.raw["designations"], expected, "{}", t.raw);
    assert_eq!(t.raw["assurance_level"], 1);
    let granted = serde_json::to_value(&t.response).unwrap();
    assert!(
        granted["scope"]
            .as_str()
            .is_some_and(|s| s.split(' ').any(|s| s == "clinician")),
        "{granted}"
    );
    let info = userinfo(t.access_token()).await;
    assert_eq!(info["designations"], expected, "{info}");
    assert_eq!(info["assurance_level"], 1);

    // A relying party not registered for the scope does not get it by asking.
    let other = Rp::discover(
        &app.add_client_with("otnhub", |n| {
            n.scopes = vec!["openid".into(), "profile".into()];
        })
        .await,
    )
    .await;
    let s = other.start(&["profile", "clinician"], &[]);
    let cb = browser.get(&s.url).await;
    let code = other.code_from(&s, &cb);
    let t = other.finish(s, &code).await;
    assert!(t.raw.get("designations").is_none(), "{}", t.raw);
    let info = userinfo(t.access_token()).await;
    assert!(info.get("designations").is_none(), "{info}");

    // Discovery names the scope and its claims.
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(d["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&"clinician".into()));
    for c in ["designations", "assurance_level"] {
        assert!(
            d["claims_supported"]
                .as_array()
                .unwrap()
                .contains(&c.into()),
            "{c}"
        );
    }
}

#[tokio::test]
async fn fhir_user_names_the_practitioner_by_the_configured_rule_in_the_id_token_and_userinfo() {
    let app = oneid_tests::spawn_app_with(|c| {
        c.clients.fhir_user =
            "https://fhir.example.org/r4/Practitioner/{college}-{registration_number}".into();
    })
    .await;
    let sub = app.add_clinician().await;
    app.add_designation(&sub, "CPSO", "98 765").await;
    let app_rp = Rp::discover(
        &app.add_client_with("med-viewer", |n| {
            n.scopes = vec!["openid".into(), "fhirUser".into(), "profile".into()];
        })
        .await,
    )
    .await;
    let browser = Browser::new();
    let s = app_rp.start(&["openid", "fhirUser"], &[]);
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = app_rp.code_from(&s, &cb);
    let t = app_rp.finish(s, &code).await;
    // The registration number's space is encoded as a URL path segment.
    let expected = "https://fhir.example.org/r4/Practitioner/CPSO-98%20765";
    assert_eq!(t.raw["fhirUser"], expected, "{}", t.raw);
    let info: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(t.access_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["fhirUser"], expected, "{info}");
    // Published, and SMART's OpenID Connect claimed with it.
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(d["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "fhirUser"));
    assert!(d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "fhirUser"));
    let smart: serde_json::Value =
        reqwest::get(format!("{}/.well-known/smart-configuration", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(smart["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "sso-openid-connect"));
    // Without the scope, no claim; an account without a designation, no claim either.
    let s = app_rp.start(&["openid", "profile"], &[]);
    let cb = browser.get(&s.url).await;
    let code = app_rp.code_from(&s, &cb);
    let t = app_rp.finish(s, &code).await;
    assert!(t.raw.get("fhirUser").is_none(), "{}", t.raw);
    app.add_user("Pat.Quinn@ONEID.ON.CA", PASSWORD).await;
    let other = Browser::new();
    let s = app_rp.start(&["openid", "fhirUser"], &[]);
    let page = other.get(&s.url).await;
    let cb = other
        .login(&app.base, &page, "Pat.Quinn@ONEID.ON.CA", PASSWORD)
        .await;
    let code = app_rp.code_from(&s, &cb);
    let t = app_rp.finish(s, &code).await;
    assert!(t.raw.get("fhirUser").is_none(), "{}", t.raw);
}

#[tokio::test]
async fn clinical_scopes_are_narrowed_to_the_registration_and_a_malformed_one_is_refused() {
    let app = oneid_tests::spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(
        &app.add_client_with("med-viewer", |n| {
            n.scopes = vec![
                "openid".into(),
                "user/Observation.rs".into(),
                "patient/*.read".into(),
            ];
        })
        .await,
    )
    .await;
    let browser = Browser::new();
    // v2 and v1 asked together: what the registration covers is granted, the rest left out.
    let s = rp.start(
        &[
            "openid",
            "user/Observation.r",
            "patient/MedicationRequest.rs",
            "user/Patient.r",
        ],
        &[],
    );
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    let granted = serde_json::to_value(&t.response).unwrap()["scope"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut got: Vec<&str> = granted.split(' ').collect();
    got.sort();
    assert_eq!(
        got,
        [
            "openid",
            "patient/MedicationRequest.rs",
            "user/Observation.r"
        ]
    );
    // A malformed clinical scope: invalid_scope, back to the relying party.
    for bad in [
        "patient/Medication.rz",
        "user/Nothing.rs",
        "patient/Observation.rs?code",
    ] {
        let s = rp.start(&["openid", bad], &[]);
        let r = browser.get(&s.url).await;
        assert_eq!(r.status, 303, "{bad}: {}", r.body);
        let q = r.location_params();
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("invalid_scope"),
            "{bad}"
        );
        assert_eq!(q.get("state"), Some(&s.state));
    }
}
