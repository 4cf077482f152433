//! Managed registration processes held to the rules of registries (004 §6): a limited
//! approval enforced at the gate, a process status of its own that applies from a date and
//! leaves the sponsor role alone, and the organization's report of affiliates whose
//! registration ended (API and command line), each account terminated in one go.

use super::*;
use oneid_tests::api::Answer;
use serde_json::{json, Value};

const DAY: i64 = 86_400;

/// Registers affiliate `member` of the registering organization U through its LRA's page and
/// enrols the person in OTN Hub; returns (account id, login ID, temporary password).
async fn affiliate(
    app: &TestApp,
    b: &Browser,
    csrf: &str,
    given: &'static str,
    member: &str,
) -> (String, String, String) {
    let f = vec![
        ("legal_given_name", given),
        ("legal_family_name", "Affiliate"),
        ("given_name", given),
        ("birth_date", "1985-05-05"),
        ("email", "affiliate@example.org"),
        ("locale", "en"),
        ("member_id", member),
        ("affiliation_document", "photo_employee_id"),
        ("relationship", "regular full-time employee"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ];
    let r = post(app, b, csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let login_id = r.fact("Login ID").unwrap();
    let temp = r.fact("Temporary password").unwrap();
    let id = account_id(app, &login_id).await;
    let path = format!("/lra/person?id={id}");
    let e = post(app, b, csrf, &path, &[("op", "enrol"), ("service", "otn")]).await;
    assert_eq!(e.status, 200, "{}", e.body);
    (id, login_id, temp)
}

/// The person's first sign-in at the OTN viewer (new password, agreement): their browser,
/// with its SSO session.
async fn first_sign_in(app: &TestApp, rp: &Rp, login_id: &str, temp: &str) -> Browser {
    let c = Browser::new();
    let st = rp.start(&["profile"], &[]);
    let page = c.get(&st.url).await;
    let r = c.login(&app.base, &page, login_id, temp).await;
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
    let done = c.answer_agreement(&app.base, &done, true).await;
    rp.code_from(&st, &done);
    c
}

/// Whether the person gets a code at the OTN viewer now (else the gate's page): with the
/// session, or, once it has expired, signing in again.
async fn gets_in(app: &TestApp, rp: &Rp, c: &Browser, login_id: &str) -> bool {
    let st = rp.start(&["profile"], &[]);
    let mut r = c.get(&st.url).await;
    if r.is_login_page() {
        r = c.login(&app.base, &r, login_id, "Own-Choice-2027").await;
    }
    match r.status {
        303 => r.location_params().contains_key("code"),
        403 => false,
        s => panic!("unexpected {s}: {}", r.body),
    }
}

async fn api(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> Answer {
    let token = app.client_token("oneid:admin").await;
    let base = format!("{}/admin/api/organizations", app.base);
    oneid_tests::api::call(&base, &token, method, path, body).await
}

fn now(app: &TestApp) -> i64 {
    platform::Clock::now(app.clock.as_ref())
}

#[tokio::test]
async fn a_limited_process_approval_reaches_only_its_services_inside_its_dates() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let (_, login_id, temp) = affiliate(&app, &b, &csrf, "Ola", "E-2001").await;
    let rp = Rp::discover(
        &app.add_client_with("viewer", |n| n.service_id = Some("otn".into()))
            .await,
    )
    .await;
    let c = first_sign_in(&app, &rp, &login_id, &temp).await;
    // Migrated as it was: a general approval, in force.
    let r = api(&app, "GET", &format!("/{ORG_U}/process"), None).await;
    assert_eq!(
        (
            r.status,
            r.json["approval"].as_str(),
            r.json["status"].as_str()
        ),
        (200, Some("general"), Some("active")),
        "{}",
        r.json
    );
    assert!(gets_in(&app, &rp, &c, &login_id).await);

    // Limited to ConnectingOntario: OTN Hub is shut to the identities it validated.
    let r = api(
        &app,
        "PUT",
        &format!("/{ORG_U}/process"),
        Some(json!({"approval": "limited", "services": ["co"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(
        !gets_in(&app, &rp, &c, &login_id).await,
        "otn is outside the approval"
    );
    // Limited to OTN Hub, but its dates are over: shut.
    let t = now(&app);
    let r = api(
        &app,
        "PUT",
        &format!("/{ORG_U}/process"),
        Some(json!({"approval": "limited", "services": ["otn"],
                    "approved_from": t - 10 * DAY, "approved_until": t - DAY})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(
        !gets_in(&app, &rp, &c, &login_id).await,
        "outside the dates"
    );
    let r = api(
        &app,
        "PUT",
        &format!("/{ORG_U}/process"),
        Some(json!({"approval": "limited", "services": ["otn"],
                    "approved_from": t - DAY, "approved_until": t + DAY})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(
        gets_in(&app, &rp, &c, &login_id).await,
        "inside the dates, its service"
    );
    app.clock.advance(2 * DAY);
    assert!(
        !gets_in(&app, &rp, &c, &login_id).await,
        "the approval ended"
    );

    // Bad approvals are named, and change nothing.
    for (body, what) in [
        (json!({"approval": "limited"}), "services"),
        (
            json!({"approval": "general", "services": ["otn"]}),
            "general",
        ),
        (json!({"approval": "limited", "services": ["nope"]}), "nope"),
        (json!({"approval": "sometimes"}), "approval"),
    ] {
        let r = api(&app, "PUT", &format!("/{ORG_U}/process"), Some(body)).await;
        r.assert_error(400, "invalid_request", what);
        assert!(r.str("error_description").contains(what), "{}", r.json);
    }
    let audit = app.audit("process.approval_set").await;
    assert_eq!(audit.len(), 3);
    // An organization without a managed process has none to set.
    let r = api(&app, "GET", &format!("/{ORG_A}/process"), None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_suspended_process_registers_no_one_from_its_date_and_the_sponsor_goes_on() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let (ola, login_id, temp) = affiliate(&app, &b, &csrf, "Ola", "E-3001").await;
    let rp = Rp::discover(
        &app.add_client_with("viewer", |n| n.service_id = Some("otn".into()))
            .await,
    )
    .await;
    let c = first_sign_in(&app, &rp, &login_id, &temp).await;
    // Suspended from tomorrow: today it still registers.
    let tomorrow = now(&app) + DAY;
    let r = api(
        &app,
        "POST",
        &format!("/{ORG_U}/process/suspend"),
        Some(json!({"from": tomorrow})),
    )
    .await;
    assert_eq!(
        (
            r.status,
            r.json["status"].as_str(),
            r.json["previous_status"].as_str()
        ),
        (200, Some("suspended"), Some("active")),
        "{}",
        r.json
    );
    affiliate(&app, &b, &csrf, "Pia", "E-3002").await;
    // A suspension cannot start in the past.
    let r = api(
        &app,
        "POST",
        &format!("/{ORG_U}/process/suspend"),
        Some(json!({"from": now(&app) - DAY})),
    )
    .await;
    r.assert_error(400, "invalid_request", "past");

    app.clock.advance(DAY + 60);
    let (b, csrf) = session(&app, LRA_U).await;
    let accounts = app.count("accounts").await;
    let f = vec![
        ("legal_given_name", "Quinn"),
        ("legal_family_name", "Affiliate"),
        ("birth_date", "1985-05-05"),
        ("member_id", "E-3003"),
        ("affiliation_document", "photo_employee_id"),
        ("relationship", "regular full-time employee"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ];
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert!(r.status >= 400, "{}", r.body);
    assert!(
        r.body.contains("managed registration process is suspended"),
        "{}",
        r.body
    );
    assert_eq!(app.count("accounts").await, accounts, "no one registered");
    // The organization still sponsors: its people keep their enrolments, its LRA still enrols.
    assert_eq!(
        sponsorship(&app, &ola, ORG_U).await,
        Some(("active".into(), Some("E-3001".into())))
    );
    assert!(
        gets_in(&app, &rp, &c, &login_id).await,
        "a general approval's identities stay usable"
    );
    let org = api(&app, "GET", &format!("/{ORG_U}"), None).await;
    assert_eq!(
        org.json["status"], "active",
        "the sponsor role is untouched"
    );

    let r = api(&app, "POST", &format!("/{ORG_U}/process/reinstate"), None).await;
    assert_eq!(r.json["status"], "active", "{}", r.json);
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(&app, "POST", &format!("/{ORG_U}/process/terminate"), None).await;
    assert_eq!(r.json["status"], "terminated", "{}", r.json);
    let r = api(&app, "POST", &format!("/{ORG_U}/process/reinstate"), None).await;
    assert_eq!(r.status, 409, "termination is final: {}", r.json);
    for event in [
        "process.suspended",
        "process.reinstated",
        "process.terminated",
    ] {
        assert_eq!(app.audit(event).await.len(), 1, "{event}");
    }
}

#[tokio::test]
async fn an_organization_reports_affiliates_no_longer_registered_and_their_accounts_end() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let (ola, login_ola, temp_ola) = affiliate(&app, &b, &csrf, "Ola", "E-4001").await;
    let (pia, _, _) = affiliate(&app, &b, &csrf, "Pia", "E-4002").await;
    let rp = Rp::discover(
        &app.add_client_with("viewer", |n| n.service_id = Some("otn".into()))
            .await,
    )
    .await;
    let c = first_sign_in(&app, &rp, &login_ola, &temp_ola).await;
    assert!(gets_in(&app, &rp, &c, &login_ola).await);

    let r = api(
        &app,
        "POST",
        &format!("/{ORG_U}/terminations"),
        Some(json!({"members": ["E-4001", "E-9999"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json,
        json!({"terminated": ["E-4001"], "already": [], "unknown": ["E-9999"]})
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&ola)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status.as_str(), "terminated");
    assert_eq!(
        sponsorship(&app, &ola, ORG_U).await,
        Some(("ended".into(), Some("E-4001".into())))
    );
    let st = rp.start(&["profile"], &[]);
    assert!(c.get(&st.url).await.is_login_page(), "the session ended");
    let again = api(
        &app,
        "POST",
        &format!("/{ORG_U}/terminations"),
        Some(json!({"members": ["E-4001"]})),
    )
    .await;
    assert_eq!(again.json["already"], json!(["E-4001"]));

    // The same from the command line, from a file.
    let file =
        std::env::temp_dir().join(format!("oneid-aff-{}", platform::crypto::random_token(6)));
    std::fs::write(&file, "# reported by UHN HR\nE-4002\n\n").unwrap();
    let (code, out) = app
        .storage
        .cli(
            &[
                "organizations",
                "import-terminations",
                ORG_U,
                "--file",
                file.to_str().unwrap(),
            ],
            "",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 terminated, 0 already terminated, 0 unknown"),
        "{out}"
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&pia)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status.as_str(), "terminated");
    let rows = app.audit("account.terminated").await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|r| r.actor.as_deref() == Some("cli")));
    // Another organization's identifiers are not this one's to end.
    let r = api(
        &app,
        "POST",
        &format!("/{ORG_A}/terminations"),
        Some(json!({"members": ["E-4001"]})),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.json);
}

#[tokio::test]
async fn the_console_sets_a_process_approval_suspends_it_and_reports_ended_affiliates_in_french() {
    use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let (ola, _, _) = affiliate(&app, &b, &csrf, "Ola", "E-5001").await;
    let (_, secret) = administrator(&app).await;
    let admin = Browser::new();
    let path = format!("/admin/organizations/{ORG_U}");
    let page = console_sign_in(
        &app,
        &admin,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/organizations",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fr = admin
        .get(&format!("{}{path}?ui_locales=fr", app.base))
        .await;
    assert!(
        fr.body.contains("Processus d’inscription géré"),
        "{}",
        fr.body
    );
    assert_eq!(fr.fact("Approbation").as_deref(), Some("Générale"));
    let csrf = fr.hidden("csrf").unwrap();
    let url = format!("{}{path}?ui_locales=fr", app.base);
    let send = |form: Vec<(&'static str, String)>| {
        let (admin, url, csrf) = (admin.clone(), url.clone(), csrf.clone());
        async move {
            let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            f.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            admin.post_form(&url, &f).await
        }
    };
    // A bad date is said in French; nothing changes.
    let r = send(vec![
        ("op", "process_approval".into()),
        ("approval", "limited".into()),
        ("approved_until", "2027-02-30".into()),
        ("proc-otn", "on".into()),
    ])
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("Entrez une date au format AAAA-MM-JJ."),
        "{}",
        r.body
    );
    assert!(app.audit("process.approval_set").await.is_empty());
    let r = send(vec![
        ("op", "process_approval".into()),
        ("approval", "limited".into()),
        ("proc-otn", "on".into()),
    ])
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.fact("Approbation").as_deref(), Some("Limitée ( – ): otn"));
    let r = send(vec![
        ("op", "process_status".into()),
        ("process_status", "suspended".into()),
    ])
    .await;
    assert_eq!(r.fact("État").as_deref(), Some("Suspendu"), "{}", r.body);
    let r = send(vec![
        ("op", "affiliate_terminations".into()),
        ("members", "E-5001, E-0000".into()),
    ])
    .await;
    assert!(
        r.body.contains("1 résiliés, 0 déjà résiliés, 1 inconnus."),
        "{}",
        r.body
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&ola)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status.as_str(), "terminated");
    assert_eq!(app.audit("process.suspended").await.len(), 1);
}

#[tokio::test]
async fn affiliates_follow_their_processs_level_and_each_change_is_audited() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let (ola, _, _) = affiliate(&app, &b, &csrf, "Ola", "E-7001").await;
    let level = |id: String| {
        let app = &app;
        async move {
            let a = app.provider.accounts.find_by_id(&id).await.unwrap();
            a.unwrap().assurance_level
        }
    };
    assert_eq!(level(ola.clone()).await, 2);
    let r = api(
        &app,
        "PATCH",
        &format!("/{ORG_U}"),
        Some(json!({"assurance_level": 1})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(level(ola.clone()).await, 1, "lowered with its process");
    let rows = app.audit("account.level_changed").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].detail.as_deref(),
        Some("level: AL2 -> AL1; managed process of uhn AL2 -> AL1; no other source gives more; sessions ended")
    );
    let r = api(
        &app,
        "PATCH",
        &format!("/{ORG_U}"),
        Some(json!({"assurance_level": 3})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        level(ola.clone()).await,
        1,
        "affiliation evidence is no identity document"
    );
    assert_eq!(app.audit("account.level_kept").await.len(), 1);
}

#[tokio::test]
async fn an_lra_of_a_suspended_organization_is_refused_until_it_is_reinstated() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_U).await;
    let r = api(
        &app,
        "PATCH",
        &format!("/{ORG_U}"),
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let accounts = app.count("accounts").await;
    let page = b.get(&format!("{}/lra", app.base)).await;
    assert_eq!(page.status, 403, "{}", page.body);
    let f = vec![
        ("legal_given_name", "Quinn"),
        ("legal_family_name", "Affiliate"),
        ("birth_date", "1985-05-05"),
        ("member_id", "E-9001"),
        ("affiliation_document", "photo_employee_id"),
        ("relationship", "regular full-time employee"),
        ("process_confirmed", "on"),
        ("genuine_and_current", "on"),
    ];
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(app.count("accounts").await, accounts, "no one registered");
    let r = api(
        &app,
        "PATCH",
        &format!("/{ORG_U}"),
        Some(json!({"status": "active"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = post(&app, &b, &csrf, "/lra/affiliate", &f).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.count("accounts").await, accounts + 1);
}
