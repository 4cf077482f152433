//! The registry's tokens: a hand-off or a report without `kid` during a key rotation (every
//! live key of its algorithm is tried, a retired one never), the header `typ` that tells a
//! hand-off from a termination report, and the limit on reports per address.

use super::*;

/// POSTs a termination report the way a registry does; (status, JSON body).
async fn post_report(app: &TestApp, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/registries/terminations", app.base))
        .header("content-type", "application/jwt")
        .body(token.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

/// Report claims listing `members`, issued now.
fn report_claims(env: &Env, members: &[&str]) -> Value {
    let now = env.now();
    json!({
        "iss": REGISTRY,
        "aud": env.app.base,
        "jti": platform::crypto::random_token(16),
        "iat": now,
        "exp": now + 300,
        "terminated": members,
    })
}

#[tokio::test]
async fn without_a_kid_every_live_key_is_tried_so_the_older_key_works_during_the_overlap() {
    let env = env().await;
    let (new_key, new_public) = key_pair();
    // A day later, the registry rotates.
    env.app.clock.advance(86_400);
    env.app
        .provider
        .registration
        .registries
        .add_key(REGISTRY, "ES256", &new_public, Some("cpso-2026"), Some(600))
        .await
        .unwrap();
    // The registry's keys are listed newest first, so the older one is not the first tried.
    let keys = env
        .app
        .provider
        .registration
        .registries
        .live_keys(REGISTRY)
        .await
        .unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid, "cpso-2026");
    let by_old = |env: &Env| sign_with(&env.key, None, &env.claims(&PATRICIA));
    let by_new = |env: &Env| sign_with(&new_key, None, &env.claims(&PATRICIA));

    // Inside the overlap: a kid-less hand-off by either key starts the wizard, and a kid-less
    // report by the older key is accepted.
    env.app.clock.advance(590);
    Wiz::start(&env.app, PATRICIA, &by_old(&env)).await;
    Wiz::start(&env.app, PATRICIA, &by_new(&env)).await;
    let report = report_with(&env.key, None, &report_claims(&env, &["m-00001"]));
    let (status, _, body) = post_report(&env.app, &report).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unknown"], json!(["m-00001"]));

    // After it the older key is retired: its kid-less hand-off and report are refused, and a
    // key that was never the registry's is refused too.
    env.app.clock.advance(11);
    refused(&env, &by_old(&env), 400, "bad_signature").await;
    let (stranger, _) = key_pair();
    refused(
        &env,
        &sign_with(&stranger, None, &env.claims(&PATRICIA)),
        400,
        "bad_signature",
    )
    .await;
    let report = report_with(&env.key, None, &report_claims(&env, &["m-00002"]));
    let (status, _, body) = post_report(&env.app, &report).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(!env
        .app
        .provider
        .registration
        .reported_terminated(REGISTRY, "m-00002")
        .await
        .unwrap());
    let refusals = env.app.audit("registry.report_refused").await;
    assert_eq!(refusals[0].detail.as_deref(), Some("bad_signature"));
    // The new key, kid or not, carries on.
    Wiz::start(&env.app, PATRICIA, &by_new(&env)).await;
}

#[tokio::test]
async fn hand_offs_and_reports_are_told_apart_by_their_type_not_their_claims() {
    let env = env().await;
    let app = &env.app;
    // A hand-off signed as a report, with no type or with the generic one: refused, nothing
    // starts.
    let claims = env.claims(&PATRICIA);
    for token in [
        report_with(&env.key, Some(&env.kid), &claims),
        sign_as(None, &env.key, Some(&env.kid), &env.claims(&PATRICIA)),
        sign_as(
            Some("JWT"),
            &env.key,
            Some(&env.kid),
            &env.claims(&PATRICIA),
        ),
    ] {
        refused(&env, &token, 400, "wrong_type").await;
    }
    // The media-type form of the hand-off's type is the same type.
    Wiz::start(
        app,
        PATRICIA,
        &sign_as(
            Some("application/oneid-handoff+jwt"),
            &env.key,
            Some(&env.kid),
            &env.claims(&PATRICIA),
        ),
    )
    .await;

    // A report signed as a hand-off terminates nobody, though its claims are a report's.
    let (_, samira) = env.register(SAMIRA).await;
    let as_handoff = sign_with(
        &env.key,
        Some(&env.kid),
        &report_claims(&env, &[SAMIRA.sub]),
    );
    let (status, _, body) = post_report(app, &as_handoff).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    let refusals = app.audit("registry.report_refused").await;
    assert_eq!(refusals[0].detail.as_deref(), Some("wrong_type"));
    let a = app
        .provider
        .accounts
        .find_by_id(&samira)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Active);
    assert!(!app
        .provider
        .registration
        .reported_terminated(REGISTRY, SAMIRA.sub)
        .await
        .unwrap());
    // Signed as a report, it does.
    let (status, _, body) = post_report(app, &env.report(&[SAMIRA.sub])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["terminated"], json!([SAMIRA.sub]));
}

#[tokio::test]
async fn termination_reports_are_limited_per_address() {
    let env = env_with(|c| c.limits.login_per_address = 3).await;
    let app = &env.app;
    for i in 0..3 {
        let member = format!("m-{i}");
        let (status, _, body) = post_report(app, &env.report(&[&member])).await;
        assert_eq!(status, 200, "report {i}: {body}");
    }
    // The fourth in the window is turned away before it is read.
    let (status, headers, body) = post_report(app, &env.report(&["m-3"])).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("slow_down")));
    let wait: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0);
    assert!(!app
        .provider
        .registration
        .reported_terminated(REGISTRY, "m-3")
        .await
        .unwrap());
    // A bad report counts too, and a new window lets reports in again.
    app.clock.advance(wait);
    let (status, _, _) = post_report(app, "not-a-report").await;
    assert_eq!(status, 401);
    let (status, _, body) = post_report(app, &env.report(&["m-3"])).await;
    assert_eq!(status, 200, "{body}");
    assert!(app
        .provider
        .registration
        .reported_terminated(REGISTRY, "m-3")
        .await
        .unwrap());
}
