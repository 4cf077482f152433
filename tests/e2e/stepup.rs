//! Step-up end to end: codes by text message and voice call through a fake Twilio-compatible
//! gateway (real HTTP), challenge questions, TOTP with a moved clock, remembered and revoked
//! devices, relying parties asking for multi-factor, and sensitive self-service changes.

use credential_store::{PhoneKind, QuestionAnswer, QUESTIONS};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::gateway::FakeGateway;
use oneid_tests::rp::{Rp, Started};
use oneid_tests::{spawn_app_with, TestApp, LOGIN_ID, PASSWORD};

const MOBILE: &str = "+14165550199";
const LANDLINE: &str = "+16135550142";
const ANSWERS: [&str; 3] = ["Biscuit", "Kingston", "Maple Street"];

/// A server that steps up unrecognized browsers, sending codes through `gw`.
async fn app_with(gw: &FakeGateway, policy: step_up::Policy) -> TestApp {
    let (url, sid, token) = (gw.base_url.clone(), gw.sid.clone(), gw.token.clone());
    spawn_app_with(move |c| {
        c.stepup.policy = policy;
        c.stepup.gateway.base_url = url;
        c.stepup.gateway.account_sid = sid;
        c.stepup.gateway.auth_token = token;
        c.stepup.gateway.from = "+15005550006".into();
        c.stepup.gateway.retries = 0;
    })
    .await
}

/// The clinician with a mobile and a landline challenge phone and three online questions.
async fn clinician(app: &TestApp, phones: &[(&str, PhoneKind)], questions: bool) -> String {
    let id = app.add_clinician().await;
    let list: Vec<(String, PhoneKind)> = phones.iter().map(|(n, k)| ((*n).into(), *k)).collect();
    app.provider
        .accounts
        .set_challenge_phones(&id, &list, false)
        .await
        .unwrap();
    if questions {
        let qa = |i: usize, a: &str| QuestionAnswer {
            question_id: QUESTIONS[i].id.into(),
            answer: a.into(),
        };
        app.provider
            .accounts
            .set_challenge_questions(
                &id,
                &[qa(0, ANSWERS[0]), qa(1, ANSWERS[1]), qa(2, ANSWERS[2])],
                &[qa(3, "Rivera"), qa(4, "Lakefield")],
            )
            .await
            .unwrap();
    }
    id
}

/// Starts a flow at `rp` and signs in with the password; returns what came back.
async fn sign_in(app: &TestApp, rp: &Rp, b: &Browser, extra: &[(&str, &str)]) -> (Started, Resp) {
    let s = rp.start(&["profile"], extra);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    (s, r)
}

fn is_stepup(r: &Resp) -> bool {
    r.status == 200 && r.body.contains("name=\"action\" value=\"choose\"")
}

/// Posts an action of the step-up form on `page`.
async fn act(
    app: &TestApp,
    b: &Browser,
    page: &Resp,
    action: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let t = page.hidden("t").expect("a step-up page");
    let csrf = page.hidden("csrf").unwrap();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("t", t.as_str()),
        ("action", action),
    ];
    form.extend_from_slice(extra);
    b.post_form(&format!("{}/stepup", app.base), &form).await
}

fn offered(page: &Resp) -> Vec<String> {
    page.body
        .match_indices("name=\"method\" value=\"")
        .map(|(i, m)| {
            let rest = &page.body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_new_browser_is_stepped_up_by_text_message_then_remembered() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    clinician(&app, &[(MOBILE, PhoneKind::Mobile)], true).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    assert!(is_stepup(&r), "{}", r.body);
    assert_eq!(offered(&r), ["sms:0", "tel:0", "kba"]);
    assert!(
        r.body.contains("0199") && !r.body.contains("416-555-0199"),
        "masked"
    );
    let code_page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    assert_eq!(code_page.status, 200, "{}", code_page.body);
    let sent = gw.wait_for(1).await;
    assert_eq!(sent[0].kind, "sms");
    assert_eq!(sent[0].to, MOBILE);
    let code = gw.last_code(MOBILE).unwrap();
    assert!(sent[0].body.contains(&code));
    let done = act(
        &app,
        &b,
        &code_page,
        "verify",
        &[("code", &code), ("remember", "on")],
    )
    .await;
    let c = rp.code_from(&s, &done);
    let tokens = rp.finish(s, &c).await;
    assert_eq!(tokens.raw["acr"], "urn:oneid:loa:1:mfa");
    let amr: Vec<&str> = tokens.raw["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(amr, ["pwd", "sms", "mfa"]);
    assert!(done.headers["set-cookie"].contains("oneid_device="));

    // The same browser signs in again with the password alone.
    let (s, again) = sign_in(&app, &rp, &b, &[("prompt", "login")]).await;
    let c = rp.code_from(&s, &again);
    let t = rp.finish(s, &c).await;
    assert_eq!(t.raw["acr"], "urn:oneid:loa:1");
    // On that remembered browser, a relying party asking for multi-factor still gets it.
    let s = rp.start(&["profile"], &[("acr_values", "urn:oneid:loa:1:mfa")]);
    let r = b.get(&s.url).await;
    assert!(is_stepup(&r), "{}", r.body);
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let code = gw.last_code(MOBILE).unwrap();
    let done = act(&app, &b, &page, "verify", &[("code", &code)]).await;
    let c = rp.code_from(&s, &done);
    assert_eq!(rp.finish(s, &c).await.raw["acr"], "urn:oneid:loa:1:mfa");
    // Another browser is stepped up again.
    let (_, other) = sign_in(&app, &rp, &Browser::new(), &[]).await;
    assert!(is_stepup(&other));
    assert_eq!(app.audit("device.remembered").await.len(), 1);
    // Each step-up is counted by method and outcome on the operator's /metrics.
    let m = app.metrics().await;
    assert!(
        m.contains(r#"oneid_stepups_total{method="sms",outcome="success"} 2"#),
        "{m}"
    );
    assert!(
        m.contains(r#"oneid_stepups_total{method="sms",outcome="code_sent"} 2"#),
        "{m}"
    );
}

#[tokio::test]
async fn a_voice_call_reads_the_code_twice_in_the_account_language() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    let id = clinician(&app, &[(LANDLINE, PhoneKind::Landline)], false).await;
    let mut acc = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    acc.locale = "fr".into();
    app.provider
        .accounts
        .update_profile(
            &id,
            &credential_store::ProfileUpdate {
                given_name: acc.given_name.clone(),
                family_name: acc.family_name.clone(),
                locale: "fr".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    assert_eq!(offered(&r), ["tel:0"], "a landline takes calls only");
    let code_page = act(&app, &b, &r, "choose", &[("method", "tel:0")]).await;
    let call = gw.wait_for(1).await.remove(0);
    assert_eq!(call.kind, "call");
    assert_eq!(
        call.body.matches("<Say language=\"fr-CA\">").count(),
        2,
        "{}",
        call.body
    );
    let code = gw.last_code(LANDLINE).unwrap();
    let done = act(&app, &b, &code_page, "verify", &[("code", &code)]).await;
    let c = rp.code_from(&s, &done);
    let t = rp.finish(s, &c).await;
    assert!(t.raw["amr"].as_array().unwrap().contains(&"tel".into()));
    assert!(!done
        .headers
        .get("set-cookie")
        .is_some_and(|c| c.contains("oneid_device=")));
}

/// The answers to the two questions on a page, from their labels.
fn answers_on(page: &Resp) -> Vec<(String, String)> {
    page.answers_to_questions(&ANSWERS)
        .into_iter()
        .enumerate()
        .map(|(i, a)| (format!("answer{i}"), a.to_owned()))
        .collect()
}

#[tokio::test]
async fn without_a_phone_the_challenge_questions_are_the_fallback() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    clinician(&app, &[], true).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    assert_eq!(offered(&r), ["kba"]);
    // A method the account does not have is refused with a clear message.
    let bad = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("Choose one of the ways offered"),
        "{}",
        bad.body
    );
    let q = act(&app, &b, &bad, "choose", &[("method", "kba")]).await;
    let answers = answers_on(&q);
    let wrong = act(
        &app,
        &b,
        &q,
        "verify",
        &[("answer0", "no"), ("answer1", "no")],
    )
    .await;
    assert_eq!(wrong.status, 401);
    let pairs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = act(&app, &b, &wrong, "verify", &pairs).await;
    let c = rp.code_from(&s, &done);
    let t = rp.finish(s, &c).await;
    assert!(t.raw["amr"].as_array().unwrap().contains(&"kba".into()));
    assert!(gw.sent().is_empty());
}

#[tokio::test]
async fn totp_codes_work_once_within_their_window() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    let id = clinician(&app, &[], false).await;
    let secret = step_up::totp::new_secret();
    app.provider.accounts.set_totp(&id, &secret).await.unwrap();
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    assert_eq!(offered(&r), ["otp"]);
    let page = act(&app, &b, &r, "choose", &[("method", "otp")]).await;
    let now = platform::Clock::now(app.clock.as_ref());
    let stale = step_up::totp::code_at(&secret, now - 90);
    assert_eq!(
        act(&app, &b, &page, "verify", &[("code", &stale)])
            .await
            .status,
        401
    );
    let code = step_up::totp::code_at(&secret, now);
    let done = act(&app, &b, &page, "verify", &[("code", &code)]).await;
    let c = rp.code_from(&s, &done);
    let t = rp.finish(s, &c).await;
    assert!(t.raw["amr"].as_array().unwrap().contains(&"otp".into()));
    // The same code again, from another browser: refused.
    let b2 = Browser::new();
    let (_, r2) = sign_in(&app, &rp, &b2, &[]).await;
    let page2 = act(&app, &b2, &r2, "choose", &[("method", "otp")]).await;
    assert_eq!(
        act(&app, &b2, &page2, "verify", &[("code", &code)])
            .await
            .status,
        401
    );
    // Thirty seconds on, the next code works.
    app.clock.advance(30);
    let next = step_up::totp::code_at(&secret, now + 30);
    let ok = act(&app, &b2, &page2, "verify", &[("code", &next)]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}

#[tokio::test]
async fn wrong_codes_run_out_and_codes_expire() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    let id = clinician(&app, &[(MOBILE, PhoneKind::Mobile)], false).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;

    // Expired: the right code five minutes later no longer works; a new one does.
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let code = gw.last_code(MOBILE).unwrap();
    app.clock.advance(301);
    let late = act(&app, &b, &page, "verify", &[("code", &code)]).await;
    assert_eq!(late.status, 400);
    assert!(late.body.contains("This code has expired"));
    let resent = act(&app, &b, &late, "resend", &[]).await;
    assert_eq!(resent.status, 200);
    // Resending at once is throttled.
    let too_soon = act(&app, &b, &resent, "resend", &[]).await;
    assert_eq!(too_soon.status, 429);
    let fresh = gw.last_code(MOBILE).unwrap();
    assert_ne!(fresh, code);
    let done = act(&app, &b, &resent, "verify", &[("code", &fresh)]).await;
    rp.code_from(&s, &done);

    // Five wrong codes end the challenge (and count toward the account's lockout).
    let b = Browser::new();
    let (_, r) = sign_in(&app, &rp, &b, &[]).await;
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let right = gw.last_code(MOBILE).unwrap();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..4 {
        assert_eq!(
            act(&app, &b, &page, "verify", &[("code", wrong)])
                .await
                .status,
            401
        );
    }
    let last = act(&app, &b, &page, "verify", &[("code", wrong)]).await;
    assert_eq!(last.status, 401);
    assert!(last.body.contains("Too many wrong answers"));
    let after = act(&app, &b, &page, "verify", &[("code", &right)]).await;
    assert_eq!(after.status, 400, "the challenge is over");
    assert_eq!(app.audit("stepup.failure").await.len(), 5);
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(a.locked_until.is_some(), "five failures lock the account");
}

#[tokio::test]
async fn a_gateway_outage_offers_the_other_methods() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    clinician(&app, &[(MOBILE, PhoneKind::Mobile)], true).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    gw.set_down(true);
    let down = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    assert_eq!(down.status, 503);
    assert!(down.body.contains("We could not send a code right now"));
    assert_eq!(offered(&down), ["tel:0", "kba"]);
    let q = act(&app, &b, &down, "choose", &[("method", "kba")]).await;
    let answers = answers_on(&q);
    let pairs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = act(&app, &b, &q, "verify", &pairs).await;
    rp.code_from(&s, &done);
    assert!(!app.audit("stepup.gateway_error").await.is_empty());
    let m = app.metrics().await;
    assert!(
        m.contains(r#"oneid_gateway_errors_total{method="sms"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"oneid_stepups_total{method="kba",outcome="success"} 1"#),
        "{m}"
    );
}

#[tokio::test]
async fn relying_parties_asking_for_multi_factor_step_up_the_session() {
    let gw = FakeGateway::start().await;
    // Remembered or not does not matter here: the relying party asks.
    let app = app_with(&gw, step_up::Policy::RelyingPartyOnly).await;
    clinician(&app, &[(MOBILE, PhoneKind::Mobile)], false).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let plain = rp.login(&b, LOGIN_ID, PASSWORD).await;
    assert_eq!(plain.raw["acr"], "urn:oneid:loa:1");

    // acr_values with :mfa on the live session: a challenge, no password.
    let s = rp.start(&["profile"], &[("acr_values", "urn:oneid:loa:1:mfa")]);
    let r = b.get(&s.url).await;
    assert!(is_stepup(&r), "{}", r.body);
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let code = gw.last_code(MOBILE).unwrap();
    let done = act(&app, &b, &page, "verify", &[("code", &code)]).await;
    let c = rp.code_from(&s, &done);
    let t = rp.finish(s, &c).await;
    assert_eq!(t.raw["acr"], "urn:oneid:loa:1:mfa");
    assert_eq!(t.sid(), plain.sid(), "the same session, raised");
    // Now the session satisfies it: straight through.
    rp.sso(&b, &[("acr_values", "urn:oneid:loa:1:mfa")]).await;

    // An essential acr the account can never reach: unmet_authentication_requirements.
    let claims = r#"{"id_token":{"acr":{"essential":true,"values":["urn:oneid:loa:3"]}}}"#;
    let s = rp.start(&["profile"], &[("claims", claims)]);
    let r = b.get(&s.url).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("unmet_authentication_requirements")
    );

    // A client registered with require_mfa steps up every sign-in.
    let strict = Rp::discover(
        &app.add_client_with("strict", |n| n.require_mfa = true)
            .await,
    )
    .await;
    let fresh = Browser::new();
    let s = strict.start(&["profile"], &[]);
    let page = fresh.get(&s.url).await;
    let r = fresh.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert!(is_stepup(&r));
}

#[tokio::test]
async fn a_revoked_device_is_stepped_up_again() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    let id = clinician(&app, &[(MOBILE, PhoneKind::Mobile)], false).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let (s, r) = sign_in(&app, &rp, &b, &[]).await;
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let code = gw.last_code(MOBILE).unwrap();
    let done = act(
        &app,
        &b,
        &page,
        "verify",
        &[("code", &code), ("remember", "on")],
    )
    .await;
    rp.code_from(&s, &done);

    // My Profile lists it; the clinician removes it there.
    let list = b.get(&format!("{}/account/devices", app.base)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let devices = app.provider.devices.list(&id).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert!(list.body.contains(&devices[0].browser));
    // The browser in use is marked as this computer; the same one remembered from another
    // browser is not.
    assert!(list.body.contains("(this computer)</h2>"), "{}", list.body);
    let other = Browser::new();
    let (s2, r2) = sign_in(&app, &rp, &other, &[]).await;
    let page2 = act(&app, &other, &r2, "choose", &[("method", "sms:0")]).await;
    let code2 = gw.last_code(MOBILE).unwrap();
    let done2 = act(
        &app,
        &other,
        &page2,
        "verify",
        &[("code", &code2), ("remember", "on")],
    )
    .await;
    rp.code_from(&s2, &done2);
    let list = b.get(&format!("{}/account/devices", app.base)).await;
    assert_eq!(
        list.body.matches("(this computer)</h2>").count(),
        1,
        "{}",
        list.body
    );
    assert_eq!(list.body.matches("class=\"secondary small\"").count(), 2);
    let fr = b
        .get(&format!("{}/account/devices?ui_locales=fr", app.base))
        .await;
    assert!(fr.body.contains(" sous "), "{}", fr.body);
    assert!(fr.body.contains("(cet ordinateur)</h2>"), "{}", fr.body);
    b.get(&format!("{}/account/devices?ui_locales=en", app.base))
        .await;
    let devices: Vec<_> = app
        .provider
        .devices
        .list(&id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.revoked_at.is_none())
        .collect();
    let list = b.get(&format!("{}/account/devices", app.base)).await;
    let mine = devices
        .iter()
        .find(|d| {
            let at = list.body.find(&format!("value=\"{}\"", d.id)).unwrap();
            let form = &list.body[at..at + list.body[at..].find("</form>").unwrap()];
            form.contains("(this computer)")
        })
        .expect("this computer's entry");
    let devices = [mine.clone()];
    let csrf = list.hidden("csrf").unwrap();
    let revoked = b
        .post_form(
            &format!("{}/account/devices", app.base),
            &[("csrf", &csrf), ("device", &devices[0].id)],
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert!(revoked.body.contains("The computer is removed."));
    let (_, again) = sign_in(&app, &rp, &b, &[("prompt", "login")]).await;
    assert!(is_stepup(&again), "stepped up again after the revocation");
    assert_eq!(app.audit("device.revoked").await.len(), 1);
}

#[tokio::test]
async fn sensitive_changes_need_a_recent_step_up() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    clinician(&app, &[(MOBILE, PhoneKind::Mobile)], false).await;
    let b = Browser::new();
    // Signing in to My Profile from a new browser is itself stepped up.
    let r = b.get(&format!("{}/account/security", app.base)).await;
    let login = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let r = b.login(&app.base, &login, LOGIN_ID, PASSWORD).await;
    assert!(is_stepup(&r));
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let code = gw.last_code(MOBILE).unwrap();
    let done = act(
        &app,
        &b,
        &page,
        "verify",
        &[("code", &code), ("remember", "on")],
    )
    .await;
    assert_eq!(done.location(), Some("/account/security"));
    assert_eq!(
        b.get(&format!("{}/account/security", app.base))
            .await
            .status,
        200
    );
    // Eleven minutes later: the page asks for a step-up again (not the password).
    app.clock.advance(660);
    let r = b.get(&format!("{}/account/security", app.base)).await;
    assert!(is_stepup(&r), "{}", r.body);
    let page = act(&app, &b, &r, "choose", &[("method", "sms:0")]).await;
    let code = gw.last_code(MOBILE).unwrap();
    let done = act(&app, &b, &page, "verify", &[("code", &code)]).await;
    assert_eq!(done.location(), Some("/account/security"));
    assert_eq!(
        b.get(&format!("{}/account/security", app.base))
            .await
            .status,
        200
    );
    // The profile itself needs no step-up.
    app.clock.advance(660);
    assert_eq!(b.get(&format!("{}/account", app.base)).await.status, 200);
}

#[tokio::test]
async fn an_authenticator_app_is_enrolled_from_my_profile_with_a_qr_code() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::RelyingPartyOnly).await;
    let id = clinician(&app, &[], false).await;
    let b = Browser::new();
    let r = b.get(&format!("{}/account/totp", app.base)).await;
    let login = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &login, LOGIN_ID, PASSWORD).await;
    assert_eq!(back.location(), Some("/account/totp"));
    let page = b.get(&format!("{}/account/totp", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg") && !page.body.contains("<script"));
    // The key shown beside the QR code.
    let start = page.body.find("<dd>").unwrap() + 4;
    let key = &page.body[start..start + page.body[start..].find('<').unwrap()];
    let secret = step_up::totp::from_base32(key).unwrap();
    assert_eq!(secret.len(), 20);
    let csrf = page.hidden("csrf").unwrap();
    let post = |code: String| {
        let (b, csrf, base) = (b.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/account/totp"),
                &[
                    ("csrf", csrf.as_str()),
                    ("action", "confirm"),
                    ("code", &code),
                ],
            )
            .await
        }
    };
    let wrong = post("000000".into()).await;
    assert_eq!(wrong.status, 400);
    assert!(app.provider.accounts.totp(&id).await.unwrap().is_none());
    let now = platform::Clock::now(app.clock.as_ref());
    let ok = post(step_up::totp::code_at(&secret, now)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("Your authenticator app is set up."));
    let (stored, _) = app.provider.accounts.totp(&id).await.unwrap().unwrap();
    assert_eq!(stored, secret);
    assert_eq!(app.audit("account.totp_enrolled").await.len(), 1);
    // Removing it is a sensitive change too; here a recent sign-in suffices.
    let removed = b
        .post_form(
            &format!("{}/account/totp", app.base),
            &[("csrf", csrf.as_str()), ("action", "remove")],
        )
        .await;
    assert!(removed.body.contains("The authenticator app is removed."));
    assert!(app.provider.accounts.totp(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn every_challenge_method_works_in_a_real_browser() {
    use oneid_tests::webdriver::Browser as Chrome;
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::UnrecognizedDevice).await;
    let id = clinician(&app, &[(MOBILE, PhoneKind::Mobile)], true).await;
    let secret = step_up::totp::new_secret();
    app.provider.accounts.set_totp(&id, &secret).await.unwrap();
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let chrome = Chrome::start().await;
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    for method in ["sms:0", "tel:0", "kba", "otp"] {
        let s = rp.start(&["profile"], &[("prompt", "login")]);
        chrome.goto(&s.url).await;
        chrome.type_into("#login_id", LOGIN_ID).await;
        chrome.type_into("#password", PASSWORD).await;
        chrome.click("button[type=submit]").await;
        chrome.wait_for("#choose").await;
        chrome
            .click(&format!("input[name=method][value='{method}']"))
            .await;
        chrome.screenshot(&shots.join("stepup-1-choose.png")).await;
        chrome.click("#choose button[type=submit]").await;
        chrome.wait_for("#verify").await;
        match method {
            "kba" => {
                for i in 0..2 {
                    let label = chrome.text(&format!("label[for=answer{i}]")).await;
                    let k = QUESTIONS
                        .iter()
                        .position(|q| label.starts_with(q.en))
                        .unwrap_or_else(|| panic!("question {label}"));
                    chrome.type_into(&format!("#answer{i}"), ANSWERS[k]).await;
                }
            }
            "otp" => {
                let now = platform::Clock::now(app.clock.as_ref());
                // One code per step: move on a step so this one was never used.
                app.clock.advance(30);
                let code = step_up::totp::code_at(&secret, now + 30);
                chrome.type_into("#code", &code).await;
            }
            _ => {
                let phone = MOBILE;
                let code = gw.last_code(phone).unwrap();
                chrome.type_into("#code", &code).await;
            }
        }
        chrome
            .screenshot(&shots.join(format!("stepup-2-{}.png", method.replace(':', ""))))
            .await;
        // Do not remember this computer, so the next round is stepped up again.
        chrome.click("#remember").await;
        chrome.click("#verify button[type=submit]").await;
        let mut url = String::new();
        for _ in 0..50 {
            url = chrome.url().await;
            if url.starts_with(&rp.cfg.redirect_uri) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(url.starts_with(&rp.cfg.redirect_uri), "{method}: at {url}");
        assert!(url.contains("code="), "{method}: {url}");
    }
    chrome.quit().await;
    let methods: Vec<_> = app
        .audit("stepup.success")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert_eq!(methods, ["otp", "kba", "tel", "sms"], "newest first");
    assert!(app.provider.devices.list(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_later_step_up_with_questions_does_not_pass_for_the_possession_staff_work_needs() {
    let gw = FakeGateway::start().await;
    let app = app_with(&gw, step_up::Policy::RelyingPartyOnly).await;
    let id = clinician(&app, &[], true).await;
    let secret = app.give_totp(&id).await;
    app.provider
        .accounts
        .grant_role(&id, "service_desk", "test")
        .await
        .unwrap();
    let b = Browser::new();
    let desk = format!("{}/desk", app.base);
    let r = b.get(&desk).await;
    let login = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    b.login(&app.base, &login, LOGIN_ID, PASSWORD).await;
    let ask = b.get(&desk).await;
    let done = app.step_up_totp(&b, &ask, &secret).await;
    assert_eq!(done.location(), Some("/desk"), "{}", done.body);
    assert_eq!(b.get(&desk).await.status, 200);
    // Later, the app's step-up no longer recent, the questions confirm closing the account's
    // page (any method will do there).
    app.clock.advance(app.provider.stepup.recent_secs + 1);
    let close = b.get(&format!("{}/account/close", app.base)).await;
    let csrf = close.hidden("csrf").unwrap();
    let t = close
        .hidden("t")
        .unwrap_or_else(|| panic!("{}", close.body));
    let url = format!("{}/stepup", app.base);
    let qs = b
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("t", &t),
                ("action", "choose"),
                ("method", "kba"),
            ],
        )
        .await;
    let answers = answers_on(&qs);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("t", &t), ("action", "verify")];
    for (k, v) in &answers {
        form.push((k.as_str(), v.as_str()));
    }
    let ok = b.post_form(&url, &form).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    // The desk asks again: questions prove no possession, whatever the session did before.
    let again = b.get(&desk).await;
    assert!(
        again.body.contains("name=\"action\" value=\"choose\""),
        "{}",
        again.body
    );
    assert!(!again.body.contains("value=\"kba\""), "{}", again.body);
}
