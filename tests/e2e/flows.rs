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
