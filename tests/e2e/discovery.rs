//! Discovery, JWKS, health and readiness, and the key ring surviving a restart.

use oneid_tests::{fresh_storage, spawn_app, spawn_on, test_config};
use platform::ManualClock;
use std::sync::Arc;

#[tokio::test]
async fn discovery_document_publishes_what_a_certified_provider_publishes() {
    // Served under a host name, where passkeys (and so the `:phr` rungs) exist.
    let app = oneid_tests::spawn_localhost_with(|_| {}).await;
    let r = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let d: serde_json::Value = r.json().await.unwrap();
    let base = &app.base;
    assert_eq!(d["issuer"], base.as_str());
    for (k, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/logout"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
    ] {
        assert_eq!(d[k], format!("{base}{path}"), "{k}");
    }
    let has = |k: &str, v: &str| {
        d[k].as_array()
            .unwrap_or_else(|| panic!("{k} must be an array"))
            .iter()
            .any(|x| x == v)
    };
    assert!(has("scopes_supported", "openid"));
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert!(has("subject_types_supported", "public"));
    for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
        assert!(has("id_token_signing_alg_values_supported", alg));
    }
    for m in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ] {
        assert!(has("token_endpoint_auth_methods_supported", m));
    }
    for g in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(has("grant_types_supported", g));
    }
    assert!(has("acr_values_supported", "urn:oneid:loa:1"));
    // The phishing-resistant rung (a passkey), on every level.
    for l in 1..=3 {
        assert!(has(
            "acr_values_supported",
            &format!("urn:oneid:loa:{l}:phr")
        ));
    }
    // On an address no passkey can be used: the rungs only a passkey reaches are not offered.
    let plain = spawn_app().await;
    let d2: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", plain.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let acrs = d2["acr_values_supported"].as_array().unwrap();
    assert!(acrs.iter().any(|a| a == "urn:oneid:loa:2:mfa"));
    assert!(
        !acrs.iter().any(|a| a.as_str().unwrap().ends_with(":phr")),
        "{d2}"
    );
    assert!(has("ui_locales_supported", "fr"));
    assert!(has("claims_supported", "login_id"));
    assert_eq!(d["claims_parameter_supported"], true);
    assert_eq!(d["request_parameter_supported"], true);
    assert_eq!(d["request_uri_parameter_supported"], false);
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn jwks_publishes_one_public_key_per_algorithm_and_no_private_parts() {
    let app = spawn_app().await;
    app.use_every_algorithm().await;
    let r = reqwest::get(format!("{}/jwks", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let j: serde_json::Value = r.json().await.unwrap();
    let keys = j["keys"].as_array().unwrap();
    for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
        let k = keys
            .iter()
            .find(|k| k["alg"] == alg)
            .unwrap_or_else(|| panic!("{alg}"));
        assert_eq!(k["use"], "sig");
        assert!(k["kid"].as_str().is_some_and(|s| !s.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(k.get(private).is_none(), "{alg} leaks {private}");
        }
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let h = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(h.status(), 200);
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["database"], "ok");
    assert_eq!(j["ephemeral_store"], "ok");
}

#[tokio::test]
async fn signing_keys_are_kept_across_restarts_and_sealed_under_the_kek() {
    let storage = fresh_storage().await;
    let first = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    let jwks1 = reqwest::get(format!("{}/jwks", first.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    drop(first);
    let second = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    let jwks2 = reqwest::get(format!("{}/jwks", second.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(jwks1, jwks2, "the same keys after a restart");
    drop(second);

    // The stored private keys are not PEM in the clear.
    let db = platform::Db::connect(&storage.db_url, 1).await.unwrap();
    use sqlx::Row;
    for row in sqlx::query("SELECT private_key FROM signing_keys")
        .fetch_all(db.pool())
        .await
        .unwrap()
    {
        let sealed: Vec<u8> = row.try_get("private_key").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("PRIVATE KEY"));
    }
    db.close().await;

    // A different key-encryption key cannot open them: start-up fails and says why.
    let mut cfg = test_config(&storage);
    cfg.keys.kek = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [9u8; 32]);
    let err = match oneid::build(&cfg, oneid::Parts::default()).await {
        Ok(_) => panic!("start-up must fail with the wrong key-encryption key"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("key-encryption key"), "{err}");
}

#[tokio::test]
async fn the_documents_answered_before_the_router_carry_its_headers_and_are_counted() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    for path in ["/jwks", "/.well-known/openid-configuration"] {
        let url = format!("{}{path}", app.base);
        // GET is answered by the accept loop's fast path, HEAD by the router's handler.
        let get = http.get(&url).send().await.unwrap();
        let head = http.head(&url).send().await.unwrap();
        assert_eq!(get.status(), 200, "{path}");
        assert_eq!(head.status(), 200, "{path}");
        for h in [
            "content-type",
            "cache-control",
            "access-control-allow-origin",
        ] {
            assert_eq!(get.headers().get(h), head.headers().get(h), "{path} {h}");
        }
        let body = get.text().await.unwrap();
        assert!(body.starts_with('{'), "{path}: {body}");
        // Other methods still get the router's answer.
        let post = http.post(&url).send().await.unwrap();
        assert_eq!(post.status(), 405, "{path}");
    }
    let metrics = app.metrics().await;
    for route in ["/jwks", "/.well-known/openid-configuration"] {
        let line = format!("oneid_http_requests_total{{route=\"{route}\",status=\"200\"}} 2\n");
        assert!(
            metrics.contains(&line),
            "{route} counted once per answer:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn the_smart_configuration_lists_only_what_is_supported() {
    // SMART App Launch 2.2: a SMART app reads its endpoints and what it may rely on here. It
    // must agree with the OpenID Connect discovery, never offer `plain` PKCE, and claim only
    // what the provider does: each capability is checked against the provider itself (its
    // discovery's real lists, or a request).
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/.well-known/smart-configuration", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let smart: serde_json::Value = r.json().await.unwrap();
    let oidc: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    for k in [
        "issuer",
        "jwks_uri",
        "authorization_endpoint",
        "token_endpoint",
        "scopes_supported",
        "response_types_supported",
        "introspection_endpoint",
        "revocation_endpoint",
        "pushed_authorization_request_endpoint",
        "require_pushed_authorization_requests",
        "code_challenge_methods_supported",
        "token_endpoint_auth_signing_alg_values_supported",
    ] {
        assert_eq!(smart[k], oidc[k], "{k}");
    }
    // SMART Backend Services: signed assertions and client credentials.
    let listed = |k: &str, v: &str| smart[k].as_array().unwrap().iter().any(|x| x == v);
    assert!(listed(
        "token_endpoint_auth_methods_supported",
        "private_key_jwt"
    ));
    assert!(listed("grant_types_supported", "client_credentials"));
    assert_eq!(
        smart["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let caps: Vec<&str> = smart["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let real = |k: &str, v: &str| oidc[k].as_array().unwrap().iter().any(|x| x == v);
    // What SMART requires of a capability, against what the provider really supports.
    assert_eq!(
        caps.contains(&"client-confidential-asymmetric"),
        real("token_endpoint_auth_signing_alg_values_supported", "RS384")
            || real("token_endpoint_auth_signing_alg_values_supported", "ES384"),
        "asymmetric client authentication needs RS384 or ES384"
    );
    assert_eq!(
        caps.contains(&"sso-openid-connect"),
        real("claims_supported", "fhirUser"),
        "SMART's OpenID Connect needs the fhirUser claim"
    );
    assert!(caps.contains(&"permission-offline") && real("scopes_supported", "offline_access"));
    assert!(
        caps.contains(&"client-public") && real("token_endpoint_auth_methods_supported", "none")
    );
    assert!(
        caps.contains(&"client-confidential-symmetric")
            && real(
                "token_endpoint_auth_methods_supported",
                "client_secret_basic"
            )
    );
    // The EHR launch (tests/e2e/smart_launch.rs), the standalone launch's patient and
    // encounter pickers (smart_standalone.rs) and the scope grammar (smart_scopes).
    for c in [
        "launch-ehr",
        "launch-standalone",
        "context-standalone-patient",
        "context-standalone-encounter",
        "context-ehr-patient",
        "context-ehr-encounter",
        "context-banner",
        "context-style",
        "permission-v1",
        "permission-v2",
    ] {
        assert!(caps.contains(&c), "{c}");
    }
    for s in ["launch", "launch/patient", "launch/encounter"] {
        assert!(listed("scopes_supported", s), "{s}");
    }
    assert!(caps.contains(&"permission-online") && listed("scopes_supported", "online_access"));
    // Nothing else: every capability claimed is one of those checked here.
    let known = [
        "authorize-post",
        "client-public",
        "client-confidential-symmetric",
        "client-confidential-asymmetric",
        "sso-openid-connect",
        "launch-ehr",
        "launch-standalone",
        "context-standalone-patient",
        "context-standalone-encounter",
        "context-ehr-patient",
        "context-ehr-encounter",
        "context-banner",
        "context-style",
        "permission-offline",
        "permission-online",
        "permission-patient",
        "permission-user",
        "permission-v1",
        "permission-v2",
    ];
    let unknown: Vec<&&str> = caps.iter().filter(|c| !known.contains(c)).collect();
    assert!(unknown.is_empty(), "claims {unknown:?}");
    // `authorize-post`: an authorization request posted as a form is answered like a GET
    // (the login page).
    assert!(caps.contains(&"authorize-post"));
    let rp = app.add_client("smart-app").await;
    let post_authorize = |base: String| {
        let rp = rp.clone();
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(format!("{base}/authorize"))
                .form(&[
                    ("response_type", "code"),
                    ("client_id", rp.client_id.as_str()),
                    ("redirect_uri", rp.redirect_uri.as_str()),
                    ("scope", "openid"),
                    ("state", "s1"),
                    (
                        "code_challenge",
                        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                    ),
                    ("code_challenge_method", "S256"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let posted = post_authorize(app.base.clone()).await;
    let status = posted.status();
    let body = posted.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("name=\"password\""), "the login page: {body}");

    // Where every request must be pushed first, a posted one is not an authorization request:
    // the document says so and drops `authorize-post`.
    let strict = oneid_tests::spawn_app_with(|c| c.clients.require_par = true).await;
    let smart: serde_json::Value =
        reqwest::get(format!("{}/.well-known/smart-configuration", strict.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(smart["require_pushed_authorization_requests"], true);
    assert!(!smart["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "authorize-post"));
}
