//! What a request may ask of the IdP, with pysaml2 as the SP: the NameID format is the one
//! registered (a request may leave it unspecified, not ask for another); the requested
//! authentication context on the acr ladder (the SP's multi-factor rule keeps the level asked
//! for, `maximum` is a ceiling, values off the ladder are refused); the gate's refusals
//! (level of assurance too low; IsPassive answered at once); and a signed Response wrapping
//! a signed Assertion, both checked by xmlsec1.

use super::saml::{facts, sign_in, xmlsec_response};
use oneid_tests::browser::Browser;
use oneid_tests::saml::{sp_error, PySp, SamlPost};
use oneid_tests::{spawn_app, LOGIN_ID, PASSWORD};

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// The SP's `nameid` (the NameIDPolicy Format it asks for), ready for a query.
fn nameid(format: &str) -> String {
    format!(
        "nameid={}",
        url::form_urlencoded::byte_serialize(format.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn the_name_id_format_is_the_registered_one() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let b = Browser::new();

    // Registered for unspecified (the login ID), asked for unspecified.
    let unspec = PySp::start(&app, &["--nameid-format", UNSPECIFIED]).await;
    let reg = unspec.register(&app, |_| {}).await;
    assert_eq!(reg.nameid_format, UNSPECIFIED);
    let f = sign_in(&b, &app, &unspec, &nameid(UNSPECIFIED)).await;
    assert!(f.login_page);
    assert!(f
        .post
        .xml
        .contains("<saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\""));
    let v = facts(&f, &unspec);
    assert_eq!(v["name_id"], LOGIN_ID);
    assert_eq!(v["name_id_format"], UNSPECIFIED);

    // Registered persistent, asked for unspecified: the registered format.
    let persistent = PySp::start(&app, &["--nameid-format", UNSPECIFIED]).await;
    persistent
        .register(&app, |n| n.nameid_format = Some(PERSISTENT.into()))
        .await;
    let f = sign_in(&b, &app, &persistent, &nameid(UNSPECIFIED)).await;
    let v = facts(&f, &persistent);
    assert_eq!(v["name_id_format"], PERSISTENT);
    assert_ne!(v["name_id"], LOGIN_ID);

    // Registered persistent, asked for the email address: refused, the address not given.
    let nosy = PySp::start(&app, &[]).await;
    nosy.register(&app, |n| n.nameid_format = Some(PERSISTENT.into()))
        .await;
    let f = sign_in(&b, &app, &nosy, &nameid(EMAIL)).await;
    assert!(
        f.post
            .xml
            .contains("urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"),
        "{}",
        f.post.xml
    );
    assert!(!f.post.xml.contains("randy.burt@example.org"));
    assert!(!f.post.xml.contains("Assertion"));
    assert_eq!(f.acs.status, 400);
    assert!(sp_error(&f.acs).unwrap().contains("InvalidNameIDPolicy"));
}

/// The SP's `ctx` (and `comparison`) for its /login, ready for a query.
fn ctx(class_ref: &str, comparison: &str) -> String {
    format!(
        "ctx={}&comparison={comparison}",
        url::form_urlencoded::byte_serialize(class_ref.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn the_requested_context_keeps_its_level_and_stays_on_the_ladder() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await; // AL1
                                         // A second factor the old rule would have stepped up with.
    let secret = step_up::totp::new_secret();
    app.provider.accounts.set_totp(&sub, &secret).await.unwrap();
    let strict = PySp::start(&app, &[]).await;
    strict.register(&app, |n| n.require_mfa = true).await;
    let b = Browser::new();

    // An SP that requires multi-factor asks for AL2: that is AL2 with multi-factor, which an
    // AL1 account never reaches (not AL1 with multi-factor).
    let start = b
        .get(&format!(
            "{}/login?{}",
            strict.base,
            ctx("urn:oneid:loa:2", "exact")
        ))
        .await;
    let page = b.get(start.location().unwrap()).await;
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    assert_eq!(cb.status, 303, "{}", cb.body);
    let next = cb.location().unwrap();
    assert!(
        next.starts_with("/saml/continue?") && next.ends_with("&unmet=1"),
        "no step-up to a level the account cannot have: {next}"
    );
    let page = b.get(&format!("{}{next}", app.base)).await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(
        post.xml
            .contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"),
        "{}",
        post.xml
    );
    assert!(!post.xml.contains("Assertion"));

    let sp = PySp::start(&app, &[]).await;
    sp.register(&app, |_| {}).await;
    // Signed in (AL1, password).
    let f = sign_in(&b, &app, &sp, "").await;
    assert_eq!(facts(&f, &sp)["authn_context"], "urn:oneid:loa:1");
    // `maximum` AL3: a ceiling, which this session is under: answered, saying AL1.
    let f = sign_in(&b, &app, &sp, &ctx("urn:oneid:loa:3", "maximum")).await;
    assert!(!f.login_page);
    assert_eq!(facts(&f, &sp)["authn_context"], "urn:oneid:loa:1");
    // Values under urn:oneid:loa: that are not rungs are not known, so not met, and never
    // echoed back.
    for bad in ["urn:oneid:loa:-1", "urn:oneid:loa:0", "urn:oneid:loa:01"] {
        let f = sign_in(&b, &app, &sp, &ctx(bad, "minimum")).await;
        assert!(
            f.post
                .xml
                .contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"),
            "{bad}: {}",
            f.post.xml
        );
        assert!(!f.post.xml.contains(bad));
    }
    // `better` than AL1 multi-factor: a passkey at AL1, or AL2 with multi-factor. This account
    // never reaches AL2, and this provider (served on an address) can offer no passkey: the SP
    // hears NoAuthnContext at once.
    let start = b
        .get(&format!(
            "{}/login?{}",
            sp.base,
            ctx("urn:oneid:loa:1:mfa", "better")
        ))
        .await;
    let r = b.get(start.location().unwrap()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let next = r.location().unwrap();
    assert!(next.ends_with("&unmet=1"), "{next}");
    let page = b.get(&format!("{}{next}", app.base)).await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"));
}

#[tokio::test]
async fn the_gate_refuses_a_level_too_low_and_answers_is_passive_at_once() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await; // AL1
    let dir = &app.provider.registration.directory;
    dir.put_service(&registration::Service {
        id: "lab".into(),
        name: "Ontario Lab Results".into(),
        url: None,
        min_assurance_level: 2,
    })
    .await
    .unwrap();
    dir.put_organization("uhn", "University Health Network")
        .await
        .unwrap();
    dir.sponsor(&sub, "uhn", Some("E-1"), "test").await.unwrap();
    dir.enrol(&sub, "lab", "uhn", "test").await.unwrap();
    let sp = PySp::start(&app, &[]).await;
    sp.register(&app, |n| n.service_id = Some("lab".into()))
        .await;
    let b = Browser::new();

    // Enrolled, but at AL1 for an AL2 service: the page says so; the way back carries
    // RequestDenied.
    let start = b.get(&format!("{}/login", sp.base)).await;
    let page = b.get(start.location().unwrap()).await;
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let page = b
        .get(&format!("{}{}", app.base, cb.location().unwrap()))
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body
            .contains("needs level of assurance AL2; your account has AL1"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("data-auto"));
    let post = SamlPost::from(&page).unwrap();
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:RequestDenied"));
    let refused = app.audit("authorization.refused").await;
    assert_eq!(refused[0].detail.as_deref(), Some("level_too_low"));
    assert_eq!(
        refused[0].client_id.as_deref(),
        Some(sp.entity_id().as_str())
    );

    // IsPassive shows nothing: the SP hears RequestDenied straight away (like prompt=none).
    let start = b.get(&format!("{}/login?passive=1", sp.base)).await;
    let page = b.get(start.location().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-auto=\"1\""), "sent on by itself");
    assert!(!page.body.contains("AL2"), "no page for the person");
    let post = SamlPost::from(&page).unwrap();
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:RequestDenied"));
    let acs = b.post_form(&post.action, &post.form()).await;
    assert!(sp_error(&acs).unwrap().contains("RequestDenied"));
}

#[tokio::test]
async fn a_signed_response_wrapping_a_signed_assertion_passes_xmlsec1() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(&app, &["--want-response-signed"]).await;
    sp.register(&app, |n| n.sign_response = true).await;
    let b = Browser::new();
    let f = sign_in(&b, &app, &sp, "").await;
    let v = facts(&f, &sp);
    assert_eq!(v["response_signed"], true);
    assert_eq!(v["encrypted"], false);
    assert_eq!(f.post.xml.matches("<ds:Signature xmlns").count(), 2);
    // The Response's signature (over the signed Assertion inside), then the Assertion's.
    xmlsec_response(&app, &f.post.xml, true);
}

#[tokio::test]
async fn an_sp_that_requires_phishing_resistance_gets_no_assertion_without_a_passkey() {
    // Served under a host name, so that passkeys exist here (the account has none).
    let app = oneid_tests::spawn_localhost_with(|_| {}).await;
    let sub = app.add_clinician().await;
    // A second factor that is not a passkey: not enough for this SP.
    let secret = step_up::totp::new_secret();
    app.provider.accounts.set_totp(&sub, &secret).await.unwrap();
    let strict = PySp::start(&app, &[]).await;
    strict
        .register(&app, |n| n.require_phishing_resistant = true)
        .await;
    let b = Browser::new();
    let start = b.get(&format!("{}/login", strict.base)).await;
    let page = b.get(start.location().unwrap()).await;
    let r = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    // No code, no app: the page says a passkey is needed and how to add one.
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("A passkey is required"), "{}", r.body);
    assert!(
        r.body.contains("/account/passkeys?ui_locales=en"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("name=\"method\""), "{}", r.body);
    // Its way back tells the SP: NoAuthnContext, and no assertion.
    let back = r
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .find(|h| h.starts_with("/saml/continue"))
        .map(oneid_tests::browser::unescape)
        .unwrap_or_else(|| panic!("{}", r.body));
    assert!(back.contains("unmet=1"), "{back}");
    let page = b.get(&format!("{}{back}", app.base)).await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(
        post.xml
            .contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"),
        "{}",
        post.xml
    );
    assert!(!post.xml.contains("Assertion"));
}
