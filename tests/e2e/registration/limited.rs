//! A registry with a limited approval (004 §5.3.3, §5.7.1): its members are enrolled only in
//! the registry's services, their identity reaches nothing else, and it stops being usable
//! when the registry is terminated or outside the approval's dates; an identity validated
//! under a general approval stays usable after the registry's termination.

use super::*;
use oneid_tests::browser::Resp;

/// The gate's refusal: 403, the service named, the way back carrying `access_denied`.
fn assert_gated(r: &Resp, client: &str, service: &str) {
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains(service), "names {service}: {}", r.body);
    assert!(
        r.body.contains(&format!(
            "http://127.0.0.1:9/{client}/cb?error=access_denied"
        )),
        "a way back with access_denied: {}",
        r.body
    );
    assert!(r.location().is_none(), "no code");
}

/// A relying party of `service`.
async fn rp_of(app: &TestApp, client: &str, service: &str) -> Rp {
    let service = service.to_owned();
    Rp::discover(
        &app.add_client_with(client, |n| n.service_id = Some(service))
            .await,
    )
    .await
}

/// A third service (AL1) the registry does not list, and the registry limited to its own
/// services from yesterday until an hour from now.
async fn limit(env: &Env) -> (i64, i64) {
    let r = &env.app.provider.registration;
    r.directory
        .put_service(&Service {
            id: "otn".into(),
            name: "OTN Hub".into(),
            url: Some("https://otn.example.org/".into()),
            min_assurance_level: 1,
        })
        .await
        .unwrap();
    let now = env.now();
    let window = (now - 86_400, now + 3_600);
    r.registries
        .update(
            REGISTRY,
            RegistryUpdate {
                approval: Some(Approval::Limited),
                approved_from: Some(Some(window.0)),
                approved_until: Some(Some(window.1)),
                ..RegistryUpdate::default()
            },
        )
        .await
        .unwrap();
    window
}

#[tokio::test]
async fn a_limited_approval_enrols_only_its_services_and_ends_with_the_registry_unlike_a_general_one(
) {
    let env = env().await;
    let app = &env.app;
    let p = &app.provider;
    // Samira registers under the general approval; then the approval is limited and
    // Patricia registers under it.
    let (samira, samira_id) = env.register(SAMIRA).await;
    limit(&env).await;
    let w = env.start(PATRICIA).await;
    for s in STEPS {
        w.pass(s).await;
    }
    let done = w.get("complete?ui_locales=en").await;
    assert!(done.body.contains(AL1_SERVICE), "{}", done.body);
    assert!(!done.body.contains(AL3_SERVICE) && !done.body.contains("OTN Hub"));
    let patricia = login_id_shown(&done);
    let patricia_id = p
        .accounts
        .find_by_login_id(&patricia)
        .await
        .unwrap()
        .unwrap()
        .id;
    // Enrolled in the registry's services its level admits, nothing else.
    let enrolled: Vec<String> = p
        .registration
        .directory
        .enrolments(&patricia_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.service.id)
        .collect();
    assert_eq!(enrolled, ["viewer"]);
    let (_, _, approval, _) = p
        .registration
        .provenance(&patricia_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approval, "limited");
    let (_, _, approval, _) = p
        .registration
        .provenance(&samira_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approval, "general");
    let registered = app.audit("account.registered").await;
    let detail = registered[0].detail.clone().unwrap();
    assert!(
        detail.contains("approval=limited") && detail.contains("services=viewer"),
        "{detail}"
    );

    let viewer = rp_of(app, "viewer", "viewer").await;
    let otn = rp_of(app, "otnhub", "otn").await;
    let bp = Browser::new();
    let bs = Browser::new();
    let tp = viewer.login(&bp, &patricia, PASSWORD).await;
    viewer.login(&bs, &samira, PASSWORD).await;
    // Even enrolled in another service through the sponsor, the limited identity does not
    // reach it.
    p.registration
        .directory
        .enrol(&patricia_id, "otn", SPONSOR, "test")
        .await
        .unwrap();
    let r = bp.get(&otn.start(&["profile"], &[]).url).await;
    assert_gated(&r, "otnhub", "OTN Hub");
    let (status, body) = refresh(app, &tp.refresh_token().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let rt = body["refresh_token"].as_str().unwrap().to_owned();

    // The registry is terminated: the limited identity is refused at the next authorization
    // (SSO or a fresh sign-in) and refresh; the general one carries on.
    p.registration
        .registries
        .set_status(REGISTRY, RegistryStatus::Terminated)
        .await
        .unwrap();
    let r = bp.get(&viewer.start(&["profile"], &[]).url).await;
    assert_gated(&r, "viewer", AL1_SERVICE);
    let fresh = Browser::new();
    let page = fresh.get(&viewer.start(&["profile"], &[]).url).await;
    let r = fresh.login(&app.base, &page, &patricia, PASSWORD).await;
    assert_gated(&r, "viewer", AL1_SERVICE);
    let (status, body) = refresh(app, &rt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let t = viewer.sso(&bs, &[]).await;
    assert_eq!(t.claims.subject().as_str(), samira_id);
}

#[tokio::test]
async fn a_limited_identity_is_usable_only_inside_the_approval_dates() {
    let env = env().await;
    let app = &env.app;
    let (_, until) = limit(&env).await;
    let (patricia, _) = env.register(PATRICIA).await;
    let viewer = rp_of(app, "viewer", "viewer").await;
    let b = Browser::new();
    let t = viewer.login(&b, &patricia, PASSWORD).await;
    let rt = t.refresh_token().unwrap();

    // Past the last day of the approval: refused, at SSO and at refresh.
    app.clock.set(until + 1);
    let r = b.get(&viewer.start(&["profile"], &[]).url).await;
    assert_gated(&r, "viewer", AL1_SERVICE);
    let (status, _) = refresh(app, &rt).await;
    assert_eq!(status, 400);

    // The approval is extended: usable again. Moved to start later: not yet.
    let regs = &app.provider.registration.registries;
    regs.update(
        REGISTRY,
        RegistryUpdate {
            approved_until: Some(Some(until + 86_400)),
            ..RegistryUpdate::default()
        },
    )
    .await
    .unwrap();
    viewer.sso(&b, &[]).await;
    regs.update(
        REGISTRY,
        RegistryUpdate {
            approved_from: Some(Some(until + 60)),
            ..RegistryUpdate::default()
        },
    )
    .await
    .unwrap();
    let r = b.get(&viewer.start(&["profile"], &[]).url).await;
    assert_gated(&r, "viewer", AL1_SERVICE);
}
