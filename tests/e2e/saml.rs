//! The SAML 2.0 IdP with a real service provider: pysaml2 (tests/saml/sp.py) signs in by
//! HTTP-Redirect and HTTP-POST, with signed requests, signed and encrypted assertions and
//! signed responses, logs out (SP-initiated and propagated), and shares one SSO session with
//! OpenID Connect relying parties. Everything the IdP signs also passes `xmlsec1 --verify`.

use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::saml::{
    element, follow_bounce, sp_error, sp_facts, xmlsec_decrypt, xmlsec_verify, PySp, SamlPost,
};
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};

const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
const RESPONSE: &str = "urn:oasis:names:tc:SAML:2.0:protocol:Response";
const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// One SP-initiated sign-in as a browser does it.
pub struct Flow {
    /// Whether the login page was shown (else SSO).
    pub login_page: bool,
    /// The IdP's POST page's message.
    pub post: SamlPost,
    /// The SP's answer to it.
    pub acs: Resp,
}

/// Starts a sign-in at the SP (`query` for its /login), signs in at the IdP if asked, and
/// carries the IdP's answer to the ACS.
pub async fn sign_in(b: &Browser, app: &TestApp, sp: &PySp, query: &str) -> Flow {
    let start = b.get(&format!("{}/login?{query}", sp.base)).await;
    let mut page = match start.status {
        303 => b.get(start.location().unwrap()).await,
        200 => {
            // HTTP-POST binding: the SP's form (without a session cookie, via the detour).
            let req = SamlPost::from(&start).expect("the SP's POST form");
            let r = b.post_form(&req.action, &req.form()).await;
            follow_bounce(b, app, r).await
        }
        s => panic!("SP /login answered {s}: {}\n{}", start.body, sp.log()),
    };
    let login_page = page.is_login_page();
    if login_page {
        let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
        assert_eq!(cb.status, 303, "{}", cb.body);
        let next = cb.location().unwrap();
        assert!(next.starts_with("/saml/continue?"), "{next}");
        page = b.get(&format!("{}{next}", app.base)).await;
    }
    let post = SamlPost::from(&page).unwrap_or_else(|| {
        panic!(
            "expected the IdP's POST page, got {} {}",
            page.status, page.body
        )
    });
    assert_eq!(post.field, "SAMLResponse");
    let acs = b.post_form(&post.action, &post.form()).await;
    Flow {
        login_page,
        post,
        acs,
    }
}

/// The facts of a successful sign-in, with pysaml2's complaint if it refused.
pub fn facts(f: &Flow, sp: &PySp) -> serde_json::Value {
    assert_eq!(
        f.acs.status,
        200,
        "pysaml2 refused the response: {:?}\n{}\n{}",
        sp_error(&f.acs),
        sp.log(),
        f.post.xml
    );
    sp_facts(&f.acs)
}

/// Every signature in an unencrypted SAML Response passes xmlsec1.
pub fn xmlsec_response(app: &TestApp, xml: &str, response_signed: bool) {
    if response_signed {
        xmlsec_verify(app, xml, RESPONSE);
    }
    let a = element(xml, "saml:Assertion").expect("an assertion");
    xmlsec_verify(app, &a, ASSERTION);
}

#[tokio::test]
async fn metadata_is_signed_cacheable_and_names_every_endpoint() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/saml/metadata", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/samlmetadata+xml");
    assert_eq!(h["cache-control"], "public, max-age=3600");
    let xml = r.text().await.unwrap();
    for s in [
        format!("entityID=\"{}/saml/metadata\"", app.base),
        format!(
            "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{}/saml/sso\"",
            app.base
        ),
        format!(
            "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}/saml/sso\"",
            app.base
        ),
        format!(
            "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{}/saml/slo\"",
            app.base
        ),
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>".into(),
        "<md:KeyDescriptor use=\"signing\">".into(),
        "Name=\"urn:oneid:attribute:registrationNumber\"".into(),
    ] {
        assert!(xml.contains(&s), "metadata must have {s}: {xml}");
    }
    xmlsec_verify(
        &app,
        &xml,
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
    );
    // The same document again (rendered once per key change).
    let again = reqwest::get(format!("{}/saml/metadata", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(again, xml);
}

#[tokio::test]
async fn pysaml2_signs_in_by_redirect_and_post_with_signed_requests_then_logs_out() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let sp = PySp::start(&app, &["--sign-requests"]).await;
    let reg = sp
        .register(&app, |n| n.name = Some("Clinical Viewer (SAML)".into()))
        .await;
    assert!(
        reg.want_signed_requests,
        "AuthnRequestsSigned is read from the metadata"
    );
    assert_eq!(reg.name, "Clinical Viewer (SAML)");
    let b = Browser::new();

    // HTTP-Redirect, signed query: the login page, then a signed assertion pysaml2 accepts.
    let f = sign_in(&b, &app, &sp, "binding=redirect&relay=%2Fward%3F7").await;
    assert!(f.login_page);
    let v = facts(&f, &sp);
    xmlsec_response(&app, &f.post.xml, false);
    assert_eq!(v["name_id_format"], PERSISTENT);
    assert_eq!(v["issuer"], format!("{}/saml/metadata", app.base));
    assert_eq!(v["authn_context"], "urn:oneid:loa:1");
    assert_eq!(v["relay_state"], "/ward?7");
    assert_eq!(v["encrypted"], false);
    let attrs = &v["attributes"];
    assert_eq!(attrs["uid"][0], LOGIN_ID);
    assert_eq!(attrs["givenName"][0], "Randy");
    assert_eq!(attrs["sn"][0], "Burt");
    assert_eq!(attrs["mail"][0], "randy.burt@example.org");
    assert_eq!(attrs["urn:oneid:attribute:levelOfAssurance"][0], "1");
    let name_id = v["name_id"].as_str().unwrap().to_owned();
    assert_ne!(
        name_id, sub,
        "the persistent NameID is pairwise, not the account id"
    );
    assert!(!name_id.contains("Randy"));
    // SubjectConfirmation and conditions as the profile wants them.
    let x = &f.post.xml;
    assert!(x.contains(&format!("Recipient=\"{}/acs\"", sp.base)), "{x}");
    assert!(x.contains(&format!(
        "<saml:Audience>{}</saml:Audience>",
        sp.entity_id()
    )));
    assert!(x.contains("Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\""));
    assert!(x.contains(&format!(
        "InResponseTo=\"{}\"",
        v["in_response_to"].as_str().unwrap()
    )));

    // HTTP-POST, enveloped signature: single sign-on, the same person and session.
    let g = sign_in(&b, &app, &sp, "binding=post").await;
    assert!(!g.login_page, "SSO: no login page the second time");
    let w = facts(&g, &sp);
    xmlsec_response(&app, &g.post.xml, false);
    assert_eq!(w["name_id"], name_id.as_str(), "persistent NameIDs stay");
    assert_eq!(w["session_index"], v["session_index"]);
    assert_eq!(app.audit("saml.assertion_issued").await.len(), 2);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("oneid_saml_assertions_total{start=\"sp_initiated\"} 2"),
        "{metrics}"
    );
    // The POST page runs only our script and may post only to the SP.
    let page = b.get(&format!("{}/login?binding=redirect", sp.base)).await;
    let page = b.get(page.location().unwrap()).await;
    let csp = &page.headers["content-security-policy"];
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains(&format!("form-action {}", sp.base)), "{csp}");
    assert!(page
        .body
        .contains("<script src=\"/static/saml-post.js\"></script>"));
    assert!(
        page.body.contains("id=\"continue\""),
        "a button without JavaScript"
    );
    let js = b.get(&format!("{}/static/saml-post.js", app.base)).await;
    assert_eq!(js.headers["content-type"], "text/javascript; charset=utf-8");

    // SP-initiated logout (signed Redirect-binding LogoutRequest): Success back to the SP.
    let out = b.get(&format!("{}/logout", sp.base)).await;
    assert_eq!(out.status, 303, "{}", sp.log());
    let at_idp = b.get(out.location().unwrap()).await;
    assert_eq!(at_idp.status, 303, "{}", at_idp.body);
    assert!(at_idp
        .location()
        .unwrap()
        .starts_with(&format!("{}/slo?SAMLResponse=", sp.base)));
    assert!(at_idp.location().unwrap().contains("&Signature="));
    assert!(at_idp.headers["set-cookie"].contains("Max-Age=0"));
    let done = b.get(at_idp.location().unwrap()).await;
    assert_eq!(done.status, 200, "{}\n{}", done.body, sp.log());
    assert!(done
        .body
        .contains("urn:oasis:names:tc:SAML:2.0:status:Success"));
    let logout = app.audit("logout").await;
    assert_eq!(logout[0].detail.as_deref(), Some("saml"));
    assert_eq!(
        logout[0].client_id.as_deref(),
        Some(sp.entity_id().as_str())
    );

    // The IdP session is over: the next sign-in asks for the password.
    let h = sign_in(&b, &app, &sp, "binding=redirect").await;
    assert!(h.login_page);
    facts(&h, &sp);
}

#[tokio::test]
async fn encrypted_assertions_in_signed_responses_pass_pysaml2_and_xmlsec1() {
    let app = spawn_app().await;
    // A physician registered in person (AL2) with two designations, enrolled by a sponsor.
    let physician = app
        .provider
        .accounts
        .create(credential_store::NewAccount {
            login_id: Some(LOGIN_ID.into()),
            given_name: "Randy".into(),
            family_name: "Burt".into(),
            email: Some("randy.burt@example.org".into()),
            locale: "en".into(),
            password: PASSWORD.into(),
            agreement_version: Some(app.provider.signup.agreement_version.clone()),
            assurance_level: 2,
            designations: vec![
                credential_store::Designation {
                    college: "CPSO".into(),
                    registration_number: "12345".into(),
                },
                credential_store::Designation {
                    college: "CNO".into(),
                    registration_number: "RN-778".into(),
                },
            ],
            ..credential_store::NewAccount::default()
        })
        .await
        .unwrap();
    app.enrol_in_test_service(&physician.id).await;
    let sp = PySp::start(&app, &["--want-response-signed"]).await;
    sp.register(&app, |n| {
        n.encrypt_assertions = true;
        n.sign_response = true;
    })
    .await;
    let b = Browser::new();
    let f = sign_in(&b, &app, &sp, "binding=redirect").await;
    let v = facts(&f, &sp);
    assert_eq!(v["encrypted"], true);
    assert_eq!(v["response_signed"], true);
    let attrs = &v["attributes"];
    assert_eq!(attrs["uid"][0], LOGIN_ID);
    assert_eq!(v["authn_context"], "urn:oneid:loa:2");
    assert_eq!(attrs["urn:oneid:attribute:levelOfAssurance"][0], "2");
    let colleges = attrs["urn:oneid:attribute:college"].as_array().unwrap();
    let numbers = attrs["urn:oneid:attribute:registrationNumber"]
        .as_array()
        .unwrap();
    let pairs: Vec<(String, String)> = colleges
        .iter()
        .zip(numbers)
        .map(|(c, n)| (c.as_str().unwrap().into(), n.as_str().unwrap().into()))
        .collect();
    assert_eq!(pairs.len(), 2);
    assert!(
        pairs.contains(&("CPSO".into(), "12345".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("CNO".into(), "RN-778".into())),
        "{pairs:?}"
    );
    let x = &f.post.xml;
    assert!(!x.contains(LOGIN_ID), "nothing about the person in clear");
    assert!(x.contains("http://www.w3.org/2009/xmlenc11#aes256-gcm"));
    assert!(x.contains("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"));
    // The Response's own signature, then the assertion inside, decrypted by xmlsec1.
    xmlsec_verify(&app, x, RESPONSE);
    let opened = xmlsec_decrypt(x, &sp.encryption_key());
    let a = element(&opened, "saml:Assertion").expect("the decrypted assertion");
    assert!(a.contains(LOGIN_ID));
    xmlsec_verify(&app, &a, ASSERTION);
}

#[tokio::test]
async fn transient_and_email_name_ids_and_idp_initiated_sso() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(
        &app,
        &[
            "--nameid-format",
            "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        ],
    )
    .await;
    let reg = sp
        .register(&app, |n| {
            n.allow_idp_initiated = true;
            n.attributes = Some(vec!["uid".into(), "college".into()]);
        })
        .await;
    assert_eq!(
        reg.nameid_format,
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    );
    let b = Browser::new();
    let f = sign_in(&b, &app, &sp, "binding=redirect").await;
    let v = facts(&f, &sp);
    let first = v["name_id"].as_str().unwrap().to_owned();
    assert_eq!(
        v["name_id_format"],
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    );
    // Only the attributes released.
    let attrs = v["attributes"].as_object().unwrap();
    assert_eq!(
        attrs.len(),
        1,
        "uid only: the clinician has no designation: {attrs:?}"
    );

    // IdP-initiated: no InResponseTo, to the default ACS, accepted as unsolicited.
    let page = b
        .get(&format!(
            "{}/saml/idp-initiated?sp={}&RelayState=home",
            app.base,
            url::form_urlencoded::byte_serialize(sp.entity_id().as_bytes()).collect::<String>()
        ))
        .await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(!post.xml.contains("InResponseTo"));
    assert_eq!(post.action, format!("{}/acs", sp.base));
    xmlsec_response(&app, &post.xml, false);
    let acs = b.post_form(&post.action, &post.form()).await;
    assert_eq!(acs.status, 200, "{:?} {}", sp_error(&acs), sp.log());
    let w = sp_facts(&acs);
    assert_ne!(
        w["name_id"],
        first.as_str(),
        "a transient NameID is new each time"
    );
    assert_eq!(w["relay_state"], "home");

    // The email address as NameID, when the SP asks for that format.
    let email = PySp::start(
        &app,
        &[
            "--nameid-format",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        ],
    )
    .await;
    email.register(&app, |_| {}).await;
    let e = sign_in(&b, &app, &email, "").await;
    assert!(!e.login_page);
    let v = facts(&e, &email);
    assert_eq!(v["name_id"], "randy.burt@example.org");
    assert_eq!(
        v["name_id_format"],
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );

    // An SP not registered for it is refused.
    let other = PySp::start(&app, &[]).await;
    other.register(&app, |_| {}).await;
    let r = b
        .get(&format!(
            "{}/saml/idp-initiated?sp={}",
            app.base,
            url::form_urlencoded::byte_serialize(other.entity_id().as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(r.status, 403);
    assert!(SamlPost::from(&r).is_none());
}

#[tokio::test]
async fn is_passive_force_authn_and_requested_authn_context() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let sp = PySp::start(&app, &[]).await;
    sp.register(&app, |_| {}).await;
    let b = Browser::new();

    // IsPassive without a session: NoPassive, told to the SP, no login page.
    let start = b.get(&format!("{}/login?passive=1", sp.base)).await;
    let page = b.get(start.location().unwrap()).await;
    assert!(!page.is_login_page());
    let post = SamlPost::from(&page).unwrap();
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:NoPassive"));
    xmlsec_verify(&app, &post.xml, RESPONSE);
    let acs = b.post_form(&post.action, &post.form()).await;
    assert_eq!(acs.status, 400);
    assert!(
        sp_error(&acs).unwrap().contains("NoPassive"),
        "{:?}",
        sp_error(&acs)
    );

    // Signed in; IsPassive now answers at once.
    let f = sign_in(&b, &app, &sp, "").await;
    let first = facts(&f, &sp);
    let g = sign_in(&b, &app, &sp, "passive=1").await;
    assert!(!g.login_page);
    facts(&g, &sp);

    // ForceAuthn: the login page although the session is live, and a new session.
    app.clock.advance(5);
    let h = sign_in(&b, &app, &sp, "force=1").await;
    assert!(h.login_page, "ForceAuthn must show the login page");
    let forced = facts(&h, &sp);
    assert_ne!(forced["session_index"], first["session_index"]);

    // A context on the ladder that the session meets: named back as asked (exact).
    let ppt = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
    let i = sign_in(&b, &app, &sp, &format!("ctx={ppt}")).await;
    assert!(!i.login_page);
    assert_eq!(facts(&i, &sp)["authn_context"], ppt);

    // A level the account cannot reach: NoAuthnContext, told to the SP.
    let start = b
        .get(&format!(
            "{}/login?ctx=urn:oneid:loa:3&comparison=minimum",
            sp.base
        ))
        .await;
    let page = b.get(start.location().unwrap()).await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"));
    let acs = b.post_form(&post.action, &post.form()).await;
    assert!(
        sp_error(&acs).unwrap().contains("NoAuthnContext"),
        "{:?}",
        sp_error(&acs)
    );

    // Multi-factor asked for, and the account has no second factor: NoAuthnContext.
    let mfa = "ctx=https://refeds.org/profile/mfa";
    let start = b.get(&format!("{}/login?{mfa}", sp.base)).await;
    let r = b.get(start.location().unwrap()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"));

    // With TOTP set up, the live session is stepped up first (no new login), then answered.
    let secret = step_up::totp::new_secret();
    app.provider.accounts.set_totp(&sub, &secret).await.unwrap();
    let start = b.get(&format!("{}/login?{mfa}", sp.base)).await;
    let page = b.get(start.location().unwrap()).await;
    assert!(
        SamlPost::from(&page).is_none(),
        "no assertion before the step-up"
    );
    assert!(!page.is_login_page(), "a step-up, not a new login");
    let step = |page: &Resp, action: &str, extra: &[(&str, &str)]| {
        let mut form = vec![
            (
                "csrf".to_owned(),
                page.hidden("csrf").expect("a step-up page"),
            ),
            ("t".to_owned(), page.hidden("t").expect("a step-up page")),
            ("action".to_owned(), action.to_owned()),
        ];
        form.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let (b, url) = (b.clone(), format!("{}/stepup", app.base));
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.post_form(&url, &f).await
        }
    };
    let page = step(&page, "choose", &[("method", "otp")]).await;
    let code = step_up::totp::code_at(&secret, platform::Clock::now(app.clock.as_ref()));
    let done = step(&page, "verify", &[("code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let next = done.location().unwrap();
    assert!(next.starts_with("/saml/continue?"), "{next}");
    let page = b.get(&format!("{}{next}", app.base)).await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    let acs = b.post_form(&post.action, &post.form()).await;
    assert_eq!(acs.status, 200, "{:?}", sp_error(&acs));
    assert_eq!(
        sp_facts(&acs)["authn_context"],
        "https://refeds.org/profile/mfa"
    );
    assert!(post.xml.contains("SessionIndex"));
}

#[tokio::test]
async fn the_gate_keeps_saml_sps_to_the_people_enrolled_in_their_service() {
    let app = spawn_app().await;
    let sub = app.add_clinician().await;
    let dir = &app.provider.registration.directory;
    for (id, name) in [
        ("co", "ConnectingOntario ClinicalViewer"),
        ("otn", "OTN Hub"),
    ] {
        dir.put_service(&registration::Service {
            id: id.into(),
            name: name.into(),
            url: None,
            min_assurance_level: 1,
        })
        .await
        .unwrap();
    }
    dir.put_organization("uhn", "University Health Network")
        .await
        .unwrap();
    dir.sponsor(&sub, "uhn", Some("E-1"), "test").await.unwrap();
    dir.enrol(&sub, "co", "uhn", "test").await.unwrap();
    let co = PySp::start(&app, &[]).await;
    co.register(&app, |n| n.service_id = Some("co".into()))
        .await;
    let otn = PySp::start(&app, &[]).await;
    otn.register(&app, |n| n.service_id = Some("otn".into()))
        .await;
    let b = Browser::new();

    let f = sign_in(&b, &app, &co, "").await;
    facts(&f, &co);

    // Not enrolled in OTN Hub: a page saying so, and a way back carrying RequestDenied.
    let start = b.get(&format!("{}/login", otn.base)).await;
    let page = b.get(start.location().unwrap()).await;
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("OTN Hub") && page.body.contains("not enrolled"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("data-auto"),
        "the person decides to go back"
    );
    let post = SamlPost::from(&page).unwrap();
    assert!(post
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:RequestDenied"));
    assert!(!post.xml.contains("Assertion"));
    let acs = b.post_form(&post.action, &post.form()).await;
    assert!(
        sp_error(&acs).unwrap().contains("RequestDenied"),
        "{:?}",
        sp_error(&acs)
    );
    let refused = app.audit("authorization.refused").await;
    assert_eq!(
        refused[0].client_id.as_deref(),
        Some(otn.entity_id().as_str())
    );
    assert_eq!(refused[0].detail.as_deref(), Some("not_enrolled"));

    // An SP left in no service (a row from before services existed) admits no one, not even
    // a clinician enrolled elsewhere.
    sqlx::query("UPDATE saml_sps SET service_id = NULL WHERE entity_id = $1")
        .bind(co.entity_id())
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    app.clock.advance(60); // past the SP cache
    let start = b.get(&format!("{}/login", co.base)).await;
    let page = b.get(start.location().unwrap()).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains("not set up for access through ONE ID"),
        "{}",
        page.body
    );
    let refused = app.audit("authorization.refused").await;
    assert_eq!(refused[0].detail.as_deref(), Some("no_service"));
}

#[tokio::test]
async fn one_session_for_oidc_and_saml_both_ways_and_logout_reaches_both() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(&app, &[]).await;
    sp.register(&app, |_| {}).await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;

    // OIDC first, then SAML without a login page.
    let b = Browser::new();
    let tokens = rp.login(&b, LOGIN_ID, PASSWORD).await;
    let f = sign_in(&b, &app, &sp, "").await;
    assert!(!f.login_page, "the OIDC session serves the SAML SP");
    let v = facts(&f, &sp);
    assert_eq!(v["session_index"], tokens.sid().as_str(), "one session");

    // OIDC logout ends it everywhere: the SAML SP gets a signed LogoutRequest in a frame.
    let out = b
        .get(&format!(
            "{}/logout?id_token_hint={}",
            app.base, tokens.id_token
        ))
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    let frame_start = out.body.find("<iframe").expect("a logout frame");
    let src_start = out.body[frame_start..].find("src=\"").unwrap() + frame_start + 5;
    let src_end = out.body[src_start..].find('"').unwrap() + src_start;
    let src = oneid_tests::saml::unescape(&out.body[src_start..src_end]);
    assert!(
        src.starts_with(&format!("{}/slo?SAMLRequest=", sp.base)),
        "{src}"
    );
    assert!(src.contains("&Signature="));
    let csp = &out.headers["content-security-policy"];
    assert!(csp.contains(&sp.base), "{csp}");
    // The frame loads: pysaml2 checks the request, ends its session, answers the IdP.
    let answer = b.get(&src).await;
    assert_eq!(answer.status, 303, "{}\n{}", answer.body, sp.log());
    let back = answer.location().unwrap();
    assert!(
        back.starts_with(&format!("{}/saml/slo?SAMLResponse=", app.base)),
        "{back}"
    );
    let noted = b.get(back).await;
    assert_eq!(noted.status, 200, "{}", noted.body);
    let r = app.audit("saml.logout_response").await;
    assert_eq!(r[0].detail.as_deref(), Some("success"));
    let home = b.get(&format!("{}/", sp.base)).await;
    assert!(home.body.contains("signed-out"), "{}", home.body);

    // SAML first (a new browser), then OIDC without a login page; SAML logout ends the OIDC
    // relying party's session too (its refresh token stops working).
    let b2 = Browser::new();
    let g = sign_in(&b2, &app, &sp, "").await;
    assert!(g.login_page);
    facts(&g, &sp);
    let t2 = rp.sso(&b2, &[]).await;
    assert_eq!(
        t2.sid(),
        sp_facts(&g.acs)["session_index"].as_str().unwrap()
    );
    let out = b2.get(&format!("{}/logout", sp.base)).await;
    let at_idp = b2.get(out.location().unwrap()).await;
    assert_eq!(at_idp.status, 303, "{}", at_idp.body);
    let refresh = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("connectingontario", Some("connectingontario-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t2.refresh_token().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 400, "the session's grants are revoked");
}

#[tokio::test]
async fn logout_reaches_a_post_only_sp_through_a_signed_form_in_a_frame() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let sp = PySp::start(&app, &["--slo-binding", "post"]).await;
    sp.register(&app, |_| {}).await;
    let rp = Rp::discover(&app.add_client("otnhub").await).await;
    let b = Browser::new();
    let tokens = rp.login(&b, LOGIN_ID, PASSWORD).await;
    facts(&sign_in(&b, &app, &sp, "").await, &sp);
    let out = b
        .get(&format!(
            "{}/logout?id_token_hint={}",
            app.base, tokens.id_token
        ))
        .await;
    let frame_start = out.body.find("<iframe").expect("a logout frame");
    let src_start = out.body[frame_start..].find("src=\"").unwrap() + frame_start + 5;
    let src_end = out.body[src_start..].find('"').unwrap() + src_start;
    let src = oneid_tests::saml::unescape(&out.body[src_start..src_end]);
    assert!(
        src.starts_with(&format!("{}/saml/slo/frame?t=", app.base)),
        "{src}"
    );
    // Every navigation in the frame is held to this page's frame-src: our page, the SP it
    // posts to, and us again where the SP answers.
    let csp = &out.headers["content-security-policy"];
    let frame_src = csp
        .split("; ")
        .find(|d| d.starts_with("frame-src "))
        .unwrap_or_else(|| panic!("{csp}"));
    let sources: Vec<&str> = frame_src.split(' ').skip(1).collect();
    for s in ["'self'", app.base.as_str(), sp.base.as_str()] {
        assert!(sources.contains(&s), "{s} in {csp}");
    }
    let frame = b.get(&src).await;
    assert_eq!(frame.status, 200);
    let csp = &frame.headers["content-security-policy"];
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(
        csp.contains(&format!("form-action {} 'self'", sp.base)),
        "the SP may answer by redirecting back: {csp}"
    );
    let post = SamlPost::from(&frame).unwrap();
    assert_eq!(post.field, "SAMLRequest");
    xmlsec_verify(
        &app,
        &post.xml,
        "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
    );
    let answer = b.post_form(&post.action, &post.form()).await;
    // pysaml2 answers with a signed LogoutResponse by HTTP-POST (a form page).
    assert_eq!(answer.status, 200, "{}\n{}", answer.body, sp.log());
    let home = b.get(&format!("{}/", sp.base)).await;
    assert!(home.body.contains("signed-out"), "{}", home.body);

    // And an SP-initiated logout answered by HTTP-POST: a signed LogoutResponse.
    let b2 = Browser::new();
    facts(&sign_in(&b2, &app, &sp, "").await, &sp);
    let out = b2.get(&format!("{}/logout", sp.base)).await;
    let page = match out.status {
        303 => b2.get(out.location().unwrap()).await,
        _ => {
            let req = SamlPost::from(&out).expect("the SP's logout form");
            b2.post_form(&req.action, &req.form()).await
        }
    };
    let resp = SamlPost::from(&page).unwrap_or_else(|| panic!("{} {}", page.status, page.body));
    assert_eq!(resp.field, "SAMLResponse");
    assert!(resp
        .xml
        .contains("urn:oasis:names:tc:SAML:2.0:status:Success"));
    xmlsec_verify(
        &app,
        &resp.xml,
        "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
    );
    let done = b2.post_form(&resp.action, &resp.form()).await;
    assert_eq!(done.status, 200, "{}\n{}", done.body, sp.log());
}

#[tokio::test]
async fn a_clinician_moves_between_an_oidc_viewer_and_a_saml_sp_in_a_real_browser() {
    use oneid::viewers::{serve, Viewer};
    use oneid_tests::webdriver::Browser as Chromium;
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    let app = spawn_app().await;
    app.add_clinician().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let vbase = format!("http://{}", listener.local_addr().unwrap());
    app.add_client_with("connectingontario", |n| {
        n.name = "ConnectingOntario ClinicalViewer".into();
        n.redirect_uris = vec![format!("{vbase}/callback")];
        n.post_logout_redirect_uris = vec![format!("{vbase}/")];
        n.backchannel_logout_uri = Some(format!("{vbase}/backchannel-logout"));
    })
    .await;
    let viewer = Viewer {
        client_id: "connectingontario".into(),
        secret: "connectingontario-secret".into(),
        name: "ConnectingOntario ClinicalViewer".into(),
        theme: "co",
        base: vbase.clone(),
        launch: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let viewers = tokio::spawn(serve(app.base.clone(), vec![(viewer, listener)], async {
        let _ = stopped.await;
    }));
    let sp = PySp::start(&app, &["--sign-requests"]).await;
    sp.register(&app, |n| n.name = Some("Ontario Lab Results (SAML)".into()))
        .await;
    let browser = Chromium::start().await;

    // The OIDC viewer first: the ONE ID login page once.
    browser.goto(&format!("{vbase}/")).await;
    browser.wait_for("#signed-out").await;
    browser.click("#login").await;
    browser.wait_for("#login_id").await;
    assert!(browser.source().await.contains("ConnectingOntario"));
    browser.type_into("#login_id", LOGIN_ID).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("#signed-in").await;
    assert!(browser.url().await.starts_with(&vbase));

    // The SAML SP: no login page; the IdP's form posts itself (our script, no inline JS).
    browser.goto(&format!("{}/login", sp.base)).await;
    browser.wait_for("#result").await;
    assert!(
        browser.url().await.starts_with(&sp.base),
        "at the SP: {}\n{}",
        browser.url().await,
        sp.log()
    );
    assert!(browser.text("#result").await.contains(LOGIN_ID));
    browser
        .screenshot(&shots.join("saml-1-sp-by-sso.png"))
        .await;

    // Logging out at the SAML SP ends the session; the OIDC viewer hears through its back
    // channel.
    browser.click("#logout").await;
    browser.wait_for("#slo-done").await;
    assert!(browser.text("#slo-status").await.ends_with(":Success"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.audit("logout.backchannel").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "back-channel logout");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let bc = app.audit("logout.backchannel").await;
    assert_eq!(bc[0].detail.as_deref(), Some("delivered"), "{bc:?}");
    browser.goto(&format!("{vbase}/")).await;
    browser.wait_for("#signed-out").await;

    // The other way round: the SAML SP asks for the password, then the viewer does not.
    browser.goto(&format!("{}/login", sp.base)).await;
    browser.wait_for("#login_id").await;
    assert!(browser
        .source()
        .await
        .contains("Ontario Lab Results (SAML)"));
    browser
        .screenshot(&shots.join("saml-2-login-for-sp.png"))
        .await;
    browser.type_into("#login_id", LOGIN_ID).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("#result").await;
    assert!(browser.url().await.starts_with(&sp.base));
    let saml: serde_json::Value = serde_json::from_str(&browser.text("#result").await).unwrap();
    // The viewer signs in silently (prompt=none) with the session the SAML sign-in made.
    browser.goto(&format!("{vbase}/")).await;
    browser.wait_for("#signed-in").await;
    assert!(
        browser.url().await.starts_with(&vbase),
        "SSO into the viewer"
    );
    assert_eq!(
        browser.text("#sid").await,
        saml["session_index"].as_str().unwrap()
    );
    browser
        .screenshot(&shots.join("saml-3-viewer-by-sso.png"))
        .await;

    browser.quit().await;
    let _ = stop.send(());
    viewers.await.unwrap();
}
