//! Least privilege between the service desk, registration authorities and administrators
//! (issue 18, part 2). The attack: a desk agent, signed in with a password only, issued a
//! temporary password to an administrator, signed in as them, enrolled an authenticator app
//! with that password alone, stepped up and held the administration console. Each step is
//! refused here; an administrator still resets a staff account, audited.

use crate::admin_api::console_sign_in;
use oneid_tests::api::call;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use platform::Clock;
use serde_json::json;

const ADMIN: &str = "Ada.Admin@ONEID.ON.CA";
const ADMIN_PW: &str = "Admin-Console-2026";
const AGENT: &str = "Desk.Agent@ONEID.ON.CA";
const AGENT_PW: &str = "Helpful-Voice-2026";
const LRA: &str = "Lee.Registrar@ONEID.ON.CA";
const LRA_PW: &str = "Registrar-Desk-2026";

fn is_stepup(r: &Resp) -> bool {
    r.status == 200 && r.body.contains("name=\"action\" value=\"choose\"")
}

/// Signs in at `path` with the password only (the tests' step-up policy asks for nothing
/// more at sign-in) and returns what `path` answers then.
async fn password_only(app: &TestApp, b: &Browser, path: &str, login: &str, pw: &str) -> Resp {
    let r = b.get(&format!("{}{path}", app.base)).await;
    assert_eq!(r.status, 303, "sign in first: {}", r.body);
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &page, login, pw).await;
    assert_eq!(back.location(), Some(path), "{}", back.body);
    b.get(&format!("{}{path}", app.base)).await
}

/// An administrator, a desk agent and an LRA (each with an authenticator app, granted after
/// it), and a clinician with desk answers. Returns the ids (admin, agent, lra, clinician) and
/// the TOTP secrets (admin, agent, lra).
async fn staff(app: &TestApp) -> ([String; 4], [Vec<u8>; 3]) {
    let clinician = app.add_clinician().await;
    let qa = |i: usize, a: &str| credential_store::QuestionAnswer {
        question_id: credential_store::QUESTIONS[i].id.into(),
        answer: a.into(),
    };
    for id in [&clinician] {
        app.provider
            .accounts
            .set_challenge_questions(
                id,
                &[qa(0, "Biscuit"), qa(1, "Kingston"), qa(2, "Maple Street")],
                &[qa(3, "Rivera"), qa(4, "Lakefield")],
            )
            .await
            .unwrap();
    }
    let (admin, admin_totp) = app.add_staff(ADMIN, ADMIN_PW, "administrator").await;
    let (agent, agent_totp) = app.add_staff(AGENT, AGENT_PW, "service_desk").await;
    let lra = app.add_user(LRA, LRA_PW).await;
    let lra_totp = app.give_totp(&lra).await;
    let dir = &app.provider.registration.directory;
    dir.put_organization("uhn", "UHN").await.unwrap();
    dir.grant_lra("uhn", &lra, "test").await.unwrap();
    (
        [admin, agent, lra, clinician],
        [admin_totp, agent_totp, lra_totp],
    )
}

#[tokio::test]
async fn the_desk_needs_a_step_up_with_a_phone_or_authenticator_app() {
    let app = spawn_app().await;
    let ([admin, _, _, clinician], [_, agent_totp, _]) = staff(&app).await;
    let b = Browser::new();
    // Signed in with the password alone: /desk is a step-up, not the desk.
    let r = password_only(&app, &b, "/desk", AGENT, AGENT_PW).await;
    assert!(is_stepup(&r), "the desk asks for a step-up: {}", r.body);
    assert!(!r.body.contains("name=\"q\""), "no search form before it");
    // A post (even with a valid anti-forgery token) is a step-up too, and does nothing.
    let csrf = r.hidden("csrf").unwrap();
    for target in [&admin, &clinician] {
        let r = b
            .post_form(
                &format!("{}/desk/account?id={target}", app.base),
                &[("csrf", &csrf), ("op", "temporary"), ("confirm", "yes")],
            )
            .await;
        assert!(is_stepup(&r), "{}", r.body);
    }
    assert!(app.audit("desk.temporary_password_issued").await.is_empty());
    app.provider
        .accounts
        .authenticate(ADMIN, ADMIN_PW)
        .await
        .expect("the administrator's password still works");
    // Stepped up with the authenticator app, the desk opens.
    let done = app.step_up_totp(&b, &r, &agent_totp).await;
    assert_eq!(done.location(), Some("/desk"), "{}", done.body);
    let desk = b.get(&format!("{}/desk", app.base)).await;
    assert_eq!(desk.status, 200, "{}", desk.body);
    assert!(desk.body.contains("name=\"q\""));
    // The step-up is recent only for so long.
    app.clock.advance(app.provider.stepup.recent_secs + 1);
    assert!(is_stepup(&b.get(&format!("{}/desk", app.base)).await));
}

/// The anti-forgery token of the desk's forms, from a (non-staff) account's page: the desk's
/// search is a GET form and carries none.
async fn desk_csrf(base: &str, b: &Browser, account: &str) -> String {
    let page = b.get(&format!("{base}/desk/account?id={account}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.hidden("csrf").expect("the desk's anti-forgery token")
}

#[tokio::test]
async fn a_stepped_up_agent_cannot_reset_unlock_or_reveal_a_staff_account() {
    let app = spawn_app().await;
    let ([admin, agent, lra, clinician], [_, agent_totp, _]) = staff(&app).await;
    let b = Browser::new();
    let page = console_sign_in(&app, &b, AGENT, AGENT_PW, &agent_totp, "/desk").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = desk_csrf(&app.base, &b, &clinician).await;

    // Staff, and the agent's own account, are shown without the desk's actions.
    for target in [&admin, &lra, &agent] {
        let page = b
            .get(&format!("{}/desk/account?id={target}", app.base))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        for op in ["reveal", "unlock", "temporary"] {
            assert!(
                !page.body.contains(&format!("value=\"{op}\"")),
                "no {op} for {target}: {}",
                page.body
            );
        }
    }
    let page = b
        .get(&format!("{}/desk/account?id={admin}", app.base))
        .await;
    assert!(page.body.contains("an administrator does"), "{}", page.body);
    // The clinician's page has them.
    let page = b
        .get(&format!("{}/desk/account?id={clinician}", app.base))
        .await;
    assert!(page.body.contains("value=\"temporary\""), "{}", page.body);

    // Forged posts for a staff account (or the agent's own) are refused and audited.
    let mut refused = 0;
    for target in [&admin, &agent, &lra] {
        for op in ["temporary", "unlock", "reveal"] {
            let r = b
                .post_form(
                    &format!("{}/desk/account?id={target}", app.base),
                    &[("csrf", &csrf), ("op", op), ("confirm", "yes")],
                )
                .await;
            assert_eq!(r.status, 403, "{op} on {target}: {}", r.body);
            assert!(r.hidden("csrf").is_none() || !r.body.contains("Temporary password"));
            refused += 1;
        }
    }
    // In French too.
    let r = b
        .post_form(
            &format!("{}/desk/account?id={admin}&ui_locales=fr", app.base),
            &[("csrf", &csrf), ("op", "temporary"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("un administrateur le fait"), "{}", r.body);
    refused += 1;
    let audited = app.audit("desk.refused").await;
    assert_eq!(audited.len(), refused);
    assert!(audited
        .iter()
        .all(|e| e.actor.as_deref() == Some(agent.as_str())));
    assert!(audited
        .iter()
        .any(|e| e.subject.as_deref() == Some(admin.as_str())
            && e.detail.as_deref() == Some("op=\"temporary\" target=staff account")));
    for event in [
        "desk.temporary_password_issued",
        "desk.account_unlocked",
        "desk.answers_revealed",
    ] {
        assert!(app.audit(event).await.is_empty(), "{event}");
    }
    for (login, pw) in [(ADMIN, ADMIN_PW), (AGENT, AGENT_PW), (LRA, LRA_PW)] {
        let s = app.provider.accounts.authenticate(login, pw).await.unwrap();
        assert!(!s.needs_new_password(), "{login} keeps its password");
    }

    // On a clinician, a temporary password and a reveal are confirmed first.
    let post = |form: Vec<(&'static str, &'static str)>| {
        let (b, url, csrf) = (
            b.clone(),
            format!("{}/desk/account?id={clinician}", app.base),
            csrf.clone(),
        );
        async move {
            let mut f = vec![("csrf", csrf.as_str())];
            f.extend(form);
            b.post_form(&url, &f).await
        }
    };
    for op in ["temporary", "reveal"] {
        let ask = post(vec![("op", op)]).await;
        assert_eq!(ask.status, 200, "{}", ask.body);
        assert_eq!(
            ask.hidden("confirm").as_deref(),
            Some("yes"),
            "{}",
            ask.body
        );
        assert_eq!(ask.hidden("op").as_deref(), Some(op));
        assert!(ask.body.contains(LOGIN_ID));
        assert!(!ask.body.contains("Rivera"));
    }
    assert!(app.audit("desk.temporary_password_issued").await.is_empty());
    assert!(app.audit("desk.answers_revealed").await.is_empty());
    app.provider
        .accounts
        .authenticate(LOGIN_ID, PASSWORD)
        .await
        .expect("nothing issued before the confirmation");
    let fr = b
        .post_form(
            &format!("{}/desk/account?id={clinician}&ui_locales=fr", app.base),
            &[("csrf", &csrf), ("op", "temporary")],
        )
        .await;
    assert!(fr.body.contains("Émettre un mot de passe temporaire pour"));
    // The agent goes back to English (the choice holds for the next pages).
    b.get(&format!(
        "{}/desk/account?id={clinician}&ui_locales=en",
        app.base
    ))
    .await;
    let revealed = post(vec![("op", "reveal"), ("confirm", "yes")]).await;
    assert!(revealed.body.contains("Rivera"), "{}", revealed.body);
    let issued = post(vec![("op", "temporary"), ("confirm", "yes")]).await;
    assert!(issued.notice().unwrap().contains("Temporary password"));
    assert_eq!(app.audit("desk.temporary_password_issued").await.len(), 1);
}

#[tokio::test]
async fn a_staff_role_needs_a_second_factor_first() {
    let app = spawn_app().await;
    let id = app
        .add_user("New.Admin@ONEID.ON.CA", "Brand-New-Admin-2026")
        .await;
    // The store, the command line and the admin API refuse.
    for role in ["administrator", "service_desk"] {
        let e = app
            .provider
            .accounts
            .grant_role(&id, role, "test")
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            credential_store::CredentialError::NoSecondFactor
        ));
    }
    let (code, _) = app
        .storage
        .cli(
            &[
                "users",
                "grant-role",
                "--login-id",
                "New.Admin@ONEID.ON.CA",
                "--role",
                "administrator",
            ],
            "",
        )
        .await;
    assert_ne!(
        code, 0,
        "grant-role refuses an account without a second factor"
    );
    app.provider
        .registration
        .directory
        .put_organization("uhn", "UHN")
        .await
        .unwrap();
    let token = app.client_token("oneid:admin").await;
    let r = call(
        &format!("{}/admin/api", app.base),
        &token,
        "POST",
        "/organizations/uhn/lras",
        Some(json!({"login_id": "New.Admin@ONEID.ON.CA"})),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.json);
    assert!(app.provider.accounts.roles(&id).await.unwrap().is_empty());
    // Challenge questions are not a second factor; "no direct number" voids the phones.
    let qa = |i: usize, a: &str| credential_store::QuestionAnswer {
        question_id: credential_store::QUESTIONS[i].id.into(),
        answer: a.into(),
    };
    app.provider
        .accounts
        .set_challenge_questions(
            &id,
            &[qa(0, "Biscuit"), qa(1, "Kingston"), qa(2, "Maple Street")],
            &[qa(3, "Rivera"), qa(4, "Lakefield")],
        )
        .await
        .unwrap();
    let phone = [(
        "416-555-0142".to_owned(),
        credential_store::PhoneKind::Mobile,
    )];
    app.provider
        .accounts
        .set_challenge_phones(&id, &phone, true)
        .await
        .unwrap();
    assert!(!app.provider.accounts.has_second_factor(&id).await.unwrap());
    // A phone it can be reached at is one: then the role is granted.
    app.provider
        .accounts
        .set_challenge_phones(&id, &phone, false)
        .await
        .unwrap();
    let (code, out) = app
        .storage
        .cli(
            &[
                "users",
                "grant-role",
                "--login-id",
                "New.Admin@ONEID.ON.CA",
                "--role",
                "administrator",
            ],
            "",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert!(app
        .provider
        .accounts
        .has_role(&id, "administrator")
        .await
        .unwrap());
}

#[tokio::test]
async fn a_staff_password_alone_never_adds_a_second_factor() {
    let app = spawn_app().await;
    let ([admin, ..], _) = staff(&app).await;
    // The attacker holds the administrator's password (say, reset by someone) and signs in.
    let b = Browser::new();
    let r = password_only(&app, &b, "/account/totp", ADMIN, ADMIN_PW).await;
    assert!(
        is_stepup(&r),
        "a step-up with the existing factor: {}",
        r.body
    );
    assert!(!r.body.contains("<svg"), "no enrolment QR code");
    // Nor by posting a code of their own app, nor by replacing the phones.
    let csrf = r.hidden("csrf").unwrap();
    let theirs = step_up::totp::new_secret();
    let code = step_up::totp::code_at(&theirs, app.clock.now());
    let r = b
        .post_form(
            &format!("{}/account/totp", app.base),
            &[("csrf", &csrf), ("action", "confirm"), ("code", &code)],
        )
        .await;
    assert!(is_stepup(&r), "{}", r.body);
    let r = b
        .post_form(
            &format!("{}/account/security", app.base),
            &[
                ("csrf", &csrf),
                ("what", "phones"),
                ("phone0", "416-555-0199"),
                ("kind0", "mobile"),
            ],
        )
        .await;
    assert!(is_stepup(&r), "{}", r.body);
    // The step-up offers only what proves possession, never the challenge questions.
    assert!(!r.body.contains("value=\"kba\""), "{}", r.body);
    assert!(app.audit("account.totp_enrolled").await.is_empty());
    assert!(app.audit("account.phones_changed").await.is_empty());
    let (secret, _) = app.provider.accounts.totp(&admin).await.unwrap().unwrap();
    assert_ne!(secret, theirs);
    assert!(app
        .provider
        .accounts
        .challenge_phones(&admin)
        .await
        .unwrap()
        .is_empty());
    // And the console stays closed to a password alone.
    let r = b.get(&format!("{}/admin/organizations", app.base)).await;
    assert!(is_stepup(&r), "{}", r.body);

    // A staff account left with no factor at all (a role from before this rule) is turned
    // away rather than allowed to enrol one with its password.
    let legacy = app
        .add_user("Old.Staff@ONEID.ON.CA", "Old-Staff-Pass-2026")
        .await;
    sqlx::query(
        "INSERT INTO account_roles (account_id, role, scope, granted_at, granted_by) \
         VALUES ($1, 'service_desk', '', 0, 'legacy')",
    )
    .bind(&legacy)
    .execute(app.provider.db.pool())
    .await
    .unwrap();
    let c = Browser::new();
    let r = password_only(
        &app,
        &c,
        "/account/totp",
        "Old.Staff@ONEID.ON.CA",
        "Old-Staff-Pass-2026",
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Ask an administrator"), "{}", r.body);
    assert!(!r.body.contains("<svg"));
    let r = c.get(&format!("{}/desk", app.base)).await;
    assert_eq!(r.status, 403, "{}", r.body);

    // A non-staff account still enrols its first app after a recent sign-in.
    let d = Browser::new();
    let r = password_only(&app, &d, "/account/totp", LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<svg"), "{}", r.body);
}

#[tokio::test]
async fn a_stepped_up_staff_member_keeps_a_factor_and_changes_them() {
    let app = spawn_app().await;
    let ([_, agent, ..], [_, agent_totp, _]) = staff(&app).await;
    let b = Browser::new();
    let page = console_sign_in(&app, &b, AGENT, AGENT_PW, &agent_totp, "/account/totp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();
    // Removing the only factor is refused.
    let r = b
        .post_form(
            &format!("{}/account/totp", app.base),
            &[("csrf", &csrf), ("action", "remove")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("keeps at least one"), "{}", r.body);
    assert!(app.provider.accounts.totp(&agent).await.unwrap().is_some());
    // With a phone added first, the app can go.
    let r = b
        .post_form(
            &format!("{}/account/security", app.base),
            &[
                ("csrf", &csrf),
                ("what", "phones"),
                ("phone0", "416-555-0199"),
                ("kind0", "mobile"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = b
        .post_form(
            &format!("{}/account/totp", app.base),
            &[("csrf", &csrf), ("action", "remove")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(app.provider.accounts.totp(&agent).await.unwrap().is_none());
    // Then the last phone stays.
    let r = b
        .post_form(
            &format!("{}/account/security", app.base),
            &[("csrf", &csrf), ("what", "phones")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        app.provider
            .accounts
            .challenge_phones(&agent)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_administrator_resets_unlocks_and_verifies_a_staff_account_audited() {
    let app = spawn_app().await;
    let ([admin, agent, ..], [admin_totp, ..]) = staff(&app).await;
    let qa = |i: usize, a: &str| credential_store::QuestionAnswer {
        question_id: credential_store::QUESTIONS[i].id.into(),
        answer: a.into(),
    };
    app.provider
        .accounts
        .set_challenge_questions(
            &agent,
            &[qa(0, "Biscuit"), qa(1, "Kingston"), qa(2, "Maple Street")],
            &[qa(3, "Ottawa"), qa(4, "Sudbury")],
        )
        .await
        .unwrap();
    let b = Browser::new();
    let path = format!("/admin/accounts/{agent}");
    console_sign_in(&app, &b, ADMIN, ADMIN_PW, &admin_totp, "/admin/accounts").await;
    let page = b.get(&format!("{}{path}", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"temporary\""), "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();
    let url = format!("{}{path}", app.base);

    // Unconfirmed: nothing happens.
    for op in ["temporary", "reveal"] {
        let r = b.post_form(&url, &[("csrf", &csrf), ("op", op)]).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            r.field_error(&format!("confirm_{op}")).is_some(),
            "{}",
            r.body
        );
        assert!(!r.body.contains("Ottawa"));
    }
    assert!(app
        .audit("account.temporary_password_issued")
        .await
        .is_empty());
    app.provider
        .accounts
        .authenticate(AGENT, AGENT_PW)
        .await
        .unwrap();

    let r = b
        .post_form(
            &url,
            &[("csrf", &csrf), ("op", "reveal"), ("confirm_reveal", "on")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Ottawa") && r.body.contains("Sudbury"));
    assert!(!r.body.contains("Biscuit"), "online answers stay secret");
    let revealed = app.audit("account.answers_revealed").await;
    assert_eq!(revealed.len(), 1);
    assert_eq!(revealed[0].actor.as_deref(), Some(admin.as_str()));
    assert_eq!(revealed[0].subject.as_deref(), Some(agent.as_str()));

    // Locked out by failures, then unlocked (reinstated) by the administrator.
    for _ in 0..5 {
        let _ = app
            .provider
            .accounts
            .authenticate(AGENT, "Wrong-Guess-2026")
            .await;
    }
    assert!(app
        .provider
        .accounts
        .authenticate(AGENT, AGENT_PW)
        .await
        .is_err());
    let page = b.get(&url).await;
    assert!(page.body.contains("value=\"unlock\""), "{}", page.body);
    let r = b
        .post_form(&url, &[("csrf", &csrf), ("op", "unlock")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.notice().as_deref(), Some("The account is unlocked."));
    let unlocked = app.audit("account.unlocked").await;
    assert_eq!(unlocked.len(), 1);
    assert_eq!(unlocked[0].actor.as_deref(), Some(admin.as_str()));
    app.provider
        .accounts
        .authenticate(AGENT, AGENT_PW)
        .await
        .expect("unlocked");

    let r = b
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("op", "temporary"),
                ("confirm_temporary", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.notice().unwrap();
    let temp = text.rsplit(": ").next().unwrap().to_owned();
    assert_eq!(temp.len(), 14, "{text}");
    let issued = app.audit("account.temporary_password_issued").await;
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].actor.as_deref(), Some(admin.as_str()));
    assert_eq!(issued[0].subject.as_deref(), Some(agent.as_str()));
    assert!(!issued[0].detail.as_deref().unwrap_or("").contains(&temp));
    let s = app
        .provider
        .accounts
        .authenticate(AGENT, &temp)
        .await
        .unwrap();
    assert!(s.needs_new_password());
    // The agent's password is reset, not its second factor: the desk still needs it.
    assert!(app.provider.accounts.totp(&agent).await.unwrap().is_some());
}

#[tokio::test]
async fn ending_a_sponsorship_at_the_lra_console_is_confirmed() {
    let app = spawn_app().await;
    let ([.., clinician], [.., lra_totp]) = staff(&app).await;
    let dir = &app.provider.registration.directory;
    dir.sponsor(&clinician, "uhn", None, "test").await.unwrap();
    let b = Browser::new();
    let path = format!("/lra/person?id={clinician}");
    let r = b.get(&format!("{}{path}", app.base)).await;
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    b.login(&app.base, &page, LRA, LRA_PW).await;
    // The LRA console, too, asks for a step-up with a phone or an authenticator app.
    let ask = b.get(&format!("{}{path}", app.base)).await;
    assert!(is_stepup(&ask), "{}", ask.body);
    assert!(!ask.body.contains("value=\"kba\""));
    app.step_up_totp(&b, &ask, &lra_totp).await;
    let page = b.get(&format!("{}{path}", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"confirm\""), "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();
    let url = format!("{}{path}", app.base);
    let r = b
        .post_form(&url, &[("csrf", &csrf), ("op", "end_sponsorship")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.field_error("confirm").is_some(), "{}", r.body);
    assert!(app.audit("lra.sponsorship_ended").await.is_empty());
    let r = b
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("op", "end_sponsorship"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.audit("lra.sponsorship_ended").await.len(), 1);
}

/// Two nodes sharing storage behind one issuer: an agent's password-only session is asked for a
/// step-up on the other node too, and a stepped-up agent's forged posts for an administrator
/// are refused there as well.
#[tokio::test]
async fn on_two_nodes_the_desk_holds_the_same_line() {
    let (a, b) = oneid_tests::spawn_pair().await;
    let ([admin, agent, _, clinician], [_, agent_totp, _]) = staff(&a).await;
    let browser = Browser::new();
    let r = password_only(&a, &browser, "/desk", AGENT, AGENT_PW).await;
    assert!(is_stepup(&r), "{}", r.body);
    let r = browser.get(&format!("{}/desk", b.base)).await;
    assert!(is_stepup(&r), "the other node asks too: {}", r.body);

    let browser = Browser::new();
    let page = console_sign_in(&a, &browser, AGENT, AGENT_PW, &agent_totp, "/desk").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = desk_csrf(&a.base, &browser, &clinician).await;
    for op in ["temporary", "unlock", "reveal"] {
        let r = browser
            .post_form(
                &format!("{}/desk/account?id={admin}", b.base),
                &[("csrf", &csrf), ("op", op), ("confirm", "yes")],
            )
            .await;
        assert_eq!(r.status, 403, "{op} on node B: {}", r.body);
    }
    let audited = a.audit("desk.refused").await;
    assert_eq!(audited.len(), 3);
    assert!(audited
        .iter()
        .all(|e| e.actor.as_deref() == Some(agent.as_str())));
    let s = a
        .provider
        .accounts
        .authenticate(ADMIN, ADMIN_PW)
        .await
        .unwrap();
    assert!(!s.needs_new_password());
}

/// Staff never act on staff at the LRA console either: an administrator sponsored by the
/// LRA's organization can be neither enrolled, nor ended, nor unsponsored by the LRA (refused,
/// audited, in French too); an administrator manages it.
#[tokio::test]
async fn an_lra_cannot_act_on_a_staff_account_its_organization_sponsors() {
    let app = spawn_app().await;
    let ([admin, _, lra, _], [.., lra_totp]) = staff(&app).await;
    let dir = &app.provider.registration.directory;
    dir.sponsor(&admin, "uhn", None, "test").await.unwrap();
    let b = Browser::new();
    let path = format!("/lra/person?id={admin}");
    let r = b.get(&format!("{}{path}", app.base)).await;
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    b.login(&app.base, &page, LRA, LRA_PW).await;
    let ask = b.get(&format!("{}{path}", app.base)).await;
    app.step_up_totp(&b, &ask, &lra_totp).await;
    // The search is a GET form; the registration form carries the anti-forgery token.
    let page = b.get(&format!("{}/lra/register", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    for op in ["enrol", "end", "end_sponsorship"] {
        let r = b
            .post_form(
                &format!("{}{path}", app.base),
                &[
                    ("csrf", &csrf),
                    ("op", op),
                    ("service", "test-viewers"),
                    ("confirm", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, 403, "{op}: {}", r.body);
        assert!(r.body.contains("an administrator manages"), "{}", r.body);
    }
    let r = b
        .post_form(
            &format!("{}{path}&ui_locales=fr", app.base),
            &[
                ("csrf", &csrf),
                ("op", "end_sponsorship"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("un administrateur gère"), "{}", r.body);
    let refused = app.audit("lra.refused").await;
    assert_eq!(refused.len(), 4);
    assert!(refused
        .iter()
        .all(|e| e.actor.as_deref() == Some(lra.as_str())
            && e.subject.as_deref() == Some(admin.as_str())));
    assert!(app.audit("lra.sponsorship_ended").await.is_empty());
}
