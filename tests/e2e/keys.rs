//! Signing-key rotation that never breaks a relying party: pre-publication, promotion,
//! retention, revocation, two nodes, a crash mid-rotation, the CLI, the admin API, the
//! console and the metrics. Time moves by the injected clock.

use authorization_server::SigAlg;
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_header, Rp};
use oneid_tests::{fresh_storage, spawn_app, spawn_on, spawn_pair, TestApp, LOGIN_ID, PASSWORD};
use platform::{Clock, ManualClock};
use serde_json::Value;
use std::sync::Arc;

async fn jwks(app: &TestApp) -> Value {
    reqwest::get(format!("{}/jwks", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Verifies a token's signature against the provider's JWKS as it is now.
async fn verifies_now(app: &TestApp, token: &str) -> bool {
    let set = jwks(app).await;
    let kid = jwt_header(token)["kid"].as_str().unwrap().to_owned();
    let Some(k) = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
    else {
        return false;
    };
    let jwk = josekit::jwk::Jwk::from_bytes(k.to_string().as_bytes()).unwrap();
    let ok = match k["alg"].as_str().unwrap() {
        "RS256" => josekit::jws::RS256
            .verifier_from_jwk(&jwk)
            .map(|v| josekit::jws::deserialize_compact(token, &v).is_ok()),
        "ES256" => josekit::jws::ES256
            .verifier_from_jwk(&jwk)
            .map(|v| josekit::jws::deserialize_compact(token, &v).is_ok()),
        other => panic!("unexpected alg {other}"),
    };
    ok.unwrap()
}

/// Runs the due transitions and reloads this node. The node's own poller may run them at the
/// same moment; reloading afterwards makes the outcome visible either way.
async fn settle(app: &TestApp) {
    app.provider.keys.maintain().await.unwrap();
    app.provider.keys.reload().await.unwrap();
}

fn active_kid(app: &TestApp, alg: SigAlg) -> String {
    app.provider
        .keys
        .active_kids()
        .into_iter()
        .find(|(a, _)| *a == alg)
        .unwrap()
        .1
}

#[tokio::test]
async fn a_rotation_publishes_the_next_key_before_it_signs_and_keeps_old_tokens_valid() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let before = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let k1 = jwt_header(&before.id_token)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(k1, active_kid(&app, SigAlg::RS256));

    let r = app
        .provider
        .keys
        .rotate(SigAlg::RS256, false, "test")
        .await
        .unwrap();
    let k2 = r.kid.clone();
    assert_eq!(r.signs_from, app.clock.now() + 900);
    assert!(kids(&jwks(&app).await).contains(&k2), "published at once");
    // Not signing yet, even after maintenance runs.
    settle(&app).await;
    let still = rp.sso(&browser, &[]).await;
    assert_eq!(jwt_header(&still.id_token)["kid"], k1.as_str());
    assert!(
        app.provider
            .keys
            .rotate(SigAlg::RS256, false, "test")
            .await
            .is_err(),
        "one pending next key per algorithm"
    );

    // A relying party that refreshes its JWKS cache now...
    let cached = Rp::discover(&cfg).await;

    app.clock.advance(899);
    settle(&app).await;
    assert_eq!(
        active_kid(&app, SigAlg::RS256),
        k1,
        "not before the pre-publish period ends"
    );
    app.clock.advance(1);
    settle(&app).await;
    assert_eq!(active_kid(&app, SigAlg::RS256), k2);

    // ...verifies tokens of the new key from its cache, fetched before the key signed.
    let after = cached.sso(&browser, &[]).await;
    assert_eq!(jwt_header(&after.id_token)["kid"], k2.as_str());

    // Tokens signed before still verify: the retired key stays published.
    assert!(kids(&jwks(&app).await).contains(&k1));
    assert!(verifies_now(&app, &before.id_token).await);

    // Once every token it signed has expired (600 s + 60 s skew), it leaves the JWKS.
    app.clock.advance(659);
    settle(&app).await;
    assert!(kids(&jwks(&app).await).contains(&k1));
    app.clock.advance(2);
    settle(&app).await;
    assert!(
        !kids(&jwks(&app).await).contains(&k1),
        "removed after retention"
    );
    let states: Vec<_> = app
        .provider
        .keys
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect();
    assert!(states.contains(&(k1.clone(), "removed".to_owned())));
    let audit: Vec<_> = app
        .audit("key.activated")
        .await
        .into_iter()
        .filter_map(|a| a.subject)
        .collect();
    assert!(audit.contains(&k2), "transitions are audited");
}

async fn cc_token(app: &TestApp, cfg: &oneid_tests::RpConfig) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth(&cfg.client_id, cfg.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

async fn introspect(app: &TestApp, cfg: &oneid_tests::RpConfig, token: &str) -> bool {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/introspect", app.base))
        .basic_auth(&cfg.client_id, cfg.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["active"].as_bool().unwrap()
}

#[tokio::test]
async fn revoking_a_key_removes_it_at_once_and_its_tokens_stop_working() {
    let app = spawn_app().await;
    let cfg = app
        .add_client_with("api", |n| {
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec!["api:read".into()];
        })
        .await;
    let old = cc_token(&app, &cfg).await;
    assert!(introspect(&app, &cfg, &old).await, "cached as verified");
    let k = active_kid(&app, SigAlg::ES256);
    let replacement = app
        .provider
        .keys
        .revoke(&k, "test")
        .await
        .unwrap()
        .expect("a replacement");
    assert!(
        !kids(&jwks(&app).await).contains(&k),
        "gone from the JWKS at once"
    );
    assert!(
        !introspect(&app, &cfg, &old).await,
        "its tokens fail introspection"
    );
    let new = cc_token(&app, &cfg).await;
    assert_eq!(jwt_header(&new)["kid"], replacement.as_str());
    assert!(introspect(&app, &cfg, &new).await);
    assert_eq!(app.audit("key.revoked").await.len(), 1);
}

#[tokio::test]
async fn a_rotation_on_one_node_reaches_the_other_which_then_signs_with_the_new_key() {
    let (a, b) = spawn_pair().await;
    a.use_every_algorithm().await;
    let r = a
        .provider
        .keys
        .rotate(SigAlg::ES256, false, "test")
        .await
        .unwrap();
    // Node B publishes it within the convergence bound (a change notice, else the poll).
    let mut published = false;
    for _ in 0..100 {
        if kids(&jwks(&b).await).contains(&r.kid) {
            published = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(published, "node B publishes the next key");
    assert_ne!(
        active_kid(&b, SigAlg::ES256),
        r.kid,
        "and does not sign with it yet"
    );
    a.clock.advance(900);
    a.provider.keys.maintain().await.unwrap();
    let mut signing = false;
    for _ in 0..100 {
        if active_kid(&b, SigAlg::ES256) == r.kid {
            signing = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(signing, "node B signs with the new key after the promotion");
}

#[tokio::test]
async fn a_crash_between_creating_and_activating_a_key_leaves_a_consistent_ring() {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    let first = spawn_on(&storage, clock.clone(), None, |_| {}).await;
    let r = first
        .provider
        .keys
        .rotate(SigAlg::RS256, false, "test")
        .await
        .unwrap();
    drop(first); // the node dies before the key is due
    clock.advance(901);
    let second = spawn_on(&storage, clock.clone(), None, |_| {}).await;
    // Its first maintenance pass runs at start-up.
    let mut promoted = false;
    for _ in 0..100 {
        if active_kid(&second, SigAlg::RS256) == r.kid {
            promoted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(promoted, "the surviving node completes the rotation");
    let keys = second.provider.keys.list().await.unwrap();
    for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
        let active = keys
            .iter()
            .filter(|k| k.alg == alg && k.state == "active")
            .count();
        let next = keys
            .iter()
            .filter(|k| k.alg == alg && k.state == "next")
            .count();
        assert_eq!((active, next), (1, 0), "{alg}");
    }
}

#[tokio::test]
async fn jwks_and_discovery_carry_cache_headers_shorter_than_the_prepublish_period() {
    let app = spawn_app().await;
    for path in ["/jwks", "/.well-known/openid-configuration"] {
        let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        let cc = r.headers()["cache-control"].to_str().unwrap().to_owned();
        let max_age: i64 = cc
            .split(',')
            .find_map(|p| p.trim().strip_prefix("max-age="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(cc.starts_with("public"), "{path}: {cc}");
        assert!(
            max_age + 5 < app.provider.keys.policy().prepublish_secs,
            "{path}: {cc}"
        );
    }
}

#[tokio::test]
async fn the_admin_api_lists_and_rotates_keys_for_clients_with_the_admin_scope_only() {
    let app = spawn_app().await;
    app.use_every_algorithm().await;
    let http = reqwest::Client::new();
    let none = http
        .get(format!("{}/admin/api/keys", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let weak = app.client_token("api:read").await;
    let r = http
        .get(format!("{}/admin/api/keys", app.base))
        .bearer_auth(&weak)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));

    let admin = app.client_token("oneid:admin").await;
    let list: Value = http
        .get(format!("{}/admin/api/keys", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["keys"].as_array().unwrap().len(), 4);
    assert!(list["keys"][0]["age_seconds"].is_i64());
    let rotated: Value = http
        .post(format!("{}/admin/api/keys/rotate", app.base))
        .bearer_auth(&admin)
        .form(&[("alg", "EdDSA")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    assert!(kids(&jwks(&app).await).contains(&kid));
    let r = http
        .post(format!("{}/admin/api/keys/{kid}/activate", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(active_kid(&app, SigAlg::EdDSA), kid);
    let bad = http
        .post(format!("{}/admin/api/keys/nope/revoke", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let audit = app.audit("key.activated").await;
    assert!(audit
        .iter()
        .any(|a| a.actor.as_deref() == Some("client:ops-oneid-admin")));
}

#[tokio::test]
async fn the_console_lets_a_stepped_up_administrator_rotate_and_refuses_everyone_else() {
    let app = spawn_app().await;
    let (_, secret) = crate::admin_api::administrator(&app).await;
    app.add_user("Not.Admin@ONEID.ON.CA", "Not-Admin-2026")
        .await;

    // A password alone does not reach the signing keys: the console asks for a step-up.
    let browser = Browser::new();
    let r = browser.get(&format!("{}/admin/keys", app.base)).await;
    assert_eq!(r.status, 303, "sign in first");
    let login = browser
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    assert!(login.body.contains("ONE ID administration"));
    let page = crate::admin_api::console_sign_in(
        &app,
        &browser,
        crate::admin_api::ADMIN_LOGIN,
        crate::admin_api::ADMIN_PASSWORD,
        &secret,
        "/admin/keys",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"keys\""));
    let csrf = page.hidden("csrf").unwrap();
    let forged = browser
        .post_form(
            &format!("{}/admin/keys", app.base),
            &[("op", "rotate"), ("alg", "PS256"), ("csrf", "x")],
        )
        .await;
    assert_eq!(forged.status, 400);
    let done = browser
        .post_form(
            &format!("{}/admin/keys", app.base),
            &[("op", "rotate"), ("alg", "PS256"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Done."), "{}", done.body);
    assert!(app
        .provider
        .keys
        .list()
        .await
        .unwrap()
        .iter()
        .any(|k| k.alg == "PS256" && k.state == "next"));

    // The step-up wears off: a rotation then asks again and changes nothing.
    app.clock.advance(app.provider.stepup.recent_secs + 1);
    let before = app.provider.keys.list().await.unwrap().len();
    let stale = browser
        .post_form(
            &format!("{}/admin/keys", app.base),
            &[("op", "rotate"), ("alg", "ES256"), ("csrf", &csrf)],
        )
        .await;
    assert!(
        stale.body.contains("name=\"action\" value=\"choose\""),
        "a stale step-up is asked again: {}",
        stale.body
    );
    assert_eq!(app.provider.keys.list().await.unwrap().len(), before);

    let other = Browser::new();
    let r = other.get(&format!("{}/admin/keys", app.base)).await;
    let login = other
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    other
        .login(&app.base, &login, "Not.Admin@ONEID.ON.CA", "Not-Admin-2026")
        .await;
    assert_eq!(
        other.get(&format!("{}/admin/keys", app.base)).await.status,
        403
    );
}

#[tokio::test]
async fn metrics_report_the_age_of_each_active_key() {
    let app = spawn_app().await;
    app.clock.advance(120);
    let body = app.metrics().await;
    let ages: Vec<i64> = body
        .lines()
        .filter(|l| l.starts_with("oneid_signing_key_age_seconds{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ages.len(), 4, "{body}");
    assert!(ages.iter().all(|a| *a >= 120));
    assert!(body.contains("oneid_signing_keys{state=\"active\"} 4"));
}

#[tokio::test]
async fn without_change_notices_a_node_converges_by_polling() {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    let a = spawn_on(&storage, clock.clone(), None, |_| {}).await;
    // Node B has its own ephemeral store: it hears nothing from A and relies on its poll.
    let own: Arc<dyn platform::EphemeralStore> =
        Arc::new(platform::MemoryStore::new(clock.clone()));
    let b = spawn_on(&storage, clock.clone(), Some(own), |c| c.keys.poll_secs = 1).await;
    a.use_every_algorithm().await;
    let r = a
        .provider
        .keys
        .rotate(SigAlg::RS256, false, "test")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while !kids(&jwks(&b).await).contains(&r.kid) {
        assert!(
            started.elapsed().as_secs() < 5,
            "node B never published the next key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_optional_schedule_rotates_every_key_when_it_is_due() {
    let app = oneid_tests::spawn_app_with(|c| c.keys.rotate_every_days = 90).await;
    app.clock.advance(89 * 86_400);
    app.provider.keys.maintain().await.unwrap();
    let pending = |keys: &[authorization_server::keys::KeyInfo]| {
        keys.iter().filter(|k| k.state == "next").count()
    };
    assert_eq!(
        pending(&app.provider.keys.list().await.unwrap()),
        0,
        "not yet due"
    );
    app.clock.advance(86_400);
    app.provider.keys.maintain().await.unwrap();
    let keys = app.provider.keys.list().await.unwrap();
    assert_eq!(pending(&keys), 4, "one next key per algorithm");
    // Running again (another node, the next poll) starts nothing more.
    app.provider.keys.maintain().await.unwrap();
    assert_eq!(pending(&app.provider.keys.list().await.unwrap()), 4);
    // Each rotation is audited by whichever pass made it, after its commit: the node's own
    // poller may have made some and be writing their records still.
    let started = std::time::Instant::now();
    loop {
        let scheduled = app.audit("key.created").await;
        let n = scheduled
            .iter()
            .filter(|a| a.actor.as_deref() == Some("schedule"))
            .count();
        if n >= 4 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 5,
            "{n} key.created records by the schedule: {scheduled:#?} {:#?}",
            app.provider.keys.list().await.unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // And the pre-publish period later they sign, within a maintenance pass or two: the
    // node's own poller runs the same pass at the same moment, and of two promotions of one
    // key racing on PostgreSQL the loser leaves it to the next pass (seen once in CI).
    app.clock.advance(900);
    let mut keys = Vec::new();
    for _ in 0..3 {
        app.provider.keys.maintain().await.unwrap();
        keys = app.provider.keys.list().await.unwrap();
        if pending(&keys) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending(&keys), 0, "{keys:#?}");
    assert_eq!(
        keys.iter().filter(|k| k.state == "retired").count(),
        4,
        "{keys:#?}"
    );
}

#[tokio::test]
async fn a_scheduled_rotation_decided_before_another_node_rotated_stores_no_key() {
    // A pass reads the ring, finds a key due (activated at or before a cut-off), and
    // generates the next one (an RSA key takes a while). Meanwhile another node rotated that
    // algorithm and the new key already signs. The slow pass must not store its key on the
    // old reading: it would push out the key that just took over.
    let app = spawn_app().await;
    app.clock.advance(60);
    let cut = app.clock.now();
    let keys = &app.provider.keys;
    app.clock.advance(60);
    keys.rotate(SigAlg::PS256, true, "another node")
        .await
        .unwrap();
    let pending = || async {
        let k = app.provider.keys.list().await.unwrap();
        k.into_iter()
            .filter(|k| k.state == "next")
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys.create_key_if_stale(SigAlg::PS256, cut).await.unwrap(),
        None,
        "the key now active is newer than the cut-off"
    );
    assert!(pending().await.is_empty());
    // An algorithm still on a key from before the cut-off does get its next one, signing the
    // pre-publish period after it was stored (not after the decision).
    app.clock.advance(60);
    let kid = keys
        .create_key_if_stale(SigAlg::ES256, cut)
        .await
        .unwrap()
        .expect("a stale key is rotated");
    let next = pending().await;
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].kid, kid);
    assert_eq!(next[0].activate_after, Some(cut + 120 + 900));
    // And while a next key is pending, a second one is never stored.
    assert!(keys
        .create_key_if_stale(SigAlg::ES256, cut)
        .await
        .is_err_and(|e| matches!(e, authorization_server::keys::KeyError::Db(_))));
    assert_eq!(pending().await.len(), 1);
}

#[tokio::test]
async fn the_admin_api_refuses_a_persons_token_even_with_the_admin_scope() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app
        .add_client_with("console-rp", |n| {
            n.scopes = vec!["openid".into(), "oneid:admin".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let s = rp.start(&["oneid:admin"], &[]);
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    let scope = oneid_tests::rp::jwt_payload(&t.access_token())["scope"].to_string();
    assert!(
        scope.contains("oneid:admin"),
        "the token does carry the scope: {scope}"
    );
    let r = reqwest::Client::new()
        .get(format!("{}/admin/api/keys", app.base))
        .bearer_auth(t.access_token())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "people administer keys through the console and its role check"
    );
}

fn algs(jwks: &Value) -> Vec<String> {
    let mut a: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap().to_owned())
        .collect();
    a.sort();
    a.dedup();
    a
}

#[tokio::test]
async fn the_jwks_publishes_only_the_algorithms_relying_parties_use() {
    let (a, b) = spawn_pair().await;
    // No relying party yet: only ES256, which registry termination notices are signed with
    // (every algorithm still has its key, and signs with it).
    assert_eq!(algs(&jwks(&a).await), ["ES256"]);
    assert_eq!(a.provider.keys.active_kids().len(), 4);

    // A viewer with the defaults: RS256 ID tokens, ES256 access tokens.
    a.add_client("viewer").await;
    assert_eq!(algs(&jwks(&a).await), ["ES256", "RS256"]);

    // A rotation of an algorithm in use pre-publishes its next key; of one no one uses, not.
    let rs_next = a
        .provider
        .keys
        .rotate(SigAlg::RS256, false, "test")
        .await
        .unwrap()
        .kid;
    let ed_next = a
        .provider
        .keys
        .rotate(SigAlg::EdDSA, false, "test")
        .await
        .unwrap()
        .kid;
    let published = kids(&jwks(&a).await);
    assert!(published.contains(&rs_next));
    assert!(!published.contains(&ed_next));
    assert_eq!(algs(&jwks(&a).await), ["ES256", "RS256"]);

    // A relying party registered with EdDSA on node A: both nodes publish EdDSA at once (the
    // active key and the pending one), and its ID token verifies against node B's JWKS.
    let cfg = a
        .add_client_with("modern", |n| n.id_token_alg = Some(SigAlg::EdDSA))
        .await;
    let mut seen = false;
    for _ in 0..100 {
        if algs(&jwks(&b).await).contains(&"EdDSA".to_owned()) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen, "node B publishes EdDSA");
    assert!(kids(&jwks(&b).await).contains(&ed_next));
    a.add_clinician().await;
    let mut rp = Rp::discover(&cfg).await;
    rp.algs = vec![openidconnect::core::CoreJwsSigningAlgorithm::EdDsa];
    let t = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert_eq!(jwt_header(&t.id_token)["alg"], "EdDSA");
    let kid = jwt_header(&t.id_token)["kid"].as_str().unwrap().to_owned();
    assert!(kids(&jwks(&b).await).contains(&kid));

    // Its last relying party gone, the algorithm leaves the JWKS (its tokens were for that
    // relying party only); the others stay.
    assert!(a.provider.clients.remove("modern").await.unwrap());
    assert_eq!(algs(&jwks(&a).await), ["ES256", "RS256"]);
    assert!(kids(&jwks(&a).await).contains(&rs_next));
}

#[tokio::test]
async fn a_whole_load_of_the_ring_unseals_every_key_and_the_periodic_check_does_not() {
    // `oneid keys check` times both: the periodic check reads only the keys' ids and states
    // (nothing changed, nothing reloaded), a whole load unseals every key again, so a key
    // whose sealed form went bad is found by the load and not by the check.
    let app = spawn_app().await;
    let keys = &app.provider.keys;
    keys.reload_all().await.unwrap();
    let (held, published) = keys.size();
    assert_eq!(held, 4, "one key per algorithm");
    assert!(published >= 1 && published <= held);
    sqlx::query(
        "UPDATE signing_keys SET private_key = $1 WHERE kid = \
         (SELECT kid FROM signing_keys WHERE state = 'active' ORDER BY kid LIMIT 1)",
    )
    .bind(vec![0u8; 48])
    .execute(app.provider.db.pool())
    .await
    .unwrap();
    keys.reload().await.unwrap();
    assert!(matches!(
        keys.reload_all().await,
        Err(authorization_server::keys::KeyError::Sealed)
    ));
    // The ring in memory is the last good one: it still signs and publishes.
    assert_eq!(keys.size().0, 4);
}
