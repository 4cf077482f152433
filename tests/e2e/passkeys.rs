//! Passkeys in real Chromium, with WebDriver's virtual authenticator (the W3C WebAuthn
//! extension), on the backend the environment selects: enrol on My Profile, step up, sign in
//! without a password, remove; a cloned authenticator refused; another origin's passkey
//! useless; the desk removing a lost one; in English and in French.

use oneid_tests::rp::{Rp, Started};
use oneid_tests::webdriver::Browser as Chrome;
use oneid_tests::{spawn_localhost_with, TestApp, LOGIN_ID, PASSWORD};

/// A node served under `localhost` (a WebAuthn relying party) with `adjust` applied.
async fn app() -> TestApp {
    spawn_localhost_with(|_| {}).await
}

/// Signs in with the password on the login page now open.
async fn password_sign_in(chrome: &Chrome) {
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("form#login button[type=submit]").await;
}

/// Opens My Profile's passkeys (signing in with the password) and adds one named `name`.
async fn enrol(app: &TestApp, chrome: &Chrome, name: &str, lang: &str) {
    chrome
        .goto(&format!("{}/account/passkeys?ui_locales={lang}", app.base))
        .await;
    password_sign_in(chrome).await;
    chrome.wait_for("form#add").await;
    chrome.type_into("form#add #name", name).await;
    chrome.click("form#add button[type=submit]").await;
}

#[tokio::test]
async fn a_clinician_adds_a_passkey_on_my_profile_and_removes_it() {
    let app = app().await;
    let id = app.add_clinician().await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Work laptop", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    // Stored for this account, with the authenticator's own credential, and audited.
    let stored = app.provider.accounts.passkeys(&id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Work laptop");
    let held = chrome.virtual_credentials(&authenticator).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        held[0]["credentialId"].as_str(),
        Some(stored[0].credential_id.as_str())
    );
    // Discoverable, so it can sign in without a login ID.
    assert_eq!(held[0]["isResidentCredential"], true, "{held:?}");
    let added = app.audit("passkey.added").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].subject.as_deref(), Some(id.as_str()));
    // The list shows it, with a button that removes it.
    let page = chrome.source().await;
    assert!(page.contains("Work laptop"), "{page}");
    chrome
        .click(&format!("form#remove-{} button[type=submit]", stored[0].id))
        .await;
    chrome
        .wait_for_text(".notice", "The passkey is removed")
        .await;
    assert!(app
        .provider
        .accounts
        .passkeys(&id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(app.audit("passkey.removed").await.len(), 1);
    chrome.quit().await;
}

/// Waits (10 s) until the browser is sent to the relying party's callback; its code.
async fn code_at_callback(chrome: &Chrome, rp: &Rp, started: &Started) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = chrome.url().await;
        if url.starts_with(&rp.cfg.redirect_uri) {
            let q: std::collections::HashMap<String, String> = url::Url::parse(&url)
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
            assert_eq!(q.get("state"), Some(&started.state));
            return q
                .get("code")
                .cloned()
                .unwrap_or_else(|| panic!("no code: {url}"));
        }
        if std::time::Instant::now() > deadline {
            panic!("not at the callback: {url}\n{}", chrome.source().await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Signs out of the provider in the browser (its cookies gone).
async fn sign_out(app: &TestApp, chrome: &Chrome) {
    chrome.goto(&format!("{}/", app.base)).await;
    chrome.delete_cookies().await;
}

#[tokio::test]
async fn a_clinician_signs_in_with_a_passkey_alone_and_the_relying_party_sees_two_factors() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Phone", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    let held = chrome.virtual_credentials(&authenticator).await;
    sign_out(&app, &chrome).await;
    // The button: the authenticator is empty while the page loads (so the autofill offer,
    // which the virtual authenticator would otherwise accept at once, finds nothing), then
    // the passkey is back and "Sign in with a passkey" is pressed. No login ID, no password.
    chrome.clear_virtual_credentials(&authenticator).await;
    let started = rp.start(&["openid", "profile"], &[]);
    chrome.goto(&started.url).await;
    chrome.wait_for("form#passkey-signin").await;
    assert!(!chrome.url().await.starts_with(&rp.cfg.redirect_uri));
    chrome
        .add_virtual_credential(&authenticator, held[0].clone())
        .await;
    chrome
        .click("form#passkey-signin button[type=submit]")
        .await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    let amr: Vec<String> = serde_json::from_value(tokens.raw["amr"].clone()).unwrap();
    // A device-bound passkey (the virtual authenticator backs nothing up), verified: two
    // factors, and no password among them.
    assert_eq!(amr, ["hwk", "user", "mfa"], "{}", tokens.raw);
    assert!(
        tokens.raw["acr"].as_str().unwrap().ends_with(":mfa"),
        "{}",
        tokens.raw
    );
    let used = app.provider.accounts.passkeys(&id).await.unwrap();
    assert!(
        used[0].last_used_at.is_some() && used[0].counter >= 1,
        "{used:?}"
    );
    let audited = app.audit("passkey.used").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].subject.as_deref(), Some(id.as_str()));

    // Autofill: the login ID field offers the passkey (conditional mediation); accepted, the
    // sign-in completes without a button.
    sign_out(&app, &chrome).await;
    let started = rp.start(&["openid", "profile"], &[]);
    chrome.goto(&started.url).await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    assert_eq!(tokens.raw["amr"], serde_json::json!(["hwk", "user", "mfa"]));
    assert_eq!(app.audit("passkey.used").await.len(), 2);
    chrome.quit().await;
}

#[tokio::test]
async fn the_login_page_offers_passkeys_in_the_login_id_field_and_a_button_in_french() {
    let app = app().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let started = rp.start(&["openid"], &[("ui_locales", "fr")]);
    let b = oneid_tests::browser::Browser::new();
    let page = b.get(&started.url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let body = page.body;
    assert!(
        body.contains("autocomplete=\"username webauthn\""),
        "{body}"
    );
    assert!(body.contains("Se connecter avec une clé d’accès"), "{body}");
    assert!(
        body.contains("data-passkey=\"get\" data-autofill"),
        "{body}"
    );
    // A server on an address cannot offer passkeys (no relying party ID): no button.
    let plain = oneid_tests::spawn_app().await;
    let rp = Rp::discover(&plain.add_client("connectingontario").await).await;
    let page = b.get(&rp.start(&["openid"], &[]).url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let body = page.body;
    assert!(body.contains("id=\"login\""), "{body}");
    assert!(
        !body.contains("passkey-signin") && !body.contains("webauthn"),
        "{body}"
    );
}

#[tokio::test]
async fn a_relying_party_that_wants_two_factors_gets_a_passkey_offered_first_after_the_password() {
    let app = app().await;
    let id = app.add_clinician().await;
    // A phone too: the passkey is offered first all the same.
    app.provider
        .accounts
        .set_challenge_phones(
            &id,
            &[("+14165550199".into(), credential_store::PhoneKind::Mobile)],
            false,
        )
        .await
        .unwrap();
    let rp = Rp::discover(
        &app.add_client_with("otn-hub", |n| n.require_mfa = true)
            .await,
    )
    .await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Security key", "fr").await;
    chrome
        .wait_for_text(".notice", "La clé d’accès est ajoutée")
        .await;
    let held = chrome.virtual_credentials(&authenticator).await;
    sign_out(&app, &chrome).await;
    // The password first (the authenticator empty while the login page loads, so that its
    // autofill offer does not sign in by itself).
    chrome.clear_virtual_credentials(&authenticator).await;
    let started = rp.start(&["openid"], &[("ui_locales", "fr")]);
    chrome.goto(&started.url).await;
    chrome.wait_for("form#passkey-signin").await;
    chrome
        .add_virtual_credential(&authenticator, held[0].clone())
        .await;
    password_sign_in(&chrome).await;
    // The step-up page: the passkey first and chosen, in French.
    chrome.wait_for("form#choose").await;
    let first = chrome
        .eval("return document.querySelector('input[name=method]').value;")
        .await;
    assert_eq!(first, "passkey");
    assert_eq!(
        chrome
            .eval("return document.querySelector('input[name=method]:checked').value;")
            .await,
        "passkey"
    );
    assert!(chrome.source().await.contains("Utiliser ma clé d’accès"));
    chrome.click("form#choose button[type=submit]").await;
    chrome.wait_for("form#verify[data-passkey=get]").await;
    chrome.click("form#verify button[type=submit]").await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    assert_eq!(
        tokens.raw["amr"],
        serde_json::json!(["pwd", "hwk", "user", "mfa"]),
        "{}",
        tokens.raw
    );
    assert!(tokens.raw["acr"].as_str().unwrap().ends_with(":mfa"));
    let ok = app.audit("stepup.success").await;
    assert_eq!(ok.len(), 1);
    assert_eq!(app.audit("passkey.used").await.len(), 1);
    chrome.quit().await;
}

#[tokio::test]
async fn a_step_up_without_an_answer_from_the_browser_asks_again_and_counts_nothing() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(
        &app.add_client_with("otn-hub", |n| n.require_mfa = true)
            .await,
    )
    .await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Laptop", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    sign_out(&app, &chrome).await;
    // The passkey is gone from the browser (another computer): the step-up cannot be met
    // with it, and says so.
    chrome.clear_virtual_credentials(&authenticator).await;
    let started = rp.start(&["openid"], &[]);
    chrome.goto(&started.url).await;
    password_sign_in(&chrome).await;
    chrome.click("form#choose button[type=submit]").await;
    chrome
        .click("form#verify[data-passkey=get] button[type=submit]")
        .await;
    chrome
        .wait_for_text(
            "#error-summary",
            "Your browser did not create or use a passkey",
        )
        .await;
    // Back to the choice, nothing counted against the account.
    assert!(chrome.has("form#choose").await);
    assert!(app.audit("stepup.failure").await.is_empty());
    assert!(app.audit("stepup.success").await.is_empty());
    let _ = id;
    chrome.quit().await;
}
