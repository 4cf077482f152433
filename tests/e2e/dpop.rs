//! DPoP (RFC 9449): tokens bound to the client's key. Attacked as an outsider would: a bound
//! token sent as a bearer token or with another key's proof, a proof replayed (also on the
//! other node at once), made for another URL or method, without the token's hash, too old,
//! unsigned, keyed with a private key, without the server's nonce, and a refresh token used
//! without its key.

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jws::{JwsHeader, ES256};
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_payload, Rp};
use oneid_tests::{spawn_app, spawn_pair, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};

/// A client's DPoP key.
struct Key(EcKeyPair);

impl Key {
    fn new() -> Self {
        Key(EcKeyPair::generate(EcCurve::P256).unwrap())
    }
    fn public(&self) -> Value {
        serde_json::from_str(&self.0.to_jwk_public_key().to_string()).unwrap()
    }
    /// A proof for `htm` `htu` with `claims` changed (`null` removes one), and the header's
    /// `typ` and `jwk` as given.
    fn proof_with(&self, htm: &str, htu: &str, now: i64, claims: Value, header: Value) -> String {
        let c = json!({
            "jti": platform::crypto::random_token(12),
            "htm": htm,
            "htu": htu,
            "iat": now,
        });
        let c = oneid_tests::jose::with_changes(c, claims);
        let mut h = JwsHeader::new();
        h.set_token_type(header["typ"].as_str().unwrap_or("dpop+jwt"));
        let jwk = header.get("jwk").cloned().unwrap_or_else(|| self.public());
        h.set_claim("jwk", Some(jwk)).unwrap();
        let signer = ES256.signer_from_jwk(&self.0.to_jwk_private_key()).unwrap();
        oneid_tests::jose::sign(&c, &h, &signer)
    }
    fn proof(&self, htm: &str, htu: &str, now: i64, claims: Value) -> String {
        self.proof_with(htm, htu, now, claims, json!({}))
    }
}

fn now(app: &TestApp) -> i64 {
    platform::Clock::now(app.clock.as_ref())
}

/// POSTs a token request for `client` (secret `{client}-secret`) with `proof`; (status,
/// JSON, the DPoP-Nonce answered).
async fn token(
    app: &TestApp,
    client: &str,
    form: &[(&str, &str)],
    proof: Option<&str>,
) -> (u16, Value, Option<String>) {
    let secret = format!("{client}-secret");
    let url = format!("{}/token", app.base);
    oneid_tests::jose::post_form(&url, form, Some((client, &secret)), proof).await
}

/// Userinfo with `auth` (`Bearer x` or `DPoP x`) and an optional proof; (status, body,
/// WWW-Authenticate).
async fn userinfo(app: &TestApp, auth: &str, proof: Option<&str>) -> (u16, Value, String) {
    let mut r = reqwest::Client::new()
        .get(format!("{}/userinfo", app.base))
        .header("Authorization", auth);
    if let Some(p) = proof {
        r = r.header("DPoP", p);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let www = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, r.json().await.unwrap_or_default(), www)
}

fn ath(token: &str) -> String {
    platform::crypto::sha256_b64(token.as_bytes())
}

/// The server's current nonce, learnt the way a client learns it (a first proof without one).
async fn learn_nonce(app: &TestApp, key: &Key, client: &str) -> String {
    let url = format!("{}/token", app.base);
    let first = key.proof("POST", &url, now(app), json!({}));
    let (status, body, nonce) = token(
        app,
        client,
        &[("grant_type", "client_credentials")],
        Some(&first),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    nonce.expect("a DPoP-Nonce")
}

#[tokio::test]
async fn a_proof_binds_the_tokens_and_only_that_key_uses_them() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let key = Key::new();
    let url = format!("{}/token", app.base);
    let ui = format!("{}/userinfo", app.base);

    // Sign in, then redeem the code with a proof: first without the server's nonce.
    let b = Browser::new();
    let s = rp.start(&["profile", "offline_access"], &[]);
    let page = b.get(&s.url).await;
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let verifier = s.verifier.secret().clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.cfg.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body, nonce) = token(
        &app,
        "connectingontario",
        &form,
        Some(&key.proof("POST", &url, now(&app), json!({}))),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    let nonce = nonce.expect("a nonce to use");
    let (status, body, next_nonce) = token(
        &app,
        "connectingontario",
        &form,
        Some(&key.proof("POST", &url, now(&app), json!({ "nonce": nonce }))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(next_nonce.is_some());
    assert_eq!(body["token_type"], "DPoP");
    let at = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let jkt = authorization_server::dpop::thumbprint(&key.public()).unwrap();
    assert_eq!(jwt_payload(&at)["cnf"]["jkt"], jkt.as_str());

    // At userinfo: only with a proof by that key, for this request, with the token's hash.
    let good = |claims: Value| {
        let mut c = json!({ "nonce": nonce, "ath": ath(&at) });
        for (k, v) in claims.as_object().unwrap() {
            c[k] = v.clone();
        }
        key.proof("GET", &ui, now(&app), c)
    };
    let p = good(json!({}));
    let (status, info, _) = userinfo(&app, &format!("DPoP {at}"), Some(&p)).await;
    assert_eq!(
        (status, info["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{info}"
    );
    let (status, _, www) = userinfo(&app, &format!("DPoP {at}"), Some(&p)).await;
    assert_eq!(status, 401, "a replayed proof");
    assert!(www.contains("invalid_dpop_proof"), "{www}");
    let (status, _, www) = userinfo(&app, &format!("Bearer {at}"), None).await;
    assert_eq!(status, 401, "a bound token as a bearer token");
    assert!(www.contains("invalid_token"), "{www}");
    let other = Key::new();
    let by_other = other.proof(
        "GET",
        &ui,
        now(&app),
        json!({ "nonce": nonce, "ath": ath(&at) }),
    );
    let (status, body, _) = userinfo(&app, &format!("DPoP {at}"), Some(&by_other)).await;
    assert_eq!(status, 401, "another key's proof: {body}");
    for (what, p) in [
        (
            "another URL",
            good(json!({ "htu": format!("{}/token", app.base) })),
        ),
        ("another method", good(json!({ "htm": "POST" }))),
        ("without the token's hash", good(json!({ "ath": "" }))),
        ("too old", good(json!({ "iat": now(&app) - 600 }))),
        ("without a nonce", good(json!({ "nonce": "" }))),
    ] {
        let (status, body, _) = userinfo(&app, &format!("DPoP {at}"), Some(&p)).await;
        assert_eq!(status, 401, "{what}: {body}");
    }
    let (status, _, _) = userinfo(&app, &format!("DPoP {at}"), None).await;
    assert_eq!(status, 401, "no proof at all");

    // Introspection tells a resource server the binding.
    let r: Value = reqwest::Client::new()
        .post(format!("{}/introspect", app.base))
        .basic_auth("connectingontario", Some("connectingontario-secret"))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["cnf"]["jkt"], jkt.as_str());
    assert_eq!(r["token_type"], "DPoP");

    // The refresh token needs the same key.
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let (status, body, _) = token(&app, "connectingontario", &refresh_form, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let p = other.proof("POST", &url, now(&app), json!({ "nonce": nonce }));
    let (status, body, _) = token(&app, "connectingontario", &refresh_form, Some(&p)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let p = key.proof("POST", &url, now(&app), json!({ "nonce": nonce }));
    let (status, body, _) = token(&app, "connectingontario", &refresh_form, Some(&p)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_payload(body["access_token"].as_str().unwrap())["cnf"]["jkt"],
        jkt.as_str()
    );
}

#[tokio::test]
async fn bad_proofs_are_refused_at_the_token_endpoint_and_a_client_can_require_one() {
    let app = spawn_app().await;
    app.add_client_with("backend", |n| {
        n.service_id = None;
        n.redirect_uris.clear();
        n.grant_types = vec!["client_credentials".into()];
        n.scopes = vec!["api:read".into()];
        n.require_dpop = true;
    })
    .await;
    let key = Key::new();
    let url = format!("{}/token", app.base);
    let cc = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let (status, body, _) = token(&app, "backend", &cc, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let nonce = learn_nonce(&app, &key, "backend").await;
    let n = json!({ "nonce": nonce });
    let t = now(&app);
    let private: Value = serde_json::from_str(&key.0.to_jwk_private_key().to_string()).unwrap();
    let unsigned = {
        use base64::Engine as _;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.public()})),
            b64(json!({"jti": "x1", "htm": "POST", "htu": url, "iat": t, "nonce": nonce}))
        )
    };
    for (what, proof) in [
        ("alg none", unsigned),
        (
            "a private key in the header",
            key.proof_with("POST", &url, t, n.clone(), json!({ "jwk": private })),
        ),
        (
            "typ JWT",
            key.proof_with("POST", &url, t, n.clone(), json!({ "typ": "JWT" })),
        ),
        (
            "another URL",
            key.proof("POST", &format!("{}/par", app.base), t, n.clone()),
        ),
        ("GET", key.proof("GET", &url, t, n.clone())),
        ("an hour old", key.proof("POST", &url, t - 3600, n.clone())),
        (
            "from the future",
            key.proof("POST", &url, t + 3600, n.clone()),
        ),
        (
            "without jti",
            key.proof("POST", &url, t, json!({ "nonce": nonce, "jti": null })),
        ),
        (
            "a made-up nonce",
            key.proof("POST", &url, t, json!({ "nonce": "made-up" })),
        ),
    ] {
        let (status, body, _) = token(&app, "backend", &cc, Some(&proof)).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert!(
            matches!(
                body["error"].as_str(),
                Some("invalid_dpop_proof" | "use_dpop_nonce")
            ),
            "{what}: {body}"
        );
    }
    let good = key.proof("POST", &url, t, n.clone());
    let (status, body, _) = token(&app, "backend", &cc, Some(&good)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    let (status, body, _) = token(&app, "backend", &cc, Some(&good)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "replay"
    );

    // A nonce from two windows ago is stale: the client is told to use a fresh one.
    app.clock
        .advance(2 * authorization_server::dpop::NONCE_WINDOW + 1);
    let p = key.proof("POST", &url, now(&app), n);
    let (status, body, fresh) = token(&app, "backend", &cc, Some(&p)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce"))
    );
    assert_ne!(fresh.as_deref(), Some(nonce.as_str()));

    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(d["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("ES256")));
}

#[tokio::test]
async fn one_proof_sent_to_two_nodes_at_once_is_taken_once() {
    let (a, b) = spawn_pair().await;
    a.add_client_with("backend", |n| {
        n.service_id = None;
        n.redirect_uris.clear();
        n.grant_types = vec!["client_credentials".into()];
        n.scopes = vec!["api:read".into()];
    })
    .await;
    let key = Key::new();
    let nonce = learn_nonce(&a, &key, "backend").await;
    let cc = [("grant_type", "client_credentials"), ("scope", "api:read")];
    for _ in 0..5 {
        // One proof, made for node A's URL (the issuer both share).
        let p = key.proof(
            "POST",
            &format!("{}/token", a.base),
            now(&a),
            json!({ "nonce": nonce }),
        );
        let on_b = async {
            let r = reqwest::Client::new()
                .post(format!("{}/token", b.base))
                .basic_auth("backend", Some("backend-secret"))
                .header("DPoP", &p)
                .form(&cc)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        };
        let (x, y) = tokio::join!(token(&a, "backend", &cc, Some(&p)), on_b);
        let ok = [x.0, y].iter().filter(|s| **s == 200).count();
        assert_eq!(ok, 1, "{} / {y}", x.0);
    }
}

/// POSTs a launch to /smart/launch with `auth` and an optional proof; (status, body,
/// WWW-Authenticate, DPoP-Nonce).
async fn launch(app: &TestApp, auth: &str, proof: Option<&str>) -> (u16, Value, String, bool) {
    let mut r = reqwest::Client::new()
        .post(format!("{}/smart/launch", app.base))
        .header("Authorization", auth)
        .json(&json!({"patient": "p-1"}));
    if let Some(p) = proof {
        r = r.header("DPoP", p);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let www = header("www-authenticate").unwrap_or_default();
    let nonce = header("dpop-nonce").is_some();
    (status, r.json().await.unwrap_or_default(), www, nonce)
}

/// A record system whose tokens are DPoP-bound (a FAPI 2.0 client, say) makes EHR launches
/// with a proof by its key; the token without one, or with another key's, makes none.
#[tokio::test]
async fn a_record_system_with_dpop_bound_tokens_makes_launches_with_a_proof_by_its_key() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app
        .add_client_with("ehr", |n| {
            n.scopes = vec!["openid".into(), "oneid:launch".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let key = Key::new();
    let b = Browser::new();
    let s = rp.start(&["oneid:launch"], &[]);
    let page = b.get(&s.url).await;
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let verifier = s.verifier.secret().clone();
    let url = format!("{}/token", app.base);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", cfg.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    // The first proof learns the server's nonce.
    let first = key.proof("POST", &url, now(&app), json!({}));
    let (_, _, nonce) = token(&app, "ehr", &form, Some(&first)).await;
    let nonce = nonce.expect("a DPoP-Nonce");
    let with_nonce = key.proof("POST", &url, now(&app), json!({ "nonce": nonce }));
    let (status, body, _) = token(&app, "ehr", &form, Some(&with_nonce)).await;
    assert_eq!(
        (status, body["token_type"].as_str()),
        (200, Some("DPoP")),
        "{body}"
    );
    let at = body["access_token"].as_str().unwrap().to_owned();
    let here = format!("{}/smart/launch", app.base);
    let proof = |k: &Key| {
        k.proof(
            "POST",
            &here,
            now(&app),
            json!({ "nonce": nonce, "ath": ath(&at) }),
        )
    };

    let (status, body, www, fresh) = launch(&app, &format!("Bearer {at}"), None).await;
    assert_eq!(status, 401, "the bound token as a bearer token: {body}");
    // Answered as DPoP (RFC 9449 §7.1): the scheme, its algorithms and a nonce to use.
    assert!(
        www.starts_with("DPoP") && www.contains("invalid_token"),
        "{www}"
    );
    assert!(www.contains("algs=\"") && www.contains("ES256"), "{www}");
    assert!(fresh, "a nonce for the proof it needs");
    let (status, body, www, fresh) =
        launch(&app, &format!("DPoP {at}"), Some(&proof(&Key::new()))).await;
    assert_eq!(status, 401, "another key's proof: {body}");
    assert!(
        www.starts_with("DPoP") && www.contains("invalid_token"),
        "{www}"
    );
    assert!(fresh, "every DPoP answer carries the next nonce");
    let (status, body, www, _) = launch(&app, &format!("DPoP {at}"), None).await;
    assert_eq!(status, 401, "no proof: {body}");
    assert!(www.contains("invalid_dpop_proof"), "{www}");
    let elsewhere = key.proof(
        "POST",
        &format!("{}/userinfo", app.base),
        now(&app),
        json!({ "nonce": nonce, "ath": ath(&at) }),
    );
    let (status, _, www, _) = launch(&app, &format!("DPoP {at}"), Some(&elsewhere)).await;
    assert_eq!(status, 401, "a proof for another URL");
    assert!(www.contains("invalid_dpop_proof"), "{www}");
    assert!(app.audit("launch.created").await.is_empty());

    let good = proof(&key);
    let (status, body, _, _) = launch(&app, &format!("DPoP {at}"), Some(&good)).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["launch"].is_string());
    let (status, _, www, _) = launch(&app, &format!("DPoP {at}"), Some(&good)).await;
    assert_eq!(status, 401, "the proof replayed");
    assert!(www.contains("invalid_dpop_proof"), "{www}");
    assert_eq!(app.audit("launch.created").await.len(), 1);
}
