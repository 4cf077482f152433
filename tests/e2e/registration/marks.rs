//! The live check marks of the wizard's password step in a real browser, at a phone's width
//! and in French: every rule of the policy, "not a commonly used password" included (from the
//! list the server serves), and the confirmation.

use super::*;
use oneid_tests::webdriver::Browser as Chrome;
use std::path::PathBuf;

/// A phone's viewport, CSS pixels.
pub(crate) const PHONE: (u32, u32) = (390, 844);

async fn met(chrome: &Chrome, rule: &str) -> bool {
    chrome
        .has(&format!("#password-rules li[data-rule='{rule}'].met"))
        .await
}

/// Which rules are marked met now, in the list's order.
async fn marked(chrome: &Chrome) -> Vec<&'static str> {
    let mut out = Vec::new();
    for rule in details::RULES {
        if met(chrome, rule).await {
            out.push(rule);
        }
    }
    out
}

/// Nothing wider than the window, and the rules list inside it.
async fn fits(chrome: &Chrome) {
    let v = chrome
        .eval(
            "var l = document.getElementById('password-rules').getBoundingClientRect(); \
             return [document.documentElement.scrollWidth, window.innerWidth, l.left, l.right];",
        )
        .await;
    let n: Vec<f64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(n[0] <= n[1], "page wider than the window: {n:?}");
    assert!(
        n[2] >= 0.0 && n[3] <= n[1],
        "rules outside the window: {n:?}"
    );
}

#[tokio::test]
async fn the_password_step_marks_every_rule_and_the_confirmation_live_on_a_phone_in_french() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    let chrome = Chrome::start().await;
    chrome.set_window_size(PHONE.0, PHONE.1).await;
    chrome
        .goto(&format!("{}/register/welcome", env.app.base))
        .await;
    chrome.add_cookie("oneid_signup", &w.cookie).await;
    chrome
        .goto(&format!("{}/register/password?ui_locales=fr", env.app.base))
        .await;
    chrome.wait_for("#step-password").await;
    // The common-password list has arrived.
    chrome
        .wait_for("#password-rules[data-common='ready']")
        .await;
    assert_eq!(
        chrome.text("#password-rules li[data-rule='common']").await,
        "Pas un mot de passe couramment utilisé\n(pas encore respectée)"
    );
    assert_eq!(
        chrome.text("#password-rules li[data-rule='confirm']").await,
        "Les deux mots de passe sont identiques\n(pas encore respectée)"
    );
    assert!(
        marked(&chrome).await.is_empty(),
        "nothing met before typing"
    );
    fits(&chrome).await;

    // A common password: every other rule met, not that one.
    chrome.type_into("#new_password", "Password1").await;
    assert_eq!(
        marked(&chrome).await,
        [
            "too_short",
            "too_long",
            "no_lower",
            "no_upper",
            "no_digit",
            "contains_personal"
        ]
    );
    // With digits and punctuation added at its end it is still common (as on the server).
    chrome.type_into("#new_password", "23!").await;
    assert!(!met(&chrome, "common").await);
    // The member's name.
    chrome.clear("#new_password").await;
    chrome.type_into("#new_password", "Okafor-Rounds-26").await;
    assert!(met(&chrome, "common").await);
    assert!(!met(&chrome, "contains_personal").await);
    // A good one, then its confirmation: wrong, then right.
    chrome.clear("#new_password").await;
    chrome.type_into("#new_password", PASSWORD).await;
    chrome.type_into("#confirm_password", "Night-Rounds").await;
    assert!(!met(&chrome, "confirm").await);
    chrome.type_into("#confirm_password", "-2026").await;
    assert_eq!(marked(&chrome).await, details::RULES);
    fits(&chrome).await;
    chrome
        .screenshot(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/screenshots/register-fr-7-password-phone.png"),
        )
        .await;
    // Changing the password afterwards takes the confirmation's mark away.
    chrome.type_into("#new_password", "x").await;
    assert!(!met(&chrome, "confirm").await);
    chrome.quit().await;
}
