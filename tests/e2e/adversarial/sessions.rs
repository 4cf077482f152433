//! Sessions, anti-forgery, introspection, login IDs and SAML refusals, attacked from outside:
//! - signing in again (`prompt=login`, as someone else or the same person) ends the session
//!   the browser held: its cookie, its `sid` and its refresh tokens stop working;
//! - an anti-forgery cookie planted in a signed-in browser, with the token that goes with it,
//!   does not pass: the token is bound to the session;
//! - a client introspects its own tokens only, unless registered to introspect any;
//! - look-alike login IDs (the Kelvin sign, fullwidth letters) find no account;
//! - every SAML error Response is audited with its reason; a transient NameID is granted to an
//!   SP registered for another format.

use super::saml::{redirect, world, ACS, SP};
use authorization_server::saml::xml::{datetime, new_id};
use oneid_tests::api::{http, Answer};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::{Rp, Started};
use oneid_tests::saml::SamlPost;
use oneid_tests::{spawn_app, RpConfig, TestApp, LOGIN_ID, PASSWORD};
use platform::Clock;
use serde_json::json;

const KIM: &str = "Kim.Kelly@ONEID.ON.CA";
const KIM_PASSWORD: &str = "Ward-Rounds-2026";

/// The session cookie a response sets (`oneid_session=VALUE`).
fn session_cookie(r: &Resp) -> String {
    r.headers
        .get("set-cookie")
        .into_iter()
        .flat_map(|v| v.lines())
        .filter_map(|c| c.split(';').next())
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == "oneid_session" && !v.is_empty())
        .map(|(_, v)| v.to_owned())
        .unwrap_or_else(|| panic!("no session cookie set: {:?}", r.headers))
}

/// A cookie a response sets, by name.
fn cookie_set(r: &Resp, name: &str) -> Option<String> {
    r.headers
        .get("set-cookie")
        .into_iter()
        .flat_map(|v| v.lines())
        .filter_map(|c| c.split(';').next())
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A sign-in with the login page (`prompt=login` when `again`); returns the callback (which
/// sets the session cookie) and the request.
async fn sign_in(
    rp: &Rp,
    b: &Browser,
    base: &str,
    login_id: &str,
    password: &str,
    again: bool,
) -> (Resp, Started) {
    let extra: &[(&str, &str)] = if again { &[("prompt", "login")] } else { &[] };
    let s = rp.start(&["profile"], extra);
    let page = b.get(&s.url).await;
    let cb = b.login(base, &page, login_id, password).await;
    (cb, s)
}

/// `prompt=none` from a browser holding only `cookie`: the redirect's parameters.
async fn silent(rp: &Rp, cookie: &str) -> std::collections::HashMap<String, String> {
    let s = rp.start(&["profile"], &[("prompt", "none")]);
    let r = http()
        .get(&s.url)
        .header("cookie", format!("oneid_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn refresh(app: &TestApp, cfg: &RpConfig, rt: &str) -> Answer {
    Answer::read(
        http()
            .post(format!("{}/token", app.base))
            .basic_auth(&cfg.client_id, cfg.secret.as_deref())
            .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn store_key(cookie: &str) -> String {
    format!("sso:{}", platform::crypto::sha256_b64(cookie.as_bytes()))
}

#[tokio::test]
async fn signing_in_again_ends_the_session_the_browser_held() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let kim = app.add_user(KIM, KIM_PASSWORD).await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;
    let b = Browser::new();

    // Randy signs in; his session works silently.
    let (cb, s) = sign_in(&rp, &b, &app.base, LOGIN_ID, PASSWORD, false).await;
    let randy_cookie = session_cookie(&cb);
    let code = rp.code_from(&s, &cb);
    let randy = rp.finish(s, &code).await;
    let randy_rt = randy.refresh_token().expect("a refresh token");
    assert!(silent(&rp, &randy_cookie).await.contains_key("code"));

    // Kim signs in on the same browser (prompt=login): Randy's session is over.
    let (cb, s) = sign_in(&rp, &b, &app.base, KIM, KIM_PASSWORD, true).await;
    let kim_cookie = session_cookie(&cb);
    let code = rp.code_from(&s, &cb);
    assert_eq!(rp.finish(s, &code).await.raw["sub"], kim.as_str());
    let q = silent(&rp, &randy_cookie).await;
    assert_eq!(
        q.get("error").map(String::as_str),
        Some("login_required"),
        "the old cookie no longer signs in: {q:?}"
    );
    assert!(app
        .provider
        .store
        .get(&store_key(&randy_cookie))
        .await
        .unwrap()
        .is_none());
    // Its sid can no longer be used: the session's refresh token is revoked.
    let r = refresh(&app, &cfg, &randy_rt).await;
    assert_eq!(r.error(), "invalid_grant", "{}", r.json);
    let ended = app.audit("logout").await;
    assert_eq!(ended[0].session_id.as_deref(), Some(randy.sid().as_str()));
    assert_eq!(ended[0].detail.as_deref(), Some("replaced"));

    // The same person signing in again replaces her session too.
    assert!(silent(&rp, &kim_cookie).await.contains_key("code"));
    let (cb, _) = sign_in(&rp, &b, &app.base, KIM, KIM_PASSWORD, true).await;
    let newest = session_cookie(&cb);
    assert_ne!(newest, kim_cookie);
    assert_eq!(
        silent(&rp, &kim_cookie)
            .await
            .get("error")
            .map(String::as_str),
        Some("login_required")
    );
    assert!(silent(&rp, &newest).await.contains_key("code"));
}

#[tokio::test]
async fn a_planted_anti_forgery_cookie_does_not_pass_in_a_signed_in_browser() {
    let app = spawn_app().await;
    app.add_clinician().await;
    app.add_user(KIM, KIM_PASSWORD).await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;

    // The victim is signed in.
    let victim = Browser::new();
    let (cb, s) = sign_in(&rp, &victim, &app.base, LOGIN_ID, PASSWORD, false).await;
    let victim_session = session_cookie(&cb);
    rp.code_from(&s, &cb);

    // The attacker mints an anti-forgery cookie and its token in their own browser (the login
    // page), then signs in as themselves for a logout request id and a session-bound token.
    let attacker = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = attacker.get(&s.url).await;
    let planted = cookie_set(&page, "oneid_csrf").expect("a pre-login cookie");
    let planted_token = page.hidden("csrf").unwrap();
    attacker.login(&app.base, &page, KIM, KIM_PASSWORD).await;
    let confirm = attacker
        .get(&format!("{}/logout?client_id=viewer", app.base))
        .await;
    let request = confirm.hidden("request").expect("a logout confirmation");
    let own_token = confirm.hidden("csrf").unwrap();

    // Planted in the victim's browser beside the victim's session cookie, with a token that
    // matches it (or the attacker's session's token): refused, the victim stays signed in.
    for token in [&planted_token, &own_token, &planted] {
        let r = http()
            .post(format!("{}/logout/confirm", app.base))
            .header(
                "cookie",
                format!("oneid_session={victim_session}; oneid_csrf={planted}"),
            )
            .form(&[("request", request.as_str()), ("csrf", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "forged with {token}");
        assert!(r.text().await.unwrap().contains("could not be verified"));
        assert!(silent(&rp, &victim_session).await.contains_key("code"));
    }

    // The victim's own form works.
    let page = victim
        .get(&format!("{}/logout?client_id=viewer", app.base))
        .await;
    let r = victim
        .post_form(
            &format!("{}/logout/confirm", app.base),
            &[
                ("request", &page.hidden("request").unwrap()),
                ("csrf", &page.hidden("csrf").unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        silent(&rp, &victim_session)
            .await
            .get("error")
            .map(String::as_str),
        Some("login_required")
    );
}

async fn introspect(app: &TestApp, cfg: &RpConfig, token: &str) -> serde_json::Value {
    Answer::read(
        http()
            .post(format!("{}/introspect", app.base))
            .basic_auth(&cfg.client_id, cfg.secret.as_deref())
            .form(&[("token", token)])
            .send()
            .await
            .unwrap(),
    )
    .await
    .json
}

async fn cc_token(app: &TestApp, cfg: &RpConfig) -> String {
    Answer::read(
        http()
            .post(format!("{}/token", app.base))
            .basic_auth(&cfg.client_id, cfg.secret.as_deref())
            .form(&[("grant_type", "client_credentials"), ("scope", "api:read")])
            .send()
            .await
            .unwrap(),
    )
    .await
    .str("access_token")
}

#[tokio::test]
async fn a_client_introspects_its_own_tokens_only_unless_granted_any() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let feed = |id: &'static str| {
        app.add_client_with(id, |n| {
            n.service_id = None;
            n.redirect_uris.clear();
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec!["api:read".into()];
        })
    };
    let lab = feed("lab-feed").await;
    let nosy = feed("nosy-feed").await;
    let rs = app
        .add_client_with("resource-server", |n| {
            n.service_id = None;
            n.redirect_uris.clear();
            n.grant_types = vec!["client_credentials".into()];
            n.scopes = vec!["oneid:introspect".into()];
        })
        .await;
    let viewer = app.add_client("viewer").await;
    let rp = Rp::discover(&viewer).await;
    let t = rp.login(&Browser::new(), LOGIN_ID, PASSWORD).await;
    let (at, rt) = (t.access_token(), t.refresh_token().unwrap());
    let lab_at = cc_token(&app, &lab).await;

    let inactive = json!({ "active": false });
    for token in [&lab_at, &at, &rt] {
        assert_eq!(introspect(&app, &nosy, token).await, inactive, "{token}");
        assert_eq!(introspect(&app, &rs, token).await["active"], true);
    }
    assert_eq!(introspect(&app, &lab, &lab_at).await["active"], true);
    assert_eq!(introspect(&app, &lab, &at).await, inactive);
    assert_eq!(introspect(&app, &viewer, &at).await["active"], true);
    assert_eq!(introspect(&app, &viewer, &rt).await["active"], true);
    assert_eq!(introspect(&app, &viewer, &lab_at).await, inactive);

    // The command line grants it too.
    let (code, out) = app
        .storage
        .cli(
            &[
                "clients",
                "add",
                "--client-id",
                "audit-rs",
                "--name",
                "Audit RS",
                "--secret",
                "audit-rs-secret",
                "--grant-type",
                "client_credentials",
                "--introspect-any",
            ],
            "",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    let audit_rs = RpConfig {
        client_id: "audit-rs".into(),
        secret: Some("audit-rs-secret".into()),
        ..viewer.clone()
    };
    assert_eq!(introspect(&app, &audit_rs, &lab_at).await["active"], true);
}

/// Signs in with `login_id`; the page and the audit row's detail.
async fn try_login(app: &TestApp, rp: &Rp, login_id: &str, password: &str) -> (Resp, String) {
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    let r = b.login(&app.base, &page, login_id, password).await;
    let detail = app
        .audit("login.failure")
        .await
        .first()
        .and_then(|a| a.detail.clone())
        .unwrap_or_default();
    (r, detail)
}

#[tokio::test]
async fn look_alike_login_ids_find_no_account() {
    let app = spawn_app().await;
    let kim = app.add_user(KIM, KIM_PASSWORD).await;
    let cfg = app.add_client("viewer").await;
    let rp = Rp::discover(&cfg).await;

    let (unknown, why) = try_login(&app, &rp, "Nobody.Here@ONEID.ON.CA", KIM_PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(why, "unknown_login_id");
    let look_alikes = [
        "\u{212a}im.\u{212a}elly@ONEID.ON.CA",        // Kelvin sign
        "\u{ff2b}\u{ff49}\u{ff4d}.Kelly@ONEID.ON.CA", // fullwidth letters
        "Kim.Kelly\u{ff20}\u{ff2f}\u{ff2e}EID.ON.CA", // fullwidth @ and letters
        "Kim.K\u{0435}lly@ONEID.ON.CA",               // Cyrillic e
    ];
    // With the right password, each fails as an unknown login ID does.
    for typed in look_alikes {
        let (r, why) = try_login(&app, &rp, typed, KIM_PASSWORD).await;
        assert_eq!(r.status, unknown.status, "{typed}");
        assert!(
            r.body.contains("name=\"password\""),
            "the login page again: {typed}"
        );
        assert_eq!(why, "unknown_login_id", "{typed}");
        assert!(app
            .provider
            .accounts
            .find_by_login_id(typed)
            .await
            .unwrap()
            .is_none());
        let found = app.provider.accounts.search(typed).await.unwrap();
        assert!(found.iter().all(|a| a.id != kim), "{typed}");
    }
    // Wrong guesses through look-alikes count against no account: more of them than the
    // lockout allows, and the account still signs in.
    for i in 0..12 {
        let typed = look_alikes[i % look_alikes.len()];
        try_login(&app, &rp, typed, "Wrong-Guess-2026").await;
    }
    assert!(app
        .audit("login.failure")
        .await
        .iter()
        .all(|a| a.subject.as_deref() != Some(kim.as_str())));
    let t = rp.login(&Browser::new(), KIM, KIM_PASSWORD).await;
    assert_eq!(t.raw["sub"], kim.as_str());
    // The login ID as given out, in any letter case, is the account.
    let t = rp
        .login(&Browser::new(), "kim.kelly@oneid.on.ca", KIM_PASSWORD)
        .await;
    assert_eq!(t.raw["sub"], kim.as_str());
    // An administrator cannot give out a look-alike login ID either.
    let made = app
        .provider
        .accounts
        .create(credential_store::NewAccount {
            login_id: Some("\u{212a}im.Other@ONEID.ON.CA".into()),
            given_name: "Kim".into(),
            family_name: "Other".into(),
            birth_date: Some("1980-01-01".into()),
            email: Some("kim.other@example.org".into()),
            locale: "en".into(),
            password: "Another-Long-Pass-2026".into(),
            ..credential_store::NewAccount::default()
        })
        .await;
    assert!(made.is_err());
}

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// An unsigned AuthnRequest from the test SP asking for NameID `format` (and IsPassive).
fn authn_asking(app: &TestApp, format: &str, passive: bool) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" AssertionConsumerServiceURL="{ACS}" Destination="{}/saml/sso" ID="{}" IssueInstant="{}" IsPassive="{passive}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{SP}</saml:Issuer><samlp:NameIDPolicy AllowCreate="true" Format="{format}"></samlp:NameIDPolicy></samlp:AuthnRequest>"#,
        app.base,
        new_id(),
        datetime(app.clock.now())
    )
}

#[tokio::test]
async fn saml_error_responses_are_audited_with_their_reason() {
    let (app, _) = world(false).await;
    let b = Browser::new();
    assert!(app.audit("saml.refused").await.is_empty());

    // Registered persistent (its metadata names no format), asked for the email address.
    let r = redirect(&app, &b, &authn_asking(&app, EMAIL, false), None).await;
    let post = SamlPost::from(&r).unwrap_or_else(|| panic!("{}", r.body));
    assert!(post.xml.contains("status:InvalidNameIDPolicy"));
    let a = app.audit("saml.refused").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].client_id.as_deref(), Some(SP));
    assert_eq!(
        a[0].detail.as_deref(),
        Some("status=Requester/InvalidNameIDPolicy reason=nameid_format_not_registered")
    );

    // IsPassive with no session: NoPassive, audited too.
    let r = redirect(&app, &b, &authn_asking(&app, PERSISTENT, true), None).await;
    assert!(SamlPost::from(&r).unwrap().xml.contains("status:NoPassive"));
    let a = app.audit("saml.refused").await;
    assert_eq!(
        a[0].detail.as_deref(),
        Some("status=Responder/NoPassive reason=passive_not_signed_in")
    );
}

#[tokio::test]
async fn a_transient_name_id_is_granted_to_an_sp_registered_for_persistent() {
    // The stock mod_auth_mellon: metadata naming no NameID format (so registered
    // persistent), requests asking for a transient one.
    let (app, _) = world(false).await;
    let b = Browser::new();
    let page = redirect(&app, &b, &authn_asking(&app, TRANSIENT, false), None).await;
    assert!(page.is_login_page(), "{}", page.body);
    let cb = b.login(&app.base, &page, LOGIN_ID, PASSWORD).await;
    let page = b
        .get(&format!("{}{}", app.base, cb.location().unwrap()))
        .await;
    let post = SamlPost::from(&page).unwrap_or_else(|| panic!("{}", page.body));
    assert!(post.xml.contains("status:Success"), "{}", post.xml);
    assert!(
        post.xml
            .contains(&format!("<saml:NameID Format=\"{TRANSIENT}\"")),
        "{}",
        post.xml
    );
    // Signed in now: a second request gets a new transient NameID at once, and one asking
    // for nothing gets the registered persistent one.
    let name = |xml: &str| {
        let start = xml.find("<saml:NameID").unwrap();
        let start = xml[start..].find('>').unwrap() + start + 1;
        let end = xml[start..].find('<').unwrap() + start;
        xml[start..end].to_owned()
    };
    let first = name(&post.xml);
    let r = redirect(&app, &b, &authn_asking(&app, TRANSIENT, false), None).await;
    let again = SamlPost::from(&r).unwrap();
    assert_ne!(name(&again.xml), first);
    let r = redirect(
        &app,
        &b,
        &authn_asking(
            &app,
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            false,
        ),
        None,
    )
    .await;
    let persistent = SamlPost::from(&r).unwrap();
    assert!(persistent
        .xml
        .contains(&format!("<saml:NameID Format=\"{PERSISTENT}\"")));
    assert!(app.audit("saml.refused").await.is_empty());
}
