//! An account holder closes their own ONE ID account from My Profile (004 §5.7.2, §6.7.2):
//! only after a recent step-up and a confirmation; then sessions, refresh tokens, sponsorships
//! and enrolments end, the account cannot sign in, and nothing the audit needs is deleted.

use oneid_tests::api::http;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, TestApp};
use serde_json::Value;

const LOGIN_ID: &str = "Amara.Mensah@ONEID.ON.CA";
const PASSWORD: &str = "Night-Rounds-2026";

fn close_url(app: &TestApp) -> String {
    format!("{}/account/close", app.base)
}

/// Signs `b` in through the console's login (from `/account/close`); the page it then gets.
async fn signed_in(app: &TestApp, b: &Browser) -> Resp {
    let r = b.get(&close_url(app)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    b.get(&close_url(app)).await
}

async fn refresh(app: &TestApp, token: &str) -> (u16, Value) {
    let r = http()
        .post(format!("{}/token", app.base))
        .basic_auth("viewer", Some("viewer-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_person_closes_their_own_account_after_a_step_up_and_a_confirmation() {
    let app = spawn_app().await;
    let id = app.add_user(LOGIN_ID, PASSWORD).await;
    let secret = app.give_totp(&id).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    // Signed in at a relying party elsewhere, with a refresh token.
    let elsewhere = Browser::new();
    let tokens = rp.login(&elsewhere, LOGIN_ID, PASSWORD).await;
    let first = tokens.refresh_token().unwrap();
    let (status, body) = refresh(&app, &first).await;
    assert_eq!(status, 200, "{body}");
    // Rotated or not, the token the relying party holds now.
    let refresh_token = body["refresh_token"].as_str().map_or(first, str::to_owned);

    // My Profile offers it.
    let b = Browser::new();
    let ask = signed_in(&app, &b).await;
    let profile = b.get(&format!("{}/account", app.base)).await;
    assert!(
        profile
            .body
            .contains("href=\"/account/close?ui_locales=en\""),
        "{}",
        profile.body
    );
    // A password alone is not enough: the step-up comes first, and a post without it
    // closes nothing.
    assert!(ask.hidden("t").is_some(), "a step-up page: {}", ask.body);
    let csrf = ask.hidden("csrf").unwrap();
    let early = b
        .post_form(&close_url(&app), &[("csrf", &csrf), ("confirm", "on")])
        .await;
    assert!(
        early.hidden("t").is_some() && !early.body.contains("account is closed"),
        "the step-up again, nothing closed: {}",
        early.body
    );
    assert!(app.audit("account.closed").await.is_empty());
    let done = app.step_up_totp(&b, &early, &secret).await;
    assert_eq!(done.location(), Some("/account/close"), "{}", done.body);
    let page = b.get(&close_url(&app)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("cannot be undone"), "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();

    // Not confirmed: said beside the box, nothing changes.
    let unconfirmed = b.post_form(&close_url(&app), &[("csrf", &csrf)]).await;
    assert_eq!(unconfirmed.status, 400);
    assert_eq!(
        unconfirmed.field_error("confirm").as_deref(),
        Some("Tick the box to confirm that you want to close your account.")
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status.as_str(), "active");

    let closed = b
        .post_form(&close_url(&app), &[("csrf", &csrf), ("confirm", "on")])
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert!(closed.body.contains("Your ONE ID account is closed"));
    assert!(
        closed.headers["set-cookie"].contains("Max-Age=0"),
        "this browser is signed out: {:?}",
        closed.headers.get("set-cookie")
    );

    // Terminated, with everything it held.
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status.as_str(), "terminated", "kept, not deleted");
    let dir = &app.provider.registration.directory;
    assert!(dir.enrolments(&id).await.unwrap().is_empty());
    let (active,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sponsorships WHERE account_id = $1 AND status = 'active'",
    )
    .bind(&id)
    .fetch_one(app.provider.db.pool())
    .await
    .unwrap();
    assert_eq!(active, 0);
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let s = rp.start(&["profile"], &[]);
    assert!(
        elsewhere.get(&s.url).await.is_login_page(),
        "the session elsewhere ended"
    );
    let fresh = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = fresh.get(&s.url).await;
    let r = fresh.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 401, "it can no longer sign in");

    let audit = app.audit("account.closed").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor.as_deref(), Some(id.as_str()));
    let detail = audit[0].detail.clone().unwrap();
    let revoked: u64 = detail
        .strip_prefix("closed by the account holder; sessions ended; refresh tokens revoked: ")
        .and_then(|r| r.split(';').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{detail}"));
    assert!(revoked >= 1, "{detail}");
    assert!(
        detail.ends_with("; sponsorships ended: 1; enrolments ended: 1"),
        "{detail}"
    );
    assert!(
        !app.audit("login.success").await.is_empty(),
        "the earlier trail is kept"
    );
}
