//! What the SAML IdP refuses, with requests crafted here: an unknown Issuer, an ACS URL not
//! registered (nothing is ever posted there), a replayed ID, a stale or future IssueInstant,
//! a bad signature (either binding), an unsigned request where one is required, XML with a
//! DTD, oversize and deflate-bomb requests, and unsigned or replayed logout requests. Each
//! refusal is a page for the person (no SAML message leaves), and is audited.

use authorization_server::saml::dsig::{sign_enveloped, sign_query, urlencode, SigningKey};
use authorization_server::saml::keys::generate_key;
use authorization_server::saml::request::encode_redirect;
use authorization_server::saml::xml::{datetime, new_id};
use authorization_server::saml::NewSp;
use base64::Engine as _;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::saml::{follow_bounce, SamlPost};
use oneid_tests::{spawn_app, TestApp};
use platform::Clock;

pub(crate) const SP: &str = "https://sp.example/saml";
pub(crate) const ACS: &str = "http://127.0.0.1:9/acs";

fn metadata(key: &SigningKey, signed_requests: bool) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="{signed_requests}"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://127.0.0.1:9/slo"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"#,
        key.cert_b64
    )
}

pub(crate) async fn world(signed_requests: bool) -> (TestApp, SigningKey) {
    let app = spawn_app().await;
    app.add_clinician().await;
    let key = generate_key("sp", 2048, 0).unwrap();
    app.test_service().await;
    app.provider
        .saml
        .sps
        .add(NewSp {
            metadata: metadata(&key, signed_requests),
            service_id: Some(oneid_tests::TEST_SERVICE.into()),
            ..NewSp::default()
        })
        .await
        .unwrap();
    (app, key)
}

/// An AuthnRequest: (start tag + Issuer, the rest), for signing between the two.
pub(crate) fn authn(
    app: &TestApp,
    id: &str,
    issuer: &str,
    acs: &str,
    instant: i64,
) -> (String, String) {
    let head = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" AssertionConsumerServiceURL="{acs}" Destination="{}/saml/sso" ID="{id}" IssueInstant="{}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{issuer}</saml:Issuer>"#,
        app.base,
        datetime(instant)
    );
    let tail =
        r#"<samlp:NameIDPolicy AllowCreate="true"></samlp:NameIDPolicy></samlp:AuthnRequest>"#;
    (head, tail.to_owned())
}

pub(crate) fn plain(parts: &(String, String)) -> String {
    format!("{}{}", parts.0, parts.1)
}

pub(crate) async fn redirect(
    app: &TestApp,
    b: &Browser,
    xml: &str,
    key: Option<&SigningKey>,
) -> Resp {
    let mut q = format!(
        "SAMLRequest={}&RelayState=r1",
        urlencode(&encode_redirect(xml))
    );
    if let Some(k) = key {
        q = sign_query(&q, k).unwrap();
    }
    b.get(&format!("{}/saml/sso?{q}", app.base)).await
}

/// Posts a request as a cross-site SP's page would (no session cookie: the IdP's detour
/// through a GET is followed).
pub(crate) async fn post(app: &TestApp, b: &Browser, xml: &str) -> Resp {
    let v = base64::engine::general_purpose::STANDARD.encode(xml);
    let r = b
        .post_form(&format!("{}/saml/sso", app.base), &[("SAMLRequest", &v)])
        .await;
    follow_bounce(b, app, r).await
}

/// A refusal: a page with `status`, no SAML message in it, and the audit's reason.
pub(crate) async fn refused(app: &TestApp, r: &Resp, status: u16, detail: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(SamlPost::from(r).is_none(), "nothing is posted anywhere");
    assert!(!r.body.contains("SAMLResponse"));
    let a = app.audit("saml.request_refused").await;
    assert_eq!(a[0].detail.as_deref(), Some(detail), "{a:?}");
}

#[tokio::test]
async fn unknown_issuers_unregistered_acs_urls_and_replays_are_refused() {
    let (app, _) = world(false).await;
    let b = Browser::new();
    let now = app.clock.now();

    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), "https://other.example", ACS, now)),
        None,
    )
    .await;
    refused(&app, &r, 400, "unknown_issuer").await;

    // An ACS URL the SP did not register: never posted to.
    let evil = "https://evil.example/acs";
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, evil, now)),
        None,
    )
    .await;
    refused(&app, &r, 400, "unregistered_acs").await;
    assert!(!r.body.contains(evil));

    // A good request reaches the login page once; the same ID again is refused.
    let id = new_id();
    let xml = plain(&authn(&app, &id, SP, ACS, now));
    let first = redirect(&app, &b, &xml, None).await;
    assert!(first.is_login_page(), "{}", first.body);
    let again = redirect(&app, &b, &xml, None).await;
    refused(&app, &again, 400, "replayed").await;
    // Through the other binding too.
    let again = post(&app, &b, &xml).await;
    refused(&app, &again, 400, "replayed").await;
}

#[tokio::test]
async fn stale_and_future_issue_instants_are_refused() {
    let (app, _) = world(false).await;
    let b = Browser::new();
    let now = app.clock.now();
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now - 3600)),
        None,
    )
    .await;
    refused(&app, &r, 400, "stale").await;
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now + 3600)),
        None,
    )
    .await;
    refused(&app, &r, 400, "stale").await;
    // Within the window (and a little clock skew) it is fine.
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now - 120)),
        None,
    )
    .await;
    assert!(r.is_login_page());
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now + 30)),
        None,
    )
    .await;
    assert!(r.is_login_page());
    // The server's clock moves on: a request made "now" is stale ten minutes later.
    let xml = plain(&authn(&app, &new_id(), SP, ACS, now));
    app.clock.advance(600);
    let r = redirect(&app, &b, &xml, None).await;
    refused(&app, &r, 400, "stale").await;
}

#[tokio::test]
async fn bad_signatures_are_refused_in_both_bindings() {
    let (app, key) = world(true).await;
    let b = Browser::new();
    let now = app.clock.now();
    let other = generate_key("other", 2048, 0).unwrap();

    // Redirect: signed by the SP's key passes, by another key fails, unsigned fails.
    let ok = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now)),
        Some(&key),
    )
    .await;
    assert!(ok.is_login_page(), "{}", ok.body);
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now)),
        Some(&other),
    )
    .await;
    refused(&app, &r, 400, "bad_signature").await;
    let r = redirect(
        &app,
        &b,
        &plain(&authn(&app, &new_id(), SP, ACS, now)),
        None,
    )
    .await;
    refused(&app, &r, 400, "bad_signature").await;
    // A signed query whose RelayState was changed on the way.
    let q = sign_query(
        &format!(
            "SAMLRequest={}&RelayState=r1",
            urlencode(&encode_redirect(&plain(&authn(
                &app,
                &new_id(),
                SP,
                ACS,
                now
            ))))
        ),
        &key,
    )
    .unwrap()
    .replace("RelayState=r1", "RelayState=r2");
    let r = b.get(&format!("{}/saml/sso?{q}", app.base)).await;
    refused(&app, &r, 400, "bad_signature").await;

    // POST: an enveloped signature by the SP passes; tampered after signing, it fails.
    let id = new_id();
    let (head, tail) = authn(&app, &id, SP, ACS, now);
    let signed = sign_enveloped(&head, &tail, &id, &key).unwrap();
    let ok = post(&app, &b, &signed).await;
    assert!(ok.is_login_page(), "{}", ok.body);
    let id = new_id();
    let (head, tail) = authn(&app, &id, SP, ACS, now);
    let signed = sign_enveloped(&head, &tail, &id, &key).unwrap();
    let tampered = signed.replace("AllowCreate=\"true\"", "AllowCreate=\"false\"");
    let r = post(&app, &b, &tampered).await;
    refused(&app, &r, 400, "bad_signature").await;
    // Signed by another key.
    let id = new_id();
    let (head, tail) = authn(&app, &id, SP, ACS, now);
    let r = post(
        &app,
        &b,
        &sign_enveloped(&head, &tail, &id, &other).unwrap(),
    )
    .await;
    refused(&app, &r, 400, "bad_signature").await;
}

/// Signature wrapping, with everything else about the request right (a registered SP that
/// does not insist on signed requests, its registered ACS, fresh, the right Destination): the
/// unsigned request passes, so only the signature check can refuse the wrapped ones.
#[tokio::test]
async fn wrapped_signatures_are_refused_by_the_signature_check_alone() {
    let (app, key) = world(false).await;
    let b = Browser::new();
    let now = app.clock.now();
    // A request the SP really signed, for the attacker to reuse.
    let inner_id = new_id();
    let (head, tail) = authn(&app, &inner_id, SP, ACS, now);
    let signed = sign_enveloped(&head, &tail, &inner_id, &key).unwrap();
    let start = signed.find("<ds:Signature").unwrap();
    let end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &signed[start..end];
    // The attacker's request: an outer one of their own with that signature and the signed
    // request inside it.
    let outer = |id: &str, sig: &str| {
        let (head, tail) = authn(&app, id, SP, ACS, now);
        let tail = tail.replacen(
            "<samlp:NameIDPolicy",
            &format!("<samlp:Extensions>{signed}</samlp:Extensions><samlp:NameIDPolicy"),
            1,
        );
        format!("{head}{sig}{tail}")
    };
    // 1. The signature as it is: it names the inner element, not the outer one.
    let r = post(&app, &b, &outer(&new_id(), sig)).await;
    refused(&app, &r, 400, "bad_signature").await;
    // 2. Pointed at the outer element: its digest and value are the inner one's.
    let id = new_id();
    let pointed = sig.replace(&format!("URI=\"#{inner_id}\""), &format!("URI=\"#{id}\""));
    let r = post(&app, &b, &outer(&id, &pointed)).await;
    refused(&app, &r, 400, "bad_signature").await;
    // 3. The outer element takes the signed element's ID: the reference is ambiguous.
    let r = post(&app, &b, &outer(&inner_id, sig)).await;
    refused(&app, &r, 400, "bad_signature").await;
    // The same outer request without the borrowed signature is accepted (an unsigned
    // request is fine for this SP): nothing but the signature check refused the others.
    let r = post(&app, &b, &outer(&new_id(), "")).await;
    assert!(r.is_login_page(), "{}", r.body);
    // And the signed request itself, alone, is good.
    let r = post(&app, &b, &signed).await;
    assert!(r.is_login_page(), "{}", r.body);
}

/// A signed request must say where it was sent (SAML bindings §3.4.5.2, §3.5.5.2); a long
/// RelayState is refused, saying so, rather than dropped.
#[tokio::test]
async fn signed_requests_need_a_destination_and_relay_states_have_a_limit() {
    let (app, key) = world(false).await;
    let b = Browser::new();
    let now = app.clock.now();
    let without = |id: &str| {
        let (head, tail) = authn(&app, id, SP, ACS, now);
        (
            head.replace(&format!(" Destination=\"{}/saml/sso\"", app.base), ""),
            tail,
        )
    };
    // Signed, either binding, without Destination: refused.
    let r = redirect(&app, &b, &plain(&without(&new_id())), Some(&key)).await;
    refused(&app, &r, 400, "bad_destination").await;
    let id = new_id();
    let (head, tail) = without(&id);
    let r = post(&app, &b, &sign_enveloped(&head, &tail, &id, &key).unwrap()).await;
    refused(&app, &r, 400, "bad_destination").await;
    // Another Destination, signed: refused too.
    let id = new_id();
    let (head, tail) = authn(&app, &id, SP, ACS, now);
    let head = head.replace("/saml/sso\"", "/saml/elsewhere\"");
    let r = post(&app, &b, &sign_enveloped(&head, &tail, &id, &key).unwrap()).await;
    refused(&app, &r, 400, "bad_destination").await;
    // Unsigned without Destination: nothing to check it against, accepted.
    let r = redirect(&app, &b, &plain(&without(&new_id())), None).await;
    assert!(r.is_login_page(), "{}", r.body);

    // RelayState over 1,024 characters, SP-initiated: a page that says so, nothing sent.
    let long = "r".repeat(1025);
    let q = format!(
        "SAMLRequest={}&RelayState={long}",
        urlencode(&encode_redirect(&plain(&authn(
            &app,
            &new_id(),
            SP,
            ACS,
            now
        ))))
    );
    let r = b.get(&format!("{}/saml/sso?{q}", app.base)).await;
    refused(&app, &r, 400, "relay_state_too_long").await;
    assert!(r.body.contains("RelayState"), "{}", r.body);
    // IdP-initiated: the same, where it was silently dropped before.
    app.provider
        .saml
        .sps
        .update(
            SP,
            authorization_server::saml::SpUpdate {
                choices: authorization_server::saml::SpChoices {
                    allow_idp_initiated: Some(true),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    let sp = urlencode(SP);
    let r = b
        .get(&format!(
            "{}/saml/idp-initiated?sp={sp}&RelayState={long}",
            app.base
        ))
        .await;
    refused(&app, &r, 400, "relay_state_too_long").await;
    let fr = Browser {
        lang: Some("fr".into()),
        ..b.clone()
    };
    let r = fr
        .get(&format!(
            "{}/saml/idp-initiated?sp={sp}&RelayState={long}",
            app.base
        ))
        .await;
    assert!(r.body.contains("1 024 caractères"), "{}", r.body);
    // Within the limit it goes on (to the login page, nobody being signed in).
    let r = b
        .get(&format!(
            "{}/saml/idp-initiated?sp={sp}&RelayState={}",
            app.base,
            "r".repeat(1024)
        ))
        .await;
    assert!(r.is_login_page(), "{}", r.body);
}

#[tokio::test]
async fn dtds_oversize_requests_and_deflate_bombs_are_refused() {
    let (app, _) = world(false).await;
    let b = Browser::new();
    let now = app.clock.now();
    let xml = plain(&authn(&app, &new_id(), SP, ACS, now));

    // A DTD (billion laughs shape): refused before anything is expanded.
    let dtd = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>{}",
        xml.replace(SP, "&lol2;")
    );
    let r = redirect(&app, &b, &dtd, None).await;
    refused(&app, &r, 400, "invalid_request").await;
    let r = post(&app, &b, &dtd).await;
    refused(&app, &r, 400, "invalid_request").await;
    // An external entity.
    let xxe = format!(
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        xml.replace(SP, "&e;")
    );
    let r = post(&app, &b, &xxe).await;
    refused(&app, &r, 400, "invalid_request").await;

    // Larger than the XML limit (32 KiB) after decoding, in either binding.
    let big = xml.replace(
        "<samlp:NameIDPolicy",
        &format!(
            "<samlp:Extensions>{}</samlp:Extensions><samlp:NameIDPolicy",
            "x".repeat(40_000)
        ),
    );
    let r = post(&app, &b, &big).await;
    refused(&app, &r, 413, "too_large").await;
    // A deflate bomb: a few kilobytes on the wire, megabytes inflated.
    let bomb = xml.replace(
        "<samlp:NameIDPolicy",
        &format!(
            "<samlp:Extensions>{}</samlp:Extensions><samlp:NameIDPolicy",
            " ".repeat(5_000_000)
        ),
    );
    let r = redirect(&app, &b, &bomb, None).await;
    refused(&app, &r, 413, "too_large").await;
    // A body over the server's limit never reaches the parser.
    let huge = "A".repeat(200_000);
    let r = b
        .post_form(&format!("{}/saml/sso", app.base), &[("SAMLRequest", &huge)])
        .await;
    assert_eq!(r.status, 413);
    // Deep nesting.
    let deep = xml.replace(
        "<samlp:NameIDPolicy",
        &format!(
            "{}{}<samlp:NameIDPolicy",
            "<a>".repeat(100),
            "</a>".repeat(100)
        ),
    );
    let r = post(&app, &b, &deep).await;
    refused(&app, &r, 400, "invalid_request").await;
}

#[tokio::test]
async fn logout_requests_must_be_signed_fresh_and_new() {
    let (app, key) = world(false).await;
    let b = Browser::new();
    let now = app.clock.now();
    let logout = |id: &str, instant: i64| {
        format!(
            r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="{}/saml/slo" ID="{id}" IssueInstant="{}" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{SP}</saml:Issuer><saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">someone</saml:NameID></samlp:LogoutRequest>"#,
            app.base,
            datetime(instant)
        )
    };
    let send = |xml: String, k: Option<&SigningKey>| {
        let mut q = format!("SAMLRequest={}", urlencode(&encode_redirect(&xml)));
        if let Some(k) = k {
            q = sign_query(&q, k).unwrap();
        }
        let url = format!("{}/saml/slo?{q}", app.base);
        let b = b.clone();
        async move { b.get(&url).await }
    };
    let last = || async { app.audit("saml.logout_refused").await[0].detail.clone() };
    // Unsigned: refused (anyone could otherwise end a person's session).
    let r = send(logout(&new_id(), now), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(last().await.as_deref(), Some("bad_signature"));
    // Signed and new: answered (no session in this browser: Success) by a signed redirect.
    let id = new_id();
    let r = send(logout(&id, now), Some(&key)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap();
    assert!(to.starts_with("http://127.0.0.1:9/slo?SAMLResponse=") && to.contains("&Signature="));
    // Replayed, stale.
    let r = send(logout(&id, now), Some(&key)).await;
    assert_eq!(r.status, 400);
    assert_eq!(last().await.as_deref(), Some("replayed"));
    let r = send(logout(&new_id(), now - 3600), Some(&key)).await;
    assert_eq!(r.status, 400);
    assert_eq!(last().await.as_deref(), Some("stale"));
}
