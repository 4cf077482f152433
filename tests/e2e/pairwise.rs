//! Pairwise subject identifiers (OIDC Core §8.1): one person, signed in to viewers of two
//! sectors, is known by a different `sub` in each and by the same `sub` to both viewers of one
//! sector, everywhere a subject appears (ID token, access token, userinfo, introspection,
//! refresh); hints and logout still find the person; and a `sector_identifier_uri` must list
//! every redirect URI of the client it is registered for.

use authorization_server::clients::NewClient;
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_payload, Rp};
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

async fn pairwise(app: &TestApp, id: &str, host: &str) -> Rp {
    let cfg = app
        .add_client_with(id, |n| {
            n.pairwise = true;
            n.redirect_uris = vec![format!("http://{host}:9/{id}/cb")];
            n.post_logout_redirect_uris = vec![format!("http://{host}:9/{id}/bye")];
        })
        .await;
    Rp::discover(&cfg).await
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// A sector identifier document served on loopback; its body can be changed.
async fn sector_server() -> (String, Arc<Mutex<String>>) {
    let served = Arc::new(Mutex::new(String::from("[]")));
    let body = served.clone();
    let router = axum::Router::new().route(
        "/sector.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                let b = body.lock().unwrap().clone();
                ([("content-type", "application/json")], b)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/sector.json"), served)
}

#[tokio::test]
async fn pairwise_subjects_are_stable_per_sector_and_differ_across_sectors() {
    let app = spawn_app().await;
    let account = app.add_clinician().await;
    // Two viewers of one operator on one host (one sector), one of another operator, and a
    // public viewer.
    let a1 = pairwise(&app, "operator-a-1", "127.0.0.1").await;
    let a2 = pairwise(&app, "operator-a-2", "127.0.0.1").await;
    let b = pairwise(&app, "operator-b", "localhost").await;
    let public = Rp::discover(&app.add_client("public-viewer").await).await;

    let browser = Browser::new();
    let t_a1 = a1.login(&browser, LOGIN_ID, PASSWORD).await;
    let t_a2 = a2.sso(&browser, &[]).await;
    let t_b = b.sso(&browser, &[]).await;
    let t_pub = public.sso(&browser, &[]).await;

    let sub = |t: &oneid_tests::rp::Tokens| t.claims.subject().as_str().to_owned();
    assert_eq!(sub(&t_pub), account, "a public client sees the account id");
    assert_eq!(sub(&t_a1), sub(&t_a2), "one sector, one subject");
    assert_ne!(sub(&t_a1), sub(&t_b), "two sectors, two subjects");
    for t in [&t_a1, &t_b] {
        assert_ne!(sub(t), account, "a pairwise subject is not the account id");
        assert!(!sub(t).contains(&account));
        // Nothing in what the relying party receives names the account.
        assert!(!t.id_token.contains(&account));
        let at = jwt_payload(&t.access_token());
        assert_eq!(at["sub"].as_str(), Some(sub(t).as_str()), "access token");
        assert!(!at.to_string().contains(&account));
    }

    // Userinfo answers with the same pairwise subject, and the person's claims.
    for (rp, t) in [(&a1, &t_a1), (&b, &t_b)] {
        let u = rp.userinfo(t).await;
        assert_eq!(u.subject().as_str(), sub(t));
        assert!(u.preferred_username().is_some());
    }

    // Introspection by the client tells the same subject.
    let i = post(
        &app,
        "/introspect",
        &[
            ("token", &t_b.access_token()),
            ("client_id", "operator-b"),
            ("client_secret", "operator-b-secret"),
        ],
    )
    .await;
    assert_eq!(i["active"], json!(true));
    assert_eq!(i["sub"].as_str(), Some(sub(&t_b).as_str()));
    // So does the introspection of its refresh token.
    let i = post(
        &app,
        "/introspect",
        &[
            ("token", &t_b.refresh_token().unwrap()),
            ("client_id", "operator-b"),
            ("client_secret", "operator-b-secret"),
        ],
    )
    .await;
    assert_eq!(i["active"], json!(true), "{i}");
    assert_eq!(i["sub"].as_str(), Some(sub(&t_b).as_str()), "{i}");

    // A refresh keeps the subject.
    let r = post(
        &app,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t_a1.refresh_token().unwrap()),
            ("client_id", "operator-a-1"),
            ("client_secret", "operator-a-1-secret"),
        ],
    )
    .await;
    let idt = jwt_payload(r["id_token"].as_str().unwrap());
    assert_eq!(idt["sub"].as_str(), Some(sub(&t_a1).as_str()));

    // Another day, another session: the same subject again, and one record per sector.
    let later = Browser::new();
    let again = a1.login(&later, LOGIN_ID, PASSWORD).await;
    assert_eq!(sub(&again), sub(&t_a1));
    assert_eq!(app.count("pairwise_subjects").await, 2);

    // Another person in the same sector gets another subject.
    app.add_user("Other.Person@ONEID.ON.CA", "Other-Person-77")
        .await;
    let other = a2
        .login(
            &Browser::new(),
            "Other.Person@ONEID.ON.CA",
            "Other-Person-77",
        )
        .await;
    assert_ne!(sub(&other), sub(&t_a2));

    // Discovery offers both subject types.
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["subject_types_supported"], json!(["public", "pairwise"]));
}

#[tokio::test]
async fn a_pairwise_id_token_hint_names_its_person_and_ends_their_session() {
    let app = spawn_app().await;
    app.add_clinician().await;
    app.add_user("Other.Person@ONEID.ON.CA", "Other-Person-77")
        .await;
    let rp = pairwise(&app, "paired", "127.0.0.1").await;
    let browser = Browser::new();
    let first = rp.login(&browser, LOGIN_ID, PASSWORD).await;

    // prompt=none with the person's own pairwise hint: signed in silently, same subject.
    let again = rp
        .sso(
            &browser,
            &[("prompt", "none"), ("id_token_hint", &first.id_token)],
        )
        .await;
    assert_eq!(again.claims.subject(), first.claims.subject());

    // Someone else's pairwise hint: login_required, not a code for the wrong person.
    let other = rp
        .login(
            &Browser::new(),
            "Other.Person@ONEID.ON.CA",
            "Other-Person-77",
        )
        .await;
    let s = rp.start(
        &["profile"],
        &[("prompt", "none"), ("id_token_hint", &other.id_token)],
    );
    let r = browser.get(&s.url).await;
    assert_eq!(
        r.location_params().get("error").map(String::as_str),
        Some("login_required")
    );

    // Logout with the person's pairwise hint ends the session without asking.
    let bye = "http://127.0.0.1:9/paired/bye";
    let url = format!(
        "{}/logout?id_token_hint={}&post_logout_redirect_uri={}",
        app.base,
        first.id_token,
        url::form_urlencoded::byte_serialize(bye.as_bytes()).collect::<String>()
    );
    let r = browser.get(&url).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some(bye));
    assert_eq!(app.audit("logout").await.len(), 1);
}

fn with(
    id: &str,
    redirects: &[&str],
    sector_uri: Option<&str>,
) -> impl FnOnce(&mut NewClient) + 'static {
    let id = id.to_owned();
    let redirects: Vec<String> = redirects.iter().map(|s| (*s).to_owned()).collect();
    let sector_uri = sector_uri.map(str::to_owned);
    move |n: &mut NewClient| {
        n.client_id = id;
        n.pairwise = true;
        n.redirect_uris = redirects;
        n.post_logout_redirect_uris = Vec::new();
        n.sector_identifier_uri = sector_uri;
    }
}

#[tokio::test]
async fn a_sector_identifier_uri_must_list_every_redirect_uri() {
    let app = spawn_app().await;
    app.test_service().await;
    let (uri, served) = sector_server().await;
    let two_hosts = [
        "http://127.0.0.1:9/portal/cb",
        "http://localhost:9/portal/cb",
    ];
    let base = |id: &str| NewClient {
        client_id: id.into(),
        name: "Portal".into(),
        service_id: Some(oneid_tests::TEST_SERVICE.into()),
        ..NewClient::default()
    };
    let add = |adjust: Box<dyn FnOnce(&mut NewClient)>, id: &str| {
        let mut n = base(id);
        adjust(&mut n);
        let clients = app.provider.clients.clone();
        async move { clients.add(n).await }
    };

    // Redirect URIs on two hosts and no sector document: no sector to put them in.
    let e = add(Box::new(with("p1", &two_hosts, None)), "p1")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sector_identifier_uri"), "{e}");

    // A document that lists only one of them: refused, naming the missing one.
    *served.lock().unwrap() = json!([two_hosts[0]]).to_string();
    let e = add(Box::new(with("p2", &two_hosts, Some(&uri))), "p2")
        .await
        .unwrap_err();
    assert!(e.to_string().contains(two_hosts[1]), "{e}");

    // A document that is not a list of URIs: refused.
    *served.lock().unwrap() = json!({ "redirect_uris": two_hosts }).to_string();
    let e = add(Box::new(with("p3", &two_hosts, Some(&uri))), "p3")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("JSON array"), "{e}");

    // An address that does not answer: refused.
    let e = add(
        Box::new(with(
            "p4",
            &two_hosts,
            Some("http://127.0.0.1:9/nothing.json"),
        )),
        "p4",
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("could not be read"), "{e}");

    // No redirect URIs at all: nothing proves a sector, whatever document is named.
    *served.lock().unwrap() = "[]".into();
    // (a device-grant client, which needs none otherwise)
    let e = add(
        Box::new(|n: &mut NewClient| {
            with("p6", &[], Some(&uri))(n);
            n.public = true;
            n.grant_types = vec!["urn:ietf:params:oauth:grant-type:device_code".into()];
        }),
        "p6",
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("needs redirect URIs"), "{e}");

    // A sector document for a public client: refused.
    let e = add(
        Box::new(|n: &mut NewClient| {
            n.redirect_uris = vec!["http://127.0.0.1:9/p5/cb".into()];
            n.sector_identifier_uri = Some("http://127.0.0.1:9/s.json".into());
        }),
        "p5",
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("pairwise"), "{e}");
    assert_eq!(app.count("clients").await, 0, "nothing half-registered");

    // A document listing both (and more): the sector is its host, shared by both hosts'
    // redirect URIs.
    *served.lock().unwrap() =
        json!([two_hosts[0], two_hosts[1], "https://x.example/cb"]).to_string();
    let (c, _) = add(Box::new(with("portal", &two_hosts, Some(&uri))), "portal")
        .await
        .unwrap();
    assert_eq!(c.sector.as_deref(), Some("127.0.0.1"));
    assert_eq!(c.subject_type(), "pairwise");

    // The admin API takes the subject type by name, and refuses an unknown one.
    let token = app.client_token("oneid:admin").await;
    let r = reqwest::Client::new()
        .post(format!("{}/admin/api/clients", app.base))
        .bearer_auth(&token)
        .json(&json!({
            "client_id": "api-paired", "name": "API paired",
            "redirect_uris": ["http://127.0.0.1:9/api-paired/cb"],
            "service_id": oneid_tests::TEST_SERVICE, "subject_type": "pairwise",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["sector"], json!("127.0.0.1"), "{body}");
    let r = reqwest::Client::new()
        .post(format!("{}/admin/api/clients", app.base))
        .bearer_auth(&token)
        .json(&json!({
            "client_id": "api-odd", "name": "API odd",
            "redirect_uris": ["http://127.0.0.1:9/api-odd/cb"],
            "service_id": oneid_tests::TEST_SERVICE, "subject_type": "secret",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
