//! The demo clinical viewers in a real browser (headless Chromium through chromedriver):
//! sign in at one viewer, reach the second without a login page, log out there, and find
//! the first signed out too (back-channel logout) and that signing in again asks for the
//! password. Screenshots go to target/screenshots/.

use oneid::viewers::{serve, Viewer};
use oneid_tests::webdriver::Browser;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use std::path::PathBuf;

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
}

async fn viewer(
    app: &TestApp,
    id: &str,
    name: &str,
    theme: &'static str,
) -> (Viewer, tokio::net::TcpListener) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    app.add_client_with(id, |n| {
        n.name = name.into();
        n.redirect_uris = vec![format!("{base}/callback")];
        n.post_logout_redirect_uris = vec![format!("{base}/")];
        n.backchannel_logout_uri = Some(format!("{base}/backchannel-logout"));
    })
    .await;
    (
        Viewer {
            client_id: id.into(),
            secret: format!("{id}-secret"),
            name: name.into(),
            theme,
            base,
            launch: None,
        },
        listener,
    )
}

#[tokio::test]
async fn a_clinician_signs_in_once_and_moves_between_viewers_in_a_real_browser() {
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    // A CPSO member: the viewers show the designation the `clinician` scope releases.
    app.add_designation(&clinician, "CPSO", "98765").await;
    let v1 = viewer(
        &app,
        "connectingontario",
        "ConnectingOntario ClinicalViewer",
        "co",
    )
    .await;
    let v2 = viewer(&app, "clinicalconnect", "ClinicalConnect", "cc").await;
    let (b1, b2) = (v1.0.base.clone(), v2.0.base.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let viewers = tokio::spawn(serve(app.base.clone(), vec![v1, v2], async {
        let _ = stopped.await;
    }));
    let browser = Browser::start().await;

    // Viewer 1: no session anywhere, so its sign-in page, then the ONE ID login page.
    browser.goto(&format!("{b1}/")).await;
    browser.wait_for("#signed-out").await;
    browser.click("#login").await;
    browser.wait_for("#login_id").await;
    assert!(
        browser.url().await.starts_with(&app.base),
        "on the ONE ID login page"
    );
    browser.screenshot(&shots().join("1-login.png")).await;
    browser.type_into("#login_id", LOGIN_ID).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("#signed-in").await;
    assert!(browser.url().await.starts_with(&b1));
    assert_eq!(browser.text("#login-id").await, LOGIN_ID);
    assert_eq!(browser.text("#acr").await, "urn:oneid:loa:1");
    assert_eq!(browser.text("#amr").await, "pwd");
    assert_eq!(browser.text("#designation").await, "CPSO 98765");
    let sid = browser.text("#sid").await;
    browser.screenshot(&shots().join("2-viewer-1.png")).await;

    // Viewer 2, through the link on viewer 1: signed in without any login page.
    browser.click("a.other").await;
    browser.wait_for("#signed-in").await;
    assert!(
        browser.url().await.starts_with(&b2),
        "on viewer 2: {}",
        browser.url().await
    );
    assert_eq!(browser.text("#sid").await, sid, "the same ONE ID session");
    assert!(browser.source().await.contains("ClinicalConnect"));
    browser.screenshot(&shots().join("3-viewer-2.png")).await;

    // Log out at viewer 2: back on its sign-in page, ONE ID session over.
    browser.click("#logout").await;
    browser.wait_for("#signed-out").await;
    assert!(browser.url().await.starts_with(&b2));
    browser.screenshot(&shots().join("4-signed-out.png")).await;

    // Viewer 1 was told through the back channel: its own session is over too, so it shows
    // its sign-in page, and signing in again asks for the password.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.audit("logout.backchannel").await.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "back-channel logout");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(app
        .audit("logout.backchannel")
        .await
        .iter()
        .all(|r| r.detail.as_deref() == Some("delivered")));
    browser.goto(&format!("{b1}/")).await;
    browser.wait_for("#signed-out").await;
    assert!(browser.url().await.starts_with(&b1));
    browser.click("#login").await;
    browser.wait_for("#login_id").await;
    assert!(browser.url().await.starts_with(&app.base));

    browser.quit().await;
    let _ = stop.send(());
    viewers.await.unwrap();
    assert_eq!(app.audit("logout").await.len(), 1);
}

#[tokio::test]
async fn a_clinician_looks_after_the_account_in_a_real_browser_in_both_languages() {
    let app = spawn_app().await;
    app.add_clinician().await;
    // A year on, the password has expired.
    app.clock.advance(366 * 86_400);
    let browser = Browser::start().await;

    // My Profile in French: the French sign-in page, then the forced change, in French.
    browser
        .goto(&format!("{}/account?ui_locales=fr", app.base))
        .await;
    browser.wait_for("#login_id").await;
    assert!(browser.source().await.contains("Ouverture de session"));
    browser.type_into("#login_id", LOGIN_ID).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("#new_password").await;
    let page = browser.source().await;
    assert!(
        page.contains("Votre mot de passe est expiré"),
        "forced change in French"
    );
    assert!(
        page.contains("Au moins 8 caractères"),
        "the rules, in French"
    );
    browser
        .screenshot(&shots().join("account-1-expired-fr.png"))
        .await;
    // Two different passwords: the message beside the field, in French.
    browser.type_into("#new_password", "Night-Shift-2027").await;
    browser
        .type_into("#confirm_password", "Night-Shift-2028")
        .await;
    browser.click("#password button[type=submit]").await;
    assert_eq!(
        text_of(&browser, "#confirm_password-error").await,
        "Les deux nouveaux mots de passe ne sont pas identiques."
    );
    browser.type_into("#new_password", "Night-Shift-2027").await;
    browser
        .type_into("#confirm_password", "Night-Shift-2027")
        .await;
    browser.click("#password button[type=submit]").await;

    // Back on My Profile, still in French (the language chosen holds for the visit, over
    // the account's English); switch to English, then back to French.
    browser.wait_for("#profile").await;
    assert!(browser.source().await.contains("Mon profil"));
    browser.click("a.lang").await;
    browser.wait_for("#profile").await;
    assert!(browser.source().await.contains("My profile"));
    assert!(browser.source().await.contains(LOGIN_ID));
    browser
        .screenshot(&shots().join("account-2-profile-en.png"))
        .await;
    browser.click("a.lang").await;
    browser.wait_for("#profile").await;
    assert!(browser.source().await.contains("Mon profil"));
    browser.clear("#email").await;
    browser.type_into("#email", "pas-un-courriel").await;
    browser.click("#profile button[type=submit]").await;
    assert_eq!(
        text_of(&browser, "#email-error").await,
        "Entrez une adresse courriel comme nom@exemple.org."
    );
    browser
        .screenshot(&shots().join("account-3-profile-error-fr.png"))
        .await;
    browser.clear("#email").await;
    browser.type_into("#email", "randy@example.org").await;
    browser.click("#profile button[type=submit]").await;
    assert_eq!(
        text_of(&browser, "#notice p").await,
        "Vos modifications sont enregistrées."
    );

    // Change password, in English: a wrong current password, then the right one.
    browser
        .goto(&format!("{}/account/password?ui_locales=en", app.base))
        .await;
    browser.wait_for("#current_password").await;
    browser
        .type_into("#current_password", "Not-Mine-2020")
        .await;
    browser.type_into("#new_password", "Day-Shift-2028").await;
    browser
        .type_into("#confirm_password", "Day-Shift-2028")
        .await;
    browser.click("#password button[type=submit]").await;
    assert_eq!(
        text_of(&browser, "#current_password-error").await,
        "The current password is incorrect."
    );
    browser
        .type_into("#current_password", "Night-Shift-2027")
        .await;
    browser.type_into("#new_password", "Day-Shift-2028").await;
    browser
        .type_into("#confirm_password", "Day-Shift-2028")
        .await;
    browser.click("#password button[type=submit]").await;
    assert_eq!(
        text_of(&browser, "#notice p").await,
        "Your password is changed."
    );
    browser
        .screenshot(&shots().join("account-4-password-en.png"))
        .await;
    browser.quit().await;
    app.provider
        .accounts
        .authenticate(LOGIN_ID, "Day-Shift-2028")
        .await
        .unwrap();
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser.wait_for(css).await;
    browser.text(css).await
}

/// A signing key rotation does not break a viewer: its second sign-in, with an ID token signed
/// by a key published after it read the JWKS, verifies (it reads the JWKS again), as a
/// relying party must when the administrators rotate.
#[tokio::test]
async fn a_viewer_keeps_signing_people_in_across_a_signing_key_rotation() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let v1 = viewer(&app, "connectingontario", "ConnectingOntario", "co").await;
    let base = v1.0.base.clone();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(app.base.clone(), vec![v1], async {
        let _ = stopped.await;
    }));
    let browser = Browser::start().await;
    let sign_in = || async {
        browser.goto(&format!("{base}/")).await;
        browser.wait_for("#signed-out").await;
        browser.click("#login").await;
        browser.wait_for("#login_id").await;
        browser.type_into("#login_id", LOGIN_ID).await;
        browser.type_into("#password", PASSWORD).await;
        browser.click("button[type=submit]").await;
        let found = ["#signed-in", "#error"];
        for _ in 0..100 {
            for f in found {
                if browser.has(f).await {
                    return browser.text(f).await;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("neither signed in nor an error: {}", browser.source().await);
    };
    let first = sign_in().await;
    assert!(first.starts_with("Signed in"), "{first}");
    browser.click("#logout").await;
    browser.wait_for("#signed-out").await;
    // The ID token key changes at once (an emergency rotation).
    app.provider
        .keys
        .rotate(authorization_server::SigAlg::RS256, true, "test")
        .await
        .unwrap();
    let second = sign_in().await;
    assert!(
        second.starts_with("Signed in"),
        "after the rotation: {second}"
    );
    browser.quit().await;
}
