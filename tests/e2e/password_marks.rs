//! The live check marks of every new-password form besides the wizard's: My Profile's change
//! of password, the forgotten password's new password and the forced change at sign-in. Each
//! lists every rule of the policy and the confirmation, carries the person's login ID and
//! names for the rule against them, and loads the script, which reads the common-password
//! list the server serves as a cached asset. Shown over HTTP, then in a real browser at a
//! phone's width in French and English.

use credential_store::{QuestionAnswer, QUESTIONS};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::webdriver::Browser as Chrome;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};

/// Every rule of the policy, then the confirmation.
const RULES: [&str; 8] = [
    "too_short",
    "too_long",
    "no_lower",
    "no_upper",
    "no_digit",
    "common",
    "contains_personal",
    "confirm",
];
const ANSWERS: [&str; 5] = ["Biscuit", "Kingston", "Maple Street", "Rivera", "Lakefield"];
const PHONE: (u32, u32) = (390, 844);
const DAY: i64 = 86_400;

async fn with_questions(app: &TestApp, id: &str) {
    let qa = |i: usize| QuestionAnswer {
        question_id: QUESTIONS[i].id.into(),
        answer: ANSWERS[i].into(),
    };
    app.provider
        .accounts
        .set_challenge_questions(id, &[qa(0), qa(1), qa(2)], &[qa(3), qa(4)])
        .await
        .unwrap();
}

/// A new-password page as it must be: every rule and the confirmation, in the person's
/// language; the person's names for the script; the script, allowed to fetch our own files.
fn has_live_checks(what: &str, r: &Resp) {
    assert_eq!(r.status, 200, "{what}: {}", r.body);
    for rule in RULES {
        assert!(
            r.body.contains(&format!("<li data-rule=\"{rule}\">")),
            "{what}: {rule}: {}",
            r.body
        );
    }
    assert!(
        r.body
            .contains("<li data-rule=\"confirm\">Both passwords are the same</li>"),
        "{what}"
    );
    let start = r.body.find("data-personal=\"").expect("data-personal") + 15;
    let personal = &r.body[start..start + r.body[start..].find('"').unwrap()];
    let parts: Vec<&str> = personal.split('|').collect();
    for p in ["randy", "burt"] {
        assert!(parts.contains(&p), "{what}: {p} in {personal}");
    }
    assert!(
        r.body
            .contains("<script src=\"/static/password-rules.js\" defer></script>"),
        "{what}"
    );
    let csp = r.headers.get("content-security-policy").expect("a CSP");
    assert!(csp.contains("connect-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
}

#[tokio::test]
async fn every_new_password_form_lists_each_rule_and_the_confirmation_for_the_live_checks() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    with_questions(&app, &id).await;

    // My Profile.
    let b = Browser::new();
    let r = b.get(&format!("{}/account/password", app.base)).await;
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let back = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let mine = b
        .get(&format!("{}/account/password?ui_locales=en", app.base))
        .await;
    has_live_checks("my profile", &mine);

    // The forgotten password, once the questions are answered.
    let b = Browser::new();
    let start = b
        .get(&format!("{}/forgot-password?ui_locales=en", app.base))
        .await;
    let csrf = start.hidden("csrf").unwrap();
    let url = format!("{}/forgot-password?ui_locales=en", app.base);
    let q = b
        .post_form(
            &url,
            &[("csrf", &csrf), ("step", "start"), ("login_id", LOGIN_ID)],
        )
        .await;
    let reset = q.hidden("reset").unwrap();
    let answers = q.answers_to_questions(&ANSWERS);
    let new = b
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("step", "answers"),
                ("reset", &reset),
                ("answer0", answers[0]),
                ("answer1", answers[1]),
            ],
        )
        .await;
    has_live_checks("forgotten password", &new);

    // The forced change at sign-in, a year on.
    app.clock.advance(366 * DAY);
    let rp = Rp::discover(&app.add_client("viewer").await).await;
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let forced = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert!(forced.body.contains("Your password has expired"));
    has_live_checks("forced change", &forced);
}

#[tokio::test]
async fn the_common_password_list_is_served_as_a_cached_asset() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/static/common-passwords.txt", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    let cache = h["cache-control"].to_str().unwrap();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let body = r.text().await.unwrap();
    // The list as the policy keeps it: 10,000 entries, one a line.
    let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 10_000);
    for common in ["password", "qwerty", "iloveyou"] {
        assert!(lines.contains(&common), "{common}");
        assert!(credential_store::is_common(common));
    }
}

async fn met(chrome: &Chrome, rule: &str) -> bool {
    chrome
        .has(&format!("#password-rules li[data-rule='{rule}'].met"))
        .await
}

async fn marked(chrome: &Chrome) -> Vec<&'static str> {
    let mut out = Vec::new();
    for rule in RULES {
        if met(chrome, rule).await {
            out.push(rule);
        }
    }
    out
}

/// Types a common password, one with the person's name, then a good one and its
/// confirmation, checking the marks at each turn; leaves `good` typed twice.
async fn exercise(chrome: &Chrome, what: &str, good: &str) {
    chrome
        .wait_for("#password-rules[data-common='ready']")
        .await;
    assert!(
        marked(chrome).await.is_empty(),
        "{what}: none before typing"
    );
    chrome.type_into("#new_password", "Password1").await;
    assert_eq!(
        marked(chrome).await,
        [
            "too_short",
            "too_long",
            "no_lower",
            "no_upper",
            "no_digit",
            "contains_personal"
        ],
        "{what}"
    );
    chrome.clear("#new_password").await;
    chrome.type_into("#new_password", "Burt-Rounds-2027").await;
    assert!(met(chrome, "common").await, "{what}");
    assert!(!met(chrome, "contains_personal").await, "{what}");
    chrome.clear("#new_password").await;
    chrome.type_into("#new_password", good).await;
    chrome.type_into("#confirm_password", "Other-2027").await;
    assert!(!met(chrome, "confirm").await, "{what}");
    chrome.clear("#confirm_password").await;
    chrome.type_into("#confirm_password", good).await;
    assert_eq!(marked(chrome).await, RULES, "{what}");
    let w = chrome
        .eval("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    assert!(
        w[0].as_f64() <= w[1].as_f64(),
        "{what}: wider than a phone {w}"
    );
}

#[tokio::test]
async fn the_account_password_forms_mark_every_rule_live_on_a_phone() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    with_questions(&app, &id).await;
    app.clock.advance(366 * DAY);
    let chrome = Chrome::start().await;
    chrome.set_window_size(PHONE.0, PHONE.1).await;

    // The forced change at sign-in, in French.
    chrome
        .goto(&format!("{}/account?ui_locales=fr", app.base))
        .await;
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("button[type=submit]").await;
    chrome.wait_for("#new_password").await;
    // Each rule says whether it is met, in words, for screen readers.
    assert_eq!(
        chrome.text("#password-rules li[data-rule='confirm']").await,
        "Les deux mots de passe sont identiques\n(pas encore respectée)"
    );
    assert_eq!(
        chrome
            .eval("return document.getElementById('password-rules').getAttribute('aria-live');")
            .await,
        "polite"
    );
    exercise(&chrome, "forced change", "Night-Shift-2027").await;
    chrome.click("#password button[type=submit]").await;
    chrome.wait_for("#profile").await;

    // My Profile, in English.
    chrome
        .goto(&format!("{}/account/password?ui_locales=en", app.base))
        .await;
    chrome.wait_for("#current_password").await;
    assert!(chrome
        .text("#password-rules li[data-rule='common']")
        .await
        .starts_with("Not a commonly used password\n("));
    exercise(&chrome, "my profile", "Day-Shift-2028").await;

    // The forgotten password, in English.
    chrome
        .goto(&format!("{}/forgot-password?ui_locales=en", app.base))
        .await;
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.click("#forgot-password button[type=submit]").await;
    chrome.wait_for("#answer1").await;
    for i in 0..2 {
        let label = chrome.text(&format!("label[for=answer{i}]")).await;
        let k = QUESTIONS
            .iter()
            .position(|q| label.starts_with(q.en))
            .unwrap_or_else(|| panic!("unknown question {label}"));
        chrome.type_into(&format!("#answer{i}"), ANSWERS[k]).await;
    }
    chrome.click("#reset-questions button[type=submit]").await;
    chrome.wait_for("#new_password").await;
    exercise(&chrome, "forgotten password", "Dusk-Shift-2029").await;
    chrome.quit().await;
}
