//! The gate: a relying party belongs to a service, and a person gets a code (or a refreshed
//! token) for it only when enrolled in that service through an active sponsorship, at or
//! above the service's level of assurance.

use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use registration::{Approval, NewRegistry, Service};

const SPONSOR: &str = "uhn";

async fn service(app: &TestApp, id: &str, name: &str, level: i64) {
    app.provider
        .registration
        .directory
        .put_service(&Service {
            id: id.into(),
            name: name.into(),
            url: Some(format!("https://{id}.example/")),
            min_assurance_level: level,
        })
        .await
        .unwrap();
}

/// Services ConnectingOntario (AL1), OTN Hub (AL1) and a high-assurance one (AL3); a sponsor;
/// the clinician sponsored by it and enrolled in ConnectingOntario only. Returns the account id.
async fn world(app: &TestApp) -> String {
    let sub = app.add_unenrolled_user(LOGIN_ID, PASSWORD).await;
    service(app, "co", "ConnectingOntario ClinicalViewer", 1).await;
    service(app, "otn", "OTN Hub", 1).await;
    service(app, "hi", "High Assurance Viewer", 3).await;
    let dir = &app.provider.registration.directory;
    dir.put_organization(SPONSOR, "University Health Network")
        .await
        .unwrap();
    dir.sponsor(&sub, SPONSOR, Some("E-1001"), "test")
        .await
        .unwrap();
    dir.enrol(&sub, "co", SPONSOR, "test").await.unwrap();
    sub
}

async fn rp_for(app: &TestApp, client: &str, service: Option<&str>) -> Rp {
    let service = service.map(str::to_owned);
    Rp::discover(
        &app.add_client_with(client, |n| n.service_id = service)
            .await,
    )
    .await
}

/// The refusal page: 403, what is missing, and the way back carrying `access_denied`.
fn assert_refused(r: &Resp, rp_client: &str, state: &str, words: &[&str]) {
    assert_eq!(r.status, 403, "{}", r.body);
    for w in words {
        assert!(r.body.contains(w), "page must say {w:?}: {}", r.body);
    }
    let back = format!("http://127.0.0.1:9/{rp_client}/cb?error=access_denied");
    assert!(
        r.body.contains(&back),
        "a link back with access_denied: {}",
        r.body
    );
    assert!(r.body.contains(&format!("state={state}")), "{}", r.body);
    assert!(r.location().is_none(), "no redirect carrying a code");
}

#[tokio::test]
async fn a_clinician_not_enrolled_in_otn_hub_is_refused_there_but_ssos_into_connectingontario() {
    let app = spawn_app().await;
    let sub = world(&app).await;
    let co = rp_for(&app, "connectingontario", Some("co")).await;
    let otn = rp_for(&app, "otnhub", Some("otn")).await;
    let browser = Browser::new();

    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    assert_eq!(t.claims.subject().as_str(), sub);

    // SSO into OTN Hub: the session is live, but the person is not enrolled there.
    let s = otn.start(&["profile"], &[]);
    let r = browser.get(&s.url).await;
    assert_refused(&r, "otnhub", &s.state, &["OTN Hub", "not enrolled"]);
    assert_eq!(
        app.count("audit_log WHERE event = 'authorization.refused'")
            .await,
        1
    );

    // A fresh sign-in straight at OTN Hub is refused after the password too, in French.
    let fr = Browser::new();
    let s = otn.start(&["profile"], &[("ui_locales", "fr")]);
    let page = fr.get(&s.url).await;
    let r = fr.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_refused(&r, "otnhub", &s.state, &["OTN Hub", "pas inscrit"]);

    // ... and that sign-in still reaches ConnectingOntario by SSO.
    let again = co.sso(&fr, &[]).await;
    assert_eq!(again.claims.subject().as_str(), sub);
}

#[tokio::test]
async fn enrolling_or_raising_the_level_takes_effect_on_the_next_authorization() {
    let app = spawn_app().await;
    let sub = world(&app).await;
    let co = rp_for(&app, "connectingontario", Some("co")).await;
    let otn = rp_for(&app, "otnhub", Some("otn")).await;
    let hi = rp_for(&app, "highviewer", Some("hi")).await;
    let browser = Browser::new();
    co.login(&browser, LOGIN_ID, PASSWORD).await;

    let dir = &app.provider.registration.directory;
    dir.enrol(&sub, "otn", SPONSOR, "test").await.unwrap();
    let t = otn.sso(&browser, &[]).await;
    assert_eq!(t.claims.subject().as_str(), sub);

    // Enrolled in the AL3 service, but the account is AL1: refused, saying the levels.
    dir.enrol(&sub, "hi", SPONSOR, "test").await.unwrap();
    let s = hi.start(&["profile"], &[]);
    let r = browser.get(&s.url).await;
    assert_refused(&r, "highviewer", &s.state, &["AL3", "AL1"]);

    // The registration authority raises the level: the next authorization passes.
    sqlx::query("UPDATE accounts SET assurance_level = 3 WHERE id = $1")
        .bind(&sub)
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    let t = hi.sso(&browser, &[]).await;
    assert_eq!(t.claims.subject().as_str(), sub);
}

#[tokio::test]
async fn ending_an_enrolment_or_a_sponsorship_stops_the_refresh_and_the_next_authorization() {
    let app = spawn_app().await;
    let sub = world(&app).await;
    let co_cfg = app
        .add_client_with("connectingontario", |n| n.service_id = Some("co".into()))
        .await;
    let co = Rp::discover(&co_cfg).await;
    let otn = rp_for(&app, "otnhub", Some("otn")).await;
    let dir = &app.provider.registration.directory;
    dir.enrol(&sub, "otn", SPONSOR, "test").await.unwrap();
    let browser = Browser::new();
    let t = co.login(&browser, LOGIN_ID, PASSWORD).await;
    let rt = t.refresh_token().expect("a refresh token");

    let refresh = |token: String| {
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/token"))
                .basic_auth("connectingontario", Some("connectingontario-secret"))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                .send()
                .await
                .unwrap()
        }
    };
    let ok = refresh(rt).await;
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();

    // Ending the ConnectingOntario enrolment stops its refresh tokens at once.
    assert!(dir.end_enrolment(&sub, "co", SPONSOR).await.unwrap());
    let refused = refresh(rt2).await;
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    // OTN Hub still works by SSO, until the sponsorship itself ends (with its enrolments).
    otn.sso(&browser, &[]).await;
    assert!(dir.end_sponsorship(&sub, SPONSOR).await.unwrap());
    assert!(dir.enrolments(&sub).await.unwrap().is_empty());
    let s = otn.start(&["profile"], &[]);
    let r = browser.get(&s.url).await;
    assert_refused(&r, "otnhub", &s.state, &["OTN Hub"]);

    // Sponsoring again does not bring old enrolments back: enrolling is a decision.
    dir.sponsor(&sub, SPONSOR, None, "test").await.unwrap();
    let r = browser.get(&otn.start(&["profile"], &[]).url).await;
    assert_eq!(r.status, 403);
    dir.enrol(&sub, "otn", SPONSOR, "test").await.unwrap();
    otn.sso(&browser, &[]).await;
}

#[tokio::test]
async fn a_relying_party_outside_every_service_admits_no_one_and_none_joins_an_unknown_service() {
    let app = spawn_app().await;
    world(&app).await;
    // A relying party that signs people in cannot be registered, or left, outside a service.
    let err = app
        .provider
        .clients
        .add(authorization_server::NewClient {
            client_id: "internal".into(),
            name: "Internal".into(),
            redirect_uris: vec!["http://127.0.0.1:9/internal/cb".into()],
            secret: Some("internal-secret".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to a service"), "{err}");
    let internal = rp_for(&app, "internal", Some("co")).await;
    let err = app
        .provider
        .clients
        .set_service("internal", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to a service"), "{err}");
    // A client acting only for itself needs none.
    app.add_client_with("robot", |n| {
        n.service_id = None;
        n.redirect_uris.clear();
        n.grant_types = vec!["client_credentials".into()];
    })
    .await;

    // A row left without a service (from before services existed) admits no one, refresh
    // included, even a clinician enrolled elsewhere.
    let browser = Browser::new();
    let t = internal.login(&browser, LOGIN_ID, PASSWORD).await;
    let refresh = t.refresh_token().expect("a refresh token");
    sqlx::query("UPDATE clients SET service_id = NULL WHERE client_id = 'internal'")
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    app.clock.advance(60); // past the client cache
    let start = internal.start(&["profile"], &[]);
    let r = browser.get(&start.url).await;
    assert_refused(
        &r,
        "internal",
        &start.state,
        &["not set up for access through ONE ID"],
    );
    let refused = app.audit("authorization.refused").await;
    assert_eq!(refused[0].detail.as_deref(), Some("no_service"));
    assert_eq!(refused[0].client_id.as_deref(), Some("internal"));
    let r = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("internal", Some("internal-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");

    // A client can only be put in a service that exists.
    let err = app
        .provider
        .clients
        .set_service("internal", Some("nope"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no such service"), "{err}");
}

#[tokio::test]
async fn an_identity_from_a_limited_registry_approval_reaches_only_that_registrys_services() {
    let app = spawn_app().await;
    let sub = world(&app).await;
    let reg = &app.provider.registration;
    reg.registries
        .add(NewRegistry {
            id: "ocfp".into(),
            name: "OCFP register (limited)".into(),
            owner: "OCFP".into(),
            contact: "registry@ocfp.example".into(),
            college: "OCFP".into(),
            assurance_level: 1,
            approval: Some(Approval::Limited),
            sponsor_id: Some(SPONSOR.into()),
            services: vec!["co".into()],
            ..NewRegistry::default()
        })
        .await
        .unwrap();
    // The account was validated by that registry (as a self-registration records it).
    sqlx::query(
        "INSERT INTO registry_members (account_id, registry_id, member_id, approval, \
         assurance_level, registered_at) VALUES ($1, 'ocfp', 'M-1', 'limited', 1, 0)",
    )
    .bind(&sub)
    .execute(app.provider.db.pool())
    .await
    .unwrap();
    let dir = &reg.directory;
    dir.enrol(&sub, "otn", SPONSOR, "test").await.unwrap();
    let co = rp_for(&app, "connectingontario", Some("co")).await;
    let otn = rp_for(&app, "otnhub", Some("otn")).await;
    let browser = Browser::new();
    co.login(&browser, LOGIN_ID, PASSWORD).await;
    // Enrolled in OTN Hub, but the identity's approval does not cover it.
    let s = otn.start(&["profile"], &[]);
    let r = browser.get(&s.url).await;
    assert_refused(&r, "otnhub", &s.state, &["OTN Hub"]);
}

#[tokio::test]
async fn prompt_none_gets_access_denied_without_a_page_and_a_vanished_service_refuses() {
    let app = spawn_app().await;
    world(&app).await;
    let co = rp_for(&app, "connectingontario", Some("co")).await;
    let otn = rp_for(&app, "otnhub", Some("otn")).await;
    let browser = Browser::new();
    co.login(&browser, LOGIN_ID, PASSWORD).await;
    // Silent renewal at a service the person is not enrolled in: straight back, no UI.
    let s = otn.start(&["profile"], &[("prompt", "none")]);
    let r = browser.get(&s.url).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let q = r.location_params();
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state"), Some(&s.state));
    assert!(!q.contains_key("code"));
    // A relying party whose service no longer exists lets nobody in.
    sqlx::query("DELETE FROM services WHERE id = 'co'")
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    let s = co.start(&["profile"], &[]);
    let r = browser.get(&s.url).await;
    assert_refused(&r, "connectingontario", &s.state, &["not set up"]);
}

/// A refresh-token grant by `client` (secret `{client}-secret`): status and JSON body.
async fn refresh_as(app: &TestApp, client: &str, token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth(client, Some(format!("{client}-secret")))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_lowered_level_or_a_suspended_sponsor_stops_the_refresh() {
    let app = spawn_app().await;
    let sub = world(&app).await;
    let dir = &app.provider.registration.directory;
    dir.enrol(&sub, "hi", SPONSOR, "test").await.unwrap();
    let set_level = |level: i64| {
        let (db, sub) = (app.provider.db.clone(), sub.clone());
        async move {
            sqlx::query("UPDATE accounts SET assurance_level = $2 WHERE id = $1")
                .bind(&sub)
                .bind(level)
                .execute(db.pool())
                .await
                .unwrap();
        }
    };
    set_level(3).await;
    let hi = rp_for(&app, "highviewer", Some("hi")).await;
    let co = rp_for(&app, "connectingontario", Some("co")).await;
    let browser = Browser::new();
    let hi_rt = hi
        .login(&browser, LOGIN_ID, PASSWORD)
        .await
        .refresh_token()
        .unwrap();
    let co_rt = co.sso(&browser, &[]).await.refresh_token().unwrap();

    // The level falls below the high-assurance service's: its refresh stops, the other's not.
    set_level(1).await;
    let (status, body) = refresh_as(&app, "highviewer", &hi_rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = refresh_as(&app, "connectingontario", &co_rt).await;
    assert_eq!(status, 200, "{body}");
    let co_rt = body["refresh_token"].as_str().unwrap().to_owned();

    // The sponsor is suspended: nothing it sponsors refreshes any more.
    dir.update_organization(
        SPONSOR,
        registration::services::OrganizationChange {
            status: Some("suspended".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (status, body) = refresh_as(&app, "connectingontario", &co_rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}
