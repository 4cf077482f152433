//! The administrator's command line, run in-process with real arguments and standard input:
//! register, list and remove relying parties; create an account; then use both for real.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{fresh_storage, spawn_on, RpConfig, Storage};
use platform::ManualClock;
use std::sync::Arc;

/// Runs the command line (see `Storage::cli`).
async fn oneid(storage: &Storage, args: &[&str], stdin: &str) -> (i32, String) {
    storage.cli(args, stdin).await
}

#[tokio::test]
async fn an_administrator_registers_a_viewer_and_an_account_that_then_log_in() {
    let storage = fresh_storage().await;
    // The viewer's service and the organization that sponsors people into it.
    for args in [
        &["services", "add", "--id", "otn", "--name", "OTN Hub"][..],
        &["organizations", "add", "--id", "uhn", "--name", "UHN"],
        &["organizations", "allow-service", "uhn", "otn"],
    ] {
        let (code, out) = oneid(&storage, args, "").await;
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    let viewer = |service: Option<&'static str>| {
        let mut args = vec![
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
        ];
        if let Some(sv) = service {
            args.extend(["--service", sv]);
        }
        args
    };
    // A viewer signs people in: it belongs to a service.
    let (code, out) = oneid(&storage, &viewer(None), "").await;
    assert_eq!(code, 1, "{out}");
    let (_, list) = oneid(&storage, &["clients", "list"], "").await;
    assert!(!list.contains("otnhub"), "nothing registered: {list}");
    let (code, out) = oneid(&storage, &viewer(Some("otn")), "").await;
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
    // Enrolled by an administrator through the sponsor, as an LRA would.
    let enrol = [
        "--login-id",
        "Helene.Cote@ONEID.ON.CA",
        "--organization",
        "uhn",
        "--service",
    ];
    let (code, out) = oneid(
        &storage,
        &[&["enrolments", "add"][..], &enrol, &["hub"]].concat(),
        "",
    )
    .await;
    assert_eq!(code, 1, "no such service: {out}");
    let (code, out) = oneid(
        &storage,
        &[&["enrolments", "add"][..], &enrol, &["otn"]].concat(),
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is enrolled in otn through uhn"), "{out}");
    let (code, out) = oneid(
        &storage,
        &[
            "enrolments",
            "list",
            "--login-id",
            "Helene.Cote@ONEID.ON.CA",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0);
    assert!(out.contains("otn\tuhn\tactive\tcli"), "{out}");

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
    // An account the command line made has accepted no agreement: its first sign-in asks.
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let asked = b
        .login(
            &app.base,
            &page,
            "helene.cote@oneid.on.ca",
            "Salle-Urgence-2026",
        )
        .await;
    let cb = b.answer_agreement(&app.base, &asked, true).await;
    let code = rp.code_from(&s, &cb);
    let t = rp.finish(s, &code).await;
    assert_eq!(oneid_tests::rp::jwt_header(&t.id_token)["alg"], "ES256");
    assert_eq!(t.raw["aud"], "otnhub");
    assert!(app.audit("client.added").await.len() == 1);
    assert!(app.audit("account.created").await.len() == 1);
    assert_eq!(
        app.audit("enrolment.added").await[0].detail.as_deref(),
        Some("org=uhn service=otn enrolment: none -> active")
    );

    // Ending the enrolment shuts the viewer to her at the next sign-in.
    let (code, out) = oneid(
        &storage,
        &[&["enrolments", "end"][..], &enrol, &["otn"]].concat(),
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let b = Browser::new();
    let s = rp.start(&["openid"], &[]);
    let page = b.get(&s.url).await;
    let r = b
        .login(
            &app.base,
            &page,
            "helene.cote@oneid.on.ca",
            "Salle-Urgence-2026",
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("OTN Hub"), "{}", r.body);

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
    // In a service, so that each is refused for its own fault.
    let (code, out) = oneid(
        &storage,
        &["services", "add", "--id", "v", "--name", "V"],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    for args in &bad {
        let args = [&args[..], &["--service", "v"]].concat();
        let (code, _) = oneid(&storage, &args, "").await;
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

#[tokio::test]
async fn an_administrator_rotates_imports_and_revokes_keys_from_the_cli() {
    let storage = fresh_storage().await;
    let (code, out) = oneid(&storage, &["keys", "rotate", "--alg", "ES256"], "").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ES256 rotation started: new key es256-"),
        "{out}"
    );
    let secs: i64 = out
        .split("signs in ")
        .nth(1)
        .and_then(|r| r.trim().strip_suffix('s'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        (895..=900).contains(&secs),
        "signs after the pre-publish period: {out}"
    );
    let (code, _) = oneid(&storage, &["keys", "rotate", "--alg", "ES256"], "").await;
    assert_eq!(code, 1, "a second pending key is refused");

    let (_, list) = oneid(&storage, &["keys", "list"], "").await;
    let next = list
        .lines()
        .find(|l| l.contains(" next "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the next key is listed")
        .to_owned();
    let (code, out) = oneid(&storage, &["keys", "activate", &next], "").await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("retired"), "{out}");

    // The ring loads as a serving node loads it (the next, active and retired keys), timed.
    let (_, list) = oneid(&storage, &["keys", "list"], "").await;
    let held = list
        .lines()
        .filter(|l| {
            [" next ", " active ", " retired "]
                .iter()
                .any(|s| l.contains(s))
        })
        .count();
    assert_eq!(held, 5, "{list}");
    let (code, out) = oneid(&storage, &["keys", "check", "--times", "3"], "").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "the ring: {held} keys, every one unsealed and parsed"
        )),
        "{out}"
    );
    assert!(
        out.contains("whole load: p50 ") && out.contains("(3 times each)"),
        "{out}"
    );
    // With another key-encryption key, no key unseals: the check fails.
    let other = oneid_tests::Storage {
        kek: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]),
        ..storage.clone()
    };
    let (code, out) = oneid(&other, &["keys", "check"], "").await;
    assert_ne!(code, 0, "{out}");
    assert!(!out.contains("the ring:"), "{out}");

    // Import a key made elsewhere: a PEM, then a JWK, then material of the wrong kind.
    let dir = std::env::temp_dir().join(format!(
        "oneid-import-{}",
        platform::crypto::random_token(6)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let rsa = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    std::fs::write(dir.join("rsa.pem"), rsa.to_pem_private_key()).unwrap();
    let (code, out) = oneid(
        &storage,
        &[
            "keys",
            "import",
            "--alg",
            "RS256",
            "--file",
            dir.join("rsa.pem").to_str().unwrap(),
            "--now",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported RS256 key rs256-"), "{out}");
    let ed = josekit::jws::EdDSA
        .generate_key_pair(josekit::jwk::alg::ed::EdCurve::Ed25519)
        .unwrap();
    std::fs::write(dir.join("ed.jwk"), ed.to_jwk_private_key().to_string()).unwrap();
    let (code, out) = oneid(
        &storage,
        &[
            "keys",
            "import",
            "--alg",
            "EdDSA",
            "--file",
            dir.join("ed.jwk").to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (code, _) = oneid(
        &storage,
        &[
            "keys",
            "import",
            "--alg",
            "ES256",
            "--file",
            dir.join("rsa.pem").to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert_eq!(code, 1, "an RSA key is not an ES256 key");
    std::fs::remove_dir_all(&dir).unwrap();

    let (_, list) = oneid(&storage, &["keys", "list"], "").await;
    let active_rs = list
        .lines()
        .find(|l| l.contains(" RS256 ") && l.contains(" active "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let (code, out) = oneid(&storage, &["keys", "revoke", &active_rs], "").await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signs in its place"), "{out}");

    // The server starts on this ring and publishes exactly what it should.
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    app.use_every_algorithm().await;
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        !published.contains(&active_rs.as_str()),
        "revoked key unpublished"
    );
    assert!(published.contains(&next.as_str()));
    for a in [
        "key.created",
        "key.activated",
        "key.retired",
        "key.imported",
        "key.revoked",
    ] {
        assert!(!app.audit(a).await.is_empty(), "{a} audited");
    }
}

#[tokio::test]
async fn grant_role_makes_an_account_an_administrator() {
    let storage = fresh_storage().await;
    let (code, _) = oneid(
        &storage,
        &[
            "users",
            "add",
            "--login-id",
            "Admin.One@ONEID.ON.CA",
            "--password-stdin",
            "--given-name",
            "Admin",
            "--family-name",
            "One",
            // A staff role needs a second factor first.
            "--phone",
            "416-555-0142",
        ],
        "Console-Keys-2026\n",
    )
    .await;
    assert_eq!(code, 0);
    let (code, out) = oneid(
        &storage,
        &[
            "users",
            "grant-role",
            "--login-id",
            "admin.one@oneid.on.ca",
            "--role",
            "administrator",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (code, _) = oneid(
        &storage,
        &[
            "users",
            "grant-role",
            "--login-id",
            "nobody@oneid.on.ca",
            "--role",
            "administrator",
        ],
        "",
    )
    .await;
    assert_eq!(code, 1);
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    let a = app
        .provider
        .accounts
        .find_by_login_id("Admin.One@ONEID.ON.CA")
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .provider
        .accounts
        .has_role(&a.id, "administrator")
        .await
        .unwrap());
}

#[tokio::test]
async fn users_add_generates_login_ids_and_applies_the_password_policy() {
    let storage = fresh_storage().await;
    let add = |pw: &'static str, extra: &'static [&'static str]| {
        let storage = storage.clone();
        async move {
            let mut args = vec![
                "users",
                "add",
                "--password-stdin",
                "--given-name",
                "Hélène",
                "--family-name",
                "Côté",
                "--designation",
            ];
            args.extend_from_slice(extra);
            oneid(&storage, &args, pw).await
        }
    };
    let (code, out) = add("Ward-Round-2031\n", &["CPSO:1001", "--temporary"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Helene.Cote@ONEID.ON.CA"), "{out}");
    let (code, out) = add("Ward-Round-2031\n", &["CNO:2002"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Helene.Cote2@ONEID.ON.CA"), "{out}");
    // The same registration number cannot belong to two accounts; a password against the
    // policy (no upper-case letter, the person's name) is refused. Neither leaves anything.
    let (code, _) = add("Ward-Round-2031\n", &["CPSO:1001"]).await;
    assert_ne!(code, 0);
    let (code, _) = add("helene2026\n", &["CMTO:3003"]).await;
    assert_ne!(code, 0);
    let (code, _) = add("Helene-Cote-2026\n", &["CMTO:3003"]).await;
    assert_ne!(code, 0);
    let (code, out) = add("Ward-Round-2031\n", &["CMTO:3003"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Helene.Cote3@ONEID.ON.CA"), "{out}");
}

#[tokio::test]
async fn an_administrator_forgets_the_recognized_computers_of_an_account() {
    let storage = fresh_storage().await;
    let app = oneid_tests::spawn_on(
        &storage,
        std::sync::Arc::new(platform::ManualClock::new()),
        None,
        |_| {},
    )
    .await;
    let id = app.add_clinician().await;
    for token in ["a".repeat(43), "b".repeat(43)] {
        app.provider
            .devices
            .remember(&id, &token, "Chrome on Linux", "127.0.0.0/24", 86_400)
            .await
            .unwrap();
    }
    let (code, out) = oneid(
        &storage,
        &[
            "users",
            "forget-devices",
            "--login-id",
            oneid_tests::LOGIN_ID,
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("forgot 2"), "{out}");
    let devices = app.provider.devices.list(&id).await.unwrap();
    assert!(devices.iter().all(|d| d.revoked_at.is_some()));
    let (code, _) = oneid(
        &storage,
        &[
            "users",
            "forget-devices",
            "--login-id",
            "No.One@ONEID.ON.CA",
        ],
        "",
    )
    .await;
    assert_ne!(code, 0);
}

#[tokio::test]
async fn an_administrator_registers_a_viewer_with_logout_uris() {
    let storage = fresh_storage().await;
    let (code, out) = oneid(
        &storage,
        &["services", "add", "--id", "otn", "--name", "OTN Hub"],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let add = |id: &'static str, bc: &'static str| {
        let storage = storage.clone();
        async move {
            oneid(
                &storage,
                &[
                    "clients",
                    "add",
                    "--client-id",
                    id,
                    "--name",
                    "OTN Hub",
                    "--redirect-uri",
                    "https://otnhub.example/cb",
                    "--backchannel-logout-uri",
                    bc,
                    "--frontchannel-logout-uri",
                    "https://otnhub.example/frontchannel-logout",
                    "--service",
                    "otn",
                ],
                "",
            )
            .await
        }
    };
    let (code, out) = add("otnhub", "https://otnhub.example/backchannel-logout").await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = add("plain-http", "http://otnhub.example/backchannel-logout").await;
    assert_eq!(code, 1, "plain http only on loopback: {out}");
    let (code, out) = oneid(&storage, &["clients", "list"], "").await;
    assert_eq!(code, 0);
    assert!(
        out.contains("\tbackchannel_logout_uri=https://otnhub.example/backchannel-logout"),
        "{out}"
    );
    assert!(
        out.contains("\tfrontchannel_logout_uri=https://otnhub.example/frontchannel-logout"),
        "{out}"
    );
    assert!(!out.contains("plain-http"));
}

#[tokio::test]
async fn an_administrator_registers_a_fhir_server_and_allows_a_viewer_some_of_its_scopes() {
    let storage = fresh_storage().await;
    let fhir = "https://fhir.example.on.ca/r4";
    for args in [
        &["services", "add", "--id", "otn", "--name", "OTN Hub"][..],
        &[
            "clients",
            "add",
            "--client-id",
            "med-viewer",
            "--name",
            "Medication viewer",
            "--redirect-uri",
            "https://meds.example/cb",
            "--scope",
            "openid",
            "--service",
            "otn",
        ],
        &[
            "resources",
            "add",
            "--id",
            "fhir",
            "--name",
            "Provincial FHIR server",
            "--audience",
            fhir,
            "--scope",
            "patient/*.rs",
            "--scope",
            "user/*.rs",
        ],
    ] {
        let (code, out) = oneid(&storage, args, "").await;
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    // Scopes wider than the server accepts, or malformed, are refused.
    let (code, out) = oneid(
        &storage,
        &[
            "resources",
            "allow",
            "med-viewer",
            "fhir",
            "--scope",
            "patient/Observation.cruds",
        ],
        "",
    )
    .await;
    assert_eq!(code, 1, "{out}");
    let (code, out) = oneid(
        &storage,
        &[
            "resources",
            "add",
            "--id",
            "bad",
            "--name",
            "Bad",
            "--audience",
            "https://bad.example",
            "--scope",
            "patient/Observations.rs",
        ],
        "",
    )
    .await;
    assert_eq!(code, 1, "{out}");
    let (code, out) = oneid(
        &storage,
        &[
            "resources",
            "allow",
            "med-viewer",
            "fhir",
            "--scope",
            "patient/Observation.rs",
            "--scope",
            "patient/MedicationRequest.rs",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("patient/Observation.rs patient/MedicationRequest.rs"),
        "{out}"
    );
    let (code, out) = oneid(&storage, &["resources", "list"], "").await;
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "fhir\t{fhir}\tProvincial FHIR server\tpatient/*.rs user/*.rs"
        )),
        "{out}"
    );
    let (code, out) = oneid(
        &storage,
        &["resources", "disallow", "med-viewer", "fhir"],
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = oneid(
        &storage,
        &["resources", "disallow", "med-viewer", "fhir"],
        "",
    )
    .await;
    assert_eq!(code, 1, "already taken back: {out}");
    let (code, out) = oneid(&storage, &["resources", "remove", "fhir"], "").await;
    assert_eq!(code, 0, "{out}");
    let (_, out) = oneid(&storage, &["resources", "list"], "").await;
    assert!(!out.contains("fhir"), "{out}");
}
