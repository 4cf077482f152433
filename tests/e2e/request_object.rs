//! Signed request objects (RFC 9101, JAR): the authorization request as a JWT signed with a
//! key the client registered, by value at `/authorize` and inside a pushed request. Its
//! parameters win over those beside it; a bad signature, `alg` none, another audience, a
//! replayed `jti`, an expired object and another client's object are refused; a client can be
//! required to sign.

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jws::{JwsHeader, ES256};
use josekit::jwt::{self, JwtPayload};
use oneid_tests::browser::Browser;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn now(app: &TestApp) -> i64 {
    platform::Clock::now(app.clock.as_ref())
}

/// The request object of a code request by `client`, signed with `kp`, with `changes` (`null`
/// removes a claim).
fn object(app: &TestApp, client: &str, kp: &EcKeyPair, changes: Value) -> String {
    let c = json!({
        "iss": client,
        "aud": app.base,
        "exp": now(app) + 300,
        "jti": platform::crypto::random_token(12),
        "client_id": client,
        "response_type": "code",
        "scope": "openid profile",
        "redirect_uri": format!("http://127.0.0.1:9/{client}/cb"),
        "state": "signed-state",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "max_age": 3600,
    });
    let c = oneid_tests::jose::with_changes(c, changes);
    let payload = JwtPayload::from_map(c.as_object().unwrap().clone()).unwrap();
    let mut h = JwsHeader::new();
    h.set_token_type("oauth-authz-req+jwt");
    h.set_key_id("k1");
    let s = ES256.signer_from_jwk(&kp.to_jwk_private_key()).unwrap();
    jwt::encode_with_signer(&payload, &h, &s).unwrap()
}

async fn keyed(app: &TestApp, id: &str, required: bool) -> EcKeyPair {
    let kp = EcKeyPair::generate(EcCurve::P256).unwrap();
    let mut jwk = kp.to_jwk_public_key();
    jwk.set_key_id("k1");
    let keys = json!({ "keys": [serde_json::from_str::<Value>(&jwk.to_string()).unwrap()] });
    app.add_client_with(id, |n| {
        n.secret = None;
        n.jwks = Some(keys.to_string());
        n.require_signed_request_object = required;
    })
    .await;
    kp
}

fn authorize_url(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
    for (k, v) in pairs {
        u.query_pairs_mut().append_pair(k, v);
    }
    u.to_string()
}

#[tokio::test]
async fn a_signed_request_object_is_the_request_and_the_parameters_beside_it_are_ignored() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let kp = keyed(&app, "signer", false).await;
    let ro = object(&app, "signer", &kp, json!({}));
    // A state and a redirect URI beside the object are not taken.
    let url = authorize_url(
        &app,
        &[
            ("client_id", "signer"),
            ("request", &ro),
            ("state", "forged"),
            ("redirect_uri", "http://127.0.0.1:9/otnhub/cb"),
        ],
    );
    let b = Browser::new();
    let page = b.get(&url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let loc = cb.location().unwrap().to_owned();
    assert!(loc.starts_with("http://127.0.0.1:9/signer/cb"), "{loc}");
    assert_eq!(
        cb.location_params().get("state").map(String::as_str),
        Some("signed-state")
    );
    assert!(cb.location_params().contains_key("code"));
    // The same object again: its jti was spent.
    let again = Browser::new().get(&url).await;
    assert_eq!(again.status, 400);
    assert!(again.location().is_none());
}

#[tokio::test]
async fn bad_request_objects_are_refused() {
    let app = spawn_app().await;
    let kp = keyed(&app, "signer", false).await;
    keyed(&app, "other", false).await;
    let stranger = EcKeyPair::generate(EcCurve::P256).unwrap();
    let t = now(&app);
    let none = {
        use base64::Engine as _;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(json!({"alg": "none"})),
            b64(
                json!({"iss": "signer", "aud": app.base, "exp": t + 60, "jti": "n1",
                       "response_type": "code", "scope": "openid",
                       "redirect_uri": "http://127.0.0.1:9/signer/cb"})
            )
        )
    };
    for (what, client, ro) in [
        (
            "signed by an unregistered key",
            "signer",
            object(&app, "signer", &stranger, json!({})),
        ),
        ("alg none", "signer", none),
        (
            "for another audience",
            "signer",
            object(
                &app,
                "signer",
                &kp,
                json!({"aud": "https://elsewhere.example"}),
            ),
        ),
        (
            "expired",
            "signer",
            object(&app, "signer", &kp, json!({"exp": t - 1})),
        ),
        (
            "living a day",
            "signer",
            object(&app, "signer", &kp, json!({"exp": t + 86_400})),
        ),
        (
            "without jti",
            "signer",
            object(&app, "signer", &kp, json!({"jti": null})),
        ),
        (
            "another client's",
            "other",
            object(&app, "signer", &kp, json!({})),
        ),
        (
            "holding a request_uri",
            "signer",
            object(&app, "signer", &kp, json!({"request_uri": "urn:x"})),
        ),
    ] {
        let r = Browser::new()
            .get(&authorize_url(
                &app,
                &[("client_id", client), ("request", &ro)],
            ))
            .await;
        assert_eq!(r.status, 400, "{what}: {}", r.body);
        assert!(r.location().is_none(), "{what}: never redirected");
    }
    // Replayed: the first use opens the login page, the second is refused.
    let ro = object(&app, "signer", &kp, json!({}));
    let url = authorize_url(&app, &[("client_id", "signer"), ("request", &ro)]);
    assert!(Browser::new().get(&url).await.is_login_page());
    assert_eq!(Browser::new().get(&url).await.status, 400);
}

#[tokio::test]
async fn a_client_that_must_sign_is_refused_a_plain_request_and_may_push_a_signed_one() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let kp = keyed(&app, "strict", true).await;
    let plain = authorize_url(
        &app,
        &[
            ("client_id", "strict"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", "http://127.0.0.1:9/strict/cb"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "p"),
        ],
    );
    let r = Browser::new().get(&plain).await;
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("invalid_request"),
        "{:?}",
        r.location()
    );

    // Inside a pushed request, authenticated with an assertion by the same key.
    let assertion = {
        let c = json!({"iss": "strict", "sub": "strict", "aud": app.base,
                       "exp": now(&app) + 60, "jti": platform::crypto::random_token(8)});
        let payload = JwtPayload::from_map(c.as_object().unwrap().clone()).unwrap();
        let mut h = JwsHeader::new();
        h.set_key_id("k1");
        let s = ES256.signer_from_jwk(&kp.to_jwk_private_key()).unwrap();
        jwt::encode_with_signer(&payload, &h, &s).unwrap()
    };
    let ro = object(&app, "strict", &kp, json!({}));
    let r: Value = reqwest::Client::new()
        .post(format!("{}/par", app.base))
        .form(&[
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("request", ro.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uri = r["request_uri"].as_str().unwrap_or_else(|| panic!("{r}"));
    let b = Browser::new();
    let page = b
        .get(&authorize_url(
            &app,
            &[("client_id", "strict"), ("request_uri", uri)],
        ))
        .await;
    assert!(page.is_login_page(), "{}", page.body);
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(
        cb.location_params().get("state").map(String::as_str),
        Some("signed-state")
    );

    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["request_parameter_supported"], true);
    assert!(d["request_object_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("ES256")));
}
