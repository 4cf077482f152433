//! Retention: refresh tokens and recognized devices that aged out are removed, what is still
//! within its retention stays, one pass per period runs in the cluster (a lease), and the
//! metrics say what was removed. Time moves on the injected clock.

use authorization_server::retention;
use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, spawn_app_with, TestApp, LOGIN_ID, PASSWORD};

const DAY: i64 = 86_400;

async fn device(app: &TestApp, account: &str, trusted_until: i64, revoked_at: Option<i64>) {
    sqlx::query(
        "INSERT INTO devices (id, account_id, token_hash, browser, network, created_at, \
         last_seen_at, trusted_until, revoked_at) VALUES ($1, $2, $3, 'Firefox on Linux', \
         '10.0.0.0/24', $4, $4, $5, $6)",
    )
    .bind(platform::crypto::random_token(12))
    .bind(account)
    .bind(platform::crypto::random_token(16))
    .bind(trusted_until - 30 * DAY)
    .bind(trusted_until)
    .bind(revoked_at)
    .execute(app.provider.db.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn retention_removes_what_aged_out_and_keeps_the_rest() {
    // The node's own passes are off (every_secs 0), so this test's pass sees everything.
    let app = spawn_app_with(|c| c.retention.every_secs = 0).await;
    let account = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    // A refresh token that will be past its retention, then one that will not.
    let old = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert!(old.refresh_token().is_some());
    app.clock
        .advance(app.provider.cfg.refresh_token_ttl + 7 * DAY + 1);
    rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert_eq!(app.count("refresh_tokens").await, 2);
    let now = platform::Clock::now(app.clock.as_ref());
    device(&app, &account, now - 91 * DAY, None).await; // trust ended long ago
    device(&app, &account, now + 30 * DAY, Some(now - 100 * DAY)).await; // removed long ago
    device(&app, &account, now - 10 * DAY, None).await; // trust ended lately: kept
    device(&app, &account, now + 30 * DAY, None).await; // trusted: kept

    let removed = retention::pass(&app.provider).await.unwrap();
    assert_eq!(
        removed,
        retention::Removed {
            refresh_tokens: 1,
            devices: 2
        }
    );
    assert_eq!(app.count("refresh_tokens").await, 1);
    assert_eq!(app.count("devices").await, 2);
    // The token kept still refreshes; nothing more goes on a second pass.
    assert_eq!(
        retention::pass(&app.provider).await.unwrap(),
        retention::Removed::default()
    );
    let m = app.metrics().await;
    assert!(
        m.contains("oneid_retention_deleted_total{what=\"devices\"} 2"),
        "{m}"
    );
    assert!(m.contains("oneid_retention_deleted_total{what=\"refresh_tokens\"} 1"));
}

#[tokio::test]
async fn one_retention_pass_runs_per_period_whoever_asks() {
    let app = spawn_app().await;
    // The node's own poller asks at start, and these two asks come after or race with it:
    // of the three, exactly one runs.
    let (a, b) = tokio::join!(retention::run(&app.provider), retention::run(&app.provider));
    let ran = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert!(ran <= 1, "two passes in one period");
    let mut done = String::new();
    for _ in 0..50 {
        let m = app.metrics().await;
        if m.contains("oneid_retention_runs_total{outcome=\"done\"} 1") {
            done = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!done.is_empty(), "one pass ran");
    assert!(done.contains("oneid_retention_runs_total{outcome=\"skipped\"}"));
}
