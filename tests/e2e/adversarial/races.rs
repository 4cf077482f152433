//! Attempt limits that survive races. Every counted secret (the password, a step-up code by
//! text message or voice call, a TOTP code, the challenge questions at step-up and at "Forgot
//! your password?") is attacked with a burst of parallel guesses, each on a connection of its
//! own, held back by its last byte and then released together. What the server evaluated
//! (counted from the hashes it checked and the failures it audited) never passes the limit;
//! a guess after the limit is refused unchecked; a right answer for an account locked at that
//! moment does not finish; a challenge that succeeded is taken once. On one node and on two
//! nodes sharing the database and the ephemeral store, on both backends.

use credential_store::{PhoneKind, QuestionAnswer, QUESTIONS};
use oneid::Config;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::burst::{release_together, Held};
use oneid_tests::gateway::FakeGateway;
use oneid_tests::rp::Rp;
use oneid_tests::{
    fresh_storage, redis_store, spawn_app_with, spawn_pair_with, TestApp, LOGIN_ID, PASSWORD,
};
use platform::{EphemeralStore, ManualClock, MemoryStore};
use std::sync::Arc;

const MOBILE: &str = "+14165550199";
const ANSWERS: [&str; 3] = ["Biscuit", "Kingston", "Maple Street"];
/// Guesses in one burst.
const BURST: usize = 40;
/// The account's limit (`accounts.max_failures`) and the challenge's (`stepup.max_attempts`).
const LIMIT: usize = 5;
/// Wrong answer pairs one password reset allows.
const RESET_LIMIT: usize = 3;

/// Steps every new browser up, codes through `gw`; no rate limit in the way, so only the
/// attempt limits are tested.
fn setup(gw: &FakeGateway) -> impl Fn(&mut Config) {
    let (url, sid, token) = (gw.base_url.clone(), gw.sid.clone(), gw.token.clone());
    move |c: &mut Config| {
        c.stepup.policy = step_up::Policy::UnrecognizedDevice;
        c.stepup.gateway.base_url = url.clone();
        c.stepup.gateway.account_sid = sid.clone();
        c.stepup.gateway.auth_token = token.clone();
        c.stepup.gateway.from = "+15005550006".into();
        c.stepup.gateway.retries = 0;
        c.limits.login_per_account = 0;
        c.limits.login_per_address = 0;
        c.limits.forgot_per_address = 0;
        assert_eq!(c.accounts.max_failures, LIMIT as i64);
        assert_eq!(c.stepup.max_attempts as usize, LIMIT);
    }
}

/// The clinician with a mobile phone, three online questions and an authenticator app; the
/// TOTP secret is returned.
async fn clinician(app: &TestApp) -> (String, Vec<u8>) {
    let id = app.add_clinician().await;
    let acc = &app.provider.accounts;
    acc.set_challenge_phones(&id, &[(MOBILE.into(), PhoneKind::Mobile)], false)
        .await
        .unwrap();
    let qa = |i: usize, a: &str| QuestionAnswer {
        question_id: QUESTIONS[i].id.into(),
        answer: a.into(),
    };
    acc.set_challenge_questions(
        &id,
        &[qa(0, ANSWERS[0]), qa(1, ANSWERS[1]), qa(2, ANSWERS[2])],
        &[qa(3, "Rivera"), qa(4, "Lakefield")],
    )
    .await
    .unwrap();
    let secret = step_up::totp::new_secret();
    acc.set_totp(&id, &secret).await.unwrap();
    (id, secret)
}

/// Guesses checked against a real stored hash, on every node.
fn checked(nodes: &[&TestApp]) -> u64 {
    nodes
        .iter()
        .map(|n| n.provider.accounts.hasher().counts().checked)
        .sum()
}

async fn locked(app: &TestApp, id: &str) -> bool {
    let a = app.provider.accounts.find_by_id(id).await.unwrap().unwrap();
    a.locked_until
        .is_some_and(|t| t > platform::Clock::now(app.clock.as_ref()))
}

/// The answers to the two questions a page asks, as form fields.
fn answers_on(page: &Resp) -> Vec<(String, String)> {
    page.answers_to_questions(&ANSWERS)
        .into_iter()
        .enumerate()
        .map(|(i, a)| (format!("answer{i}"), a.to_owned()))
        .collect()
}

/// A sign-in at `rp` through `node`, stopped at the step-up with `method` chosen: the
/// browser, the challenge page and the flow.
async fn challenge(
    node: &TestApp,
    rp: &Rp,
    method: &str,
) -> (Browser, Resp, oneid_tests::rp::Started) {
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let r = b.login(&node.base, &page, LOGIN_ID, PASSWORD).await;
    assert!(
        r.body.contains("value=\"choose\""),
        "{} {}",
        r.status,
        r.body
    );
    let page = post_stepup(node, &b, &r, &[("action", "choose"), ("method", method)]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    (b, page, s)
}

async fn post_stepup(node: &TestApp, b: &Browser, page: &Resp, extra: &[(&str, &str)]) -> Resp {
    let t = page.hidden("t").unwrap();
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str()), ("t", t.as_str())];
    form.extend_from_slice(extra);
    b.post_form(&format!("{}/stepup", node.base), &form).await
}

/// One verify post of the challenge on `page` per guess, spread over `nodes`.
fn verify_posts(
    nodes: &[&TestApp],
    b: &Browser,
    page: &Resp,
    guesses: &[Vec<(String, String)>],
) -> Vec<Held> {
    let t = page.hidden("t").unwrap();
    let csrf = page.hidden("csrf").unwrap();
    guesses
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let url = format!("{}/stepup", nodes[i % nodes.len()].base);
            let mut form: Vec<(&str, &str)> =
                vec![("csrf", &csrf), ("t", &t), ("action", "verify")];
            form.extend(g.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Held::post(b, &url, &form)
        })
        .collect()
}

fn code(c: &str) -> Vec<(String, String)> {
    vec![("code".to_owned(), c.to_owned())]
}

/// A six-digit code that is not `right`.
fn wrong_code(right: &str, i: usize) -> String {
    let c = format!("{:06}", (i * 7919 + 123_457) % 1_000_000);
    if c == right {
        "999999".into()
    } else {
        c
    }
}

/// How many guesses the server evaluated: the failures and successes it audited.
async fn evaluated(app: &TestApp) -> usize {
    app.audit("stepup.failure").await.len() + app.audit("stepup.success").await.len()
}

/// The step-up attack of the security review, on `nodes` (one, or two sharing storage): a
/// burst of wrong text-message codes locks the account after the limit, while a right code
/// of another challenge of the same account, sent when it is locked, does not finish; then,
/// after the lockout, a burst of wrong codes with the right one among them is evaluated at
/// most up to the limit, and finishes at most once.
async fn text_message_burst(nodes: &[&TestApp], gw: &FakeGateway) {
    let app = nodes[0];
    let (id, _) = clinician(app).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;

    // The victim's own challenge, waiting for its code.
    let (victim, victim_page, victim_flow) = challenge(nodes[nodes.len() - 1], &rp, "sms:0").await;
    let victim_code = gw.last_code(MOBILE).unwrap();
    // The attacker knows the password and guesses the code.
    let (b, page, _) = challenge(app, &rp, "sms:0").await;
    let right = gw.last_code(MOBILE).unwrap();
    let guesses: Vec<_> = (0..BURST).map(|i| code(&wrong_code(&right, i))).collect();
    let answers = release_together(verify_posts(nodes, &b, &page, &guesses)).await;
    // Wrong (401), or the challenge already over (400): never a way on.
    assert!(
        answers.iter().all(|r| matches!(r.status, 400 | 401)),
        "no guess passes"
    );
    assert_eq!(
        evaluated(app).await,
        LIMIT,
        "{BURST} guesses, {LIMIT} evaluated"
    );
    let refused = app.audit("stepup.refused").await.len();
    let over = answers.iter().filter(|r| r.status == 400).count();
    assert_eq!(
        refused + over,
        BURST - LIMIT,
        "the rest refused unchecked, or too late for the challenge"
    );
    assert!(locked(app, &id).await, "the limit locks the account");

    // The right code for the locked account does not finish, on any node.
    let late = post_stepup(
        nodes[0],
        &victim,
        &victim_page,
        &[("action", "verify"), ("code", &victim_code)],
    )
    .await;
    assert_eq!(late.status, 401, "{}", late.body);
    assert!(!late.headers.contains_key("location"));
    assert_eq!(app.audit("stepup.success").await.len(), 0);
    let _ = victim_flow;

    // After the lockout: a burst with the right code in it.
    app.clock.advance(3600);
    let (b, page, flow) = challenge(nodes[0], &rp, "sms:0").await;
    let right = gw.last_code(MOBILE).unwrap();
    let mut guesses: Vec<_> = (0..BURST - 1)
        .map(|i| code(&wrong_code(&right, i)))
        .collect();
    guesses.insert(BURST / 2, code(&right));
    let before = evaluated(app).await;
    let answers = release_together(verify_posts(nodes, &b, &page, &guesses)).await;
    let done: Vec<&Resp> = answers.iter().filter(|r| r.status == 303).collect();
    assert!(
        evaluated(app).await - before <= LIMIT,
        "at most {LIMIT} evaluated"
    );
    assert!(done.len() <= 1, "a challenge that succeeded is taken once");
    let successes = app.audit("stepup.success").await.len();
    assert_eq!(successes, done.len());
    if let Some(r) = done.first() {
        // Evaluated within the limit: the relying party gets its code, and only one.
        let c = rp.code_from(&flow, r);
        let t = rp.finish(flow, &c).await;
        assert!(t.raw["amr"].as_array().unwrap().contains(&"sms".into()));
    }
}

#[tokio::test]
async fn a_burst_of_text_message_codes_is_evaluated_at_most_up_to_the_limit() {
    let gw = FakeGateway::start().await;
    let app = spawn_app_with(setup(&gw)).await;
    text_message_burst(&[&app], &gw).await;
}

#[tokio::test]
async fn a_burst_of_text_message_codes_over_two_nodes_is_evaluated_at_most_up_to_the_limit() {
    let gw = FakeGateway::start().await;
    let (a, b) = spawn_pair_with(setup(&gw)).await;
    text_message_burst(&[&a, &b], &gw).await;
}

/// A burst of wrong guesses at a challenge of `method` (`tel:0`, `otp` or `kba`), over
/// `nodes`: at most the limit evaluated, the account locked, the rest refused unchecked.
async fn method_burst(nodes: &[&TestApp], method: &str) {
    let app = nodes[0];
    let (id, secret) = clinician(app).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let (b, page, _) = challenge(app, &rp, method).await;
    let now = platform::Clock::now(app.clock.as_ref());
    let valid: Vec<String> = [-60, -30, 0, 30, 60]
        .iter()
        .map(|d| step_up::totp::code_at(&secret, now + d))
        .collect();
    let mut candidates = (0..1_000_000u32)
        .rev()
        .map(|n| format!("{n:06}"))
        .filter(|c| !valid.contains(c));
    let guesses: Vec<Vec<(String, String)>> = (0..BURST)
        .map(|i| match method {
            "kba" => vec![
                ("answer0".into(), format!("wrong {i}")),
                ("answer1".into(), "wrong".into()),
            ],
            "otp" => code(&candidates.next().unwrap()),
            _ => code(&wrong_code("", i)),
        })
        .collect();
    let hashes = checked(nodes);
    let answers = release_together(verify_posts(nodes, &b, &page, &guesses)).await;
    // Wrong (401), or the challenge already over (400): never a way on.
    assert!(
        answers.iter().all(|r| matches!(r.status, 400 | 401)),
        "{:?}",
        answers
            .iter()
            .map(|r| (r.status, r.body.len()))
            .collect::<Vec<_>>()
    );
    assert_eq!(evaluated(app).await, LIMIT, "{method}: {LIMIT} evaluated");
    if method == "kba" {
        assert_eq!(
            checked(nodes) - hashes,
            2 * LIMIT as u64,
            "two answers hashed per evaluated guess, none for the refused"
        );
    }
    assert!(locked(app, &id).await);
}

#[tokio::test]
async fn bursts_at_voice_totp_and_question_challenges_are_evaluated_at_most_up_to_the_limit() {
    for method in ["tel:0", "otp", "kba"] {
        let gw = FakeGateway::start().await;
        let app = spawn_app_with(setup(&gw)).await;
        method_burst(&[&app], method).await;
    }
}

#[tokio::test]
async fn bursts_at_challenges_over_two_nodes_are_evaluated_at_most_up_to_the_limit() {
    for method in ["otp", "kba"] {
        let gw = FakeGateway::start().await;
        let (a, b) = spawn_pair_with(setup(&gw)).await;
        method_burst(&[&a, &b], method).await;
    }
}

/// Passwords: a burst of wrong passwords checks at most the limit, and the right password
/// afterwards, while locked, is refused unchecked with the wrong-password answer.
async fn password_burst(nodes: &[&TestApp]) {
    let app = nodes[0];
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let request = page.hidden("request").unwrap();
    let csrf = page.hidden("csrf").unwrap();
    let post = |i: usize, pw: &str| {
        let url = format!("{}/login", nodes[i % nodes.len()].base);
        Held::post(
            &b,
            &url,
            &[
                ("request", &request),
                ("csrf", &csrf),
                ("login_id", LOGIN_ID),
                ("password", pw),
            ],
        )
    };
    let hashes = checked(nodes);
    let burst: Vec<Held> = (0..BURST)
        .map(|i| post(i, &format!("Wrong-Guess-{i}")))
        .collect();
    let answers = release_together(burst).await;
    assert!(answers.iter().all(|r| r.status != 303));
    assert_eq!(
        checked(nodes) - hashes,
        LIMIT as u64,
        "{BURST} passwords, {LIMIT} checked against the real hash"
    );
    let failures = app.audit("login.failure").await;
    let wrong = failures
        .iter()
        .filter(|f| f.detail.as_deref().is_some_and(|d| d.starts_with("wrong")))
        .count();
    assert_eq!(wrong, LIMIT);
    assert!(locked(app, &id).await);

    // The right password now: refused, unchecked, the same answer as a wrong one.
    let hashes = checked(nodes);
    let r = release_together(vec![post(0, PASSWORD)]).await.remove(0);
    assert_ne!(r.status, 303);
    assert_eq!(
        checked(nodes),
        hashes,
        "a locked account's password is not checked"
    );
    assert_eq!(answers[0].status, r.status);
}

#[tokio::test]
async fn a_burst_of_passwords_is_checked_at_most_up_to_the_limit() {
    let gw = FakeGateway::start().await;
    let app = spawn_app_with(setup(&gw)).await;
    password_burst(&[&app]).await;
}

#[tokio::test]
async fn a_burst_of_passwords_over_two_nodes_is_checked_at_most_up_to_the_limit() {
    let gw = FakeGateway::start().await;
    let (a, b) = spawn_pair_with(setup(&gw)).await;
    password_burst(&[&a, &b]).await;
}

/// "Forgot your password?": a burst of wrong answer pairs with the right pair among them is
/// evaluated at most up to the reset's limit; the right pair reaches the new-password form
/// only if it was among those evaluated.
async fn reset_burst(nodes: &[&TestApp]) {
    let app = nodes[0];
    clinician(app).await;
    let b = Browser::new();
    let page = b.get(&format!("{}/forgot-password", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    let q = b
        .post_form(
            &format!("{}/forgot-password", app.base),
            &[("csrf", &csrf), ("step", "start"), ("login_id", LOGIN_ID)],
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let reset = q.hidden("reset").unwrap();
    let right = answers_on(&q);
    let mut pairs: Vec<Vec<(String, String)>> = (0..BURST - 1)
        .map(|i| {
            vec![
                ("answer0".into(), format!("wrong {i}")),
                ("answer1".into(), "wrong".into()),
            ]
        })
        .collect();
    pairs.insert(BURST / 2, right);
    let posts: Vec<Held> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let url = format!("{}/forgot-password", nodes[i % nodes.len()].base);
            let mut form: Vec<(&str, &str)> =
                vec![("csrf", &csrf), ("step", "answers"), ("reset", &reset)];
            form.extend(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Held::post(&b, &url, &form)
        })
        .collect();
    let hashes = checked(nodes);
    let answers = release_together(posts).await;
    let evaluated = app
        .audit("account.password_reset_answers")
        .await
        .iter()
        .filter(|e| matches!(e.detail.as_deref(), Some("right" | "wrong")))
        .count();
    assert!(evaluated <= RESET_LIMIT, "{evaluated} evaluated");
    assert!(
        checked(nodes) - hashes <= 2 * RESET_LIMIT as u64,
        "two answers hashed per evaluated pair"
    );
    let reached = answers
        .iter()
        .filter(|r| r.body.contains("name=\"new_password\""))
        .count();
    let right_evaluated = app
        .audit("account.password_reset_answers")
        .await
        .iter()
        .filter(|e| e.detail.as_deref() == Some("right"))
        .count();
    assert_eq!(reached, right_evaluated);
    assert!(reached <= 1);
}

#[tokio::test]
async fn a_burst_of_reset_answers_is_evaluated_at_most_up_to_the_limit() {
    let gw = FakeGateway::start().await;
    let app = spawn_app_with(setup(&gw)).await;
    reset_burst(&[&app]).await;
}

#[tokio::test]
async fn a_burst_of_reset_answers_over_two_nodes_is_evaluated_at_most_up_to_the_limit() {
    let gw = FakeGateway::start().await;
    let (a, b) = spawn_pair_with(setup(&gw)).await;
    reset_burst(&[&a, &b]).await;
}

/// A right answer at "Forgot your password?" for an account locked at that moment does not
/// reach the new-password form.
#[tokio::test]
async fn right_reset_answers_for_a_locked_account_do_not_finish() {
    let gw = FakeGateway::start().await;
    let app = spawn_app_with(setup(&gw)).await;
    let (id, _) = clinician(&app).await;
    let b = Browser::new();
    let page = b.get(&format!("{}/forgot-password", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    let q = b
        .post_form(
            &format!("{}/forgot-password", app.base),
            &[("csrf", &csrf), ("step", "start"), ("login_id", LOGIN_ID)],
        )
        .await;
    let reset = q.hidden("reset").unwrap();
    for i in 0..LIMIT {
        let _ = app
            .provider
            .accounts
            .authenticate(LOGIN_ID, &format!("Wrong-{i}"))
            .await;
    }
    assert!(locked(&app, &id).await);
    let hashes = checked(&[&app]);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("step", "answers"), ("reset", &reset)];
    let right = answers_on(&q);
    form.extend(right.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = b
        .post_form(&format!("{}/forgot-password", app.base), &form)
        .await;
    assert!(!r.body.contains("name=\"new_password\""), "{}", r.body);
    assert_eq!(checked(&[&app]), hashes, "refused unchecked");
}

/// The store's attempt counter, the ground the step-up and reset limits stand on: a burst of
/// parallel increments (from two connections with Redis) gives every caller its own number.
#[tokio::test]
async fn the_stores_counter_gives_every_caller_of_a_burst_its_own_number() {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    let (one, two): (Arc<dyn EphemeralStore>, Arc<dyn EphemeralStore>) =
        match redis_store(&storage, clock.clone()).await {
            Some(r) => (
                Arc::new(r),
                Arc::new(redis_store(&storage, clock.clone()).await.unwrap()),
            ),
            None => {
                let m: Arc<dyn EphemeralStore> = Arc::new(MemoryStore::new(clock));
                (m.clone(), m)
            }
        };
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let s = if i % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move { s.incr("stepup-tries:burst", 600).await.unwrap() })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, (1..=200).collect::<Vec<i64>>());
}

/// Parallel sign-ins of one account with the right password are not guesses: those past the
/// limit that arrive while the others are still being checked are refused (with the answer a
/// wrong password gets), but nothing locks the account, and it signs in at once afterwards.
#[tokio::test]
async fn parallel_sign_ins_with_the_right_password_never_lock_the_account() {
    let gw = FakeGateway::start().await;
    let app = spawn_app_with(|c| {
        setup(&gw)(c);
        c.stepup.policy = step_up::Policy::RelyingPartyOnly;
    })
    .await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let mut posts = Vec::new();
    for _ in 0..3 * LIMIT {
        let b = Browser::new();
        let page = b.get(&rp.start(&["profile"], &[]).url).await;
        let (request, csrf) = (
            page.hidden("request").unwrap(),
            page.hidden("csrf").unwrap(),
        );
        posts.push(Held::post(
            &b,
            &format!("{}/login", app.base),
            &[
                ("request", &request),
                ("csrf", &csrf),
                ("login_id", LOGIN_ID),
                ("password", PASSWORD),
            ],
        ));
    }
    let answers = release_together(posts).await;
    let signed_in = answers.iter().filter(|r| r.status == 303).count();
    assert!(signed_in >= 1, "the first ones are checked and sign in");
    assert!(!locked(&app, &id).await, "right passwords never lock");
    assert!(app.audit("account.locked").await.is_empty());
    let b = Browser::new();
    let page = b.get(&rp.start(&["profile"], &[]).url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Attempts taken by requests that died before they could count (a node stopped mid-check)
/// do not leave the account refused for ever: once they are older than any check takes, they
/// count as failures and lock the account, and the lockout ends like any other.
#[tokio::test]
async fn attempts_of_requests_that_died_become_a_lockout_that_ends() {
    use credential_store::Attempt;
    let gw = FakeGateway::start().await;
    let app = spawn_app_with(setup(&gw)).await;
    let id = app.add_clinician().await;
    let acc = &app.provider.accounts;
    for n in 1..=LIMIT as i64 {
        assert_eq!(acc.take_attempt(&id).await.unwrap(), Attempt::Granted(n));
    }
    // Still being checked, as far as anyone can tell: refused, not locked.
    assert_eq!(acc.take_attempt(&id).await.unwrap(), Attempt::Refused);
    assert!(!locked(&app, &id).await);
    app.clock.advance(credential_store::STALE_ATTEMPT_SECS);
    assert_eq!(acc.take_attempt(&id).await.unwrap(), Attempt::Refused);
    assert!(locked(&app, &id).await, "stale attempts are failures");
    app.clock.advance(3600);
    assert_eq!(acc.take_attempt(&id).await.unwrap(), Attempt::Granted(1));
    assert!(acc.attempt_succeeded(&id).await.unwrap());
    assert!(acc.authenticate(LOGIN_ID, PASSWORD).await.is_ok());
}
