//! Token endpoint grants, introspection and revocation.

use authorization_server::SigAlg;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, ES256, PS256, RS256};
use oneid_tests::api::{http, Answer};
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_header, jwt_payload, Rp, Started};
use oneid_tests::{spawn_app, RpConfig, TestApp, LOGIN_ID, PASSWORD};
use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::Value;

/// How a raw request authenticates the client.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
    /// A public client: `client_id` only.
    Public(&'a str),
    /// No client authentication at all.
    Nothing,
}

impl<'a> Auth<'a> {
    /// `client_secret_basic` with the harness secret of `cfg`.
    fn of(cfg: &'a RpConfig) -> Self {
        Auth::Basic(
            &cfg.client_id,
            cfg.secret.as_deref().expect("a confidential client"),
        )
    }
}

async fn read(r: reqwest::Response) -> Answer {
    Answer::read(r).await
}

/// POSTs a form to `path` with the client authentication `auth`.
async fn post(app: &TestApp, path: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Answer {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut req = http().post(format!("{}{path}", app.base));
    match auth {
        Auth::Basic(id, secret) => req = req.basic_auth(id, Some(secret)),
        Auth::Post(id, secret) => {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
        Auth::Public(id) => form.push(("client_id", id)),
        Auth::Nothing => {}
    }
    read(req.form(&form).send().await.unwrap()).await
}

async fn introspect(app: &TestApp, auth: Auth<'_>, token: &str) -> Answer {
    let a = post(app, "/introspect", auth, &[("token", token)]).await;
    assert_eq!(a.header("cache-control"), "no-store");
    a
}

async fn refresh(app: &TestApp, auth: Auth<'_>, token: &str, scope: Option<&str>) -> Answer {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post(app, "/token", auth, &form).await
}

async fn client_credentials(app: &TestApp, auth: Auth<'_>, scope: Option<&str>) -> Answer {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post(app, "/token", auth, &form).await
}

/// A confidential client that may only use client_credentials, with scope `api:read`.
async fn service_client(app: &TestApp, id: &str) -> RpConfig {
    app.add_client_with(id, |n| {
        n.grant_types = vec!["client_credentials".into()];
        n.scopes = vec!["api:read".into()];
    })
    .await
}

/// Runs the front channel of a code flow (logging in if the browser has no session) and
/// returns the request and its code, not yet redeemed.
async fn front_channel(app: &TestApp, rp: &Rp, browser: &Browser) -> (Started, String) {
    let s = rp.start(&["profile", "email"], &[]);
    let page = browser.get(&s.url).await;
    let cb = if page.is_login_page() {
        browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await
    } else {
        page
    };
    let code = rp.code_from(&s, &cb);
    (s, code)
}

/// Redeems a code with a raw request (so it can be done twice).
async fn redeem(app: &TestApp, cfg: &RpConfig, started: &Started, code: &str) -> Answer {
    post(
        app,
        "/token",
        Auth::of(cfg),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &cfg.redirect_uri),
            ("code_verifier", started.verifier.secret()),
        ],
    )
    .await
}

/// Verifies a JWT against the provider's JWKS (key found by kid, algorithm from the header
/// and the key must agree); returns its header and payload.
async fn verify_jwt(app: &TestApp, token: &str) -> (Value, Value) {
    let header = jwt_header(token);
    let kid = header["kid"].as_str().expect("kid in the JWS header");
    let alg = header["alg"].as_str().expect("alg in the JWS header");
    let jwks: Value = http()
        .get(format!("{}/jwks", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} is not in the JWKS {jwks}"));
    assert_eq!(key["alg"], alg, "the JWKS key is for the header's alg");
    let jwk = Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
    let verified = match alg {
        "ES256" => {
            josekit::jws::deserialize_compact(token, &ES256.verifier_from_jwk(&jwk).unwrap())
        }
        "RS256" => {
            josekit::jws::deserialize_compact(token, &RS256.verifier_from_jwk(&jwk).unwrap())
        }
        "PS256" => {
            josekit::jws::deserialize_compact(token, &PS256.verifier_from_jwk(&jwk).unwrap())
        }
        "EdDSA" => {
            josekit::jws::deserialize_compact(token, &EdDSA.verifier_from_jwk(&jwk).unwrap())
        }
        other => panic!("unexpected alg {other}"),
    };
    let (payload, _) = verified.unwrap_or_else(|e| panic!("{alg} signature must verify: {e}"));
    (header, serde_json::from_slice(&payload).unwrap())
}

#[tokio::test]
async fn client_credentials_issues_a_signed_es256_access_token_with_basic_or_post_auth() {
    let app = spawn_app().await;
    let svc = service_client(&app, "lab-feed").await;
    let secret = svc.secret.clone().unwrap();
    for (how, auth) in [
        ("client_secret_basic", Auth::Basic("lab-feed", &secret)),
        ("client_secret_post", Auth::Post("lab-feed", &secret)),
    ] {
        let a = client_credentials(&app, auth, Some("api:read")).await;
        assert_eq!(a.status, 200, "{how}: {}", a.json);
        assert_eq!(a.header("cache-control"), "no-store", "{how}");
        assert_eq!(a.json["token_type"], "Bearer", "{how}");
        assert_eq!(a.json["expires_in"], 600, "{how}");
        assert_eq!(a.json["scope"], "api:read", "{how}");
        assert!(a.json.get("refresh_token").is_none(), "{how}: {}", a.json);
        assert!(a.json.get("id_token").is_none(), "{how}: {}", a.json);

        let at = a.str("access_token");
        let (header, claims) = verify_jwt(&app, &at).await;
        assert_eq!(header["typ"], "at+jwt", "{how}: RFC 9068 typ");
        assert_eq!(header["alg"], "ES256", "{how}");
        assert_eq!(claims["iss"], app.base, "{how}");
        assert_eq!(claims["sub"], "lab-feed", "{how}: sub is the client");
        assert_eq!(claims["client_id"], "lab-feed", "{how}");
        assert!(
            claims["aud"].as_str().is_some_and(|a| !a.is_empty()),
            "{how}: aud {claims}"
        );
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        assert_eq!(exp - iat, 600, "{how}: lifetime");
        assert!(
            claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
            "{how}: jti {claims}"
        );
        assert_eq!(claims["scope"], "api:read", "{how}");
        assert!(claims.get("sid").is_none(), "{how}: no person behind it");
    }
    // Two tokens, two ids.
    let a = client_credentials(&app, Auth::of(&svc), Some("api:read")).await;
    let b = client_credentials(&app, Auth::of(&svc), Some("api:read")).await;
    assert_ne!(
        jwt_payload(&a.str("access_token"))["jti"],
        jwt_payload(&b.str("access_token"))["jti"]
    );
    // A token whose signature was tampered with is not one of ours.
    let at = a.str("access_token");
    let (head, _) = at.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", "A".repeat(86));
    assert_eq!(
        introspect(&app, Auth::of(&svc), &forged).await.json,
        serde_json::json!({ "active": false })
    );
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[tokio::test]
async fn client_credentials_refuses_unregistered_scopes_and_openid() {
    let app = spawn_app().await;
    let svc = service_client(&app, "lab-feed").await;
    for scope in [
        "api:write",
        "api:read api:write",
        "openid",
        "openid api:read",
        "offline_access",
    ] {
        client_credentials(&app, Auth::of(&svc), Some(scope))
            .await
            .assert_error(400, "invalid_scope", scope);
    }
}

#[tokio::test]
async fn introspection_reports_a_live_access_token_until_its_client_revokes_it() {
    let app = spawn_app().await;
    let svc = service_client(&app, "lab-feed").await;
    // A resource server registered to introspect any client's tokens.
    let rs = app
        .add_client_with("resource-server", |n| {
            n.scopes = vec!["openid".into(), "oneid:introspect".into()];
        })
        .await;
    let other = service_client(&app, "other-feed").await;
    let at = client_credentials(&app, Auth::of(&svc), Some("api:read"))
        .await
        .str("access_token");
    let claims = jwt_payload(&at);

    let i = introspect(&app, Auth::of(&rs), &at).await;
    assert_eq!(i.status, 200);
    assert_eq!(i.json["active"], true, "{}", i.json);
    assert_eq!(i.json["client_id"], "lab-feed");
    assert_eq!(i.json["sub"], "lab-feed");
    assert_eq!(i.json["scope"], "api:read");
    assert_eq!(i.json["exp"], claims["exp"]);
    assert_eq!(i.json["iss"], app.base);
    assert_eq!(i.json["token_type"], "Bearer");
    // client_secret_post works for introspection too.
    let i = introspect(
        &app,
        Auth::Post("resource-server", "resource-server-secret"),
        &at,
    )
    .await;
    assert_eq!(i.json["active"], true);

    let garbage = introspect(&app, Auth::of(&rs), "not-a-token").await;
    assert_eq!(garbage.status, 200);
    assert_eq!(garbage.json, serde_json::json!({ "active": false }));

    // Another client's revocation request is answered 200 but changes nothing (RFC 7009 §2.1).
    let r = post(&app, "/revoke", Auth::of(&other), &[("token", &at)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        introspect(&app, Auth::of(&rs), &at).await.json["active"],
        true
    );

    let r = post(&app, "/revoke", Auth::of(&svc), &[("token", &at)]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("cache-control"), "no-store");
    let i = introspect(&app, Auth::of(&rs), &at).await;
    assert_eq!(i.json, serde_json::json!({ "active": false }));
    // Revoking an unknown token is also 200.
    let r = post(&app, "/revoke", Auth::of(&svc), &[("token", "unknown")]).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn introspection_of_a_refresh_token_is_active_until_it_is_rotated() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let t = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    let rt = t.refresh_token().expect("a refresh token");

    let i = introspect(&app, Auth::of(&cfg), &rt).await;
    assert_eq!(i.status, 200);
    assert_eq!(i.json["active"], true, "{}", i.json);
    assert_eq!(i.json["token_type"], "refresh_token");
    assert_eq!(i.json["client_id"], "viewer");
    assert_eq!(i.json["sub"], sub);
    assert_eq!(i.json["scope"], "openid profile email");
    let i = post(
        &app,
        "/introspect",
        Auth::of(&cfg),
        &[("token", &rt), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(i.json["active"], true, "with a hint: {}", i.json);

    let r = refresh(&app, Auth::of(&cfg), &rt, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let next = r.str("refresh_token");
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &rt).await.json,
        serde_json::json!({ "active": false }),
        "a rotated refresh token is inactive"
    );
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &next).await.json["active"],
        true
    );
}

#[tokio::test]
async fn public_clients_cannot_introspect() {
    let app = spawn_app().await;
    let svc = service_client(&app, "lab-feed").await;
    app.add_client_with("spa", |n| {
        n.public = true;
        n.secret = None;
    })
    .await;
    let at = client_credentials(&app, Auth::of(&svc), Some("api:read"))
        .await
        .str("access_token");
    introspect(&app, Auth::Public("spa"), &at)
        .await
        .assert_error(401, "invalid_client", "public client");
    introspect(&app, Auth::Nothing, &at).await.assert_error(
        401,
        "invalid_client",
        "no client authentication",
    );
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token_and_reissues_tokens_for_the_same_session() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let first = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    let rt = first
        .refresh_token()
        .expect("default grants include refresh_token");
    assert_eq!(app.count("refresh_tokens").await, 1);

    let r = refresh(&app, Auth::of(&cfg), &rt, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["scope"], "openid profile email");
    let next = r.str("refresh_token");
    assert_ne!(next, rt, "rotation: a new refresh token every time");
    let at = r.str("access_token");
    assert_ne!(at, first.access_token());
    let (ah, ac) = verify_jwt(&app, &at).await;
    assert_eq!(ah["typ"], "at+jwt");
    assert_eq!(ac["sub"], sub);
    assert_eq!(ac["sid"], first.sid().as_str());

    let (ih, idc) = verify_jwt(&app, &r.str("id_token")).await;
    assert_eq!(ih["alg"], "RS256", "the client's ID token algorithm");
    assert_eq!(idc["iss"], app.base);
    assert_eq!(idc["aud"], "viewer");
    assert_eq!(idc["sub"], sub, "same subject");
    assert_eq!(idc["sid"], first.sid().as_str(), "same session");
    assert_eq!(
        idc["auth_time"], first.raw["auth_time"],
        "no new authentication"
    );

    // The new access token works at userinfo; the new refresh token rotates again.
    let ui = http()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
    let r2 = refresh(&app, Auth::of(&cfg), &next, None).await;
    assert_eq!(r2.status, 200, "{}", r2.json);
    assert_ne!(r2.str("refresh_token"), next);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let rt = rp
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await
        .refresh_token()
        .unwrap();
    let r = refresh(&app, Auth::of(&cfg), &rt, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let newest = r.str("refresh_token");

    refresh(&app, Auth::of(&cfg), &rt, None).await.assert_error(
        400,
        "invalid_grant",
        "replayed old refresh token",
    );
    refresh(&app, Auth::of(&cfg), &newest, None)
        .await
        .assert_error(400, "invalid_grant", "newest token of a revoked family");
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &newest).await.json["active"],
        false
    );
    assert!(
        !app.audit("token.refresh_reuse").await.is_empty(),
        "the reuse is audited"
    );
}

#[tokio::test]
async fn refresh_cannot_widen_the_scope_but_may_narrow_it() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let rt = rp
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await
        .refresh_token()
        .unwrap();
    for wider in [
        "openid profile email phone",
        "openid offline_access",
        "admin",
    ] {
        refresh(&app, Auth::of(&cfg), &rt, Some(wider))
            .await
            .assert_error(400, "invalid_scope", wider);
    }
    assert_eq!(app.count("refresh_tokens").await, 1, "nothing issued");
    // The refused requests did not use the token up.
    let r = refresh(&app, Auth::of(&cfg), &rt, Some("openid profile")).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["scope"], "openid profile");
    assert_eq!(
        jwt_payload(&r.str("access_token"))["scope"],
        "openid profile"
    );
}

#[tokio::test]
async fn a_refresh_token_only_works_for_the_client_it_was_issued_to() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let a = app.add_client("viewer-a").await;
    let b = app.add_client("viewer-b").await;
    let rt = Rp::discover(&a)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await
        .refresh_token()
        .unwrap();
    refresh(&app, Auth::of(&b), &rt, None).await.assert_error(
        400,
        "invalid_grant",
        "another client's refresh token",
    );
    assert_eq!(app.count("refresh_tokens").await, 1, "nothing issued to B");
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let early = rp.login(&browser, LOGIN_ID, PASSWORD).await;
    let rt = rp.sso(&browser, &[]).await.refresh_token().unwrap();
    app.clock.advance(28_800 - 1);
    let ok = refresh(&app, Auth::of(&cfg), &early.refresh_token().unwrap(), None).await;
    assert_eq!(
        ok.status, 200,
        "still live a second before expiry: {}",
        ok.json
    );
    app.clock.advance(2);
    let before = app.count("refresh_tokens").await;
    refresh(&app, Auth::of(&cfg), &rt, None).await.assert_error(
        400,
        "invalid_grant",
        "expired refresh token",
    );
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &rt).await.json["active"],
        false
    );
    assert_eq!(app.count("refresh_tokens").await, before, "nothing issued");
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_the_tokens_of_its_first_redemption() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let (started, code) = front_channel(&app, &rp, &Browser::new()).await;

    let first = redeem(&app, &cfg, &started, &code).await;
    assert_eq!(first.status, 200, "{}", first.json);
    assert_eq!(first.header("cache-control"), "no-store");
    let at = first.str("access_token");
    let rt = first.str("refresh_token");
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &at).await.json["active"],
        true
    );

    redeem(&app, &cfg, &started, &code).await.assert_error(
        400,
        "invalid_grant",
        "second redemption",
    );

    assert_eq!(
        introspect(&app, Auth::of(&cfg), &at).await.json,
        serde_json::json!({ "active": false }),
        "the first redemption's access token is revoked"
    );
    let ui = http()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    let ui = read(ui).await;
    assert_eq!(ui.status, 401, "{}", ui.json);
    assert!(
        ui.header("www-authenticate").contains("invalid_token"),
        "{:?}",
        ui.headers
    );
    refresh(&app, Auth::of(&cfg), &rt, None).await.assert_error(
        400,
        "invalid_grant",
        "refresh token of a replayed code",
    );
    assert!(!app.audit("token.code_reuse").await.is_empty());
}

#[tokio::test]
async fn a_code_redeemed_after_its_lifetime_is_invalid_grant() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let (early_started, early_code) = front_channel(&app, &rp, &browser).await;
    let (started, code) = front_channel(&app, &rp, &browser).await;
    app.clock.advance(59);
    let ok = redeem(&app, &cfg, &early_started, &early_code).await;
    assert_eq!(ok.status, 200, "a code is good for 60 s: {}", ok.json);
    app.clock.advance(2);
    redeem(&app, &cfg, &started, &code)
        .await
        .assert_error(400, "invalid_grant", "expired code");
    assert_eq!(
        app.count("refresh_tokens").await,
        1,
        "only the early redemption"
    );
}

/// A full code flow for a client registered with `alg`, the RP accepting only `core`.
async fn id_token_signed_with(alg: SigAlg, core: CoreJwsSigningAlgorithm, name: &str) {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let cfg = app
        .add_client_with("viewer", |n| n.id_token_alg = Some(alg))
        .await;
    let mut rp = Rp::discover(&cfg).await;
    rp.algs = vec![core];
    // Rp::finish verifies the signature against the JWKS, with only `core` allowed, and the
    // at_hash with that algorithm's hash.
    let t = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    assert_eq!(t.claims.subject().as_str(), sub);
    let (header, claims) = verify_jwt(&app, &t.id_token).await;
    assert_eq!(header["alg"], name);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["sub"], sub);
    // The access token stays ES256 whatever the ID token algorithm.
    let (ah, _) = verify_jwt(&app, &t.access_token()).await;
    assert_eq!(ah["alg"], "ES256");
}

#[tokio::test]
async fn id_tokens_are_signed_with_es256_when_the_client_registered_it() {
    id_token_signed_with(
        SigAlg::ES256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        "ES256",
    )
    .await;
}

#[tokio::test]
async fn id_tokens_are_signed_with_ps256_when_the_client_registered_it() {
    id_token_signed_with(
        SigAlg::PS256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        "PS256",
    )
    .await;
}

#[tokio::test]
async fn id_tokens_are_signed_with_eddsa_when_the_client_registered_it() {
    id_token_signed_with(SigAlg::EdDSA, CoreJwsSigningAlgorithm::EdDsa, "EdDSA").await;
}

#[tokio::test]
async fn userinfo_answers_get_post_with_header_and_post_with_body_alike() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let t = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await;
    let at = t.access_token();
    let url = format!("{}/userinfo", app.base);
    let get = read(http().get(&url).bearer_auth(&at).send().await.unwrap()).await;
    let post_header = read(http().post(&url).bearer_auth(&at).send().await.unwrap()).await;
    let post_body = read(
        http()
            .post(&url)
            .form(&[("access_token", at.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    for (how, a) in [
        ("GET", &get),
        ("POST header", &post_header),
        ("POST body", &post_body),
    ] {
        assert_eq!(a.status, 200, "{how}: {}", a.json);
        assert_eq!(a.header("cache-control"), "no-store", "{how}");
        assert_eq!(a.json["sub"], sub, "{how}");
        assert_eq!(a.json["login_id"], LOGIN_ID, "{how}");
        assert_eq!(a.json["name"], "Randy Burt", "{how}");
        assert_eq!(a.json["email"], "randy.burt@example.org", "{how}");
        assert!(
            a.json.get("phone_number").is_none(),
            "{how}: no phone scope"
        );
    }
    assert_eq!(get.json, post_header.json);
    assert_eq!(get.json, post_body.json);
}

#[tokio::test]
async fn userinfo_without_a_token_challenges_for_a_bearer_token() {
    let app = spawn_app().await;
    let url = format!("{}/userinfo", app.base);
    for r in [
        http().get(&url).send().await.unwrap(),
        http().post(&url).form(&[("x", "y")]).send().await.unwrap(),
    ] {
        assert_eq!(r.status(), 401);
        let challenge = r.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert!(
            !challenge.contains("error="),
            "no error when no token: {challenge}"
        );
    }
}

#[tokio::test]
async fn userinfo_refuses_a_client_credentials_access_token() {
    let app = spawn_app().await;
    let svc = service_client(&app, "lab-feed").await;
    let at = client_credentials(&app, Auth::of(&svc), Some("api:read"))
        .await
        .str("access_token");
    let a = read(
        http()
            .get(format!("{}/userinfo", app.base))
            .bearer_auth(&at)
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(401, "invalid_token", "client_credentials token at userinfo");
    assert!(a.header("www-authenticate").starts_with("Bearer"));
    assert!(a.header("www-authenticate").contains("invalid_token"));
}

#[tokio::test]
async fn userinfo_refuses_an_expired_access_token() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let t = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await;
    let at = t.access_token();
    let userinfo = |at: String| {
        let url = format!("{}/userinfo", app.base);
        async move {
            http()
                .get(url)
                .bearer_auth(at)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    app.clock.advance(599);
    assert_eq!(
        userinfo(at.clone()).await,
        200,
        "live a second before expiry"
    );
    app.clock.advance(2);
    let a = read(
        http()
            .get(format!("{}/userinfo", app.base))
            .bearer_auth(&at)
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(401, "invalid_token", "expired access token");
    assert!(a.header("www-authenticate").contains("invalid_token"));
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &at).await.json["active"],
        false
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_but_only_for_its_own_client() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let other = app.add_client("other-viewer").await;
    let rt = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await
        .refresh_token()
        .unwrap();
    let r = refresh(&app, Auth::of(&cfg), &rt, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let newest = r.str("refresh_token");

    // Another client cannot revoke it (answered 200 all the same, RFC 7009 §2.2).
    let a = post(&app, "/revoke", Auth::of(&other), &[("token", &newest)]).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &newest).await.json["active"],
        true
    );

    // Revoking the old (already rotated) token revokes the family, newest included.
    let a = post(
        &app,
        "/revoke",
        Auth::of(&cfg),
        &[("token", &rt), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.header("cache-control"), "no-store");
    assert_eq!(
        introspect(&app, Auth::of(&cfg), &newest).await.json["active"],
        false
    );
    refresh(&app, Auth::of(&cfg), &newest, None)
        .await
        .assert_error(400, "invalid_grant", "refresh token of a revoked family");
}

#[tokio::test]
async fn userinfo_accepts_only_access_tokens() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let t = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await;
    let at = t.access_token();
    let (head, _) = at.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", "A".repeat(86));
    for (what, token) in [
        ("an ID token", t.id_token.clone()),
        ("a refresh token", t.refresh_token().unwrap()),
        ("a forged signature", forged),
        ("garbage", "garbage".to_owned()),
    ] {
        let a = read(
            http()
                .get(format!("{}/userinfo", app.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        a.assert_error(401, "invalid_token", what);
        assert!(
            a.header("www-authenticate").contains("invalid_token"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn introspection_finds_a_token_whatever_its_type_hint() {
    // RFC 7662 §2.1: a wrong hint must not hide the token; the server searches every type.
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let t = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await;
    let rt = t.refresh_token().unwrap();
    let at = t.access_token();
    for (what, token, hint, kind) in [
        (
            "refresh token, hint access_token",
            &rt,
            "access_token",
            "refresh_token",
        ),
        (
            "access token, hint refresh_token",
            &at,
            "refresh_token",
            "Bearer",
        ),
        ("access token, unknown hint", &at, "id_token", "Bearer"),
    ] {
        let i = post(
            &app,
            "/introspect",
            Auth::of(&cfg),
            &[("token", token), ("token_type_hint", hint)],
        )
        .await;
        assert_eq!(i.status, 200, "{what}: {}", i.json);
        assert_eq!(i.json["active"], true, "{what}: {}", i.json);
        assert_eq!(i.json["token_type"], kind, "{what}: {}", i.json);
        assert_eq!(i.json["client_id"], "viewer", "{what}");
    }
}

#[tokio::test]
async fn rotation_never_extends_the_grant_beyond_its_first_lifetime() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let first = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    app.clock.advance(28_000);
    let rotated = refresh(&app, Auth::of(&cfg), &first.refresh_token().unwrap(), None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.json);
    let next = rotated.json["refresh_token"].as_str().unwrap().to_owned();
    app.clock.advance(801);
    refresh(&app, Auth::of(&cfg), &next, None)
        .await
        .assert_error(
            400,
            "invalid_grant",
            "the family expired 28800 s after the login, rotation or not",
        );
}

#[tokio::test]
async fn a_client_registered_for_rs256_access_tokens_gets_them_and_they_introspect() {
    let app = spawn_app().await;
    let cfg = app
        .add_client_with("rs-api", |n| {
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec!["api:read".into()];
            n.access_token_alg = Some(SigAlg::RS256);
        })
        .await;
    let a = client_credentials(&app, Auth::of(&cfg), Some("api:read")).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let at = a.json["access_token"].as_str().unwrap();
    let header = oneid_tests::rp::jwt_header(at);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "at+jwt");
    let i = introspect(&app, Auth::of(&cfg), at).await;
    assert_eq!(i.json["active"], true, "{}", i.json);
    assert_eq!(i.json["scope"], "api:read");
}

#[tokio::test]
async fn a_removed_client_can_no_longer_get_tokens() {
    let app = spawn_app().await;
    let cfg = service_client(&app, "gone").await;
    assert_eq!(
        client_credentials(&app, Auth::of(&cfg), None).await.status,
        200
    );
    assert!(app.provider.clients.remove("gone").await.unwrap());
    client_credentials(&app, Auth::of(&cfg), None)
        .await
        .assert_error(
            401,
            "invalid_client",
            "removed client, even with a warm cache",
        );
}

#[tokio::test]
async fn the_claims_parameter_cannot_reach_beyond_the_clients_scopes() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app
        .add_client_with("narrow", |n| n.scopes = vec!["openid".into()])
        .await;
    let rp = Rp::discover(&cfg).await;
    let browser = Browser::new();
    let s = rp.start(
        &[],
        &[(
            "claims",
            r#"{"id_token":{"email":null,"phone_number":null,"name":null}}"#,
        )],
    );
    let page = browser.get(&s.url).await;
    let cb = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    for c in ["email", "phone_number", "name"] {
        assert!(
            t.raw.get(c).is_none(),
            "{c} released to a client without the scope"
        );
    }
}
