//! Provenance an auditor can read (004 §5.8, §6.8): for a self-registered account, an account
//! registered in person by LRAs and an affiliate of a managed registration process, the admin
//! API's account, the console's account page (English and French) and the audit export show
//! which registry or organization validated the identity under which approval, the unique
//! identifier used, the evidence recorded and which LRA recorded it, when, and every level
//! with its reason.

use super::*;
use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};
use josekit::jws::{JwsHeader, ES256};
use oneid_tests::api::{call, http};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

/// `GET /admin/api/accounts/{id}` with an `oneid:admin` token: the account's JSON.
async fn account_json(app: &TestApp, id: &str) -> Value {
    let admin = app.client_token("oneid:admin").await;
    let r = call(
        &format!("{}/admin/api", app.base),
        &admin,
        "GET",
        &format!("/accounts/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

/// A registry `cpso` (AL2, limited from `from` until `until`, sponsor ORG_A) added over the
/// admin API; returns its private key.
async fn limited_registry(app: &TestApp, from: i64, until: i64) -> String {
    let pair = ES256.generate_key_pair().unwrap();
    let private = String::from_utf8(pair.to_pem_private_key()).unwrap();
    let public = String::from_utf8(pair.to_pem_public_key()).unwrap();
    let admin = app.client_token("oneid:admin").await;
    let r = call(
        &format!("{}/admin/api", app.base),
        &admin,
        "POST",
        "/registries",
        Some(json!({
            "id": "cpso", "name": "CPSO register", "owner": "CPSO",
            "contact": "registrar@cpso.example", "college": "cpso", "assurance_level": 2,
            "approval": "limited", "approved_from": from, "approved_until": until,
            "sponsor_id": ORG_A, "services": ["otn"], "public_key_pem": public, "kid": "k1",
        })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    private
}

/// Member `m-<number>` of `cpso` self-registers (the hand-off verified and used, then the
/// account, its registry record and enrolments in one transaction); returns the account id.
async fn self_registered(app: &TestApp, private: &str, number: &str) -> String {
    let now = app.clock.now();
    let claims = json!({
        "iss": "cpso", "aud": app.base, "sub": format!("m-{number}"),
        "jti": platform::crypto::random_token(16), "iat": now, "exp": now + 300,
        "college": "CPSO", "registration_number": number, "given_name": "Amara",
        "family_name": "Mensah", "gender": "Female", "birthdate": "1980-02-03",
        "consent_version": "c-2026", "consent_at": now,
    });
    let mut header = JwsHeader::new();
    header.set_token_type("oneid-handoff+jwt");
    let signer = ES256.signer_from_pem(private.as_bytes()).unwrap();
    let token =
        josekit::jws::serialize_compact(&serde_json::to_vec(&claims).unwrap(), &header, &signer)
            .unwrap();
    let p = &app.provider;
    let h = p
        .registration
        .verifier(&app.base)
        .accept_handoff(&token)
        .await
        .unwrap();
    p.registration
        .complete(
            &h,
            credential_store::NewAccount {
                given_name: "Amara".into(),
                family_name: "Mensah".into(),
                email: Some("amara@example.org".into()),
                password: "Night-Rounds-2026".into(),
                ..Default::default()
            },
            "2026-01",
        )
        .await
        .unwrap()
        .account_id
}

#[tokio::test]
async fn the_admin_api_shows_a_self_registered_accounts_registry_approval_identifier_and_level() {
    let app = spawn_app().await;
    world(&app).await;
    let t0 = app.clock.now();
    // 2000-01-01 and 2100-01-01, 00:00 UTC.
    let (from, until) = (946_684_800, 4_102_444_800);
    assert!(from < t0 && t0 < until);
    let private = limited_registry(&app, from, until).await;
    // Its approval is reviewed and recorded (2000-01-01 to 2100-01-01, next review in a year).
    let admin = app.client_token("oneid:admin").await;
    let next = t0 + 365 * DAY;
    let review = json!({"reviewed_by": "Jo Reviewer, ONE ID Program", "decision": "limited",
                        "approved_from": from, "approved_until": until,
                        "contacts": "Registrar: registrar@cpso.example", "next_review_at": next});
    let reviews = format!("{}/admin/api", app.base);
    let r = call(
        &reviews,
        &admin,
        "POST",
        "/approvals/registry/cpso/reviews",
        Some(review.clone()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    app.clock.advance(3600);
    let registered_at = app.clock.now();
    let id = self_registered(&app, &private, "4242").await;

    let p = &account_json(&app, &id).await["provenance"];
    let sources = p["validated_by"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "the registry only: {p}");
    let s = &sources[0];
    assert_eq!(s["kind"], "registry");
    assert_eq!(s["id"], "cpso");
    assert_eq!(s["name"], "CPSO register");
    assert_eq!(s["status"], "approved");
    assert_eq!(
        s["approval"],
        json!({"kind": "limited", "from": from, "until": until, "services": ["otn"], "scope": null,
               "review": {"seq": 1, "reviewed_by": "Jo Reviewer, ONE ID Program",
                          "reviewed_at": t0, "next_review_at": next}})
    );
    // A later review does not change the approval the registration was made under.
    app.clock.advance(60);
    let mut general = review.clone();
    general["decision"] = json!("general");
    general["approved_from"] = Value::Null;
    general["approved_until"] = Value::Null;
    let admin = app.client_token("oneid:admin").await;
    let r = call(
        &reviews,
        &admin,
        "POST",
        "/approvals/registry/cpso/reviews",
        Some(general),
    )
    .await;
    assert!(r.status < 300, "{}", r.json);
    let again = &account_json(&app, &id).await["provenance"]["validated_by"][0]["approval"];
    assert_eq!(again, &s["approval"], "the review in force at registration");
    assert_eq!(s["level"], 2);
    assert_eq!(
        s["identifier"], "m-4242",
        "the registry's unique identifier"
    );
    assert_eq!(s["at"], registered_at);
    assert_eq!(s["by"]["actor"], "registry:cpso");
    assert_eq!(s["ended_at"], Value::Null);
    assert_eq!(p["evidence"], json!([]), "no LRA saw anything");
    let levels = p["level_history"].as_array().unwrap();
    assert_eq!(levels.len(), 1, "{p}");
    assert_eq!(levels[0]["from"], Value::Null);
    assert_eq!(levels[0]["to"], 2);
    assert_eq!(
        levels[0]["reason"],
        json!({"kind": "self_registration", "registry": "cpso"})
    );
    assert_eq!(levels[0]["at"], registered_at);

    // The registry's level is lowered: the account follows, and the history says why.
    app.clock.advance(DAY);
    let lowered_at = app.clock.now();
    let admin = app.client_token("oneid:admin").await;
    let r = call(
        &format!("{}/admin/api", app.base),
        &admin,
        "PATCH",
        "/registries/cpso",
        Some(json!({"assurance_level": 1})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let p = &account_json(&app, &id).await["provenance"];
    let change = &p["level_history"][1];
    assert_eq!(
        (&change["from"], &change["to"], &change["at"]),
        (&json!(2), &json!(1), &json!(lowered_at)),
        "{p}"
    );
    assert_eq!(
        change["reason"],
        json!({"kind": "source_changed", "source_kind": "registry", "source": "cpso",
               "source_from": 2, "source_to": 1, "rule": {"kind": "no_other_source"},
               "sessions_ended": true})
    );
    assert_eq!(change["by"]["actor"], "system");
    let (_, secret) = administrator(&app).await;
    let b = Browser::new();
    console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/accounts",
    )
    .await;
    let page = b.get(&format!("{}/admin/accounts/{id}", app.base)).await;
    assert!(
        page.body.contains(
            "AL2 → AL1: the level of registry CPSO register went from AL2 to AL1; no other source \
             gives more; sessions ended (by system)"
        ),
        "{}",
        page.body
    );
    assert_eq!(
        page.fact("Approval").as_deref(),
        Some("Limited, from 2000-01-01, until 2100-01-01, services: otn")
    );
    assert!(
        page.fact("Approval review")
            .unwrap()
            .starts_with("Jo Reviewer, ONE ID Program, "),
        "{}",
        page.body
    );
    assert_eq!(
        page.fact("Unique identifier used").as_deref(),
        Some("m-4242 (CPSO registration number)")
    );
    let fr = b
        .get(&format!("{}/admin/accounts/{id}?ui_locales=fr", app.base))
        .await;
    assert!(
        fr.body.contains(
            "AL2 → AL1\u{a0}: le niveau de registre CPSO register est passé de AL2 à AL1; aucune autre \
             source ne donne davantage; sessions terminées (par system)"
        ),
        "{}",
        fr.body
    );

    // The registry reports the registration terminated: the source says since when.
    app.clock.advance(DAY);
    let ended = app.clock.now();
    let admin = app.client_token("oneid:admin").await;
    let r = call(
        &format!("{}/admin/api", app.base),
        &admin,
        "POST",
        "/registries/cpso/terminations",
        Some(json!({"members": ["m-4242"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let p = &account_json(&app, &id).await["provenance"];
    assert_eq!(p["validated_by"][0]["ended_at"], ended);
}

#[tokio::test]
async fn lra_registrations_show_the_evidence_the_lra_and_each_level_change_with_its_reason() {
    let app = spawn_app().await;
    world(&app).await;
    // Sam (Sick Kids) registers Pat at AL1, without documents...
    let (b, csrf) = session(&app, LRA_B).await;
    let mut f = pat();
    f.push(("level", "1"));
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first_at = app.clock.now();
    let pat_id = account_id(&app, &r.fact("Login ID").unwrap()).await;
    // ... a day later Riley (St. Michael's) meets Pat with a passport and a birth certificate.
    app.clock.advance(DAY);
    let (b, csrf) = session(&app, LRA_A).await;
    let mut f = pat();
    f.extend(al2_evidence());
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let second_at = app.clock.now();
    let sam = account_id(&app, LRA_B).await;
    let riley = account_id(&app, LRA_A).await;

    let p = &account_json(&app, &pat_id).await["provenance"];
    let sources = p["validated_by"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "{p}");
    for (s, org, name, lra, login, at, level) in [
        (
            &sources[0],
            ORG_B,
            "The Hospital for Sick Children",
            &sam,
            LRA_B,
            first_at,
            1,
        ),
        (
            &sources[1],
            ORG_A,
            "St. Michael’s Hospital",
            &riley,
            LRA_A,
            second_at,
            2,
        ),
    ] {
        assert_eq!(s["kind"], "in_person", "{s}");
        assert_eq!(s["id"], org);
        assert_eq!(s["name"], name);
        assert_eq!(
            s["approval"],
            Value::Null,
            "no registration approval governs an LRA"
        );
        assert_eq!(s["status"], "active");
        assert_eq!(s["level"], level);
        assert_eq!(s["at"], at);
        assert_eq!(s["by"]["actor"], lra.as_str());
        assert_eq!(s["by"]["login_id"], login);
        assert_eq!(s["identifier"], Value::Null, "no organization identifier");
    }
    assert_eq!(sources[1]["by"]["name"], "Riley Alpha");
    let evidence = p["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2, "{p}");
    for (e, kind, doc, photo) in [
        (&evidence[0], "primary", "canadian_passport", true),
        (&evidence[1], "secondary", "birth_certificate", false),
    ] {
        assert_eq!(e["kind"], kind, "{e}");
        assert_eq!(e["document"], doc);
        assert_eq!(e["photo"], photo);
        assert_eq!(e["in_person"], true);
        assert_eq!(e["organization_id"], ORG_A);
        assert_eq!(e["recorded_by"]["login_id"], LRA_A);
        assert_eq!(e["recorded_by"]["name"], "Riley Alpha");
        assert_eq!(e["recorded_at"], second_at);
    }
    let levels = p["level_history"].as_array().unwrap();
    assert_eq!(levels.len(), 2, "{p}");
    assert_eq!(
        (&levels[0]["from"], &levels[0]["to"], &levels[0]["at"]),
        (&Value::Null, &json!(1), &json!(first_at))
    );
    assert_eq!(
        levels[0]["reason"],
        json!({"kind": "in_person", "organization": ORG_B})
    );
    assert_eq!(levels[0]["by"]["login_id"], LRA_B);
    assert_eq!(
        (&levels[1]["from"], &levels[1]["to"], &levels[1]["at"]),
        (&json!(1), &json!(2), &json!(second_at))
    );
    assert_eq!(
        levels[1]["reason"],
        json!({"kind": "lra_evidence", "organization": ORG_A})
    );
    assert_eq!(levels[1]["by"]["login_id"], LRA_A);

    // Evidence that supports no more than the account has changes no level.
    app.clock.advance(DAY);
    let (b, csrf) = session(&app, LRA_B).await;
    let mut f = pat();
    f.extend(al2_evidence());
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &account_json(&app, &pat_id).await["provenance"];
    assert_eq!(p["level_history"].as_array().unwrap().len(), 2, "{p}");
    assert_eq!(p["evidence"].as_array().unwrap().len(), 4, "{p}");
}

#[tokio::test]
async fn an_affiliate_shows_the_managed_process_its_identifier_and_limited_scope() {
    let app = spawn_app().await;
    world(&app).await;
    app.provider
        .registration
        .directory
        .update_organization(
            ORG_U,
            registration::services::OrganizationChange {
                scope: Some(Some("OTN Hub only, 2026".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let now = app.clock.now();
    let admin = app.client_token("oneid:admin").await;
    let r = call(
        &format!("{}/admin/api", app.base),
        &admin,
        "PUT",
        &format!("/organizations/{ORG_U}/process"),
        Some(json!({"approval": "limited", "approved_from": now - DAY,
                    "approved_until": now + 90 * DAY, "services": ["otn"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let (b, csrf) = session(&app, LRA_U).await;
    let mut f = pat();
    f.extend([
        ("member_id", "E-1001"),
        ("affiliation_document", "hr_record"),
        ("relationship", "regular full-time employee"),
        ("confirmed_by", "Dana Roy, HR director"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = account_id(&app, &r.fact("Login ID").unwrap()).await;

    let p = &account_json(&app, &id).await["provenance"];
    let s = &p["validated_by"][0];
    assert_eq!(s["kind"], "managed_process", "{p}");
    assert_eq!(s["id"], ORG_U);
    assert_eq!(s["identifier"], "E-1001");
    assert_eq!(s["id_scheme"], "employee number");
    assert_eq!(s["level"], 2);
    assert_eq!(
        s["approval"],
        json!({"kind": "limited", "from": now - DAY, "until": now + 90 * DAY,
               "services": ["otn"], "scope": "OTN Hub only, 2026", "review": null})
    );
    assert_eq!(s["status"], "active", "the process's own status");
    assert_eq!(s["by"]["login_id"], LRA_U);
    let e = &p["evidence"][0];
    assert_eq!(e["kind"], "affiliation");
    assert_eq!(e["document"], "hr_record");
    assert_eq!(e["details"]["relationship"], "regular full-time employee");
    assert_eq!(e["details"]["confirmed_by"], "Dana Roy, HR director");
    assert_eq!(e["details"]["member_id"], "E-1001");
    assert_eq!(e["recorded_by"]["name"], "Uma Upsilon");
    assert_eq!(
        p["level_history"][0]["reason"],
        json!({"kind": "managed_process", "organization": ORG_U})
    );
    // The console says the same in words.
    let (_, secret) = administrator(&app).await;
    let b = Browser::new();
    console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/accounts",
    )
    .await;
    let page = b.get(&format!("{}/admin/accounts/{id}", app.base)).await;
    assert_eq!(
        page.fact("How").as_deref(),
        Some("Managed registration process")
    );
    assert_eq!(
        page.fact("Unique identifier used").as_deref(),
        Some("E-1001 (employee number)")
    );
    let hr = page
        .fact("Entry in the organization&#x27;s HR database or organizational directory")
        .unwrap();
    assert!(
        hr.starts_with(
            "Evidence of affiliation; from the organization; relationship: regular full-time \
             employee; confirmed by Dana Roy, HR director; managed process confirmed; genuine \
             and current; recorded by Uma Upsilon (Uma.Upsilon@ONEID.ON.CA) of University \
             Health Network on "
        ),
        "{hr}"
    );
}

mod pages;
