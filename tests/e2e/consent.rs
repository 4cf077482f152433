//! Consent to third-party apps: the page lists what the app asks in plain English or French,
//! the person unticks what is optional, allows or denies; what was allowed is remembered until
//! the app asks more (or `prompt=consent`), listed in My Profile and taken back there (with the
//! app's refresh tokens). Province viewers are pre-authorized and never ask.

use oneid_tests::api::Answer;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::{jwt_payload, Rp, Started};
use oneid_tests::{spawn_app, RpConfig, TestApp, LOGIN_ID, PASSWORD};

async fn journal(app: &TestApp) -> RpConfig {
    app.add_client_with("journal-app", |n| {
        n.name = "Clinical Journal".into();
        n.third_party = true;
        n.scopes = vec![
            "openid".into(),
            "profile".into(),
            "email".into(),
            "offline_access".into(),
        ];
        n.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
    })
    .await
}

/// Answers the consent page `page`: allow with the optional boxes `ticked` (their indexes),
/// or deny.
async fn answer(app: &TestApp, b: &Browser, page: &Resp, allow: bool, ticked: &[usize]) -> Resp {
    let csrf = page.hidden("csrf").expect("a csrf token");
    let token = page.hidden("consent").expect("the consent token");
    let names: Vec<String> = ticked.iter().map(|i| format!("scope_{i}")).collect();
    let mut f: Vec<(&str, &str)> = vec![("csrf", &csrf), ("consent", &token)];
    for n in &names {
        f.push((n, "on"));
    }
    f.push(if allow { ("allow", "1") } else { ("deny", "1") });
    b.post_form(&format!("{}/authorize/consent", app.base), &f)
        .await
}

/// Opens `url` and follows it to the consent page.
async fn follow(app: &TestApp, b: &Browser, url: &str) -> Resp {
    let r = b.get(url).await;
    let to = r.location().unwrap_or_default().to_owned();
    assert!(
        to.starts_with("/authorize/consent?c="),
        "{} {}",
        r.status,
        r.body
    );
    let page = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

async fn exchange(app: &TestApp, rp: &Rp, s: Started, r: &Resp) -> Answer {
    let code = rp.code_from(&s, r);
    let me = ("journal-app", "journal-app-secret");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:9/journal-app/cb"),
        ("code_verifier", s.verifier.secret()),
    ];
    app.client_post("/token", me, &form).await
}

#[tokio::test]
async fn a_third_party_app_gets_what_the_person_ticked_and_asks_again_only_for_more() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&journal(&app).await).await;
    let b = Browser::new();
    let s = rp.start(&["openid", "profile", "email", "offline_access"], &[]);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap().to_owned();
    assert!(to.starts_with("/authorize/consent?c="), "{to}");
    let page = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(page.status, 200, "the consent page: {}", page.body);
    assert!(
        page.body.contains("Clinical Journal asks for access"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Who you are: your oneid sign-in"));
    for (i, what) in [
        (0, "Your name"),
        (1, "Your email address"),
        (2, "Keep its access when you are signed out"),
    ] {
        assert!(
            page.body.contains(&format!(
                "id=\"scope_{i}\" name=\"scope_{i}\" type=\"checkbox\" value=\"on\" checked"
            )),
            "{what} is ticked to begin with: {}",
            page.body
        );
        assert!(page.body.contains(what), "{what}");
    }
    // The email unticked: the code and the tokens say exactly what was allowed.
    let r = answer(&app, &b, &page, true, &[0, 2]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let t = exchange(&app, &rp, s, &r).await;
    assert_eq!(t.status, 200, "{}", t.json);
    assert_eq!(t.json["scope"], "openid profile offline_access");
    assert_eq!(
        jwt_payload(t.json["access_token"].as_str().unwrap())["scope"],
        "openid profile offline_access"
    );
    let offline = t.json["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.audit("consent.granted").await.len(), 1);

    // Remembered: asking what was allowed goes straight to the app.
    let s = rp.start(&["openid", "profile"], &[]);
    let r = b.get(&s.url).await;
    assert_eq!(r.status, 303, "no second consent: {}", r.body);
    assert_eq!(
        exchange(&app, &rp, s, &r).await.json["scope"],
        "openid profile"
    );
    // The email, unticked before, is asked again, here in French; denied.
    let s = rp.start(&["openid", "email"], &[("ui_locales", "fr")]);
    let page = follow(&app, &b, &s.url).await;
    assert!(
        page.body.contains("Clinical Journal demande l’accès"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Votre adresse courriel"));
    assert!(page.body.contains(">Permettre<") && page.body.contains(">Refuser<"));
    let r = answer(&app, &b, &page, false, &[]).await;
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state"), Some(&s.state));
    // prompt=none cannot ask: consent_required. prompt=consent asks even when allowed.
    let s = rp.start(&["openid", "email"], &[("prompt", "none")]);
    let q = b.get(&s.url).await.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("consent_required"));
    let s = rp.start(&["openid", "profile"], &[("prompt", "consent")]);
    let page = follow(&app, &b, &s.url).await;
    // The answer is single use, and only from the browser that was asked.
    let stranger = Browser::new();
    let csrf_page = stranger.get(&format!("{}/forgot-password", app.base)).await;
    let stolen = stranger
        .post_form(
            &format!("{}/authorize/consent", app.base),
            &[
                ("csrf", &csrf_page.hidden("csrf").unwrap_or_default()),
                ("consent", &page.hidden("consent").unwrap()),
                ("allow", "1"),
            ],
        )
        .await;
    assert_eq!(stolen.status, 400, "{}", stolen.body);
    let r = answer(&app, &b, &page, true, &[0]).await;
    assert_eq!(r.status, 303, "the question stood: {}", r.body);
    let again = answer(&app, &b, &page, true, &[0]).await;
    assert_eq!(again.status, 400, "answered once: {}", again.body);

    // My Profile lists the app and what it may have; taking it back ends its refresh token.
    let apps = b
        .get(&format!("{}/account/apps?ui_locales=en", app.base))
        .await;
    assert_eq!(apps.status, 200);
    assert!(apps.body.contains("Clinical Journal"), "{}", apps.body);
    assert!(apps.body.contains("Your name"));
    assert!(!apps.body.contains("Your email address"), "never allowed");
    let csrf = apps.hidden("csrf").unwrap();
    let r = b
        .post_form(
            &format!("{}/account/apps", app.base),
            &[("csrf", &csrf), ("client", "journal-app")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.notice().as_deref(), Some("Access taken back."));
    assert!(!r.body.contains("Clinical Journal"));
    assert_eq!(app.audit("consent.revoked").await.len(), 1);
    let refreshed = app
        .client_post(
            "/token",
            ("journal-app", "journal-app-secret"),
            &[("grant_type", "refresh_token"), ("refresh_token", &offline)],
        )
        .await;
    refreshed.assert_error(400, "invalid_grant", "the access taken back");
    // And it must ask again.
    let s = rp.start(&["openid", "profile"], &[]);
    follow(&app, &b, &s.url).await;
}

#[tokio::test]
async fn a_province_viewer_is_pre_authorized_and_never_asks() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app
        .add_client_with("connectingontario", |n| {
            n.scopes = vec!["openid".into(), "profile".into(), "email".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();
    let s = rp.start(&["openid", "profile", "email"], &[("prompt", "consent")]);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 303, "straight back with a code: {}", r.body);
    assert!(r.location_params().contains_key("code"));
    assert!(app.audit("consent.granted").await.is_empty());
}

/// In Chromium at phone width, in French: the person reads the page, unticks a box with the
/// pointer, allows; the app gets only what stayed ticked.
#[tokio::test]
async fn the_consent_page_works_in_chromium_in_french_at_phone_width() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&journal(&app).await).await;
    // Signed in already (with a province viewer), as a clinician arriving from one would be.
    let viewer = Browser::new();
    Rp::discover(&app.add_client("connectingontario").await)
        .await
        .login(&viewer, LOGIN_ID, PASSWORD)
        .await;
    let cookie = viewer
        .cookie_header(&app.base)
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "oneid_session")
        .map(|(_, v)| v.to_owned())
        .expect("a session");
    let chrome = oneid_tests::webdriver::Browser::start().await;
    chrome.set_window_size(375, 740).await;
    chrome.goto(&format!("{}/help", app.base)).await;
    chrome.add_cookie("oneid_session", &cookie).await;
    let s = rp.start(&["openid", "profile", "email"], &[("ui_locales", "fr")]);
    chrome.goto(&s.url).await;
    let title = chrome.wait_for_text("h1", "demande l’accès").await;
    assert!(title.contains("Clinical Journal"), "{title}");
    assert!(chrome
        .text("form#consent")
        .await
        .contains("Votre adresse courriel"));
    // Nothing wider than the phone.
    let wide = chrome
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(wide, serde_json::json!(true));
    chrome.click("label[for=scope_1]").await;
    chrome
        .click("form#consent button[name=allow]:not(.default-submit)")
        .await;
    let mut url = String::new();
    for _ in 0..50 {
        url = chrome.url().await;
        if url.contains("code=") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        url.starts_with("http://127.0.0.1:9/journal-app/cb?"),
        "{url}"
    );
    let code = url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_owned();
    let t = app
        .client_post(
            "/token",
            ("journal-app", "journal-app-secret"),
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1:9/journal-app/cb"),
                ("code_verifier", s.verifier.secret()),
            ],
        )
        .await;
    assert_eq!(t.json["scope"], "openid profile", "{}", t.json);
    chrome.quit().await;
}
