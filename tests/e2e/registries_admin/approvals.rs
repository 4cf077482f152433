//! Approvals of registries and managed processes are records (004 §5.2-5.3, §6.2-6.3): a
//! review records who, when, the decision, the owner's contacts and the next review, and puts
//! the decision in force; an approval is due when never reviewed, at its review date, or after
//! a reported change (or a new level); the console lists the due ones.

use super::*;
use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};

const YEAR: i64 = 365 * 86_400;

async fn admin_api(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> Answer {
    let token = app.client_token("oneid:admin").await;
    oneid_tests::api::call(
        &format!("{}/admin/api", app.base),
        &token,
        method,
        path,
        body,
    )
    .await
}

/// What is due: (kind, id, reason).
async fn due(app: &TestApp) -> Vec<(String, String, String)> {
    let r = admin_api(app, "GET", "/approvals", None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap().to_owned();
            (s("subject"), s("subject_id"), s("reason"))
        })
        .collect()
}

fn t(kind: &str, id: &str, reason: &str) -> (String, String, String) {
    (kind.into(), id.into(), reason.into())
}

#[tokio::test]
async fn approvals_are_reviewed_records_and_the_console_lists_those_due() {
    let app = spawn_app().await;
    directory(&app).await;
    let (_, public) = key_pair();
    let r = admin_api(
        &app,
        "POST",
        "/registries",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": public}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = admin_api(
        &app,
        "POST",
        "/organizations",
        Some(
            json!({"id": "uhn", "name": "University Health Network", "registering": true,
                    "assurance_level": 2, "id_scheme": "employee number"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        due(&app).await,
        vec![
            t("registry", "cpso", "never_reviewed"),
            t("process", "uhn", "never_reviewed")
        ]
    );

    // A review needs who, the contacts and a next review in the future; nothing is kept
    // otherwise.
    let now = app.clock.now();
    let review = json!({"reviewed_by": "Jo Reviewer, ONE ID Program", "decision": "limited",
                        "approved_from": now - 86_400, "approved_until": now + 2 * YEAR,
                        "contacts": "Registrar: registrar@cpso.example, 416-555-0100",
                        "next_review_at": now + YEAR});
    for (field, value, what) in [
        ("contacts", json!(""), "contacts"),
        ("next_review_at", json!(now - 1), "next_review_at"),
        ("decision", json!("maybe"), "decision"),
    ] {
        let mut body = review.clone();
        body[field] = value;
        let r = admin_api(&app, "POST", "/approvals/registry/cpso/reviews", Some(body)).await;
        r.assert_error(400, "invalid_request", what);
        assert!(r.str("error_description").contains(what), "{}", r.json);
    }
    let r = admin_api(
        &app,
        "POST",
        "/approvals/registry/cpso/reviews",
        Some(review.clone()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        r.json["services"],
        json!(["viewer"]),
        "the registry's services"
    );
    // In force: the registry's approval is now limited, with those dates.
    let reg = admin_api(&app, "GET", "/registries/cpso", None).await;
    assert_eq!(
        (
            reg.json["approval"].as_str(),
            reg.json["approved_until"].as_i64()
        ),
        (Some("limited"), Some(now + 2 * YEAR))
    );
    let r = admin_api(
        &app,
        "POST",
        "/approvals/process/uhn/reviews",
        Some(
            json!({"reviewed_by": "Jo Reviewer", "decision": "limited", "services": ["viewer"],
                    "contacts": "HR: hr@uhn.example", "next_review_at": now + YEAR}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let proc = admin_api(&app, "GET", "/organizations/uhn/process", None).await;
    assert_eq!(
        (
            proc.json["approval"].as_str(),
            proc.json["services"].clone()
        ),
        (Some("limited"), json!(["viewer"]))
    );
    assert!(due(&app).await.is_empty(), "{:?}", due(&app).await);

    // A change of corporate structure makes the process due again; a new level, the registry.
    let r = admin_api(
        &app,
        "POST",
        "/approvals/process/uhn/changes",
        Some(json!({"kind": "corporate_structure", "note": "merged with another hospital"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = admin_api(
        &app,
        "PATCH",
        "/registries/cpso",
        Some(json!({"assurance_level": 1})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        due(&app).await,
        vec![
            t("registry", "cpso", "level_changed"),
            t("process", "uhn", "corporate_structure")
        ]
    );
    let r = admin_api(
        &app,
        "POST",
        "/approvals/process/uhn/changes",
        Some(json!({"kind": "whim"})),
    )
    .await;
    r.assert_error(400, "invalid_request", "kind");

    // The console lists them, in French too.
    let (_, secret) = administrator(&app).await;
    let b = Browser::new();
    let page = console_sign_in(
        &app,
        &b,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/approvals",
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Level of assurance changed"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("href=\"/admin/organizations/uhn"),
        "{}",
        page.body
    );
    let fr = b
        .get(&format!("{}/admin/approvals?ui_locales=fr", app.base))
        .await;
    assert!(
        fr.body
            .contains("Changement de structure organisationnelle"),
        "{}",
        fr.body
    );
    // A review recorded in the console: a bad date is said in French and nothing is kept.
    let csrf = fr.hidden("csrf").unwrap();
    let url = format!("{}/admin/approvals?ui_locales=fr", app.base);
    let review_form = |next: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("op", "review".to_owned()),
            ("kind", "registry".to_owned()),
            ("id", "cpso".to_owned()),
            ("reviewed_by", "Sam Console".to_owned()),
            ("decision", "general".to_owned()),
            ("contacts", "Registrar: registrar@cpso.example".to_owned()),
            ("next_review", next.to_owned()),
        ]
    };
    let bad = review_form("2999-02-30");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post_form(&url, &bad).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("Entrez une date au format AAAA-MM-JJ."),
        "{}",
        r.body
    );
    assert_eq!(app.audit("approval.reviewed").await.len(), 2);
    let good = review_form("2999-01-01");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post_form(&url, &good).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("C’est fait."), "{}", r.body);
    assert_eq!(
        due(&app).await,
        vec![t("process", "uhn", "corporate_structure")]
    );

    // Reviewed again, then a year passes: due by date.
    for (kind, id) in [("registry", "cpso"), ("process", "uhn")] {
        let mut body = review.clone();
        body["decision"] = json!("general");
        body["approved_from"] = Value::Null;
        body["approved_until"] = Value::Null;
        let r = admin_api(
            &app,
            "POST",
            &format!("/approvals/{kind}/{id}/reviews"),
            Some(body),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
    assert!(due(&app).await.is_empty());
    app.clock.advance(YEAR + 1);
    assert_eq!(
        due(&app).await,
        vec![
            t("registry", "cpso", "review_date"),
            t("process", "uhn", "review_date")
        ]
    );
    let reviews = admin_api(&app, "GET", "/approvals/registry/cpso", None).await;
    let list = reviews.json["reviews"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["decision"], "general", "newest first");
    assert_eq!(list[1]["reviewed_by"], "Sam Console");
    assert_eq!(list[2]["reviewed_by"], "Jo Reviewer, ONE ID Program");
    assert_eq!(app.audit("approval.reviewed").await.len(), 5);
    assert_eq!(app.audit("approval.due").await.len(), 1);
    let r = admin_api(&app, "GET", "/approvals/registry/nope", None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_command_line_lists_records_and_flags_approvals() {
    let app = spawn_app().await;
    directory(&app).await;
    let (_, public) = key_pair();
    let r = admin_api(
        &app,
        "POST",
        "/registries",
        Some(
            json!({"id": "cpso", "name": "CPSO", "owner": "CPSO", "contact": "c@cpso.example",
                    "college": "CPSO", "assurance_level": 2, "sponsor_id": SPONSOR,
                    "services": ["viewer"], "public_key_pem": public}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let cli = |args: &'static [&'static str]| {
        let storage = &app.storage;
        async move { storage.cli(args, "").await }
    };
    let (code, out) = cli(&["approvals", "due"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("registry\tcpso\tnever_reviewed"), "{out}");
    let (code, out) = cli(&[
        "approvals",
        "review",
        "registry",
        "cpso",
        "--reviewed-by",
        "Jo Reviewer",
        "--decision",
        "general",
        "--contacts",
        "Registrar: registrar@cpso.example",
        "--next-review",
        "2999-01-01",
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("reviewed registry cpso: general; next review 2999-01-01"),
        "{out}"
    );
    let (_, out) = cli(&["approvals", "due"]).await;
    assert!(out.contains("no approval is due for review"), "{out}");
    let (code, out) = cli(&[
        "approvals",
        "change",
        "registry",
        "cpso",
        "--kind",
        "significant_change",
        "--note",
        "new owner",
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    let (_, out) = cli(&["approvals", "due"]).await;
    assert!(out.contains("registry\tcpso\tsignificant_change"), "{out}");
    let (_, out) = cli(&["approvals", "reviews", "registry", "cpso"]).await;
    assert!(out.contains("general by Jo Reviewer"), "{out}");
    let (code, _) = cli(&["approvals", "reviews", "registrar", "cpso"]).await;
    assert_eq!(code, 1, "an unknown kind");
    assert_eq!(
        actor_of(&app, "approval.reviewed").await.as_deref(),
        Some("cli")
    );
}
