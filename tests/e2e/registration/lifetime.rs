//! How long a registration may take and how a registry's report ends it: the wizard's
//! absolute cap from the hand-off (steps do not stretch it), a member reported terminated
//! while in the wizard (no account at the end, no new hand-off), and a reported termination
//! done like an administrator's (refresh tokens revoked) in one transaction.

use super::*;

const MEMBER_TERMINATED: &str = "Your registry has reported that your registration with it has ended, so you cannot register for ONE ID through it. If this is a mistake, contact your registry.";

/// The `Max-Age` of the wizard cookie a response sets.
fn cookie_max_age(r: &Resp) -> Option<i64> {
    r.headers
        .get("set-cookie")?
        .lines()
        .find(|c| c.starts_with("oneid_signup="))?
        .split(';')
        .find_map(|a| a.trim().strip_prefix("Max-Age="))?
        .parse()
        .ok()
}

#[tokio::test]
async fn steps_renew_the_idle_timeout_but_never_past_two_hours_from_the_hand_off() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("questions").await;
    // Every 25 minutes a step: each one renews the 30-minute idle timeout...
    for _ in 0..4 {
        env.app.clock.advance(25 * 60);
        let r = w.nav("questions", "back", &w.valid("questions")).await;
        assert_eq!(r.status, 303, "{}", r.body);
        w.pass("designation").await;
    }
    // ... until the cap: 100 minutes in, 20 are left, and the cookie says so.
    let r = w.nav("questions", "back", &w.valid("questions")).await;
    assert_eq!(cookie_max_age(&r), Some(20 * 60));
    env.app.clock.advance(19 * 60);
    w.pass("designation").await;
    assert_eq!(w.get("questions").await.status, 200);
    // Two hours after the hand-off it is over, though the last step was a minute ago.
    env.app.clock.advance(60);
    let r = w.get("questions").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains(&esc(EXPIRED)), "{}", r.body);
    for s in &STEPS[3..] {
        let r = w.next(s, &w.valid(s)).await;
        assert_eq!(r.status, 400, "{s}");
    }
    assert_eq!(env.accounts().await, 0);
}

#[tokio::test]
async fn the_cap_is_configurable() {
    let env = env_with(|c| c.registration.wizard_max_secs = 600).await;
    let w = env.start(PATRICIA).await;
    env.app.clock.advance(590);
    w.walk_to("password").await;
    env.app.clock.advance(10);
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains(&esc(EXPIRED)));
    assert_eq!(env.accounts().await, 0);
}

#[tokio::test]
async fn a_member_reported_terminated_during_the_wizard_cannot_finish_nor_start_again() {
    let env = env().await;
    let app = &env.app;
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    // The registry reports Patricia before she has an account.
    let t = app
        .provider
        .registration
        .terminate_members(REGISTRY, &[PATRICIA.sub.into()], "registry:cpso")
        .await
        .unwrap();
    assert_eq!(t.unknown, [PATRICIA.sub]);
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains(&esc(MEMBER_TERMINATED)), "{}", r.body);
    assert_eq!(env.accounts().await, 0, "no account");
    assert!(app.audit("account.registered").await.is_empty());
    // The wizard is over.
    assert_eq!(w.get("password").await.status, 400);
    // A new hand-off is refused with the same page, and starts nothing.
    let b = Browser::new();
    let r = hand_off(app, &b, &env.handoff(&PATRICIA, json!({}))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains(&esc(MEMBER_TERMINATED)));
    assert_eq!(wizard_cookie(&r), None);
    let refusals: Vec<String> = app
        .audit("registration.refused")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals
        .iter()
        .all(|d| d.starts_with("member_terminated") && d.contains("member=m-71234")));
    // In French too.
    let r = b
        .post_form(
            &format!("{}/register?ui_locales=fr", app.base),
            &[("assertion", &env.handoff(&PATRICIA, json!({})))],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Votre registre a signalé"), "{}", r.body);
    // Others are not affected.
    env.register(SAMIRA).await;
}

#[tokio::test]
async fn a_reported_termination_revokes_refresh_tokens_and_is_all_or_nothing() {
    let env = env().await;
    let app = &env.app;
    let (login, id) = env.register(PATRICIA).await;
    let rp = viewer(app).await;
    let t = rp.login(&Browser::new(), &login, PASSWORD).await;
    let live_tokens = || async {
        app.count(&format!(
            "refresh_tokens WHERE account_id = '{id}' AND revoked = 0"
        ))
        .await
    };
    assert_eq!(live_tokens().await, 1);

    // The audit row cannot be written: nothing of the termination stays.
    let (block, unblock) = match oneid_tests::backend() {
        oneid_tests::Backend::Embedded => (
            vec![
                "CREATE TRIGGER no_terminations BEFORE INSERT ON audit_log \
                  WHEN NEW.event = 'account.terminated' \
                  BEGIN SELECT RAISE(ABORT, 'blocked by the test'); END",
            ],
            vec!["DROP TRIGGER no_terminations"],
        ),
        _ => (
            vec![
                "CREATE FUNCTION no_terminations() RETURNS trigger AS $$ BEGIN \
                 IF NEW.event = 'account.terminated' THEN \
                 RAISE EXCEPTION 'blocked by the test'; END IF; RETURN NEW; END $$ \
                 LANGUAGE plpgsql",
                "CREATE TRIGGER no_terminations BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION no_terminations()",
            ],
            vec![
                "DROP TRIGGER no_terminations ON audit_log",
                "DROP FUNCTION no_terminations()",
            ],
        ),
    };
    for sql in block {
        sqlx::query(sql)
            .execute(app.provider.db.pool())
            .await
            .unwrap();
    }
    let failed = app
        .provider
        .registration
        .terminate_members(REGISTRY, &[PATRICIA.sub.into()], "registry:cpso")
        .await;
    assert!(failed.is_err());
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Active, "rolled back");
    assert_eq!(live_tokens().await, 1, "rolled back");
    assert_eq!(
        app.count("registry_members WHERE terminated_at IS NOT NULL")
            .await,
        0
    );
    for sql in unblock {
        sqlx::query(sql)
            .execute(app.provider.db.pool())
            .await
            .unwrap();
    }

    // Again, through the registry's signed report: terminated once, audited once, with its
    // refresh tokens revoked like an administrator's termination.
    let report = |members: &[&str]| {
        let token = env.report(members);
        async move {
            let r = reqwest::Client::new()
                .post(format!("{}/registries/terminations", app.base))
                .header("content-type", "application/jwt")
                .body(token)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = report(&[PATRICIA.sub]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["terminated"], json!([PATRICIA.sub]));
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Terminated);
    assert_eq!(live_tokens().await, 0);
    assert_eq!(
        app.count("registry_members WHERE terminated_at IS NOT NULL")
            .await,
        1
    );
    let (status, _) = refresh(app, &t.refresh_token().unwrap()).await;
    assert_eq!(status, 400);
    let (status, body) = report(&[PATRICIA.sub]).await;
    assert_eq!(status, 200);
    assert_eq!(body["already"], json!([PATRICIA.sub]));
    let audited = app.audit("account.terminated").await;
    assert_eq!(audited.len(), 1, "audited once");
    assert_eq!(audited[0].subject.as_deref(), Some(id.as_str()));
    assert_eq!(audited[0].actor.as_deref(), Some("registry:cpso"));
    let detail = audited[0].detail.clone().unwrap();
    assert!(
        detail.contains("member=m-71234") && detail.contains("refresh tokens revoked: 1"),
        "{detail}"
    );
}
