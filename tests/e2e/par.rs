//! Pushed Authorization Requests (RFC 9126): a relying party posts its request to `/par`, the
//! browser carries only the `request_uri`. Attacked as an outsider would: a handle used twice
//! (also at once on two nodes), by another client, after its minute, a pushed request that the
//! authorization endpoint would refuse, a client that must push sending a plain request.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, spawn_app_with, spawn_pair, LOGIN_ID, PASSWORD};

/// The error page a browser gets for a request_uri that is not (or no longer) good.
fn refused_page(r: &oneid_tests::browser::Resp) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("has expired"), "{}", r.body);
    assert!(
        r.location().is_none(),
        "never redirected: no redirect URI can be trusted"
    );
}

#[tokio::test]
async fn a_pushed_request_signs_in_and_its_request_uri_works_once() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        d["pushed_authorization_request_endpoint"],
        format!("{}/par", app.base)
    );
    assert_eq!(d["require_pushed_authorization_requests"], false);

    let (s, answer) = rp.push(&["profile"], &[]).await;
    assert!(answer["request_uri"]
        .as_str()
        .unwrap()
        .starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(answer["expires_in"], 60);
    // Only client_id and the handle travel through the browser.
    assert!(!s.url.contains("redirect_uri") && !s.url.contains("code_challenge"));
    let b = Browser::new();
    let page = b.get(&s.url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    let url = s.url.clone();
    let t = rp.finish(s, &code).await;
    assert_eq!(t.claims.subject().as_str(), sub);
    // The same handle again, even in the signed-in browser: gone.
    refused_page(&b.get(&url).await);
    // Parameters added in the address beside a handle are not taken: the pushed ones are.
    let (s, _) = rp.push(&["profile"], &[]).await;
    let evil = format!(
        "{}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=forged",
        s.url
    );
    let cb = b.get(&evil).await;
    assert!(
        cb.location().unwrap().starts_with(&rp.cfg.redirect_uri),
        "{:?}",
        cb.location()
    );
    assert_eq!(cb.location_params().get("state"), Some(&s.state));
}

#[tokio::test]
async fn a_request_uri_belongs_to_its_client_and_lives_a_minute() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let co = Rp::discover(&app.add_client("connectingontario").await).await;
    app.add_client("otnhub").await;
    let b = Browser::new();

    // Presented for another client: refused (and spent).
    let (s, answer) = co.push(&["profile"], &[]).await;
    let uri = answer["request_uri"].as_str().unwrap();
    let mut foreign = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
    foreign
        .query_pairs_mut()
        .append_pair("client_id", "otnhub")
        .append_pair("request_uri", uri);
    refused_page(&b.get(foreign.as_str()).await);
    refused_page(&b.get(&s.url).await);

    // Past its minute.
    let (s, _) = co.push(&["profile"], &[]).await;
    app.clock.advance(61);
    refused_page(&b.get(&s.url).await);

    // Made up, or another provider's form.
    for uri in [
        "urn:ietf:params:oauth:request_uri:made-up",
        "urn:ietf:params:oauth:request_uri:",
    ] {
        let mut u = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
        u.query_pairs_mut()
            .append_pair("client_id", "connectingontario")
            .append_pair("request_uri", uri);
        refused_page(&b.get(u.as_str()).await);
    }
}

#[tokio::test]
async fn a_pushed_request_is_checked_as_the_authorization_endpoint_checks_one() {
    let app = spawn_app().await;
    let cfg = app.add_client("connectingontario").await;
    let http = reqwest::Client::new();
    let push = |form: Vec<(&'static str, String)>, secret: Option<&'static str>| {
        let http = http.clone();
        let url = format!("{}/par", app.base);
        async move {
            let r = http
                .post(url)
                .basic_auth(
                    "connectingontario",
                    Some(secret.unwrap_or("connectingontario-secret")),
                )
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let good = |extra: &[(&'static str, &str)]| {
        let mut f: Vec<(&'static str, String)> = vec![
            ("response_type", "code".into()),
            ("scope", "openid profile".into()),
            ("redirect_uri", cfg.redirect_uri.clone()),
            ("state", "s1".into()),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            ),
            ("code_challenge_method", "S256".into()),
        ];
        for (k, v) in extra {
            f.retain(|(n, _)| n != k);
            if !v.is_empty() {
                f.push((k, (*v).to_owned()));
            }
        }
        f
    };
    assert_eq!(push(good(&[]), None).await.0, 201);
    for (extra, error) in [
        (
            vec![("redirect_uri", "https://evil.example/cb")],
            "invalid_request",
        ),
        (vec![("redirect_uri", "")], "invalid_request"),
        (vec![("scope", "profile")], "invalid_scope"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (
            vec![("request_uri", "urn:ietf:params:oauth:request_uri:x")],
            "invalid_request",
        ),
    ] {
        let (status, body) = push(good(&extra), None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{extra:?}: {body}"
        );
    }
    // Another client named in the body than the one authenticated, a wrong secret, or none:
    // the client is not authenticated, nothing is kept.
    let (status, body) = push(good(&[("client_id", "otnhub")]), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = push(good(&[]), Some("wrong")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let r = http
        .post(format!("{}/par", app.base))
        .form(&good(&[("client_id", "connectingontario")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(!app.audit("par.refused").await.is_empty());
}

#[tokio::test]
async fn a_client_that_must_push_refuses_a_plain_request_and_so_can_every_client() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app
        .add_client_with("connectingontario", |n| n.require_par = true)
        .await;
    let rp = Rp::discover(&cfg).await;
    let plain = rp.start(&["profile"], &[]);
    let r = Browser::new().get(&plain.url).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
    assert_eq!(q.get("state"), Some(&plain.state));
    let (s, _) = rp.push(&["profile"], &[]).await;
    let b = Browser::new();
    let page = b.get(&s.url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    rp.code_from(&s, &cb);

    // The provider's switch: every client, and discovery says so.
    let strict = spawn_app_with(|c| c.clients.require_par = true).await;
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", strict.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(d["require_pushed_authorization_requests"], true);
    let rp = Rp::discover(&strict.add_client("otnhub").await).await;
    let r = Browser::new().get(&rp.start(&["profile"], &[]).url).await;
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn one_request_uri_sent_to_two_nodes_at_once_opens_one_login_page() {
    let (a, b) = spawn_pair().await;
    a.add_clinician().await;
    let rp = Rp::discover(&a.add_client("connectingontario").await).await;
    for _ in 0..5 {
        let (s, _) = rp.push(&["profile"], &[]).await;
        let on_b = s.url.replacen(&a.base, &b.base, 1);
        let (bx, by) = (Browser::new(), Browser::new());
        let (x, y) = tokio::join!(bx.get(&s.url), by.get(&on_b));
        let opened = [&x, &y].iter().filter(|r| r.is_login_page()).count();
        assert_eq!(opened, 1, "{} / {}", x.status, y.status);
        for r in [&x, &y] {
            if !r.is_login_page() {
                refused_page(r);
            }
        }
    }
}

#[tokio::test]
async fn the_admin_api_registers_a_client_that_must_push() {
    let app = spawn_app().await;
    let admin = app.client_token("oneid:admin").await;
    let r = oneid_tests::api::call(
        &format!("{}/admin/api", app.base),
        &admin,
        "POST",
        "/services",
        Some(serde_json::json!({"id": "hub", "name": "OTN Hub"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = oneid_tests::api::call(
        &format!("{}/admin/api", app.base),
        &admin,
        "POST",
        "/clients",
        Some(serde_json::json!({
            "client_id": "hub-viewer", "name": "Hub viewer", "service_id": "hub",
            "redirect_uris": ["https://hub.example/cb"], "require_par": true
        })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["require_par"], true, "{}", r.json);
    let c = app
        .provider
        .clients
        .get("hub-viewer")
        .await
        .unwrap()
        .unwrap();
    assert!(c.require_par);
}
