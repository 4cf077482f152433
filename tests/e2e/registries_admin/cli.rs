//! The command line (`oneid registries ...`, run in-process on the server's storage): add
//! with a key, show, list, update, suspend, reinstate, add and rotate keys, import a file of
//! terminated registrations, terminate.

use super::*;

/// Runs the command line (see `Storage::cli`).
async fn oneid(storage: &Storage, args: &[&str]) -> (i32, String) {
    storage.cli(args, "").await
}

/// Writes `text` to a fresh file in `dir`; its path.
fn file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_command_line_manages_a_registry_and_imports_a_terminations_file() {
    let storage = fresh_storage().await;
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    directory(&app).await;
    let dir = std::env::temp_dir().join(format!("oneid-reg-{}", platform::crypto::random_token(6)));
    std::fs::create_dir_all(&dir).unwrap();
    let (k1, k1_public) = key_pair();
    let (k2, k2_public) = key_pair();
    let (k3, k3_public) = key_pair();
    let k1_file = file(&dir, "k1.pub", &k1_public);

    // A private key is refused; then the registry is added with its public key.
    let private_file = file(&dir, "k1.pem", &k1);
    let base = [
        "registries",
        "add",
        "--id",
        "cpso",
        "--name",
        "CPSO register",
        "--owner",
        "CPSO",
        "--contact",
        "registrar@cpso.example",
        "--college",
        "CPSO",
        "--assurance-level",
        "AL2",
        "--approval",
        "limited",
        "--approved-from",
        "2020-01-01",
        "--approved-until",
        "2999-12-31",
        "--sponsor",
        SPONSOR,
        "--service",
        "viewer",
        "--alg",
        "ES256",
        "--kid",
        "k1",
        "--public-key",
    ];
    let (code, _) = oneid(&storage, &[&base[..], &[private_file.as_str()]].concat()).await;
    assert_eq!(code, 1, "a private key");
    // No sponsor, no registry (004 §5.6).
    let unsponsored: Vec<&str> = base
        .iter()
        .copied()
        .filter(|a| *a != "--sponsor" && *a != SPONSOR)
        .chain([k1_file.as_str()])
        .collect();
    let (code, out) = oneid(&storage, &unsponsored).await;
    assert_eq!(code, 2, "no sponsor: a usage error: {out}");
    assert!(app
        .provider
        .registration
        .registries
        .get("cpso")
        .await
        .unwrap()
        .is_none());
    let (code, out) = oneid(&storage, &[&base[..], &[k1_file.as_str()]].concat()).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("added registry cpso (CPSO, AL2, limited approval, approved)"),
        "{out}"
    );
    assert!(out.contains("key k1 (ES256) accepted"), "{out}");
    assert_eq!(
        actor_of(&app, "registry.added").await.as_deref(),
        Some("cli")
    );
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, Some("k1"), "4001")).await,
        303
    );

    let (code, out) = oneid(&storage, &["registries", "show", "cpso"]).await;
    assert_eq!(code, 0);
    for line in [
        "approval:        limited",
        "approved from:   2020-01-01 00:00:00 UTC",
        "approved until:  2999-12-31 23:59:59 UTC",
        "services:        viewer",
        "  k1  ES256  added ",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    let (_, out) = oneid(&storage, &["registries", "list"]).await;
    assert!(
        out.starts_with("cpso\tCPSO register\tcollege=CPSO\tlevel=AL2"),
        "{out}"
    );

    // Update: the approval window moved into the past sends no one; cleared, it does again.
    let (code, out) = oneid(
        &storage,
        &[
            "registries",
            "update",
            "cpso",
            "--name",
            "CPSO members",
            "--approved-until",
            "2021-06-30",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("name: \"CPSO register\" -> \"CPSO members\""),
        "{out}"
    );
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, None, "4002")).await,
        403
    );
    let (code, _) = oneid(
        &storage,
        &[
            "registries",
            "update",
            "cpso",
            "--approval",
            "general",
            "--approved-from",
            "none",
            "--approved-until",
            "none",
        ],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, None, "4003")).await,
        303
    );
    let (code, _) = oneid(
        &storage,
        &["registries", "update", "cpso", "--approved-until", "soon"],
    )
    .await;
    assert_eq!(code, 1, "not a date");

    // Suspend and reinstate.
    let (code, out) = oneid(&storage, &["registries", "suspend", "cpso"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("registry cpso is suspended"), "{out}");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, None, "4004")).await,
        403
    );
    let (code, out) = oneid(&storage, &["registries", "reinstate", "cpso"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("registry cpso is approved"), "{out}");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, None, "4005")).await,
        303
    );

    // A member registered through the registry, signed in with a refresh token; the
    // registry's file of terminated registrations is imported.
    let (account, b, rt) = registered_and_signed_in(&app, "cpso", &k1, "5001").await;
    // The refresh token works, and is replaced by a new one.
    let (status, rt) = refresh(&app, &rt).await;
    assert_eq!(status, 200);
    let rt = rt.unwrap();
    let list = file(
        &dir,
        "terminated.txt",
        "# CPSO, week 12\nm-5001\n\nm-5999\n  m-5001  \n",
    );
    let (code, out) = oneid(
        &storage,
        &["registries", "import-terminations", "cpso", "--file", &list],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("registry cpso: 1 terminated, 0 already terminated, 1 unknown"),
        "{out}"
    );
    assert!(
        out.contains("unknown (no account registered through cpso): m-5999"),
        "{out}"
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, credential_store::AccountStatus::Terminated);
    assert!(!still_signed_in(&app, &b).await, "the session is over");
    assert_eq!(
        refresh(&app, &rt).await.0,
        400,
        "the refresh token is refused"
    );
    assert_eq!(
        app.count(&format!(
            "refresh_tokens WHERE account_id = '{account}' AND revoked = 0"
        ))
        .await,
        0,
        "every refresh token revoked"
    );
    let ended = app.audit("account.terminated").await;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].subject.as_deref(), Some(account.as_str()));
    assert_eq!(ended[0].actor.as_deref(), Some("cli"));
    assert!(ended[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("sessions ended; refresh tokens revoked: 2"));
    let imported = app.audit("registry.terminations_imported").await;
    assert_eq!(imported[0].actor.as_deref(), Some("cli"));
    // Imported again: already terminated, nothing audited twice.
    let (_, out) = oneid(
        &storage,
        &["registries", "import-terminations", "cpso", "--file", &list],
    )
    .await;
    assert!(
        out.contains("0 terminated, 1 already terminated, 1 unknown"),
        "{out}"
    );
    assert_eq!(app.audit("account.terminated").await.len(), 1);
    // The unknown member cannot register afterwards.
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, None, "5999")).await,
        403
    );

    // Another key, then a rotation: the older keys only for the overlap.
    let k2_file = file(&dir, "k2.pub", &k2_public);
    let (code, out) = oneid(
        &storage,
        &[
            "registries",
            "add-key",
            "cpso",
            "--public-key",
            &k2_file,
            "--alg",
            "ES256",
            "--kid",
            "k2",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("its other keys stay accepted"));
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k2, Some("k2"), "4006")).await,
        303
    );
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, Some("k1"), "4007")).await,
        303
    );
    let k3_file = file(&dir, "k3.pub", &k3_public);
    let (code, out) = oneid(
        &storage,
        &[
            "registries",
            "rotate-key",
            "cpso",
            "--public-key",
            &k3_file,
            "--alg",
            "ES256",
            "--kid",
            "k3",
            "--overlap-secs",
            "300",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("now signs with key k3 (ES256)"), "{out}");
    assert_eq!(
        actor_of(&app, "registry.key_rotated").await.as_deref(),
        Some("cli")
    );
    // The command line's clock set the end of the overlap: just before it, the older keys
    // work; from it, only the new one.
    let keys = app
        .provider
        .registration
        .registries
        .keys("cpso")
        .await
        .unwrap();
    let retire = keys
        .iter()
        .find(|k| k.kid == "k1")
        .unwrap()
        .retire_at
        .unwrap();
    assert!(keys
        .iter()
        .all(|k| k.retire_at == if k.kid == "k3" { None } else { Some(retire) }));
    app.clock.set(retire - 1);
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k1, None, "4008")).await,
        303
    );
    app.clock.set(retire);
    for (key, number) in [(&k1, "4009"), (&k2, "4010")] {
        assert_eq!(
            offer(&app, &handoff(&app, "cpso", key, None, number)).await,
            400
        );
    }
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k3, None, "4011")).await,
        303
    );

    // Terminated for good.
    let (code, out) = oneid(&storage, &["registries", "terminate", "cpso"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("registry cpso is terminated from"), "{out}");
    assert!(out.contains("stay usable (general approval)"), "{out}");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &k3, None, "6001")).await,
        403
    );
    let (code, _) = oneid(&storage, &["registries", "reinstate", "cpso"]).await;
    assert_eq!(code, 1, "final");
    let (code, _) = oneid(&storage, &["registries", "suspend", "nobody"]).await;
    assert_eq!(code, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
