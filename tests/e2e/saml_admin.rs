//! Administering the SAML IdP: service providers registered from metadata through the CLI
//! (a file) and the admin API (inline or by URL), listed and removed, each change audited;
//! the SAML signing keys rotated in two steps with the metadata following.

use authorization_server::saml::keys::generate_key;
use oneid_tests::{fresh_storage, spawn_on, Storage, TestApp, TEST_SERVICE};
use platform::ManualClock;
use serde_json::{json, Value};
use std::sync::Arc;

fn sp_metadata(entity: &str, acs: &str) -> String {
    let key = generate_key("sp", 2048, 0).unwrap();
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" entityID="{entity}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true">
    <md:Extensions><mdui:UIInfo><mdui:DisplayName xml:lang="en">Diagnostic Imaging Viewer</mdui:DisplayName></mdui:UIInfo></md:Extensions>
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://di.example/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://di.example/artifact" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="1" isDefault="true"/>
    <md:AttributeConsumingService index="0"><md:ServiceName xml:lang="en">DI</md:ServiceName>
      <md:RequestedAttribute Name="urn:oid:0.9.2342.19200300.100.1.1"/><md:RequestedAttribute Name="urn:oneid:attribute:levelOfAssurance"/><md:RequestedAttribute Name="urn:x:unknown"/>
    </md:AttributeConsumingService>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#,
        c = key.cert_b64
    )
}

/// Runs the command line (see `Storage::cli`).
async fn oneid(storage: &Storage, args: &[&str]) -> (i32, String) {
    storage.cli(args, "").await
}

async fn metadata(app: &TestApp) -> String {
    reqwest::get(format!("{}/saml/metadata", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cli_registers_lists_and_removes_service_providers_and_rotates_saml_keys() {
    let storage = fresh_storage().await;
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    app.test_service().await;
    let file = std::env::temp_dir().join(format!("sp-{}.xml", platform::crypto::random_token(6)));
    std::fs::write(
        &file,
        sp_metadata("https://di.example/sp", "https://di.example/acs"),
    )
    .unwrap();
    // An SP signs people in: without a service it is not registered.
    let (code, _) = oneid(
        &storage,
        &["saml-sps", "add", "--metadata", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(app.count("saml_sps").await, 0);
    let (code, out) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--service",
            TEST_SERVICE,
            "--metadata",
            file.to_str().unwrap(),
            "--allow-idp-initiated",
            "--encrypt",
            "--sign-response",
        ],
    )
    .await;
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("registered https://di.example/sp (Diagnostic Imaging Viewer)"),
        "{out}"
    );
    // Only the HTTP-POST ACS; the transient format and the attributes the metadata asks for.
    assert!(
        out.contains("ACS https://di.example/acs (index 1)"),
        "{out}"
    );
    assert!(!out.contains("artifact"));
    assert!(out.contains("NameID urn:oasis:names:tc:SAML:2.0:nameid-format:transient"));
    assert!(out.contains("attributes uid, levelOfAssurance"), "{out}");
    let sp = app
        .provider
        .saml
        .sps
        .get("https://di.example/sp")
        .await
        .unwrap()
        .unwrap();
    assert!(sp.encrypt_assertions && sp.sign_response && sp.allow_idp_initiated);
    assert!(sp.want_signed_requests);
    let (code, out) = oneid(&storage, &["saml-sps", "list"]).await;
    assert_eq!(code, 0);
    assert!(
        out.starts_with("https://di.example/sp\tDiagnostic Imaging Viewer"),
        "{out}"
    );
    assert_eq!(app.audit("saml.sp_added").await.len(), 1);
    // The same entityID twice; metadata that is not an SP's; a service that does not exist.
    let file = std::env::temp_dir().join(format!("sp-{}.xml", platform::crypto::random_token(6)));
    std::fs::write(
        &file,
        sp_metadata("https://di.example/sp", "https://di.example/acs"),
    )
    .unwrap();
    let (code, _) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--service",
            TEST_SERVICE,
            "--metadata",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 1);
    let (code, _) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--metadata",
            file.to_str().unwrap(),
            "--service",
            "nope",
        ],
    )
    .await;
    assert_eq!(code, 1);
    std::fs::write(&file, "<!DOCTYPE x><x/>").unwrap();
    let (code, _) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--service",
            TEST_SERVICE,
            "--metadata",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 1);
    std::fs::remove_file(&file).unwrap();
    let (code, out) = oneid(&storage, &["saml-sps", "remove", "https://di.example/sp"]).await;
    assert_eq!((code, out.trim()), (0, "removed https://di.example/sp"));
    assert_eq!(app.audit("saml.sp_removed").await.len(), 1);

    // Keys: one active; rotate publishes a next key (metadata: two), activate makes it sign.
    let before = metadata(&app).await;
    assert_eq!(before.matches("<md:KeyDescriptor").count(), 1);
    let (code, out) = oneid(&storage, &["saml-keys", "rotate"]).await;
    assert_eq!(code, 0, "{out}");
    let next = out.split_whitespace().next().unwrap().to_owned();
    let (code, _) = oneid(&storage, &["saml-keys", "rotate"]).await;
    assert_eq!(code, 1, "one next key at a time");
    let keys = app.provider.saml.keys.as_ref().unwrap();
    keys.reload().await.unwrap(); // what every node's poll does
    let m = metadata(&app).await;
    assert_eq!(m.matches("<md:KeyDescriptor").count(), 2);
    assert!(m.contains(&format!("<ds:KeyName>{next}</ds:KeyName>")));
    let old = app.provider.saml.signing_key().unwrap().kid.clone();
    assert_ne!(old, next, "the next key does not sign yet");
    let (code, out) = oneid(&storage, &["saml-keys", "activate"]).await;
    assert_eq!(
        (code, out.trim()),
        (0, format!("{next} signs now").as_str())
    );
    keys.reload().await.unwrap();
    assert_eq!(app.provider.saml.signing_key().unwrap().kid, next);
    oneid_tests::saml::xmlsec_verify(
        &app,
        &metadata(&app).await,
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
    );
    let (code, out) = oneid(&storage, &["saml-keys", "list"]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("{next}\tactive")) && out.contains(&format!("{old}\tretired")),
        "{out}"
    );
    let (code, _) = oneid(&storage, &["saml-keys", "remove", &next]).await;
    assert_eq!(code, 1, "the active key stays");
    let (code, _) = oneid(&storage, &["saml-keys", "remove", &old]).await;
    assert_eq!(code, 0);
    keys.reload().await.unwrap();
    assert_eq!(metadata(&app).await.matches("<md:KeyDescriptor").count(), 1);
}

#[tokio::test]
async fn the_admin_api_registers_service_providers_inline_or_by_metadata_url() {
    let app = oneid_tests::spawn_app().await;
    app.test_service().await;
    let http = reqwest::Client::new();
    let api = format!("{}/admin/api/saml/sps", app.base);
    assert_eq!(http.get(&api).send().await.unwrap().status(), 401);
    let token = app.client_token("oneid:admin").await;

    // Inline metadata.
    let r = http
        .post(&api)
        .bearer_auth(&token)
        .json(&json!({
            "metadata": sp_metadata("https://di.example/sp", "https://di.example/acs"),
            "service_id": TEST_SERVICE,
            "name": "DI Viewer",
            "attributes": ["uid", "mail"],
            "nameid_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "DI Viewer");
    assert_eq!(v["attributes"], json!(["uid", "mail"]));
    assert_eq!(v["acs"][0]["location"], "https://di.example/acs");
    // Again: 409. An unknown attribute: 400.
    let r = http
        .post(&api)
        .bearer_auth(&token)
        .json(
            &json!({ "metadata": sp_metadata("https://di.example/sp", "https://di.example/acs"), "service_id": TEST_SERVICE }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = http
        .post(&api)
        .bearer_auth(&token)
        .json(&json!({
            "metadata": sp_metadata("https://x.example/sp", "https://x.example/acs"),
            "service_id": TEST_SERVICE,
            "attributes": ["ssn"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // By URL: the SP publishes its metadata.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let doc = sp_metadata(&format!("{base}/sp"), &format!("{base}/acs"));
    let router = axum::Router::new().route(
        "/metadata",
        axum::routing::get(move || {
            let d = doc.clone();
            async move { d }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let r = http
        .post(&api)
        .bearer_auth(&token)
        .json(&json!({ "metadata_url": format!("{base}/metadata"), "service_id": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an SP belongs to a service");
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("belongs to a service"),
        "{v}"
    );
    let r = http
        .post(&api)
        .bearer_auth(&token)
        .json(&json!({ "metadata_url": format!("{base}/metadata"), "service_id": TEST_SERVICE }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let list: Value = http
        .get(&api)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["service_providers"].as_array().unwrap().len(), 2);
    let one = format!(
        "{api}/{}",
        url::form_urlencoded::byte_serialize(format!("{base}/sp").as_bytes()).collect::<String>()
    );
    let r = http.get(&one).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.delete(&one).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = http.delete(&one).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let added = app.audit("saml.sp_added").await;
    assert_eq!(added.len(), 2);
    assert_eq!(added[0].actor.as_deref(), Some("client:ops-oneid-admin"));
}

/// Serves `doc` at `/metadata` on a loopback port (the document can be swapped); returns the
/// base URL.
async fn serve_metadata(doc: Arc<std::sync::Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/metadata",
        axum::routing::get(move || {
            let d = doc.lock().unwrap().clone();
            async move { d }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test]
async fn the_cli_registers_from_a_metadata_url_and_updates_in_place_keeping_name_ids() {
    let storage = fresh_storage().await;
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    app.test_service().await;
    let sub = app.add_clinician().await;
    let doc = Arc::new(std::sync::Mutex::new(String::new()));
    let base = serve_metadata(doc.clone()).await;
    let entity = format!("{base}/sp");
    *doc.lock().unwrap() = sp_metadata(&entity, &format!("{base}/acs"));
    let url = format!("{base}/metadata");

    // Registered from the SP's URL (plain http: it is on loopback).
    let (code, out) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--service",
            TEST_SERVICE,
            "--metadata",
            &url,
            "--allow-idp-initiated",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("registered {entity}")), "{out}");
    let sps = &app.provider.saml.sps;
    let before = sps.get(&entity).await.unwrap().unwrap();
    let name_id = sps.persistent_id(&sub, &entity).await.unwrap();

    // The SP rotates its key and moves its ACS: `update` reads its metadata again.
    *doc.lock().unwrap() = sp_metadata(&entity, &format!("{base}/acs2"));
    let (code, out) = oneid(
        &storage,
        &["saml-sps", "update", "--metadata", &url, "--name", "DI 2"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("updated {entity} (DI 2)")), "{out}");
    let after = app
        .provider
        .saml
        .sps
        .update(&entity, Default::default()) // no change: reads it fresh, past the cache
        .await
        .unwrap()
        .unwrap();
    assert_ne!(after.signing_certs, before.signing_certs, "the new key");
    assert_eq!(after.acs[0].location, format!("{base}/acs2"));
    assert!(
        after.allow_idp_initiated,
        "the administrator's choices stay"
    );
    assert_eq!(after.name, "DI 2");
    assert_eq!(
        sps.persistent_id(&sub, &entity).await.unwrap(),
        name_id,
        "the NameID the SP knows the person by stays"
    );
    assert_eq!(app.count("saml_persistent_ids").await, 1);
    let updated = app.audit("saml.sp_updated").await;
    assert_eq!(updated.len(), 1);
    let detail = updated[0].detail.as_deref().unwrap();
    assert!(
        detail.contains(" -> ") && detail.contains("(metadata refreshed)"),
        "{detail}"
    );

    // Choices alone, by entityID; a service that does not exist; another SP's metadata.
    let (code, out) = oneid(
        &storage,
        &["saml-sps", "update", &entity, "--require-mfa", "true"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (code, _) = oneid(
        &storage,
        &["saml-sps", "update", &entity, "--service", "nope"],
    )
    .await;
    assert_eq!(code, 1);
    *doc.lock().unwrap() = sp_metadata(&format!("{base}/other"), &format!("{base}/acs"));
    let (code, _) = oneid(
        &storage,
        &["saml-sps", "update", &entity, "--metadata", &url],
    )
    .await;
    assert_eq!(code, 1, "the metadata is for another entityID");
    let (code, _) = oneid(
        &storage,
        &[
            "saml-sps",
            "update",
            "https://nobody.example/sp",
            "--name",
            "x",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(app.audit("saml.sp_updated").await.len(), 2);

    // Metadata over plain http from anywhere but loopback is refused before any fetch, and
    // keys under 2048 bits are refused.
    let (code, _) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--service",
            TEST_SERVICE,
            "--metadata",
            "http://sp.example/metadata",
        ],
    )
    .await;
    assert_eq!(code, 1);
    let small = generate_key("small", 1024, 0).unwrap();
    let md = sp_metadata("https://weak.example/sp", "https://weak.example/acs");
    let weak = md.replace(&sp_cert(&md), &small.cert_b64);
    let file = std::env::temp_dir().join(format!("sp-{}.xml", platform::crypto::random_token(6)));
    std::fs::write(&file, &weak).unwrap();
    let (code, _) = oneid(
        &storage,
        &[
            "saml-sps",
            "add",
            "--service",
            TEST_SERVICE,
            "--metadata",
            file.to_str().unwrap(),
        ],
    )
    .await;
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, 1);
    assert!(app
        .provider
        .saml
        .sps
        .get("https://weak.example/sp")
        .await
        .unwrap()
        .is_none());

    // Removing the SP, unlike updating it, forgets the NameIDs it was given.
    let (code, _) = oneid(&storage, &["saml-sps", "remove", &entity]).await;
    assert_eq!(code, 0);
    assert_eq!(app.count("saml_persistent_ids").await, 0);
}

/// The certificate in `sp_metadata`'s output.
fn sp_cert(md: &str) -> String {
    let start = md.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = md[start..].find("</ds:X509Certificate>").unwrap() + start;
    md[start..end].to_owned()
}

#[tokio::test]
async fn the_admin_api_updates_a_service_provider_in_place() {
    let app = oneid_tests::spawn_app().await;
    app.test_service().await;
    let sub = app.add_clinician().await;
    let http = reqwest::Client::new();
    let api = format!("{}/admin/api/saml/sps", app.base);
    let token = app.client_token("oneid:admin").await;
    let r = http
        .post(&api)
        .bearer_auth(&token)
        .json(&json!({
            "metadata": sp_metadata("https://di.example/sp", "https://di.example/acs"),
            "service_id": TEST_SERVICE,
            "sign_response": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let name_id = app
        .provider
        .saml
        .sps
        .persistent_id(&sub, "https://di.example/sp")
        .await
        .unwrap();
    let one = format!(
        "{api}/{}",
        url::form_urlencoded::byte_serialize(b"https://di.example/sp").collect::<String>()
    );
    let fresh = sp_metadata("https://di.example/sp", "https://di.example/acs-new");
    let r = http
        .put(&one)
        .bearer_auth(&token)
        .json(&json!({ "metadata": fresh, "require_mfa": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["acs"][0]["location"], "https://di.example/acs-new");
    assert_eq!(v["signing_certs"][0], sp_cert(&fresh));
    assert_eq!(v["require_mfa"], true);
    assert_eq!(v["sign_response"], true, "unchanged when not given");
    assert_eq!(
        app.provider
            .saml
            .sps
            .persistent_id(&sub, "https://di.example/sp")
            .await
            .unwrap(),
        name_id
    );
    // Unknown SP: 404; a bad choice: 400 and nothing changed; http from afar: 400.
    let r = http
        .put(format!("{api}/https%3A%2F%2Fnobody.example"))
        .bearer_auth(&token)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for body in [
        json!({ "service_id": null }),
        json!({ "nameid_format": "urn:x" }),
        json!({ "metadata_url": "http://sp.example/metadata" }),
        json!({ "encrypt_assertions": true, "metadata": sp_metadata("https://di.example/sp", "https://di.example/acs").replace("use=\"encryption\"", "use=\"signing\"") }),
    ] {
        let r = http
            .put(&one)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let v: Value = http
        .get(&one)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["acs"][0]["location"], "https://di.example/acs-new");
    assert_eq!(v["encrypt_assertions"], false);
    assert_eq!(app.audit("saml.sp_updated").await.len(), 1);
    assert_eq!(
        app.audit("saml.sp_updated").await[0].actor.as_deref(),
        Some("client:ops-oneid-admin")
    );
}
