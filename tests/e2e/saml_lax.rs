//! The HTTP-POST binding from another site, at the HTTP level: a browser sends no
//! `SameSite=Lax` session cookie with a cross-site POST (a client without cookies plays that
//! POST here), so the IdP parks the message and sends the browser back by GET with only a
//! handle; the browser (with its cookie) follows and the message is handled with the session.
//! Headless Chromium does the same for real in `saml_browser`.

use super::saml::{facts, sign_in};
use oneid_tests::browser::Browser;
use oneid_tests::saml::{sp_facts, PySp, SamlPost};
use oneid_tests::spawn_app;

#[tokio::test]
async fn a_cross_site_post_binding_request_reaches_the_session_through_a_get() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(&app, &[]).await;
    sp.register(&app, |_| {}).await;
    let b = Browser::new();
    let first = sign_in(&b, &app, &sp, "binding=redirect").await;
    assert!(first.login_page);
    let first = facts(&first, &sp);

    // IsPassive by POST, from the SP's page on another site: no cookie comes with the POST.
    let form = b
        .get(&format!(
            "{}/login?binding=post&passive=1&relay=ward",
            sp.base
        ))
        .await;
    let req = SamlPost::from(&form).expect("the SP's form");
    let cross_site = Browser::new();
    let r = cross_site.post_form(&req.action, &req.form()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap().to_owned();
    assert!(to.starts_with("/saml/sso?bounce="), "{to}");
    assert!(
        !to.contains("SAMLRequest") && !to.contains("ward"),
        "only a handle: {to}"
    );
    assert_eq!(r.headers["cache-control"], "no-store");
    // The browser follows with its cookie: the session answers, IsPassive is met.
    let page = b.get(&format!("{}{to}", app.base)).await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(
        post.xml
            .contains("urn:oasis:names:tc:SAML:2.0:status:Success"),
        "{}",
        post.xml
    );
    assert_eq!(post.relay_state.as_deref(), Some("ward"));
    let acs = b.post_form(&post.action, &post.form()).await;
    assert_eq!(acs.status, 200, "{}", sp.log());
    let v = sp_facts(&acs);
    assert_eq!(
        v["session_index"], first["session_index"],
        "the same session"
    );

    // The handle is single use.
    let again = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(again.status, 400);
    assert!(SamlPost::from(&again).is_none());
    let refused = app.audit("saml.request_refused").await;
    assert_eq!(refused[0].detail.as_deref(), Some("expired"));

    // A handle is for the endpoint that made it, and lives two minutes.
    let park = || async {
        let form = b
            .get(&format!("{}/login?binding=post&passive=1", sp.base))
            .await;
        let req = SamlPost::from(&form).unwrap();
        let r = cross_site.post_form(&req.action, &req.form()).await;
        r.location().unwrap().to_owned()
    };
    let to = park().await;
    let r = b
        .get(&format!(
            "{}{}",
            app.base,
            to.replace("/saml/sso", "/saml/slo")
        ))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = b.get(&format!("{}{to}", app.base)).await;
    assert!(SamlPost::from(&r).is_some(), "still good at /saml/sso");
    let to = park().await;
    app.clock.advance(121);
    let r = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        app.audit("saml.request_refused").await[0].detail.as_deref(),
        Some("expired")
    );

    // Unreadable requests are refused at once, not parked.
    let r = cross_site
        .post_form(
            &format!("{}/saml/sso", app.base),
            &[("SAMLRequest", "PHg+")],
        )
        .await;
    assert_eq!(r.status, 400);
    // With the cookie (a same-site SP), no detour.
    let form = b.get(&format!("{}/login?binding=post", sp.base)).await;
    let req = SamlPost::from(&form).unwrap();
    let r = b.post_form(&req.action, &req.form()).await;
    assert_eq!(r.status, 200);
    assert!(SamlPost::from(&r).is_some());
}

#[tokio::test]
async fn a_cross_site_post_binding_logout_really_ends_the_session() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(&app, &[]).await;
    sp.register(&app, |_| {}).await;
    let b = Browser::new();
    facts(&sign_in(&b, &app, &sp, "").await, &sp);

    // pysaml2 sends its LogoutRequest by HTTP-POST; from another site, without the cookie.
    let out = b.get(&format!("{}/logout?binding=post", sp.base)).await;
    let req = SamlPost::from(&out).unwrap_or_else(|| panic!("{} {}", out.status, out.body));
    assert_eq!(req.field, "SAMLRequest");
    let cross_site = Browser::new();
    let r = cross_site.post_form(&req.action, &req.form()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap().to_owned();
    assert!(to.starts_with("/saml/slo?bounce="), "{to}");
    assert!(
        app.audit("logout").await.is_empty(),
        "not before the browser is back"
    );
    let done = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.headers["set-cookie"].contains("Max-Age=0"));
    let back = done.location().unwrap();
    assert!(
        back.starts_with(&format!("{}/slo?SAMLResponse=", sp.base)),
        "{back}"
    );
    let fin = b.get(back).await;
    assert_eq!(fin.status, 200, "{}", sp.log());
    assert!(fin
        .body
        .contains("urn:oasis:names:tc:SAML:2.0:status:Success"));
    let logout = app.audit("logout").await;
    assert_eq!(logout.len(), 1);
    assert_eq!(logout[0].detail.as_deref(), Some("saml"));

    // The IdP session really is over: the next sign-in asks for the password.
    let again = sign_in(&b, &app, &sp, "").await;
    assert!(again.login_page);
    facts(&again, &sp);
}
