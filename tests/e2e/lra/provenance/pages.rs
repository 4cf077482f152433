//! Provenance on the pages an auditor reads: the console's account page in English and
//! French, and the audit export of one account with its provenance first (API and console).

use super::*;

#[tokio::test]
async fn the_console_account_page_shows_the_provenance_in_english_and_french() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_B).await;
    let mut f = pat();
    f.push(("level", "1"));
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    let pat_id = account_id(&app, &r.fact("Login ID").unwrap()).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let mut f = pat();
    f.extend(al2_evidence());
    post(&app, &b, &csrf, "/lra/register", &f).await;
    let made = app.add_clinician().await;

    let (_, secret) = administrator(&app).await;
    let admin = Browser::new();
    console_sign_in(
        &app,
        &admin,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/accounts",
    )
    .await;
    let path = format!("/admin/accounts/{pat_id}");
    let page = admin.get(&format!("{}{path}", app.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<h2>Provenance — validated by The Hospital for Sick Children</h2>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<h2>Provenance — validated by St. Michael’s Hospital</h2>"));
    assert_eq!(
        page.fact("How").as_deref(),
        Some("In person by a local registration authority (LRA)")
    );
    assert!(
        page.fact("Approval").is_none(),
        "no approval governs an LRA"
    );
    assert_eq!(page.fact("Level assigned").as_deref(), Some("AL1"));
    assert_eq!(
        page.fact("By").as_deref(),
        Some("Sam Beta (Sam.Beta@ONEID.ON.CA)")
    );
    let passport = page.fact("Canadian passport (currently valid)").unwrap();
    assert!(
        passport.starts_with("primary; with photo; met in person; recorded by Riley Alpha (Riley.Alpha@ONEID.ON.CA) of St. Michael’s Hospital on "),
        "{passport}"
    );
    assert!(page
        .body
        .contains("<h2>Provenance — level of assurance history</h2>"));
    assert!(
        page.body.contains(
            "AL1 → AL2: identity evidence recorded by an LRA of St. Michael’s Hospital (by Riley Alpha (Riley.Alpha@ONEID.ON.CA))"
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains(
        "AL1: registered in person by an LRA of The Hospital for Sick Children (by Sam Beta"
    ));
    assert!(page.body.contains(&format!(
        "href=\"/admin/audit/export?account={pat_id}&amp;include=provenance&amp;ui_locales=en\""
    )));

    let fr = admin
        .get(&format!("{}{path}?ui_locales=fr", app.base))
        .await;
    assert_eq!(fr.status, 200);
    assert!(fr
        .body
        .contains("<h2>Provenance — validée par St. Michael’s Hospital</h2>"));
    assert_eq!(
        fr.fact("Comment").as_deref(),
        Some("En personne par un agent local d’inscription (ALI)")
    );
    assert_eq!(fr.fact("Statut actuel").as_deref(), Some("Active"));
    assert!(fr
        .fact("Passeport canadien (en cours de validité)")
        .unwrap()
        .starts_with("principale; avec photo; rencontre en personne; consignée par Riley Alpha"));
    assert!(fr.body.contains(
        "AL1 → AL2\u{a0}: preuves d’identité consignées par un ALI de St. Michael’s Hospital (par Riley Alpha"
    ));

    // An account no source validated says so (in English again).
    let none = admin
        .get(&format!("{}/admin/accounts/{made}?ui_locales=en", app.base))
        .await;
    assert_eq!(
        none.fact("Validated by").as_deref(),
        Some("No registry or organization has validated this identity.")
    );
}

#[tokio::test]
async fn the_audit_export_of_one_account_can_start_with_its_provenance() {
    let app = spawn_app().await;
    world(&app).await;
    let (b, csrf) = session(&app, LRA_A).await;
    let mut f = pat();
    f.extend(al2_evidence());
    let r = post(&app, &b, &csrf, "/lra/register", &f).await;
    let pat_id = account_id(&app, &r.fact("Login ID").unwrap()).await;
    let auditor = app.client_token("oneid:audit").await;
    let export = |q: String| {
        let auditor = auditor.clone();
        let base = app.base.clone();
        async move {
            http()
                .get(format!("{base}/admin/api/audit/export?{q}"))
                .bearer_auth(&auditor)
                .send()
                .await
                .unwrap()
        }
    };

    let r = export(format!("account={pat_id}&include=provenance")).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let head = &lines[0];
    assert_eq!(head["account"]["id"], pat_id.as_str());
    assert_eq!(head["provenance"]["validated_by"][0]["id"], ORG_A);
    assert_eq!(
        head["provenance"]["evidence"][0]["recorded_by"]["login_id"],
        LRA_A
    );
    assert_eq!(head["provenance"]["level_history"][0]["to"], 2);
    let rows = &lines[1..];
    assert!(!rows.is_empty(), "{body}");
    assert!(rows.iter().all(|e| e.get("provenance").is_none()
        && (e["subject"] == pat_id.as_str() || e["actor"] == pat_id.as_str())));
    assert!(rows.iter().any(|e| e["event"] == "lra.person_registered"));
    // Without include, the rows only, as before.
    let plain = export(format!("account={pat_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(plain.lines().count(), rows.len());
    assert!(plain.lines().all(|l| !l.contains("\"provenance\"")));
    // Provenance is of one account; nothing else is included.
    for bad in ["include=provenance", "include=everything"] {
        let r = export(bad.into()).await;
        assert_eq!(r.status(), 400, "{bad}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error_description"].as_str().unwrap().contains("include"),
            "{v}"
        );
    }
    let exported = app.audit("audit.exported").await;
    assert!(exported.iter().any(|e| e
        .detail
        .as_deref()
        .unwrap_or("")
        .ends_with("include=provenance")));

    // The console's link downloads the same.
    let (_, secret) = administrator(&app).await;
    let admin = Browser::new();
    let page = console_sign_in(
        &app,
        &admin,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/audit",
    )
    .await;
    assert!(
        !page.body.contains("include=provenance\">"),
        "no account, no provenance"
    );
    let page = admin
        .get(&format!("{}/admin/audit?account={pat_id}", app.base))
        .await;
    assert!(
        page.body.contains(&format!(
            "href=\"/admin/audit/export?account={pat_id}&amp;include=provenance\">Export this \
             account’s audit trail with its provenance (JSON lines)</a>"
        )),
        "{}",
        page.body
    );
    let r = admin
        .get(&format!(
            "{}/admin/audit/export?account={pat_id}&include=provenance",
            app.base
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let head: Value = serde_json::from_str(r.body.lines().next().unwrap()).unwrap();
    assert_eq!(head["provenance"]["validated_by"][0]["kind"], "in_person");
}
