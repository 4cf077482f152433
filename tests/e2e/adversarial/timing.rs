//! Timing must not tell which accounts exist. Every branch of every page that takes a login
//! ID does the same work: the same number of argon2 verifications, whether the login ID is
//! unknown, the password or the answers wrong or right, the account locked or suspended, the
//! account without challenge questions, or the guess past the limit. Counted, not timed: the
//! server's hasher counts every verification it runs (against a real hash or the dummy).

use credential_store::{AccountStatus, QuestionAnswer, QUESTIONS};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app_with, TestApp, LOGIN_ID, PASSWORD};

const ANSWERS: [&str; 3] = ["Biscuit", "Kingston", "Maple Street"];

async fn app() -> TestApp {
    spawn_app_with(|c| {
        c.stepup.policy = step_up::Policy::RelyingPartyOnly;
        c.limits.login_per_account = 0;
        c.limits.login_per_address = 0;
        c.limits.forgot_per_address = 0;
    })
    .await
}

fn verifications(app: &TestApp) -> u64 {
    app.provider.accounts.hasher().counts().verifications()
}

async fn with_questions(app: &TestApp, id: &str) {
    let qa = |i: usize, a: &str| QuestionAnswer {
        question_id: QUESTIONS[i].id.into(),
        answer: a.into(),
    };
    app.provider
        .accounts
        .set_challenge_questions(
            id,
            &[qa(0, ANSWERS[0]), qa(1, ANSWERS[1]), qa(2, ANSWERS[2])],
            &[qa(3, "Rivera"), qa(4, "Lakefield")],
        )
        .await
        .unwrap();
}

/// The login page's error, as a person reads it.
fn message(r: &Resp) -> String {
    let needle = "<p id=\"login-error\">";
    let start = r.body.find(needle).map_or(0, |i| i + needle.len());
    let end = r.body[start..].find("</p>").map_or(start, |i| start + i);
    r.body[start..end].to_owned()
}

#[tokio::test]
async fn every_sign_in_branch_verifies_one_hash_and_answers_alike() {
    let app = app().await;
    let id = app.add_clinician().await;
    let other = app.add_user("Sam.Ng@ONEID.ON.CA", "Other-Person-77").await;
    app.provider
        .accounts
        .set_status(&other, AccountStatus::Suspended)
        .await
        .unwrap();
    let rp = Rp::discover(&app.add_client("viewer").await).await;

    // One sign-in attempt in a new browser: the answer and the hashes it cost.
    let attempt = |login_id: &'static str, password: &'static str| {
        let (rp, base) = (&rp, app.base.clone());
        let app = &app;
        async move {
            let b = Browser::new();
            let s = rp.start(&["profile"], &[]);
            let page = b.get(&s.url).await;
            let before = verifications(app);
            let r = b.login(&base, &page, login_id, password).await;
            (r, verifications(app) - before)
        }
    };
    let (unknown, n) = attempt("No.One@ONEID.ON.CA", PASSWORD).await;
    assert_eq!(n, 1, "unknown login ID");
    let (wrong, n) = attempt(LOGIN_ID, "Not-The-Password-1").await;
    assert_eq!(n, 1, "wrong password");
    let (suspended, n) = attempt("Sam.Ng@ONEID.ON.CA", "Other-Person-77").await;
    assert_eq!(n, 1, "suspended account, right password");
    let (right, n) = attempt(LOGIN_ID, PASSWORD).await;
    assert_eq!(n, 1, "right password");
    assert_eq!(right.status, 303);
    for i in 0..5 {
        let _ = app
            .provider
            .accounts
            .authenticate(LOGIN_ID, &format!("Wrong-{i}"))
            .await;
    }
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(a.locked_until.is_some());
    let (locked, n) = attempt(LOGIN_ID, PASSWORD).await;
    assert_eq!(n, 1, "locked account, right password");

    let expected = "The login ID or password is incorrect.";
    for (what, r) in [
        ("unknown", &unknown),
        ("wrong", &wrong),
        ("suspended", &suspended),
        ("locked", &locked),
    ] {
        assert_eq!(r.status, unknown.status, "{what}");
        assert_eq!(message(r), expected, "{what}: {}", r.body);
    }
}

#[tokio::test]
async fn every_branch_of_forgot_password_verifies_the_same_hashes() {
    let app = app().await;
    let id = app.add_clinician().await;
    with_questions(&app, &id).await;
    // An account without challenge questions.
    app.add_user("Sam.Ng@ONEID.ON.CA", "Other-Person-77").await;
    let b = Browser::new();
    let page = b.get(&format!("{}/forgot-password", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    let url = format!("{}/forgot-password", app.base);

    // Starts a reset for `login_id`; the start itself hashes nothing.
    let start = |login_id: &'static str| {
        let (b, csrf, url) = (b.clone(), csrf.clone(), url.clone());
        let app = &app;
        async move {
            let before = verifications(app);
            let q = b
                .post_form(
                    &url,
                    &[("csrf", &csrf), ("step", "start"), ("login_id", login_id)],
                )
                .await;
            assert_eq!(q.status, 200, "{}", q.body);
            assert_eq!(verifications(app), before, "the start step hashes nothing");
            q
        }
    };
    // Posts answers to the reset of page `q`; returns the answer and the hashes it cost.
    let answer = |q: Resp, a0: String, a1: String| {
        let (b, csrf, url) = (b.clone(), csrf.clone(), url.clone());
        let app = &app;
        async move {
            let reset = q.hidden("reset").unwrap();
            let before = verifications(app);
            let r = b
                .post_form(
                    &url,
                    &[
                        ("csrf", &csrf),
                        ("step", "answers"),
                        ("reset", &reset),
                        ("answer0", &a0),
                        ("answer1", &a1),
                    ],
                )
                .await;
            (r, verifications(app) - before)
        }
    };
    let w = || ("wrong".to_owned(), "answers".to_owned());

    let (a0, a1) = w();
    let (_, n) = answer(start("No.One@ONEID.ON.CA").await, a0, a1).await;
    assert_eq!(n, 2, "unknown login ID");
    let (a0, a1) = w();
    let (_, n) = answer(start("Sam.Ng@ONEID.ON.CA").await, a0, a1).await;
    assert_eq!(n, 2, "an account without questions");

    let q = start(LOGIN_ID).await;
    let (a0, a1) = w();
    let (_, n) = answer(q.clone(), a0, a1).await;
    assert_eq!(n, 2, "wrong answers");
    let right = right_answers(&q);
    let (r, n) = answer(q, right.0.clone(), right.1.clone()).await;
    assert_eq!(n, 2, "right answers");
    assert!(r.body.contains("name=\"new_password\""));

    // Past the reset's limit: refused unchecked, the same work on the dummy.
    let q = start(LOGIN_ID).await;
    for _ in 0..2 {
        let (a0, a1) = w();
        answer(q.clone(), a0, a1).await;
    }
    let (a0, a1) = w();
    let (_, n) = answer(q.clone(), a0, a1).await;
    assert_eq!(n, 2, "the last allowed pair");
    // The reset ended; a new one for a locked account.
    for i in 0..5 {
        let _ = app
            .provider
            .accounts
            .authenticate(LOGIN_ID, &format!("Wrong-{i}"))
            .await;
    }
    let q = start(LOGIN_ID).await;
    let checked = app.provider.accounts.hasher().counts().checked;
    let (r, n) = answer(q.clone(), right.0, right.1).await;
    assert_eq!(n, 2, "locked account, right answers");
    assert_eq!(
        app.provider.accounts.hasher().counts().checked,
        checked,
        "and not against the real hashes"
    );
    assert!(!r.body.contains("name=\"new_password\""));
}

/// The answers to the two questions a page asks.
fn right_answers(page: &Resp) -> (String, String) {
    let a = page.answers_to_questions(&ANSWERS);
    (a[0].to_owned(), a[1].to_owned())
}
