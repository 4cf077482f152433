//! The administrators' console beyond organizations and the audit trail: relying parties
//! registered in their service (the secret shown once) and removed, services edited, and
//! accounts reinstated and terminated, in English and French.

use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, RpConfig, TestApp, LOGIN_ID, PASSWORD, TEST_SPONSOR};
use registration::Service;

async fn service(app: &TestApp, id: &str, name: &str, level: i64) {
    app.provider
        .registration
        .directory
        .put_service(&Service {
            id: id.into(),
            name: name.into(),
            url: None,
            min_assurance_level: level,
        })
        .await
        .unwrap();
}

/// POSTs a console form at `path` with the page's anti-forgery token.
async fn post(app: &TestApp, b: &Browser, csrf: &str, path: &str, form: &[(&str, &str)]) -> Resp {
    let mut f = vec![("csrf", csrf)];
    f.extend_from_slice(form);
    b.post_form(&format!("{}{path}", app.base), &f).await
}

const VIEWER: [(&str, &str); 5] = [
    ("client_id", "viewer"),
    ("name", "Regional Viewer"),
    (
        "redirect_uris",
        "https://viewer.example/cb\r\nhttp://127.0.0.1:9/viewer/cb",
    ),
    ("kind", "confidential"),
    ("id_token_alg", "ES256"),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f: Vec<_> = VIEWER
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    f.extend_from_slice(extra);
    f
}

#[tokio::test]
async fn the_console_registers_a_relying_party_in_its_service_shows_the_secret_once_and_removes_it()
{
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    let (admin_id, secret) = administrator(&app).await;
    service(&app, "co", "ConnectingOntario", 1).await;
    let b = Browser::new();
    let page = console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/clients",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"add\""), "a form to register one");
    let csrf = page.hidden("csrf").unwrap();

    // Each fault is named beside its field, what was typed is kept, nothing is registered.
    let r = post(&app, &b, &csrf, "/admin/clients", &with(&[])).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("service_id").as_deref(),
        Some("A relying party that signs people in belongs to a service: choose one.")
    );
    assert!(
        r.body.contains("value=\"Regional Viewer\""),
        "typed input kept"
    );
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients?ui_locales=fr",
        &with(&[
            ("service_id", "co"),
            ("redirect_uris", "http://viewer.example/cb"),
        ]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.field_error("redirect_uris")
            .unwrap()
            .starts_with("Entrez au moins une URL https"),
        "{}",
        r.body
    );
    // Back to English (the language chosen holds for the next pages).
    b.get(&format!("{}/admin/clients?ui_locales=en", app.base))
        .await;
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients",
        &with(&[("service_id", "co"), ("client_id", "a b")]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.field_error("client_id").is_some(), "{}", r.body);
    assert!(app.provider.clients.get("viewer").await.unwrap().is_none());

    // Registered: the secret is on this page and nowhere else, ever.
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients",
        &with(&[("service_id", "co")]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.notice().as_deref(), Some("Added."));
    let client_secret = r
        .fact("Shown once, now: only its digest is kept. Give it to the relying party&#x27;s operator.")
        .expect("the secret, shown once");
    assert!(client_secret.len() >= 43, "{client_secret}");
    let again = b.get(&format!("{}/admin/clients/viewer", app.base)).await;
    assert!(!again.body.contains(&client_secret));
    assert!(!b
        .get(&format!("{}/admin/clients", app.base))
        .await
        .body
        .contains(&client_secret));
    let c = app.provider.clients.get("viewer").await.unwrap().unwrap();
    assert_eq!(c.service_id.as_deref(), Some("co"));
    let added = &app.audit("client.added").await[0];
    assert_eq!(added.actor.as_deref(), Some(admin_id.as_str()));
    assert!(added.detail.as_deref().unwrap().contains("service=co"));

    // The secret works, and the gate holds: in only once enrolled in the service.
    let mut rp = Rp::discover(&RpConfig {
        client_id: "viewer".into(),
        secret: Some(client_secret),
        redirect_uri: "http://127.0.0.1:9/viewer/cb".into(),
        issuer: app.base.clone(),
    })
    .await;
    rp.algs = vec![openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP256Sha256];
    let person = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let login = person.get(&s.url).await;
    let refused = person.login(&app.base, &login, LOGIN_ID, PASSWORD).await;
    assert_eq!(refused.status, 403, "not enrolled in ConnectingOntario yet");
    app.provider
        .registration
        .directory
        .enrol(&clinician, "co", TEST_SPONSOR, "test")
        .await
        .unwrap();
    let t = rp.sso(&person, &[]).await;
    assert_eq!(t.claims.subject().as_str(), clinician);

    // It cannot be taken out of every service; it can be removed, once confirmed.
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer",
        &[("op", "service"), ("service_id", "")],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r
        .field_error("service_id")
        .unwrap()
        .contains("belongs to a service"));
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer",
        &[("op", "service"), ("service_id", "nope")],
    )
    .await;
    assert_eq!(
        r.field_error("service_id").as_deref(),
        Some("Choose an existing service.")
    );
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer",
        &[("op", "remove")],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.field_error("confirm").is_some(), "{}", r.body);
    assert!(app.provider.clients.get("viewer").await.unwrap().is_some());
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer",
        &[("op", "remove"), ("confirm", "on")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let listed = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    assert_eq!(listed.notice().as_deref(), Some("Removed."));
    assert!(app.provider.clients.get("viewer").await.unwrap().is_none());
    assert_eq!(
        app.audit("client.removed").await[0].actor.as_deref(),
        Some(admin_id.as_str())
    );
    // Its refresh and SSO stop with it.
    let s = rp.start(&["profile"], &[]);
    let r = person.get(&s.url).await;
    assert_eq!(
        r.status, 400,
        "an unknown client gets an error page: {}",
        r.body
    );
}

#[tokio::test]
async fn the_console_edits_a_service_and_reinstates_then_terminates_an_account() {
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    let (admin_id, secret) = administrator(&app).await;
    service(&app, "co", "ConnectingOntario", 1).await;
    let b = Browser::new();
    console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/services",
    )
    .await;
    let page = b.get(&format!("{}/admin/services/co", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();

    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/services/co",
        &[("name", ""), ("min_assurance_level", "2")],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.field_error("name").is_some(), "{}", r.body);
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/services/co",
        &[
            ("name", "ConnectingOntario ClinicalViewer"),
            ("url", "https://co.example/"),
            ("min_assurance_level", "2"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = app
        .provider
        .registration
        .directory
        .service("co")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.name.as_str(), s.min_assurance_level),
        ("ConnectingOntario ClinicalViewer", 2)
    );
    let e = &app.audit("service.updated").await[0];
    assert_eq!(e.actor.as_deref(), Some(admin_id.as_str()));
    assert_eq!(
        e.detail.as_deref(),
        Some(
            "name: \"ConnectingOntario\" -> \"ConnectingOntario ClinicalViewer\"; \
             url: - -> https://co.example/; min_level: 1 -> 2"
        )
    );

    // An account: suspended, reinstated, then terminated only once confirmed.
    let path = format!("/admin/accounts/{clinician}");
    let r = post(
        &app,
        &b,
        &csrf,
        &path,
        &[("op", "suspend"), ("suspend_reason", "on leave")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(
        &app,
        &b,
        &csrf,
        &format!("{path}?ui_locales=fr"),
        &[("op", "reinstate"), ("reinstate_reason", "de retour")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("lang=\"fr\""));
    b.get(&format!("{}{path}?ui_locales=en", app.base)).await;
    let acc = app
        .provider
        .accounts
        .find_by_id(&clinician)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.status, credential_store::AccountStatus::Active);
    assert_eq!(
        app.audit("account.reinstated").await[0].detail.as_deref(),
        Some("status: suspended -> active; reason: \"de retour\"")
    );
    let r = post(&app, &b, &csrf, &path, &[("op", "terminate")]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("confirm").as_deref(),
        Some("Tick the box to confirm the termination.")
    );
    assert_eq!(
        app.provider
            .accounts
            .find_by_id(&clinician)
            .await
            .unwrap()
            .unwrap()
            .status,
        credential_store::AccountStatus::Active
    );
    let r = post(
        &app,
        &b,
        &csrf,
        &path,
        &[("op", "terminate"), ("confirm", "on")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.provider
            .accounts
            .find_by_id(&clinician)
            .await
            .unwrap()
            .unwrap()
            .status,
        credential_store::AccountStatus::Terminated
    );
    assert!(
        !r.body.contains("id=\"reinstate\""),
        "termination is final: no way back offered"
    );
    assert_eq!(
        app.audit("account.terminated").await[0].actor.as_deref(),
        Some(admin_id.as_str())
    );
}

#[tokio::test]
async fn signing_in_from_admin_without_a_trailing_slash_lands_in_the_console() {
    let app = spawn_app().await;
    let (_, secret) = administrator(&app).await;
    let b = Browser::new();
    let page = console_sign_in(&app, &b, ADMIN_LOGIN, ADMIN_PASSWORD, &secret, "/admin").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("href=\"/admin/keys?ui_locales=en\""),
        "the console's home: {}",
        page.body
    );
    let slash = b.get(&format!("{}/admin/", app.base)).await;
    assert_eq!(slash.status, 200, "{}", slash.body);
    assert!(slash.body.contains("href=\"/admin/keys?ui_locales=en\""));
}

/// `n` accounts named Zed00 Pat … Zed{n-1} Pat (created a second apart, in that order).
async fn many_accounts(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = app
            .provider
            .accounts
            .create(credential_store::NewAccount {
                given_name: "Pat".into(),
                family_name: format!("Zed{i:02}"),
                locale: "en".into(),
                password: PASSWORD.into(),
                ..credential_store::NewAccount::default()
            })
            .await
            .unwrap()
            .id;
        ids.push(id);
        app.clock.advance(1);
    }
    ids
}

/// The login IDs of a list page, in its order.
fn login_ids(r: &Resp) -> Vec<String> {
    r.table_rows()
        .into_iter()
        .map(|row| row[0].clone())
        .collect()
}

#[tokio::test]
async fn the_accounts_list_filters_orders_and_pages_by_keyset_with_every_choice_in_the_address() {
    let app = spawn_app().await;
    let (_, secret) = administrator(&app).await;
    let ids = many_accounts(&app, 56).await;
    for id in &ids[10..13] {
        app.provider
            .accounts
            .set_status(id, credential_store::AccountStatus::Suspended)
            .await
            .unwrap();
    }
    let b = Browser::new();
    let first = console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/accounts",
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    // Every account, without a search; the filters are a GET form, the page is wide.
    assert!(
        first
            .body
            .contains("<form method=\"get\" action=\"/admin/accounts\""),
        "{}",
        first.body
    );
    assert!(first.body.contains("<main class=\"console\">"));
    let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(app.provider.db.pool())
        .await
        .unwrap();
    let page1 = login_ids(&first);
    assert_eq!(page1.len(), 50);
    assert!(first.link("Previous page").is_none());
    let heads = first.table_headers();
    assert_eq!(heads[1], ("Name".to_owned(), "ascending".to_owned()));
    // Ordered by family name: Burt (the administrator), then Zed00, Zed01 …
    let names: Vec<String> = first
        .table_rows()
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(names[0], "Randy Burt");
    assert_eq!(names[1], "Pat Zed00");
    assert_eq!(names[49], "Pat Zed48");
    let next = first.link("Next page").expect("a next page");
    assert!(next.contains("after="), "{next}");
    let second = b.get(&format!("{}{next}", app.base)).await;
    let page2 = login_ids(&second);
    let mut seen: Vec<String> = page1.iter().chain(&page2).cloned().collect();
    assert_eq!(seen.len() as i64, all, "two pages hold every account once");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as i64, all, "no account on both pages");
    assert!(second.link("Next page").is_none());
    let back = second.link("Previous page").expect("a previous page");
    let again = b.get(&format!("{}{back}", app.base)).await;
    assert_eq!(login_ids(&again), page1, "back to the same first page");
    assert!(
        again.link("Previous page").is_none(),
        "nothing before the first page"
    );

    // Ordered by name, last first: the header's link turns the order round.
    let desc = first.table_headers();
    assert_eq!(desc.len(), 5);
    let by_name = b
        .get(&format!("{}/admin/accounts?sort=name&dir=desc", app.base))
        .await;
    assert_eq!(by_name.table_headers()[1].1, "descending");
    assert!(
        by_name.table_rows()[0][1].contains("Zed55"),
        "{:?}",
        by_name.table_rows()[0]
    );
    // Newest first by creation.
    let newest = b
        .get(&format!(
            "{}/admin/accounts?sort=created&dir=desc",
            app.base
        ))
        .await;
    assert!(newest.table_rows()[0][1].contains("Zed55"));
    let next = newest.link("Next page").unwrap();
    assert!(
        next.contains("sort=created") && next.contains("dir=desc"),
        "{next}"
    );

    // A status filter and a search stay in every link.
    let suspended = b
        .get(&format!("{}/admin/accounts?status=suspended", app.base))
        .await;
    let rows = suspended.table_rows();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r[2] == "Suspended"), "{rows:?}");
    assert!(suspended
        .link("Login ID")
        .unwrap()
        .contains("status=suspended"));
    let found = b.get(&format!("{}/admin/accounts?q=zed4", app.base)).await;
    assert_eq!(found.table_rows().len(), 10, "Zed40 to Zed49");

    // In French, with the page's words.
    let fr = b
        .get(&format!("{}/admin/accounts?ui_locales=fr", app.base))
        .await;
    assert!(fr.link("Page suivante").is_some(), "{}", fr.body);
    assert_eq!(fr.table_headers()[4].0, "Créé le");
    // A cursor that names no account is an empty page, not an error.
    let none = b
        .get(&format!("{}/admin/accounts?after=nobody", app.base))
        .await;
    assert_eq!(none.status, 200);
    assert!(none.table_rows().is_empty());
}

#[tokio::test]
async fn the_audit_trail_pages_both_ways_keeps_its_filters_in_the_address_and_opens_each_event() {
    let app = spawn_app().await;
    let (_, secret) = administrator(&app).await;
    for i in 0..120 {
        let subject = format!("row-{i:03}");
        app.provider
            .audit
            .record(platform::audit::AuditEvent {
                event: "test.paged",
                subject: Some(&subject),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let b = Browser::new();
    let path = "/admin/audit?event=test.paged";
    let first = console_sign_in(&app, &b, ADMIN_LOGIN, ADMIN_PASSWORD, &secret, path).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let rows = first.table_rows();
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0][3], "row-119", "newest first");
    assert!(first.link("Newer events").is_none());
    let older = first.link("Older events").unwrap();
    assert!(older.contains("event=test.paged"), "{older}");
    let second = b.get(&format!("{}{older}", app.base)).await;
    assert_eq!(second.table_rows()[0][3], "row-069");
    let third = b
        .get(&format!(
            "{}{}",
            app.base,
            second.link("Older events").unwrap()
        ))
        .await;
    let last = third.table_rows();
    assert_eq!(last.len(), 20);
    assert_eq!(last[19][3], "row-000");
    assert!(third.link("Older events").is_none());
    // Up again: the 50 rows just above the page.
    let up = b
        .get(&format!(
            "{}{}",
            app.base,
            third.link("Newer events").unwrap()
        ))
        .await;
    assert_eq!(up.table_rows(), second.table_rows());
    let top = b
        .get(&format!("{}{}", app.base, up.link("Newer events").unwrap()))
        .await;
    assert_eq!(top.table_rows(), rows);
    assert!(top.link("Newer events").is_none());

    // One event, whole, from its time's link.
    let href = first
        .body
        .split("<td><a href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(oneid_tests::browser::unescape)
        .unwrap();
    assert!(href.starts_with("/admin/audit/"), "{href}");
    let one = b.get(&format!("{}{href}", app.base)).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.fact("Event").as_deref(), Some("test.paged"));
    assert_eq!(one.fact("Subject").as_deref(), Some("row-119"));
    let trail = one.link("Every event about the subject").unwrap();
    assert!(trail.contains("account=row-119"), "{trail}");
    let missing = b.get(&format!("{}/admin/audit/999999", app.base)).await;
    assert_eq!(missing.status, 404);
    let junk = b.get(&format!("{}/admin/audit/x1", app.base)).await;
    assert_eq!(junk.status, 404);
}

#[tokio::test]
async fn the_console_registers_a_fhir_server_and_gives_a_relying_party_some_of_its_scopes() {
    let app = spawn_app().await;
    app.add_client("viewer").await;
    let (_, secret) = administrator(&app).await;
    let b = Browser::new();
    let page = console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/resources",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("href=\"/admin/resources"),
        "in the navigation"
    );
    let csrf = page.hidden("csrf").unwrap();
    let fhir = [
        ("id", "fhir"),
        ("name", "Provincial FHIR server"),
        ("audience", "https://fhir.example.on.ca/r4"),
        ("scopes", "patient/*.rs\r\nuser/*.rs"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, &str)> = fhir
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .copied()
            .collect();
        f.extend_from_slice(extra);
        f
    };
    // Each fault beside its field, in the page's language; what was typed is kept.
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/resources",
        &with(&[("audience", "http://fhir.example.on.ca/r4")]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.field_error("audience")
            .unwrap()
            .starts_with("Give the server's base URL"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Provincial FHIR server\""));
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/resources?ui_locales=fr",
        &with(&[("scopes", "patient/Observations.rs")]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.field_error("scopes")
            .unwrap()
            .starts_with("Donnez au moins une portée"),
        "{}",
        r.body
    );
    b.get(&format!("{}/admin/resources?ui_locales=en", app.base))
        .await;
    assert!(app.provider.resources.list().await.unwrap().is_empty());
    let r = post(&app, &b, &csrf, "/admin/resources", &with(&[])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.notice().as_deref(), Some("Resource server registered."));
    let again = post(&app, &b, &csrf, "/admin/resources", &with(&[])).await;
    assert_eq!(again.status, 400);
    assert!(again.field_error("id").unwrap().contains("already exists"));
    let list = b.get(&format!("{}/admin/resources", app.base)).await;
    assert!(list.body.contains("https://fhir.example.on.ca/r4"));

    // On the relying party's page: a scope the server does not accept is refused; then
    // allowed, shown, and taken back.
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer",
        &[
            ("op", "allow"),
            ("resource", "fhir"),
            ("resource_scopes", "patient/Observation.cruds"),
        ],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.field_error("resource_scopes").is_some(), "{}", r.body);
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer",
        &[
            ("op", "allow"),
            ("resource", "fhir"),
            (
                "resource_scopes",
                "patient/Observation.rs\r\npatient/Patient.r",
            ),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.notice().as_deref(), Some("Permission saved."));
    assert_eq!(
        r.fact("fhir").as_deref(),
        Some("https://fhir.example.on.ca/r4\npatient/Observation.rs\npatient/Patient.r"),
        "{}",
        r.body
    );
    let c = app.provider.clients.get("viewer").await.unwrap().unwrap();
    assert_eq!(
        c.resources[0].scopes,
        ["patient/Observation.rs", "patient/Patient.r"]
    );
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/clients/viewer?ui_locales=fr",
        &[("op", "disallow"), ("disallow_resource", "fhir")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.notice().as_deref(), Some("Permission retirée."));
    assert!(app
        .provider
        .clients
        .get("viewer")
        .await
        .unwrap()
        .unwrap()
        .resources
        .is_empty());
    b.get(&format!("{}/admin/resources?ui_locales=en", app.base))
        .await;

    // Removed, after confirming.
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/resources/fhir",
        &[("op", "remove")],
    )
    .await;
    assert_eq!(r.status, 400);
    let r = post(
        &app,
        &b,
        &csrf,
        "/admin/resources/fhir",
        &[("op", "remove"), ("confirm", "on")],
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(app.provider.resources.get("fhir").await.unwrap().is_none());
    let audits: Vec<String> = [
        "resource.added",
        "client.resource_allowed",
        "client.resource_disallowed",
        "resource.removed",
    ]
    .iter()
    .map(|e| e.to_string())
    .collect();
    for e in audits {
        assert_eq!(app.audit(&e).await.len(), 1, "{e}");
    }
}
