//! Back-Channel and Front-Channel Logout: ending the ONE ID session at one viewer tells every
//! viewer of the session. Receivers are real HTTP servers that record what ONE ID posts.

use authorization_server::SigAlg;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use josekit::jwk::JwkSet;
use josekit::jws::{EdDSA, JwsVerifier, ES256, PS256, RS256};
use oneid::viewers::{serve, Viewer};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::{jwt_header, jwt_payload, Rp};
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A relying party's back-channel logout endpoint: answers `fail` to the first `failures`
/// attempts, then 200, and keeps every `logout_token` it accepted.
#[derive(Clone)]
struct Receiver {
    url: String,
    attempts: Arc<AtomicUsize>,
    tokens: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct ReceiverState {
    failures: usize,
    fail: StatusCode,
    attempts: Arc<AtomicUsize>,
    tokens: Arc<Mutex<Vec<String>>>,
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = s.attempts.fetch_add(1, Ordering::SeqCst);
    if n < s.failures {
        return s.fail;
    }
    assert_eq!(
        headers["content-type"], "application/x-www-form-urlencoded",
        "the logout token is posted as a form"
    );
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(t) => {
            s.tokens.lock().unwrap().push(t);
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn receiver_failing(failures: usize, fail: StatusCode) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/backchannel-logout",
        listener.local_addr().unwrap()
    );
    let state = ReceiverState {
        failures,
        fail,
        attempts: Arc::default(),
        tokens: Arc::default(),
    };
    let r = Receiver {
        url,
        attempts: state.attempts.clone(),
        tokens: state.tokens.clone(),
    };
    let app = Router::new()
        .route("/backchannel-logout", post(receive))
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    r
}

async fn receiver() -> Receiver {
    receiver_failing(0, StatusCode::OK).await
}

/// Waits (up to 10 s) until `f` holds.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The `logout.backchannel` audit rows once `n` are written, as (client_id, detail).
async fn backchannel_audit(app: &TestApp, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = app.audit("logout.backchannel").await;
        if rows.len() >= n {
            let mut v: Vec<(String, String)> = rows
                .into_iter()
                .map(|r| (r.client_id.unwrap(), r.detail.unwrap()))
                .collect();
            v.sort();
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {n} audit rows"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Verifies a JWT against the provider's JWKS; returns its header and claims.
async fn verify_against_jwks(app: &TestApp, token: &str) -> (Value, Value) {
    let jwks = reqwest::get(format!("{}/jwks", app.base))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let set = JwkSet::from_bytes(&jwks).unwrap();
    let header = jwt_header(token);
    let jwk = set.get(header["kid"].as_str().unwrap())[0];
    let verifier: Box<dyn JwsVerifier> = match header["alg"].as_str().unwrap() {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).unwrap()),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk).unwrap()),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).unwrap()),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk).unwrap()),
        a => panic!("unexpected alg {a}"),
    };
    let (payload, _) = josekit::jws::deserialize_compact(token, &*verifier)
        .expect("the logout token verifies against the JWKS");
    (header, serde_json::from_slice(&payload).unwrap())
}

/// Checks a logout token for `client_id` about session `sid` of `sub`.
async fn check_logout_token(
    app: &TestApp,
    token: &str,
    client_id: &str,
    alg: &str,
    sub: &str,
    sid: &str,
) -> Value {
    let (header, c) = verify_against_jwks(app, token).await;
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(header["alg"], alg, "signed like the client's ID tokens");
    assert_eq!(c["iss"], app.base.as_str());
    assert_eq!(c["aud"], client_id);
    assert_eq!(c["sub"], sub);
    assert_eq!(c["sid"], sid);
    assert_eq!(c["events"], serde_json::json!({ EVENT: {} }));
    assert!(c.get("nonce").is_none(), "a logout token never has a nonce");
    let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert!(exp > iat);
    assert_eq!(exp - iat, 120);
    assert!(c["jti"].as_str().is_some_and(|j| j.len() >= 16));
    c
}

/// The `src` of every iframe of a page, unescaped.
fn iframes(page: &Resp) -> Vec<url::Url> {
    page.body
        .split("<iframe")
        .skip(1)
        .map(|tag| {
            let start = tag.find("src=\"").unwrap() + 5;
            let end = tag[start..].find('"').unwrap() + start;
            let src = tag[start..end]
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            url::Url::parse(&src).unwrap()
        })
        .collect()
}

fn query(u: &url::Url) -> std::collections::HashMap<String, String> {
    u.query_pairs().into_owned().collect()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn logging_out_at_one_viewer_tells_every_viewer_of_the_session() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let (r1, r2) = (receiver().await, receiver().await);
    let co = Rp::discover(
        &app.add_client_with("connectingontario", |n| {
            n.backchannel_logout_uri = Some(r1.url.clone());
            n.frontchannel_logout_uri = Some("http://127.0.0.1:9/co/frontchannel?v=1".into());
        })
        .await,
    )
    .await;
    let mut cc = Rp::discover(
        &app.add_client_with("clinicalconnect", |n| {
            n.backchannel_logout_uri = Some(r2.url.clone());
            n.id_token_alg = Some(SigAlg::ES256);
        })
        .await,
    )
    .await;
    cc.algs = vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256];
    // A viewer of the session without logout URIs: told nothing.
    let otn = Rp::discover(&app.add_client("otnhub").await).await;
    let browser = Browser::new();
    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    let t2 = cc.sso(&browser, &[]).await;
    otn.sso(&browser, &[]).await;
    let sid = t.sid();
    assert_eq!(t2.sid(), sid);

    // RP-initiated logout at ClinicalConnect.
    let page = browser
        .get(&format!(
            "{}/logout?id_token_hint={}",
            app.base, t2.id_token
        ))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"logged-out\""));
    assert!(page.headers["set-cookie"].contains("oneid_session=;"));

    // Front channel: one hidden iframe, for the one viewer with a front-channel URI.
    let frames = iframes(&page);
    assert_eq!(frames.len(), 1, "{}", page.body);
    let f = &frames[0];
    assert_eq!(f.origin().ascii_serialization(), "http://127.0.0.1:9");
    assert_eq!(f.path(), "/co/frontchannel");
    let q = query(f);
    assert_eq!(q["v"], "1", "the registered query is kept");
    assert_eq!(q["iss"], app.base);
    assert_eq!(q["sid"], sid);
    assert!(page.body.contains(" hidden"), "the iframe is hidden");
    assert!(!page.body.contains("<script"), "no script");
    let csp = &page.headers["content-security-policy"];
    assert!(csp.contains("frame-src http://127.0.0.1:9;"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");

    // Back channel: each receiver gets one logout token, signed with its client's algorithm.
    eventually("both logout tokens", || {
        r1.tokens.lock().unwrap().len() == 1 && r2.tokens.lock().unwrap().len() == 1
    })
    .await;
    let tok1 = r1.tokens.lock().unwrap()[0].clone();
    let tok2 = r2.tokens.lock().unwrap()[0].clone();
    let c1 = check_logout_token(&app, &tok1, "connectingontario", "RS256", &sub, &sid).await;
    let c2 = check_logout_token(&app, &tok2, "clinicalconnect", "ES256", &sub, &sid).await;
    assert_ne!(c1["jti"], c2["jti"]);
    assert_eq!(
        backchannel_audit(&app, 2).await,
        vec![
            ("clinicalconnect".to_owned(), "delivered".to_owned()),
            ("connectingontario".to_owned(), "delivered".to_owned()),
        ],
        "one row per delivery, none for a viewer without a URI"
    );
    for r in app.audit("logout.backchannel").await {
        assert_eq!(r.subject.as_deref(), Some(sub.as_str()));
        assert!(!r.detail.unwrap().contains(&tok1));
    }

    // A logout token is not an ID token: it cannot serve as an id_token_hint.
    let again = browser
        .get(&format!("{}/logout?id_token_hint={tok1}", app.base))
        .await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("id=\"logged-out\""), "nothing to end");

    // Nothing more arrives, and the session is over everywhere.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r1.attempts.load(Ordering::SeqCst), 1);
    assert_eq!(r2.attempts.load(Ordering::SeqCst), 1);
    assert_eq!(app.audit("logout.backchannel").await.len(), 2);
    let s = co.start(&["profile"], &[]);
    assert!(browser.get(&s.url).await.is_login_page());
}

#[tokio::test]
async fn confirmed_logout_retries_server_errors_but_not_refusals() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let flaky = receiver_failing(2, StatusCode::SERVICE_UNAVAILABLE).await;
    let refusing = receiver_failing(usize::MAX, StatusCode::BAD_REQUEST).await;
    // A port nobody listens on.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/backchannel-logout", l.local_addr().unwrap())
    };
    let co = Rp::discover(
        &app.add_client_with("connectingontario", |n| {
            n.backchannel_logout_uri = Some(flaky.url.clone());
        })
        .await,
    )
    .await;
    let cc = Rp::discover(
        &app.add_client_with("clinicalconnect", |n| {
            n.backchannel_logout_uri = Some(refusing.url.clone());
        })
        .await,
    )
    .await;
    let otn = Rp::discover(
        &app.add_client_with("otnhub", |n| {
            n.backchannel_logout_uri = Some(gone);
        })
        .await,
    )
    .await;
    let browser = Browser::new();
    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    cc.sso(&browser, &[]).await;
    otn.sso(&browser, &[]).await;

    // Logout without a hint: the person confirms.
    let page = browser.get(&format!("{}/logout", app.base)).await;
    assert!(page.body.contains("action=\"/logout/confirm\""));
    let done = browser
        .post_form(
            &format!("{}/logout/confirm", app.base),
            &[
                ("request", &page.hidden("request").unwrap()),
                ("csrf", &page.hidden("csrf").unwrap()),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("id=\"logged-out\""));
    assert!(
        flaky.attempts.load(Ordering::SeqCst) < 3,
        "the page does not wait for the deliveries"
    );
    assert!(iframes(&done).is_empty());
    assert_eq!(
        done.headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        "no frame-src without front-channel viewers"
    );

    assert_eq!(
        backchannel_audit(&app, 3).await,
        vec![
            ("clinicalconnect".to_owned(), "failed: 400".to_owned()),
            ("connectingontario".to_owned(), "delivered".to_owned()),
            ("otnhub".to_owned(), "failed: unreachable".to_owned()),
        ]
    );
    assert_eq!(
        flaky.attempts.load(Ordering::SeqCst),
        3,
        "503, 503, then 200"
    );
    let tok = flaky.tokens.lock().unwrap()[0].clone();
    check_logout_token(&app, &tok, "connectingontario", "RS256", &sub, &t.sid()).await;
    assert_eq!(
        refusing.attempts.load(Ordering::SeqCst),
        1,
        "a 4xx is final"
    );
    assert!(refusing.tokens.lock().unwrap().is_empty());
}

#[tokio::test]
async fn with_front_channel_viewers_the_logout_redirect_waits_on_the_logged_out_page() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let co = Rp::discover(
        &app.add_client_with("connectingontario", |n| {
            n.frontchannel_logout_uri = Some("https://co.example/frontchannel".into());
        })
        .await,
    )
    .await;
    let cc = Rp::discover(
        &app.add_client_with("clinicalconnect", |n| {
            n.frontchannel_logout_uri = Some("http://localhost:7/cc/fcl".into());
        })
        .await,
    )
    .await;
    let browser = Browser::new();
    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    cc.sso(&browser, &[]).await;

    let bye = "http://127.0.0.1:9/connectingontario/bye";
    let r = browser
        .get(&format!(
            "{}/logout?id_token_hint={}&post_logout_redirect_uri={}&state=later",
            app.base,
            t.id_token,
            enc(bye)
        ))
        .await;
    assert_eq!(
        r.status, 200,
        "a page to load the iframes in, not a redirect"
    );
    assert!(r.headers["set-cookie"].contains("oneid_session=;"));
    let frames = iframes(&r);
    assert_eq!(frames.len(), 2);
    for f in &frames {
        assert_eq!(query(f)["sid"], t.sid());
        assert_eq!(query(f)["iss"], app.base);
    }
    let csp = &r.headers["content-security-policy"];
    assert!(
        csp.contains("frame-src http://localhost:7 https://co.example;"),
        "{csp}"
    );
    // Then on to the registered URI, with the state: a link and a Refresh, no script.
    let next = format!("{bye}?state=later");
    assert!(r.body.contains("id=\"continue\""));
    assert_eq!(r.headers["refresh"], format!("3; url={next}"));
    assert!(!r.body.contains("<script"));
}

#[tokio::test]
async fn logout_uris_are_checked_like_redirect_uris() {
    let app = spawn_app().await;
    app.test_service().await;
    for (bc, fc) in [
        (Some("http://viewer.example/bcl"), None),
        (None, Some("http://viewer.example/fcl")),
        (Some("https://viewer.example/bcl#frag"), None),
        (None, Some("ca.on.viewer:/fcl")),
        (Some("/relative"), None),
    ] {
        let r = app
            .provider
            .clients
            .add(authorization_server::NewClient {
                client_id: "bad".into(),
                name: "Bad".into(),
                redirect_uris: vec!["https://viewer.example/cb".into()],
                backchannel_logout_uri: bc.map(str::to_owned),
                frontchannel_logout_uri: fc.map(str::to_owned),
                service_id: Some(oneid_tests::TEST_SERVICE.into()),
                ..Default::default()
            })
            .await;
        assert!(
            matches!(&r, Err(authorization_server::ClientError::Invalid(m)) if m.contains("logout")),
            "{bc:?} {fc:?} must be refused: {r:?}"
        );
    }
    let (c, _) = app
        .provider
        .clients
        .add(authorization_server::NewClient {
            client_id: "good".into(),
            name: "Good".into(),
            redirect_uris: vec!["https://viewer.example/cb".into()],
            backchannel_logout_uri: Some("https://viewer.example/bcl".into()),
            frontchannel_logout_uri: Some("http://127.0.0.1:8081/fcl".into()),
            service_id: Some(oneid_tests::TEST_SERVICE.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        c.backchannel_logout_uri.as_deref(),
        Some("https://viewer.example/bcl")
    );
    assert_eq!(
        c.frontchannel_logout_uri.as_deref(),
        Some("http://127.0.0.1:8081/fcl")
    );
    let plain = app.add_client("plain").await;
    let plain = app
        .provider
        .clients
        .get(&plain.client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(plain.backchannel_logout_uri.is_none() && plain.frontchannel_logout_uri.is_none());
}

#[tokio::test]
async fn a_demo_viewer_ends_its_local_session_when_it_gets_a_logout_token() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    app.add_client_with("connectingontario", |n| {
        n.redirect_uris = vec![format!("{base}/callback")];
        n.post_logout_redirect_uris = vec![format!("{base}/")];
        n.backchannel_logout_uri = Some(format!("{base}/backchannel-logout"));
    })
    .await;
    let other = receiver().await;
    let cc = Rp::discover(
        &app.add_client_with("clinicalconnect", |n| {
            n.backchannel_logout_uri = Some(other.url.clone());
        })
        .await,
    )
    .await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let viewers = tokio::spawn(serve(
        app.base.clone(),
        vec![(
            Viewer {
                client_id: "connectingontario".into(),
                secret: "connectingontario-secret".into(),
                name: "ConnectingOntario ClinicalViewer".into(),
                theme: "co",
                base: base.clone(),
                launch: None,
            },
            listener,
        )],
        async {
            let _ = stopped.await;
        },
    ));

    // Sign in at the viewer, hop by hop.
    let browser = Browser::new();
    let to_op = browser.get(&format!("{base}/login")).await;
    let login = browser.get(to_op.location().unwrap()).await;
    let cb = browser.login(&app.base, &login, LOGIN_ID, PASSWORD).await;
    let back = browser.get(cb.location().unwrap()).await;
    assert_eq!(back.location(), Some("/"), "{}", back.body);
    let home = browser.get(&format!("{base}/")).await;
    assert!(home.body.contains("id=\"signed-in\""), "{}", home.body);

    // Then at another viewer, which logs out.
    let t = cc.sso(&browser, &[]).await;
    let bye = browser
        .get(&format!("{}/logout?id_token_hint={}", app.base, t.id_token))
        .await;
    assert_eq!(bye.status, 200);
    assert_eq!(
        backchannel_audit(&app, 2).await,
        vec![
            ("clinicalconnect".to_owned(), "delivered".to_owned()),
            ("connectingontario".to_owned(), "delivered".to_owned()),
        ],
        "the demo viewer accepted its logout token"
    );
    // Its local session is over: it tries single sign-on again.
    let home = browser.get(&format!("{base}/")).await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), Some("/login?silent=1"));

    // It refuses what is not a logout token for it.
    let http = reqwest::Client::new();
    let post = |token: String| {
        let http = http.clone();
        let url = format!("{base}/backchannel-logout");
        async move {
            http.post(url)
                .form(&[("logout_token", token)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let for_other = other.tokens.lock().unwrap()[0].clone();
    assert_eq!(jwt_payload(&for_other)["aud"], "clinicalconnect");
    assert_eq!(post(for_other.clone()).await, 400, "another audience");
    let mut forged = for_other.clone().into_bytes();
    let i = for_other.rfind('.').unwrap() + 10;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(post(forged).await, 400, "a broken signature");
    assert_eq!(post(t.id_token.clone()).await, 400, "an ID token");
    assert_eq!(post("not-a-jwt".into()).await, 400);
    let empty = http
        .post(format!("{base}/backchannel-logout"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);

    let _ = stop.send(());
    viewers.await.unwrap();
}

#[tokio::test]
async fn discovery_announces_both_logout_channels_with_sessions() {
    let app = spawn_app().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for k in [
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
    ] {
        assert_eq!(d[k], true, "{k}");
    }
}

#[tokio::test]
async fn the_demo_viewers_are_registered_for_back_channel_logout_even_when_seeded_before() {
    let app = spawn_app().await;
    // Seeded by a version without back-channel logout.
    app.add_client_with("otnhub", |n| {
        n.redirect_uris = vec!["http://127.0.0.1:8083/callback".into()];
    })
    .await;
    oneid::demo::seed(&app.provider).await.unwrap();
    for (id, _, port, _, _) in oneid::demo::VIEWERS {
        let c = app.provider.clients.get(id).await.unwrap().unwrap();
        assert_eq!(
            c.backchannel_logout_uri,
            Some(format!("http://127.0.0.1:{port}/backchannel-logout")),
            "{id}"
        );
    }
}
