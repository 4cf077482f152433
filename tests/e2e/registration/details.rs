//! The wizard's details from the registration guide (001): the help path of the designation
//! step (§4.0), every college of the regulated health professions for "Add another", gender
//! and date of birth required in the hand-off, the answer tips (§5.1), a phone refused with
//! "no direct number", the general links of the completion page (§9.0), and every password
//! rule and the confirmation listed for the live checks on the password step.

use super::*;
use registration::GeneralLink;

const HELP_LINK: &str = "Help: my college or registration number is wrong";
const HELP_TITLE: &str = "Your college or registration number is wrong";
const HELP_TITLE_FR: &str = "Votre ordre ou votre numéro d’inscription est erroné";
const HELP_STOP: &str = "Stop my registration";
const PHONE_AND_NO_DIRECT: &str =
    "Enter a phone number or check that you have no direct number, not both.";
const PHONE_AND_NO_DIRECT_FR: &str =
    "Entrez un numéro de téléphone ou cochez que vous n’avez pas de numéro direct, mais pas les deux.";
const TIPS_EN: [&str; 5] = [
    "Tips for answers",
    "Choose questions only you know the answer to.",
    "Choose answers that are easy to remember but hard to guess. One-word answers are best.",
    "You cannot choose the same question more than once.",
    "You cannot give the same answer to more than one question.",
];
const TIPS_FR: [&str; 5] = [
    "Conseils pour les réponses",
    "Choisissez des questions dont vous êtes le seul à connaître la réponse.",
    "Choisissez des réponses faciles à retenir mais difficiles à deviner. Les réponses en un seul mot sont préférables.",
    "Vous ne pouvez pas sélectionner la même question plus d’une fois.",
    "Vous ne pouvez pas saisir la même réponse à plusieurs questions.",
];

/// The colleges of the 21 professions of 004 App. B (RHPA, 1991) and of the five regulated
/// since, as the select offers them: (code, English name, French name).
const COLLEGES: [(&str, &str, &str); 26] = [
    (
        "CASLPO",
        "College of Audiologists and Speech-Language Pathologists of Ontario",
        "Ordre des audiologistes et des orthophonistes de l’Ontario",
    ),
    (
        "COCOO",
        "College of Chiropodists of Ontario",
        "Ordre des podologues de l’Ontario",
    ),
    (
        "CCO",
        "College of Chiropractors of Ontario",
        "Ordre des chiropraticiens de l’Ontario",
    ),
    (
        "CDHO",
        "College of Dental Hygienists of Ontario",
        "Ordre des hygiénistes dentaires de l’Ontario",
    ),
    (
        "CDTO",
        "College of Dental Technologists of Ontario",
        "Ordre des technologues dentaires de l’Ontario",
    ),
    (
        "RCDSO",
        "Royal College of Dental Surgeons of Ontario",
        "Collège royal des chirurgiens dentistes de l’Ontario",
    ),
    (
        "CDO",
        "College of Denturists of Ontario",
        "Ordre des denturologistes de l’Ontario",
    ),
    (
        "CDIETO",
        "College of Dietitians of Ontario",
        "Ordre des diététistes de l’Ontario",
    ),
    (
        "CMTO",
        "College of Massage Therapists of Ontario",
        "Ordre des massothérapeutes de l’Ontario",
    ),
    (
        "CMLTO",
        "College of Medical Laboratory Technologists of Ontario",
        "Ordre des technologistes de laboratoire médical de l’Ontario",
    ),
    (
        "CMRITO",
        "College of Medical Radiation and Imaging Technologists of Ontario",
        "Ordre des technologues en radiation médicale et en imagerie de l’Ontario",
    ),
    (
        "CPSO",
        "College of Physicians and Surgeons of Ontario",
        "Ordre des médecins et chirurgiens de l’Ontario",
    ),
    (
        "CMO",
        "College of Midwives of Ontario",
        "Ordre des sages-femmes de l’Ontario",
    ),
    (
        "CNO",
        "College of Nurses of Ontario",
        "Ordre des infirmières et infirmiers de l’Ontario",
    ),
    (
        "COTO",
        "College of Occupational Therapists of Ontario",
        "Ordre des ergothérapeutes de l’Ontario",
    ),
    (
        "COPTO",
        "College of Opticians of Ontario",
        "Ordre des opticiens de l’Ontario",
    ),
    (
        "COO",
        "College of Optometrists of Ontario",
        "Ordre des optométristes de l’Ontario",
    ),
    (
        "OCP",
        "Ontario College of Pharmacists",
        "Ordre des pharmaciens de l’Ontario",
    ),
    (
        "CPO",
        "College of Physiotherapists of Ontario",
        "Ordre des physiothérapeutes de l’Ontario",
    ),
    (
        "CPBAO",
        "College of Psychologists and Behaviour Analysts of Ontario",
        "Ordre des psychologues et des analystes du comportement de l’Ontario",
    ),
    (
        "CRTO",
        "College of Respiratory Therapists of Ontario",
        "Ordre des thérapeutes respiratoires de l’Ontario",
    ),
    (
        "CHO",
        "College of Homeopaths of Ontario",
        "Ordre des homéopathes de l’Ontario",
    ),
    (
        "CKO",
        "College of Kinesiologists of Ontario",
        "Ordre des kinésiologues de l’Ontario",
    ),
    (
        "CONO",
        "College of Naturopaths of Ontario",
        "Ordre des naturopathes de l’Ontario",
    ),
    (
        "CRPO",
        "College of Registered Psychotherapists of Ontario",
        "Ordre des psychothérapeutes autorisés de l’Ontario",
    ),
    (
        "CTCMPAO",
        "College of Traditional Chinese Medicine Practitioners and Acupuncturists of Ontario",
        "Ordre des praticiens en médecine traditionnelle chinoise et des acupuncteurs de l’Ontario",
    ),
];

/// The select of designation row 0 on a page.
fn college_select(r: &Resp) -> String {
    let start = r
        .body
        .find("<select id=\"college0\"")
        .unwrap_or_else(|| panic!("{}", r.body));
    let end = r.body[start..].find("</select>").unwrap() + start;
    r.body[start..end].to_owned()
}

#[tokio::test]
async fn the_designation_step_has_a_help_path_for_a_wrong_college_or_number() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("designation").await;
    let page = w.get("designation?ui_locales=en").await;
    assert!(
        page.body.contains(&format!(
            "<a id=\"designation-help\" href=\"/register/help?ui_locales=en\">{}</a>",
            esc(HELP_LINK)
        )),
        "{}",
        page.body
    );

    // The help page names the registry's college and number, and offers to stop.
    let help = w.get("help?ui_locales=en").await;
    assert_eq!(help.status, 200, "{}", help.body);
    assert!(help.body.contains(&esc(HELP_TITLE)), "{}", help.body);
    assert!(help
        .body
        .contains(&esc("College of Physicians and Surgeons of Ontario")));
    assert!(help.body.contains("<dd>71234</dd>"), "{}", help.body);
    assert!(help.body.contains("contact"), "{}", help.body);
    assert!(help
        .body
        .contains("href=\"/register/designation?ui_locales=en\""));
    assert!(help
        .body
        .contains("action=\"/register/designation?ui_locales=en\""));
    assert_eq!(help.hidden("nav").as_deref(), Some("cancel"));
    // Choosing to stop there is the answer to "Cancel?" already.
    assert_eq!(help.hidden("confirm_cancel").as_deref(), Some("1"));
    assert!(help.body.contains(HELP_STOP));
    // Reading it changes nothing: the next step is still closed.
    assert_eq!(
        w.get("questions").await.location(),
        Some("/register/designation")
    );
    let fr = w.get("help?ui_locales=fr").await;
    assert_eq!(fr.status, 200);
    assert!(fr.body.contains(&esc(HELP_TITLE_FR)), "{}", fr.body);
    assert!(fr
        .body
        .contains(&esc("Ordre des médecins et chirurgiens de l’Ontario")));

    // Stopping is Cancel: the wizard ends and nothing is stored.
    let stop = w
        .post("designation", &[("nav", "cancel"), ("confirm_cancel", "1")])
        .await;
    assert_eq!(stop.status, 200, "{}", stop.body);
    assert!(stop.body.contains(CANCELLED_TITLE));
    assert_eq!(env.accounts().await, 0);
    assert_eq!(env.app.audit("registration.cancelled").await.len(), 1);
    assert_eq!(w.get("help").await.status, 400, "no wizard any more");
}

#[tokio::test]
async fn add_another_offers_every_college_of_the_regulated_health_professions() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("designation").await;
    assert_eq!(w.nav("designation", "add", &[]).await.status, 303);
    let select = college_select(&w.get("designation?ui_locales=en").await);
    for (code, en, _) in COLLEGES {
        let offered = select.contains(&format!("value=\"{code}\""));
        assert_eq!(offered, code != "CPSO", "{code}");
        if code != "CPSO" {
            assert!(select.contains(&esc(en)), "{en}");
        }
    }
    // The placeholder and the 25 others, nothing else.
    assert_eq!(select.matches("<option").count(), 26, "{select}");
    let fr = college_select(&w.get("designation?ui_locales=fr").await);
    for (code, _, name) in COLLEGES.iter().filter(|c| c.0 != "CPSO") {
        assert!(fr.contains(&esc(name)), "{code}: {name}");
    }
    // A college added to the list is accepted with its number, and kept with the account.
    w.pass_with(
        "designation",
        &[("college0", "CRTO"), ("number0", "R-4521")],
    )
    .await;
    for step in ["questions", "phone", "mail", "password"] {
        w.pass(step).await;
    }
    let login_id = login_id_shown(&w.get("complete?ui_locales=en").await);
    let a = env
        .app
        .provider
        .accounts
        .find_by_login_id(&login_id)
        .await
        .unwrap()
        .unwrap();
    let held = env.app.provider.accounts.designations(&a.id).await.unwrap();
    assert!(
        held.iter()
            .any(|d| d.college == "CRTO" && d.registration_number == "R-4521"),
        "{held:?}"
    );
}

#[tokio::test]
async fn a_hand_off_without_gender_or_date_of_birth_is_refused() {
    let env = env().await;
    for claim in ["gender", "birthdate"] {
        let missing = env.handoff(&PATRICIA, json!({ claim: null }));
        refused(&env, &missing, 400, "missing_claim").await;
        let blank = env.handoff(&PATRICIA, json!({ claim: "  " }));
        refused(&env, &blank, 400, "missing_claim").await;
    }
    // With both, the personal step shows them locked, and the account keeps them.
    let w = env.start(PATRICIA).await;
    w.walk_to("personal").await;
    let page = w.get("personal").await;
    assert!(page
        .body
        .contains("<p class=\"static\" id=\"gender\">Female</p>"));
    assert!(page
        .body
        .contains("<p class=\"static\" id=\"birth_date\">1982-04-17</p>"));
    let login_id = w.finish().await;
    let a = env
        .app
        .provider
        .accounts
        .find_by_login_id(&login_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.gender.as_deref(), Some("Female"));
    assert_eq!(a.birth_date.as_deref(), Some("1982-04-17"));
}

#[tokio::test]
async fn the_questions_step_shows_the_tips_for_answers_in_both_languages() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("questions").await;
    let en = w.get("questions?ui_locales=en").await;
    for tip in TIPS_EN {
        assert!(en.body.contains(&esc(tip)), "{tip}: {}", en.body);
    }
    assert!(en.body.contains("<ul id=\"answer-tips\">"), "{}", en.body);
    let fr = w.get("questions?ui_locales=fr").await;
    for tip in TIPS_FR {
        assert!(fr.body.contains(&esc(tip)), "{tip}");
    }
}

#[tokio::test]
async fn a_phone_together_with_no_direct_number_is_refused() {
    let env = env().await;
    let w = env.start(SAMIRA).await;
    w.walk_to("phone").await;
    let both = [
        ("phone0", "416-555-0142"),
        ("kind0", "mobile"),
        ("no_direct_number", "on"),
    ];
    let r = w.next("phone", &both).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.field_error("no_direct_number").as_deref(),
        Some(PHONE_AND_NO_DIRECT)
    );
    assert_eq!(
        input_value(&r, "phone0").as_deref(),
        Some("416-555-0142"),
        "the number typed is kept"
    );
    assert_eq!(w.get("mail").await.location(), Some("/register/phone"));
    let fr =
        w.b.post_form(
            &format!("{}/register/phone?ui_locales=fr", w.base),
            &[
                ("csrf", w.csrf.as_str()),
                ("phone0", "416-555-0142"),
                ("kind0", "mobile"),
                ("no_direct_number", "on"),
                ("next", "1"),
            ],
        )
        .await;
    assert_eq!(fr.status, 400);
    assert_eq!(
        fr.field_error("no_direct_number").as_deref(),
        Some(PHONE_AND_NO_DIRECT_FR)
    );
    // The phone alone is fine, and usable: no "no direct number" with it.
    w.pass_with("phone", &both[..2]).await;
    w.pass("mail").await;
    w.pass("password").await;
    let a = env
        .app
        .provider
        .accounts
        .find_by_login_id("Samira.Haddad@ONEID.ON.CA")
        .await
        .unwrap()
        .unwrap();
    assert!(!a.no_direct_number);
    assert_eq!(
        env.app
            .provider
            .accounts
            .challenge_phones(&a.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

#[tokio::test]
async fn the_completion_page_carries_the_general_links() {
    let configured = [
        (
            "eHealth Ontario portal",
            "Portail de cyberSanté Ontario",
            "https://portal.example.org/",
        ),
        (
            "Reference guide",
            "Guide de référence",
            "https://help.example.org/guide",
        ),
        (
            "ONE ID description",
            "Description de ONE ID",
            "/register/welcome",
        ),
    ];
    let linked = env_with(|c| {
        c.registration.general_links = configured
            .iter()
            .map(|(en, fr, url)| GeneralLink {
                en: (*en).into(),
                fr: (*fr).into(),
                url: (*url).into(),
            })
            .collect();
    })
    .await;
    let w = linked.start(PATRICIA).await;
    w.finish().await;
    let en = w.get("complete?ui_locales=en").await;
    assert!(en.body.contains("<h2>General links</h2>"), "{}", en.body);
    assert!(en.body.contains(&link(
        "/account?ui_locales=en",
        "ONE ID (to manage your ONE ID account)"
    )));
    for (text, _, url) in configured {
        assert!(en.body.contains(&link(url, text)), "{text}: {}", en.body);
    }
    let fr = w.get("complete?ui_locales=fr").await;
    assert!(fr.body.contains("<h2>Liens généraux</h2>"), "{}", fr.body);
    assert!(fr.body.contains(&link(
        "/account?ui_locales=fr",
        "ONE ID (pour gérer votre compte ONE ID)"
    )));
    for (_, text, url) in configured {
        assert!(fr.body.contains(&link(url, text)), "{text}");
    }

    // Without configured links, managing the account is still offered.
    let plain = env().await;
    let w = plain.start(SAMIRA).await;
    w.finish().await;
    let done = w.get("complete?ui_locales=en").await;
    assert!(done.body.contains("<h2>General links</h2>"));
    assert!(done.body.contains(&link(
        "/account?ui_locales=en",
        "ONE ID (to manage your ONE ID account)"
    )));
}

/// Every rule of the policy, then the confirmation.
pub(super) const RULES: [&str; 8] = [
    "too_short",
    "too_long",
    "no_lower",
    "no_upper",
    "no_digit",
    "common",
    "contains_personal",
    "confirm",
];

#[tokio::test]
async fn the_password_step_lists_every_rule_and_the_confirmation_for_the_live_checks() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    let page = w.get("password?ui_locales=en").await;
    for rule in RULES {
        assert!(
            page.body.contains(&format!("<li data-rule=\"{rule}\">")),
            "{rule}: {}",
            page.body
        );
    }
    assert!(page
        .body
        .contains("<li data-rule=\"confirm\">Both passwords are the same</li>"));
    assert!(page
        .body
        .contains("<script src=\"/static/password-rules.js\" defer></script>"));
    let csp = page.headers.get("content-security-policy").unwrap();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    let fr = w.get("password?ui_locales=fr").await;
    assert!(fr
        .body
        .contains("<li data-rule=\"confirm\">Les deux mots de passe sont identiques</li>"));
}
