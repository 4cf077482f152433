//! The admin JSON API (`/admin/api/registries*`, a client's `oneid:admin` token): add with a
//! key, read, update, suspend, reinstate and terminate; add and rotate keys; import the
//! registry's terminated registrations.

use super::*;

/// A client_credentials token for `scope` (see `TestApp::client_token`).
async fn token(app: &TestApp, scope: &str) -> String {
    app.client_token(scope).await
}

/// One call to `/admin/api/registries{path}`.
async fn call(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    let base = format!("{}/admin/api/registries", app.base);
    oneid_tests::api::call(&base, token, method, path, body).await
}

#[tokio::test]
async fn the_admin_api_adds_updates_suspends_reinstates_and_terminates_a_registry() {
    let app = spawn_app().await;
    directory(&app).await;
    let (private, public) = key_pair();
    let new = json!({
        "id": "cpso", "name": "CPSO register", "owner": "CPSO",
        "contact": "registrar@cpso.example", "college": "cpso", "assurance_level": 2,
        "sponsor_id": SPONSOR, "services": ["viewer"],
        "public_key_pem": public, "kid": "cpso-1",
    });
    // Only a client holding oneid:admin.
    let none = call(&app, "", "POST", "", Some(new.clone())).await;
    assert_eq!(none.status, 401);
    let weak = token(&app, "api:read").await;
    call(&app, &weak, "GET", "", None)
        .await
        .assert_error(403, "insufficient_scope", "wrong scope");
    let admin = token(&app, "oneid:admin").await;
    let actor = "client:ops-oneid-admin";

    // Bad values are named; nothing is stored.
    for (change, what) in [
        (
            json!({"approval": "sometimes"}),
            "approval must be general or limited",
        ),
        (json!({"assurance_level": 4}), "assurance_level"),
        (json!({"sponsor_id": "nobody"}), "nobody"),
        (json!({"sponsor_id": null}), "sponsor"),
        (json!({"sponsor_id": ""}), "sponsor"),
        (json!({"public_key_pem": private.clone()}), "public_key_pem"),
        (
            json!({"approved_from": 200, "approved_until": 100}),
            "approved_until",
        ),
    ] {
        let mut body = new.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = call(&app, &admin, "POST", "", Some(body)).await;
        r.assert_error(400, "invalid_request", what);
        assert!(
            r.str("error_description").contains(what),
            "{what}: {}",
            r.json
        );
    }
    assert_eq!(app.count("registries").await, 0);

    let r = call(&app, &admin, "POST", "", Some(new.clone())).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["college"], "CPSO");
    assert_eq!(r.json["status"], "approved");
    assert_eq!(r.json["approval"], "general");
    assert_eq!(r.json["keys"][0]["kid"], "cpso-1");
    assert_eq!(r.json["keys"][0]["live"], true);
    let again = call(&app, &admin, "POST", "", Some(new)).await;
    again.assert_error(400, "invalid_request", "a second cpso");
    assert_eq!(
        actor_of(&app, "registry.added").await.as_deref(),
        Some(actor)
    );
    assert_eq!(app.audit("registry.key_added").await.len(), 1);
    assert_eq!(
        offer(
            &app,
            &handoff(&app, "cpso", &private, Some("cpso-1"), "1001")
        )
        .await,
        303
    );

    // Read back, one and all; an unknown one is 404.
    let r = call(&app, &admin, "GET", "/cpso", None).await;
    assert_eq!(
        (r.status, r.json["name"].as_str()),
        (200, Some("CPSO register"))
    );
    let r = call(&app, &admin, "GET", "", None).await;
    assert_eq!(r.json["registries"].as_array().unwrap().len(), 1);
    let r = call(&app, &admin, "GET", "/cno", None).await;
    assert_eq!((r.status, r.error()), (404, "not_found"));

    // The sponsor cannot be cleared: every identity enters through a sponsor (004 §5.6).
    // Nothing of that change is kept.
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"name": "Renamed", "sponsor_id": null})),
    )
    .await;
    r.assert_error(400, "invalid_request", "a sponsor is required");
    assert!(r.str("error_description").contains("sponsor"), "{}", r.json);
    let r = call(&app, &admin, "GET", "/cpso", None).await;
    assert_eq!(
        (r.json["name"].as_str(), r.json["sponsor_id"].as_str()),
        (Some("CPSO register"), Some(SPONSOR))
    );

    // Update: only the fields given; null clears. A limited approval whose dates are over
    // sends no one.
    let now = app.clock.now();
    app.provider
        .registration
        .directory
        .put_organization("ocfp-members", "OCFP members")
        .await
        .unwrap();
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(
            json!({"name": "CPSO members register", "approval": "limited",
                    "approved_from": now - 7200, "approved_until": now - 3600,
                    "sponsor_id": "ocfp-members", "services": ["viewer", "otn"]}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["owner"], "CPSO", "kept");
    assert_eq!(r.json["sponsor_id"], "ocfp-members");
    assert_eq!(r.json["services"], json!(["otn", "viewer"]));
    let detail = app.audit("registry.updated").await[0]
        .detail
        .clone()
        .unwrap();
    assert!(
        detail.contains("name: \"CPSO register\" -> \"CPSO members register\"")
            && detail.contains("approval: general -> limited")
            && detail.contains("sponsor: cpso-members -> ocfp-members"),
        "{detail}"
    );
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "1002")).await,
        403
    );
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"approved_until": null})),
    )
    .await;
    assert_eq!(r.json["approved_until"], Value::Null);
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "1003")).await,
        303
    );
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"college": "CNO"})),
    )
    .await;
    r.assert_error(400, "invalid_request", "the college is not changed");

    // Suspend, reinstate, terminate: each takes effect at the next hand-off.
    let r = call(&app, &admin, "POST", "/cpso/suspend", None).await;
    assert_eq!(r.json["status"], "suspended");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "1004")).await,
        403
    );
    let r = call(&app, &admin, "POST", "/cpso/reinstate", None).await;
    assert_eq!(r.json["status"], "approved");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "1005")).await,
        303
    );
    let r = call(&app, &admin, "POST", "/cpso/terminate", None).await;
    assert_eq!(r.json["status"], "terminated");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "1006")).await,
        403
    );
    let r = call(&app, &admin, "POST", "/cpso/reinstate", None).await;
    r.assert_error(400, "invalid_request", "termination is final");
    assert!(r.str("error_description").contains("final"));
    let r = call(&app, &admin, "POST", "/cpso/archive", None).await;
    r.assert_error(400, "invalid_request", "no such operation");
    let r = call(&app, &admin, "POST", "/cno/suspend", None).await;
    assert_eq!(r.status, 404);
    for event in [
        "registry.suspended",
        "registry.reinstated",
        "registry.terminated",
    ] {
        assert_eq!(app.audit(event).await.len(), 1, "{event}");
        assert_eq!(
            actor_of(&app, event).await.as_deref(),
            Some(actor),
            "{event}"
        );
    }
}

#[tokio::test]
async fn the_admin_api_adds_and_rotates_keys_and_imports_terminations() {
    let app = spawn_app().await;
    directory(&app).await;
    let admin = token(&app, "oneid:admin").await;
    let (first, first_public) = key_pair();
    let r = call(
        &app,
        &admin,
        "POST",
        "",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": first_public, "kid": "k1"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);

    // A second key: both accepted.
    let (second, second_public) = key_pair();
    let r = call(
        &app,
        &admin,
        "POST",
        "/cpso/keys",
        Some(json!({"public_key_pem": second_public, "kid": "k2"})),
    )
    .await;
    assert_eq!((r.status, r.json["alg"].as_str()), (201, Some("ES256")));
    let r = call(
        &app,
        &admin,
        "POST",
        "/cpso/keys",
        Some(json!({"public_key_pem": second_public, "kid": "k2"})),
    )
    .await;
    r.assert_error(400, "invalid_request", "the same kid twice");
    for (key, kid, number) in [(&first, "k1", "2001"), (&second, "k2", "2002")] {
        assert_eq!(
            offer(&app, &handoff(&app, "cpso", key, Some(kid), number)).await,
            303
        );
    }

    // A rotation: the new key at once, the others for the overlap only.
    let (third, third_public) = key_pair();
    let bad = call(
        &app,
        &admin,
        "POST",
        "/cpso/keys",
        Some(json!({"public_key_pem": third_public, "rotate": true, "overlap_secs": -1})),
    )
    .await;
    bad.assert_error(400, "invalid_request", "a negative overlap");
    let r = call(
        &app,
        &admin,
        "POST",
        "/cpso/keys",
        Some(
            json!({"alg": "ES256", "public_key_pem": third_public, "kid": "k3",
                    "rotate": true, "overlap_secs": 120}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let detail = app.audit("registry.key_rotated").await[0]
        .detail
        .clone()
        .unwrap();
    assert!(
        detail.contains("kid=k3") && detail.contains("retiring="),
        "{detail}"
    );
    assert!(detail.contains("k1") && detail.contains("k2") && detail.contains("overlap_secs=120"));
    let keys = call(&app, &admin, "GET", "/cpso", None).await.json["keys"].clone();
    let now = app.clock.now();
    for k in keys.as_array().unwrap() {
        let expected = if k["kid"] == "k3" {
            Value::Null
        } else {
            json!(now + 120)
        };
        assert_eq!(k["retire_at"], expected, "{k}");
    }
    app.clock.advance(100);
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &first, None, "2003")).await,
        303
    );
    app.clock.advance(21);
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &first, None, "2004")).await,
        400
    );
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &second, Some("k2"), "2005")).await,
        400
    );
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &third, Some("k3"), "2006")).await,
        303
    );

    // The registry's list of terminated registrations, imported: the account ends with its
    // sessions and refresh tokens; unknown members are listed (and kept from registering).
    let (account, b, rt) = registered_and_signed_in(&app, "cpso", &third, "3001").await;
    assert!(still_signed_in(&app, &b).await);
    let bad = call(
        &app,
        &admin,
        "POST",
        "/cpso/terminations",
        Some(json!({"members": [" "]})),
    )
    .await;
    bad.assert_error(400, "invalid_request", "an empty list");
    let r = call(
        &app,
        &admin,
        "POST",
        "/cpso/terminations",
        Some(json!({"members": ["m-3001", "m-9999", "m-3001"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["terminated"], json!(["m-3001"]));
    assert_eq!(r.json["unknown"], json!(["m-9999"]));
    let a = app
        .provider
        .accounts
        .find_by_id(&account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, credential_store::AccountStatus::Terminated);
    assert_eq!(refresh(&app, &rt).await.0, 400);
    assert!(!still_signed_in(&app, &b).await);
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &third, None, "9999")).await,
        403
    );
    let imported = app.audit("registry.terminations_imported").await;
    assert_eq!(
        imported[0].detail.as_deref(),
        Some("terminated=1 already=0 unknown=1")
    );
    assert_eq!(imported[0].actor.as_deref(), Some("client:ops-oneid-admin"));
    let ended = app.audit("account.terminated").await;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].subject.as_deref(), Some(account.as_str()));
    let r = call(
        &app,
        &admin,
        "POST",
        "/cno/terminations",
        Some(json!({"members": ["x"]})),
    )
    .await;
    assert_eq!(r.status, 404);
}

/// A registry left without a sponsor by an older version (the column was optional) admits no
/// one: its hand-offs are refused with the registry's page, and said why in the audit trail.
/// Naming a sponsor opens it again, and sponsors and enrols, in the same change, the members
/// it validated meanwhile without one.
#[tokio::test]
async fn a_registry_without_a_sponsor_admits_no_one_until_one_is_named() {
    let app = spawn_app().await;
    directory(&app).await;
    let admin = token(&app, "oneid:admin").await;
    let (private, public) = key_pair();
    let r = call(
        &app,
        &admin,
        "POST",
        "",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": public, "kid": "k1"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let (member, _, _) = registered_and_signed_in(&app, "cpso", &private, "3001").await;
    // What an older version left: no sponsor on the registry, none on its member.
    let db = app.provider.db.pool();
    sqlx::query("UPDATE registries SET sponsor_id = NULL WHERE id = 'cpso'")
        .execute(db)
        .await
        .unwrap();
    for sql in [
        "DELETE FROM enrolments WHERE account_id = $1",
        "DELETE FROM sponsorships WHERE account_id = $1",
    ] {
        sqlx::query(sql).bind(&member).execute(db).await.unwrap();
    }
    let dir = &app.provider.registration.directory;
    assert!(dir.enrolments(&member).await.unwrap().is_empty());

    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "3002")).await,
        403,
        "no sponsor, no registration"
    );
    let refused = app.audit("registration.refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].detail.as_deref(), Some("no_sponsor"));
    assert_eq!(
        app.provider
            .registration
            .registries
            .unsponsored()
            .await
            .unwrap(),
        vec!["cpso".to_owned()]
    );
    let r = call(&app, &admin, "GET", "/cpso", None).await;
    assert_eq!(r.json["sponsor_id"], Value::Null);

    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"sponsor_id": SPONSOR})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let enrolled = dir.enrolments(&member).await.unwrap();
    assert_eq!(
        enrolled
            .iter()
            .map(|e| (
                e.service.id.as_str(),
                e.sponsor_id.as_str(),
                e.status.as_str()
            ))
            .collect::<Vec<_>>(),
        vec![("viewer", SPONSOR, "active")]
    );
    let (by,): (String,) = sqlx::query_as(
        "SELECT authorized_by FROM sponsorships WHERE account_id = $1 AND status = 'active'",
    )
    .bind(&member)
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(by, "registry:cpso");
    assert_eq!(
        offer(&app, &handoff(&app, "cpso", &private, None, "3002")).await,
        303
    );
    assert!(app
        .provider
        .registration
        .registries
        .unsponsored()
        .await
        .unwrap()
        .is_empty());
}

/// Registers member `number` of `cpso` as a self-registration does, without signing in; the
/// account id.
async fn registered(app: &TestApp, private: &str, number: &str) -> String {
    let p = &app.provider;
    let h = p
        .registration
        .verifier(&app.base)
        .accept_handoff(&handoff(app, "cpso", private, None, number))
        .await
        .unwrap();
    p.registration
        .complete(
            &h,
            credential_store::NewAccount {
                given_name: "Kofi".into(),
                family_name: format!("Boateng{number}"),
                password: PASSWORD.into(),
                ..Default::default()
            },
            "2026-01",
        )
        .await
        .unwrap()
        .account_id
}

/// Identity documents an LRA saw face to face (a passport and a birth certificate: AL2).
async fn documents_on_record(app: &TestApp, account: &str) {
    for (i, (kind, doc, photo)) in [
        ("primary", "canadian_passport", 1),
        ("secondary", "birth_certificate", 0),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO identity_evidence (id, account_id, organization_id, kind, document, \
             photo, in_person, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 'lra', 0)",
        )
        .bind(format!("{account}-{i}"))
        .bind(account)
        .bind(SPONSOR)
        .bind(kind)
        .bind(doc)
        .bind(photo)
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    }
}

async fn level(app: &TestApp, account: &str) -> i64 {
    let a = app.provider.accounts.find_by_id(account).await.unwrap();
    a.unwrap().assurance_level
}

/// The newest audit row `event` about `account`: its detail.
async fn detail(app: &TestApp, event: &str, account: &str) -> String {
    app.audit(event)
        .await
        .into_iter()
        .find(|r| r.subject.as_deref() == Some(account))
        .and_then(|r| r.detail)
        .unwrap_or_else(|| panic!("no {event} for {account}"))
}

#[tokio::test]
async fn members_follow_their_registrys_level_down_at_once_and_up_only_as_far_as_their_evidence() {
    let app = spawn_app().await;
    directory(&app).await;
    let admin = token(&app, "oneid:admin").await;
    let (private, public) = key_pair();
    let r = call(
        &app,
        &admin,
        "POST",
        "",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": public, "kid": "k1"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let (plain, browser, _) = registered_and_signed_in(&app, "cpso", &private, "6001").await;
    let seen = registered(&app, &private, "6002").await;
    documents_on_record(&app, &seen).await;
    assert_eq!(
        (level(&app, &plain).await, level(&app, &seen).await),
        (2, 2)
    );
    assert!(still_signed_in(&app, &browser).await);

    // Lowered: at once, with the sessions; no lower than another source on record gives.
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"assurance_level": 1})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (level(&app, &plain).await, level(&app, &seen).await),
        (1, 2)
    );
    assert!(!still_signed_in(&app, &browser).await, "its session ended");
    assert_eq!(
        detail(&app, "account.level_changed", &plain).await,
        "level: AL2 -> AL1; registry cpso AL2 -> AL1; no other source gives more; sessions ended"
    );
    assert_eq!(
        detail(&app, "account.level_kept", &seen).await,
        "level: AL2 -> AL2; registry cpso AL2 -> AL1; another source on record gives AL2"
    );

    // Raised: only as far as the evidence on record supports.
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"assurance_level": 3})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (level(&app, &plain).await, level(&app, &seen).await),
        (1, 2)
    );
    assert_eq!(
        detail(&app, "account.level_kept", &plain).await,
        "level: AL1 -> AL1; registry cpso AL1 -> AL3; the evidence on record supports AL1"
    );
    // Once an LRA has recorded documents for it, a raise reaches what they support.
    documents_on_record(&app, &plain).await;
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"assurance_level": 2})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"assurance_level": 3})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(level(&app, &plain).await, 2);
    assert!(app
        .audit("account.level_changed")
        .await
        .iter()
        .any(|r| r.subject.as_deref() == Some(plain.as_str())
            && r.detail.as_deref()
                == Some("level: AL1 -> AL2; registry cpso AL2 -> AL3; the evidence on record supports AL2")));
}

#[tokio::test]
async fn a_registry_admits_only_the_registration_classes_it_declares() {
    let app = spawn_app().await;
    directory(&app).await;
    let admin = token(&app, "oneid:admin").await;
    let (private, public) = key_pair();
    let r = call(
        &app,
        &admin,
        "POST",
        "",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": public, "kid": "k1",
                    "eligible_classes": ["Independent Practice"]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["eligible_classes"], json!(["Independent Practice"]));
    let offer_page = |number: &'static str, class: Option<&'static str>| {
        let token = handoff_of_class(&app, "cpso", &private, None, number, class);
        let url = format!("{}/register", app.base);
        async move {
            let r = http()
                .post(url)
                .form(&[("assertion", token.as_str())])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, page) = offer_page("7001", Some("Postgraduate Education")).await;
    assert_eq!(status, 403);
    assert!(
        page.contains("open only to members of certain registration classes"),
        "{page}"
    );
    assert_eq!(
        app.audit("registration.refused").await[0].detail.as_deref(),
        Some("class_not_eligible")
    );
    assert_eq!(offer_page("7002", None).await.0, 403, "no class, no entry");
    assert_eq!(
        offer_page("7003", Some("independent  practice")).await.0,
        303,
        "case and spaces do not matter"
    );
    // Every class again.
    let r = call(
        &app,
        &admin,
        "PATCH",
        "/cpso",
        Some(json!({"eligible_classes": []})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(offer_page("7004", None).await.0, 303);
    let detail = app.audit("registry.updated").await[0]
        .detail
        .clone()
        .unwrap();
    assert!(
        detail.contains("classes: Independent Practice -> -"),
        "{detail}"
    );
}

/// A registry's feed endpoint: records each notice's body and answers with the next status of
/// `statuses` (then 200).
async fn feed_endpoint(statuses: Vec<u16>) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::routing::post;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let left = Arc::new(std::sync::Mutex::new(statuses));
    let (s, l) = (seen.clone(), left.clone());
    let app = axum::Router::new().route(
        "/feed",
        post(move |body: String| {
            let (s, l) = (s.clone(), l.clone());
            async move {
                s.lock().unwrap().push(body);
                let mut l = l.lock().unwrap();
                let code = if l.is_empty() { 200 } else { l.remove(0) };
                axum::http::StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/feed"), seen)
}

#[tokio::test]
async fn a_subscribing_registry_is_told_when_a_member_closes_their_account() {
    let app = spawn_app().await;
    directory(&app).await;
    let admin = token(&app, "oneid:admin").await;
    let (private, public) = key_pair();
    let r = call(
        &app,
        &admin,
        "POST",
        "",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": public, "kid": "k1"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let (url, seen) = feed_endpoint(vec![503]).await;
    let bad = call(
        &app,
        &admin,
        "POST",
        "/cpso/feed",
        Some(json!({"url": "ftp://x/feed"})),
    )
    .await;
    bad.assert_error(400, "invalid_request", "an https URL");
    let r = call(
        &app,
        &admin,
        "POST",
        "/cpso/feed",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let (member, _, _) = registered_and_signed_in(&app, "cpso", &private, "8001").await;
    app.provider
        .registration
        .close_own_account(&member, "127.0.0.1")
        .await
        .unwrap()
        .expect("closed");
    let p = &app.provider;
    // The registry is down at first: kept, and tried again later.
    assert_eq!(
        authorization_server::feeds::deliver_due(p).await.unwrap(),
        0
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(
        authorization_server::feeds::deliver_due(p).await.unwrap(),
        0,
        "not yet due"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    app.clock.advance(61);
    // Two nodes on the same tick: the notice is sent once.
    let (a, b) = tokio::join!(
        authorization_server::feeds::deliver_due(p),
        authorization_server::feeds::deliver_due(p)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(seen.lock().unwrap().len(), 2, "sent once more, not twice");
    assert_eq!(
        authorization_server::feeds::deliver_due(p).await.unwrap(),
        0,
        "once"
    );
    let token = seen.lock().unwrap()[1].clone();
    // Signed by us: verified with a key of our JWKS, as the registry would.
    let jwks: Value = http()
        .get(format!("{}/jwks", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = josekit::jwt::decode_header(&token).unwrap();
    assert_eq!(
        header.claim("typ").and_then(Value::as_str),
        Some("oneid-termination-notice+jwt")
    );
    let kid = header.claim("kid").and_then(Value::as_str).unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("its key is published");
    let jwk = josekit::jwk::Jwk::from_bytes(serde_json::to_vec(jwk).unwrap()).unwrap();
    let verifier = josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(&token, &verifier).unwrap();
    assert_eq!(payload.claim("iss"), Some(&json!(app.base)));
    assert_eq!(payload.claim("aud"), Some(&json!("cpso")));
    assert_eq!(payload.claim("terminated"), Some(&json!(["m-8001"])));
    assert_eq!(
        payload.claim("reason"),
        Some(&json!("closed_by_registrant"))
    );
    assert_eq!(app.audit("registry.feed_set").await.len(), 1);
}
