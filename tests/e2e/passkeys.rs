//! Passkeys in real Chromium, with WebDriver's virtual authenticator (the W3C WebAuthn
//! extension), on the backend the environment selects: enrol on My Profile, step up, sign in
//! without a password, remove; a cloned authenticator refused; another origin's passkey
//! useless; the desk removing a lost one; in English and in French.

use oneid_tests::rp::{Rp, Started};
use oneid_tests::webdriver::Browser as Chrome;
use oneid_tests::{spawn_localhost_with, TestApp, LOGIN_ID, PASSWORD};
use platform::Clock;

/// A node served under `localhost` (a WebAuthn relying party) with `adjust` applied.
async fn app() -> TestApp {
    spawn_localhost_with(|_| {}).await
}

/// Signs in with the password on the login page now open.
async fn password_sign_in(chrome: &Chrome) {
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("form#login button[type=submit]").await;
}

/// Opens My Profile's passkeys (signing in with the password) and adds one named `name`.
async fn enrol(app: &TestApp, chrome: &Chrome, name: &str, lang: &str) {
    chrome
        .goto(&format!("{}/account/passkeys?ui_locales={lang}", app.base))
        .await;
    password_sign_in(chrome).await;
    chrome.wait_for("form#add").await;
    chrome.type_into("form#add #name", name).await;
    chrome.click("form#add button[type=submit]").await;
}

#[tokio::test]
async fn a_clinician_adds_a_passkey_on_my_profile_and_removes_it() {
    // A real SMTP server on loopback: the holder is told of the new passkey.
    let sink = oneid_tests::smtp::SmtpSink::start().await;
    let url = sink.url.clone();
    let app = spawn_localhost_with(|c| {
        c.mail.smtp_url = url;
        c.mail.from = "no-reply@oneid.test".into();
    })
    .await;
    let id = app.add_clinician().await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Work laptop", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    // Stored for this account, with the authenticator's own credential, and audited.
    let stored = app.provider.accounts.passkeys(&id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Work laptop");
    let held = chrome.virtual_credentials(&authenticator).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        held[0]["credentialId"].as_str(),
        Some(stored[0].credential_id.as_str())
    );
    // Discoverable, so it can sign in without a login ID.
    assert_eq!(held[0]["isResidentCredential"], true, "{held:?}");
    let added = app.audit("passkey.added").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].subject.as_deref(), Some(id.as_str()));
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0].to, ["randy.burt@example.org"]);
    assert!(
        mail[0]
            .data
            .contains("A passkey was added to your ONE ID account"),
        "{}",
        mail[0].data
    );
    assert!(mail[0].data.contains(LOGIN_ID), "{}", mail[0].data);
    // The list shows it, with a button that removes it.
    let page = chrome.source().await;
    assert!(page.contains("Work laptop"), "{page}");
    chrome
        .click(&format!("form#remove-{} button[type=submit]", stored[0].id))
        .await;
    chrome
        .wait_for_text(".notice", "The passkey is removed")
        .await;
    assert!(app
        .provider
        .accounts
        .passkeys(&id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(app.audit("passkey.removed").await.len(), 1);
    chrome.quit().await;
}

/// Waits (10 s) until the browser is sent to the relying party's callback; its code.
async fn code_at_callback(chrome: &Chrome, rp: &Rp, started: &Started) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = chrome.url().await;
        if url.starts_with(&rp.cfg.redirect_uri) {
            let q: std::collections::HashMap<String, String> = url::Url::parse(&url)
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
            assert_eq!(q.get("state"), Some(&started.state));
            return q
                .get("code")
                .cloned()
                .unwrap_or_else(|| panic!("no code: {url}"));
        }
        if std::time::Instant::now() > deadline {
            panic!("not at the callback: {url}\n{}", chrome.source().await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Opens the login page of `url` with `credential` out of the authenticator while the page
/// loads (so that the login ID field's autofill offer, which the virtual authenticator would
/// accept at once, finds nothing), then puts it back.
async fn open_login_with_the_key_away(
    chrome: &Chrome,
    authenticator: &str,
    url: &str,
    credential: serde_json::Value,
) {
    chrome.clear_virtual_credentials(authenticator).await;
    chrome.goto(url).await;
    chrome.wait_for("form#passkey-signin").await;
    chrome
        .add_virtual_credential(authenticator, credential)
        .await;
}

/// The step-up methods the page offers, in order.
async fn offered_methods(chrome: &Chrome) -> serde_json::Value {
    chrome
        .eval("return Array.from(document.querySelectorAll('input[name=method]')).map(function (e) { return e.value; });")
        .await
}

/// Signs out of the provider in the browser (its cookies gone).
async fn sign_out(app: &TestApp, chrome: &Chrome) {
    chrome.goto(&format!("{}/", app.base)).await;
    chrome.delete_cookies().await;
}

#[tokio::test]
async fn a_clinician_signs_in_with_a_passkey_alone_and_the_relying_party_sees_two_factors() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Phone", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    let held = chrome.virtual_credentials(&authenticator).await;
    sign_out(&app, &chrome).await;
    // The button: the authenticator is empty while the page loads (so the autofill offer,
    // which the virtual authenticator would otherwise accept at once, finds nothing), then
    // the passkey is back and "Sign in with a passkey" is pressed. No login ID, no password.
    let started = rp.start(&["openid", "profile"], &[]);
    open_login_with_the_key_away(&chrome, &authenticator, &started.url, held[0].clone()).await;
    assert!(!chrome.url().await.starts_with(&rp.cfg.redirect_uri));
    chrome
        .click("form#passkey-signin button[type=submit]")
        .await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    let amr: Vec<String> = serde_json::from_value(tokens.raw["amr"].clone()).unwrap();
    // A device-bound passkey (the virtual authenticator backs nothing up), verified: two
    // factors, and no password among them.
    assert_eq!(amr, ["hwk", "user", "mfa"], "{}", tokens.raw);
    // A passkey is the phishing-resistant rung.
    assert_eq!(tokens.raw["acr"], "urn:oneid:loa:1:phr", "{}", tokens.raw);
    let used = app.provider.accounts.passkeys(&id).await.unwrap();
    assert!(
        used[0].last_used_at.is_some() && used[0].counter >= 1,
        "{used:?}"
    );
    let audited = app.audit("passkey.used").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].subject.as_deref(), Some(id.as_str()));

    // Autofill: the login ID field offers the passkey (conditional mediation); accepted, the
    // sign-in completes without a button.
    sign_out(&app, &chrome).await;
    let started = rp.start(&["openid", "profile"], &[]);
    chrome.goto(&started.url).await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    assert_eq!(tokens.raw["amr"], serde_json::json!(["hwk", "user", "mfa"]));
    assert_eq!(app.audit("passkey.used").await.len(), 2);
    chrome.quit().await;
}

#[tokio::test]
async fn the_login_page_offers_passkeys_in_the_login_id_field_and_a_button_in_french() {
    let app = app().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let started = rp.start(&["openid"], &[("ui_locales", "fr")]);
    let b = oneid_tests::browser::Browser::new();
    let page = b.get(&started.url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let body = page.body;
    assert!(
        body.contains("autocomplete=\"username webauthn\""),
        "{body}"
    );
    assert!(body.contains("Se connecter avec une clé d’accès"), "{body}");
    assert!(
        body.contains("data-passkey=\"get\" data-autofill"),
        "{body}"
    );
    // A server on an address cannot offer passkeys (no relying party ID): no button.
    let plain = oneid_tests::spawn_app().await;
    let rp = Rp::discover(&plain.add_client("connectingontario").await).await;
    let page = b.get(&rp.start(&["openid"], &[]).url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let body = page.body;
    assert!(body.contains("id=\"login\""), "{body}");
    assert!(
        !body.contains("passkey-signin") && !body.contains("webauthn"),
        "{body}"
    );
}

#[tokio::test]
async fn a_relying_party_that_wants_two_factors_gets_a_passkey_offered_first_after_the_password() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(
        &app.add_client_with("otn-hub", |n| n.require_mfa = true)
            .await,
    )
    .await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Security key", "fr").await;
    chrome
        .wait_for_text(".notice", "La clé d’accès est ajoutée")
        .await;
    // A phone too (added after the passkey, which needed no step-up then): the passkey is
    // offered first all the same.
    app.provider
        .accounts
        .set_challenge_phones(
            &id,
            &[("+14165550199".into(), credential_store::PhoneKind::Mobile)],
            false,
        )
        .await
        .unwrap();
    let held = chrome.virtual_credentials(&authenticator).await;
    sign_out(&app, &chrome).await;
    // The password first (the authenticator empty while the login page loads, so that its
    // autofill offer does not sign in by itself).
    let started = rp.start(&["openid"], &[("ui_locales", "fr")]);
    open_login_with_the_key_away(&chrome, &authenticator, &started.url, held[0].clone()).await;
    password_sign_in(&chrome).await;
    // The step-up page: the passkey first and chosen, in French.
    chrome.wait_for("form#choose").await;
    let first = chrome
        .eval("return document.querySelector('input[name=method]').value;")
        .await;
    assert_eq!(first, "passkey");
    assert_eq!(
        chrome
            .eval("return document.querySelector('input[name=method]:checked').value;")
            .await,
        "passkey"
    );
    assert!(chrome.source().await.contains("Utiliser ma clé d’accès"));
    chrome.click("form#choose button[type=submit]").await;
    chrome.wait_for("form#verify[data-passkey=get]").await;
    chrome.click("form#verify button[type=submit]").await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    assert_eq!(
        tokens.raw["amr"],
        serde_json::json!(["pwd", "hwk", "user", "mfa"]),
        "{}",
        tokens.raw
    );
    assert_eq!(tokens.raw["acr"], "urn:oneid:loa:1:phr", "{}", tokens.raw);
    let ok = app.audit("stepup.success").await;
    assert_eq!(ok.len(), 1);
    assert_eq!(app.audit("passkey.used").await.len(), 1);
    chrome.quit().await;
}

#[tokio::test]
async fn a_step_up_without_an_answer_from_the_browser_asks_again_and_counts_nothing() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(
        &app.add_client_with("otn-hub", |n| n.require_mfa = true)
            .await,
    )
    .await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Laptop", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    sign_out(&app, &chrome).await;
    // The passkey is gone from the browser (another computer): the step-up cannot be met
    // with it, and says so.
    chrome.clear_virtual_credentials(&authenticator).await;
    let started = rp.start(&["openid"], &[]);
    chrome.goto(&started.url).await;
    password_sign_in(&chrome).await;
    chrome.click("form#choose button[type=submit]").await;
    chrome
        .click("form#verify[data-passkey=get] button[type=submit]")
        .await;
    chrome
        .wait_for_text(
            "#error-summary",
            "Your browser did not create or use a passkey",
        )
        .await;
    // Back to the choice, nothing counted against the account.
    assert!(chrome.has("form#choose").await);
    assert!(app.audit("stepup.failure").await.is_empty());
    assert!(app.audit("stepup.success").await.is_empty());
    let _ = id;
    chrome.quit().await;
}

#[tokio::test]
async fn a_relying_party_that_demands_phishing_resistance_gets_a_passkey_and_never_a_text_message()
{
    let app = app().await;
    let id = app.add_clinician().await;
    let mobile = [("+14165550199".into(), credential_store::PhoneKind::Mobile)];
    let strict = app
        .add_client_with("clinicalconnect", |n| n.require_phishing_resistant = true)
        .await;
    let rp = Rp::discover(&strict).await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Laptop", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    // And a phone, which a relying party demanding phishing resistance will not take.
    app.provider
        .accounts
        .set_challenge_phones(&id, &mobile, false)
        .await
        .unwrap();
    let held = chrome.virtual_credentials(&authenticator).await;
    sign_out(&app, &chrome).await;
    let started = rp.start(&["openid"], &[]);
    open_login_with_the_key_away(&chrome, &authenticator, &started.url, held[0].clone()).await;
    password_sign_in(&chrome).await;
    // The password is not enough and the phone is not offered: a passkey or nothing.
    chrome.wait_for("form#choose").await;
    let offered = offered_methods(&chrome).await;
    assert_eq!(offered, serde_json::json!(["passkey"]));
    chrome.click("form#choose button[type=submit]").await;
    chrome
        .click("form#verify[data-passkey=get] button[type=submit]")
        .await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    assert_eq!(tokens.raw["acr"], "urn:oneid:loa:1:phr", "{}", tokens.raw);
    assert_eq!(
        tokens.raw["amr"],
        serde_json::json!(["pwd", "hwk", "user", "mfa"])
    );
    chrome.quit().await;

    // Another clinician, with a phone and no passkey, asked for `:phr` by a relying party:
    // no code is sent; the page says how to add a passkey, and its way back tells the
    // relying party the requirement is unmet.
    let other = app.add_user("Pat.Quinn@ONEID.ON.CA", PASSWORD).await;
    app.provider
        .accounts
        .set_challenge_phones(&other, &mobile, false)
        .await
        .unwrap();
    let rp2 = Rp::discover(&app.add_client("otn-hub").await).await;
    let b = oneid_tests::browser::Browser::new();
    let started = rp2.start(
        &["openid"],
        &[("acr_values", "urn:oneid:loa:1:phr"), ("ui_locales", "fr")],
    );
    let page = b.get(&started.url).await;
    let r = b
        .login(&app.base, &page, "Pat.Quinn@ONEID.ON.CA", PASSWORD)
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Une clé d’accès est requise"), "{}", r.body);
    assert!(
        r.body.contains("/account/passkeys?ui_locales=fr"),
        "{}",
        r.body
    );
    let back = r
        .link("Retour à Viewer otn-hub")
        .unwrap_or_else(|| panic!("{}", r.body));
    let back = oneid_tests::browser::unescape(&back);
    assert!(back.starts_with(&rp2.cfg.redirect_uri), "{back}");
    assert!(
        back.contains("error=unmet_authentication_requirements"),
        "{back}"
    );
    assert!(back.contains(&format!("state={}", started.state)), "{back}");
    assert!(app.audit("stepup.code_sent").await.is_empty());
}

#[tokio::test]
async fn a_cloned_authenticator_whose_counter_went_backwards_is_refused_and_audited() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Phone", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    // A copy of the key as it is now (its counter included).
    let copy = chrome.virtual_credentials(&authenticator).await[0].clone();
    sign_out(&app, &chrome).await;
    // The original is used: its counter moves on (the login ID field's autofill signs in).
    let started = rp.start(&["openid"], &[]);
    chrome.goto(&started.url).await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    rp.finish(started, &code).await;
    let counter = app.provider.accounts.passkeys(&id).await.unwrap()[0].counter;
    assert!(counter >= 1);
    // The copy signs its next assertion with the counter the original already passed.
    sign_out(&app, &chrome).await;
    let started = rp.start(&["openid"], &[]);
    open_login_with_the_key_away(&chrome, &authenticator, &started.url, copy).await;
    chrome
        .click("form#passkey-signin button[type=submit]")
        .await;
    chrome
        .wait_for_text("#error-summary", "it looks like a copy")
        .await;
    assert!(!chrome.url().await.starts_with(&rp.cfg.redirect_uri));
    let cloned = app.audit("passkey.cloned").await;
    assert_eq!(cloned.len(), 1, "{cloned:?}");
    assert_eq!(cloned[0].subject.as_deref(), Some(id.as_str()));
    // Nothing recorded for the copy: the stored counter is the original's.
    let stored = app.provider.accounts.passkeys(&id).await.unwrap();
    assert_eq!(stored[0].counter, counter);
    assert_eq!(app.audit("passkey.used").await.len(), 1);
    chrome.quit().await;
}

#[tokio::test]
async fn an_answer_made_for_another_origin_does_not_sign_in() {
    // Two nodes on one database: A on localhost:PA, B on localhost:PB (the same relying
    // party ID, `localhost`, but another origin).
    let a = app().await;
    let id = a.add_clinician().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let b_node = oneid_tests::spawn_on(&a.storage, a.clock.clone(), None, move |c| {
        c.http.addr = format!("127.0.0.1:{port}");
        c.issuer = format!("http://localhost:{port}");
    })
    .await;
    let rp = Rp::discover(&b_node.add_client("otn-hub").await).await;
    let chrome = Chrome::start().await;
    chrome.add_virtual_authenticator("internal").await;
    enrol(&a, &chrome, "Laptop", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    // B's login page, its passkey options and token.
    let b = oneid_tests::browser::Browser::new();
    let page = b.get(&rp.start(&["openid"], &[]).url).await;
    assert!(page.is_login_page(), "{}", page.body);
    let field = |n: &str| oneid_tests::browser::unescape(&page.hidden(n).unwrap());
    let options = field("options");
    // The authenticator answers B's challenge, but on A's page (A's origin).
    let script = format!(
        "var o = {options};\
         function bytes(s) {{ s = s.replace(/-/g, '+').replace(/_/g, '/'); while (s.length % 4) s += '='; \
           var b = atob(s), a = new Uint8Array(b.length); for (var i = 0; i < b.length; i++) a[i] = b.charCodeAt(i); return a.buffer; }}\
         function text(buf) {{ var a = new Uint8Array(buf), s = ''; for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); \
           return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, ''); }}\
         o.publicKey.challenge = bytes(o.publicKey.challenge);\
         return navigator.credentials.get({{ publicKey: o.publicKey }}).then(function (c) {{ var r = c.response; return JSON.stringify({{\
           id: c.id, rawId: text(c.rawId), type: c.type, extensions: {{}},\
           response: {{ authenticatorData: text(r.authenticatorData), clientDataJSON: text(r.clientDataJSON),\
             signature: text(r.signature), userHandle: r.userHandle ? text(r.userHandle) : null }} }}); }});"
    );
    chrome.goto(&format!("{}/", a.base)).await;
    let answer = chrome.eval(&script).await;
    let answer = answer.as_str().unwrap().to_owned();
    let origin = |json: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let cd = v["response"]["clientDataJSON"].as_str().unwrap().to_owned();
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cd)
            .unwrap();
        let c: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        c["origin"].as_str().unwrap().to_owned()
    };
    assert_eq!(origin(&answer), a.base);
    let r = b
        .post_form(
            &format!("{}/login/passkey", b_node.base),
            &[
                ("request", &field("request")),
                ("csrf", &field("csrf")),
                ("t", &field("t")),
                ("credential", &answer),
            ],
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(
        r.body.contains("did not create or use a passkey"),
        "{}",
        r.body
    );
    let refused = a.audit("passkey.refused").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].subject.as_deref(), Some(id.as_str()));
    assert!(a.audit("passkey.used").await.is_empty());
    chrome.quit().await;
}

#[tokio::test]
async fn the_service_desk_removes_a_lost_passkey_and_it_no_longer_signs_in() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let chrome = Chrome::start().await;
    chrome.add_virtual_authenticator("internal").await;
    enrol(&app, &chrome, "Lost phone", "en").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    let passkey = app.provider.accounts.passkeys(&id).await.unwrap()[0].clone();
    // The desk agent, stepped up with an authenticator app, in French.
    let (agent, secret) = app
        .add_staff(
            "Desk.Agent@ONEID.ON.CA",
            "Helpful-Voice-2026",
            "service_desk",
        )
        .await;
    let b = oneid_tests::browser::Browser::new();
    let r = b.get(&format!("{}/desk", app.base)).await;
    let login = b
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    b.login(
        &app.base,
        &login,
        "Desk.Agent@ONEID.ON.CA",
        "Helpful-Voice-2026",
    )
    .await;
    let ask = b.get(&format!("{}/desk", app.base)).await;
    let done = app.step_up_totp(&b, &ask, &secret).await;
    assert_eq!(done.location(), Some("/desk"), "{}", done.body);
    let page = b
        .get(&format!("{}/desk/account?id={id}&ui_locales=fr", app.base))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Clés d’accès") && page.body.contains("Lost phone"));
    let form = format!("id=\"remove-passkey-{}\"", passkey.id);
    assert!(page.body.contains(&form), "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();
    let removed = b
        .post_form(
            &format!("{}/desk/account?id={id}&ui_locales=fr", app.base),
            &[
                ("csrf", &csrf),
                ("op", "remove_passkey"),
                ("passkey", &passkey.id),
            ],
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(
        removed.body.contains("La clé d’accès est retirée."),
        "{}",
        removed.body
    );
    assert!(app
        .provider
        .accounts
        .passkeys(&id)
        .await
        .unwrap()
        .is_empty());
    let audited = app.audit("passkey.removed").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor.as_deref(), Some(agent.as_str()));
    assert_eq!(audited[0].subject.as_deref(), Some(id.as_str()));
    // The lost phone's passkey no longer signs in.
    sign_out(&app, &chrome).await;
    let started = rp.start(&["openid"], &[]);
    chrome.goto(&started.url).await;
    chrome
        .wait_for_text("#error-summary", "did not create or use a passkey")
        .await;
    assert!(!chrome.url().await.starts_with(&rp.cfg.redirect_uri));
    chrome.quit().await;
}

#[tokio::test]
async fn staff_configured_for_passkeys_add_one_with_their_app_then_step_up_with_it_alone() {
    let app = spawn_localhost_with(|c| c.stepup.staff_require_passkey = true).await;
    let (_, secret) = app
        .add_staff(
            "Desk.Agent@ONEID.ON.CA",
            "Helpful-Voice-2026",
            "service_desk",
        )
        .await;
    let chrome = Chrome::start().await;
    let authenticator = chrome.add_virtual_authenticator("internal").await;
    // No passkey yet: the desk turns the agent away and says where to add one.
    chrome.goto(&format!("{}/desk", app.base)).await;
    chrome
        .type_into("#login_id", "Desk.Agent@ONEID.ON.CA")
        .await;
    chrome.type_into("#password", "Helpful-Voice-2026").await;
    chrome.click("form#login button[type=submit]").await;
    chrome
        .wait_for_text(
            "#error-summary",
            "needs a recent confirmation with a passkey",
        )
        .await;
    // Adding one is a change to the agent's own factors: the authenticator app confirms it.
    chrome.click("a[href^='/account/passkeys']").await;
    chrome.wait_for("form#choose").await;
    chrome.click("#method-otp").await;
    chrome.click("form#choose button[type=submit]").await;
    let code = step_up::totp::code_at(&secret, app.clock.now());
    chrome.type_into("#code", &code).await;
    chrome.click("form#verify button[type=submit]").await;
    chrome.wait_for("form#add").await;
    chrome.type_into("form#add #name", "Desk key").await;
    chrome.click("form#add button[type=submit]").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    // The desk now asks for the passkey, and for nothing else (a code would not do).
    chrome.goto(&format!("{}/desk", app.base)).await;
    chrome.wait_for("form#choose").await;
    let offered = offered_methods(&chrome).await;
    assert_eq!(offered, serde_json::json!(["passkey"]));
    chrome.click("form#choose button[type=submit]").await;
    chrome
        .click("form#verify[data-passkey=get] button[type=submit]")
        .await;
    chrome.wait_for("form[action^='/desk']").await;
    assert!(
        chrome.url().await.contains("/desk"),
        "{}",
        chrome.url().await
    );
    assert_eq!(chrome.virtual_credentials(&authenticator).await.len(), 1);
    chrome.quit().await;
}

#[tokio::test]
async fn a_first_sign_in_offers_a_passkey_right_after_the_new_password() {
    let app = app().await;
    let id = app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    // As an LRA leaves it: a temporary password, to be replaced at the first sign-in.
    let temporary = app
        .provider
        .accounts
        .issue_temporary_password(&id)
        .await
        .unwrap();
    let chrome = Chrome::start().await;
    chrome.add_virtual_authenticator("internal").await;
    let started = rp.start(&["openid"], &[("ui_locales", "fr")]);
    chrome.goto(&started.url).await;
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.type_into("#password", &temporary).await;
    chrome.click("form#login button[type=submit]").await;
    chrome
        .type_into("#new_password", "Night-Shift-Rounds-77")
        .await;
    chrome
        .type_into("#confirm_password", "Night-Shift-Rounds-77")
        .await;
    chrome
        .click("form button[type=submit]:not(.default-submit)")
        .await;
    // The offer, in French; a passkey is added and the sign-in goes on to the application.
    chrome.wait_for_text("h1", "Ajouter une clé d’accès").await;
    chrome.type_into("form#add #name", "Téléphone").await;
    chrome.click("form#add button[type=submit]").await;
    let code = code_at_callback(&chrome, &rp, &started).await;
    let tokens = rp.finish(started, &code).await;
    assert_eq!(
        tokens.raw["amr"],
        serde_json::json!(["pwd"]),
        "{}",
        tokens.raw
    );
    let stored = app.provider.accounts.passkeys(&id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Téléphone");
    assert_eq!(app.audit("passkey.added").await.len(), 1);
    chrome.quit().await;

    // "Not now": the sign-in goes on, nothing added (another first sign-in, another person).
    let other = app.add_user("Pat.Quinn@ONEID.ON.CA", PASSWORD).await;
    let temporary = app
        .provider
        .accounts
        .issue_temporary_password(&other)
        .await
        .unwrap();
    let b = oneid_tests::browser::Browser::new();
    let started = rp.start(&["openid"], &[]);
    let page = b.get(&started.url).await;
    let change = b
        .login(&app.base, &page, "Pat.Quinn@ONEID.ON.CA", &temporary)
        .await;
    let csrf = change.hidden("csrf").unwrap();
    let token = change
        .hidden("change")
        .unwrap_or_else(|| panic!("{}", change.body));
    let offer = b
        .post_form(
            &format!("{}/login/password", app.base),
            &[
                ("csrf", csrf.as_str()),
                ("change", token.as_str()),
                ("new_password", "Night-Shift-Rounds-77"),
                ("confirm_password", "Night-Shift-Rounds-77"),
            ],
        )
        .await;
    assert!(offer.body.contains("id=\"skip\""), "{}", offer.body);
    let offer_token = offer.hidden("offer").unwrap();
    let csrf = offer.hidden("csrf").unwrap();
    let cb = b
        .post_form(
            &format!("{}/login/passkey-offer", app.base),
            &[("csrf", &csrf), ("offer", &offer_token), ("action", "skip")],
        )
        .await;
    let code = rp.code_from(&started, &cb);
    rp.finish(started, &code).await;
    assert!(app
        .provider
        .accounts
        .passkeys(&other)
        .await
        .unwrap()
        .is_empty());
    // The offer is spent.
    let again = b
        .post_form(
            &format!("{}/login/passkey-offer", app.base),
            &[("csrf", &csrf), ("offer", &offer_token), ("action", "skip")],
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.body);
}

/// Chromium's virtual authenticator's attestation certificate (self-signed, "Batch
/// Certificate"), and the AAGUID it reports.
const CHROMIUM_BATCH_CERT: &str = "MIIB1DCCAXqgAwIBAgIBATAKBggqhkjOPQQDAjBgMQswCQYDVQQGEwJVUzERMA8GA1UECgwIQ2hyb21pdW0xIjAgBgNVBAsMGUF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24xGjAYBgNVBAMMEUJhdGNoIENlcnRpZmljYXRlMB4XDTE3MDcxNDAyNDAwMFoXDTQ2MTEyOTIyNTU1M1owYDELMAkGA1UEBhMCVVMxETAPBgNVBAoMCENocm9taXVtMSIwIAYDVQQLDBlBdXRoZW50aWNhdG9yIEF0dGVzdGF0aW9uMRowGAYDVQQDDBFCYXRjaCBDZXJ0aWZpY2F0ZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABI1hfmXJUI5kvMVnOsgqZ5naPBRGaCwljEY//99Y39L6Pmw3i1PXlcSk3/tBme3Xhi8jq68CA7S4kRugVpmU4QGjJTAjMAwGA1UdEwEB/wQCMAAwEwYLKwYBBAGC5RwCAQEEBAMCAwgwCgYIKoZIzj0EAwIDSAAwRQIhAL5XSjASxlh50kLm4ZhsBsB4rn7Se46wFPGiBa4LK28BAiAYEhCYGXu5WpydGcAdvO1N1yjbA8Qa1WrH3bu5S4jZ9g==";
const CHROMIUM_AAGUID: &str = "01020304-0506-0708-0102-030405060708";

/// A node whose staff must step up with a passkey of the one listed model (`aaguid`, with
/// Chromium's virtual authenticator's certificate).
async fn app_with_listed_model(aaguid: &str) -> TestApp {
    let pem =
        format!("-----BEGIN CERTIFICATE-----\n{CHROMIUM_BATCH_CERT}\n-----END CERTIFICATE-----\n");
    let file = std::env::temp_dir().join(format!(
        "oneid-staff-ca-{}.pem",
        platform::crypto::random_token(6)
    ));
    std::fs::write(&file, pem).unwrap();
    let aaguid = aaguid.to_owned();
    spawn_localhost_with(move |c| {
        c.stepup.staff_require_passkey = true;
        c.stepup.staff_authenticators = vec![step_up::StaffAuthenticatorConfig {
            name: "Approved key".into(),
            aaguid,
            ca_file: file,
        }];
    })
    .await
}

/// The desk agent signs in, is sent to add a passkey, confirms with the app and tries to add
/// one in My Profile.
async fn staff_adds_a_passkey(app: &TestApp, chrome: &Chrome, secret: &[u8]) {
    chrome.goto(&format!("{}/desk", app.base)).await;
    chrome
        .type_into("#login_id", "Desk.Agent@ONEID.ON.CA")
        .await;
    chrome.type_into("#password", "Helpful-Voice-2026").await;
    chrome.click("form#login button[type=submit]").await;
    chrome
        .wait_for_text(
            "#error-summary",
            "a security key of a model your organization approved",
        )
        .await;
    chrome.click("a[href^='/account/passkeys']").await;
    chrome.click("#method-otp").await;
    chrome.click("form#choose button[type=submit]").await;
    let code = step_up::totp::code_at(secret, app.clock.now());
    chrome.type_into("#code", &code).await;
    chrome.click("form#verify button[type=submit]").await;
    chrome.type_into("form#add #name", "Desk key").await;
    chrome.click("form#add button[type=submit]").await;
}

#[tokio::test]
async fn staff_limited_to_listed_authenticator_models_step_up_only_with_a_listed_one() {
    let app = app_with_listed_model(CHROMIUM_AAGUID).await;
    // A clinician adds a passkey (attestation "none", as every clinician), then becomes
    // service desk staff.
    let agent = app
        .add_user("Desk.Agent@ONEID.ON.CA", "Helpful-Voice-2026")
        .await;
    let chrome = Chrome::start().await;
    chrome.add_virtual_authenticator("internal").await;
    chrome.goto(&format!("{}/account/passkeys", app.base)).await;
    chrome
        .type_into("#login_id", "Desk.Agent@ONEID.ON.CA")
        .await;
    chrome.type_into("#password", "Helpful-Voice-2026").await;
    chrome.click("form#login button[type=submit]").await;
    chrome.type_into("form#add #name", "Old laptop").await;
    chrome.click("form#add button[type=submit]").await;
    chrome
        .wait_for_text(".notice", "The passkey is added")
        .await;
    app.give_totp(&agent).await;
    app.provider
        .accounts
        .grant_role(&agent, "service_desk", "test")
        .await
        .unwrap();
    // Its passkey proved no model: it does not open the desk.
    chrome.goto(&format!("{}/desk", app.base)).await;
    chrome
        .wait_for_text(
            "#error-summary",
            "a security key of a model your organization approved",
        )
        .await;
    // The same credential as if its registration had proved the listed model. (The proof
    // itself, a direct attestation chained to the listed certificate, is webauthn-rs's check;
    // Chromium's virtual authenticator signs with a self-signed certificate that is no trust
    // anchor, so a registration of it is refused: see the next test.)
    sqlx::query("UPDATE passkeys SET attested_aaguid = $1 WHERE account_id = $2")
        .bind(CHROMIUM_AAGUID)
        .bind(&agent)
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    chrome.goto(&format!("{}/desk", app.base)).await;
    let offered = offered_methods(&chrome).await;
    assert_eq!(offered, serde_json::json!(["passkey"]));
    chrome.click("form#choose button[type=submit]").await;
    chrome
        .click("form#verify[data-passkey=get] button[type=submit]")
        .await;
    chrome.wait_for("form[action^='/desk']").await;
    // A model taken off the list no longer counts, at the next step-up.
    sqlx::query("UPDATE passkeys SET attested_aaguid = $1 WHERE account_id = $2")
        .bind("ee882879-721c-4913-9775-3dfcce97072a")
        .bind(&agent)
        .execute(app.provider.db.pool())
        .await
        .unwrap();
    app.clock.advance(app.provider.stepup.recent_secs + 1);
    chrome.goto(&format!("{}/desk", app.base)).await;
    chrome
        .wait_for_text(
            "#error-summary",
            "a security key of a model your organization approved",
        )
        .await;
    chrome.quit().await;
}

#[tokio::test]
async fn staff_cannot_register_an_authenticator_without_an_attestation_of_a_listed_model() {
    // Listed: another model. The registration asks for a direct attestation, which the
    // virtual key gives under a certificate no listed model chains to: refused.
    let app = app_with_listed_model("ee882879-721c-4913-9775-3dfcce97072a").await;
    let (agent, secret) = app
        .add_staff(
            "Desk.Agent@ONEID.ON.CA",
            "Helpful-Voice-2026",
            "service_desk",
        )
        .await;
    let chrome = Chrome::start().await;
    chrome.add_virtual_security_key().await;
    staff_adds_a_passkey(&app, &chrome, &secret).await;
    chrome
        .wait_for_text("#error-summary", "did not create or use a passkey")
        .await;
    assert!(app
        .provider
        .accounts
        .passkeys(&agent)
        .await
        .unwrap()
        .is_empty());
    // Still no way into the desk.
    chrome.goto(&format!("{}/desk", app.base)).await;
    chrome
        .wait_for_text(
            "#error-summary",
            "a security key of a model your organization approved",
        )
        .await;
    chrome.quit().await;
}

#[tokio::test]
async fn a_first_sign_in_with_a_second_factor_steps_up_before_the_passkey_offer() {
    let app = app().await;
    let id = app.add_clinician().await;
    let secret = app.give_totp(&id).await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let temporary = app
        .provider
        .accounts
        .issue_temporary_password(&id)
        .await
        .unwrap();
    let b = oneid_tests::browser::Browser::new();
    let started = rp.start(&["openid"], &[]);
    let page = b.get(&started.url).await;
    let change = b.login(&app.base, &page, LOGIN_ID, &temporary).await;
    let csrf = change.hidden("csrf").unwrap();
    let token = change
        .hidden("change")
        .unwrap_or_else(|| panic!("{}", change.body));
    let next = b
        .post_form(
            &format!("{}/login/password", app.base),
            &[
                ("csrf", csrf.as_str()),
                ("change", token.as_str()),
                ("new_password", "Night-Shift-Rounds-77"),
                ("confirm_password", "Night-Shift-Rounds-77"),
            ],
        )
        .await;
    // Not the offer yet: a temporary password alone adds no passkey to an account with an app.
    assert!(!next.body.contains("id=\"skip\""), "{}", next.body);
    assert!(
        next.body.contains("name=\"action\" value=\"choose\""),
        "{}",
        next.body
    );
    let offer = app.step_up_totp(&b, &next, &secret).await;
    assert!(offer.body.contains("id=\"skip\""), "{}", offer.body);
    let csrf = offer.hidden("csrf").unwrap();
    let cb = b
        .post_form(
            &format!("{}/login/passkey-offer", app.base),
            &[
                ("csrf", csrf.as_str()),
                ("offer", offer.hidden("offer").unwrap().as_str()),
                ("action", "skip"),
            ],
        )
        .await;
    let code = rp.code_from(&started, &cb);
    let tokens = rp.finish(started, &code).await;
    // The sign-in goes on with what it proved: the password and the app.
    assert_eq!(tokens.raw["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
}

/// A name longer than 60 characters is refused with a message in the person's language, the
/// typed name kept to shorten, and nothing stored (it used to be cut short silently).
#[tokio::test]
async fn a_passkey_name_over_60_characters_is_refused_in_french_and_nothing_is_stored() {
    let app = app().await;
    let id = app.add_clinician().await;
    let chrome = Chrome::start().await;
    chrome.add_virtual_authenticator("internal").await;
    let long = "Portable du travail, bureau 4B, clinique de l’hôpital Lakeshore";
    assert!(long.chars().count() > 60);
    enrol(&app, &chrome, long, "fr").await;
    let why = chrome
        .wait_for_text("#name-error", "au plus 60 caractères")
        .await;
    assert!(why.contains("Utilisez"), "{why}");
    let kept = chrome
        .eval("return document.getElementById('name').value")
        .await;
    assert_eq!(kept.as_str(), Some(long));
    assert!(app
        .provider
        .accounts
        .passkeys(&id)
        .await
        .unwrap()
        .is_empty());
    assert!(app.audit("passkey.added").await.is_empty());
    chrome.quit().await;
}
