//! The acceptable-use agreement (003; 000 and 001 §2): every account accepts the current version
//! before its first use, not only wizard registrants. Accounts made by the command line, an LRA
//! or the desk are asked inside the authorization flow at their first sign-in (after a forced
//! password change); declining ends the sign-in with `access_denied`; a new version asks again,
//! also a person who arrives with a live session.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, TestApp};

const PASSWORD: &str = "Rounds-Ward-2026";
const LOGIN_ID: &str = "Nadia.Haddad@ONEID.ON.CA";

/// An account made by the command line, as an LRA or the desk makes one: no agreement on
/// record. Sponsored and enrolled in the test service. Its id.
async fn unagreed(app: &TestApp) -> String {
    let (code, out) = app
        .storage
        .cli(
            &[
                "users",
                "add",
                "--login-id",
                LOGIN_ID,
                "--password-stdin",
                "--given-name",
                "Nadia",
                "--family-name",
                "Haddad",
            ],
            &format!("{PASSWORD}\n"),
        )
        .await;
    assert_eq!(code, 0, "{out}");
    let a = app
        .provider
        .accounts
        .find_by_login_id(LOGIN_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.agreement_version, None);
    app.enrol_in_test_service(&a.id).await;
    a.id
}

fn version(app: &TestApp) -> String {
    app.provider.signup.agreement_version.clone()
}

async fn accepted(app: &TestApp, id: &str) -> (Option<String>, Option<i64>) {
    let a = app.provider.accounts.find_by_id(id).await.unwrap().unwrap();
    (a.agreement_version, a.agreement_accepted_at)
}

#[tokio::test]
async fn an_account_made_without_the_agreement_accepts_it_at_its_first_sign_in_and_only_then() {
    let app = spawn_app().await;
    let id = unagreed(&app).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let asked = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert!(asked.is_agreement_page(), "{} {}", asked.status, asked.body);
    assert!(asked.location().is_none(), "no code before the agreement");
    assert!(
        asked.body.contains(&format!("(version {})", version(&app))),
        "the version read is named: {}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains("use your login ID and password only yourself"),
        "the agreement's own text is shown"
    );
    assert!(
        app.audit("login.success").await.is_empty(),
        "no session yet"
    );
    let asked_audit = app.audit("login.agreement_required").await;
    assert_eq!(asked_audit.len(), 1);
    assert_eq!(asked_audit[0].subject.as_deref(), Some(id.as_str()));

    let cb = b.answer_agreement(&app.base, &asked, true).await;
    let code = rp.code_from(&s, &cb);
    let tokens = rp.finish(s, &code).await;
    assert_eq!(tokens.claims.subject().as_str(), id);
    let (v, at) = accepted(&app, &id).await;
    assert_eq!(v, Some(version(&app)));
    assert_eq!(at, Some(platform::Clock::now(app.clock.as_ref())));
    let audit = app.audit("account.agreement_accepted").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].subject.as_deref(), audit[0].detail.clone()),
        (
            Some(id.as_str()),
            Some(format!("version={}", version(&app)))
        )
    );

    // The form is single use: sent again, it changes nothing.
    let again = b.answer_agreement(&app.base, &asked, true).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(app.audit("account.agreement_accepted").await.len(), 1);

    // The next sign-in, from another browser, is not asked again.
    let t = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert_eq!(t.claims.subject().as_str(), id);
    assert_eq!(app.audit("login.agreement_required").await.len(), 1);
}

#[tokio::test]
async fn declining_the_agreement_ends_the_sign_in_with_access_denied_and_records_nothing() {
    let app = spawn_app().await;
    let id = unagreed(&app).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let asked = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let back = b.answer_agreement(&app.base, &asked, false).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let q = back.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state"), Some(&s.state));
    assert!(!q.contains_key("code"));
    assert_eq!(accepted(&app, &id).await, (None, None));
    assert_eq!(app.audit("login.agreement_declined").await.len(), 1);
    assert!(app.audit("login.success").await.is_empty());
    // No session was left behind: the next request shows the login page.
    let s2 = rp.start(&["profile"], &[]);
    assert!(b.get(&s2.url).await.is_login_page());
}

#[tokio::test]
async fn a_temporary_password_is_changed_first_then_the_agreement_is_asked_in_french() {
    let app = spawn_app().await;
    let a = app
        .provider
        .accounts
        .create(credential_store::NewAccount {
            login_id: Some(LOGIN_ID.into()),
            given_name: "Nadia".into(),
            family_name: "Haddad".into(),
            locale: "fr".into(),
            password: "Kq7m-Xw2p-9Tzr".into(),
            temporary_password: true,
            ..Default::default()
        })
        .await
        .unwrap();
    app.enrol_in_test_service(&a.id).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let mut b = Browser::new();
    b.lang = Some("fr".into());
    let s = rp.start(&["profile"], &[("ui_locales", "fr")]);
    let page = b.get(&s.url).await;
    let change = b.login(&app.base, &page, LOGIN_ID, "Kq7m-Xw2p-9Tzr").await;
    let token = change.hidden("change").expect("the new password first");
    let csrf = change.hidden("csrf").unwrap();
    let asked = b
        .post_form(
            &format!("{}/login/password", app.base),
            &[
                ("csrf", &csrf),
                ("change", &token),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
                ("ui_locales", "fr"),
            ],
        )
        .await;
    assert!(asked.is_agreement_page(), "{} {}", asked.status, asked.body);
    for french in [
        "Entente d’utilisation acceptable de ONE ID",
        "J’accepte l’entente",
    ] {
        assert!(asked.body.contains(french), "{french}: {}", asked.body);
    }
    let cb = b.answer_agreement(&app.base, &asked, true).await;
    let code = rp.code_from(&s, &cb);
    rp.finish(s, &code).await;
    assert_eq!(accepted(&app, &a.id).await.0, Some(version(&app)));
}

#[tokio::test]
async fn a_new_agreement_version_asks_again_even_a_person_with_a_live_session() {
    let app = spawn_app().await;
    let id = app.add_user(LOGIN_ID, PASSWORD).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    rp.login(&b, LOGIN_ID, PASSWORD).await;
    // What the person accepted is now an older version than the one in force.
    sqlx::query("UPDATE accounts SET agreement_version = '2025-01' WHERE id = $1")
        .bind(&id)
        .execute(app.provider.db.pool())
        .await
        .unwrap();

    // A silent request cannot ask: the relying party hears interaction_required.
    let silent = rp.start(&["profile"], &[("prompt", "none")]);
    let r = b.get(&silent.url).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("interaction_required")
    );

    // A plain one asks, without the password, then completes with the same session.
    let s = rp.start(&["profile"], &[]);
    let asked = b.get(&s.url).await;
    assert!(!asked.is_login_page(), "no password again");
    assert!(asked.is_agreement_page(), "{} {}", asked.status, asked.body);
    let cb = b.answer_agreement(&app.base, &asked, true).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    assert_eq!(t.claims.subject().as_str(), id);
    assert_eq!(accepted(&app, &id).await.0, Some(version(&app)));
    let detail = app.audit("login.agreement_required").await[0]
        .detail
        .clone()
        .unwrap();
    assert_eq!(
        detail,
        format!("version={} accepted=2025-01", version(&app))
    );
    // And then SSO as before.
    rp.sso(&b, &[]).await;
}
