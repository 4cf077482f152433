//! `private_key_jwt` (RFC 7523): clients that registered public keys, inline or at a
//! `jwks_uri`, authenticate with signed assertions at the token, introspection and pushed
//! authorization request endpoints; forged, replayed, misdirected and long-lived assertions
//! are refused, and keys at an address are fetched, cached and fetched again for a new key.

use authorization_server::clients::NewClient;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jws::{JwsHeader, ES256, HS256};
use josekit::jwt::{self, JwtPayload};
use oneid_tests::{spawn_app, TestApp};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A key pair and its public JWK with `kid`.
fn key(kid: &str) -> (EcKeyPair, Value) {
    let kp = EcKeyPair::generate(EcCurve::P256).unwrap();
    let mut jwk = kp.to_jwk_public_key();
    jwk.set_key_id(kid);
    let v: Value = serde_json::from_str(&jwk.to_string()).unwrap();
    (kp, v)
}

fn jwks(keys: &[&Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// An assertion for `client` signed with `kp` (`kid`), with `claims` changed (`null`
/// removes one).
fn assertion(app: &TestApp, client: &str, kp: &EcKeyPair, kid: &str, changes: Value) -> String {
    let now = platform::Clock::now(app.clock.as_ref());
    let c = json!({
        "iss": client,
        "sub": client,
        "aud": format!("{}/token", app.base),
        "iat": now,
        "exp": now + 60,
        "jti": platform::crypto::random_token(12),
    });
    let c = oneid_tests::jose::with_changes(c, changes);
    let payload = JwtPayload::from_map(c.as_object().unwrap().clone()).unwrap();
    let mut h = JwsHeader::new();
    h.set_token_type("JWT");
    h.set_key_id(kid);
    let signer = ES256.signer_from_jwk(&kp.to_jwk_private_key()).unwrap();
    jwt::encode_with_signer(&payload, &h, &signer).unwrap()
}

/// POSTs `form` with the assertion to `path`; (status, JSON).
async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// A `client_credentials` request authenticated by `assertion`.
async fn token(app: &TestApp, assertion: &str) -> (u16, Value) {
    post(
        app,
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ],
    )
    .await
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn backend(app: &TestApp, id: &str, jwks: Option<String>, jwks_uri: Option<String>) {
    app.provider
        .clients
        .add(NewClient {
            client_id: id.into(),
            name: "Hospital backend".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["api:read".into()],
            jwks,
            jwks_uri,
            ..NewClient::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_client_with_keys_authenticates_with_a_signed_assertion_and_never_without_one() {
    let app = spawn_app().await;
    let (kp, public) = key("k1");
    backend(&app, "backend", Some(jwks(&[&public])), None).await;
    let (status, body) = token(&app, &assertion(&app, "backend", &kp, "k1", json!({}))).await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap().to_owned();
    // The issuer itself is an accepted audience too (FAPI 2.0), and introspection takes one.
    let a = assertion(&app, "backend", &kp, "k1", json!({ "aud": app.base }));
    let (status, body) = post(
        &app,
        "/introspect",
        &[
            ("token", &at),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ],
    )
    .await;
    assert_eq!((status, &body["active"]), (200, &json!(true)), "{body}");

    // The same client without an assertion, with a made-up secret, or named by client_id
    // alone: not authenticated.
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "backend"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "backend"),
            ("client_secret", "guess-guess"),
        ],
    ] {
        let (status, body) = post(&app, "/token", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }

    // A relying party with keys pushes its authorization request with an assertion.
    let (kp2, public2) = key("v1");
    app.add_client_with("keyed-viewer", |n| {
        n.secret = None;
        n.jwks = Some(jwks(&[&public2]));
    })
    .await;
    let a = assertion(
        &app,
        "keyed-viewer",
        &kp2,
        "v1",
        json!({ "aud": format!("{}/par", app.base) }),
    );
    let (status, body) = post(
        &app,
        "/par",
        &[
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", "http://127.0.0.1:9/keyed-viewer/cb"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(d["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
    assert!(!d["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "none" || a == "HS256"));
}

#[tokio::test]
async fn forged_replayed_misdirected_and_long_lived_assertions_are_refused() {
    let app = spawn_app().await;
    let (kp, public) = key("k1");
    let (stranger, _) = key("k1");
    backend(&app, "backend", Some(jwks(&[&public])), None).await;
    backend(&app, "other", Some(jwks(&[&key("o1").1])), None).await;
    let now = platform::Clock::now(app.clock.as_ref());

    // Replayed: the second use of one jti fails.
    let once = assertion(&app, "backend", &kp, "k1", json!({}));
    assert_eq!(token(&app, &once).await.0, 200);
    let (status, body) = token(&app, &once).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let refused = [
        (
            "signed by a key it did not register",
            assertion(&app, "backend", &stranger, "k1", json!({})),
        ),
        (
            "for another provider",
            assertion(
                &app,
                "backend",
                &kp,
                "k1",
                json!({"aud": "https://elsewhere.example/token"}),
            ),
        ),
        (
            "living an hour",
            assertion(&app, "backend", &kp, "k1", json!({"exp": now + 3600})),
        ),
        (
            "expired",
            assertion(&app, "backend", &kp, "k1", json!({"exp": now - 1})),
        ),
        (
            "without exp",
            assertion(&app, "backend", &kp, "k1", json!({"exp": null})),
        ),
        (
            "without jti",
            assertion(&app, "backend", &kp, "k1", json!({"jti": null})),
        ),
        (
            "not valid yet",
            assertion(&app, "backend", &kp, "k1", json!({"nbf": now + 120})),
        ),
        (
            "sub another client",
            assertion(&app, "backend", &kp, "k1", json!({"sub": "other"})),
        ),
        (
            "claiming another client it cannot sign for",
            assertion(&app, "other", &kp, "k1", json!({})),
        ),
    ];
    for (what, a) in refused {
        let (status, body) = token(&app, &a).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{what}: {body}"
        );
    }

    // alg none, and HS256 keyed with the public key (algorithm confusion).
    let good = assertion(&app, "backend", &kp, "k1", json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let b64 = |v: Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        parts[1]
    );
    assert_eq!(token(&app, &none).await.0, 401);
    let hs = {
        let payload = JwtPayload::from_map(
            serde_json::from_slice::<serde_json::Map<String, Value>>(
                &base64::Engine::decode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    parts[1],
                )
                .unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        let mut h = JwsHeader::new();
        h.set_key_id("k1");
        let signer = HS256
            .signer_from_bytes(public.to_string().as_bytes())
            .unwrap();
        jwt::encode_with_signer(&payload, &h, &signer).unwrap()
    };
    assert_eq!(token(&app, &hs).await.0, 401);

    // Two methods at once, or an unknown assertion type: a bad request.
    let a = assertion(&app, "backend", &kp, "k1", json!({}));
    let (status, body) = post(
        &app,
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:example:saml"),
            ("client_assertion", &a),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let r = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("backend", Some("x"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // client_id naming another client than the assertion's.
    let (status, _) = post(
        &app,
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "other"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ],
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn registering_keys_refuses_private_keys_secrets_beside_them_and_plain_http() {
    let app = spawn_app().await;
    let kp = EcKeyPair::generate(EcCurve::P256).unwrap();
    let private = json!({ "keys": [serde_json::from_str::<Value>(&kp.to_jwk_private_key().to_string()).unwrap()] });
    let (_, public) = key("k1");
    for (what, n) in [
        (
            "a private key",
            NewClient {
                jwks: Some(private.to_string()),
                ..base("a")
            },
        ),
        (
            "not a key set",
            NewClient {
                jwks: Some("[1,2]".into()),
                ..base("b")
            },
        ),
        (
            "a secret beside keys",
            NewClient {
                jwks: Some(jwks(&[&public])),
                secret: Some("long-enough-secret".into()),
                ..base("c")
            },
        ),
        (
            "plain http elsewhere",
            NewClient {
                jwks_uri: Some("http://keys.example/jwks".into()),
                ..base("d")
            },
        ),
        (
            "both",
            NewClient {
                jwks: Some(jwks(&[&public])),
                jwks_uri: Some("https://keys.example/jwks".into()),
                ..base("e")
            },
        ),
    ] {
        assert!(app.provider.clients.add(n).await.is_err(), "{what}");
    }
    fn base(id: &str) -> NewClient {
        NewClient {
            client_id: id.into(),
            name: "x".into(),
            grant_types: vec!["client_credentials".into()],
            ..NewClient::default()
        }
    }
}

#[tokio::test]
async fn keys_at_a_jwks_uri_are_fetched_cached_and_fetched_again_for_a_new_kid() {
    let app = spawn_app().await;
    let (k1, p1) = key("k1");
    let (k2, p2) = key("k2");
    let served = Arc::new(Mutex::new(jwks(&[&p1])));
    let fetches = Arc::new(AtomicUsize::new(0));
    let router = {
        let (served, fetches) = (served.clone(), fetches.clone());
        axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (served, fetches) = (served.clone(), fetches.clone());
                async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().unwrap().clone();
                    ([("content-type", "application/json")], body)
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    backend(&app, "hospital", None, Some(format!("http://{addr}/jwks"))).await;

    for _ in 0..3 {
        let (status, body) = token(&app, &assertion(&app, "hospital", &k1, "k1", json!({}))).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "fetched once, then cached"
    );

    // The hospital rotates a key in; an assertion names it: fetched again (once).
    *served.lock().unwrap() = jwks(&[&p1, &p2]);
    app.clock.advance(11);
    let (status, body) = token(&app, &assertion(&app, "hospital", &k2, "k2", json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // A flood of made-up kids right after: no fetch for each.
    let (stranger, _) = key("zz");
    for i in 0..5 {
        let kid = format!("made-up-{i}");
        let (status, _) = token(
            &app,
            &assertion(&app, "hospital", &stranger, &kid, json!({})),
        )
        .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "refetches are spaced out"
    );

    // A key set grown past the bound is not taken.
    *served.lock().unwrap() = format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(70_000));
    app.clock.advance(400);
    let (status, _) = token(&app, &assertion(&app, "hospital", &k1, "k1", json!({}))).await;
    assert_ne!(status, 200);
}

/// SMART Backend Services: a hospital's backend signs with RS384 or ES384 (P-384), as SMART
/// requires; its published set may hold keys of other kinds, which are skipped.
#[tokio::test]
async fn smart_backend_services_sign_with_rs384_or_es384_and_other_keys_in_the_set_are_skipped() {
    use josekit::jwk::alg::rsa::RsaKeyPair;
    use josekit::jws::{ES384, RS384};
    let app = spawn_app().await;
    let ec = EcKeyPair::generate(EcCurve::P384).unwrap();
    let mut ec_pub = ec.to_jwk_public_key();
    ec_pub.set_key_id("p384");
    let rsa = RsaKeyPair::generate(2048).unwrap();
    let mut rsa_pub = rsa.to_jwk_public_key();
    rsa_pub.set_key_id("rsa");
    let v = |j: &josekit::jwk::Jwk| -> Value { serde_json::from_str(&j.to_string()).unwrap() };
    // Published beside a key this provider does not use (EC P-521), which is skipped.
    let p521 = EcKeyPair::generate(EcCurve::P521).unwrap();
    let mut p521_pub = p521.to_jwk_public_key();
    p521_pub.set_key_id("p521");
    let set = jwks(&[&v(&p521_pub), &v(&ec_pub), &v(&rsa_pub)]);
    let router = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let set = set.clone();
            async move { ([("content-type", "application/json")], set) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    backend(
        &app,
        "ehr-backend",
        None,
        Some(format!("http://{addr}/jwks")),
    )
    .await;
    let sign = |signer: &dyn josekit::jws::JwsSigner, kid: &str| {
        let now = platform::Clock::now(app.clock.as_ref());
        let c = json!({
            "iss": "ehr-backend",
            "sub": "ehr-backend",
            "aud": format!("{}/token", app.base),
            "exp": now + 240,
            "jti": platform::crypto::random_token(12),
        });
        let payload = JwtPayload::from_map(c.as_object().unwrap().clone()).unwrap();
        let mut h = JwsHeader::new();
        h.set_token_type("JWT");
        h.set_key_id(kid);
        jwt::encode_with_signer(&payload, &h, signer).unwrap()
    };
    let es384 = ES384.signer_from_jwk(&ec.to_jwk_private_key()).unwrap();
    let rs384 = RS384.signer_from_jwk(&rsa.to_jwk_private_key()).unwrap();
    for (signer, kid) in [
        (&es384 as &dyn josekit::jws::JwsSigner, "p384"),
        (&rs384, "rsa"),
    ] {
        let (status, body) = token(&app, &sign(signer, kid)).await;
        assert_eq!(status, 200, "{kid}: {body}");
        assert_eq!(body["token_type"], "Bearer");
    }
    // Nothing signed with the skipped key is taken (nor is its algorithm).
    let es512 = josekit::jws::ES512
        .signer_from_jwk(&p521.to_jwk_private_key())
        .unwrap();
    let (status, _) = token(&app, &sign(&es512, "p521")).await;
    assert_eq!(status, 401);
    // A P-384 key cannot stand for ES256 (the curve names the algorithm).
    let wrong = ES256.signer_from_jwk(&ec.to_jwk_private_key());
    assert!(
        wrong.is_err(),
        "josekit itself refuses to sign ES256 with P-384"
    );
    // Registered inline, a P-384 key is taken; a P-521 key is refused with the reason.
    backend(&app, "ehr-inline", Some(jwks(&[&v(&ec_pub)])), None).await;
    let refused = app
        .provider
        .clients
        .add(NewClient {
            client_id: "ehr-bad".into(),
            name: "Hospital backend".into(),
            grant_types: vec!["client_credentials".into()],
            jwks: Some(jwks(&[&v(&p521_pub)])),
            ..NewClient::default()
        })
        .await;
    let why = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("P-384"), "{why}");
}

/// SMART Backend Services' `system/` scopes: granted exactly as far as the registration
/// covers them, in both grammars; a malformed one is `invalid_scope`, and never registered.
#[tokio::test]
async fn system_scopes_are_granted_as_far_as_the_registration_covers_them() {
    let app = spawn_app().await;
    let (kp, public) = key("k1");
    app.provider
        .clients
        .add(NewClient {
            client_id: "lab-backend".into(),
            name: "Lab backend".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec![
                "system/Observation.rs?category=laboratory".into(),
                "system/Patient.read".into(),
            ],
            jwks: Some(jwks(&[&public])),
            ..NewClient::default()
        })
        .await
        .unwrap();
    let ask = |scope: &'static str| {
        let a = assertion(&app, "lab-backend", &kp, "k1", json!({}));
        let base = app.base.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", a.as_str()),
                    ("scope", scope),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or_default())
        }
    };
    let granted = "system/Observation.r?category=laboratory system/Patient.rs";
    let (status, body) = ask(granted).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], granted);
    let at = body["access_token"].as_str().unwrap();
    let payload = oneid_tests::rp::jwt_payload(at);
    assert_eq!(payload["scope"], granted, "{payload}");
    for (scope, why) in [
        (
            "system/Observation.rs",
            "wider than the registered category",
        ),
        (
            "system/Observation.rs?category=vital-signs",
            "another category",
        ),
        ("system/Patient.u", "a permission not registered"),
        ("patient/Patient.r", "another context"),
        ("system/Foo.r", "an unknown resource type"),
        ("system/Observation.rs?category=", "a bad filter"),
        ("system/Patient.sr", "permissions out of order"),
    ] {
        let (status, body) = ask(scope).await;
        assert_eq!(status, 400, "{scope}: {why}: {body}");
        assert_eq!(body["error"], "invalid_scope", "{scope}: {body}");
    }
    // A malformed clinical scope is never registered.
    for bad in ["system/Observations.rs", "user/*.rw", "patient/*.read?x=y"] {
        let r = app
            .provider
            .clients
            .add(NewClient {
                client_id: "bad-backend".into(),
                name: "Bad".into(),
                grant_types: vec!["client_credentials".into()],
                scopes: vec![bad.into()],
                jwks: Some(jwks(&[&public])),
                ..NewClient::default()
            })
            .await;
        assert!(r.is_err(), "{bad}");
    }
}
