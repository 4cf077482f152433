//! The FAPI 2.0 Security Profile as a relying party's mode: a whole sign-in the way the
//! profile asks (a pushed request with PKCE, private_key_jwt, a DPoP-bound token), and each
//! thing the profile forbids refused: a plain request, a request without PKCE, a token request
//! without DPoP, RS256 assertions and proofs, a code older than 60 seconds, and registrations
//! with a secret, RS256 tokens or a plain-http redirect URI.

use authorization_server::clients::NewClient;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::{JwsHeader, ES256, RS256};
use oneid_tests::browser::Browser;
use oneid_tests::rp::jwt_payload;
use oneid_tests::{spawn_app_with, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};

const REDIRECT: &str = "https://bank-grade.example/cb";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn now(app: &TestApp) -> i64 {
    platform::Clock::now(app.clock.as_ref())
}

fn jwk_json(j: &josekit::jwk::Jwk) -> Value {
    serde_json::from_str(&j.to_string()).unwrap()
}

fn sign(claims: Value, header: JwsHeader, signer: &dyn josekit::jws::JwsSigner) -> String {
    oneid_tests::jose::sign(&claims, &header, signer)
}

struct Fapi {
    client_key: EcKeyPair,
    rsa: RsaKeyPair,
    dpop_key: EcKeyPair,
}

impl Fapi {
    fn assertion(&self, app: &TestApp, rsa: bool) -> String {
        let mut h = JwsHeader::new();
        h.set_key_id(if rsa { "r1" } else { "c1" });
        let c = json!({
            "iss": "bank", "sub": "bank", "aud": app.base, "exp": now(app) + 60,
            "jti": platform::crypto::random_token(12),
        });
        if rsa {
            let s = RS256
                .signer_from_jwk(&self.rsa.to_jwk_private_key())
                .unwrap();
            sign(c, h, &s)
        } else {
            let s = ES256
                .signer_from_jwk(&self.client_key.to_jwk_private_key())
                .unwrap();
            sign(c, h, &s)
        }
    }

    fn proof(&self, app: &TestApp, nonce: Option<&str>) -> String {
        let mut h = JwsHeader::new();
        h.set_token_type("dpop+jwt");
        h.set_claim("jwk", Some(jwk_json(&self.dpop_key.to_jwk_public_key())))
            .unwrap();
        let mut c = json!({
            "jti": platform::crypto::random_token(12), "htm": "POST",
            "htu": format!("{}/token", app.base), "iat": now(app),
        });
        if let Some(n) = nonce {
            c["nonce"] = n.into();
        }
        let s = ES256
            .signer_from_jwk(&self.dpop_key.to_jwk_private_key())
            .unwrap();
        sign(c, h, &s)
    }

    fn rsa_proof(&self, app: &TestApp, nonce: &str) -> String {
        let mut h = JwsHeader::new();
        h.set_token_type("dpop+jwt");
        h.set_claim("jwk", Some(jwk_json(&self.rsa.to_jwk_public_key())))
            .unwrap();
        let c = json!({
            "jti": platform::crypto::random_token(12), "htm": "POST",
            "htu": format!("{}/token", app.base), "iat": now(app), "nonce": nonce,
        });
        let s = RS256
            .signer_from_jwk(&self.rsa.to_jwk_private_key())
            .unwrap();
        sign(c, h, &s)
    }
}

async fn form_post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    dpop: Option<&str>,
) -> (u16, Value, Option<String>) {
    let url = format!("{}{path}", app.base);
    oneid_tests::jose::post_form(&url, form, None, dpop).await
}

async fn setup() -> (TestApp, Fapi) {
    // The provider keeps codes ten minutes; a FAPI client's lives 60 seconds all the same.
    let app = spawn_app_with(|c| c.tokens.code_ttl = 600).await;
    app.add_clinician().await;
    let f = Fapi {
        client_key: EcKeyPair::generate(EcCurve::P256).unwrap(),
        rsa: RsaKeyPair::generate(2048).unwrap(),
        dpop_key: EcKeyPair::generate(EcCurve::P256).unwrap(),
    };
    let mut ec = f.client_key.to_jwk_public_key();
    ec.set_key_id("c1");
    let mut rsa = f.rsa.to_jwk_public_key();
    rsa.set_key_id("r1");
    let jwks = json!({ "keys": [jwk_json(&ec), jwk_json(&rsa)] }).to_string();
    app.add_client_with("bank", |n| {
        n.secret = None;
        n.jwks = Some(jwks);
        n.redirect_uris = vec![REDIRECT.into()];
        n.fapi2 = true;
    })
    .await;
    (app, f)
}

/// Pushes a request (with PKCE unless `pkce` is false); the request_uri.
async fn push(app: &TestApp, f: &Fapi, pkce: bool) -> (u16, Value) {
    let a = f.assertion(app, false);
    let mut form = vec![
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", a.as_str()),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("redirect_uri", REDIRECT),
        ("state", "st"),
        ("nonce", "n-1"),
    ];
    if pkce {
        form.push(("code_challenge", CHALLENGE));
        form.push(("code_challenge_method", "S256"));
    }
    let (status, body, _) = form_post(app, "/par", &form, None).await;
    (status, body)
}

/// A code for a pushed request, through the browser.
async fn code(app: &TestApp, f: &Fapi) -> String {
    let (status, body) = push(app, f, true).await;
    assert_eq!(status, 201, "{body}");
    let mut u = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", "bank")
        .append_pair("request_uri", body["request_uri"].as_str().unwrap());
    let b = Browser::new();
    let page = b.get(u.as_str()).await;
    assert!(page.is_login_page(), "{}", page.body);
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let q = cb.location_params();
    assert_eq!(q.get("iss"), Some(&app.base), "iss in the response");
    q.get("code").cloned().expect("a code")
}

#[tokio::test]
async fn a_fapi_client_signs_in_with_par_pkce_private_key_jwt_and_dpop() {
    let (app, f) = setup().await;
    let code = code(&app, &f).await;
    let token_form = |a: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
            ("client_assertion_type", JWT_BEARER.to_owned()),
            ("client_assertion", a.to_owned()),
        ]
    };
    // Without DPoP: refused (the code is not spent by it).
    let f1 = token_form(&f.assertion(&app, false));
    let f1: Vec<(&str, &str)> = f1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = form_post(&app, "/token", &f1, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    // An RS256 assertion: not for a FAPI client.
    let f2 = token_form(&f.assertion(&app, true));
    let f2: Vec<(&str, &str)> = f2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = form_post(&app, "/token", &f2, Some(&f.proof(&app, None))).await;
    assert_eq!(status, 401);
    // Learn the nonce, then an RS256 proof: refused; an ES256 one: the tokens.
    let f3 = token_form(&f.assertion(&app, false));
    let f3: Vec<(&str, &str)> = f3.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, nonce) = form_post(&app, "/token", &f3, Some(&f.proof(&app, None))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("use_dpop_nonce")),
        "{body}"
    );
    let nonce = nonce.unwrap();
    let f4 = token_form(&f.assertion(&app, false));
    let f4: Vec<(&str, &str)> = f4.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = form_post(&app, "/token", &f4, Some(&f.rsa_proof(&app, &nonce))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    let f5 = token_form(&f.assertion(&app, false));
    let f5: Vec<(&str, &str)> = f5.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) =
        form_post(&app, "/token", &f5, Some(&f.proof(&app, Some(&nonce)))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert!(jwt_payload(body["access_token"].as_str().unwrap())["cnf"]["jkt"].is_string());
    let idt = body["id_token"].as_str().unwrap();
    assert_eq!(oneid_tests::rp::jwt_header(idt)["alg"], "PS256");
}

#[tokio::test]
async fn what_the_profile_forbids_is_refused() {
    let (app, f) = setup().await;
    // A plain authorization request.
    let mut u = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", "bank")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let r = Browser::new().get(u.as_str()).await;
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("invalid_request"),
        "{:?}",
        r.location()
    );
    // A pushed request without PKCE.
    let (status, body) = push(&app, &f, false).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    // A code older than 60 seconds, even though the provider keeps codes longer.
    let code = code(&app, &f).await;
    app.clock.advance(61);
    let a = f.assertion(&app, false);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", a.as_str()),
    ];
    let (_, _, nonce) = form_post(&app, "/token", &form, Some(&f.proof(&app, None))).await;
    let a = f.assertion(&app, false);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", a.as_str()),
    ];
    let (status, body, _) = form_post(
        &app,
        "/token",
        &form,
        Some(&f.proof(&app, nonce.as_deref())),
    )
    .await;
    assert!(
        status == 400 && body["error"] == "invalid_grant",
        "{status} {body}"
    );

    // Registrations the profile does not allow.
    let (_, public) = {
        let k = EcKeyPair::generate(EcCurve::P256).unwrap();
        let v = jwk_json(&k.to_jwk_public_key());
        (k, v)
    };
    let keys = json!({ "keys": [public] }).to_string();
    let base = |id: &str| NewClient {
        client_id: id.into(),
        name: "x".into(),
        redirect_uris: vec![REDIRECT.into()],
        fapi2: true,
        jwks: Some(keys.clone()),
        ..NewClient::default()
    };
    for (what, n) in [
        (
            "a secret",
            NewClient {
                jwks: None,
                secret: Some("a-long-shared-secret".into()),
                ..base("s")
            },
        ),
        (
            "RS256 ID tokens",
            NewClient {
                id_token_alg: Some(authorization_server::keys::SigAlg::RS256),
                ..base("r")
            },
        ),
        (
            "plain http",
            NewClient {
                redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
                ..base("h")
            },
        ),
    ] {
        assert!(app.provider.clients.add(n).await.is_err(), "{what}");
    }
}
