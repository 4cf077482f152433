//! Trusted registries administered end to end, through the admin JSON API
//! (`/admin/api/registries*`, a client's `oneid:admin` token) and through the command line
//! (`oneid registries ...`, run in-process on the server's storage): add with a key, update,
//! suspend, reinstate, terminate, add and rotate keys, and terminated registrations imported.
//! Every change is checked where it matters, at the registry's hand-offs (`POST /register`)
//! and at the accounts, and in the audit trail.

use josekit::jws::{JwsHeader, ES256};
use oneid_tests::api::{http, Answer};
use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{fresh_storage, spawn_app, spawn_on, Storage, TestApp};
use platform::{Clock, ManualClock};
use registration::Service;
use serde_json::{json, Value};
use std::sync::Arc;

const SPONSOR: &str = "cpso-members";
const PASSWORD: &str = "Night-Rounds-2026";

/// A fresh ES256 key pair: (private PKCS#8 PEM, public SPKI PEM).
fn key_pair() -> (String, String) {
    let pair = ES256.generate_key_pair().unwrap();
    (
        String::from_utf8(pair.to_pem_private_key()).unwrap(),
        String::from_utf8(pair.to_pem_public_key()).unwrap(),
    )
}

/// A hand-off of member `number` by registry `iss` (college CPSO), signed with `private`.
fn handoff(app: &TestApp, iss: &str, private: &str, kid: Option<&str>, number: &str) -> String {
    handoff_of_class(app, iss, private, kid, number, None)
}

/// The same, for a member of registration class `class`.
fn handoff_of_class(
    app: &TestApp,
    iss: &str,
    private: &str,
    kid: Option<&str>,
    number: &str,
    class: Option<&str>,
) -> String {
    let now = app.clock.now();
    let mut claims = json!({
        "iss": iss, "aud": app.base, "sub": format!("m-{number}"),
        "jti": platform::crypto::random_token(16), "iat": now, "exp": now + 300,
        "college": "CPSO", "registration_number": number, "given_name": "Amara",
        "family_name": format!("Mensah{number}"), "gender": "Female", "birthdate": "1980-02-03",
        "consent_version": "c-2026", "consent_at": now,
    });
    if let Some(c) = class {
        claims["registration_class"] = json!(c);
    }
    let mut header = JwsHeader::new();
    header.set_token_type("oneid-handoff+jwt");
    if let Some(k) = kid {
        header.set_key_id(k);
    }
    let signer = ES256.signer_from_pem(private.as_bytes()).unwrap();
    josekit::jws::serialize_compact(&serde_json::to_vec(&claims).unwrap(), &header, &signer)
        .unwrap()
}

/// Offers a hand-off at `/register`: the status (303 accepted, 403 registry refused, 400 bad).
async fn offer(app: &TestApp, token: &str) -> u16 {
    http()
        .post(format!("{}/register", app.base))
        .form(&[("assertion", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The sponsor and two services (AL1 `viewer`, AL1 `otn`) a registry can name.
async fn directory(app: &TestApp) {
    let dir = &app.provider.registration.directory;
    dir.put_organization(SPONSOR, "CPSO members").await.unwrap();
    for (id, name) in [("viewer", "ClinicalViewer"), ("otn", "OTN Hub")] {
        dir.put_service(&Service {
            id: id.into(),
            name: name.into(),
            url: None,
            min_assurance_level: 1,
        })
        .await
        .unwrap();
    }
}

/// Registers member `number` of `registry` as a self-registration does (the signed hand-off
/// verified and used, then the account, registry record and enrolments in one transaction),
/// signs in at the relying party `viewer` and returns (account id, its browser, a refresh
/// token).
async fn registered_and_signed_in(
    app: &TestApp,
    registry: &str,
    private: &str,
    number: &str,
) -> (String, Browser, String) {
    let p = &app.provider;
    let h = p
        .registration
        .verifier(&app.base)
        .accept_handoff(&handoff(app, registry, private, None, number))
        .await
        .unwrap();
    let done = p
        .registration
        .complete(
            &h,
            credential_store::NewAccount {
                given_name: "Amara".into(),
                family_name: format!("Mensah{number}"),
                email: Some("amara@example.org".into()),
                password: PASSWORD.into(),
                ..Default::default()
            },
            "2026-01",
        )
        .await
        .unwrap();
    let rp = Rp::discover(
        &app.add_client_with("viewer", |n| n.service_id = Some("viewer".into()))
            .await,
    )
    .await;
    let b = Browser::new();
    let t = rp.login(&b, &done.login_id, PASSWORD).await;
    (done.account_id, b, t.refresh_token().unwrap())
}

/// A refresh-token grant by `viewer`: its status, and the new refresh token.
async fn refresh(app: &TestApp, token: &str) -> (u16, Option<String>) {
    let r = http()
        .post(format!("{}/token", app.base))
        .basic_auth("viewer", Some("viewer-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (status, v["refresh_token"].as_str().map(str::to_owned))
}

/// Whether the account's SSO session still lets it into `viewer` without a password.
async fn still_signed_in(app: &TestApp, b: &Browser) -> bool {
    let rp = Rp::discover(&oneid_tests::RpConfig {
        client_id: "viewer".into(),
        secret: Some("viewer-secret".into()),
        redirect_uri: "http://127.0.0.1:9/viewer/cb".into(),
        issuer: app.base.clone(),
    })
    .await;
    !b.get(&rp.start(&["profile"], &[]).url)
        .await
        .is_login_page()
}

/// The actor of the newest audit row `event`.
async fn actor_of(app: &TestApp, event: &str) -> Option<String> {
    app.audit(event).await.first().and_then(|r| r.actor.clone())
}

mod api;
mod approvals;
mod cli;
