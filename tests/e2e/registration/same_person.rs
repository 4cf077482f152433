//! One person, one account: a member whose legal name and date of birth match an account an
//! LRA made (without the registration number) gets no second account. Signing in with that
//! account links the registration to it; saying it is not theirs (or signing in with another
//! account) holds it for the desk, which links or releases it. Audited either way.

use super::*;

const LRA_MADE_PASSWORD: &str = "Ward-Seven-2026";

/// The account an LRA registered for Patricia in person, without her number; its id.
async fn lra_made(env: &Env) -> String {
    let a = env
        .app
        .provider
        .accounts
        .create(NewAccount {
            login_id: Some("Patricia.Okafor@ONEID.ON.CA".into()),
            given_name: "Pat".into(),
            family_name: "Okafor".into(),
            legal_given_name: Some(PATRICIA.given.into()),
            legal_family_name: Some(PATRICIA.family.into()),
            birth_date: Some(PATRICIA.birthdate.into()),
            password: LRA_MADE_PASSWORD.into(),
            agreement_version: Some(env.app.provider.signup.agreement_version.clone()),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    a.id
}

/// Walks Patricia's wizard to the end: the page that offers the two ways on.
async fn at_the_end(env: &Env) -> Wiz {
    let w = env.start(PATRICIA).await;
    for s in &STEPS[..STEPS.len() - 1] {
        w.pass(s).await;
    }
    w
}

#[tokio::test]
async fn a_member_with_an_lra_made_account_signs_in_with_it_and_the_registration_joins_it() {
    let env = env().await;
    let existing = lra_made(&env).await;
    let w = at_the_end(&env).await;
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("You may already have a ONE ID account"),
        "{}",
        r.body
    );
    assert_eq!(env.accounts().await, 1, "no second account");
    assert!(
        !r.body.contains("Patricia.Okafor@ONEID.ON.CA"),
        "the other account's login ID is not shown"
    );
    // Signing in with the existing account adds the registration to it.
    let go = w.get("../register/link?ui_locales=en").await;
    assert_eq!(go.status, 303, "sign in first: {}", go.body);
    let page =
        w.b.get(&format!("{}{}", env.app.base, go.location().unwrap()))
            .await;
    let back =
        w.b.login(
            &env.app.base,
            &page,
            "Patricia.Okafor@ONEID.ON.CA",
            LRA_MADE_PASSWORD,
        )
        .await;
    assert_eq!(back.location(), Some("/register/link"), "{}", back.body);
    let done = w.get("../register/link").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Patricia.Okafor@ONEID.ON.CA"),
        "{}",
        done.body
    );
    assert_eq!(env.accounts().await, 1);
    let p = &env.app.provider;
    let found = p
        .accounts
        .find_by_designation("CPSO", PATRICIA.number)
        .await
        .unwrap()
        .expect("the registry's number is now on the account");
    assert_eq!(found.id, existing);
    assert_eq!(found.assurance_level, 2, "the registry's level");
    assert!(!p
        .registration
        .directory
        .enrolments(&existing)
        .await
        .unwrap()
        .is_empty());
    let linked = env.app.audit("registration.linked").await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].actor.as_deref(), Some(existing.as_str()));
    // The member is now known: a new hand-off goes to the welcome page.
    let again = hand_off(
        &env.app,
        &Browser::new(),
        &env.handoff(&PATRICIA, json!({})),
    )
    .await;
    assert_eq!(again.location(), Some("/register/welcome?ui_locales=en"));
}

#[tokio::test]
async fn a_member_who_says_the_account_is_not_theirs_is_held_then_the_desk_releases_them() {
    let env = env().await;
    let existing = lra_made(&env).await;
    let w = at_the_end(&env).await;
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let held =
        w.b.post_form(
            &format!("{}/register/hold?ui_locales=en", env.app.base),
            &[("csrf", w.csrf.as_str())],
        )
        .await;
    assert_eq!(held.status, 200, "{}", held.body);
    assert!(held.body.contains("Your registration is held for review"));
    assert_eq!(env.accounts().await, 1);
    let rows = env.app.audit("registration.held").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].subject.as_deref(), Some(existing.as_str()));

    // The desk sees it (command line and API), and releases it: a different person.
    let (code, out) = env.app.storage.cli(&["approvals", "held"], "").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(PATRICIA.sub) && out.contains(&format!("matches account {existing}")),
        "{out}"
    );
    let token = env.app.client_token("oneid:admin").await;
    let base = format!("{}/admin/api/held-registrations", env.app.base);
    let list = oneid_tests::api::call(&base, &token, "GET", "", None).await;
    assert_eq!(list.status, 200, "{}", list.json);
    let items = list.json["held"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["member_id"], PATRICIA.sub);
    assert_eq!(items[0]["account_id"], existing.as_str());
    let path = format!(
        "/{}/{}/release",
        items[0]["registry_id"].as_str().unwrap(),
        PATRICIA.sub
    );
    let r = oneid_tests::api::call(&base, &token, "POST", &path, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(env.app.audit("registration.released").await.len(), 1);
    let list = oneid_tests::api::call(&base, &token, "GET", "", None).await;
    assert!(list.json["held"].as_array().unwrap().is_empty());
    // Released: the member registers a new account of their own.
    env.register(PATRICIA).await;
    assert_eq!(env.accounts().await, 2);
}

#[tokio::test]
async fn signing_in_with_another_account_holds_the_registration_and_the_desk_can_link_it() {
    let env = env().await;
    let existing = lra_made(&env).await;
    let other = env
        .app
        .add_user("Someone.Else@ONEID.ON.CA", "Other-Person-2026")
        .await;
    let w = at_the_end(&env).await;
    w.next("password", &w.valid("password")).await;
    let go = w.get("../register/link?ui_locales=en").await;
    let page =
        w.b.get(&format!("{}{}", env.app.base, go.location().unwrap()))
            .await;
    w.b.login(
        &env.app.base,
        &page,
        "Someone.Else@ONEID.ON.CA",
        "Other-Person-2026",
    )
    .await;
    let r = w.get("../register/link").await;
    assert!(
        r.body.contains("Your registration is held for review"),
        "{}",
        r.body
    );
    assert!(env.app.audit("registration.linked").await.is_empty());
    assert!(env
        .app
        .provider
        .registration
        .directory
        .enrolments(&other)
        .await
        .unwrap()
        .iter()
        .all(|e| e.authorized_by != "registry:cpso"));
    // The desk, having met her, links it to the account that matched, in the console.
    use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};
    let (_, secret) = administrator(&env.app).await;
    let desk = Browser::new();
    let page = console_sign_in(
        &env.app,
        &desk,
        ADMIN_LOGIN,
        ADMIN_PASSWORD,
        &secret,
        "/admin/approvals",
    )
    .await;
    assert!(page.body.contains(PATRICIA.sub), "{}", page.body);
    let form_of = |id: &str| {
        let start = page.body.find(&format!("id=\"{id}\"")).expect("the form");
        let part = &page.body[start..];
        let field = |name: &str| {
            let needle = format!("name=\"{name}\" value=\"");
            let i = part.find(&needle).unwrap() + needle.len();
            part[i..i + part[i..].find('"').unwrap()].to_owned()
        };
        (field("registry"), field("member"), field("action"))
    };
    let (registry, member, action) = form_of("link-0");
    assert_eq!((member.as_str(), action.as_str()), (PATRICIA.sub, "link"));
    let csrf = page.hidden("csrf").unwrap();
    let r = desk
        .post_form(
            &format!("{}/admin/approvals", env.app.base),
            &[
                ("csrf", csrf.as_str()),
                ("op", "held"),
                ("registry", registry.as_str()),
                ("member", member.as_str()),
                ("action", "link"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Done."), "{}", r.body);
    let found = env
        .app
        .provider
        .accounts
        .find_by_designation("CPSO", PATRICIA.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, existing);
    assert_eq!(
        env.accounts().await,
        3,
        "no new account: the two people and the administrator"
    );
}
