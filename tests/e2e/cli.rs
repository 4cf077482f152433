//! The administrator's command line, run in-process with real arguments and standard input:
//! register, list and remove relying parties; create an account; then use both for real.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{fresh_storage, spawn_on, RpConfig, Storage};
use platform::ManualClock;
use std::sync::Arc;

async fn oneid(storage: &Storage, args: &[&str], stdin: &str) -> (i32, String) {
    let overlay = std::env::temp_dir().join(format!(
        "oneid-cli-{}.toml",
        platform::crypto::random_token(6)
    ));
    let toml = format!(
        "[database]\nurl = {:?}\n[ephemeral]\nurl = {:?}\nprefix = {:?}\n[keys]\nkek = {:?}\n[log]\nlevel = \"warn\"\n",
        storage.db_url,
        storage.redis_url.clone().unwrap_or_default(),
        storage.prefix,
        storage.kek
    );
    std::fs::write(&overlay, toml).unwrap();
    let mut argv = vec!["oneid", "--config", overlay.to_str().unwrap()];
    argv.extend_from_slice(args);
    let mut input = stdin.as_bytes();
    let mut out = Vec::new();
    let code = oneid::cli::run(argv, &mut input, &mut out).await;
    std::fs::remove_file(&overlay).unwrap();
    (code, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn an_administrator_registers_a_viewer_and_an_account_that_then_log_in() {
    let storage = fresh_storage().await;
    let (code, out) = oneid(
        &storage,
        &[
            "clients",
            "add",
            "--client-id",
            "otnhub",
            "--name",
            "OTN Hub",
            "--redirect-uri",
            "https://otnhub.example/cb",
            "--redirect-uri",
            "http://127.0.0.1:9/otn/cb",
            "--post-logout-redirect-uri",
            "https://otnhub.example/",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--id-token-alg",
            "ES256",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("client secret (shown once, store it now): "))
        .expect("a generated secret is shown once")
        .to_owned();
    assert!(secret.len() >= 43, "256-bit secret");

    let (code, out) = oneid(
        &storage,
        &[
            "users",
            "add",
            "--login-id",
            "Helene.Cote@ONEID.ON.CA",
            "--password-stdin",
            "--given-name",
            "Hélène",
            "--family-name",
            "Côté",
            "--locale",
            "fr",
        ],
        "Salle-Urgence-2026\n",
    )
    .await;
    assert_eq!(code, 0, "{out}");

    let (code, out) = oneid(&storage, &["clients", "list"], "").await;
    assert_eq!(code, 0);
    assert!(out.contains("otnhub\tOTN Hub\tconfidential"), "{out}");
    assert!(out.contains("id_token_alg=ES256"));
    assert!(!out.contains(&secret), "the secret is never listed");

    // Both work against the running server.
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    let mut rp = Rp::discover(&RpConfig {
        client_id: "otnhub".into(),
        secret: Some(secret),
        redirect_uri: "http://127.0.0.1:9/otn/cb".into(),
        issuer: app.base.clone(),
    })
    .await;
    rp.algs = vec![openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP256Sha256];
    let t = rp
        .login(
            &Browser::new(),
            "helene.cote@oneid.on.ca",
            "Salle-Urgence-2026",
        )
        .await;
    assert_eq!(oneid_tests::rp::jwt_header(&t.id_token)["alg"], "ES256");
    assert_eq!(t.raw["aud"], "otnhub");
    assert!(app.audit("client.added").await.len() == 1);
    assert!(app.audit("account.created").await.len() == 1);

    let (code, _) = oneid(&storage, &["clients", "remove", "otnhub"], "").await;
    assert_eq!(code, 0);
    let (code, out) = oneid(&storage, &["clients", "list"], "").await;
    assert_eq!(code, 0);
    assert!(!out.contains("otnhub"));
    let (code, _) = oneid(&storage, &["clients", "remove", "otnhub"], "").await;
    assert_eq!(code, 1, "removing a missing client fails");
}

#[tokio::test]
async fn the_cli_refuses_bad_registrations_and_weak_passwords() {
    let storage = fresh_storage().await;
    let bad = [
        vec![
            "clients",
            "add",
            "--client-id",
            "x",
            "--name",
            "X",
            "--redirect-uri",
            "http://viewer.example/cb",
        ],
        vec![
            "clients",
            "add",
            "--client-id",
            "x",
            "--name",
            "X",
            "--redirect-uri",
            "https://v.example/cb#frag",
        ],
        vec!["clients", "add", "--client-id", "x", "--name", "X"],
        vec![
            "clients",
            "add",
            "--client-id",
            "x",
            "--name",
            "X",
            "--redirect-uri",
            "https://v.example/cb",
            "--grant-type",
            "password",
        ],
        vec![
            "clients",
            "add",
            "--client-id",
            "x",
            "--name",
            "X",
            "--public",
            "--grant-type",
            "client_credentials",
        ],
        vec![
            "clients",
            "add",
            "--client-id",
            "x",
            "--name",
            "X",
            "--redirect-uri",
            "https://v.example/cb",
            "--id-token-alg",
            "HS256",
        ],
    ];
    for args in &bad {
        let (code, _) = oneid(&storage, args, "").await;
        assert_eq!(code, 1, "{args:?} must be refused");
    }
    let (code, _) = oneid(
        &storage,
        &[
            "users",
            "add",
            "--login-id",
            "A.B@ONEID.ON.CA",
            "--password-stdin",
            "--given-name",
            "A",
            "--family-name",
            "B",
        ],
        "password\n",
    )
    .await;
    assert_eq!(
        code, 1,
        "a password without upper-case letters or digits is refused"
    );
    let (code, _) = oneid(&storage, &["clients", "frobnicate"], "").await;
    assert_eq!(code, 2, "bad usage");
    let (code, out) = oneid(&storage, &["clients", "list"], "").await;
    assert_eq!((code, out.as_str()), (0, ""), "nothing was registered");
}
