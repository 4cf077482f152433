//! The demo clinical viewers in a real browser (headless Chromium through chromedriver):
//! sign in at one viewer, reach the second without a login page, log out there, and find
//! that signing in again asks for the password. Screenshots go to target/screenshots/.

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
    })
    .await;
    (
        Viewer {
            client_id: id.into(),
            secret: format!("{id}-secret"),
            name: name.into(),
            theme,
            base,
        },
        listener,
    )
}

#[tokio::test]
async fn a_clinician_signs_in_once_and_moves_between_viewers_in_a_real_browser() {
    let app = spawn_app().await;
    app.add_clinician().await;
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

    // Signing in at viewer 1 again asks for the password (its own local session lives on
    // until back-channel logout exists).
    browser.goto(&format!("{b1}/login")).await;
    browser.wait_for("#login_id").await;
    assert!(browser.url().await.starts_with(&app.base));

    browser.quit().await;
    let _ = stop.send(());
    viewers.await.unwrap();
    assert_eq!(app.audit("logout").await.len(), 1);
}
