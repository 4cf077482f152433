//! Criterion benchmarks of the hot paths, in-process (no sockets): JWT signing per algorithm,
//! and whole requests through the router for the endpoints relying parties call most —
//! client_credentials token issuance (ES256 and RS256), client authentication, introspection,
//! userinfo, an SSO authorization (session lookup + code), discovery and JWKS.
//!
//!   cargo bench -p idp-web --bench hot_paths

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup: fail loudly

use authorization_server::{KeyRing, NewClient, Provider, ProviderConfig, SigAlg};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine as _;
use credential_store::{Accounts, NewAccount, PasswordHasher, PasswordParams};
use criterion::{criterion_group, criterion_main, Criterion};

use platform::{Db, EphemeralStore, MemoryStore, SecretBox, SharedClock, SystemClock};
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "http://127.0.0.1:8080";

async fn provider() -> Arc<Provider> {
    let dir = std::env::temp_dir().join(format!("oneid-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("b.db"));
    let url = format!("sqlite://{}?mode=rwc", dir.join("b.db").display());
    let db = Db::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let store: Arc<dyn EphemeralStore> = Arc::new(MemoryStore::new(clock.clone()));
    let keys = Arc::new(KeyRing::new(
        db.clone(),
        SecretBox::from_key([1; 32]),
        clock.clone(),
    ));
    keys.ensure_initial_keys().await.unwrap();
    keys.reload().await.unwrap();
    let accounts = Accounts::new(
        db.clone(),
        clock.clone(),
        PasswordHasher::new(PasswordParams::default()).unwrap(),
        SecretBox::from_key([2; 32]),
    );
    let p = Arc::new(
        Provider::new(
            ProviderConfig::new(ISSUER),
            clock,
            db,
            store,
            accounts,
            keys,
            Arc::new(platform::mail::OutboxMailer::new(dir.join("mail.jsonl"))),
        )
        .unwrap()
        .with_step_up(
            // Every benchmark login is a new browser: measure the password, not the step-up.
            step_up::StepUpConfig {
                policy: step_up::Policy::RelyingPartyOnly,
                ..Default::default()
            },
            Arc::new(step_up::gateway::OutboxGateway::new(
                dir.join("codes.jsonl"),
                Arc::new(SystemClock),
            )),
            None,
        ),
    );
    for (id, alg) in [("bench", SigAlg::ES256), ("bench-rs256", SigAlg::RS256)] {
        p.clients
            .add(NewClient {
                client_id: id.into(),
                name: id.into(),
                secret: Some("bench-secret".into()),
                grant_types: vec!["client_credentials".into()],
                scopes: vec!["api:read".into()],
                access_token_alg: Some(alg),
                ..NewClient::default()
            })
            .await
            .unwrap();
    }
    // A relying party that signs people in belongs to a service.
    p.registration
        .directory
        .put_service(&registration::Service {
            id: "bench".into(),
            name: "Bench".into(),
            url: None,
            min_assurance_level: 1,
        })
        .await
        .unwrap();
    p.clients
        .add(NewClient {
            service_id: Some("bench".into()),
            client_id: "viewer".into(),
            name: "Viewer".into(),
            secret: Some("viewer-secret".into()),
            redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
            id_token_alg: Some(SigAlg::ES256),
            ..NewClient::default()
        })
        .await
        .unwrap();
    p.accounts
        .create(NewAccount {
            login_id: Some("Bench.Person@ONEID.ON.CA".into()),
            given_name: "Bench".into(),
            family_name: "Person".into(),
            locale: "en".into(),
            password: "Clinic-Rounds-2026".into(),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    p
}

fn basic(id: &str) -> String {
    let raw = format!("{id}:bench-secret");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn form(uri: &str, auth: Option<&str>, body: String) -> Request<Body> {
    let mut b =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    b.body(Body::from(body)).unwrap()
}

async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

fn hot_paths(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let p = rt.block_on(provider());
    let app = web::app::assemble(p.clone(), idp_web::routes(), idp_web::documents());

    let claims = br#"{"iss":"http://127.0.0.1:8080","sub":"bench","aud":"bench","exp":1999999999,"iat":1700000000,"jti":"abcdefghijklmnop","scope":"api:read"}"#;
    for alg in SigAlg::ALL {
        c.bench_function(&format!("sign_jwt/{}", alg.as_str()), |b| {
            b.iter(|| p.keys.sign(alg, "at+jwt", claims).unwrap())
        });
    }

    for (name, id) in [
        ("token_client_credentials/ES256", "bench"),
        ("token_client_credentials/RS256", "bench-rs256"),
    ] {
        let auth = basic(id);
        c.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let (s, _, _) = call(
                    &app,
                    form(
                        "/token",
                        Some(&auth),
                        "grant_type=client_credentials&scope=api:read".into(),
                    ),
                )
                .await;
                assert_eq!(s, StatusCode::OK);
            })
        });
    }

    let auth = basic("bench");
    let (_, _, body) = rt.block_on(call(
        &app,
        form(
            "/token",
            Some(&auth),
            "grant_type=client_credentials&scope=api:read".into(),
        ),
    ));
    let at = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let intro = format!("token={at}&token_type_hint=access_token");
    c.bench_function("introspect/access_token", |b| {
        b.to_async(&rt).iter(|| async {
            let (s, _, body) = call(&app, form("/introspect", Some(&auth), intro.clone())).await;
            assert_eq!(s, StatusCode::OK);
            assert!(body.starts_with(br#"{"active":true"#));
        })
    });
    c.bench_function("client_authentication/wrong_secret", |b| {
        let wrong = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("bench:not-the-secret")
        );
        b.to_async(&rt).iter(|| async {
            let (s, _, _) = call(
                &app,
                form(
                    "/token",
                    Some(&wrong),
                    "grant_type=client_credentials".into(),
                ),
            )
            .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        })
    });

    // A signed-in browser: log in once, then measure SSO authorizations and userinfo.
    let authorize = "/authorize?client_id=viewer&response_type=code&scope=openid%20profile&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s";
    let (cookie, user_at) = rt.block_on(async {
        let (_, h, page) = call(&app, Request::get(authorize).body(Body::empty()).unwrap()).await;
        let page = String::from_utf8(page).unwrap();
        let field = |n: &str| {
            let k = format!("name=\"{n}\" value=\"");
            let s = page.find(&k).unwrap() + k.len();
            page[s..s + page[s..].find('"').unwrap()].to_owned()
        };
        let csrf_cookie = h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut req = form(
            "/login",
            None,
            format!(
                "request={}&csrf={}&login_id=Bench.Person%40ONEID.ON.CA&password=Clinic-Rounds-2026",
                field("request"),
                field("csrf")
            ),
        );
        req.headers_mut().insert(header::COOKIE, csrf_cookie.parse().unwrap());
        let (s, h, _) = call(&app, req).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let session = h
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|v| v.starts_with("oneid_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let loc = h[header::LOCATION].to_str().unwrap().to_owned();
        let code = url::Url::parse(&loc)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let vauth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("viewer:viewer-secret")
        );
        let (_, _, body) = call(
            &app,
            form(
                "/token",
                Some(&vauth),
                format!("grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"),
            ),
        )
        .await;
        let at = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        (session, at)
    });
    c.bench_function("authorize/sso_session", |b| {
        b.to_async(&rt).iter(|| async {
            let req = Request::get(authorize)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let (s, _, _) = call(&app, req).await;
            assert_eq!(s, StatusCode::SEE_OTHER);
        })
    });
    c.bench_function("userinfo", |b| {
        let bearer = format!("Bearer {user_at}");
        b.to_async(&rt).iter(|| async {
            let req = Request::get("/userinfo")
                .header(header::AUTHORIZATION, &bearer)
                .body(Body::empty())
                .unwrap();
            let (s, _, _) = call(&app, req).await;
            assert_eq!(s, StatusCode::OK);
        })
    });
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        c.bench_function(&format!("get{path}"), |b| {
            b.to_async(&rt).iter(|| async {
                let (s, _, _) = call(&app, Request::get(path).body(Body::empty()).unwrap()).await;
                assert_eq!(s, StatusCode::OK);
            })
        });
    }
}

/// The request metrics alone: what the middleware adds to every request (`observe`, plus the
/// `inc` of a counted event), a document count, and a scrape of a node that has seen 40 routes.
///
///   cargo bench -p idp-web --bench hot_paths -- metrics
fn metrics(c: &mut Criterion) {
    use platform::metrics::Metrics;
    use std::time::Duration;
    let m = Metrics::default();
    let routes: Vec<String> = (0..40).map(|i| format!("/route/{i}")).collect();
    for (i, r) in routes.iter().enumerate() {
        for status in [200, 302, 400] {
            m.observe(r, status, Duration::from_micros(100 * i as u64));
        }
    }
    m.inc("oneid_tokens_issued_total", "grant=\"client_credentials\"");
    let elapsed = Duration::from_micros(730);
    c.bench_function("metrics/observe", |b| {
        b.iter(|| m.observe("/token", 200, elapsed))
    });
    c.bench_function("metrics/observe+inc", |b| {
        b.iter(|| {
            m.observe("/token", 200, elapsed);
            m.inc("oneid_tokens_issued_total", "grant=\"client_credentials\"");
        })
    });
    c.bench_function("metrics/document", |b| b.iter(|| m.document(1)));
    c.bench_function("metrics/observe_2_threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..iters {
                            m.observe("/token", 200, elapsed);
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    c.bench_function("metrics/render_40_routes", |b| b.iter(|| m.render()));
}

criterion_group!(benches, metrics, hot_paths);
criterion_main!(benches);
