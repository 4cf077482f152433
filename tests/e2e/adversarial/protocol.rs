//! Malformed and hostile input: the right RFC error, never a 500, nothing stored.

use oneid_tests::api::{http, Answer};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::{Rp, Started};
use oneid_tests::{spawn_app, RpConfig, TestApp, LOGIN_ID, PASSWORD};

/// A table row: what, parameters dropped, parameters added or replaced, expected error.
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// A valid S256 challenge (RFC 7636 appendix B).
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn read(r: reqwest::Response) -> Answer {
    Answer::read(r).await
}

async fn token(req: reqwest::RequestBuilder) -> Answer {
    read(req.send().await.unwrap()).await
}

fn token_req(app: &TestApp) -> reqwest::RequestBuilder {
    http().post(format!("{}/token", app.base))
}

fn basic(app: &TestApp, cfg: &RpConfig) -> reqwest::RequestBuilder {
    token_req(app).basic_auth(&cfg.client_id, cfg.secret.as_deref())
}

/// `/authorize?...` with these parameters, in this order.
fn authorize_url(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}/authorize?{q}", app.base)
}

/// A valid authorization request for `cfg`, minus the parameters named in `drop`, plus
/// `add` (which replaces parameters of the same name).
fn request(
    cfg: &RpConfig,
    drop: &[&str],
    add: &[(&'static str, &'static str)],
) -> Vec<(String, String)> {
    let base = [
        ("client_id", cfg.client_id.as_str()),
        ("redirect_uri", cfg.redirect_uri.as_str()),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let mut out: Vec<(String, String)> = base
        .iter()
        .filter(|(k, _)| !drop.contains(k) && !add.iter().any(|(a, _)| a == k))
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.extend(add.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    out
}

fn url_of(app: &TestApp, pairs: &[(String, String)]) -> String {
    let p: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    authorize_url(app, &p)
}

/// Asserts a 400 HTML error page that redirects nowhere.
fn assert_error_page(r: &Resp, what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.body);
    assert!(
        r.location().is_none(),
        "{what}: must not redirect, got {:?}",
        r.location()
    );
    assert!(
        r.headers
            .get("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{what}: {:?}",
        r.headers
    );
    assert!(
        r.body.contains("id=\"error-message\""),
        "{what}: {}",
        r.body
    );
    assert!(!r.is_login_page(), "{what}");
}

/// Asserts an error redirect to the client (RFC 6749 §4.1.2.1 + RFC 9207).
fn assert_error_redirect(
    app: &TestApp,
    cfg: &RpConfig,
    r: &Resp,
    error: &str,
    state: Option<&str>,
    what: &str,
) {
    assert_eq!(r.status, 303, "{what}: {} {}", r.status, r.body);
    let loc = r.location().unwrap();
    assert!(
        loc.starts_with(&cfg.redirect_uri),
        "{what}: redirected to {loc}"
    );
    let q = r.location_params();
    assert_eq!(
        q.get("error").map(String::as_str),
        Some(error),
        "{what}: {loc}"
    );
    assert_eq!(
        q.get("state").map(String::as_str),
        state,
        "{what}: state echoed"
    );
    assert_eq!(q.get("iss"), Some(&app.base), "{what}: iss");
    assert!(!q.contains_key("code"), "{what}: no code");
}

/// The message of a login page's error summary.
fn login_error(r: &Resp) -> String {
    let start = r
        .body
        .find("<p id=\"login-error\">")
        .unwrap_or_else(|| panic!("no login error on the page: {}", r.body))
        + "<p id=\"login-error\">".len();
    let end = r.body[start..].find("</p>").unwrap() + start;
    r.body[start..end].to_owned()
}

/// Gets a code for `rp` (logging in if the browser has no session yet).
async fn code_for(app: &TestApp, rp: &Rp, browser: &Browser) -> (Started, String) {
    let s = rp.start(&["profile"], &[]);
    let page = browser.get(&s.url).await;
    let cb = if page.is_login_page() {
        browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await
    } else {
        page
    };
    let code = rp.code_from(&s, &cb);
    (s, code)
}

#[tokio::test]
async fn authorize_with_an_unknown_or_missing_client_shows_an_error_page_and_never_redirects() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let b = Browser::new();
    let mut unknown = request(&cfg, &["client_id"], &[("client_id", "nobody")]);
    let r = b.get(&url_of(&app, &unknown)).await;
    assert_error_page(&r, "unknown client");
    assert!(
        r.body.contains("not registered with ONE ID"),
        "says the application is unknown: {}",
        r.body
    );
    unknown.retain(|(k, _)| k != "client_id");
    assert_error_page(&b.get(&url_of(&app, &unknown)).await, "no client_id");
}

#[tokio::test]
async fn authorize_with_an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let b = Browser::new();
    let registered = cfg.redirect_uri.clone();
    let variants = [
        format!("{registered}?extra=1"),
        format!("{registered}/"),
        registered.replace("/cb", "/CB"),
        registered.replace("127.0.0.1:9", "127.0.0.1:10"),
        "https://attacker.example/cb".to_owned(),
        format!("{registered}#frag"),
        "http://127.0.0.1:9/other/cb".to_owned(),
    ];
    for uri in &variants {
        let mut req = request(&cfg, &["redirect_uri"], &[]);
        req.push(("redirect_uri".into(), uri.clone()));
        let r = b.get(&url_of(&app, &req)).await;
        assert_error_page(&r, uri);
        assert!(
            r.body.contains("not registered for it"),
            "{uri}: says the address is not registered: {}",
            r.body
        );
    }
    let r = b
        .get(&url_of(&app, &request(&cfg, &["redirect_uri"], &[])))
        .await;
    assert_error_page(&r, "no redirect_uri");
}

#[tokio::test]
async fn authorization_request_errors_redirect_to_the_client_with_error_state_and_iss() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let b = Browser::new();
    let cases: &[Case] = &[
        (
            "missing response_type",
            &["response_type"],
            &[],
            "invalid_request",
        ),
        (
            "response_type=token",
            &[],
            &[("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            "response_type=id_token",
            &[],
            &[("response_type", "id_token")],
            "unsupported_response_type",
        ),
        (
            "scope without openid",
            &[],
            &[("scope", "profile email")],
            "invalid_scope",
        ),
        ("no scope", &["scope"], &[], "invalid_scope"),
        (
            "code_challenge_method=plain",
            &[],
            &[("code_challenge_method", "plain")],
            "invalid_request",
        ),
        (
            "code_challenge without method",
            &["code_challenge_method"],
            &[],
            "invalid_request",
        ),
        (
            "code_challenge_method without challenge",
            &["code_challenge"],
            &[],
            "invalid_request",
        ),
        (
            "malformed code_challenge",
            &[],
            &[("code_challenge", "short")],
            "invalid_request",
        ),
        (
            "request_uri",
            &[],
            &[("request_uri", "https://viewer.example/req/1")],
            "request_uri_not_supported",
        ),
        (
            "response_mode=fragment",
            &[],
            &[("response_mode", "fragment")],
            "invalid_request",
        ),
        (
            "unknown prompt",
            &[],
            &[("prompt", "bogus")],
            "invalid_request",
        ),
        (
            "prompt=none login",
            &[],
            &[("prompt", "none login")],
            "invalid_request",
        ),
        (
            "negative max_age",
            &[],
            &[("max_age", "-1")],
            "invalid_request",
        ),
        (
            "max_age not a number",
            &[],
            &[("max_age", "soon")],
            "invalid_request",
        ),
        (
            "bad id_token_hint",
            &[],
            &[("id_token_hint", "not.a.jwt")],
            "invalid_request",
        ),
        (
            "claims not JSON",
            &[],
            &[("claims", "{nope")],
            "invalid_request",
        ),
    ];
    for (what, drop, add, error) in cases {
        let r = b.get(&url_of(&app, &request(&cfg, drop, add))).await;
        assert_error_redirect(&app, &cfg, &r, error, Some("st-123"), what);
    }
    let long_nonce = "n".repeat(600);
    let mut req = request(&cfg, &["nonce"], &[]);
    req.push(("nonce".into(), long_nonce));
    let r = b.get(&url_of(&app, &req)).await;
    assert_error_redirect(
        &app,
        &cfg,
        &r,
        "invalid_request",
        Some("st-123"),
        "nonce too long",
    );
    // Without state, none is invented.
    let r = b
        .get(&url_of(
            &app,
            &request(&cfg, &["state", "response_type"], &[]),
        ))
        .await;
    assert_error_redirect(&app, &cfg, &r, "invalid_request", None, "no state");
    // The same checks apply to POST /authorize.
    let form = request(&cfg, &[], &[("response_type", "token")]);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = b.post_form(&format!("{}/authorize", app.base), &form).await;
    assert_error_redirect(
        &app,
        &cfg,
        &r,
        "unsupported_response_type",
        Some("st-123"),
        "POST",
    );
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[tokio::test]
async fn a_public_client_must_use_pkce() {
    let app = spawn_app().await;
    let cfg = app
        .add_client_with("spa", |n| {
            n.public = true;
            n.secret = None;
        })
        .await;
    let b = Browser::new();
    let r = b
        .get(&url_of(
            &app,
            &request(&cfg, &["code_challenge", "code_challenge_method"], &[]),
        ))
        .await;
    assert_error_redirect(
        &app,
        &cfg,
        &r,
        "invalid_request",
        Some("st-123"),
        "public client without PKCE",
    );
    // With PKCE it gets the login page.
    assert!(b
        .get(&url_of(&app, &request(&cfg, &[], &[])))
        .await
        .is_login_page());
}

#[tokio::test]
async fn prompt_none_without_a_session_redirects_with_login_required() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let r = Browser::new()
        .get(&url_of(&app, &request(&cfg, &[], &[("prompt", "none")])))
        .await;
    assert_error_redirect(
        &app,
        &cfg,
        &r,
        "login_required",
        Some("st-123"),
        "prompt=none",
    );
}

#[tokio::test]
async fn a_repeated_authorization_parameter_is_refused_without_redirecting() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let b = Browser::new();
    for name in [
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    ] {
        let mut req = request(&cfg, &[], &[]);
        let dup = req.iter().find(|(k, _)| k == name).unwrap().clone();
        req.push(dup);
        let r = b.get(&url_of(&app, &req)).await;
        assert_error_page(&r, &format!("{name} twice"));
    }
    // Two different client ids.
    let mut req = request(&cfg, &[], &[]);
    req.push(("client_id".into(), "other".into()));
    assert_error_page(&b.get(&url_of(&app, &req)).await, "two client ids");
}

#[tokio::test]
async fn unknown_authorization_parameters_are_ignored() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let r = Browser::new()
        .get(&url_of(&app, &request(&cfg, &[], &[("extra", "foobar")])))
        .await;
    assert!(r.is_login_page(), "{} {}", r.status, r.body);
}

#[tokio::test]
async fn token_endpoint_answers_bad_client_authentication_with_invalid_client() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];

    let a = token(
        token_req(&app)
            .basic_auth("viewer", Some("wrong-secret"))
            .form(&form),
    )
    .await;
    a.assert_error(401, "invalid_client", "wrong secret, Basic");
    assert!(
        a.header("www-authenticate").starts_with("Basic"),
        "Basic challenge: {:?}",
        a.headers
    );
    let a = token(
        token_req(&app)
            .basic_auth("nobody", Some("nobody-secret"))
            .form(&form),
    )
    .await;
    a.assert_error(401, "invalid_client", "unknown client, Basic");
    assert!(a.header("www-authenticate").starts_with("Basic"));

    let mut post = form.to_vec();
    post.extend([("client_id", "viewer"), ("client_secret", "wrong-secret")]);
    token(token_req(&app).form(&post)).await.assert_error(
        401,
        "invalid_client",
        "wrong secret, post",
    );
    let mut post = form.to_vec();
    post.extend([("client_id", "nobody"), ("client_secret", "nobody-secret")]);
    token(token_req(&app).form(&post)).await.assert_error(
        401,
        "invalid_client",
        "unknown client, post",
    );
    let mut post = form.to_vec();
    post.push(("client_id", "viewer"));
    token(token_req(&app).form(&post)).await.assert_error(
        401,
        "invalid_client",
        "confidential client without a secret",
    );
    token(token_req(&app).form(&form)).await.assert_error(
        401,
        "invalid_client",
        "no client at all",
    );
    let a = token(
        token_req(&app)
            .header("authorization", "Basic %%%not-base64")
            .form(&form),
    )
    .await;
    a.assert_error(401, "invalid_client", "malformed Basic header");

    // Both methods at once.
    let mut both = form.to_vec();
    both.push(("client_secret", "viewer-secret"));
    token(basic(&app, &cfg).form(&both)).await.assert_error(
        400,
        "invalid_request",
        "Basic and client_secret",
    );
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[tokio::test]
async fn token_endpoint_refuses_missing_unsupported_and_unauthorized_grant_types() {
    let app = spawn_app().await;
    let cfg = app.add_client("viewer").await;
    token(basic(&app, &cfg).form(&[("code", "x")]))
        .await
        .assert_error(400, "invalid_request", "missing grant_type");
    for g in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        token(basic(&app, &cfg).form(&[
            ("grant_type", g),
            ("username", LOGIN_ID),
            ("password", PASSWORD),
        ]))
        .await
        .assert_error(400, "unsupported_grant_type", g);
    }
    // The device grant exists, for clients registered for it.
    token(basic(&app, &cfg).form(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", "x"),
    ]))
    .await
    .assert_error(400, "unauthorized_client", "device_code not registered");
    token(basic(&app, &cfg).form(&[("grant_type", "client_credentials")]))
        .await
        .assert_error(
            400,
            "unauthorized_client",
            "client_credentials not registered",
        );
    let cc_only = app
        .add_client_with("lab-feed", |n| {
            n.grant_types = vec!["client_credentials".into()]
        })
        .await;
    token(basic(&app, &cc_only).form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]))
        .await
        .assert_error(400, "unauthorized_client", "refresh_token not registered");
    token(basic(&app, &cfg).form(&[
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("grant_type", "client_credentials"),
    ]))
    .await
    .assert_error(400, "invalid_request", "grant_type twice");
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[tokio::test]
async fn token_endpoint_refuses_json_and_oversized_bodies() {
    let app = spawn_app().await;
    let cfg = app.add_client("lab-feed").await;
    let a = token(
        basic(&app, &cfg)
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"client_credentials"}"#),
    )
    .await;
    a.assert_error(400, "invalid_request", "JSON body");
    let a = token(basic(&app, &cfg).body("grant_type=client_credentials")).await;
    a.assert_error(400, "invalid_request", "no content type");

    let pad = "a".repeat(70 * 1024);
    let big = token(
        basic(&app, &cfg).form(&[("grant_type", "client_credentials"), ("pad", pad.as_str())]),
    )
    .await;
    assert!(
        big.status == 400 || big.status == 413,
        "oversized body: {} {}",
        big.status,
        big.json
    );
    assert_eq!(big.json["error"], "invalid_request", "{}", big.json);
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[tokio::test]
async fn codes_that_do_not_match_their_request_are_invalid_grant() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let a = app
        .add_client_with("viewer-a", |n| {
            n.redirect_uris = vec![
                "http://127.0.0.1:9/viewer-a/cb".into(),
                "http://127.0.0.1:9/viewer-a/cb2".into(),
            ];
        })
        .await;
    let b_cfg = app.add_client("viewer-b").await;
    let rp = Rp::discover(&a).await;
    let browser = Browser::new();
    let redeem = |code: String, redirect: String, verifier: Option<String>| {
        let mut form = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code),
            ("redirect_uri".to_owned(), redirect),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier".to_owned(), v));
        }
        form
    };

    // PKCE verifier of the right form but wrong value.
    let (_, code) = code_for(&app, &rp, &browser).await;
    token(basic(&app, &a).form(&redeem(code, a.redirect_uri.clone(), Some("x".repeat(43)))))
        .await
        .assert_error(400, "invalid_grant", "PKCE mismatch");
    // A verifier that is too short to be one.
    let (_, code) = code_for(&app, &rp, &browser).await;
    token(basic(&app, &a).form(&redeem(code, a.redirect_uri.clone(), Some("short".into()))))
        .await
        .assert_error(400, "invalid_grant", "malformed verifier");
    // No verifier though a challenge was sent.
    let (_, code) = code_for(&app, &rp, &browser).await;
    token(basic(&app, &a).form(&redeem(code, a.redirect_uri.clone(), None)))
        .await
        .assert_error(400, "invalid_grant", "missing verifier");
    // Another registered redirect URI than the one of the request.
    let (s, code) = code_for(&app, &rp, &browser).await;
    let v = s.verifier.secret().clone();
    token(basic(&app, &a).form(&redeem(
        code,
        "http://127.0.0.1:9/viewer-a/cb2".into(),
        Some(v),
    )))
    .await
    .assert_error(400, "invalid_grant", "other redirect_uri");
    // Client A's code presented by client B.
    let (s, code) = code_for(&app, &rp, &browser).await;
    let v = s.verifier.secret().clone();
    token(basic(&app, &b_cfg).form(&redeem(code, a.redirect_uri.clone(), Some(v))))
        .await
        .assert_error(400, "invalid_grant", "code of another client");
    // Codes that were never issued.
    for garbage in ["garbage".to_owned(), "x".repeat(300), "%00".to_owned()] {
        token(basic(&app, &a).form(&redeem(
            garbage.clone(),
            a.redirect_uri.clone(),
            Some("x".repeat(43)),
        )))
        .await
        .assert_error(400, "invalid_grant", &format!("garbage code {garbage:.10}"));
    }
    assert_eq!(
        app.count("refresh_tokens").await,
        0,
        "no failure stored anything"
    );

    // A good redemption still works after all that.
    let (s, code) = code_for(&app, &rp, &browser).await;
    let v = s.verifier.secret().clone();
    let ok = token(basic(&app, &a).form(&redeem(code, a.redirect_uri.clone(), Some(v)))).await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    assert_eq!(app.count("refresh_tokens").await, 1);
}

#[tokio::test]
async fn a_login_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let b = Browser::new();
    let page = b.get(&url_of(&app, &request(&cfg, &[], &[]))).await;
    assert!(page.is_login_page());
    let request_id = page.hidden("request").unwrap();
    let login = format!("{}/login", app.base);
    for (what, csrf) in [("missing", None), ("wrong", Some("x".repeat(43)))] {
        let mut form = vec![
            ("request", request_id.as_str()),
            ("login_id", LOGIN_ID),
            ("password", PASSWORD),
        ];
        if let Some(c) = &csrf {
            form.push(("csrf", c.as_str()));
        }
        let r = b.post_form(&login, &form).await;
        assert_error_page(&r, &format!("{what} csrf"));
        assert!(r.body.contains("could not be verified"), "{}", r.body);
        assert!(
            !r.headers
                .get("set-cookie")
                .is_some_and(|c| c.contains("oneid_session=")),
            "{what} csrf: no session"
        );
    }
    assert!(app.audit("login.success").await.is_empty());
    // The real form still works afterwards.
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn wrong_password_and_unknown_login_id_are_indistinguishable() {
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let wrong_password = "Wrong-Horse-Battery-97";
    let unknown_id = "nobody.here@oneid.on.ca";

    let b1 = Browser::new();
    let p1 = b1.get(&url_of(&app, &request(&cfg, &[], &[]))).await;
    let bad_pw = b1.login(&app.base, &p1, LOGIN_ID, wrong_password).await;
    let b2 = Browser::new();
    let p2 = b2.get(&url_of(&app, &request(&cfg, &[], &[]))).await;
    let bad_id = b2.login(&app.base, &p2, unknown_id, PASSWORD).await;

    assert_eq!(bad_pw.status, bad_id.status);
    assert_eq!(bad_pw.status, 401);
    assert!(bad_pw.body.contains("name=\"password\""), "the form again");
    assert!(bad_pw.location().is_none() && bad_id.location().is_none());
    assert_eq!(login_error(&bad_pw), login_error(&bad_id));
    assert_eq!(
        login_error(&bad_pw),
        "The login ID or password is incorrect."
    );
    for r in [&bad_pw, &bad_id] {
        assert!(!r.body.contains(wrong_password) && !r.body.contains(PASSWORD));
    }

    let rows = app.audit("login.failure").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    // The audit trail tells them apart: the account for a wrong password, the typed login ID
    // for an unknown one.
    let seen: Vec<_> = rows
        .iter()
        .map(|r| (r.subject.as_deref(), r.detail.as_deref()))
        .collect();
    assert!(
        seen.contains(&(Some(account.as_str()), Some("wrong_password"))),
        "{rows:?}"
    );
    assert!(
        seen.contains(&(Some(unknown_id), Some("unknown_login_id"))),
        "{rows:?}"
    );
    let all = app.provider.audit.recent(None, 1000).await.unwrap();
    for r in rows.iter().chain(&all) {
        let text = format!("{r:?}");
        assert!(
            !text.contains(wrong_password),
            "password in the audit: {text}"
        );
        assert!(!text.contains(PASSWORD), "password in the audit: {text}");
    }
    assert!(app.audit("login.success").await.is_empty());
}

#[tokio::test]
async fn login_ids_are_case_insensitive() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    for typed in [
        LOGIN_ID.to_lowercase(),
        LOGIN_ID.to_uppercase(),
        format!("  {LOGIN_ID} "),
    ] {
        let t = rp.login(&Browser::new(), &typed, PASSWORD).await;
        assert_eq!(t.claims.subject().as_str(), sub, "{typed:?}");
    }
    // The password is not.
    let b = Browser::new();
    let page = b.get(&url_of(&app, &request(&cfg, &[], &[]))).await;
    let r = b
        .login(&app.base, &page, LOGIN_ID, &PASSWORD.to_lowercase())
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn userinfo_with_the_token_in_both_header_and_body_is_invalid_request() {
    // RFC 6750 §2 and §3.1: more than one method of sending the token is invalid_request.
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let at = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await
        .access_token();
    let a = read(
        http()
            .post(format!("{}/userinfo", app.base))
            .bearer_auth(&at)
            .form(&[("access_token", at.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(400, "invalid_request", "token in header and body");
}

#[tokio::test]
async fn a_locked_account_gets_the_same_answer_as_a_wrong_password() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    sqlx::query("UPDATE accounts SET status = 'locked'")
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    let browser = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = browser.get(&s.url).await;
    let right = browser.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let s = rp.start(&["profile"], &[]);
    let page = browser.get(&s.url).await;
    let wrong = browser
        .login(&app.base, &page, LOGIN_ID, "Wrong-Password-1")
        .await;
    assert_eq!(right.status, wrong.status);
    let msg = |r: &oneid_tests::browser::Resp| {
        let start = r.body.find("id=\"login-error\">").unwrap();
        r.body[start..start + 80].to_owned()
    };
    assert_eq!(
        msg(&right),
        msg(&wrong),
        "a locked account must not confirm the password"
    );
    let audit = app.audit("login.failure").await;
    assert!(
        audit
            .iter()
            .any(|a| a.detail.as_deref() == Some("account_locked")),
        "the audit tells the service desk"
    );
}

/// Access tokens an attacker forges from a real one: unsigned (`alg: none`), signed with
/// HS256 keyed by the server's own public key (the algorithm-confusion attack), or signed with
/// the attacker's key carried in the header (`jwk`). None is accepted at userinfo, and
/// introspection by the token's own client says inactive.
#[tokio::test]
async fn unsigned_algorithm_confused_and_self_keyed_access_tokens_are_refused() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::PKey;

    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let t = Rp::discover(&cfg)
        .await
        .login(&Browser::new(), LOGIN_ID, PASSWORD)
        .await;
    let at = t.access_token();
    let mut parts = at.split('.');
    let (h, p) = (parts.next().unwrap(), parts.next().unwrap());
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(h).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap().to_owned();
    assert_eq!(header["alg"], "ES256");

    // The server's public key, as an attacker reads it from the key set.
    let jwks: serde_json::Value = http()
        .get(format!("{}/jwks", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();
    let coord = |c: &str| BigNum::from_slice(&B64.decode(jwk[c].as_str().unwrap()).unwrap());
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let public = EcKey::from_public_key_affine_coordinates(
        &group,
        &coord("x").unwrap(),
        &coord("y").unwrap(),
    )
    .unwrap();
    let public_pem = public.public_key_to_pem().unwrap();

    let enc = |v: &serde_json::Value| B64.encode(serde_json::to_vec(v).unwrap());
    let hs256 = |key: &[u8], head: &str| {
        let k = PKey::hmac(key).unwrap();
        let mut s = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &k).unwrap();
        s.update(format!("{head}.{p}").as_bytes()).unwrap();
        B64.encode(s.sign_to_vec().unwrap())
    };
    let none_head = enc(&serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid}));
    let hs_head = enc(&serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}));
    // The attacker's own key, carried in the header.
    let mine =
        josekit::jwk::alg::ec::EcKeyPair::generate(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let mut jh = josekit::jws::JwsHeader::new();
    jh.set_token_type("at+jwt");
    jh.set_key_id(&kid);
    jh.set_jwk(mine.to_jwk_public_key());
    let payload = B64.decode(p).unwrap();
    let signer = josekit::jws::ES256
        .signer_from_jwk(&mine.to_jwk_private_key())
        .unwrap();
    let self_keyed = josekit::jws::serialize_compact(&payload, &jh, &signer).unwrap();

    for (what, token) in [
        ("alg none", format!("{none_head}.{p}.")),
        (
            "alg none, the old signature kept",
            format!("{none_head}.{p}.{}", at.rsplit('.').next().unwrap()),
        ),
        (
            "HS256 keyed by the public key PEM",
            format!("{hs_head}.{p}.{}", hs256(&public_pem, &hs_head)),
        ),
        (
            "HS256 keyed by the JWK",
            format!(
                "{hs_head}.{p}.{}",
                hs256(jwk.to_string().as_bytes(), &hs_head)
            ),
        ),
        ("signed with a key of its own header", self_keyed),
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
        let i = read(
            http()
                .post(format!("{}/introspect", app.base))
                .basic_auth(&cfg.client_id, cfg.secret.as_deref())
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(i.json, serde_json::json!({"active": false}), "{what}");
    }
    // The real token still works: the refusals are about the forgeries.
    let ok = http()
        .get(format!("{}/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
