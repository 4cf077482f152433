//! The demo as `oneid demo` wires it: the registry and key it seeds verify the hand-offs its
//! member portal signs, so "Sign up for ONE ID" on the portal opens the wizard's first step.

use super::*;
use oneid::demo_registry::{demo_members, serve, Portal};

/// As askama writes an attribute, back to text.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The portal's "Sign up for ONE ID" form of `member`: (action, assertion).
fn signup_form(portal: &str, member: &str) -> (String, String) {
    let id = format!("id=\"signup-{member}\"");
    let at = portal.find(&id).unwrap_or_else(|| panic!("{id}: {portal}"));
    let tag = &portal[portal[..at].rfind("<form").unwrap()..at];
    let action = tag
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let rest = &portal[at..];
    let assertion = rest
        .split("name=\"assertion\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    (unescape(action), unescape(assertion))
}

#[tokio::test]
async fn the_demo_portal_signs_hand_offs_the_demo_registry_accepts() {
    // The demo's configuration: the default, with no step for the retired ONE Mail Direct.
    let app = oneid_tests::spawn_app_with(|c| c.registration.one_mail_step = false).await;
    let data =
        std::env::temp_dir().join(format!("oneid-demo-{}", platform::crypto::random_token(6)));
    std::fs::create_dir_all(&data).unwrap();
    oneid::demo::seed(&app.provider).await.unwrap();
    let registry = oneid::demo::seed_registry(&app.provider, &data)
        .await
        .unwrap();
    // A second start of the demo keeps the same key.
    let again = oneid::demo::seed_registry(&app.provider, &data)
        .await
        .unwrap();
    assert_eq!(again.kid, registry.kid);
    std::fs::remove_dir_all(&data).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let portal = Portal {
        issuer: app.base.clone(),
        registry,
        members: demo_members(),
        base: base.clone(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(serve(portal, listener, async {
        let _ = stopped.await;
    }));

    let b = Browser::new();
    let page = b.get(&format!("{base}/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign up for ONE ID"));
    assert!(!page.body.contains("id=\"error\""), "the portal can sign");

    // Patricia signs up: the hand-off is accepted and the wizard opens at its first step.
    let (action, assertion) = signup_form(&page.body, "71234");
    assert_eq!(action, format!("{}/register", app.base));
    let r = b.post_form(&action, &[("assertion", &assertion)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), Some("/register/policies"));
    let step = b.get(&format!("{}/register/policies", app.base)).await;
    assert_eq!(step.status, 200, "{}", step.body);
    assert!(step.body.contains("Step 1 of 6: Policies"), "{}", step.body);
    let started = app.audit("registration.started").await;
    assert_eq!(
        started[0].detail.as_deref(),
        Some("registry=cpso member=71234")
    );

    // The demo clinician already has an account: the welcome page.
    let (action, assertion) = signup_form(&page.body, "98765");
    let r = Browser::new()
        .post_form(&action, &[("assertion", &assertion)])
        .await;
    assert_eq!(r.location(), Some("/register/welcome?ui_locales=en"));

    let _ = stop.send(());
    served.await.unwrap();
}
