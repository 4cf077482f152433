//! SAML in headless Chromium with the service providers on another site than the IdP: the SPs
//! are served as `http://localhost:PORT` while the IdP is `http://127.0.0.1:PORT`, two sites
//! to a browser, so the IdP's `SameSite=Lax` session cookie does not come with their
//! cross-site POSTs. HTTP-POST binding SSO (IsPassive too) still finds the session, and
//! HTTP-POST binding logout really ends it; logout reaches the other SPs (Redirect-binding
//! and POST-only) through the hidden frames, whether it starts at an OpenID Connect viewer or
//! at a SAML SP, and the frames' answers come back to the IdP (the page's CSP allows them).

use oneid::viewers::{serve, Viewer};
use oneid_tests::saml::PySp;
use oneid_tests::webdriver::Browser as Chromium;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};

/// Signs in at the ONE ID login page the browser is on (waits for it).
async fn log_in(browser: &Chromium) {
    browser.wait_for("#login_id").await;
    browser.type_into("#login_id", LOGIN_ID).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
}

/// The facts the SP page shows, once it shows them.
async fn result(browser: &Chromium, sp: &PySp) -> serde_json::Value {
    browser.wait_for("#result").await;
    let url = browser.url().await;
    assert!(url.starts_with(&sp.base), "at the SP: {url}\n{}", sp.log());
    serde_json::from_str(&browser.text("#result").await).unwrap()
}

#[tokio::test]
async fn post_binding_sso_and_logout_from_another_site_use_the_session_in_chromium() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(&app, &["--host", "localhost"]).await;
    assert!(sp.base.starts_with("http://localhost:"), "{}", sp.base);
    sp.register(&app, |n| n.name = Some("Lab Results (SAML)".into()))
        .await;
    let browser = Chromium::start().await;

    // First sign-in (HTTP-Redirect): the login page.
    browser.goto(&format!("{}/login", sp.base)).await;
    log_in(&browser).await;
    let first = result(&browser, &sp).await;

    // HTTP-POST binding from the SP's site: the session is found, no login page.
    browser
        .goto(&format!("{}/login?binding=post", sp.base))
        .await;
    browser.click("#go").await;
    let again = result(&browser, &sp).await;
    assert_eq!(again["session_index"], first["session_index"]);
    // IsPassive by HTTP-POST: answered from the session (not NoPassive).
    browser
        .goto(&format!("{}/login?binding=post&passive=1", sp.base))
        .await;
    browser.click("#go").await;
    let passive = result(&browser, &sp).await;
    assert_eq!(passive["session_index"], first["session_index"]);
    assert_eq!(app.audit("saml.assertion_issued").await.len(), 3);

    // Logout by HTTP-POST from the SP's site: the session really ends.
    browser
        .goto(&format!("{}/logout?binding=post", sp.base))
        .await;
    browser.wait_for("#slo-done").await;
    assert!(browser.text("#slo-status").await.ends_with(":Success"));
    let logout = app.audit("logout").await;
    assert_eq!(logout.len(), 1, "the IdP session ended");
    assert_eq!(logout[0].detail.as_deref(), Some("saml"));
    browser.goto(&format!("{}/login", sp.base)).await;
    browser.wait_for("#login_id").await;
    browser.quit().await;
}

/// An OIDC viewer at 127.0.0.1 (same site as the IdP), with back-channel logout.
async fn viewer(
    app: &TestApp,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vbase = format!("http://{}", listener.local_addr().unwrap());
    app.add_client_with("connectingontario", |n| {
        n.name = "ConnectingOntario ClinicalViewer".into();
        n.redirect_uris = vec![format!("{vbase}/callback")];
        n.post_logout_redirect_uris = vec![format!("{vbase}/")];
        n.backchannel_logout_uri = Some(format!("{vbase}/backchannel-logout"));
    })
    .await;
    let v = Viewer {
        client_id: "connectingontario".into(),
        secret: "connectingontario-secret".into(),
        name: "ConnectingOntario ClinicalViewer".into(),
        theme: "co",
        base: vbase.clone(),
        launch: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(serve(app.base.clone(), vec![(v, listener)], async {
        let _ = stopped.await;
    }));
    (vbase, stop, handle)
}

/// Signs in to `sp` in the browser (by SSO, or at the login page when `login`).
async fn into(browser: &Chromium, sp: &PySp, login: bool) {
    browser.goto(&format!("{}/login", sp.base)).await;
    if login {
        log_in(browser).await;
    }
    result(browser, sp).await;
    let s = sp.newest_session().await.unwrap();
    assert_eq!(s["logged_out"], false, "{s}");
}

/// Waits until the IdP has noted `n` LogoutResponses in all: the SPs' answers came back
/// into the frames.
async fn answers(app: &TestApp, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = app.audit("saml.logout_response").await;
        if got.len() >= n {
            assert_eq!(got.len(), n);
            assert!(got.iter().all(|a| a.detail.as_deref() == Some("success")));
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {n} LogoutResponses came back",
            got.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn logout_reaches_redirect_and_post_only_sps_from_a_viewer_or_an_sp_in_chromium() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let (vbase, stop, viewers) = viewer(&app).await;
    let redirect = PySp::start(&app, &["--host", "localhost", "--name", "Redirect SP"]).await;
    redirect.register(&app, |_| {}).await;
    let post_only = PySp::start(
        &app,
        &[
            "--host",
            "localhost",
            "--name",
            "POST-only SP",
            "--slo-binding",
            "post",
        ],
    )
    .await;
    post_only.register(&app, |_| {}).await;
    let browser = Chromium::start().await;

    // 1. From the OIDC viewer: both SAML SPs hear it in frames of the signed-out page.
    browser.goto(&format!("{vbase}/")).await;
    browser.click("#login").await;
    log_in(&browser).await;
    browser.wait_for("#signed-in").await;
    into(&browser, &redirect, false).await;
    into(&browser, &post_only, false).await;
    browser.goto(&format!("{vbase}/")).await;
    browser.click("#logout").await;
    redirect.wait_logged_out_by_idp().await;
    post_only.wait_logged_out_by_idp().await;
    answers(&app, 2).await;
    // Then on to the viewer, signed out.
    browser.wait_for("#signed-out").await;
    assert!(browser.url().await.starts_with(&vbase));

    // 2. From the Redirect-binding SP: the POST-only SP hears it (our frame page posts to it).
    into(&browser, &redirect, true).await;
    into(&browser, &post_only, false).await;
    browser.goto(&format!("{}/logout", redirect.base)).await;
    post_only.wait_logged_out_by_idp().await;
    answers(&app, 3).await;
    browser.wait_for("#slo-done").await;
    assert!(browser.url().await.starts_with(&redirect.base));
    assert!(browser.text("#slo-status").await.ends_with(":Success"));

    // 3. From the POST-only SP, by HTTP-POST (answered by an HTTP-POST page that waits for
    //    the frames): the Redirect-binding SP and another POST-only SP hear it.
    let other = PySp::start(
        &app,
        &[
            "--host",
            "localhost",
            "--name",
            "Second POST-only SP",
            "--slo-binding",
            "post",
        ],
    )
    .await;
    other.register(&app, |_| {}).await;
    into(&browser, &post_only, true).await;
    into(&browser, &redirect, false).await;
    into(&browser, &other, false).await;
    browser
        .goto(&format!("{}/logout?binding=post", post_only.base))
        .await;
    browser.wait_for("#slo-done").await;
    assert!(browser.url().await.starts_with(&post_only.base));
    assert!(browser.text("#slo-status").await.ends_with(":Success"));
    redirect.wait_logged_out_by_idp().await;
    other.wait_logged_out_by_idp().await;
    answers(&app, 5).await;
    assert_eq!(app.audit("logout").await.len(), 3);

    browser.quit().await;
    let _ = stop.send(());
    viewers.await.unwrap();
}
