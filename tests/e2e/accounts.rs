//! Accounts and credentials: generated login IDs, password expiry inside the authorization
//! flow, history, temporary passwords, lockout, rate limits, forgotten login ID (through a
//! real SMTP sink) and password, My Profile, challenge questions and phones, and the service
//! desk. Time moves on the injected clock.

use credential_store::{
    AuthError, CredentialError, NewAccount, PhoneKind, QuestionAnswer, QUESTIONS,
};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::smtp::SmtpSink;
use oneid_tests::{spawn_app, spawn_app_with, TestApp, LOGIN_ID, PASSWORD};

const DAY: i64 = 86_400;

fn person(given: &str, family: &str) -> NewAccount {
    NewAccount {
        given_name: given.into(),
        family_name: family.into(),
        password: "Clinic-Rounds-42".into(),
        ..NewAccount::default()
    }
}

/// Follows the console sign-in: `path` -> login page -> back to `path` with a session.
async fn signed_in(app: &TestApp, b: &Browser, path: &str, login_id: &str, password: &str) -> Resp {
    let r = b.get(&format!("{}{path}", app.base)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &page, login_id, password).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location(), Some(path));
    b.get(&format!("{}{path}", app.base)).await
}

fn qa(i: usize, answer: &str) -> QuestionAnswer {
    QuestionAnswer {
        question_id: QUESTIONS[i].id.into(),
        answer: answer.into(),
    }
}

const ANSWERS: [&str; 5] = ["Biscuit", "Kingston", "Maple Street", "Rivera", "Lakefield"];

async fn with_questions(app: &TestApp, id: &str) {
    app.provider
        .accounts
        .set_challenge_questions(
            id,
            &[qa(0, ANSWERS[0]), qa(1, ANSWERS[1]), qa(2, ANSWERS[2])],
            &[qa(3, ANSWERS[3]), qa(4, ANSWERS[4])],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn login_ids_come_from_the_names_with_the_next_free_number() {
    let app = spawn_app().await;
    let acc = &app.provider.accounts;
    let a = acc.create(person("Hélène", "Tremblay-Roy")).await.unwrap();
    assert_eq!(a.login_id, "Helene.Tremblay-Roy@ONEID.ON.CA");
    let ids: Vec<String> = [
        acc.create(person("Randy", "Burt")).await.unwrap().login_id,
        acc.create(person("Randy", "Burt")).await.unwrap().login_id,
        acc.create(person("randy", "BURT")).await.unwrap().login_id,
    ]
    .into();
    assert_eq!(
        ids,
        [
            "Randy.Burt@ONEID.ON.CA",
            "Randy.Burt2@ONEID.ON.CA",
            "randy.BURT3@ONEID.ON.CA"
        ]
    );
    let o = acc.create(person("Mary Ann", "O'Brien")).await.unwrap();
    assert_eq!(o.login_id, "MaryAnn.OBrien@ONEID.ON.CA");
    // Login IDs are case-insensitive at sign-in.
    let s = acc
        .authenticate("RANDY.BURT2@oneid.on.ca", "Clinic-Rounds-42")
        .await
        .unwrap();
    assert_eq!(s.account.login_id, "Randy.Burt2@ONEID.ON.CA");
    // Names that leave nothing usable are refused, and nothing is stored.
    let before = app.count("accounts").await;
    assert!(matches!(
        acc.create(person("!!!", "Burt")).await,
        Err(CredentialError::Invalid(_))
    ));
    assert_eq!(app.count("accounts").await, before);
}

#[tokio::test]
async fn accounts_named_alike_created_at_once_get_distinct_login_ids() {
    let app = spawn_app().await;
    let acc = &app.provider.accounts;
    let (a, b, c, d) = tokio::join!(
        acc.create(person("Pat", "Singh")),
        acc.create(person("Pat", "Singh")),
        acc.create(person("Pat", "Singh")),
        acc.create(person("Pat", "Singh")),
    );
    let mut ids: Vec<String> = [a, b, c, d]
        .into_iter()
        .map(|r| r.unwrap().login_id)
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "Pat.Singh2@ONEID.ON.CA",
            "Pat.Singh3@ONEID.ON.CA",
            "Pat.Singh4@ONEID.ON.CA",
            "Pat.Singh@ONEID.ON.CA"
        ]
    );
}

#[tokio::test]
async fn the_account_search_finds_the_start_of_names_login_ids_and_registration_numbers() {
    let app = spawn_app().await;
    let acc = &app.provider.accounts;
    let mut with_number = person("Ana", "Blacksmith");
    with_number.designations = vec![credential_store::Designation {
        college: "CPSO".into(),
        registration_number: "12345".into(),
    }];
    for p in [
        person("Pat", "Smith"),
        person("Pat", "Smithson"),
        person("Lee", "O'Neil"),
        person("Sam", "Patel"),
        with_number,
    ] {
        acc.create(p).await.unwrap();
    }
    let found = |q: &'static str| async move {
        let mut names: Vec<String> = acc
            .search(q)
            .await
            .unwrap()
            .into_iter()
            .map(|a| format!("{} {}", a.given_name, a.family_name))
            .collect();
        names.sort();
        names
    };
    // A word is the start of a name (any case), never the middle of one.
    assert_eq!(found("smith").await, ["Pat Smith", "Pat Smithson"]);
    assert_eq!(found("SMITHS").await, ["Pat Smithson"]);
    assert!(found("mith").await.is_empty(), "not the middle of a name");
    // Every word must match: a given name and a family name, in either order.
    assert_eq!(found("pat smiths").await, ["Pat Smithson"]);
    assert_eq!(found("smith pat").await, ["Pat Smith", "Pat Smithson"]);
    assert_eq!(
        found("pat").await,
        ["Pat Smith", "Pat Smithson", "Sam Patel"]
    );
    // A login ID, whole or as its parts; a name with an apostrophe; a registration number.
    assert_eq!(found("Pat.Smith@ONEID.ON.CA").await, ["Pat Smith"]);
    assert_eq!(found("Pat.Smithson").await, ["Pat Smithson"]);
    assert_eq!(found("o'neil").await, ["Lee O'Neil"]);
    assert_eq!(found("12345").await, ["Ana Blacksmith"]);
    assert!(
        found("1234").await.is_empty(),
        "a registration number is exact"
    );
    assert!(found("x").await.is_empty(), "one letter matches no name");
}

/// Every page of a search, `limit` rows at a time, first forwards by `after` then back from
/// the end by `before`; both must give the same rows.
async fn every_page(
    acc: &credential_store::Accounts,
    base: &credential_store::AccountList,
) -> Vec<String> {
    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let l = credential_store::AccountList {
            after: after.clone(),
            ..base.clone()
        };
        let page = acc.list(&l).await.unwrap();
        forward.extend(page.accounts.iter().map(|a| a.id.clone()));
        if !page.more_after {
            break;
        }
        after = page.accounts.last().map(|a| a.id.clone());
    }
    let mut backward: Vec<String> = Vec::new();
    let mut before = forward.last().cloned();
    if let Some(last) = &before {
        backward.push(last.clone());
    }
    while let Some(b) = before.clone() {
        let l = credential_store::AccountList {
            before: Some(b),
            ..base.clone()
        };
        let page = acc.list(&l).await.unwrap();
        let mut ids: Vec<String> = page.accounts.iter().map(|a| a.id.clone()).collect();
        ids.extend(backward);
        backward = ids;
        before = if page.more_before {
            page.accounts.first().map(|a| a.id.clone())
        } else {
            None
        };
    }
    assert_eq!(forward, backward, "forwards and backwards: {base:?}");
    forward
}

#[tokio::test]
async fn a_search_with_more_matches_than_a_page_pages_through_all_of_them_in_the_lists_order() {
    // Each way of matching is read as its own first page and the page is cut from their
    // union: the pages must still be exactly the matches, in the list's order, whichever way
    // (family, given, legal name, login ID, registration number) each account matched.
    let app = spawn_app().await;
    let acc = &app.provider.accounts;
    let given = ["Ann", "Bea", "Cal", "Dee", "Eve", "Fay", "Gus"];
    let mut made = Vec::new();
    for (i, g) in given.iter().enumerate() {
        // Legal names the same as the names in use (most of them), or the same but for case:
        // found through the name's index, once.
        let mut smith = person(g, "Smith");
        smith.legal_given_name = Some((*g).to_owned());
        smith.legal_family_name = Some(if i == 1 { "SMITH" } else { "Smith" }.to_owned());
        made.push(smith);
        made.push(person(g, "Smithson"));
        made.push(person("Smithy", &format!("Zed{}", given[6 - i])));
        let mut legal = person(g, "Brown");
        legal.legal_given_name = Some((*g).to_owned());
        legal.legal_family_name = Some("Smithers".to_owned());
        made.push(legal);
        made.push(person(g, "Jones"));
    }
    let mut numbered = person("Ann", "Walker");
    numbered.designations = vec![credential_store::Designation {
        college: "CPSO".into(),
        registration_number: "smith".into(),
    }];
    made.push(numbered);
    let mut ids = Vec::new();
    for p in made {
        ids.push(acc.create(p).await.unwrap().id);
    }
    for id in ids.iter().step_by(4) {
        acc.set_status(id, credential_store::AccountStatus::Suspended)
            .await
            .unwrap();
    }
    let words_match = |a: &credential_store::Account, q: &str| {
        let cols = [
            Some(a.family_name.to_lowercase()),
            Some(a.given_name.to_lowercase()),
            a.legal_family_name.as_ref().map(|s| s.to_lowercase()),
            a.legal_given_name.as_ref().map(|s| s.to_lowercase()),
            Some(a.login_id.to_lowercase()),
        ];
        q.split([' ', '.', '@'])
            .filter(|w| w.len() >= 2)
            .all(|w| cols.iter().flatten().any(|c| c.starts_with(w)))
    };
    use credential_store::{AccountList, AccountOrder, AccountStatus};
    for order in [
        AccountOrder::Name,
        AccountOrder::LoginId,
        AccountOrder::Created,
    ] {
        for descending in [false, true] {
            for status in [None, Some(AccountStatus::Suspended)] {
                // The list without a query, in the same order: what the search must keep.
                let all = every_page(
                    acc,
                    &AccountList {
                        order,
                        descending,
                        status,
                        limit: 200,
                        ..AccountList::default()
                    },
                )
                .await;
                for q in ["smith", "smith cal", "eve smiths", "SMITHY"] {
                    let mut expected = Vec::new();
                    for id in &all {
                        let a = acc.find_by_id(id).await.unwrap().unwrap();
                        let numbered = q == "smith" && a.family_name == "Walker";
                        if words_match(&a, &q.to_lowercase()) || numbered {
                            expected.push(id.clone());
                        }
                    }
                    assert!(
                        !expected.is_empty() || status.is_some(),
                        "{q}: {expected:?}"
                    );
                    for limit in [1, 5] {
                        let got = every_page(
                            acc,
                            &AccountList {
                                query: q.to_owned(),
                                order,
                                descending,
                                status,
                                limit,
                                ..AccountList::default()
                            },
                        )
                        .await;
                        assert_eq!(
                            got, expected,
                            "{q:?} by {order:?} desc={descending} {status:?}, {limit} a page"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn the_password_policy_refuses_common_and_personal_passwords() {
    let app = spawn_app().await;
    let acc = &app.provider.accounts;
    for (pw, rule) in [
        ("Password1", "common"),
        ("short1A", "too_short"),
        ("Randy-Rounds-42", "contains_personal"),
        ("alllowercase42", "no_upper"),
    ] {
        let mut n = person("Randy", "Burt");
        n.password = pw.into();
        match acc.create(n).await {
            Err(CredentialError::Policy(v)) => {
                assert!(v.iter().any(|x| x.code() == rule), "{pw}: {v:?}");
            }
            other => panic!("{pw} accepted: {other:?}"),
        }
    }
    assert_eq!(app.count("accounts").await, 0);
}

#[tokio::test]
async fn an_expired_password_is_changed_inside_the_authorization_flow() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    app.clock.advance(366 * DAY);
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Your password has expired"), "{}", r.body);
    assert!(r.location().is_none(), "no code before a new password");
    let change = r.hidden("change").unwrap();
    let csrf = r.hidden("csrf").unwrap();
    let post = |new: &'static str, confirm: &'static str| {
        let (b, change, csrf, base) = (b.clone(), change.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/login/password"),
                &[
                    ("csrf", &csrf),
                    ("change", &change),
                    ("new_password", new),
                    ("confirm_password", confirm),
                ],
            )
            .await
        }
    };
    let differ = post("Night-Shift-2027", "Night-Shift-2028").await;
    assert_eq!(differ.status, 400);
    assert_eq!(
        differ.field_error("confirm_password").as_deref(),
        Some("The two new passwords are not the same.")
    );
    let same = post(PASSWORD, PASSWORD).await;
    assert_eq!(same.status, 400);
    assert!(same.field_error("new_password").unwrap().contains("last 5"));
    let weak = post("password", "password").await;
    assert_eq!(weak.status, 400, "{}", weak.body);
    // Still the old password until a good one is chosen.
    assert!(
        app.provider
            .accounts
            .authenticate(LOGIN_ID, PASSWORD)
            .await
            .unwrap()
            .password_expired
    );
    let done = post("Night-Shift-2027", "Night-Shift-2027").await;
    let code = rp.code_from(&s, &done);
    let tokens = rp.finish(s, &code).await;
    assert!(!tokens.id_token.is_empty());
    // The new password works and is not expired; the old one is gone.
    let signin = app
        .provider
        .accounts
        .authenticate(LOGIN_ID, "Night-Shift-2027")
        .await
        .unwrap();
    assert!(!signin.needs_new_password());
    assert!(matches!(
        app.provider.accounts.authenticate(LOGIN_ID, PASSWORD).await,
        Err(AuthError::WrongPassword { .. })
    ));
    assert_eq!(app.audit("account.password_changed").await.len(), 1);
}

#[tokio::test]
async fn none_of_the_last_five_passwords_can_be_set_again() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let acc = &app.provider.accounts;
    let pws = [
        "Ward-Round-2031",
        "Ward-Round-2032",
        "Ward-Round-2033",
        "Ward-Round-2034",
    ];
    for p in pws {
        app.clock.advance(10);
        acc.set_password(&id, None, p, false).await.unwrap();
    }
    // The last five: the first password and the four since.
    for p in [PASSWORD, pws[0], pws[3]] {
        assert!(
            matches!(
                acc.set_password(&id, None, p, false).await,
                Err(CredentialError::Reused)
            ),
            "{p} reused"
        );
    }
    app.clock.advance(10);
    acc.set_password(&id, None, "Ward-Round-2035", false)
        .await
        .unwrap();
    // Now the first one has left the history.
    app.clock.advance(10);
    acc.set_password(&id, None, PASSWORD, false).await.unwrap();
    // A wrong current password changes nothing.
    assert!(matches!(
        acc.set_password(&id, Some("Not-Mine-2020"), "Ward-Round-2036", false)
            .await,
        Err(CredentialError::WrongPassword)
    ));
    acc.authenticate(LOGIN_ID, PASSWORD).await.unwrap();
}

#[tokio::test]
async fn failures_lock_the_account_for_longer_each_time_and_look_like_a_wrong_password() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();
    let attempt = |pw: &'static str| {
        let (b, rp, base) = (b.clone(), &rp, app.base.clone());
        async move {
            let s = rp.start(&["profile"], &[]);
            let page = b.get(&s.url).await;
            b.login(&base, &page, LOGIN_ID, pw).await
        }
    };
    let wrong = attempt("Wrong-Guess-2026").await;
    assert_eq!(wrong.status, 401);
    for _ in 0..4 {
        attempt("Wrong-Guess-2026").await;
    }
    assert_eq!(app.audit("account.locked").await.len(), 1);
    // Locked: the right password gets exactly the wrong-password answer.
    let locked = attempt(PASSWORD).await;
    assert_eq!(locked.status, wrong.status);
    assert!(locked
        .body
        .contains("The login ID or password is incorrect."));
    let details: Vec<_> = app
        .audit("login.failure")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert!(details.contains(&"locked_out".to_string()), "{details:?}");
    // The first lockout lasts 5 minutes.
    app.clock.advance(301);
    // Five more failures in a row lock it for 10 minutes.
    for _ in 0..5 {
        attempt("Wrong-Guess-2026").await;
    }
    assert_eq!(app.audit("account.locked").await.len(), 2);
    app.clock.advance(301);
    assert_eq!(attempt(PASSWORD).await.status, 401, "still locked");
    app.clock.advance(300);
    let ok = attempt(PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(a.locked_until.is_none(), "a success clears the lockout");
}

#[tokio::test]
async fn sign_in_attempts_per_login_id_are_rate_limited() {
    let app = spawn_app_with(|c| c.limits.login_per_account = 3).await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let mut last = None;
    for _ in 0..4 {
        let s = rp.start(&["profile"], &[]);
        let page = b.get(&s.url).await;
        last = Some(
            b.login(&app.base, &page, "Someone.Else@ONEID.ON.CA", "Wrong-1a")
                .await,
        );
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429, "{}", r.body);
    let retry: i64 = r.headers["retry-after"].parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    assert!(r.body.contains("Too many attempts"));
    // Another login ID is not affected.
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    assert_eq!(
        b.login(&app.base, &page, LOGIN_ID, PASSWORD).await.status,
        303
    );
    assert_eq!(app.audit("login.rate_limited").await.len(), 1);
}

#[tokio::test]
async fn forgot_login_id_mails_it_and_answers_the_same_either_way() {
    let sink = SmtpSink::start().await;
    let url = sink.url.clone();
    let app = spawn_app_with(|c| {
        c.mail.smtp_url = url;
        c.mail.from = "no-reply@oneid.test".into();
    })
    .await;
    app.add_clinician().await;
    let b = Browser::new();
    let page = b.get(&format!("{}/forgot-login-id", app.base)).await;
    assert_eq!(page.status, 200);
    let csrf = page.hidden("csrf").unwrap();
    let send = |given: &'static str, dob: &'static str, email: &'static str| {
        let (b, csrf, base) = (b.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/forgot-login-id"),
                &[
                    ("csrf", &csrf),
                    ("legal_given_name", given),
                    ("legal_family_name", "Burt"),
                    ("birth_date", dob),
                    ("email", email),
                ],
            )
            .await
        }
    };
    let bad = send("Randy", "1971-02-30", "randy.burt@example.org").await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.field_error("birth_date").as_deref(),
        Some("Enter a real date as YYYY-MM-DD.")
    );
    let hit = send("randy", "1971-03-09", "Randy.Burt@example.org").await;
    let miss = send("Randy", "1971-03-10", "randy.burt@example.org").await;
    assert_eq!(hit.status, 200);
    assert_eq!(miss.status, 200);
    assert_eq!(hit.notice(), miss.notice());
    assert!(!hit.body.contains(LOGIN_ID), "never on the page");
    let mail = sink.wait_for(1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].to, ["randy.burt@example.org"]);
    assert!(mail[0].data.contains(LOGIN_ID), "{}", mail[0].data);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "no mail for a mismatch");
    let details: Vec<_> = app
        .audit("account.login_id_reminder")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert!(details.contains(&"sent".into()) && details.contains(&"no_match".into()));
}

/// The answers to the questions on a reset page, from the labels shown.
fn answers_for(page: &Resp) -> Vec<&'static str> {
    page.answers_to_questions(&ANSWERS)
}

#[tokio::test]
async fn forgot_password_by_challenge_questions_ends_every_session() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    with_questions(&app, &id).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let clinician = Browser::new();
    let tokens = rp.login(&clinician, LOGIN_ID, PASSWORD).await;
    let refresh = tokens.refresh_token();

    let b = Browser::new();
    let page = b.get(&format!("{}/forgot-password", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        let (b, csrf, base) = (b.clone(), csrf.clone(), app.base.clone());
        async move {
            let mut f: Vec<(&str, &str)> = vec![("csrf", &csrf)];
            f.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            b.post_form(&format!("{base}/forgot-password"), &f).await
        }
    };
    // An unknown login ID gets two questions as well.
    let unknown = post(vec![
        ("step", "start".into()),
        ("login_id", "No.One@ONEID.ON.CA".into()),
    ])
    .await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("for=\"answer1\""));

    let q = post(vec![
        ("step", "start".into()),
        ("login_id", LOGIN_ID.into()),
    ])
    .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let again = post(vec![
        ("step", "start".into()),
        ("login_id", LOGIN_ID.into()),
    ])
    .await;
    assert_eq!(
        answers_for(&q),
        answers_for(&again),
        "the same two questions"
    );
    let reset = q.hidden("reset").unwrap();
    let right = answers_for(&q);
    let wrong = post(vec![
        ("step", "answers".into()),
        ("reset", reset.clone()),
        ("answer0", right[0].into()),
        ("answer1", "not it".into()),
    ])
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The answers do not match our records."));
    let ok = post(vec![
        ("step", "answers".into()),
        ("reset", reset.clone()),
        ("answer0", format!("  {}  ", right[0].to_uppercase())),
        ("answer1", right[1].to_lowercase()),
    ])
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("name=\"new_password\""));
    let weak = post(vec![
        ("step", "password".into()),
        ("reset", reset.clone()),
        ("new_password", "password1".into()),
        ("confirm_password", "password1".into()),
    ])
    .await;
    assert_eq!(weak.status, 400);
    let done = post(vec![
        ("step", "password".into()),
        ("reset", reset.clone()),
        ("new_password", "Night-Shift-2027".into()),
        ("confirm_password", "Night-Shift-2027".into()),
    ])
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.notice().unwrap().contains("signed out everywhere"));
    // The reset is single use.
    let replay = post(vec![
        ("step", "password".into()),
        ("reset", reset),
        ("new_password", "Night-Shift-2028".into()),
        ("confirm_password", "Night-Shift-2028".into()),
    ])
    .await;
    assert_eq!(replay.status, 400);

    // The clinician's SSO session and refresh token are over.
    let s = rp.start(&["profile"], &[]);
    assert!(clinician.get(&s.url).await.is_login_page());
    let refreshed = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("viewer", Some("viewer-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.unwrap().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 400);
    rp.login(&Browser::new(), LOGIN_ID, "Night-Shift-2027")
        .await;
    assert_eq!(app.audit("account.password_reset").await.len(), 1);
}

#[tokio::test]
async fn wrong_reset_answers_count_toward_the_lockout() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    with_questions(&app, &id).await;
    let b = Browser::new();
    let page = b.get(&format!("{}/forgot-password", app.base)).await;
    let csrf = page.hidden("csrf").unwrap();
    for _ in 0..2 {
        let q = b
            .post_form(
                &format!("{}/forgot-password", app.base),
                &[("csrf", &csrf), ("step", "start"), ("login_id", LOGIN_ID)],
            )
            .await;
        let reset = q.hidden("reset").unwrap();
        for _ in 0..3 {
            b.post_form(
                &format!("{}/forgot-password", app.base),
                &[
                    ("csrf", &csrf),
                    ("step", "answers"),
                    ("reset", &reset),
                    ("answer0", "x"),
                    ("answer1", "y"),
                ],
            )
            .await;
        }
    }
    assert_eq!(
        app.audit("account.locked").await.len(),
        0,
        "only logins audit it"
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        a.locked_until.is_some(),
        "six wrong answers lock the account"
    );
    assert!(matches!(
        app.provider.accounts.authenticate(LOGIN_ID, PASSWORD).await,
        Err(AuthError::LockedOut { .. })
    ));
}

#[tokio::test]
async fn my_profile_saves_good_input_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let b = Browser::new();
    let page = signed_in(&app, &b, "/account", LOGIN_ID, PASSWORD).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(LOGIN_ID) && page.body.contains("My profile"));
    let csrf = page.hidden("csrf").unwrap();
    let form = |email: &'static str, phone: &'static str, given: &'static str| {
        let (b, csrf, base) = (b.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/account"),
                &[
                    ("csrf", &csrf),
                    ("title", "Dr."),
                    ("given_name", given),
                    ("family_name", "Burt"),
                    ("email", email),
                    ("phone", phone),
                    ("locale", "fr"),
                ],
            )
            .await
        }
    };
    let bad = form("not-an-email", "416-555-0199", "Randall").await;
    assert_eq!(bad.status, 400);
    assert!(bad.field_error("email").is_some(), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"not-an-email\""),
        "typed input kept"
    );
    let bad_phone = form("r@example.org", "555-12", "Randall").await;
    assert_eq!(bad_phone.status, 400);
    assert!(bad_phone.field_error("phone").is_some());
    let empty = form("r@example.org", "416-555-0199", " ").await;
    assert_eq!(
        empty.field_error("given_name").as_deref(),
        Some("This field is required.")
    );
    // Everything wrong is said at once, not one problem per submit.
    let all = form("not-an-email", "555-12", " ").await;
    assert_eq!(all.status, 400);
    for field in ["given_name", "email", "phone"] {
        assert!(all.field_error(field).is_some(), "{field}: {}", all.body);
    }
    assert_eq!(
        all.body.matches("<li><a href=\"#").count(),
        3,
        "{}",
        all.body
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.given_name, "Randy");
    assert_eq!(a.email.as_deref(), Some("randy.burt@example.org"));

    let good = form("randall@example.org", "(416) 555-0199", "Randall").await;
    assert_eq!(good.status, 200, "{}", good.body);
    // Saved, and now shown in the chosen language.
    assert_eq!(
        good.notice().as_deref(),
        Some("Vos modifications sont enregistrées.")
    );
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.given_name, "Randall");
    assert_eq!(a.phone.as_deref(), Some("+14165550199"));
    assert_eq!(a.locale, "fr");
    assert_eq!(a.login_id, LOGIN_ID, "the login ID stays");
    // No anti-forgery token, no change.
    let forged = b
        .post_form(
            &format!("{}/account", app.base),
            &[
                ("given_name", "Mallory"),
                ("family_name", "Burt"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(forged.status, 400);
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.given_name, "Randall");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let b = Browser::new();
    let page = signed_in(&app, &b, "/account/password", LOGIN_ID, PASSWORD).await;
    let csrf = page.hidden("csrf").unwrap();
    let change = |current: &'static str, new: &'static str| {
        let (b, csrf, base) = (b.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/account/password"),
                &[
                    ("csrf", &csrf),
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", new),
                ],
            )
            .await
        }
    };
    let wrong = change("Not-Mine-2020", "Night-Shift-2027").await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.field_error("current_password").as_deref(),
        Some("The current password is incorrect.")
    );
    let weak = change(PASSWORD, "nightshift").await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("id=\"new_password-error\""));
    // Every broken rule, said as what to fix, at once.
    assert_eq!(
        weak.field_error("new_password").as_deref(),
        Some("Add an upper-case letter. Add a digit (0 to 9).")
    );
    let ok = change(PASSWORD, "Night-Shift-2027").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    app.provider
        .accounts
        .authenticate(LOGIN_ID, "Night-Shift-2027")
        .await
        .unwrap();
}

#[tokio::test]
async fn challenge_questions_and_phones_need_a_recent_sign_in_and_valid_rows() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let b = Browser::new();
    let page = signed_in(&app, &b, "/account/security", LOGIN_ID, PASSWORD).await;
    assert_eq!(page.status, 200);
    let csrf = page.hidden("csrf").unwrap();
    let ids: Vec<&str> = QUESTIONS.iter().map(|q| q.id).collect();
    let questions = |q1: &'static str, a4: &'static str| {
        let (b, csrf, base, ids) = (b.clone(), csrf.clone(), app.base.clone(), ids.clone());
        async move {
            b.post_form(
                &format!("{base}/account/security"),
                &[
                    ("csrf", &csrf),
                    ("what", "questions"),
                    ("online_q0", ids[0]),
                    ("online_a0", "Rex"),
                    ("online_q1", q1),
                    ("online_a1", "Sudbury"),
                    ("online_q2", ids[2]),
                    ("online_a2", "Blue"),
                    ("desk_q0", ids[3]),
                    ("desk_a0", "Maple"),
                    ("desk_q1", ids[4]),
                    ("desk_a1", a4),
                ],
            )
            .await
        }
    };
    let dup = questions(ids[0], " REX ").await;
    assert_eq!(dup.status, 400);
    assert!(dup.field_error("online_q1").is_some(), "{}", dup.body);
    assert!(dup.field_error("desk_a1").is_some());
    assert!(app
        .provider
        .accounts
        .online_questions(&id)
        .await
        .unwrap()
        .is_empty());
    let ok = questions(ids[1], "Smith").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        app.provider.accounts.online_questions(&id).await.unwrap(),
        [ids[0], ids[1], ids[2]]
    );
    assert!(app
        .provider
        .accounts
        .verify_online_answers(&id, &[qa(1, "sudbury")])
        .await
        .unwrap());

    let phones = |p0: &'static str, p1: &'static str| {
        let (b, csrf, base) = (b.clone(), csrf.clone(), app.base.clone());
        async move {
            b.post_form(
                &format!("{base}/account/security"),
                &[
                    ("csrf", &csrf),
                    ("what", "phones"),
                    ("phone0", p0),
                    ("kind0", "mobile"),
                    ("phone1", p1),
                    ("kind1", "landline"),
                ],
            )
            .await
        }
    };
    let bad = phones("416-555-0199", "call me").await;
    assert_eq!(bad.status, 400);
    assert!(bad.field_error("phone1").is_some());
    let same = phones("416-555-0199", "+1 (416) 555-0199").await;
    assert_eq!(
        same.field_error("phone1").as_deref(),
        Some("This number is already listed.")
    );
    // A number together with "I do not have a direct number": refused beside the box.
    let both = b
        .post_form(
            &format!("{}/account/security", app.base),
            &[
                ("csrf", &csrf),
                ("what", "phones"),
                ("phone0", "416-555-0199"),
                ("kind0", "mobile"),
                ("no_direct_number", "on"),
            ],
        )
        .await;
    assert_eq!(both.status, 400, "{}", both.body);
    assert_eq!(
        both.field_error("no_direct_number").as_deref(),
        Some("Enter a phone number or check that you have no direct number, not both.")
    );
    assert!(app
        .provider
        .accounts
        .challenge_phones(&id)
        .await
        .unwrap()
        .is_empty());
    let ok = phones("416-555-0199", "613.555.0142").await;
    assert_eq!(ok.status, 200);
    let saved = app.provider.accounts.challenge_phones(&id).await.unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].e164, "+14165550199");
    assert_eq!(saved[1].kind, PhoneKind::Landline);
    assert_eq!(app.audit("account.phones_changed").await.len(), 1);

    // Ten minutes later the page asks for a fresh sign-in.
    app.clock.advance(601);
    let stale = b.get(&format!("{}/account/security", app.base)).await;
    assert_eq!(stale.status, 303);
    assert!(stale.location().unwrap().starts_with("/login?request="));
}

#[tokio::test]
async fn the_service_desk_verifies_unlocks_and_issues_temporary_passwords() {
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    with_questions(&app, &clinician).await;
    let agent = app
        .add_user("Desk.Agent@ONEID.ON.CA", "Helpful-Voice-2026")
        .await;
    // Not yet an agent: refused.
    let b = Browser::new();
    let refused = signed_in(
        &app,
        &b,
        "/desk",
        "Desk.Agent@ONEID.ON.CA",
        "Helpful-Voice-2026",
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("for the ONE ID service desk"));
    // The second factor first, then the role; the desk then asks for a step-up with it.
    let secret = app.give_totp(&agent).await;
    app.provider
        .accounts
        .grant_role(&agent, "service_desk", "test")
        .await
        .unwrap();
    let ask = b.get(&format!("{}/desk", app.base)).await;
    let done = app.step_up_totp(&b, &ask, &secret).await;
    assert_eq!(done.location(), Some("/desk"), "{}", done.body);
    // Lock the clinician out.
    for _ in 0..5 {
        let _ = app
            .provider
            .accounts
            .authenticate(LOGIN_ID, "Wrong-Guess-2026")
            .await;
    }
    let search = b.get(&format!("{}/desk?q=burt", app.base)).await;
    assert_eq!(search.status, 200);
    let link = format!("/desk/account?id={clinician}&amp;ui_locales=en");
    assert!(search.body.contains(&link), "{}", search.body);
    let page = b
        .get(&format!("{}/desk/account?id={clinician}", app.base))
        .await;
    assert!(page.body.contains("Locked after failures until"));
    // Locked, so "Unlock" is offered; the phone reads as people write it.
    assert!(page.body.contains("id=\"unlock\""), "{}", page.body);
    assert!(page.body.contains("+1 416-555-0100"), "{}", page.body);
    assert!(!page.body.contains(ANSWERS[0]) && !page.body.contains(ANSWERS[3]));
    let csrf = page.hidden("csrf").unwrap();
    let op = |op: &'static str| {
        let (b, csrf, base, c) = (b.clone(), csrf.clone(), app.base.clone(), clinician.clone());
        async move {
            b.post_form(
                &format!("{base}/desk/account?id={c}"),
                &[("csrf", &csrf), ("op", op), ("confirm", "yes")],
            )
            .await
        }
    };
    let revealed = op("reveal").await;
    assert_eq!(revealed.status, 200);
    assert!(revealed.body.contains(ANSWERS[3]) && revealed.body.contains(ANSWERS[4]));
    for online in &ANSWERS[..3] {
        assert!(
            !revealed.body.contains(online),
            "online answers stay secret"
        );
    }
    let reveals = app.audit("desk.answers_revealed").await;
    assert_eq!(reveals.len(), 1);
    assert_eq!(reveals[0].actor.as_deref(), Some(agent.as_str()));

    let unlocked = op("unlock").await;
    assert_eq!(unlocked.status, 200);
    // Unlocked: the page says so and offers no "Unlock".
    assert!(unlocked.body.contains("Not locked"), "{}", unlocked.body);
    assert!(
        !unlocked.body.contains("id=\"unlock\""),
        "{}",
        unlocked.body
    );
    app.provider
        .accounts
        .authenticate(LOGIN_ID, PASSWORD)
        .await
        .unwrap();

    let issued = op("temporary").await;
    let text = issued.notice().unwrap();
    let temp = text.rsplit(": ").next().unwrap().to_owned();
    assert_eq!(temp.len(), 14, "{text}");
    let s = app
        .provider
        .accounts
        .authenticate(LOGIN_ID, &temp)
        .await
        .unwrap();
    assert!(s.must_change, "a temporary password must be changed");
    assert!(!app.audit("desk.temporary_password_issued").await.is_empty());
    // It is changed at the first sign-in, inside the flow.
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let c = Browser::new();
    let st = rp.start(&["profile"], &[]);
    let login = c.get(&st.url).await;
    let r = c.login(&app.base, &login, LOGIN_ID, &temp).await;
    assert!(r.body.contains("temporary password"), "{}", r.body);
}

#[tokio::test]
async fn a_suspended_account_stays_out_and_its_sessions_end() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    rp.login(&b, LOGIN_ID, PASSWORD).await;
    app.provider
        .accounts
        .set_status(&id, credential_store::AccountStatus::Suspended)
        .await
        .unwrap();
    let s = rp.start(&["profile"], &[]);
    assert!(
        b.get(&s.url).await.is_login_page(),
        "no SSO for a suspended account"
    );
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(r.status, 401, "the same answer as a wrong password");
    let details: Vec<_> = app
        .audit("login.failure")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert_eq!(details, ["account_suspended"]);
}

#[tokio::test]
async fn sign_in_attempts_per_source_address_are_rate_limited_and_audited_with_it() {
    let app = spawn_app_with(|c| c.limits.login_per_address = 2).await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let mut statuses = Vec::new();
    for who in ["A.One@ONEID.ON.CA", "B.Two@ONEID.ON.CA", LOGIN_ID] {
        let s = rp.start(&["profile"], &[]);
        let page = b.get(&s.url).await;
        let pw = if who == LOGIN_ID {
            PASSWORD
        } else {
            "Wrong-1a"
        };
        statuses.push(b.login(&app.base, &page, who, pw).await.status);
    }
    // Different login IDs, one address: the third attempt waits, even with the right password.
    assert_eq!(statuses, [401, 401, 429]);
    let failures = app.audit("login.failure").await;
    assert!(failures
        .iter()
        .all(|r| r.source.as_deref() == Some("127.0.0.1")));
    let limited = app.audit("login.rate_limited").await;
    assert_eq!(limited[0].detail.as_deref(), Some("source_address"));
}

/// `oneid populate`, the generator of a fictional province for measuring growth: the
/// accounts it adds are whole (a designation on most, the password it was given, the current
/// agreement), their login IDs follow the rule through its collisions, the same seed gives the
/// same people, and populating again adds more without clashing.
#[tokio::test]
async fn populate_adds_accounts_that_can_sign_in_and_follow_the_login_id_rule() {
    let app = spawn_app().await;
    app.add_clinician().await;
    app.test_service().await;
    let (code, out) = app
        .storage
        .cli(
            &[
                "populate",
                "--accounts",
                "2500",
                "--seed",
                "3",
                "--password",
                "Ward-Rounds-77",
            ],
            "",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("added 2500 accounts"), "{out}");
    assert!(out.contains("accounts/s"), "it tells its rate: {out}");
    assert_eq!(app.count("accounts").await, 2501);
    let designations = app.count("professional_designations").await;
    assert!((2000..2500).contains(&designations), "{designations}");
    // Common names collide, and the rule numbers them.
    let numbered: Vec<(String,)> = sqlx::query_as(
        "SELECT login_id FROM accounts WHERE login_id LIKE 'Mary.Smith%' ORDER BY login_id",
    )
    .fetch_all(app.provider.db.pool())
    .await
    .unwrap();
    assert!(numbered.len() > 1, "{numbered:?}");
    assert!(numbered.iter().any(|(l,)| l == "Mary.Smith@ONEID.ON.CA"));
    assert!(numbered.iter().any(|(l,)| l == "Mary.Smith2@ONEID.ON.CA"));

    // Any of them signs in with the password given, at a relying party of a service they
    // are enrolled in.
    let (login_id,): (String,) =
        sqlx::query_as("SELECT login_id FROM accounts WHERE login_id LIKE 'Olivia.%' LIMIT 1")
            .fetch_one(app.provider.db.pool())
            .await
            .unwrap();
    let account = app
        .provider
        .accounts
        .find_by_login_id(&login_id)
        .await
        .unwrap()
        .unwrap();
    app.enrol_in_test_service(&account.id).await;
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let t = rp.login(&Browser::new(), &login_id, "Ward-Rounds-77").await;
    assert_eq!(t.claims.subject().as_str(), account.id);

    // The same seed again: the same people, numbered after the ones already there.
    let (code, out) = app
        .storage
        .cli(
            &[
                "populate",
                "--accounts",
                "2500",
                "--seed",
                "3",
                "--password",
                "Ward-Rounds-77",
            ],
            "",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(app.count("accounts").await, 5001);
}

#[tokio::test]
async fn populate_builds_the_province_around_the_accounts_in_proportion() {
    let app = spawn_app().await;
    let populate = |seed: &'static str| {
        let storage = app.storage.clone();
        async move {
            storage
                .cli(
                    &[
                        "populate",
                        "--accounts",
                        "1000",
                        "--seed",
                        seed,
                        "--password",
                        "Ward-Rounds-77",
                        "--province",
                        "--audit-rows",
                        "20000",
                    ],
                    "",
                )
                .await
        }
    };
    // A number of audit rows means nothing without the province: refused, not ignored.
    let (code, _) = app
        .storage
        .cli(
            &[
                "populate",
                "--accounts",
                "5",
                "--password",
                "x",
                "--audit-rows",
                "9",
            ],
            "",
        )
        .await;
    assert_eq!(code, 2);
    let audit_before = app.count("audit_log").await;
    let (last_before,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM audit_log")
        .fetch_one(app.provider.db.pool())
        .await
        .unwrap();
    let (code, out) = populate("5").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("20000 audit rows in"),
        "it tells its rate: {out}"
    );
    let n = |sql: &'static str| {
        let db = app.provider.db.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db.pool()).await.unwrap();
            n
        }
    };
    // One organization per 50 accounts, each with its LRA; 50 services; everyone sponsored
    // once and enrolled twice; two devices each.
    assert_eq!(app.count("organizations").await, 20);
    assert_eq!(app.count("services").await, 50);
    assert_eq!(
        n("SELECT COUNT(*) FROM account_roles WHERE role = 'lra'").await,
        20
    );
    assert_eq!(
        n("SELECT COUNT(DISTINCT scope) FROM account_roles WHERE role = 'lra'").await,
        20
    );
    assert_eq!(app.count("sponsorships").await, 1000);
    assert_eq!(app.count("enrolments").await, 2000);
    assert_eq!(app.count("devices").await, 2000);
    // Enrolments are in services their sponsor offers.
    assert_eq!(
        n(
            "SELECT COUNT(*) FROM enrolments e WHERE NOT EXISTS (SELECT 1 FROM sponsor_services s \
           WHERE s.organization_id = e.sponsor_id AND s.service_id = e.service_id)"
        )
        .await,
        0
    );
    // Registry members are accounts with a designation of the registry's college, under
    // their registration number; the terminated ones were reported.
    let members = app.count("registry_members").await;
    assert!((150..450).contains(&members), "{members}");
    assert_eq!(
        n(
            "SELECT COUNT(*) FROM registry_members m JOIN registries r ON r.id = m.registry_id \
           WHERE NOT EXISTS (SELECT 1 FROM professional_designations d WHERE d.account_id = \
           m.account_id AND d.college = r.college AND d.registration_number = m.member_id)"
        )
        .await,
        0
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM registry_members WHERE terminated_at IS NOT NULL").await,
        app.count("registry_terminations").await
    );
    // The audit rows: as many as asked, over two years, their ids in time order, about the
    // province's people, and found by the audit search's indexes.
    assert_eq!(app.count("audit_log").await, audit_before + 20_000);
    let (lo, hi, out_of_order): (i64, i64, i64) = sqlx::query_as(
        "SELECT MIN(a.at), MAX(a.at), SUM(CASE WHEN b.at < a.at THEN 1 ELSE 0 END) \
         FROM audit_log a LEFT JOIN audit_log b ON b.id = a.id + 1 WHERE a.id > $1",
    )
    .bind(last_before)
    .fetch_one(app.provider.db.pool())
    .await
    .unwrap();
    assert!(hi - lo > 700 * 86_400, "{lo}..{hi}");
    assert_eq!(out_of_order, 0);
    let (subject,): (String,) = sqlx::query_as(
        "SELECT subject FROM audit_log WHERE id = \
         (SELECT MAX(id) FROM audit_log)",
    )
    .fetch_one(app.provider.db.pool())
    .await
    .unwrap();
    let found = app
        .provider
        .audit
        .search(
            &platform::audit::AuditQuery {
                account: Some(subject.clone()),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|r| r.subject.as_deref() == Some(&*subject)));
    if app.provider.db.kind() == platform::DbKind::Postgres {
        // Each row in its month's partition, and the secondary indexes built again.
        assert_eq!(app.count("audit_log_default").await, 0);
        assert_eq!(
            n("SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'audit_log'").await,
            5
        );
    } else {
        // The four secondary indexes, built again after the load.
        assert_eq!(
            n(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = \
               'audit_log' AND sql IS NOT NULL"
            )
            .await,
            4
        );
    }
    // The same seed's province is there already: said plainly; another seed adds another.
    let (code, _) = populate("5").await;
    assert_eq!(code, 1);
    let (code, out) = populate("6").await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(app.count("organizations").await, 40);
}

#[tokio::test]
async fn a_registrys_long_list_of_ended_registrations_terminates_each_account_in_batches() {
    // A province's registry with a few hundred members (several of the import's
    // transactions on either backend), some of them reported before.
    let app = spawn_app().await;
    let (code, out) = app
        .storage
        .cli(
            &[
                "populate",
                "--accounts",
                "1000",
                "--seed",
                "9",
                "--password",
                "Ward-Rounds-77",
                "--province",
                "--audit-rows",
                "0",
            ],
            "",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    let members = |live: bool| {
        let db = app.provider.db.clone();
        async move {
            let rows: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT member_id, account_id FROM registry_members WHERE registry_id = \
                 's9-reg000' AND terminated_at IS {} NULL ORDER BY member_id",
                if live { "" } else { "NOT" }
            ))
            .fetch_all(db.pool())
            .await
            .unwrap();
            rows
        }
    };
    let live = members(true).await;
    let before = members(false).await;
    assert!(live.len() > 120, "{}", live.len());
    assert!(before.len() >= 2);
    // The registry's accounts reported before are terminated already.
    for (_, account) in &before {
        let a = app
            .provider
            .accounts
            .find_by_id(account)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.status, credential_store::AccountStatus::Terminated);
    }
    let mut list: Vec<&str> = live.iter().map(|(m, _)| m.as_str()).collect();
    list.push(&before[0].0);
    list.push(&before[1].0);
    list.push("no-such-member");
    let file = std::env::temp_dir().join(format!(
        "oneid-terminations-{}.txt",
        platform::crypto::random_token(6)
    ));
    std::fs::write(&file, list.join("\n")).unwrap();
    let (code, out) = app
        .storage
        .cli(
            &[
                "registries",
                "import-terminations",
                "s9-reg000",
                "--file",
                file.to_str().unwrap(),
            ],
            "",
        )
        .await;
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "registry s9-reg000: {} terminated, 2 already terminated, 1 unknown",
            live.len()
        )),
        "{out}"
    );
    // Each account whole: terminated, its registry record ended, audited once.
    for (_, account) in &live {
        let a = app
            .provider
            .accounts
            .find_by_id(account)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.status, credential_store::AccountStatus::Terminated);
    }
    assert!(members(true).await.is_empty());
    let audited: Vec<(String,)> = sqlx::query_as(
        "SELECT subject FROM audit_log WHERE event = 'account.terminated' ORDER BY subject",
    )
    .fetch_all(app.provider.db.pool())
    .await
    .unwrap();
    let mut expected: Vec<String> = live.iter().map(|(_, a)| a.clone()).collect();
    expected.sort();
    assert_eq!(
        audited.into_iter().map(|(s,)| s).collect::<Vec<_>>(),
        expected
    );
}
