//! Pages as a person meets them outside any one flow: the language they chose holds for the
//! whole visit (the language link, the relying party's `ui_locales`, the account's language);
//! every address, known or not, answers with a page in their language and a way back; the
//! ends of the forgotten login ID and password, and a refusal by role, lead somewhere; every
//! page carries the configured footer.

use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app, DESK_PHONE, LOGIN_ID, PASSWORD, PRIVACY_URL};

fn lang_of(r: &Resp) -> &str {
    let start = r.body.find("<html lang=\"").expect("an HTML page") + 12;
    &r.body[start..start + 2]
}

/// A GET as a browser sends it (it takes HTML), with `Accept-Language`.
async fn open(url: &str, method: reqwest::Method, accept_language: &str) -> Resp {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .request(method, url)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn the_language_chosen_on_the_login_page_holds_through_a_wrong_password_my_profile_and_sign_out(
) {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let b = Browser::new();
    let s = rp.start(&["profile"], &[]);
    let page = b.get(&s.url).await;
    assert!(page.is_login_page());
    assert_eq!(lang_of(&page), "en");
    // "Français".
    let request = page.hidden("request").unwrap();
    let fr = b
        .get(&format!(
            "{}/login?request={request}&ui_locales=fr",
            app.base
        ))
        .await;
    assert_eq!(lang_of(&fr), "fr");
    // A wrong password answers in French, with no language in the form.
    let wrong = b
        .login(&app.base, &fr, LOGIN_ID, "Not-The-Password-1")
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(lang_of(&wrong), "fr");
    assert!(
        wrong.body.contains("mot de passe est incorrect"),
        "{}",
        wrong.body
    );
    // Then the right one: signed in, and My Profile is French too.
    let cb = b.login(&app.base, &fr, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&s, &cb);
    rp.finish(s, &code).await;
    let profile = b.get(&format!("{}/account", app.base)).await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(lang_of(&profile), "fr");
    // Signing out asks and answers in French.
    let out = b.get(&format!("{}/logout", app.base)).await;
    assert_eq!(lang_of(&out), "fr");
    let done = b
        .post_form(
            &format!("{}/logout/confirm", app.base),
            &[
                ("request", &out.hidden("request").unwrap()),
                ("csrf", &out.hidden("csrf").unwrap()),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(lang_of(&done), "fr");
    assert!(
        done.body.contains("Votre session est fermée"),
        "{}",
        done.body
    );
}

#[tokio::test]
async fn the_relying_party_asks_french_and_the_person_switching_to_english_wins_from_then_on() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("clinicalconnect").await).await;
    let b = Browser::new();
    let s = rp.start(&["profile"], &[("ui_locales", "fr-CA fr")]);
    let page = b.get(&s.url).await;
    assert_eq!(lang_of(&page), "fr");
    // The forgotten-password page opened from there is French without asking.
    let forgot = b.get(&format!("{}/forgot-password", app.base)).await;
    assert_eq!(lang_of(&forgot), "fr");
    // "English" on the login page: the next answers are English, though the request asked
    // for French.
    let request = page.hidden("request").unwrap();
    let en = b
        .get(&format!(
            "{}/login?request={request}&ui_locales=en",
            app.base
        ))
        .await;
    assert_eq!(lang_of(&en), "en");
    let wrong = b
        .login(&app.base, &en, LOGIN_ID, "Not-The-Password-1")
        .await;
    assert_eq!(lang_of(&wrong), "en");
    assert!(wrong
        .body
        .contains("The login ID or password is incorrect."));
}

#[tokio::test]
async fn without_a_choice_my_profile_speaks_the_account_language() {
    let app = spawn_app().await;
    let id = app.add_clinician().await;
    let a = app
        .provider
        .accounts
        .find_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    let update = credential_store::ProfileUpdate {
        title: a.title.clone(),
        given_name: a.given_name.clone(),
        middle_name: a.middle_name.clone(),
        family_name: a.family_name.clone(),
        email: a.email.clone(),
        phone: a.phone.clone(),
        locale: "fr".into(),
    };
    app.provider
        .accounts
        .update_profile(&id, &update)
        .await
        .unwrap();
    let rp = Rp::discover(&app.add_client("otnhub").await).await;
    let b = Browser::new();
    rp.login(&b, LOGIN_ID, PASSWORD).await;
    let profile = b.get(&format!("{}/account", app.base)).await;
    assert_eq!(lang_of(&profile), "fr", "{}", profile.body);
    let out = b.get(&format!("{}/logout", app.base)).await;
    assert_eq!(lang_of(&out), "fr");
    // The language link still wins, and is kept.
    let en = b.get(&format!("{}/account?ui_locales=en", app.base)).await;
    assert_eq!(lang_of(&en), "en");
    let again = b.get(&format!("{}/account", app.base)).await;
    assert_eq!(lang_of(&again), "en");
}

#[tokio::test]
async fn unknown_addresses_and_wrong_methods_answer_with_a_page_in_the_reader_language() {
    let app = spawn_app().await;
    let get = reqwest::Method::GET;
    let nope = open(&format!("{}/no/such/page", app.base), get.clone(), "en-CA").await;
    assert_eq!(nope.status, 404);
    assert!(nope.headers["content-type"].starts_with("text/html"));
    assert!(
        nope.body.contains("<h1>Page not found</h1>"),
        "{}",
        nope.body
    );
    assert!(nope
        .body
        .contains("id=\"home-link\" href=\"/?ui_locales=en\""));
    assert!(nope
        .body
        .contains("href=\"/no/such/page?ui_locales=fr\">Français</a>"));
    let fr = open(
        &format!("{}/no/such/page", app.base),
        get.clone(),
        "fr-CA,fr;q=0.9",
    )
    .await;
    assert_eq!(fr.status, 404);
    assert!(fr.body.contains("<h1>Page introuvable</h1>"), "{}", fr.body);

    // A program (no HTML in Accept) gets JSON.
    let api = reqwest::get(format!("{}/no/such/page", app.base))
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    let json: serde_json::Value = api.json().await.unwrap();
    assert_eq!(json["error"], "not_found");

    // An address that takes other methods: a page, and Allow says which.
    let put = open(
        &format!("{}/forgot-password", app.base),
        reqwest::Method::PUT,
        "fr",
    )
    .await;
    assert_eq!(put.status, 405);
    assert!(put.headers["allow"].contains("GET"), "{:?}", put.headers);
    assert!(
        put.body.contains("ne peut pas être ouverte"),
        "{}",
        put.body
    );
    assert!(put.body.contains("id=\"home-link\""));

    // Opening /register by hand says where registration begins.
    let reg = open(&format!("{}/register", app.base), get.clone(), "en").await;
    assert_eq!(reg.status, 200, "{}", reg.body);
    assert!(reg.body.contains("registry"), "{}", reg.body);
    assert!(reg.body.contains("href=\"/?ui_locales=en\""));

    // The home page: the ways in, in both languages.
    let home = open(&format!("{}/", app.base), get.clone(), "en").await;
    assert_eq!(home.status, 200);
    for href in [
        "/account?ui_locales=en",
        "/forgot-login-id?ui_locales=en",
        "/help?ui_locales=en",
    ] {
        assert!(
            home.body.contains(&format!("href=\"{href}\"")),
            "{href}: {}",
            home.body
        );
    }
    let accueil = open(&format!("{}/?ui_locales=fr", app.base), get, "en").await;
    assert_eq!(lang_of(&accueil), "fr");
}

#[tokio::test]
async fn every_page_has_the_configured_footer_and_an_icon() {
    let app = spawn_app().await;
    for path in ["/", "/help", "/forgot-login-id", "/no/such/page"] {
        let r = open(&format!("{}{path}", app.base), reqwest::Method::GET, "en").await;
        assert!(
            r.body
                .contains(&format!("<a href=\"{PRIVACY_URL}\">Privacy</a>")),
            "{path}: {}",
            r.body
        );
        assert!(r.body.contains("<a href=\"/help\">Help</a>"), "{path}");
        assert!(
            r.body.contains(&format!(
                "<a href=\"tel:18005550199\" class=\"desk-phone\">Service desk: {DESK_PHONE}</a>"
            )),
            "{path}"
        );
        assert!(r.body.contains("<link rel=\"icon\" href=\"/favicon.svg\""));
    }
    let fr = open(&format!("{}/help", app.base), reqwest::Method::GET, "fr").await;
    assert!(fr
        .body
        .contains(&format!("Centre de services\u{a0}: {DESK_PHONE}")));
    let icon = reqwest::get(format!("{}/favicon.ico", app.base))
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn the_ends_of_the_forgotten_pages_and_a_refusal_by_role_lead_somewhere() {
    let app = spawn_app().await;
    app.add_clinician().await;
    let b = Browser::new();
    let start = b.get(&format!("{}/forgot-login-id", app.base)).await;
    let csrf = start.hidden("csrf").unwrap();
    let sent = b
        .post_form(
            &format!("{}/forgot-login-id", app.base),
            &[
                ("csrf", &csrf),
                ("legal_given_name", "Nobody"),
                ("legal_family_name", "Known"),
                ("birth_date", "1970-01-01"),
                ("email", "nobody@example.org"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(
        sent.body.contains("href=\"/account?ui_locales=en\""),
        "{}",
        sent.body
    );
    assert!(sent.body.contains("href=\"/?ui_locales=en\""));

    // A clinician at the service desk is told it is not for them, and where they can go.
    let rp = Rp::discover(&app.add_client("otnhub").await).await;
    rp.login(&b, LOGIN_ID, PASSWORD).await;
    let desk = b.get(&format!("{}/desk", app.base)).await;
    assert_eq!(desk.status, 403, "{}", desk.body);
    assert!(
        desk.body.contains("href=\"/account?ui_locales=en\""),
        "{}",
        desk.body
    );
    assert!(!desk.body.contains("href=\"/admin"), "{}", desk.body);

    // A form that fails its anti-forgery check says one thing to do, not two.
    let forged = b
        .post_form(
            &format!("{}/forgot-login-id", app.base),
            &[("csrf", "forged"), ("legal_given_name", "A")],
        )
        .await;
    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("Reload the page"), "{}", forged.body);
    assert!(!forged.body.contains("Close this page"), "{}", forged.body);
}

#[tokio::test]
async fn a_failed_sign_in_is_in_the_title_and_has_the_focus_and_the_password_can_be_shown() {
    use oneid_tests::webdriver::Browser as Chrome;
    let app = spawn_app().await;
    app.add_clinician().await;
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let chrome = Chrome::start().await;
    chrome.set_window_size(390, 844).await;
    chrome
        .goto(&rp.start(&["profile"], &[("ui_locales", "fr")]).url)
        .await;
    chrome.wait_for("#login_id").await;
    // "Afficher" shows what was typed, "Masquer" hides it again.
    chrome.type_into("#password", "Pas-Le-Bon-1").await;
    let toggle = "button.show-password[aria-controls=password]";
    assert_eq!(chrome.text(toggle).await, "Afficher");
    chrome.click(toggle).await;
    assert_eq!(
        chrome
            .eval("return document.getElementById('password').type;")
            .await,
        "text"
    );
    assert_eq!(chrome.text(toggle).await, "Masquer");
    assert_eq!(
        chrome
            .eval("return document.querySelector('button.show-password').getAttribute('aria-pressed');")
            .await,
        "true"
    );
    chrome.click(toggle).await;
    assert_eq!(
        chrome
            .eval("return document.getElementById('password').type;")
            .await,
        "password"
    );
    chrome.type_into("#login_id", LOGIN_ID).await;
    chrome.click("form button[type=submit]").await;
    chrome.wait_for("#error-summary").await;
    let title = chrome.eval("return document.title;").await;
    assert!(
        title.as_str().unwrap().starts_with("Erreur\u{a0}: "),
        "{title}"
    );
    assert_eq!(
        chrome.eval("return document.activeElement.id;").await,
        "error-summary"
    );
    chrome.quit().await;
}

#[tokio::test]
async fn staff_with_several_roles_move_between_their_consoles() {
    use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};
    let app = spawn_app().await;
    let (admin, secret) = administrator(&app).await;
    app.provider
        .accounts
        .grant_role(&admin, "service_desk", "test")
        .await
        .unwrap();
    let b = Browser::new();
    let console = console_sign_in(&app, &b, ADMIN_LOGIN, ADMIN_PASSWORD, &secret, "/admin").await;
    assert_eq!(console.status, 200, "{}", console.body);
    let nav = |r: &Resp| {
        let start = r.body.find("<nav class=\"account-nav\"").expect("a menu");
        r.body[start..start + r.body[start..].find("</nav>").unwrap()].to_owned()
    };
    let menu = nav(&console);
    assert!(menu.contains("href=\"/desk?ui_locales=en\""), "{menu}");
    assert!(menu.contains("href=\"/account?ui_locales=en\""), "{menu}");
    assert!(!menu.contains("href=\"/lra"), "no LRA role: {menu}");
    let desk = b.get(&format!("{}/desk", app.base)).await;
    assert_eq!(desk.status, 200, "{}", desk.body);
    let menu = nav(&desk);
    assert!(menu.contains("href=\"/admin?ui_locales=en\""), "{menu}");
    assert!(menu.contains("href=\"/logout\""), "{menu}");
}

#[tokio::test]
async fn signing_in_to_my_profile_says_my_profile_and_to_the_console_administration() {
    let app = spawn_app().await;
    let b = Browser::new();
    for (path, name) in [
        ("/account", "Sign in to continue to My Profile."),
        ("/admin", "Sign in to continue to ONE ID administration."),
        ("/desk", "Sign in to continue to the ONE ID service desk."),
    ] {
        let r = b.get(&format!("{}{path}", app.base)).await;
        let login = b
            .get(&format!("{}{}", app.base, r.location().unwrap()))
            .await;
        assert!(login.is_login_page(), "{path}");
        assert!(login.body.contains(name), "{path}: {}", login.body);
    }
}
