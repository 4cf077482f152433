//! The LRA console: a local registration authority registers people on identity documents
//! (or affiliates on its organization's managed process), hands out a login ID and a
//! temporary password, and enrols the people its organization sponsors, and nobody else's,
//! into the services the organization may sponsor. Every action is audited with the LRA as
//! actor. Pages through HTTP, one walk-through in headless Chromium, and the CLI.

use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{fresh_storage, spawn_app, spawn_on, Storage, TestApp};
use platform::{Clock, ManualClock};
use registration::lra::{Evidence, Identity, PersonRegistration};
use registration::{Access, Registered, Registrar, Service};
use std::path::PathBuf;
use std::sync::Arc;

mod processes;

const ORG_A: &str = "stmikes";
const ORG_B: &str = "sickkids";
const ORG_U: &str = "uhn";
const LRA_A: &str = "Riley.Alpha@ONEID.ON.CA";
const LRA_B: &str = "Sam.Beta@ONEID.ON.CA";
const LRA_U: &str = "Uma.Upsilon@ONEID.ON.CA";
const LRA_PASSWORD: &str = "Registrar-Desk-2026";

async fn staff(app: &TestApp, login_id: &str, given: &str, family: &str) -> String {
    let id = app
        .provider
        .accounts
        .create(credential_store::NewAccount {
            login_id: Some(login_id.into()),
            given_name: given.into(),
            family_name: family.into(),
            password: LRA_PASSWORD.into(),
            agreement_version: Some(app.provider.signup.agreement_version.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .id;
    // A staff role needs a second factor first; the console asks for a step-up with it.
    app.provider.accounts.set_totp(&id, LRA_TOTP).await.unwrap();
    id
}

/// The LRAs' authenticator app.
const LRA_TOTP: &[u8] = b"lra-authenticator-01";

/// Services co (AL2), otn (AL1), hi (AL3) and other (AL1); organization A may sponsor into
/// co, otn and hi, B into otn; U is a registering organization (AL2, employee numbers) that
/// may sponsor into otn. One LRA each.
async fn world(app: &TestApp) {
    let dir = &app.provider.registration.directory;
    for (id, name, level) in [
        ("co", "ConnectingOntario ClinicalViewer", 2),
        ("otn", "OTN Hub", 1),
        ("hi", "High Assurance Viewer", 3),
        ("other", "Other Viewer", 1),
    ] {
        dir.put_service(&Service {
            id: id.into(),
            name: name.into(),
            url: None,
            min_assurance_level: level,
        })
        .await
        .unwrap();
    }
    dir.put_organization(ORG_A, "St. Michael’s Hospital")
        .await
        .unwrap();
    dir.put_organization(ORG_B, "The Hospital for Sick Children")
        .await
        .unwrap();
    dir.put_organization(ORG_U, "University Health Network")
        .await
        .unwrap();
    dir.update_organization(
        ORG_U,
        registration::services::OrganizationChange {
            registering: Some(true),
            assurance_level: Some(Some(2)),
            id_scheme: Some(Some("employee number".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for s in ["co", "otn", "hi"] {
        dir.allow_service(ORG_A, s).await.unwrap();
    }
    dir.allow_service(ORG_B, "otn").await.unwrap();
    dir.allow_service(ORG_U, "otn").await.unwrap();
    for (login, given, family, org) in [
        (LRA_A, "Riley", "Alpha", ORG_A),
        (LRA_B, "Sam", "Beta", ORG_B),
        (LRA_U, "Uma", "Upsilon", ORG_U),
    ] {
        let id = staff(app, login, given, family).await;
        assert!(dir.grant_lra(org, &id, "test").await.unwrap());
    }
}

async fn registrar(app: &TestApp, login_id: &str) -> Registrar {
    let a = app
        .provider
        .accounts
        .find_by_login_id(login_id)
        .await
        .unwrap()
        .unwrap();
    app.provider
        .registration
        .lra()
        .registrar(&a.id)
        .await
        .unwrap()
        .expect("an LRA")
}

async fn account_id(app: &TestApp, login_id: &str) -> String {
    app.provider
        .accounts
        .find_by_login_id(login_id)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// An LRA's browser, signed in at `/lra`, and the anti-forgery token of its forms.
async fn session(app: &TestApp, login_id: &str) -> (Browser, String) {
    let b = Browser::new();
    let r = b.get(&format!("{}/lra", app.base)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &page, login_id, LRA_PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location(), Some("/lra"));
    let ask = b.get(&format!("{}/lra", app.base)).await;
    let done = app.step_up_totp(&b, &ask, LRA_TOTP).await;
    assert_eq!(done.location(), Some("/lra"), "a step-up: {}", done.body);
    let page = b.get(&format!("{}/lra", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The search is a GET form; the registration form carries the anti-forgery token.
    let page = b.get(&format!("{}/lra/register", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    (b, csrf)
}

/// Pat Example (legal: Patricia Example), born 1980-02-29.
fn pat() -> Vec<(&'static str, &'static str)> {
    vec![
        ("legal_given_name", "Patricia"),
        ("legal_family_name", "Example"),
        ("given_name", "Pat"),
        ("birth_date", "1980-02-29"),
        ("email", "pat.example@example.org"),
        ("locale", "en"),
    ]
}

/// Seen face to face: a passport (primary, photo) and a birth certificate; AL2.
fn al2_evidence() -> Vec<(&'static str, &'static str)> {
    vec![
        ("doc1", "canadian_passport"),
        ("doc2", "birth_certificate"),
        ("in_person", "on"),
        ("level", "2"),
    ]
}

async fn post(app: &TestApp, b: &Browser, csrf: &str, path: &str, fields: &[(&str, &str)]) -> Resp {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    b.post_form(&format!("{}{path}", app.base), &form).await
}

/// Registers Pat at AL2 through the page; returns (account id, login ID, temporary password).
async fn register_pat(app: &TestApp, b: &Browser, csrf: &str) -> (String, String, String) {
    let mut f = pat();
    f.extend(al2_evidence());
    let r = post(app, b, csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .notice()
        .unwrap()
        .contains("Pat Example is registered at AL2"));
    let login_id = r.fact("Login ID").unwrap();
    let temp = r.fact("Temporary password").unwrap();
    (account_id(app, &login_id).await, login_id, temp)
}

async fn sponsorship(app: &TestApp, account: &str, org: &str) -> Option<(String, Option<String>)> {
    use sqlx::Row;
    sqlx::query(
        "SELECT status, member_id FROM sponsorships WHERE account_id = $1 AND organization_id = $2",
    )
    .bind(account)
    .bind(org)
    .fetch_optional(app.provider.db.pool())
    .await
    .unwrap()
    .map(|r| {
        (
            r.try_get("status").unwrap(),
            r.try_get("member_id").unwrap(),
        )
    })
}

#[tokio::test]
async fn an_lra_sees_and_enrols_only_the_people_its_own_organization_sponsors() {
    let app = spawn_app().await;
    world(&app).await;
    // Quinn is registered by organization B.
    let reg_b = registrar(&app, LRA_B).await;
    let lra = app.provider.registration.lra();
    let quinn = match lra
        .register_person(
            &reg_b,
            PersonRegistration {
                identity: Identity {
                    legal_given_name: "Quinn".into(),
                    legal_family_name: "Other".into(),
                    birth_date: "1975-05-05".into(),
                    ..Identity::default()
                },
                evidence: Evidence::default(),
                level: 1,
            },
        )
        .await
        .unwrap()
    {
        Registered::Created { account_id, .. } => account_id,
        other => panic!("{other:?}"),
    };
    let (b, csrf) = session(&app, LRA_A).await;
    let (pat, pat_login, _) = register_pat(&app, &b, &csrf).await;

    // Search: A finds its own person, never B's (by name, login ID or nothing at all).
    let mine = b.get(&format!("{}/lra?q=example", app.base)).await;
    assert!(mine.body.contains(&pat_login), "{}", mine.body);
    for q in ["quinn", "Quinn.Other@ONEID.ON.CA", "other"] {
        let r = b.get(&format!("{}/lra?q={q}", app.base)).await;
        assert_eq!(r.status, 200);
        assert!(!r.body.contains("id=\"results\""), "{q}: {}", r.body);
        assert!(!r.body.contains(&quinn), "{q}");
        assert!(r
            .body
            .contains("No person sponsored by your organization matches."));
    }
    // The person page: B's person is "no such person" (the same as no one at all).
    let page = b.get(&format!("{}/lra/person?id={quinn}", app.base)).await;
    assert_eq!(page.status, 404);
    assert!(!page.body.contains("Quinn"), "{}", page.body);
    let nobody = b.get(&format!("{}/lra/person?id=nobody", app.base)).await;
    assert_eq!(nobody.status, 404);
    // Enrol, end, end sponsorship: refused, nothing changes, the attempt is audited.
    for op in [
        vec![("op", "enrol"), ("service", "otn")],
        vec![("op", "end"), ("service", "otn")],
        vec![("op", "end_sponsorship"), ("confirm", "on")],
    ] {
        let r = post(&app, &b, &csrf, &format!("/lra/person?id={quinn}"), &op).await;
        assert_eq!(r.status, 404, "{op:?}: {}", r.body);
    }
    assert!(app
        .provider
        .registration
        .directory
        .enrolments(&quinn)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        sponsorship(&app, &quinn, ORG_B).await.unwrap().0,
        "active",
        "B's sponsorship stays"
    );
    assert!(sponsorship(&app, &quinn, ORG_A).await.is_none());
    // Probing for someone (Quinn, or an id of nobody) is audited too.
    let refused = app.audit("lra.refused").await;
    let a_id = account_id(&app, LRA_A).await;
    assert!(refused
        .iter()
        .all(|r| r.actor.as_deref() == Some(a_id.as_str())));
    let ops: Vec<&str> = refused
        .iter()
        .filter(|r| r.subject.as_deref() == Some(quinn.as_str()))
        .filter_map(|r| r.detail.as_deref()?.split(' ').next())
        .collect();
    assert_eq!(
        ops,
        [
            "op=end_sponsorship",
            "op=end_enrolment",
            "op=enrol",
            "op=view"
        ]
    );
    assert_eq!(refused.len(), 5, "and the id of nobody");
    // The domain says the same to a direct call.
    let reg_a = registrar(&app, LRA_A).await;
    assert!(matches!(
        lra.enrol(&reg_a, &quinn, "otn").await,
        Err(registration::LraError::NotSponsored)
    ));
    // A's own person is there.
    let own = b.get(&format!("{}/lra/person?id={pat}", app.base)).await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains("Patricia Example"));

    // Not an LRA: refused. An LRA whose step-up is no longer recent: asked to step up again.
    staff(&app, "Not.Lra@ONEID.ON.CA", "Not", "Lra").await;
    let other = Browser::new();
    let r = other.get(&format!("{}/lra", app.base)).await;
    let login = other
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    other
        .login(&app.base, &login, "Not.Lra@ONEID.ON.CA", LRA_PASSWORD)
        .await;
    let r = other.get(&format!("{}/lra", app.base)).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("local registration authorities"));
    app.clock.advance(app.provider.stepup.recent_secs + 1);
    let r = b.get(&format!("{}/lra", app.base)).await;
    assert!(
        r.status == 200 && r.body.contains("name=\"action\" value=\"choose\""),
        "a fresh step-up is needed: {}",
        r.body
    );
}

#[tokio::test]
async fn the_lra_search_finds_its_organizations_active_people_every_way_and_no_one_else() {
    let app = spawn_app().await;
    world(&app).await;
    let acc = &app.provider.accounts;
    // (given, family, registration number, organization, member id, active)
    let people = [
        ("Ann", "Smith", Some("80001"), ORG_A, Some("E-100"), true),
        ("Bea", "Smithson", None, ORG_A, Some("E-101"), true),
        ("Cal", "Smith", None, ORG_A, None, false),
        ("Dee", "Smith", Some("80004"), ORG_B, Some("E-100"), true),
        ("Smithy", "Jones", None, ORG_A, None, true),
        ("Eve", "Brown", None, ORG_A, Some("E-105"), true),
    ];
    let mut ids = Vec::new();
    for (given, family, number, org, member, active) in people {
        let mut n = credential_store::NewAccount {
            given_name: given.into(),
            family_name: family.into(),
            password: LRA_PASSWORD.into(),
            ..Default::default()
        };
        if let Some(number) = number {
            n.designations = vec![credential_store::Designation {
                college: "CPSO".into(),
                registration_number: number.into(),
            }];
        }
        let a = acc.create(n).await.unwrap();
        sqlx::query(
            "INSERT INTO sponsorships (account_id, organization_id, member_id, status, \
             authorized_by, started_at) VALUES ($1, $2, $3, $4, 'test', 0)",
        )
        .bind(&a.id)
        .bind(org)
        .bind(member)
        .bind(if active { "active" } else { "ended" })
        .execute(app.provider.db.pool())
        .await
        .unwrap();
        ids.push(a);
    }
    let lra = app.provider.registration.lra();
    let r = registrar(&app, LRA_A).await;
    let found = |q: String| {
        let (lra, r) = (&lra, &r);
        async move {
            lra.search(r, &q)
                .await
                .unwrap()
                .into_iter()
                .map(|s| format!("{} {}", s.account.given_name, s.account.family_name))
                .collect::<Vec<_>>()
        }
    };
    // By the start of a name, in the list's order; never B's person nor an ended one.
    assert_eq!(
        found("smith".into()).await,
        ["Smithy Jones", "Ann Smith", "Bea Smithson"]
    );
    assert_eq!(found("smith ann".into()).await, ["Ann Smith"]);
    // By login ID, registration number and the organization's own identifier.
    assert_eq!(found(ids[1].login_id.clone()).await, ["Bea Smithson"]);
    assert_eq!(found("80001".into()).await, ["Ann Smith"]);
    assert!(found("80004".into()).await.is_empty(), "B's person");
    assert_eq!(
        found("e-100".into()).await,
        ["Ann Smith"],
        "A's E-100, not B's"
    );
    assert_eq!(found("E-105".into()).await, ["Eve Brown"]);
    assert!(found("cal".into()).await.is_empty(), "an ended sponsorship");
    assert!(found("x".into()).await.is_empty());

    // At most 50, by name.
    for i in 0..55 {
        let a = acc
            .create(credential_store::NewAccount {
                given_name: format!("Pat{}", (b'a' + (i % 26) as u8) as char),
                family_name: "Smithers".into(),
                password: LRA_PASSWORD.into(),
                ..Default::default()
            })
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO sponsorships (account_id, organization_id, status, authorized_by, \
             started_at) VALUES ($1, $2, 'active', 'test', 0)",
        )
        .bind(&a.id)
        .bind(ORG_A)
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    }
    let many = lra.search(&r, "smithers").await.unwrap();
    assert_eq!(many.len(), 50);
    let names: Vec<String> = many.iter().map(|s| s.account.given_name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn health_cards_and_social_insurance_cards_are_refused_with_the_reason() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let before = app.count("accounts").await;
    let mut f = pat();
    f.extend([
        ("doc1", "canadian_passport"),
        ("doc2", "health_card"),
        ("in_person", "on"),
        ("level", "2"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r
        .field_error("doc2")
        .unwrap()
        .starts_with("A health card is never accepted as proof of identity"));
    // What was typed is kept.
    assert!(r.body.contains("value=\"Patricia\""));
    // In French, the social insurance card.
    let mut f = pat();
    f.extend([
        ("doc1", "sin_card"),
        ("doc2", "drivers_licence"),
        ("in_person", "on"),
        ("level", "1"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/register?ui_locales=fr", &f).await;
    assert_eq!(r.status, 400);
    assert!(r
        .field_error("doc1")
        .unwrap()
        .starts_with("La carte d’assurance sociale n’est jamais acceptée"));
    assert_eq!(app.count("accounts").await, before, "nothing stored");
    assert_eq!(app.count("identity_evidence").await, 0);
    assert_eq!(app.count("sponsorships").await, 0);
}

#[tokio::test]
async fn al2_needs_a_face_to_face_meeting_two_documents_a_primary_and_a_photo() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let before = app.count("accounts").await;
    let attempt = |docs: Vec<(&'static str, &'static str)>| {
        let mut f = pat();
        f.extend(docs);
        f
    };
    // (form fields, the field the message is beside, the message)
    type Case = (
        Vec<(&'static str, &'static str)>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            vec![
                ("doc1", "canadian_passport"),
                ("doc2", "birth_certificate"),
                ("level", "2"),
            ],
            "in_person",
            "AL2 and AL3 need a face-to-face meeting (or a reasonable equivalent).",
        ),
        (
            vec![
                ("doc1", "canadian_passport"),
                ("in_person", "on"),
                ("level", "2"),
            ],
            "doc2",
            "AL2 and AL3 need two identity documents.",
        ),
        (
            vec![
                ("doc1", "birth_certificate"),
                ("doc2", "old_age_security_card"),
                ("in_person", "on"),
                ("level", "2"),
            ],
            "doc1",
            "AL2 and AL3 need at least one document with a photo.",
        ),
        (
            vec![
                ("doc1", "government_employee_card"),
                ("doc2", "old_age_security_card"),
                ("in_person", "on"),
                ("level", "2"),
            ],
            "doc1",
            "AL2 and AL3 need at least one primary document.",
        ),
        (
            vec![
                ("doc1", "canadian_passport"),
                ("doc2", "birth_certificate"),
                ("in_person", "on"),
                ("level", "3"),
            ],
            "second_check",
            "AL3 needs a second check of the documents.",
        ),
    ];
    for (docs, field, msg) in cases {
        let r = post(&app, &b, &csrf, "/lra/register", &attempt(docs.clone())).await;
        assert_eq!(r.status, 400, "{docs:?}");
        assert_eq!(r.field_error(field).as_deref(), Some(msg), "{docs:?}");
    }
    assert_eq!(app.count("accounts").await, before, "nothing stored");
    // The right evidence: AL2, the documents on record, sponsored by the organization.
    let (pat, login_id, _) = register_pat(&app, &b, &csrf).await;
    assert_eq!(login_id, "Pat.Example@ONEID.ON.CA");
    let acc = app
        .provider
        .accounts
        .find_by_id(&pat)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.assurance_level, 2);
    assert_eq!(acc.legal_given_name.as_deref(), Some("Patricia"));
    assert!(acc.password_temporary);
    assert_eq!(sponsorship(&app, &pat, ORG_A).await.unwrap().0, "active");
    let page = b.get(&format!("{}/lra/person?id={pat}", app.base)).await;
    assert!(page.body.contains(
        "<dt>Primary document</dt><dd>Canadian passport (currently valid), photo, seen face to face; recorded by stmikes on "
    ));
    assert!(page.body.contains(
        "<dt>Secondary document</dt><dd>Birth certificate issued by a Canadian province or territory, seen face to face;"
    ));
    // AL3 with the second check confirmed.
    let mut f = vec![
        ("legal_given_name", "Robin"),
        ("legal_family_name", "Third"),
        ("birth_date", "1969-12-31"),
    ];
    f.extend([
        ("doc1", "drivers_licence"),
        ("doc2", "canadian_passport"),
        ("in_person", "on"),
        ("second_check", "on"),
        ("level", "3"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.fact("Level of assurance").as_deref(), Some("AL3"));
    let registered = app.audit("lra.person_registered").await;
    assert_eq!(registered.len(), 2);
    let d = registered[0].detail.as_deref().unwrap();
    assert!(
        d.contains("level=AL3") && d.contains("second_check=true"),
        "{d}"
    );
    assert!(
        d.contains("drivers_licence(primary,photo),canadian_passport(secondary,photo)"),
        "{d}"
    );
}

#[tokio::test]
async fn registering_a_person_who_has_an_account_finds_it_instead_of_making_a_second() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    // Registered first at AL1 with a registration number.
    let mut f = pat();
    f.extend([
        ("college", "CPSO"),
        ("registration_number", "12345"),
        ("level", "1"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let login_id = r.fact("Login ID").unwrap();
    let pat = account_id(&app, &login_id).await;
    let accounts = app.count("accounts").await;
    // Again, by legal name and date of birth (another preferred name), with AL2 evidence.
    let mut f = pat_with("Trish");
    f.extend(al2_evidence());
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.notice().unwrap(),
        format!("This person already has a ONE ID account ({login_id}). No second account was created; your organization sponsors it.")
    );
    assert!(r
        .body
        .contains(&format!("/lra/person?id={pat}&amp;ui_locales=en")));
    assert!(
        r.fact("Temporary password").is_none(),
        "no password for an existing account"
    );
    assert_eq!(app.count("accounts").await, accounts);
    let acc = app
        .provider
        .accounts
        .find_by_id(&pat)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.assurance_level, 2, "raised by the evidence");
    // By registration number, at another organization: a name, a date of birth and a public
    // registration number are not enough to take someone else's person over...
    let (b2, csrf2) = session(&app, LRA_B).await;
    let mut f = vec![
        ("legal_given_name", "Patricia"),
        ("legal_family_name", "Example"),
        ("birth_date", "1980-02-29"),
        ("college", "CPSO"),
        ("registration_number", "12345"),
        ("level", "1"),
    ];
    let r = post(&app, &b2, &csrf2, "/lra/register", &f).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("does not sponsor"), "{}", r.body);
    assert!(sponsorship(&app, &pat, ORG_B).await.is_none());
    // ... meeting the person with documents at the account's level is: B now sponsors it.
    f.retain(|(k, _)| *k != "level");
    f.extend([
        ("level", "2"),
        ("doc1", "canadian_passport"),
        ("doc2", "birth_certificate"),
        ("in_person", "on"),
    ]);
    let r = post(&app, &b2, &csrf2, "/lra/register", &f).await;
    assert!(
        r.notice().unwrap().contains("already has a ONE ID account"),
        "{}",
        r.body
    );
    assert_eq!(sponsorship(&app, &pat, ORG_B).await.unwrap().0, "active");
    assert_eq!(app.count("accounts").await, accounts);
    // A registration number that belongs to someone else is refused beside the field.
    let f = vec![
        ("legal_given_name", "Morgan"),
        ("legal_family_name", "Stranger"),
        ("birth_date", "1990-01-01"),
        ("college", "CPSO"),
        ("registration_number", "12345"),
        ("level", "1"),
    ];
    let r = post(&app, &b2, &csrf2, "/lra/register", &f).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("registration_number").as_deref(),
        Some("This registration number belongs to another person.")
    );
    assert_eq!(app.count("accounts").await, accounts);
    let found = app.audit("lra.existing_found").await;
    assert_eq!(found.len(), 2);
    assert!(found[1]
        .detail
        .as_deref()
        .unwrap()
        .contains("level: AL1 -> AL2"));
}

fn pat_with(preferred: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut f = pat();
    for (k, v) in f.iter_mut() {
        if *k == "given_name" {
            *v = preferred;
        }
    }
    f
}

#[tokio::test]
async fn two_organizations_registering_one_person_at_once_make_one_account() {
    let app = spawn_app().await;
    world(&app).await;
    let (a, a_csrf) = session(&app, LRA_A).await;
    let (b, b_csrf) = session(&app, LRA_B).await;
    let accounts = app.count("accounts").await;
    let mut f = pat();
    f.extend(al2_evidence());
    let (ra, rb) = tokio::join!(
        post(&app, &a, &a_csrf, "/lra/register", &f),
        post(&app, &b, &b_csrf, "/lra/register", &f)
    );
    assert_eq!(
        (ra.status, rb.status),
        (200, 200),
        "{} {}",
        ra.body,
        rb.body
    );
    assert_eq!(
        app.count("accounts").await,
        accounts + 1,
        "one account, not two"
    );
    // One made it (with a temporary password), the other found it; both sponsor it.
    let made = [&ra, &rb]
        .iter()
        .filter(|r| r.fact("Temporary password").is_some())
        .count();
    assert_eq!(made, 1);
    let login_id = ra.fact("Login ID").or_else(|| rb.fact("Login ID")).unwrap();
    let pat = account_id(&app, &login_id).await;
    for org in [ORG_A, ORG_B] {
        assert_eq!(
            sponsorship(&app, &pat, org).await.map(|s| s.0).as_deref(),
            Some("active"),
            "{org}"
        );
    }
}

#[tokio::test]
async fn the_temporary_password_is_shown_once_and_must_be_changed_at_the_first_sign_in() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let (pat, login_id, temp) = register_pat(&app, &b, &csrf).await;
    assert_eq!(temp.len(), 14, "{temp}");
    // Shown once: the person's page never shows it again, and no audit row holds it.
    let page = b.get(&format!("{}/lra/person?id={pat}", app.base)).await;
    assert!(!page.body.contains(&temp));
    let rows = app.provider.audit.recent(None, 500).await.unwrap();
    assert!(rows
        .iter()
        .all(|r| !r.detail.as_deref().unwrap_or("").contains(&temp)));
    let s = app
        .provider
        .accounts
        .authenticate(&login_id, &temp)
        .await
        .unwrap();
    assert!(s.must_change);
    // The LRA enrols the person in OTN Hub; at its viewer the person signs in, the new
    // password first, inside the flow.
    let path = format!("/lra/person?id={pat}");
    let r = post(
        &app,
        &b,
        &csrf,
        &path,
        &[("op", "enrol"), ("service", "otn")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rp = Rp::discover(
        &app.add_client_with("viewer", |n| n.service_id = Some("otn".into()))
            .await,
    )
    .await;
    let c = Browser::new();
    let st = rp.start(&["profile"], &[]);
    let login = c.get(&st.url).await;
    let r = c.login(&app.base, &login, &login_id, &temp).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("temporary password"), "{}", r.body);
    assert!(r.location().is_none(), "no code before a new password");
    let done = c
        .post_form(
            &format!("{}/login/password", app.base),
            &[
                ("csrf", &r.hidden("csrf").unwrap()),
                ("change", &r.hidden("change").unwrap()),
                ("new_password", "Own-Choice-2027"),
                ("confirm_password", "Own-Choice-2027"),
            ],
        )
        .await;
    // An account an LRA made has accepted no agreement yet: asked next, then the code.
    let done = c.answer_agreement(&app.base, &done, true).await;
    let code = rp.code_from(&st, &done);
    assert!(!rp.finish(st, &code).await.id_token.is_empty());
    let s = app
        .provider
        .accounts
        .authenticate(&login_id, "Own-Choice-2027")
        .await
        .unwrap();
    assert!(!s.must_change);
}

#[tokio::test]
async fn a_registering_organization_registers_affiliates_at_its_level_once_per_identifier() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let page = b.get(&format!("{}/lra/affiliate", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(">Employee number <span"),
        "the organization's scheme"
    );
    assert!(page.body.contains("AL2"));
    let accounts = app.count("accounts").await;
    // The evidence of affiliation is required, as structured data: the document seen, the
    // relationship, who in the organization confirmed evidence it gave, and both confirmations.
    let mut f = pat();
    f.push(("member_id", "E-1001"));
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("affiliation_document").as_deref(),
        Some("This field is required.")
    );
    f.extend([
        ("affiliation_document", "hr_record"),
        ("relationship", "regular full-time employee"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("confirmed_by").as_deref(),
        Some("This field is required."),
        "evidence from the organization names who confirmed it"
    );
    let mut unconfirmed: Vec<_> = f
        .iter()
        .copied()
        .filter(|(k, _)| *k != "genuine_and_current")
        .collect();
    unconfirmed.retain(|(k, v)| *k != "affiliation_document" || *v != "hr_record");
    unconfirmed.push(("affiliation_document", "photo_employee_id"));
    let r = post(&app, &b, &csrf, "/lra/affiliate", &unconfirmed).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("genuine_and_current").as_deref(),
        Some("This field is required.")
    );
    assert_eq!(app.count("accounts").await, accounts);
    f.retain(|(k, _)| *k != "affiliation_document");
    f.push(("affiliation_document", "photo_employee_id"));
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.fact("Level of assurance").as_deref(), Some("AL2"));
    let login_id = r.fact("Login ID").unwrap();
    let pat = account_id(&app, &login_id).await;
    let acc = app
        .provider
        .accounts
        .find_by_id(&pat)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.assurance_level, 2, "the organization's level");
    assert_eq!(
        sponsorship(&app, &pat, ORG_U).await,
        Some(("active".into(), Some("E-1001".into())))
    );
    let person = b.get(&format!("{}/lra/person?id={pat}", app.base)).await;
    assert!(
        person.body.contains(
            "<dt>Evidence of affiliation</dt><dd>Current photo employee ID card, presented by the \
             person, relationship: regular full-time employee, photo, seen face to face; \
             recorded by uhn"
        ),
        "{}",
        person.body
    );
    let (details,): (String,) = sqlx::query_as(
        "SELECT details FROM identity_evidence WHERE account_id = $1 AND kind = 'affiliation'",
    )
    .bind(&pat)
    .fetch_one(app.provider.db.pool())
    .await
    .unwrap();
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(
        details,
        serde_json::json!({"source": "registrant", "relationship": "regular full-time employee",
            "member_id": "E-1001", "process_confirmed": true, "genuine_and_current": true})
    );
    // The same employee number again: the existing account.
    let mut again = pat_with("Trish");
    again.extend([
        ("member_id", "E-1001"),
        ("affiliation_document", "hr_record"),
        ("relationship", "regular full-time employee"),
        ("confirmed_by", "Dana Roy, HR director"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ]);
    let r = post(&app, &b, &csrf, "/lra/affiliate", &again).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.notice().unwrap().contains(&login_id));
    assert_eq!(app.count("accounts").await, accounts + 1);
    // Someone else with that number: refused.
    let other = vec![
        ("legal_given_name", "Lee"),
        ("legal_family_name", "Different"),
        ("birth_date", "1991-07-07"),
        ("member_id", "E-1001"),
        ("affiliation_document", "photo_employee_id"),
        ("relationship", "contractor"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ];
    let r = post(&app, &b, &csrf, "/lra/affiliate", &other).await;
    assert_eq!(r.status, 400);
    assert!(r
        .field_error("member_id")
        .unwrap()
        .starts_with("This identifier belongs to another person"));
    assert_eq!(app.count("accounts").await, accounts + 1);
    let audit = app.audit("lra.affiliate_registered").await;
    assert_eq!(audit.len(), 1);
    assert!(audit[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("member=E-1001"));
    // An organization without a managed process has no such page.
    let (a, a_csrf) = session(&app, LRA_A).await;
    assert_eq!(
        a.get(&format!("{}/lra/affiliate", app.base)).await.status,
        403
    );
    let r = post(&app, &a, &a_csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn an_lra_enrols_only_into_the_services_its_organization_may_sponsor() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let (pat, _, _) = register_pat(&app, &b, &csrf).await;
    let path = format!("/lra/person?id={pat}");
    let page = b.get(&format!("{}{path}", app.base)).await;
    for (id, shown) in [("co", true), ("otn", true), ("hi", true), ("other", false)] {
        assert_eq!(
            page.body.contains(&format!("<option value=\"{id}\"")),
            shown,
            "{id}"
        );
    }
    let enrol = |service: &'static str| {
        let (b, csrf, path) = (b.clone(), csrf.clone(), path.clone());
        let app = &app;
        async move {
            post(
                app,
                &b,
                &csrf,
                &path,
                &[("op", "enrol"), ("service", service)],
            )
            .await
        }
    };
    let r = enrol("other").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("service").as_deref(),
        Some("Your organization may not enrol people in this service.")
    );
    let r = enrol("hi").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("service").as_deref(),
        Some("This service needs AL3; the person is AL2.")
    );
    assert_eq!(
        app.audit("lra.refused").await[0].detail.as_deref(),
        Some("op=enrol org=stmikes service=hi reason=level_too_low need=AL3 have=AL2")
    );
    let r = enrol("co").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.notice().as_deref(),
        Some("Enrolled in ConnectingOntario ClinicalViewer.")
    );
    assert!(r.body.contains("id=\"end-co\""), "an End button");
    let dir = &app.provider.registration.directory;
    assert_eq!(dir.access(&pat, "co").await.unwrap(), Access::Allowed);
    assert!(matches!(
        dir.access(&pat, "other").await.unwrap(),
        Access::NotEnrolled { .. }
    ));
    // End it.
    let r = post(&app, &b, &csrf, &path, &[("op", "end"), ("service", "co")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.notice().as_deref(),
        Some("The enrolment in ConnectingOntario ClinicalViewer is ended.")
    );
    assert!(matches!(
        dir.access(&pat, "co").await.unwrap(),
        Access::NotEnrolled { .. }
    ));
    let a_id = account_id(&app, LRA_A).await;
    for (event, detail) in [
        (
            "lra.enrolled",
            "org=stmikes service=co enrolment: none -> active",
        ),
        (
            "lra.enrolment_ended",
            "org=stmikes service=co enrolment: active -> ended",
        ),
    ] {
        let rows = app.audit(event).await;
        assert_eq!(rows.len(), 1, "{event}");
        assert_eq!(rows[0].actor.as_deref(), Some(a_id.as_str()));
        assert_eq!(rows[0].subject.as_deref(), Some(pat.as_str()));
        assert_eq!(rows[0].detail.as_deref(), Some(detail));
        assert_eq!(rows[0].source.as_deref(), Some("127.0.0.1"));
    }
    let refused = app.audit("lra.refused").await;
    assert_eq!(
        refused.len(),
        2,
        "the service it may not sponsor, and the one above the person's level"
    );
    assert!(refused[1]
        .detail
        .as_deref()
        .unwrap()
        .contains("service=other reason=service_not_allowed"));
}

#[tokio::test]
async fn ending_a_sponsorship_ends_the_enrolments_made_through_it_and_only_those() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let (pat, login_id, _) = register_pat(&app, &b, &csrf).await;
    let path = format!("/lra/person?id={pat}");
    for s in ["co", "otn"] {
        let r = post(&app, &b, &csrf, &path, &[("op", "enrol"), ("service", s)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Organization B sponsors Pat too (registered again there) and enrols in OTN Hub.
    let reg_b = registrar(&app, LRA_B).await;
    let lra = app.provider.registration.lra();
    let again = lra
        .register_person(
            &reg_b,
            PersonRegistration {
                identity: Identity {
                    legal_given_name: "Patricia".into(),
                    legal_family_name: "Example".into(),
                    birth_date: "1980-02-29".into(),
                    ..Identity::default()
                },
                // Someone else's person: met in person with documents at its level.
                evidence: Evidence {
                    documents: vec!["canadian_passport".into(), "birth_certificate".into()],
                    in_person: true,
                    second_check: false,
                },
                level: 2,
            },
        )
        .await
        .unwrap();
    assert!(matches!(again, Registered::Existing { ref account_id, .. } if *account_id == pat));
    lra.enrol(&reg_b, &pat, "otn").await.unwrap();

    // Ending a sponsorship is confirmed first (the box), then done.
    let r = post(&app, &b, &csrf, &path, &[("op", "end_sponsorship")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.field_error("confirm").is_some(), "{}", r.body);
    let r = post(
        &app,
        &b,
        &csrf,
        &path,
        &[("op", "end_sponsorship"), ("confirm", "on")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.notice().unwrap(),
        format!("Your organization no longer sponsors {login_id}; the enrolments made through it are ended.")
    );
    let left: Vec<(String, String)> = app
        .provider
        .registration
        .directory
        .enrolments(&pat)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.service.id, e.sponsor_id))
        .collect();
    assert_eq!(left, [("otn".to_owned(), ORG_B.to_owned())]);
    assert_eq!(sponsorship(&app, &pat, ORG_A).await.unwrap().0, "ended");
    // A no longer sees Pat.
    let r = b.get(&format!("{}/lra?q=example", app.base)).await;
    assert!(!r.body.contains(&login_id));
    assert_eq!(b.get(&format!("{}{path}", app.base)).await.status, 404);
    let dir = &app.provider.registration.directory;
    assert!(matches!(
        dir.access(&pat, "co").await.unwrap(),
        Access::NotEnrolled { .. }
    ));
    let ended = app.audit("lra.sponsorship_ended").await;
    assert_eq!(ended.len(), 1);
    assert_eq!(
        ended[0].detail.as_deref(),
        Some("org=stmikes sponsorship: active -> ended enrolments ended: co,otn")
    );
}

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
}

#[tokio::test]
async fn an_lra_registers_and_enrols_a_person_in_a_real_browser_in_both_languages() {
    use oneid_tests::webdriver::Browser as Chromium;
    let app = spawn_app().await;
    world(&app).await;
    let browser = Chromium::start().await;
    browser.goto(&format!("{}/lra", app.base)).await;
    browser.wait_for("#login_id").await;
    browser.type_into("#login_id", LRA_A).await;
    browser.type_into("#password", LRA_PASSWORD).await;
    browser.click("button[type=submit]").await;
    // The console asks for a step-up with the authenticator app.
    browser.wait_for("#choose").await;
    browser.click("input[name=method][value='otp']").await;
    browser.click("#choose button[type=submit]").await;
    browser.wait_for("#verify").await;
    browser
        .type_into("#code", &step_up::totp::code_at(LRA_TOTP, app.clock.now()))
        .await;
    browser.click("#verify button[type=submit]").await;
    browser.wait_for("#search").await;
    assert!(browser
        .source()
        .await
        .contains("Registering for St. Michael’s Hospital"));

    // Register Pat in English: the identity, two documents seen face to face, AL2.
    browser
        .goto(&format!("{}/lra/register?ui_locales=en", app.base))
        .await;
    browser.wait_for("#register").await;
    browser.type_into("#legal_given_name", "Patricia").await;
    browser.type_into("#legal_family_name", "Example").await;
    browser.type_into("#given_name", "Pat").await;
    browser.type_into("#birth_date", "1980-02-29").await;
    browser.click("#doc1 option[value=canadian_passport]").await;
    browser.click("#doc2 option[value=health_card]").await;
    browser.click("#in_person").await;
    browser.click("#level option[value='2']").await;
    browser.click("#register button[type=submit]").await;
    // The health card is refused, with the reason beside it; the rest is kept.
    browser.wait_for("#doc2-error").await;
    assert!(browser
        .text("#doc2-error")
        .await
        .starts_with("A health card is never accepted"));
    browser
        .screenshot(&shots().join("lra-1-health-card-refused-en.png"))
        .await;
    browser.click("#doc2 option[value=birth_certificate]").await;
    browser.click("#register button[type=submit]").await;
    browser.wait_for("#notice").await;
    let source = browser.source().await;
    assert!(
        source.contains("Pat Example is registered at AL2"),
        "{source}"
    );
    assert!(source.contains("Pat.Example@ONEID.ON.CA"));
    assert!(source.contains("Temporary password"));
    browser
        .screenshot(&shots().join("lra-2-registered-en.png"))
        .await;

    // The person's page: enrol in OTN Hub.
    browser.click("p.links a").await;
    browser.wait_for("#enrol").await;
    browser.click("#service option[value=otn]").await;
    browser.click("#enrol button[type=submit]").await;
    browser
        .wait_for_text("#notice p", "Enrolled in OTN Hub.")
        .await;
    assert_eq!(browser.text("#notice p").await, "Enrolled in OTN Hub.");
    assert!(browser.has("#end-otn").await);
    browser
        .screenshot(&shots().join("lra-3-enrolled-en.png"))
        .await;

    // In French: the same page, then a registration refused for a social insurance card.
    browser.click("a.lang").await;
    browser.wait_for("#enrol").await;
    let source = browser.source().await;
    assert!(source.contains("Inscriptions aux services"), "{source}");
    assert!(source.contains("Preuves au dossier"));
    assert!(source.contains("Passeport canadien (en cours de validité)"));
    browser
        .screenshot(&shots().join("lra-4-person-fr.png"))
        .await;
    browser
        .goto(&format!("{}/lra/register?ui_locales=fr", app.base))
        .await;
    browser.wait_for("#register").await;
    assert!(browser.source().await.contains("Pièces d’identité vues"));
    browser.type_into("#legal_given_name", "Quinn").await;
    browser.type_into("#legal_family_name", "Autre").await;
    browser.type_into("#birth_date", "1975-05-05").await;
    browser.click("#doc1 option[value=sin_card]").await;
    browser.click("#register button[type=submit]").await;
    browser.wait_for("#doc1-error").await;
    assert!(browser
        .text("#doc1-error")
        .await
        .starts_with("La carte d’assurance sociale n’est jamais acceptée"));
    browser
        .screenshot(&shots().join("lra-5-sin-refused-fr.png"))
        .await;
    browser.click("#doc1 option[value=drivers_licence]").await;
    browser.click("#doc2 option[value=birth_certificate]").await;
    browser.click("#in_person").await;
    browser.click("#level option[value='2']").await;
    browser.click("#register button[type=submit]").await;
    browser.wait_for("#notice").await;
    assert!(browser
        .text("#notice p")
        .await
        .starts_with("Quinn Autre est inscrit(e) au niveau AL2."));
    browser
        .screenshot(&shots().join("lra-6-registered-fr.png"))
        .await;
    browser.quit().await;

    let pat = account_id(&app, "Pat.Example@ONEID.ON.CA").await;
    assert_eq!(
        app.provider
            .registration
            .directory
            .access(&pat, "otn")
            .await
            .unwrap(),
        Access::Allowed
    );
    assert_eq!(app.audit("lra.person_registered").await.len(), 2);
    assert_eq!(app.audit("lra.enrolled").await.len(), 1);
}

/// Runs the command line (see `Storage::cli`).
async fn oneid(storage: &Storage, args: &[&str]) -> (i32, String) {
    storage.cli(args, "Registrar-Desk-2026\n").await
}

#[tokio::test]
async fn the_cli_makes_lras_registering_organizations_and_sponsorable_services() {
    let storage = fresh_storage().await;
    for args in [
        &[
            "organizations",
            "add",
            "--id",
            "uhn",
            "--name",
            "University Health Network",
        ][..],
        &["services", "add", "--id", "otn", "--name", "OTN Hub"],
        &[
            "users",
            "add",
            "--login-id",
            LRA_U,
            "--password-stdin",
            "--given-name",
            "Uma",
            "--family-name",
            "Upsilon",
            "--phone",
            "416-555-0150",
        ],
    ] {
        let (code, out) = oneid(&storage, args).await;
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    // Refused: an LRA without its organization, an organization without the LRA role, an
    // unknown organization, a registering organization without a level.
    for args in [
        &["users", "grant-role", "--login-id", LRA_U, "--role", "lra"][..],
        &[
            "users",
            "grant-role",
            "--login-id",
            LRA_U,
            "--role",
            "service_desk",
            "--organization",
            "uhn",
        ],
        &[
            "users",
            "grant-role",
            "--login-id",
            LRA_U,
            "--role",
            "lra",
            "--organization",
            "nowhere",
        ],
        &["organizations", "update", "uhn", "--registering"],
        &["organizations", "allow-service", "uhn", "nothing"],
    ] {
        let (code, out) = oneid(&storage, args).await;
        assert_eq!(code, 1, "{args:?}: {out}");
    }
    for args in [
        &[
            "users",
            "grant-role",
            "--login-id",
            LRA_U,
            "--role",
            "lra",
            "--organization",
            "uhn",
        ][..],
        &[
            "organizations",
            "update",
            "uhn",
            "--registering",
            "--assurance-level",
            "AL2",
            "--id-scheme",
            "employee number",
            "--scope",
            "general",
        ],
        &["organizations", "allow-service", "uhn", "otn"],
    ] {
        let (code, out) = oneid(&storage, args).await;
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    let (_, out) = oneid(&storage, &["organizations", "list"]).await;
    assert!(
        out.contains("uhn\tUniversity Health Network\tregistering=true level=AL2 id_scheme=\"employee number\""),
        "{out}"
    );
    let app = spawn_on(&storage, Arc::new(ManualClock::new()), None, |_| {}).await;
    let reg = registrar(&app, LRA_U).await;
    assert_eq!(reg.organization().id, "uhn");
    assert!(reg.organization().registering);
    assert_eq!(reg.organization().assurance_level, Some(2));
    let lra = app.provider.registration.lra();
    let allowed = lra.allowed_services("uhn").await.unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0].id, "otn");
    let updated = app.audit("organization.updated").await;
    assert!(updated[0].detail.as_deref().unwrap().contains(
        "registering=false level=- id_scheme=\"\" scope=\"\" -> registering=true level=AL2"
    ));
    assert_eq!(app.audit("organization.service_allowed").await.len(), 1);
    assert!(app
        .audit("account.role_granted")
        .await
        .iter()
        .any(|r| r.detail.as_deref() == Some("lra organization=uhn")));
}

#[tokio::test]
async fn the_demo_makes_the_staff_account_an_lra_of_the_cpso_and_adds_a_registering_organization() {
    let app = spawn_app().await;
    let dir =
        std::env::temp_dir().join(format!("oneid-demo-{}", platform::crypto::random_token(6)));
    std::fs::create_dir_all(&dir).unwrap();
    oneid::demo::seed(&app.provider).await.unwrap();
    oneid::demo::seed_registry(&app.provider, &dir)
        .await
        .unwrap();
    // Twice: seeding keeps what is there.
    oneid::demo::seed_registry(&app.provider, &dir)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let morgan = registrar(&app, oneid::demo::DEMO_STAFF_LOGIN_ID).await;
    assert_eq!(morgan.organization().id, "cpso");
    let lra = app.provider.registration.lra();
    assert_eq!(lra.allowed_services("cpso").await.unwrap().len(), 3);
    let jordan = registrar(&app, oneid::demo::DEMO_UHN_LRA_LOGIN_ID).await;
    assert_eq!(jordan.organization().id, "uhn");
    assert!(jordan.organization().registering);
    assert_eq!(jordan.organization().assurance_level, Some(2));
}

mod provenance;

#[tokio::test]
async fn the_registration_form_names_every_problem_on_the_first_submit() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let before = app.count("accounts").await;
    let f = vec![
        ("legal_given_name", "Patricia"),
        ("legal_family_name", ""),
        ("birth_date", "1980-02-29"),
        ("email", "not-an-email"),
        ("locale", "en"),
        ("doc1", "canadian_passport"),
        ("doc2", "health_card"),
        ("in_person", "on"),
        ("level", "2"),
    ];
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    assert_eq!(r.status, 400, "{}", r.body);
    for field in ["legal_family_name", "email", "doc2"] {
        assert!(r.field_error(field).is_some(), "{field}: {}", r.body);
    }
    assert_eq!(app.count("accounts").await, before, "nothing stored");
}

/// The LRA console's pages through the page sweep (axe-core, a phone's width, no English left
/// on the French page, the tab title), in both languages: the search and its results, a
/// person, registering a person and an affiliate.
#[tokio::test]
async fn every_lra_page_passes_the_page_sweep() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let (pat_id, _, _) = register_pat(&app, &b, &csrf).await;
    let mut sweep = crate::page_sweep::Sweep::start(&app.base).await;
    sweep.chrome.goto(&format!("{}/help", app.base)).await;
    sweep
        .chrome
        .add_cookie(
            "oneid_session",
            &crate::page_sweep::session_of(&b, &app.base),
        )
        .await;
    let person = format!("/lra/person?id={pat_id}");
    for (name, path) in [
        ("lra", "/lra"),
        ("lra-found", "/lra?q=Example"),
        ("lra-person", person.as_str()),
        ("lra-register", "/lra/register"),
        ("lra-affiliate", "/lra/affiliate"),
    ] {
        sweep.visit("lra", name, path).await;
    }
    sweep.finish().await;
}
