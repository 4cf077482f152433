//! Single Logout with messages crafted here, for what a real SP library would never send: a
//! POST-binding `LogoutRequest` unsigned, signed by another key, altered after signing or
//! without a Destination (refused, the session lives on), then a good one posted from another
//! site without the session cookie (parked, and the session really ends); and the SP's
//! `LogoutResponse`s, which count only when signed, addressed to the IdP and answering a
//! request the IdP sent -- anything else is ignored without filling the audit trail.

use crate::adversarial::saml::{authn, plain, redirect, world, ACS, SP};
use authorization_server::saml::dsig::{sign_enveloped, sign_query, urlencode, SigningKey};
use authorization_server::saml::keys::generate_key;
use authorization_server::saml::request::{decode_redirect, encode_redirect};
use authorization_server::saml::response::{self, status};
use authorization_server::saml::xml::{datetime, new_id};
use base64::Engine as _;
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::saml::{follow_bounce, frames, SamlPost};
use oneid_tests::{TestApp, LOGIN_ID, PASSWORD};
use platform::Clock;

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s.find(start).unwrap_or_else(|| panic!("no {start} in {s}")) + start.len();
    let j = s[i..].find(end).unwrap() + i;
    &s[i..j]
}

/// Signs in through the crafted SP (its ACS is nowhere: what matters is that the IdP gave
/// it an assertion); returns the NameID and SessionIndex given.
async fn signed_in(app: &TestApp, b: &Browser) -> (String, String) {
    let now = app.clock.now();
    let xml = plain(&authn(app, &new_id(), SP, ACS, now));
    let page = redirect(app, b, &xml, None).await;
    let page = if page.is_login_page() {
        let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
        b.get(&format!("{}{}", app.base, cb.location().unwrap()))
            .await
    } else {
        page
    };
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(post.xml.contains(status::SUCCESS), "{}", post.xml);
    let name_id = between(&post.xml, "<saml:NameID ", "</saml:NameID>");
    let name_id = name_id[name_id.find('>').unwrap() + 1..].to_owned();
    let index = between(&post.xml, "SessionIndex=\"", "\"").to_owned();
    (name_id, index)
}

/// Whether the browser's session is alive: the crafted SP's next request is answered at
/// once (else the login page).
async fn alive(app: &TestApp, b: &Browser) -> bool {
    let xml = plain(&authn(app, &new_id(), SP, ACS, app.clock.now()));
    let page = redirect(app, b, &xml, None).await;
    SamlPost::from(&page).is_some()
}

/// A LogoutRequest from the crafted SP in canonical form: (start tag + Issuer, the rest).
fn logout(app: &TestApp, id: &str, name_id: &str, destination: bool) -> (String, String) {
    let dest = if destination {
        format!(" Destination=\"{}/saml/slo\"", app.base)
    } else {
        String::new()
    };
    let head = format!(
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"{dest} ID="{id}" IssueInstant="{}" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{SP}</saml:Issuer>"#,
        datetime(app.clock.now())
    );
    let tail = format!(
        r#"<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Format="{PERSISTENT}">{name_id}</saml:NameID></samlp:LogoutRequest>"#
    );
    (head, tail)
}

async fn slo_post(app: &TestApp, b: &Browser, xml: &str) -> Resp {
    let v = base64::engine::general_purpose::STANDARD.encode(xml);
    b.post_form(&format!("{}/saml/slo", app.base), &[("SAMLRequest", &v)])
        .await
}

async fn last_refusal(app: &TestApp) -> Option<String> {
    app.audit("saml.logout_refused").await[0].detail.clone()
}

#[tokio::test]
async fn a_post_binding_logout_request_ends_the_session_only_when_signed_and_addressed() {
    let (app, key) = world(false).await;
    let other = generate_key("other", 2048, 0).unwrap();
    let b = Browser::new();
    let (name_id, _) = signed_in(&app, &b).await;
    let signed = |id: &str, k: &SigningKey, destination: bool| {
        let (head, tail) = logout(&app, id, &name_id, destination);
        sign_enveloped(&head, &tail, id, k).unwrap()
    };

    // Unsigned: refused (anyone could otherwise end the session).
    let r = slo_post(&app, &b, &plain(&logout(&app, &new_id(), &name_id, true))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(last_refusal(&app).await.as_deref(), Some("bad_signature"));
    // Signed by another key.
    let r = slo_post(&app, &b, &signed(&new_id(), &other, true)).await;
    assert_eq!(r.status, 400);
    assert_eq!(last_refusal(&app).await.as_deref(), Some("bad_signature"));
    // Signed, then another person's NameID put in.
    let x = signed(&new_id(), &key, true).replace(&name_id, "someone-else");
    let r = slo_post(&app, &b, &x).await;
    assert_eq!(r.status, 400);
    assert_eq!(last_refusal(&app).await.as_deref(), Some("bad_signature"));
    // Signed without a Destination.
    let r = slo_post(&app, &b, &signed(&new_id(), &key, false)).await;
    assert_eq!(r.status, 400);
    assert_eq!(last_refusal(&app).await.as_deref(), Some("bad_destination"));
    assert!(SamlPost::from(&r).is_none() && r.location().is_none());
    assert!(alive(&app, &b).await, "nothing refused ended the session");
    assert!(app.audit("logout").await.is_empty());

    // A good one, posted by the SP's page on another site: no session cookie comes with it.
    let id = new_id();
    let good = signed(&id, &key, true);
    let cross_site = Browser::new();
    let r = slo_post(&app, &cross_site, &good).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap().to_owned();
    assert!(to.starts_with("/saml/slo?bounce="), "{to}");
    assert!(!to.contains("SAMLRequest"), "only a handle travels: {to}");
    assert!(
        alive(&app, &b).await,
        "nothing ends before the browser is back"
    );
    // The browser follows, with its cookie: the session ends, the SP gets Success.
    let done = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location().unwrap();
    assert!(
        back.starts_with("http://127.0.0.1:9/slo?SAMLResponse="),
        "{back}"
    );
    assert!(back.contains("&Signature="));
    assert!(done.headers["set-cookie"].contains("Max-Age=0"));
    let q: std::collections::HashMap<String, String> = url::Url::parse(back)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let answer = decode_redirect(&q["SAMLResponse"]).unwrap();
    assert!(answer.contains(status::SUCCESS), "{answer}");
    assert!(
        answer.contains(&format!("InResponseTo=\"{id}\"")),
        "{answer}"
    );
    let logout = app.audit("logout").await;
    assert_eq!(logout.len(), 1);
    assert_eq!(logout[0].detail.as_deref(), Some("saml"));
    assert!(!alive(&app, &b).await, "the session is over");
    // The handle was single use; the request itself cannot come again.
    let again = b.get(&format!("{}{to}", app.base)).await;
    assert_eq!(again.status, 400);
    assert_eq!(last_refusal(&app).await.as_deref(), Some("expired"));
    let r = slo_post(&app, &b, &good).await;
    let r = follow_bounce(&b, &app, r).await;
    assert_eq!(r.status, 400);
    assert_eq!(last_refusal(&app).await.as_deref(), Some("replayed"));
}

/// A LogoutResponse from the crafted SP by the Redirect binding, query-signed with `key`.
fn response_url(app: &TestApp, xml: &str, key: Option<&SigningKey>) -> String {
    let mut q = format!("SAMLResponse={}", urlencode(&encode_redirect(xml)));
    if let Some(k) = key {
        q = sign_query(&q, k).unwrap();
    }
    format!("{}/saml/slo?{q}", app.base)
}

#[tokio::test]
async fn logout_responses_count_only_when_signed_and_answering_a_request_the_idp_sent() {
    let (app, key) = world(false).await;
    let other = generate_key("other", 2048, 0).unwrap();
    let b = Browser::new();
    signed_in(&app, &b).await;
    // Logout at ONE ID itself (the person confirms): the crafted SP gets a LogoutRequest in
    // a frame.
    let page = b.get(&format!("{}/logout", app.base)).await;
    let out = b
        .post_form(
            &format!("{}/logout/confirm", app.base),
            &[
                ("request", &page.hidden("request").unwrap()),
                ("csrf", &page.hidden("csrf").unwrap()),
            ],
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    let srcs = frames(&out);
    assert_eq!(srcs.len(), 1, "{}", out.body);
    assert!(srcs[0].starts_with("http://127.0.0.1:9/slo?SAMLRequest="));
    let csp = &out.headers["content-security-policy"];
    assert!(
        csp.contains("frame-src 'self' http://127.0.0.1:9;"),
        "the SP answers into the frame by coming back to us: {csp}"
    );
    let q: std::collections::HashMap<String, String> = url::Url::parse(&srcs[0])
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let sent = decode_redirect(&q["SAMLRequest"]).unwrap();
    let sent_id = between(&sent, " ID=\"", "\"").to_owned();
    let now = app.clock.now();
    let slo = format!("{}/saml/slo", app.base);
    let answer = |irt: &str| response::logout_response(SP, &slo, irt, now, status::SUCCESS, None);
    let noted = || async { app.audit("saml.logout_response").await.len() };

    // Unsigned; signed by another key; answering nothing the IdP sent; without Destination;
    // unsigned by POST: all ignored, none audited.
    let good = answer(&sent_id).unwrap();
    for url in [
        response_url(&app, &good, None),
        response_url(&app, &good, Some(&other)),
        response_url(&app, &answer(&new_id()).unwrap(), Some(&key)),
        response_url(
            &app,
            &good.replace(&format!(" Destination=\"{slo}\""), ""),
            Some(&key),
        ),
    ] {
        let r = b.get(&url).await;
        assert_eq!(r.status, 400, "{url}: {}", r.body);
    }
    let r = b
        .post_form(
            &slo,
            &[(
                "SAMLResponse",
                &base64::engine::general_purpose::STANDARD.encode(&good),
            )],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(noted().await, 0);
    assert!(
        app.audit("saml.logout_refused").await.is_empty(),
        "no audit spam"
    );

    // The real answer: signed, addressed here, to the request sent. Noted once.
    let r = b.get(&response_url(&app, &good, Some(&key))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers["content-security-policy"].contains("frame-ancestors 'self'"));
    let a = app.audit("saml.logout_response").await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].detail.as_deref(), Some("success"));
    assert_eq!(a[0].client_id.as_deref(), Some(SP));
    // The same answer again is nothing new.
    let r = b.get(&response_url(&app, &good, Some(&key))).await;
    assert_eq!(r.status, 400);
    assert_eq!(noted().await, 1);
}
