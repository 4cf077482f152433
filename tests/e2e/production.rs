//! Running it in production: request ids and metrics on the admin listener, HTTPS served by
//! rustls and verified by a rustls client (and a renewed certificate picked up), rate limits
//! shared by two nodes, and `503` while Redis (stopped) or PostgreSQL (cut off) is away, then
//! recovery.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{
    fresh_storage, spawn_app, spawn_app_with, spawn_on, Backend, TestApp, LOGIN_ID, PASSWORD,
};
use platform::{EphemeralStore, ManualClock, MemoryStore};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn responses_carry_a_request_id_and_the_admin_listener_counts_them() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let http = reqwest::Client::new();
    let kept = http
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "lb-7f3a.42")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a.42");
    let made = http
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "not sane!")
        .send()
        .await
        .unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() >= 10 && id != "not sane!", "{id}");

    let rp = Rp::discover(&app.add_client("viewer").await).await;
    rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    let s = rp.start(&["profile"], &[]);
    let other = Browser::new();
    let page = other.get(&s.url).await;
    let wrong = other
        .login(&app.base, &page, LOGIN_ID, "Wrong-Guess-2026")
        .await;
    assert_eq!(wrong.status, 401);

    // Metrics live on the admin listener only.
    assert_eq!(
        http.get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let m = app.metrics().await;
    for line in [
        "oneid_http_requests_total{route=\"/token\",status=\"200\"} 1",
        "oneid_http_requests_total{route=\"/healthz\",status=\"200\"} 2",
        "oneid_logins_total{outcome=\"success\"} 1",
        "oneid_tokens_issued_total{grant=\"authorization_code\"} 1",
        "oneid_sso_sessions 1",
    ] {
        assert!(m.contains(line), "{line} missing from\n{m}");
    }
    assert!(m.contains("oneid_logins_total{outcome=\"wrong_password\"}"));
    assert!(
        m.contains("oneid_http_request_duration_seconds_bucket{route=\"/authorize\",le=\"+Inf\"}")
    );
    assert!(m.contains("oneid_signing_key_age_seconds{alg=\"ES256\""));
    let ready = http
        .get(format!("{}/readyz", app.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

/// A rustls client that trusts exactly `cert_pem`; returns the server certificate (DER), the
/// ALPN protocol chosen and the raw HTTP/1.1 answer to GET `path`.
async fn tls_get(
    addr: &str,
    cert_pem: &[u8],
    path: &str,
    alpn: &[&[u8]],
) -> (Vec<u8>, Option<Vec<u8>>, String) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|a| a.to_vec()).collect();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("the certificate verifies");
    let (_, conn) = tls.get_ref();
    let peer = conn.peer_certificates().unwrap()[0].to_vec();
    let proto = conn.alpn_protocol().map(<[u8]>::to_vec);
    if proto.as_deref() == Some(b"h2") {
        return (peer, proto, String::new());
    }
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    tls.read_to_string(&mut out).await.unwrap();
    (peer, proto, out)
}

#[tokio::test]
async fn https_is_served_by_rustls_and_a_renewed_certificate_is_picked_up() {
    let dir = std::env::temp_dir().join(format!("oneid-tls-{}", platform::crypto::random_token(6)));
    let hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let (cert, key) = oneid::tls::dev_cert(&dir, &hosts).unwrap();
    let (c2, k2) = (cert.clone(), key.clone());
    let app = spawn_app_with(move |c| {
        c.tls.cert_file = c2;
        c.tls.key_file = k2;
        c.tls.reload_secs = 1;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let first_pem = std::fs::read(&cert).unwrap();
    let (der1, proto, answer) = tls_get(&addr, &first_pem, "/healthz", &[b"http/1.1"]).await;
    assert_eq!(proto.as_deref(), Some(&b"http/1.1"[..]));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{answer}"
    );
    // The key set, answered before the router, carries it too.
    let (_, _, jwks) = tls_get(&addr, &first_pem, "/jwks", &[b"http/1.1"]).await;
    assert!(jwks.starts_with("HTTP/1.1 200"), "{jwks}");
    assert!(
        jwks.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{jwks}"
    );
    // HTTP/2 is offered by ALPN.
    let (_, proto, _) = tls_get(&addr, &first_pem, "/healthz", &[b"h2", b"http/1.1"]).await;
    assert_eq!(proto.as_deref(), Some(&b"h2"[..]));
    // Plain HTTP on the TLS port gets nowhere.
    assert!(reqwest::get(format!("http://{addr}/healthz"))
        .await
        .is_err());

    // A renewed certificate (same files) is served to new connections within seconds.
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a newer mtime
    oneid::tls::dev_cert(&dir, &hosts).unwrap();
    let second_pem = std::fs::read(&cert).unwrap();
    let mut der2 = der1.clone();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        der2 = tls_get(&addr, &second_pem, "/healthz", &[b"http/1.1"])
            .await
            .0;
        if der2 != der1 {
            break;
        }
    }
    assert_ne!(der1, der2, "the renewed certificate is served");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_bad_certificate_stops_the_start_naming_the_file() {
    let storage = fresh_storage().await;
    let mut cfg = oneid_tests::test_config(&storage);
    cfg.tls.cert_file = "/nonexistent/cert.pem".into();
    cfg.tls.key_file = "/nonexistent/key.pem".into();
    let err = oneid::build(&cfg, oneid::Parts::default())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("tls.cert_file"), "{err}");
}

#[tokio::test]
async fn rate_limits_are_shared_by_the_nodes() {
    let storage = fresh_storage().await;
    let clock = Arc::new(ManualClock::new());
    let shared: Option<Arc<dyn EphemeralStore>> = match &storage.redis_url {
        Some(_) => None,
        None => Some(Arc::new(MemoryStore::new(clock.clone()))),
    };
    let a = spawn_on(&storage, clock.clone(), shared.clone(), |c| {
        c.limits.login_per_account = 3
    })
    .await;
    let issuer = a.base.clone();
    let b = spawn_on(&storage, clock, shared, |c| {
        c.issuer = issuer;
        c.limits.login_per_account = 3;
    })
    .await;
    a.add_clinician().await;
    let rp = Rp::discover(&a.add_client("viewer").await).await;
    let mut statuses = Vec::new();
    for node in [&a, &b, &a, &b] {
        let br = Browser::new();
        let s = rp.start(&["profile"], &[]);
        // The same request through either node (same issuer and storage).
        let url = s.url.replace(&a.base, &node.base);
        let page = br.get(&url).await;
        statuses.push(
            br.login(&node.base, &page, LOGIN_ID, "Wrong-1a")
                .await
                .status,
        );
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 429],
        "the fourth attempt, on any node"
    );
}

/// A TCP proxy in front of a service that can be cut (every connection dropped, new ones
/// refused) and restored, standing in for the service going down and coming back.
struct Cut {
    addr: String,
    down: Arc<AtomicBool>,
}

impl Cut {
    async fn start(target: String) -> Cut {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let down = Arc::new(AtomicBool::new(false));
        let d = down.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = l.accept().await {
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let d = d.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.split();
                    let (mut ro, mut wo) = outbound.split();
                    let watch = async {
                        while !d.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = tokio::io::copy(&mut ri, &mut wo) => {}
                        _ = tokio::io::copy(&mut ro, &mut wi) => {}
                        _ = watch => {}
                    }
                });
            }
        });
        Cut { addr, down }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

/// A private redis-server for this test (so stopping it harms no other test).
struct PrivateRedis {
    child: std::process::Child,
    port: u16,
}

impl PrivateRedis {
    async fn start() -> PrivateRedis {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        Self::start_on(port).await
    }

    /// Stops the server for real (the process exits).
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn start_on(port: u16) -> PrivateRedis {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (installed by scripts/test)");
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        PrivateRedis { child, port }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login_status(app: &TestApp, rp: &Rp) -> (u16, String) {
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    if page.status != 200 {
        return (page.status, page.body);
    }
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    (r.status, r.body)
}

#[tokio::test]
async fn while_redis_or_postgresql_is_away_requests_fail_fast_with_503_then_recover() {
    let mut redis = PrivateRedis::start().await;
    let storage = fresh_storage().await;
    // PostgreSQL goes through a cut too when it is the backend under test.
    let (db_cut, db_url) = match oneid_tests::backend() {
        Backend::External { .. } => {
            let mut u = url::Url::parse(&storage.db_url).unwrap();
            let target = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap_or(5432));
            let cut = Cut::start(target).await;
            let port: u16 = cut.addr.rsplit(':').next().unwrap().parse().unwrap();
            u.set_port(Some(port)).unwrap();
            (Some(cut), u.to_string())
        }
        Backend::Embedded => (None, storage.db_url.clone()),
    };
    let redis_url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, move |c| {
        c.ephemeral.url = redis_url;
        c.ephemeral.prefix = "outage:".into();
        c.database.url = db_url;
    })
    .await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    assert_eq!(login_status(&app, &rp).await.0, 303);
    let accounts = app.count("accounts").await;

    // Redis is stopped and started again (a code lives in Redis); then PostgreSQL is cut off
    // and back (a refresh needs it).
    let steps: Vec<(&str, &str)> = match db_cut {
        Some(_) => vec![
            ("redis", "authorization_code"),
            ("postgres", "refresh_token"),
        ],
        None => vec![("redis", "authorization_code")],
    };
    for (what, grant) in steps {
        match what {
            "redis" => redis.stop(),
            _ => db_cut.as_ref().map_or((), |c| c.set_down(true)),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let (status, body) = login_status(&app, &rp).await;
        assert_eq!(status, 503, "{what}: {body}");
        assert!(body.contains("briefly unavailable"), "{body}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "fails fast"
        );
        let token = reqwest::Client::new()
            .post(format!("{}/token", app.base))
            .basic_auth("viewer", Some("viewer-secret"))
            .form(&[
                ("grant_type", grant),
                ("code", "x"),
                ("refresh_token", "x"),
                ("redirect_uri", cfg.redirect_uri.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), 503, "{what}");
        let j: serde_json::Value = token.json().await.unwrap();
        assert_eq!(j["error"], "temporarily_unavailable");
        let ready = reqwest::get(format!("{}/readyz", app.admin)).await.unwrap();
        assert_eq!(ready.status(), 503);
        // Back: service resumes by itself.
        match what {
            "redis" => redis = PrivateRedis::start_on(redis.port).await,
            _ => db_cut.as_ref().map_or((), |c| c.set_down(false)),
        }
        let mut ok = false;
        for _ in 0..60 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if login_status(&app, &rp).await.0 == 303 {
                ok = true;
                break;
            }
        }
        assert!(ok, "sign-in works again after {what} returns");
        assert_eq!(
            reqwest::get(format!("{}/readyz", app.admin))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(
        app.count("accounts").await,
        accounts,
        "nothing half-written"
    );
}

#[tokio::test]
async fn a_node_refuses_a_schema_newer_than_it_knows() {
    let storage = fresh_storage().await;
    let db = platform::Db::connect(&storage.db_url, 1).await.unwrap();
    db.migrate().await.unwrap();
    // What a newer oneid leaves behind: a migration this build does not have.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, $1, 1)",
    )
    .bind(vec![0u8; 48])
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    let cfg = oneid_tests::test_config(&storage);
    let err = oneid::build(&cfg, oneid::Parts::default())
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("newer than this oneid knows"),
        "{err}"
    );
}

/// The number of connections `app`'s database pool holds, once it reaches `want` (or after
/// five seconds).
async fn pool_size_reaches(app: &TestApp, want: u32) -> u32 {
    let pool = app.provider.db.pool();
    for _ in 0..100 {
        if pool.size() == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    pool.size()
}

#[tokio::test]
async fn the_servers_postgresql_pool_opens_ahead_and_replaces_connections_the_database_ended() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    match oneid_tests::backend() {
        Backend::External { pg, .. } => {
            // The test configuration's five connections open with no request asking for them.
            assert_eq!(pool_size_reaches(&app, 5).await, 5);
            // The database ends every one of them (a restart, a failover)...
            let db_name = url::Url::parse(&app.storage.db_url).unwrap().path()[1..].to_owned();
            let admin = platform::Db::connect(&pg, 1).await.unwrap();
            let ended: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            )
            .bind(&db_name)
            .fetch_all(admin.pool())
            .await
            .unwrap();
            admin.close().await;
            assert!(ended.len() >= 5, "{ended:?}");
            // ...and a second later no sign-in meets a dead connection: each is pinged after
            // a second idle, found gone and replaced before a request gets it.
            tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
            for i in 0..3 {
                let (status, body) = login_status(&app, &rp).await;
                assert_eq!(status, 303, "sign-in {i}: {body}");
            }
            assert_eq!(pool_size_reaches(&app, 5).await, 5, "the pool fills again");
        }
        Backend::Embedded => {
            // SQLite connections cost nothing to open: the pool grows as requests need it.
            for i in 0..3 {
                let (status, body) = login_status(&app, &rp).await;
                assert_eq!(status, 303, "sign-in {i}: {body}");
            }
            let size = app.provider.db.pool().size();
            assert!((1..=5).contains(&size), "{size}");
        }
    }
}
