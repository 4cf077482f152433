//! The Device Authorization Grant (RFC 8628): a ward tablet (a public client) asks for codes,
//! polls, and gets tokens once a clinician signed in at `/device`, typed the code and allowed
//! it; each poll answers as the RFC says (`authorization_pending`, `slow_down`,
//! `access_denied`, `expired_token`); the gate and step-up hold as for any sign-in; guessing
//! user codes is throttled, every attempt counted before the check, in a parallel burst.

use authorization_server::clients::NewClient;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::jwt_payload;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use serde_json::Value;
use std::sync::Arc;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn tablet(app: &TestApp, id: &str, adjust: impl FnOnce(&mut NewClient)) {
    app.add_client_with(id, |n| {
        n.public = true;
        n.secret = None;
        n.grant_types = vec![GRANT.into(), "refresh_token".into()];
        n.redirect_uris = Vec::new();
        n.post_logout_redirect_uris = Vec::new();
        adjust(n);
    })
    .await;
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{path}"
    );
    (status, r.json().await.unwrap())
}

async fn start(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let (status, body) = post(
        app,
        "/device_authorization",
        &[("client_id", client_id), ("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    post(
        app,
        "/token",
        &[
            ("grant_type", GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
    .await
}

fn error(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["error"].as_str())
}

/// Signs `login_id` in through `/device` (following the redirects), and types `code`: the
/// confirmation page, or whatever the code form answered.
async fn sign_in_and_type(
    app: &TestApp,
    b: &Browser,
    url: &str,
    login_id: &str,
    password: &str,
    code: &str,
) -> Resp {
    let first = b.get(url).await;
    let mut page = if first.status == 303 {
        let to = first.location().unwrap().to_owned();
        let login = b.get(&format!("{}{to}", app.base)).await;
        let back = b.login(&app.base, &login, login_id, password).await;
        assert_eq!(back.status, 303, "{}", back.body);
        let to = back.location().unwrap().to_owned();
        b.get(&format!("{}{to}", app.base)).await
    } else {
        first
    };
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").expect("a form");
    page = b
        .post_form(
            &format!("{}/device", app.base),
            &[("csrf", &csrf), ("user_code", code)],
        )
        .await;
    page
}

async fn decide(app: &TestApp, b: &Browser, confirm: &Resp, allow: bool) -> Resp {
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let csrf = confirm.hidden("csrf").unwrap();
    let code = confirm.hidden("user_code").unwrap();
    let button = if allow { "allow" } else { "deny" };
    b.post_form(
        &format!("{}/device/confirm", app.base),
        &[("csrf", &csrf), ("user_code", &code), (button, "1")],
    )
    .await
}

#[tokio::test]
async fn a_ward_tablet_signs_in_from_start_to_token_and_each_poll_answers_as_the_rfc_says() {
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    tablet(&app, "ward-tablet", |_| {}).await;

    let d = start(&app, "ward-tablet", "openid profile").await;
    let user_code = d["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert!(user_code.chars().enumerate().all(|(i, c)| if i == 4 {
        c == '-'
    } else {
        "BCDFGHJKLMNPQRSTVWXZ".contains(c)
    }));
    assert_eq!(d["verification_uri"], format!("{}/device", app.base));
    assert_eq!(
        d["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", app.base)
    );
    assert_eq!(
        (d["expires_in"].as_i64(), d["interval"].as_i64()),
        (Some(600), Some(5))
    );
    let device_code = d["device_code"].as_str().unwrap();

    // Nobody has signed in yet; a second poll in the same interval is told to slow down.
    let a = poll(&app, "ward-tablet", device_code).await;
    assert_eq!(error(&a), (400, Some("authorization_pending")), "{}", a.1);
    let a = poll(&app, "ward-tablet", device_code).await;
    assert_eq!(error(&a), (400, Some("slow_down")));
    app.clock.advance(5);

    // The clinician opens the link the tablet shows, signs in, and finds the code filled in.
    let b = Browser::new();
    let first = b
        .get(d["verification_uri_complete"].as_str().unwrap())
        .await;
    assert_eq!(first.status, 303, "sign in first");
    let login = b
        .get(&format!("{}{}", app.base, first.location().unwrap()))
        .await;
    let back = b.login(&app.base, &login, LOGIN_ID, PASSWORD).await;
    let form = b
        .get(&format!("{}{}", app.base, back.location().unwrap()))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains(&format!("value=\"{user_code}\"")),
        "prefilled"
    );
    // Typed in lower case with spaces, the code still names the request.
    let csrf = form.hidden("csrf").unwrap();
    let typed = user_code.to_lowercase().replace('-', " ");
    let confirm = b
        .post_form(
            &format!("{}/device", app.base),
            &[("csrf", &csrf), ("user_code", &typed)],
        )
        .await;
    assert!(confirm.body.contains("Viewer ward-tablet"), "names the app");
    assert!(confirm.body.contains(user_code), "shows the code");
    // Still pending while the clinician reads.
    let a = poll(&app, "ward-tablet", device_code).await;
    assert_eq!(error(&a), (400, Some("authorization_pending")));

    let r = decide(&app, &b, &confirm, true).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done_url = r.location().unwrap().to_owned();
    assert!(
        done_url.starts_with(&format!("{}/device/done?", app.base)),
        "{done_url}"
    );
    let done = b.get(&done_url).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("The device is signed in"));
    // The code in that address is spent: replayed, it approves nothing.
    assert_eq!(b.get(&done_url).await.status, 400);

    // The tablet's next poll (after the interval) gets the tokens, once.
    app.clock.advance(5);
    let (status, tokens) = poll(&app, "ward-tablet", device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].as_str().is_some());
    let idt = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(idt["sub"].as_str(), Some(account.as_str()));
    assert_eq!(idt["aud"], "ward-tablet");
    let at = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(at["scope"], "openid profile");
    app.clock.advance(5);
    let a = poll(&app, "ward-tablet", device_code).await;
    assert_eq!(error(&a), (400, Some("invalid_grant")));

    // The tablet's session is the clinician's: userinfo answers with the person.
    let u: Value = reqwest::Client::new()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["login_id"], LOGIN_ID);
    assert_eq!(app.audit("device.approved").await.len(), 1);
    let issued = app.audit("token.issued").await;
    assert!(issued
        .iter()
        .any(|e| e.detail.as_deref() == Some("device_code")));

    // Discovery tells relying parties where to start.
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        d["device_authorization_endpoint"],
        format!("{}/device_authorization", app.base)
    );
    assert!(d["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&GRANT.into()));
}

#[tokio::test]
async fn a_refused_device_an_expired_code_and_foreign_requests_are_told_so() {
    let app = spawn_app().await;
    app.add_clinician().await;
    tablet(&app, "ward-tablet", |_| {}).await;
    tablet(&app, "other-tablet", |_| {}).await;
    app.add_client("viewer").await;

    // The clinician denies: the device is told access_denied.
    let d = start(&app, "ward-tablet", "openid").await;
    let b = Browser::new();
    let url = format!("{}/device", app.base);
    let confirm = sign_in_and_type(
        &app,
        &b,
        &url,
        LOGIN_ID,
        PASSWORD,
        d["user_code"].as_str().unwrap(),
    )
    .await;
    let r = decide(&app, &b, &confirm, false).await;
    assert!(r.body.contains("The device is not signed in"), "{}", r.body);
    let device_code = d["device_code"].as_str().unwrap();
    assert_eq!(
        error(&poll(&app, "ward-tablet", device_code).await),
        (400, Some("access_denied"))
    );

    // A code left alone expires: the device is told so, and the code no longer opens a page.
    let d = start(&app, "ward-tablet", "openid").await;
    let device_code = d["device_code"].as_str().unwrap();
    app.clock.advance(601);
    assert_eq!(
        error(&poll(&app, "ward-tablet", device_code).await),
        (400, Some("expired_token"))
    );
    let form = b.get(&url).await;
    let csrf = form.hidden("csrf").unwrap();
    let late = b
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("user_code", d["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(late.status, 400);
    assert!(late.field_error("user_code").is_some(), "{}", late.body);

    // Another client's device code, or one never issued: invalid_grant.
    let d = start(&app, "ward-tablet", "openid").await;
    let device_code = d["device_code"].as_str().unwrap();
    assert_eq!(
        error(&poll(&app, "other-tablet", device_code).await),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        error(&poll(&app, "ward-tablet", "made-up-device-code").await),
        (400, Some("invalid_grant"))
    );

    // A client not registered for the grant may not start one, nor poll; a confidential one
    // must authenticate; openid is required.
    let (status, body) = post(
        &app,
        "/device_authorization",
        &[
            ("client_id", "viewer"),
            ("client_secret", "viewer-secret"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (status, body) = post(
        &app,
        "/device_authorization",
        &[("client_id", "viewer"), ("scope", "openid")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = post(
        &app,
        "/device_authorization",
        &[("client_id", "ward-tablet"), ("scope", "profile")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn the_gate_and_the_step_up_hold_for_a_device_sign_in() {
    let app = spawn_app().await;
    let enrolled = app.add_clinician().await;
    app.add_unenrolled_user("Not.Enrolled@ONEID.ON.CA", "Not-Enrolled-77")
        .await;
    tablet(&app, "ward-tablet", |_| {}).await;
    tablet(&app, "icu-tablet", |n| n.require_mfa = true).await;

    // Someone not enrolled in the tablet's service: the gate's page, and the way back from it
    // tells the device no.
    let d = start(&app, "ward-tablet", "openid").await;
    let b = Browser::new();
    let url = format!("{}/device", app.base);
    let confirm = sign_in_and_type(
        &app,
        &b,
        &url,
        "Not.Enrolled@ONEID.ON.CA",
        "Not-Enrolled-77",
        d["user_code"].as_str().unwrap(),
    )
    .await;
    let gate = decide(&app, &b, &confirm, true).await;
    assert_eq!(gate.status, 403, "{}", gate.body);
    let back = gate
        .link("Return to Viewer ward-tablet")
        .expect("a way back");
    let r = b.get(&back).await;
    assert!(r.body.contains("The device is not signed in"), "{}", r.body);
    assert_eq!(
        error(&poll(&app, "ward-tablet", d["device_code"].as_str().unwrap()).await),
        (400, Some("access_denied"))
    );

    // A tablet whose sign-ins need a second factor: the step-up comes first, and only then
    // the device is approved, with an acr saying so.
    let secret = app.give_totp(&enrolled).await;
    let d = start(&app, "icu-tablet", "openid").await;
    let device_code = d["device_code"].as_str().unwrap();
    let b = Browser::new();
    let confirm = sign_in_and_type(
        &app,
        &b,
        &url,
        LOGIN_ID,
        PASSWORD,
        d["user_code"].as_str().unwrap(),
    )
    .await;
    let stepup = decide(&app, &b, &confirm, true).await;
    assert!(stepup.hidden("t").is_some(), "a step-up: {}", stepup.body);
    assert_eq!(
        error(&poll(&app, "icu-tablet", device_code).await),
        (400, Some("authorization_pending"))
    );
    let r = app.step_up_totp(&b, &stepup, &secret).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = b.get(r.location().unwrap()).await;
    assert!(
        done.body.contains("The device is signed in"),
        "{}",
        done.body
    );
    app.clock.advance(5);
    let (status, tokens) = poll(&app, "icu-tablet", device_code).await;
    assert_eq!(status, 200, "{tokens}");
    let idt = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(idt["acr"].as_str().unwrap().ends_with(":mfa"), "{idt}");
}

#[tokio::test]
async fn guessing_user_codes_is_throttled_per_account_in_a_parallel_burst() {
    let app = spawn_app().await;
    app.add_clinician().await;
    tablet(&app, "ward-tablet", |_| {}).await;
    let d = start(&app, "ward-tablet", "openid").await;
    let b = Browser::new();
    let url = format!("{}/device", app.base);
    // Signed in, one wrong code typed.
    let first = sign_in_and_type(&app, &b, &url, LOGIN_ID, PASSWORD, "BBBB-BBBB").await;
    assert_eq!(first.status, 400);
    let csrf = first.hidden("csrf").unwrap();
    // Twenty more guesses at once: the account's 10 attempts per window hold exactly.
    // Each a code of the right form that names no request; sent as an attacker would, all
    // released at the same moment.
    let guesses: Vec<String> = (0..20)
        .map(|i| {
            let l = b"BCDFGHJKLMNPQRSTVWXZ"[i] as char;
            format!("CCCC-CCC{l}")
        })
        .collect();
    let held = guesses
        .iter()
        .map(|g| oneid_tests::burst::Held::post(&b, &url, &[("csrf", &csrf), ("user_code", g)]))
        .collect();
    let answers: Vec<u16> = oneid_tests::burst::release_together(held)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    let wrong = answers.iter().filter(|s| **s == 400).count();
    let limited = answers.iter().filter(|s| **s == 429).count();
    assert_eq!((wrong, limited), (9, 11), "{answers:?}");
    // Now even the right code is refused until the window ends.
    let right = b
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("user_code", d["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(right.status, 429);
    assert!(!app.audit("device.code_limited").await.is_empty());
}

/// The person's side in Chromium, in French, at a phone's width: the link the tablet shows,
/// the French sign-in, the code filled in, the confirmation, the end; each page checked by
/// the page sweep (axe-core, nothing wider than the screen, the tab title, `<html lang>`).
#[tokio::test]
async fn the_device_pages_work_in_chromium_in_french_at_a_phones_width() {
    let app = spawn_app().await;
    app.add_clinician().await;
    tablet(&app, "ward-tablet", |_| {}).await;
    let d = start(&app, "ward-tablet", "openid").await;
    let user_code = d["user_code"].as_str().unwrap().to_owned();
    let mut sweep = crate::page_sweep::Sweep::start(&app.base).await;
    let chrome = &sweep.chrome;
    chrome.set_window_size(390, 844).await;
    chrome
        .goto(&format!(
            "{}&ui_locales=fr",
            d["verification_uri_complete"].as_str().unwrap()
        ))
        .await;
    chrome.wait_for("#login_id").await;
    assert!(chrome.source().await.contains("Connexion d’un appareil"));
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("button[type=submit]").await;
    chrome.wait_for("#user_code").await;
    let typed = chrome
        .eval("return document.getElementById('user_code').value;")
        .await;
    assert_eq!(typed.as_str(), Some(user_code.as_str()), "filled in");
    assert!(chrome
        .source()
        .await
        .contains("Code affiché sur l’appareil"));
    sweep
        .check("device code (fr, phone)", "fr", "device-code-fr-phone")
        .await;

    let chrome = &sweep.chrome;
    chrome.click("#device button[type=submit]").await;
    chrome.wait_for("#confirm").await;
    let page = chrome.source().await;
    assert!(
        page.contains("Connecter cet appareil"),
        "French confirmation"
    );
    assert!(page.contains("Viewer ward-tablet") && page.contains(&user_code));
    sweep
        .check(
            "device confirmation (fr, phone)",
            "fr",
            "device-confirm-fr-phone",
        )
        .await;

    let chrome = &sweep.chrome;
    chrome.click("#confirm .buttons button[name=allow]").await;
    chrome.wait_for_text("h1", "L’appareil est connecté").await;
    sweep
        .check("device done (fr, phone)", "fr", "device-done-fr-phone")
        .await;
    sweep.finish().await;

    let (status, tokens) = poll(&app, "ward-tablet", d["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
}

/// A relying-party library drives the device side: the openidconnect crate asks for the
/// codes, polls (told `authorization_pending` while the clinician signs in and allows it in a
/// browser), and verifies the ID token it finally gets against the provider's keys. Its pauses
/// between polls move the injected clock by the interval the provider asked for.
#[tokio::test]
async fn the_openidconnect_crate_runs_the_device_flow_against_us() {
    use openidconnect::core::{CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata};
    use openidconnect::{ClientId, DeviceAuthorizationUrl, IssuerUrl, Nonce, Scope};
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    tablet(&app, "ward-tablet", |_| {}).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client =
        CoreClient::from_provider_metadata(meta, ClientId::new("ward-tablet".into()), None)
            .set_device_authorization_url(
                DeviceAuthorizationUrl::new(format!("{}/device_authorization", app.base)).unwrap(),
            );
    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("profile".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(details.interval().as_secs(), 5);
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    // The tablet polls while the clinician is on the way.
    let poller = {
        let (client, details, http, clock, polls) = (
            client.clone(),
            details.clone(),
            http.clone(),
            app.clock.clone(),
            polls.clone(),
        );
        tokio::spawn(async move {
            let sleep = |d: std::time::Duration| {
                clock.advance(d.as_secs() as i64);
                polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(20))
            };
            client
                .exchange_device_access_token(&details)
                .unwrap()
                .request_async(&http, sleep, None)
                .await
        })
    };
    let b = Browser::new();
    let confirm = sign_in_and_type(
        &app,
        &b,
        &format!("{}/device", app.base),
        LOGIN_ID,
        PASSWORD,
        details.user_code().secret(),
    )
    .await;
    let r = decide(&app, &b, &confirm, true).await;
    let done = b.get(r.location().unwrap()).await;
    assert!(done.body.contains("The device is signed in"));
    let tokens = poller.await.unwrap().expect("the library gets the tokens");
    assert!(
        polls.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "it was told to wait at least once"
    );
    use openidconnect::TokenResponse as _;
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("the ID token verifies with the published keys");
    assert_eq!(claims.subject().as_str(), account);
}
