//! Rules the browser may check too but the server must enforce on its own, shown at the HTTP
//! level: the password's character classes, an answer too long, a bad title or middle name, a
//! name no login ID can be made of, and the limit of five added designations.

use super::*;

const NO_LOWER: &str = "Add a lower-case letter.";
const NO_UPPER: &str = "Add an upper-case letter.";
const NO_DIGIT: &str = "Add a digit (0 to 9).";
const A_LONG: &str = "Enter an answer of at most 100 characters.";

#[tokio::test]
async fn the_server_refuses_a_password_without_a_lower_case_letter_an_upper_case_letter_or_a_digit()
{
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    for (password, message) in [
        ("NIGHT-ROUNDS-2026", NO_LOWER),
        ("night-rounds-2026", NO_UPPER),
        ("Night-Rounds-Late", NO_DIGIT),
    ] {
        // Posted straight to the server: no script ran.
        let r = w
            .next(
                "password",
                &[("new_password", password), ("confirm_password", password)],
            )
            .await;
        assert_eq!(r.status, 400, "{password}: {}", r.body);
        assert_eq!(
            r.field_error("new_password").as_deref(),
            Some(message),
            "{password}"
        );
        assert!(!r.body.contains(password), "{password} echoed");
        assert_eq!(env.accounts().await, 0, "{password}: no account");
    }
    w.pass("password").await;
    assert_eq!(env.accounts().await, 1);
}

#[tokio::test]
async fn an_answer_longer_than_a_hundred_characters_is_refused_and_not_shown_again() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("questions").await;
    let long = "Maple ".repeat(17); // 102 characters
    let mut form = w.valid("questions");
    for f in form.iter_mut() {
        if f.0 == "online_a1" {
            f.1 = long.as_str();
        }
    }
    let r = w.next("questions", &form).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.field_error("online_a1").as_deref(), Some(A_LONG));
    assert_eq!(input_value(&r, "online_a1").as_deref(), Some(""));
    assert_eq!(w.get("phone").await.location(), Some("/register/questions"));
    // Exactly a hundred is fine.
    let hundred = "x".repeat(99) + "y";
    for f in form.iter_mut() {
        if f.0 == "online_a1" {
            f.1 = hundred.as_str();
        }
    }
    w.pass_with("questions", &form).await;
}

#[tokio::test]
async fn a_bad_title_or_middle_name_or_a_name_no_login_id_can_be_made_of_is_refused() {
    let env = env().await;
    let w = env.start(SAMIRA).await;
    w.walk_to("personal").await;
    let overlong = "T".repeat(101);
    let cases: [(&str, &str); 5] = [
        ("title", "Dr.<b>"),
        ("title", overlong.as_str()),
        ("middle_name", "Rania;"),
        ("middle_name", "Rania {x}"),
        // Nothing in it can go into a login ID (only punctuation the name rule allows).
        ("given_name", "' ."),
    ];
    for (field, value) in cases {
        let mut form = w.valid("personal");
        for f in form.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let r = w.next("personal", &form).await;
        assert_eq!(r.status, 400, "{field}={value:?}: {}", r.body);
        assert_eq!(
            r.field_error(field).as_deref(),
            Some(BAD_NAME),
            "{field}={value:?}"
        );
        assert_eq!(
            w.get("designation").await.location(),
            Some("/register/personal"),
            "{field}={value:?}: not moved on"
        );
    }
    // The family name alone cannot make one either.
    let mut form = w.valid("personal");
    for f in form.iter_mut() {
        if f.0 == "family_name" {
            f.1 = "--";
        }
    }
    let r = w.next("personal", &form).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.field_error("given_name").as_deref(), Some(BAD_NAME));
    w.pass("personal").await;
    assert_eq!(env.accounts().await, 0);
}

#[tokio::test]
async fn at_most_five_designations_can_be_added() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("designation").await;
    for _ in 0..5 {
        let page = w.get("designation").await;
        assert!(page.body.contains("name=\"nav\" value=\"add\""));
        assert_eq!(w.nav("designation", "add", &[]).await.status, 303);
    }
    let page = w.get("designation").await;
    for i in 0..5 {
        assert!(page.body.contains(&format!("id=\"college{i}\"")), "row {i}");
    }
    assert!(!page.body.contains("id=\"college5\""));
    assert!(
        !page.body.contains("name=\"nav\" value=\"add\""),
        "no Add another button at five"
    );
    // Asking anyway adds nothing.
    assert_eq!(w.nav("designation", "add", &[]).await.status, 303);
    let page = w.get("designation").await;
    assert!(!page.body.contains("id=\"college5\""));
    // Five filled rows are accepted and stored.
    let rows = [
        ("CNO", "1234567"),
        ("OCP", "2222"),
        ("RCDSO", "12345"),
        ("COO", "1234"),
        ("CMRITO", "12345"),
    ];
    let names: Vec<(String, String)> = (0..5)
        .map(|i| (format!("college{i}"), format!("number{i}")))
        .collect();
    let mut form: Vec<(&str, &str)> = Vec::new();
    for (i, (c, n)) in rows.iter().enumerate() {
        form.push((names[i].0.as_str(), c));
        form.push((names[i].1.as_str(), n));
    }
    let r = w.next("designation", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    for s in &STEPS[3..] {
        w.pass(s).await;
    }
    let a = env
        .app
        .provider
        .accounts
        .find_by_designation("CPSO", PATRICIA.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        env.app
            .provider
            .accounts
            .designations(&a.id)
            .await
            .unwrap()
            .len(),
        6
    );
}
