//! Self-registration from a trusted registry (DOMAIN "Self-registration from an alternative
//! registry"): the registry's signed hand-off, the seven-step wizard with every rule checked on
//! the server, the account it creates (level, identity from the registry, designations,
//! challenges, enrolments, provenance, audit), the hand-offs that are refused, existing
//! accounts, concurrent completions, Cancel on every step, terminations reported by the
//! registry, and the whole wizard in a real browser in English and French.
//!
//! The test plays the registry: it registers a registry `cpso` (AL2, general approval, a
//! sponsor, an AL1 and an AL3 service) with an ES256 key it generates, and signs hand-offs
//! with it on the server's injected clock.

use credential_store::{AccountStatus, Designation, NewAccount, QUESTIONS};
use josekit::jws::{JwsHeader, ES256};
use oneid_tests::browser::{Browser, Resp};
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_app_with, TestApp};
use registration::{Approval, NewRegistry, RegistryStatus, RegistryUpdate, Service};
use serde_json::{json, Value};

// ------------------------------------------------------------------ the registry's side

const REGISTRY: &str = "cpso";
const SPONSOR: &str = "cpso-members";
const AL1_SERVICE: &str = "ConnectingOntario ClinicalViewer";
const AL3_SERVICE: &str = "Provincial Narcotics Monitor";
const CONSENT: &str = "cpso-oneid-consent-2026-01";
const AGREEMENT: &str = "2026-01";
const PASSWORD: &str = "Night-Rounds-2026";
const ANSWERS: [&str; 5] = ["Biscuit", "Kingston", "Maple Street", "Rivera", "Lakefield"];
const STEPS: [&str; 7] = [
    "policies",
    "personal",
    "designation",
    "questions",
    "phone",
    "mail",
    "password",
];
const STEP_NAMES_EN: [&str; 7] = [
    "Policies",
    "Personal information",
    "Professional designation",
    "Challenge questions",
    "Challenge phone",
    "ONE Mail Direct",
    "Set password",
];
const STEP_NAMES_FR: [&str; 7] = [
    "Politiques",
    "Renseignements personnels",
    "Titre professionnel",
    "Questions de sécurité",
    "Téléphone de vérification",
    "ONE Mail Direct",
    "Mot de passe",
];

// The words the pages must show (English).
const REFUSED_TITLE: &str = "Registration could not start";
const REFUSED_INVALID: &str = "The registration link is not valid: it has expired, was already used, or was not signed by a registry we trust.";
const REFUSED_REGISTRY: &str = "Your registry is not accepting ONE ID registrations at this time.";
const EXPIRED: &str = "Your registration session has expired or was not started.";
const CANCELLED_TITLE: &str = "Registration cancelled";
const EXISTING_NOTICE: &str =
    "You already have a ONE ID account for this registration number, so you do not need to register again.";
const MUST_AGREE: &str =
    "You must agree to the agreement to register. Choose Cancel if you do not agree.";
const REQUIRED: &str = "This field is required.";
const BAD_EMAIL: &str = "Enter an email address like name@example.org.";
const BAD_PHONE: &str = "Enter a phone number like 416-555-0199 (no extension).";
const BAD_LANGUAGE: &str = "Choose English or French.";
const BAD_NAME: &str =
    "Enter a name of at most 100 characters, without < > \" { } [ ] \\ / = ; or @.";
const COLLEGE_NEEDED: &str = "Choose the college of this registration number.";
const NUMBER_NEEDED: &str = "Enter the registration number for this college.";
const NUMBER_FORMAT: &str =
    "Enter the registration number in this college's format (digits only, of the usual length).";
const COLLEGE_TWICE: &str = "Each college can be listed once.";
const NUMBER_TAKEN: &str =
    "This registration number belongs to another account. Call the service desk if it is yours.";
const Q_NONE: &str = "Choose a question.";
const Q_SAME: &str = "Choose a question you have not already chosen.";
const A_NONE: &str = "Enter an answer.";
const A_SAME: &str = "Give a different answer to each question.";
const PHONE_DUPLICATE: &str = "This number is already listed.";
const PASSWORDS_DIFFER: &str = "The two new passwords are not the same.";
const TOO_SHORT: &str = "Your password is shorter than 8 characters.";
const CONTAINS_PERSONAL: &str =
    "Your password contains your login ID or your name: choose one without them.";

/// A member of the registry, as the registry knows them.
#[derive(Debug, Clone, Copy)]
struct Member {
    sub: &'static str,
    number: &'static str,
    given: &'static str,
    middle: Option<&'static str>,
    family: &'static str,
    gender: &'static str,
    birthdate: &'static str,
    email: Option<&'static str>,
}

const PATRICIA: Member = Member {
    sub: "m-71234",
    number: "71234",
    given: "Patricia",
    middle: Some("Lynn"),
    family: "Okafor",
    gender: "Female",
    birthdate: "1982-04-17",
    email: Some("patricia.okafor@example.org"),
};

const SAMIRA: Member = Member {
    sub: "m-66120",
    number: "66120",
    given: "Samira",
    middle: None,
    family: "Haddad",
    gender: "Female",
    birthdate: "1994-08-23",
    email: None,
};

/// A server with the registry set up, and the registry's signing key.
struct Env {
    app: TestApp,
    kid: String,
    key: String,
}

/// A fresh ES256 key pair: (private PKCS#8 PEM, public SPKI PEM).
fn key_pair() -> (String, String) {
    let pair = ES256.generate_key_pair().unwrap();
    (
        String::from_utf8(pair.to_pem_private_key()).unwrap(),
        String::from_utf8(pair.to_pem_public_key()).unwrap(),
    )
}

/// The header `typ` of a hand-off, as the README documents it.
const HANDOFF_TYP: &str = "oneid-handoff+jwt";
/// The header `typ` of a termination report.
const REPORT_TYP: &str = "oneid-termination-report+jwt";

/// Signs hand-off `claims` as a compact JWS (ES256) with `kid` in the header.
fn sign_with(private_pem: &str, kid: Option<&str>, claims: &Value) -> String {
    sign_as(Some(HANDOFF_TYP), private_pem, kid, claims)
}

/// Signs report `claims` the same way.
fn report_with(private_pem: &str, kid: Option<&str>, claims: &Value) -> String {
    sign_as(Some(REPORT_TYP), private_pem, kid, claims)
}

/// Signs `claims` as a compact JWS (ES256) with header `typ` and `kid` when given.
fn sign_as(typ: Option<&str>, private_pem: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = JwsHeader::new();
    if let Some(t) = typ {
        header.set_token_type(t);
    }
    if let Some(k) = kid {
        header.set_key_id(k);
    }
    let signer = ES256.signer_from_pem(private_pem.as_bytes()).unwrap();
    josekit::jws::serialize_compact(&serde_json::to_vec(claims).unwrap(), &header, &signer).unwrap()
}

/// A server with a sponsor, an AL1 and an AL3 service, and the AL2 registry `cpso` whose
/// members are enrolled in both (so, by level, only in the first).
async fn env() -> Env {
    env_with(|_| {}).await
}

/// The same on a server whose configuration was adjusted.
async fn env_with(adjust: impl FnOnce(&mut oneid::Config)) -> Env {
    let app = spawn_app_with(adjust).await;
    let r = &app.provider.registration;
    r.directory
        .put_organization(SPONSOR, "CPSO members")
        .await
        .unwrap();
    r.directory
        .put_service(&Service {
            id: "viewer".into(),
            name: AL1_SERVICE.into(),
            url: Some("https://viewer.example.org/".into()),
            min_assurance_level: 1,
        })
        .await
        .unwrap();
    r.directory
        .put_service(&Service {
            id: "monitor".into(),
            name: AL3_SERVICE.into(),
            url: Some("https://monitor.example.org/".into()),
            min_assurance_level: 3,
        })
        .await
        .unwrap();
    r.registries
        .add(NewRegistry {
            id: REGISTRY.into(),
            name: "CPSO register".into(),
            owner: "College of Physicians and Surgeons of Ontario".into(),
            contact: "registrar@cpso.example".into(),
            college: "CPSO".into(),
            assurance_level: 2,
            approval: Some(Approval::General),
            sponsor_id: Some(SPONSOR.into()),
            services: vec!["viewer".into(), "monitor".into()],
            ..NewRegistry::default()
        })
        .await
        .unwrap();
    let (key, public) = key_pair();
    let kid = r
        .registries
        .add_key(REGISTRY, "ES256", &public, None, None)
        .await
        .unwrap()
        .kid;
    Env { app, kid, key }
}

impl Env {
    fn now(&self) -> i64 {
        platform::Clock::now(self.app.clock.as_ref())
    }

    /// The claims of a hand-off of `m`, issued now, living five minutes.
    fn claims(&self, m: &Member) -> Value {
        let now = self.now();
        let mut c = json!({
            "iss": REGISTRY,
            "aud": self.app.base,
            "sub": m.sub,
            "jti": platform::crypto::random_token(16),
            "iat": now,
            "exp": now + 300,
            "college": "CPSO",
            "registration_number": m.number,
            "given_name": m.given,
            "family_name": m.family,
            "gender": m.gender,
            "birthdate": m.birthdate,
            "registration_class": "Independent Practice",
            "consent_version": CONSENT,
            "consent_at": now - 5,
        });
        let o = c.as_object_mut().unwrap();
        if let Some(mid) = m.middle {
            o.insert("middle_name".into(), mid.into());
        }
        if let Some(e) = m.email {
            o.insert("email".into(), e.into());
        }
        c
    }

    /// A signed hand-off of `m` with some claims changed (`null` removes one).
    fn handoff(&self, m: &Member, overrides: Value) -> String {
        let mut c = self.claims(m);
        let o = c.as_object_mut().unwrap();
        for (k, v) in overrides.as_object().unwrap() {
            if v.is_null() {
                o.remove(k);
            } else {
                o.insert(k.clone(), v.clone());
            }
        }
        self.sign(&c)
    }

    fn sign(&self, claims: &Value) -> String {
        sign_with(&self.key, Some(&self.kid), claims)
    }

    /// A signed termination report listing `members`, issued now.
    fn report(&self, members: &[&str]) -> String {
        let now = self.now();
        report_with(
            &self.key,
            Some(&self.kid),
            &json!({
                "iss": REGISTRY,
                "aud": self.app.base,
                "jti": platform::crypto::random_token(16),
                "iat": now,
                "exp": now + 300,
                "terminated": members,
            }),
        )
    }

    /// Hands `m` over in a new browser and opens the first step.
    async fn start(&self, m: Member) -> Wiz {
        Wiz::start(&self.app, m, &self.handoff(&m, json!({}))).await
    }

    /// Registers `m` through the whole wizard with valid input; (login ID, account id).
    async fn register(&self, m: Member) -> (String, String) {
        let w = self.start(m).await;
        let login_id = w.finish().await;
        let id = self
            .app
            .provider
            .accounts
            .find_by_login_id(&login_id)
            .await
            .unwrap()
            .unwrap()
            .id;
        (login_id, id)
    }

    async fn accounts(&self) -> i64 {
        self.app.count("accounts").await
    }
}

// ------------------------------------------------------------------ the member's browser

/// POSTs the hand-off the way the registry's page does.
async fn hand_off(app: &TestApp, b: &Browser, token: &str) -> Resp {
    b.post_form(&format!("{}/register", app.base), &[("assertion", token)])
        .await
}

/// The wizard cookie a response sets (a non-empty value), if any.
fn wizard_cookie(r: &Resp) -> Option<String> {
    r.headers
        .get("set-cookie")?
        .lines()
        .filter_map(|c| c.strip_prefix("oneid_signup="))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
        .find(|v| !v.is_empty())
}

/// As askama writes text into HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// The value an input shows.
fn input_value(r: &Resp, name: &str) -> Option<String> {
    let needle = format!("id=\"{name}\" name=\"{name}\" type=\"");
    let start = r.body.find(&needle)? + needle.len();
    let rest = &r.body[start..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')? + v;
    Some(rest[v..end].to_owned())
}

/// The option selected in a select.
fn selected(r: &Resp, name: &str) -> Option<String> {
    let needle = format!("<select id=\"{name}\" name=\"{name}\"");
    let start = r.body.find(&needle)?;
    let end = r.body[start..].find("</select>")? + start;
    let select = &r.body[start..end];
    let s = select.find(" selected>")?;
    let v = select[..s].rfind("value=\"")? + "value=\"".len();
    Some(select[v..s].trim_end_matches('"').to_owned())
}

/// The login ID on the completion page.
fn login_id_shown(r: &Resp) -> String {
    let needle = "<dt>Your login ID</dt><dd>";
    let start = r.body.find(needle).unwrap_or_else(|| panic!("{}", r.body)) + needle.len();
    let end = r.body[start..].find("</dd>").unwrap() + start;
    r.body[start..end].to_owned()
}

fn next_location(step: &str) -> String {
    let i = STEPS.iter().position(|s| *s == step).unwrap();
    match STEPS.get(i + 1) {
        Some(n) => format!("/register/{n}?ui_locales=en"),
        None => "/register/complete?ui_locales=en".into(),
    }
}

/// One member's browser in the wizard.
struct Wiz {
    base: String,
    b: Browser,
    m: Member,
    csrf: String,
    /// The wizard cookie's value.
    cookie: String,
}

impl Wiz {
    /// Hands `token` over in a new browser: a redirect to the first step with the wizard
    /// cookie; then opens it (which also gives the anti-forgery token).
    async fn start(app: &TestApp, m: Member, token: &str) -> Wiz {
        let b = Browser::new();
        let r = hand_off(app, &b, token).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), Some("/register/policies"));
        let cookie = wizard_cookie(&r).expect("the wizard cookie");
        let page = b.get(&format!("{}/register/policies", app.base)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = page.hidden("csrf").expect("csrf field");
        Wiz {
            base: app.base.clone(),
            b,
            m,
            csrf,
            cookie,
        }
    }

    async fn get(&self, step: &str) -> Resp {
        self.b.get(&format!("{}/register/{step}", self.base)).await
    }

    /// Submits `step`'s form with `fields` (and the anti-forgery token).
    async fn post(&self, step: &str, fields: &[(&str, &str)]) -> Resp {
        let mut f: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        f.extend_from_slice(fields);
        self.b
            .post_form(&format!("{}/register/{step}?ui_locales=en", self.base), &f)
            .await
    }

    /// The main button.
    async fn next(&self, step: &str, fields: &[(&str, &str)]) -> Resp {
        let mut f = fields.to_vec();
        f.push(("next", "1"));
        self.post(step, &f).await
    }

    /// Another button (`back`, `cancel`, `add`, `reset{i}`, `move_middle`), with the form.
    async fn nav(&self, step: &str, what: &str, fields: &[(&str, &str)]) -> Resp {
        let mut f = fields.to_vec();
        f.push(("nav", what));
        self.post(step, &f).await
    }

    /// What a careful member enters on `step`.
    fn valid(&self, step: &str) -> Vec<(&'static str, &'static str)> {
        match step {
            "policies" => vec![("agree", "on")],
            "personal" => vec![
                ("title", "Dr."),
                ("given_name", self.m.given),
                ("middle_name", self.m.middle.unwrap_or("")),
                ("family_name", self.m.family),
                ("email", "clinic.desk@example.org"),
                ("phone", "416-555-0199"),
                ("locale", "en"),
            ],
            "questions" => vec![
                ("online_q0", QUESTIONS[0].id),
                ("online_a0", ANSWERS[0]),
                ("online_q1", QUESTIONS[1].id),
                ("online_a1", ANSWERS[1]),
                ("online_q2", QUESTIONS[2].id),
                ("online_a2", ANSWERS[2]),
                ("desk_q0", QUESTIONS[3].id),
                ("desk_a0", ANSWERS[3]),
                ("desk_q1", QUESTIONS[4].id),
                ("desk_a1", ANSWERS[4]),
            ],
            "phone" => vec![
                ("phone0", "416-555-0142"),
                ("kind0", "mobile"),
                ("phone1", "613-555-0100"),
                ("kind1", "landline"),
                ("phone2", ""),
                ("kind2", "mobile"),
            ],
            "password" => vec![("new_password", PASSWORD), ("confirm_password", PASSWORD)],
            _ => vec![],
        }
    }

    /// Submits `step` with `fields` and expects to move on to the next step.
    async fn pass_with(&self, step: &str, fields: &[(&str, &str)]) {
        let r = self.next(step, fields).await;
        assert_eq!(r.status, 303, "{step}: {}", r.body);
        assert_eq!(r.location(), Some(next_location(step).as_str()), "{step}");
    }

    /// Submits `step` with valid input.
    async fn pass(&self, step: &str) {
        self.pass_with(step, &self.valid(step)).await;
    }

    /// Passes every step before `step`.
    async fn walk_to(&self, step: &str) {
        for s in STEPS.iter().take_while(|s| **s != step) {
            self.pass(s).await;
        }
    }

    /// Passes every step and reads the login ID on the completion page.
    async fn finish(&self) -> String {
        for s in STEPS {
            self.pass(s).await;
        }
        let done = self.get("complete?ui_locales=en").await;
        assert_eq!(done.status, 200, "{}", done.body);
        login_id_shown(&done)
    }
}

/// Asks the server for a wizard step with a given wizard cookie (not the browser's jar).
async fn with_cookie(app: &TestApp, step: &str, cookie: &str) -> Resp {
    let b = Browser::new();
    let r = b
        .http
        .get(format!("{}/register/{step}", app.base))
        .header("cookie", format!("oneid_signup={cookie}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    Resp {
        status,
        headers: Default::default(),
        body: r.text().await.unwrap(),
    }
}

/// The relying party `viewer`, in the service the registry enrols its members in.
async fn viewer(app: &TestApp) -> Rp {
    Rp::discover(
        &app.add_client_with("viewer", |n| n.service_id = Some("viewer".into()))
            .await,
    )
    .await
}

/// A refresh-token grant by the test client `viewer`.
async fn refresh(app: &TestApp, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .basic_auth("viewer", Some("viewer-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

// ------------------------------------------------------------------ 1. the whole way

#[tokio::test]
async fn a_member_registers_through_all_seven_steps_and_signs_in_with_the_new_login_id() {
    let env = env().await;
    let app = &env.app;
    let w = env.start(PATRICIA).await;

    // Step 1: the notice, the agreement and its version, the progress bar naming every step.
    let policies = w.get("policies").await;
    assert!(policies.body.contains("Step 1 of 7: Policies"));
    let progress_start = policies.body.find("<ol class=\"progress\"").unwrap();
    let progress = &policies.body[progress_start..];
    let mut at = 0;
    for name in STEP_NAMES_EN {
        let found = progress[at..]
            .find(&format!(">{name}</li>"))
            .unwrap_or_else(|| panic!("{name} in the progress bar, in order"));
        at += found;
    }
    assert!(
        policies.body.contains("<dd>2026-01</dd>"),
        "agreement version"
    );
    // The agreement is a text to read, in a box of its own, not a hint.
    assert!(
        policies
            .body
            .contains("<div class=\"agreement\" id=\"document\" tabindex=\"0\""),
        "{}",
        policies.body
    );
    w.pass("policies").await;

    // Step 2: the registry's names prefilled, locked ones shown as text; the middle name is
    // moved out of the first name.
    let personal = w.get("personal").await;
    assert_eq!(
        input_value(&personal, "given_name").as_deref(),
        Some("Patricia Lynn")
    );
    assert!(personal
        .body
        .contains("<p class=\"static\" id=\"birth_date\">1982-04-17</p>"));
    assert!(personal
        .body
        .contains("<p class=\"static\" id=\"legal_family_name\">Okafor</p>"));
    assert!(
        !personal.body.contains("name=\"birth_date\""),
        "locked: not an input"
    );
    let prefilled = [
        ("title", ""),
        ("given_name", "Patricia Lynn"),
        ("middle_name", ""),
        ("family_name", "Okafor"),
        ("email", "patricia.okafor@example.org"),
        ("phone", ""),
        ("locale", "en"),
    ];
    let moved = w.nav("personal", "move_middle", &prefilled).await;
    assert_eq!(moved.status, 303);
    let personal = w.get("personal").await;
    assert_eq!(
        input_value(&personal, "given_name").as_deref(),
        Some("Patricia")
    );
    assert_eq!(
        input_value(&personal, "middle_name").as_deref(),
        Some("Lynn")
    );
    w.pass("personal").await;

    // Step 3: one more designation.
    let designation = w.get("designation").await;
    assert!(designation
        .body
        .contains("<p class=\"static\" id=\"number_locked\">71234</p>"));
    assert_eq!(w.nav("designation", "add", &[]).await.status, 303);
    w.pass_with(
        "designation",
        &[("college0", "CNO"), ("number0", "1234567")],
    )
    .await;

    // Steps 4 to 7.
    w.pass("questions").await;
    w.pass("phone").await;
    let mail = w.get("mail").await;
    assert!(mail.body.contains("ONE Mail Direct has been retired."));
    w.pass("mail").await;
    w.pass("password").await;

    // The completion page: the login ID and the services this level admits.
    let done = w.get("complete?ui_locales=en").await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Registration complete"));
    let login_id = login_id_shown(&done);
    assert_eq!(login_id, "Patricia.Okafor@ONEID.ON.CA");
    assert!(done.body.contains(AL1_SERVICE));
    assert!(
        done.body.contains("href=\"https://viewer.example.org/\""),
        "a link to the service"
    );
    assert!(
        !done.body.contains(AL3_SERVICE),
        "AL3 service for an AL2 registrant"
    );

    // The account, as the registry vouched for it and as the member chose.
    let p = &app.provider;
    let a = p
        .accounts
        .find_by_login_id(&login_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.assurance_level, 2, "the registry's level");
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(a.legal_given_name.as_deref(), Some("Patricia"));
    assert_eq!(
        a.legal_middle_name.as_deref(),
        Some("Lynn"),
        "the registry's"
    );
    assert_eq!(a.legal_family_name.as_deref(), Some("Okafor"));
    assert_eq!(a.gender.as_deref(), Some("Female"));
    assert_eq!(a.birth_date.as_deref(), Some("1982-04-17"));
    assert_eq!(a.given_name, "Patricia");
    assert_eq!(a.middle_name.as_deref(), Some("Lynn"));
    assert_eq!(a.title.as_deref(), Some("Dr."));
    assert_eq!(a.email.as_deref(), Some("clinic.desk@example.org"));
    assert_eq!(a.phone.as_deref(), Some("+14165550199"));
    assert_eq!(a.agreement_version.as_deref(), Some(AGREEMENT));
    assert!(a.agreement_accepted_at.is_some());
    assert!(!a.password_temporary);
    let mut designations: Vec<(String, String)> = p
        .accounts
        .designations(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.college, d.registration_number))
        .collect();
    designations.sort();
    assert_eq!(
        designations,
        [
            ("CNO".to_owned(), "1234567".to_owned()),
            ("CPSO".to_owned(), "71234".to_owned())
        ]
    );
    assert_eq!(p.accounts.online_questions(&a.id).await.unwrap().len(), 3);
    assert_eq!(p.accounts.desk_questions(&a.id).await.unwrap().len(), 2);
    let phones = p.accounts.challenge_phones(&a.id).await.unwrap();
    let numbers: Vec<&str> = phones.iter().map(|x| x.e164.as_str()).collect();
    assert_eq!(numbers, ["+14165550142", "+16135550100"]);
    assert!(p
        .accounts
        .verify_online_answers(
            &a.id,
            &[credential_store::QuestionAnswer {
                question_id: QUESTIONS[1].id.into(),
                answer: "kingston".into(),
            }]
        )
        .await
        .unwrap());
    let enrolled: Vec<String> = p
        .registration
        .directory
        .enrolments(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.service.id)
        .collect();
    assert_eq!(enrolled, ["viewer"]);
    let (registry, member, approval, consent) =
        p.registration.provenance(&a.id).await.unwrap().unwrap();
    assert_eq!(
        (registry.as_str(), member.as_str(), approval.as_str()),
        (REGISTRY, PATRICIA.sub, "general")
    );
    assert_eq!(consent.as_deref(), Some(CONSENT));
    let registered = app.audit("account.registered").await;
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].subject.as_deref(), Some(a.id.as_str()));
    let detail = registered[0].detail.clone().unwrap();
    for part in [
        "registry=cpso",
        "approval=general",
        "member=m-71234",
        "college=CPSO",
        "number=71234",
        "level=2",
        "consent=cpso-oneid-consent-2026-01",
        "agreement=2026-01",
        "services=viewer",
    ] {
        assert!(detail.contains(part), "{part} in {detail}");
    }
    // The wizard is over: its steps lead to the completion page.
    let again = w.get("password").await;
    assert_eq!(again.location(), Some("/register/complete"));

    // The account works: the authorization-code flow at a relying party, at level 2.
    let rp = viewer(app).await;
    let b = Browser::new();
    let tokens = rp.login(&b, &login_id, PASSWORD).await;
    assert_eq!(tokens.claims.subject().as_str(), a.id);
    assert_eq!(tokens.raw["acr"], "urn:oneid:loa:2");
    // My Profile shows the agreement accepted, its version, and the designations.
    let profile = b.get(&format!("{}/account?ui_locales=en", app.base)).await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert!(profile.body.contains("2026-01 ("), "{}", profile.body);
    assert!(profile
        .body
        .contains("By registering for ONE ID you agree to use your login ID"));
    assert!(profile.body.contains("CPSO 71234"));
    assert!(
        profile
            .body
            .contains("<dt>Legal name</dt><dd>Patricia Lynn Okafor</dd>"),
        "the legal name in full: {}",
        profile.body
    );
}

// ------------------------------------------------------------------ 2. the rules, step by step

#[tokio::test]
async fn policies_need_i_agree() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    let r = w.next("policies", &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.field_error("agree").as_deref(), Some(MUST_AGREE));
    assert!(r.body.contains("error-summary"));
    // Not agreed, not moved on.
    assert_eq!(
        w.get("personal").await.location(),
        Some("/register/policies")
    );
    w.pass("policies").await;
    assert_eq!(w.get("personal").await.status, 200);
}

#[tokio::test]
async fn personal_information_is_checked_field_by_field_and_keeps_what_was_typed() {
    let env = env().await;
    let w = env.start(SAMIRA).await;
    w.walk_to("personal").await;
    let cases: [(&str, &str, &str, &str); 9] = [
        ("given_name", "", "given_name", REQUIRED),
        ("family_name", "  ", "family_name", REQUIRED),
        ("given_name", "Sam<script>", "given_name", BAD_NAME),
        ("email", "not-an-email", "email", BAD_EMAIL),
        ("email", "", "email", REQUIRED),
        ("phone", "555-12", "phone", BAD_PHONE),
        ("phone", "", "phone", REQUIRED),
        ("locale", "de", "locale", BAD_LANGUAGE),
        ("locale", "", "locale", BAD_LANGUAGE),
    ];
    for (field, value, error_on, message) in cases {
        let mut form = vec![
            ("title", "Dr."),
            ("given_name", "Sam"),
            ("middle_name", "Rania"),
            ("family_name", "Haddad-Noor"),
            ("email", "sam.haddad@clinic.example"),
            ("phone", "(613) 555-0123"),
            ("locale", "fr"),
        ];
        for f in form.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let r = w.next("personal", &form).await;
        assert_eq!(r.status, 400, "{field}={value:?}");
        assert_eq!(
            r.field_error(error_on).as_deref(),
            Some(message),
            "{field}={value:?}"
        );
        // Everything typed is shown again, the faulty value included.
        for (k, v) in &form {
            if *k == "locale" {
                continue;
            }
            assert_eq!(
                input_value(&r, k).as_deref(),
                Some(esc(v).as_str()),
                "{field}={value:?}: {k} kept"
            );
        }
        if field != "locale" {
            assert_eq!(selected(&r, "locale").as_deref(), Some("fr"));
        }
        // And the next step stays closed.
        assert_eq!(
            w.get("designation").await.location(),
            Some("/register/personal"),
            "{field}={value:?}"
        );
    }
    let r = w.next("personal", &w.valid("personal")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(env.accounts().await, 0);
}

#[tokio::test]
async fn locked_identity_fields_in_a_form_are_ignored_and_audited() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.pass("policies").await;
    let mut personal = w.valid("personal");
    personal.extend([
        ("legal_given_name", "Mallory"),
        ("legal_middle_name", "Eve"),
        ("legal_family_name", "Impostor"),
        ("gender", "Male"),
        ("birth_date", "1900-01-01"),
    ]);
    w.pass_with("personal", &personal).await;
    // The page still shows the registry's values.
    let back = w.get("personal").await;
    assert!(back
        .body
        .contains("<p class=\"static\" id=\"legal_given_name\">Patricia</p>"));
    assert!(!back.body.contains("Mallory"));
    w.pass_with(
        "designation",
        &[("college_locked", "CNO"), ("number_locked", "99999")],
    )
    .await;
    for s in &STEPS[3..] {
        w.pass(s).await;
    }
    let a = env
        .app
        .provider
        .accounts
        .find_by_login_id("Patricia.Okafor@ONEID.ON.CA")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.legal_given_name.as_deref(), Some("Patricia"));
    assert_eq!(a.legal_middle_name.as_deref(), Some("Lynn"));
    assert_eq!(a.legal_family_name.as_deref(), Some("Okafor"));
    assert_eq!(a.gender.as_deref(), Some("Female"));
    assert_eq!(a.birth_date.as_deref(), Some("1982-04-17"));
    let d = env.app.provider.accounts.designations(&a.id).await.unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].college.as_str(), d[0].registration_number.as_str()),
        ("CPSO", "71234")
    );
    let tampered: Vec<String> = env
        .app
        .audit("registration.tampered")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert_eq!(tampered.len(), 2, "{tampered:?}");
    assert!(
        tampered[0].contains("fields=college_locked,number_locked"),
        "{tampered:?}"
    );
    assert!(
        tampered[1].contains(
            "fields=legal_given_name,legal_middle_name,legal_family_name,gender,birth_date"
        ),
        "{tampered:?}"
    );
    assert!(tampered[1].contains("member=m-71234"));
}

#[tokio::test]
async fn a_middle_name_goes_with_the_first_name_until_it_is_moved() {
    let env = env().await;
    // Moved: the first name alone, the middle name in Middle names.
    let w = env.start(PATRICIA).await;
    w.pass("policies").await;
    let page = w.get("personal").await;
    assert_eq!(
        input_value(&page, "given_name").as_deref(),
        Some("Patricia Lynn")
    );
    assert_eq!(input_value(&page, "middle_name").as_deref(), Some(""));
    assert!(page.body.contains("name=\"nav\" value=\"move_middle\""));
    // The button sits right under Middle names, before the family name; the registry's
    // middle name has a label of its own.
    let button = page.body.find("value=\"move_middle\"").unwrap();
    let middle = page.body.find("id=\"middle_name\"").unwrap();
    let family = page.body.find("id=\"family_name\"").unwrap();
    assert!(middle < button && button < family, "{}", page.body);
    assert!(page
        .body
        .contains("<label for=\"legal_middle_name\">Legal middle names</label>"));
    assert_eq!(
        page.body.matches(">Middle names").count(),
        1,
        "{}",
        page.body
    );
    let form = [
        ("given_name", "Patricia Lynn"),
        ("middle_name", ""),
        ("family_name", "Okafor"),
        ("email", "patricia.okafor@example.org"),
        ("phone", "416-555-0199"),
        ("locale", "en"),
    ];
    let r = w.nav("personal", "move_middle", &form).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/register/personal?ui_locales=en"));
    let page = w.get("personal").await;
    assert_eq!(
        input_value(&page, "given_name").as_deref(),
        Some("Patricia")
    );
    assert_eq!(input_value(&page, "middle_name").as_deref(), Some("Lynn"));
    assert!(
        !page.body.contains("value=\"move_middle\""),
        "nothing left to move"
    );
    assert_eq!(
        input_value(&page, "email").as_deref(),
        Some("patricia.okafor@example.org"),
        "the rest of the form kept"
    );

    // Not moved: the preferred first name is "Patricia Lynn", and so is the login ID's.
    let w2 = env.start(PATRICIA).await;
    w2.pass("policies").await;
    w2.pass_with("personal", &form).await;
    for s in &STEPS[2..] {
        w2.pass(s).await;
    }
    let done = w2.get("complete?ui_locales=en").await;
    let login_id = login_id_shown(&done);
    assert_eq!(login_id, "PatriciaLynn.Okafor@ONEID.ON.CA");
    let a = env
        .app
        .provider
        .accounts
        .find_by_login_id(&login_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.given_name, "Patricia Lynn");
    assert!(a.middle_name.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn other_designations_are_checked_added_and_reset() {
    let env = env().await;
    // Someone else holds OCP 54321.
    env.app
        .provider
        .accounts
        .create(NewAccount {
            given_name: "Omar".into(),
            family_name: "Pharma".into(),
            password: "Clinic-Rounds-42".into(),
            designations: vec![Designation {
                college: "OCP".into(),
                registration_number: "54321".into(),
            }],
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let w = env.start(PATRICIA).await;
    w.walk_to("designation").await;
    let page = w.get("designation").await;
    assert!(!page.body.contains("id=\"college0\""), "no extra row yet");
    let added = w.nav("designation", "add", &[]).await;
    assert_eq!(added.status, 303);
    assert_eq!(
        added.location(),
        Some("/register/designation?ui_locales=en")
    );
    let page = w.get("designation").await;
    assert!(page.body.contains("id=\"college0\"") && page.body.contains("id=\"number0\""));
    let start = page.body.find("<select id=\"college0\"").unwrap();
    let select = &page.body[start..start + page.body[start..].find("</select>").unwrap()];
    assert!(select.contains("value=\"CNO\""));
    assert!(
        !select.contains("value=\"CPSO\""),
        "the registry's college is not offered again"
    );

    let cases: [(&str, &str, &str, &str); 6] = [
        ("", "12345", "college0", COLLEGE_NEEDED),
        ("XYZ", "12345", "college0", COLLEGE_NEEDED),
        ("CNO", "", "number0", NUMBER_NEEDED),
        ("CNO", "12345", "number0", NUMBER_FORMAT),
        ("CPSO", "12345", "college0", COLLEGE_TWICE),
        ("OCP", "54321", "number0", NUMBER_TAKEN),
    ];
    for (college, number, error_on, message) in cases {
        let r = w
            .next("designation", &[("college0", college), ("number0", number)])
            .await;
        assert_eq!(r.status, 400, "{college} {number}");
        assert_eq!(
            r.field_error(error_on).as_deref(),
            Some(message),
            "{college} {number}"
        );
        assert_eq!(
            input_value(&r, "number0").as_deref(),
            Some(number),
            "typed number kept"
        );
        assert_eq!(
            w.get("questions").await.location(),
            Some("/register/designation")
        );
    }
    // The same college on two rows.
    assert_eq!(
        w.nav(
            "designation",
            "add",
            &[("college0", "OCP"), ("number0", "1111")]
        )
        .await
        .status,
        303
    );
    let two = [
        ("college0", "OCP"),
        ("number0", "1111"),
        ("college1", "OCP"),
        ("number1", "2222"),
    ];
    let r = w.next("designation", &two).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.field_error("college1").as_deref(), Some(COLLEGE_TWICE));
    assert!(r.field_error("college0").is_none());
    // Reset the first row: the second moves up.
    let reset = w.nav("designation", "reset0", &two).await;
    assert_eq!(reset.status, 303);
    let page = w.get("designation").await;
    assert_eq!(selected(&page, "college0").as_deref(), Some("OCP"));
    assert_eq!(input_value(&page, "number0").as_deref(), Some("2222"));
    assert!(!page.body.contains("id=\"college1\""));
    // A row added and left empty is simply left out.
    assert_eq!(
        w.nav(
            "designation",
            "add",
            &[("college0", "OCP"), ("number0", "2222")]
        )
        .await
        .status,
        303
    );
    w.pass_with(
        "designation",
        &[
            ("college0", "OCP"),
            ("number0", "2222"),
            ("college1", ""),
            ("number1", ""),
        ],
    )
    .await;
    for s in &STEPS[3..] {
        w.pass(s).await;
    }
    let a = env
        .app
        .provider
        .accounts
        .find_by_designation("OCP", "2222")
        .await
        .unwrap()
        .expect("the added designation");
    assert_eq!(a.login_id, "Patricia.Okafor@ONEID.ON.CA");
    let mut held: Vec<String> = env
        .app
        .provider
        .accounts
        .designations(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| format!("{} {}", d.college, d.registration_number))
        .collect();
    held.sort();
    assert_eq!(held, ["CPSO 71234", "OCP 2222"]);
    assert_eq!(
        env.app
            .provider
            .accounts
            .find_by_designation("OCP", "1111")
            .await
            .unwrap()
            .map(|a| a.id),
        None,
        "the reset row is not stored"
    );
}

#[tokio::test]
async fn challenge_questions_must_differ_and_be_answered() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("questions").await;
    let valid = w.valid("questions");
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut f = valid.clone();
        for (k, v) in changes {
            for x in f.iter_mut() {
                if x.0 == *k {
                    x.1 = v;
                }
            }
        }
        f
    };
    type Form = Vec<(&'static str, &'static str)>;
    let cases: Vec<(Form, &str, &str)> = vec![
        (with(&[("online_q1", QUESTIONS[0].id)]), "online_q1", Q_SAME),
        (with(&[("desk_q1", QUESTIONS[0].id)]), "desk_q1", Q_SAME),
        (with(&[("online_q2", "")]), "online_q2", Q_NONE),
        (with(&[("desk_a1", " BISCUIT ")]), "desk_a1", A_SAME),
        (with(&[("online_a2", "")]), "online_a2", A_NONE),
    ];
    for (form, error_on, message) in cases {
        let r = w.next("questions", &form).await;
        assert_eq!(r.status, 400, "{error_on}");
        assert_eq!(r.field_error(error_on).as_deref(), Some(message));
        // The good rows are kept; a bad answer is typed again, not shown.
        assert_eq!(
            input_value(&r, "online_a0").as_deref(),
            Some(ANSWERS[0]),
            "{error_on}"
        );
        if error_on == "desk_a1" {
            assert_eq!(input_value(&r, "desk_a1").as_deref(), Some(""));
        }
        assert_eq!(w.get("phone").await.location(), Some("/register/questions"));
    }
    w.pass("questions").await;
}

#[tokio::test]
async fn challenge_phones_are_optional_but_must_be_valid_and_different() {
    let env = env().await;
    let w = env.start(SAMIRA).await;
    w.walk_to("phone").await;
    let rows = |p0: &'static str, p1: &'static str| {
        vec![
            ("phone0", p0),
            ("kind0", "mobile"),
            ("phone1", p1),
            ("kind1", "landline"),
            ("phone2", ""),
            ("kind2", "mobile"),
        ]
    };
    let bad = w.next("phone", &rows("416-555-0142", "call me")).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.field_error("phone1").as_deref(), Some(BAD_PHONE));
    assert_eq!(input_value(&bad, "phone1").as_deref(), Some("call me"));
    assert_eq!(selected(&bad, "kind1").as_deref(), Some("landline"));
    let dup = w
        .next("phone", &rows("416-555-0142", "+1 (416) 555-0142"))
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(dup.field_error("phone1").as_deref(), Some(PHONE_DUPLICATE));
    let kind = w
        .next(
            "phone",
            &[("phone0", "416-555-0142"), ("kind0", "satellite")],
        )
        .await;
    assert_eq!(kind.status, 400, "an unknown kind of phone");
    assert_eq!(w.get("mail").await.location(), Some("/register/phone"));
    // None at all, and no direct number: fine.
    let mut none = rows("", "");
    none.push(("no_direct_number", "on"));
    w.pass_with("phone", &none).await;
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
    assert!(env
        .app
        .provider
        .accounts
        .challenge_phones(&a.id)
        .await
        .unwrap()
        .is_empty());
    assert!(a.no_direct_number);
    // No email from the registry and one typed: kept.
    assert_eq!(a.email.as_deref(), Some("clinic.desk@example.org"));
}

#[tokio::test]
async fn the_password_is_typed_twice_and_follows_the_policy() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    let page = w.get("password").await;
    for rule in [
        "too_short",
        "no_lower",
        "no_upper",
        "no_digit",
        "contains_personal",
    ] {
        assert!(
            page.body.contains(&format!("<li data-rule=\"{rule}\">")),
            "{rule} listed"
        );
    }
    assert!(
        page.body.contains("data-personal=\""),
        "the names the script checks"
    );
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "Night-Rounds-2026",
            "Night-Rounds-2027",
            "confirm_password",
            PASSWORDS_DIFFER,
        ),
        ("", "", "new_password", REQUIRED),
        ("Ab1-x", "Ab1-x", "new_password", TOO_SHORT),
        (
            "Okafor-Clinic-2026",
            "Okafor-Clinic-2026",
            "new_password",
            CONTAINS_PERSONAL,
        ),
    ];
    for (new, confirm, error_on, message) in cases {
        let r = w
            .next(
                "password",
                &[("new_password", new), ("confirm_password", confirm)],
            )
            .await;
        assert_eq!(r.status, 400, "{new}: {}", r.body);
        assert_eq!(r.field_error(error_on).as_deref(), Some(message), "{new}");
        // What was typed is never sent back, anywhere on the page.
        assert!(new.is_empty() || !r.body.contains(new), "{new} echoed");
        assert_eq!(env.accounts().await, 0, "{new}: no account");
    }
    // The middle name counts too.
    let r = w
        .next(
            "password",
            &[
                ("new_password", "Lynn-Rounds-2026"),
                ("confirm_password", "Lynn-Rounds-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.field_error("new_password").as_deref(),
        Some(CONTAINS_PERSONAL)
    );
    assert_eq!(env.accounts().await, 0);
    w.pass("password").await;
    assert_eq!(env.accounts().await, 1);
}

#[tokio::test]
async fn jumping_ahead_leads_back_to_the_furthest_step_reached() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    for step in &STEPS[1..] {
        let r = w.get(step).await;
        assert_eq!(r.status, 303, "{step}");
        assert_eq!(r.location(), Some("/register/policies"), "{step}");
    }
    // Posting to a later step does not skip either (and stores nothing).
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.location(), Some("/register/policies"));
    w.pass("policies").await;
    w.pass("personal").await;
    let r = w.get("password").await;
    assert_eq!(r.location(), Some("/register/designation"));
    let r = w.next("questions", &w.valid("questions")).await;
    assert_eq!(r.location(), Some("/register/designation"));
    // Earlier steps stay open.
    assert_eq!(w.get("policies").await.status, 200);
    assert_eq!(w.get("personal").await.status, 200);
    assert_eq!(w.get("designation").await.status, 200);
    assert_eq!(
        w.get("complete").await.location(),
        Some("/register/designation")
    );
    assert_eq!(w.get("nonsense").await.status, 400);
    assert_eq!(env.accounts().await, 0);
}

#[tokio::test]
async fn back_keeps_what_was_typed() {
    let env = env().await;
    let w = env.start(SAMIRA).await;
    w.pass("policies").await;
    let typed = [
        ("title", "Prof."),
        ("given_name", "Sam"),
        ("middle_name", "R."),
        ("family_name", "Haddad"),
        ("email", "not-yet-valid"),
        ("phone", "613 555 0123"),
        ("locale", "fr"),
    ];
    let r = w.nav("personal", "back", &typed).await;
    assert_eq!(r.status, 303, "Back is not validated");
    assert_eq!(r.location(), Some("/register/policies?ui_locales=en"));
    let policies = w.get("policies").await;
    assert!(
        policies
            .body
            .contains("type=\"checkbox\" value=\"on\" checked"),
        "the agreement stays ticked"
    );
    let page = w.get("personal").await;
    for (k, v) in &typed[..6] {
        assert_eq!(input_value(&page, k).as_deref(), Some(*v), "{k}");
    }
    assert_eq!(selected(&page, "locale").as_deref(), Some("fr"));
    // Back from the questions keeps questions and answers.
    w.pass("personal").await;
    w.pass("designation").await;
    let r = w.nav("questions", "back", &w.valid("questions")).await;
    assert_eq!(r.location(), Some("/register/designation?ui_locales=en"));
    let page = w.get("questions").await;
    assert_eq!(selected(&page, "desk_q1").as_deref(), Some(QUESTIONS[4].id));
    assert_eq!(input_value(&page, "desk_a1").as_deref(), Some(ANSWERS[4]));
    assert_eq!(
        selected(&page, "online_q0").as_deref(),
        Some(QUESTIONS[0].id)
    );
}

#[tokio::test]
async fn without_the_one_mail_direct_step_the_wizard_has_six() {
    let env = env_with(|c| {
        c.registration.one_mail_step = false;
        c.registration.agreement_version = "2027-02".into();
    })
    .await;
    let w = env.start(PATRICIA).await;
    let page = w.get("policies").await;
    assert!(page.body.contains("Step 1 of 6: Policies"));
    assert!(!page.body.contains("ONE Mail Direct"));
    assert!(page.body.contains("<dd>2027-02</dd>"));
    for s in &STEPS[..4] {
        w.pass(s).await;
    }
    let r = w.next("phone", &w.valid("phone")).await;
    assert_eq!(r.location(), Some("/register/password?ui_locales=en"));
    assert_eq!(w.get("mail").await.status, 400, "no such step");
    assert!(w
        .get("password")
        .await
        .body
        .contains("Step 6 of 6: Set password"));
    w.pass("password").await;
    let a = env
        .app
        .provider
        .accounts
        .find_by_login_id("Patricia.Okafor@ONEID.ON.CA")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.agreement_version.as_deref(), Some("2027-02"));
}

#[tokio::test]
async fn an_unfinished_registration_is_kept_thirty_minutes() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("questions").await;
    env.app.clock.advance(1790);
    assert_eq!(w.get("questions").await.status, 200);
    env.app.clock.advance(11);
    let r = w.get("questions").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains(&esc(EXPIRED)));
    let r = w.next("questions", &w.valid("questions")).await;
    assert_eq!(r.status, 400);
    assert_eq!(env.accounts().await, 0);
}

#[tokio::test]
async fn a_number_taken_by_someone_else_before_the_end_is_reported_and_nothing_is_stored() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("designation").await;
    assert_eq!(w.nav("designation", "add", &[]).await.status, 303);
    w.pass_with("designation", &[("college0", "OCP"), ("number0", "2222")])
        .await;
    for s in &STEPS[3..6] {
        w.pass(s).await;
    }
    // Meanwhile an LRA registers someone else with that number.
    env.app
        .provider
        .accounts
        .create(NewAccount {
            given_name: "Omar".into(),
            family_name: "Pharma".into(),
            password: "Clinic-Rounds-42".into(),
            designations: vec![Designation {
                college: "OCP".into(),
                registration_number: "2222".into(),
            }],
            ..NewAccount::default()
        })
        .await
        .unwrap();
    // The last step checks every earlier one again: the member is shown the designation step
    // with the number marked.
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("id=\"step-designation\""), "{}", r.body);
    assert!(
        r.body
            .contains("This registration number belongs to another account."),
        "{}",
        r.body
    );
    // ... and the steps after it are closed until it passes again.
    let back = w.get("password").await;
    assert_eq!(back.location(), Some("/register/designation"));
    assert_eq!(env.accounts().await, 1, "only the other one");
    assert!(env
        .app
        .provider
        .accounts
        .find_by_designation("CPSO", PATRICIA.number)
        .await
        .unwrap()
        .is_none());
    // Back to the designations, the row removed: it completes.
    assert_eq!(
        w.nav(
            "designation",
            "reset0",
            &[("college0", "OCP"), ("number0", "2222")]
        )
        .await
        .status,
        303
    );
    w.pass_with("designation", &[]).await;
    for s in &STEPS[3..] {
        w.pass(s).await;
    }
    assert_eq!(env.accounts().await, 2);
}

// ------------------------------------------------------------------ 3. refused hand-offs

/// Hands `token` over in a new browser and checks that it is refused with `status` and the
/// matching page, audited with `code`, and that nothing started: no wizard cookie, no wizard,
/// no account.
async fn refused(env: &Env, token: &str, status: u16, code: &str) {
    let app = &env.app;
    let accounts = env.accounts().await;
    let started = app.audit("registration.started").await.len();
    let b = Browser::new();
    let r = hand_off(app, &b, token).await;
    assert_eq!(r.status, status, "{code}: {}", r.body);
    assert!(r.body.contains(REFUSED_TITLE), "{code}: {}", r.body);
    let text = if status == 403 {
        REFUSED_REGISTRY
    } else {
        REFUSED_INVALID
    };
    assert!(r.body.contains(&esc(text)), "{code}: {}", r.body);
    assert_eq!(wizard_cookie(&r), None, "{code}: no wizard cookie");
    let next = b.get(&format!("{}/register/policies", app.base)).await;
    assert_eq!(next.status, 400, "{code}: no wizard");
    assert!(next.body.contains(&esc(EXPIRED)));
    assert_eq!(env.accounts().await, accounts, "{code}: no account");
    assert_eq!(
        app.audit("registration.started").await.len(),
        started,
        "{code}"
    );
    let audited = app.audit("registration.refused").await;
    assert_eq!(audited[0].detail.as_deref(), Some(code));
}

#[tokio::test]
async fn a_hand_off_is_used_once() {
    let env = env().await;
    let token = env.handoff(&PATRICIA, json!({}));
    let w = Wiz::start(&env.app, PATRICIA, &token).await;
    refused(&env, &token, 400, "replayed").await;
    // The first one carries on.
    assert_eq!(w.get("policies").await.status, 200);
}

#[tokio::test]
async fn expired_and_overlong_hand_offs_are_refused() {
    let env = env().await;
    let token = env.handoff(&PATRICIA, json!({}));
    // Five minutes and the 30 s leeway later.
    env.app.clock.advance(300 + 31);
    refused(&env, &token, 400, "expired").await;
    let now = env.now();
    let long = env.handoff(&PATRICIA, json!({"iat": now, "exp": now + 601}));
    refused(&env, &long, 400, "bad_lifetime").await;
    let future = env.handoff(&PATRICIA, json!({"iat": now + 120, "exp": now + 300}));
    refused(&env, &future, 400, "bad_lifetime").await;
    // Ten minutes exactly is still acceptable.
    let ten = env.handoff(&PATRICIA, json!({"iat": now, "exp": now + 600}));
    Wiz::start(&env.app, PATRICIA, &ten).await;
}

#[tokio::test]
async fn a_hand_off_with_a_name_no_account_can_hold_is_refused_before_the_wizard() {
    let env = env().await;
    // The identity is locked in the wizard, so such a name could never be completed.
    for (claim, value) in [
        ("family_name", "Haddad/Noor"),
        ("given_name", "Sam<script>"),
        ("middle_name", "a;b"),
        ("gender", "x=y"),
    ] {
        let token = env.handoff(&PATRICIA, json!({ claim: value }));
        refused(&env, &token, 400, "malformed").await;
    }
}

#[tokio::test]
async fn hand_offs_not_signed_by_the_registry_or_not_for_us_are_refused() {
    let env = env().await;
    let (other_key, _) = key_pair();
    let claims = env.claims(&PATRICIA);
    // Another key under the registry's kid.
    refused(
        &env,
        &sign_with(&other_key, Some(&env.kid), &claims),
        400,
        "bad_signature",
    )
    .await;
    // A kid the registry does not have.
    refused(
        &env,
        &sign_with(&env.key, Some("no-such-key"), &env.claims(&PATRICIA)),
        400,
        "bad_signature",
    )
    .await;
    // A payload changed after signing.
    let good = env.sign(&env.claims(&PATRICIA));
    let parts: Vec<&str> = good.split('.').collect();
    let mut altered = env.claims(&PATRICIA);
    altered["registration_number"] = "99999".into();
    let altered_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&altered).unwrap(),
    );
    refused(
        &env,
        &format!("{}.{altered_payload}.{}", parts[0], parts[2]),
        400,
        "bad_signature",
    )
    .await;
    // A registry we do not know, even with a key it made up.
    let mut stranger = env.claims(&PATRICIA);
    stranger["iss"] = "cno".into();
    refused(
        &env,
        &sign_with(&other_key, Some("k1"), &stranger),
        400,
        "unknown_registry",
    )
    .await;
    // Addressed to another server.
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({"aud": "https://idp.elsewhere.example"})),
        400,
        "wrong_audience",
    )
    .await;
    // Another college than the registry's.
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({"college": "CNO"})),
        400,
        "wrong_college",
    )
    .await;
    // Required claims missing.
    for claim in [
        "registration_number",
        "sub",
        "given_name",
        "family_name",
        "consent_version",
        "jti",
    ] {
        refused(
            &env,
            &env.handoff(&PATRICIA, json!({ claim: null })),
            400,
            "missing_claim",
        )
        .await;
    }
    // Not a signed assertion at all.
    refused(&env, "not-a-jwt", 400, "malformed").await;
    refused(&env, "", 400, "malformed").await;
    // A good one still starts.
    env.start(PATRICIA).await;
}

#[tokio::test]
async fn suspended_and_terminated_registries_send_no_new_registrants() {
    let env = env().await;
    let regs = &env.app.provider.registration.registries;
    regs.set_status(REGISTRY, RegistryStatus::Suspended)
        .await
        .unwrap();
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({})),
        403,
        "registry_suspended",
    )
    .await;
    // Reinstated: accepted again.
    regs.set_status(REGISTRY, RegistryStatus::Approved)
        .await
        .unwrap();
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    // Suspended while a member is in the wizard: the registration is not completed.
    regs.set_status(REGISTRY, RegistryStatus::Suspended)
        .await
        .unwrap();
    let r = w.next("password", &w.valid("password")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains(&esc(REFUSED_REGISTRY)));
    assert_eq!(env.accounts().await, 0);
    regs.set_status(REGISTRY, RegistryStatus::Approved)
        .await
        .unwrap();
    // A limited approval whose window is over.
    let now = env.now();
    regs.update(
        REGISTRY,
        RegistryUpdate {
            approval: Some(Approval::Limited),
            approved_from: Some(Some(now - 86_400)),
            approved_until: Some(Some(now - 60)),
            ..RegistryUpdate::default()
        },
    )
    .await
    .unwrap();
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({})),
        403,
        "outside_approval",
    )
    .await;
    regs.update(
        REGISTRY,
        RegistryUpdate {
            approval: Some(Approval::General),
            approved_from: Some(None),
            approved_until: Some(None),
            ..RegistryUpdate::default()
        },
    )
    .await
    .unwrap();
    env.start(PATRICIA).await;
    // Terminated: for good.
    regs.set_status(REGISTRY, RegistryStatus::Terminated)
        .await
        .unwrap();
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({})),
        403,
        "registry_terminated",
    )
    .await;
    assert!(regs
        .set_status(REGISTRY, RegistryStatus::Approved)
        .await
        .is_err());
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({})),
        403,
        "registry_terminated",
    )
    .await;
}

#[tokio::test]
async fn after_a_key_rotation_the_old_key_works_only_during_the_overlap() {
    let env = env().await;
    let (new_key, new_public) = key_pair();
    let added = env
        .app
        .provider
        .registration
        .registries
        .add_key(REGISTRY, "ES256", &new_public, Some("cpso-2026"), Some(600))
        .await
        .unwrap();
    assert_eq!(added.kid, "cpso-2026");
    let by_new = |env: &Env| sign_with(&new_key, Some("cpso-2026"), &env.claims(&PATRICIA));
    // Within the overlap: both keys.
    env.app.clock.advance(590);
    Wiz::start(&env.app, PATRICIA, &env.handoff(&PATRICIA, json!({}))).await;
    Wiz::start(&env.app, PATRICIA, &by_new(&env)).await;
    // After it: the new key only.
    env.app.clock.advance(11);
    refused(
        &env,
        &env.handoff(&PATRICIA, json!({})),
        400,
        "bad_signature",
    )
    .await;
    Wiz::start(&env.app, PATRICIA, &by_new(&env)).await;
}

// ------------------------------------------------------------------ 4. existing accounts

#[tokio::test]
async fn a_member_who_has_an_account_is_sent_to_the_welcome_page() {
    let env = env().await;
    let existing = env
        .app
        .provider
        .accounts
        .create(NewAccount {
            given_name: "Patricia".into(),
            family_name: "Okafor".into(),
            password: "Clinic-Rounds-42".into(),
            designations: vec![Designation {
                college: "CPSO".into(),
                registration_number: PATRICIA.number.into(),
            }],
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let b = Browser::new();
    let r = hand_off(&env.app, &b, &env.handoff(&PATRICIA, json!({}))).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), Some("/register/welcome?ui_locales=en"));
    assert_eq!(wizard_cookie(&r), None);
    let page = b
        .get(&format!("{}{}", env.app.base, r.location().unwrap()))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Welcome to ONE ID"));
    assert!(page.body.contains(&esc(EXISTING_NOTICE)), "{}", page.body);
    assert!(page
        .body
        .contains("href=\"/forgot-password?ui_locales=en\""));
    assert_eq!(
        b.get(&format!("{}/register/policies", env.app.base))
            .await
            .status,
        400
    );
    assert_eq!(env.accounts().await, 1, "no second account");
    let audited = env.app.audit("registration.existing_account").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].subject.as_deref(), Some(existing.id.as_str()));
}

#[tokio::test]
async fn a_member_registered_before_goes_to_the_welcome_page_even_under_a_new_number() {
    let env = env().await;
    env.register(PATRICIA).await;
    // The registry's identifier is the same; the number is not (e.g. a corrected record).
    let b = Browser::new();
    let r = hand_off(
        &env.app,
        &b,
        &env.handoff(&PATRICIA, json!({"registration_number": "71999"})),
    )
    .await;
    assert_eq!(r.location(), Some("/register/welcome?ui_locales=en"));
    assert_eq!(env.accounts().await, 1);
}

// ------------------------------------------------------------------ 5. concurrency

#[tokio::test]
async fn two_completions_for_one_member_at_once_make_one_account() {
    let env = env().await;
    let w1 = env.start(PATRICIA).await;
    let w2 = env.start(PATRICIA).await;
    w1.walk_to("password").await;
    w2.walk_to("password").await;
    let form = w1.valid("password");
    let (r1, r2) = tokio::join!(w1.next("password", &form), w2.next("password", &form));
    assert_eq!(env.accounts().await, 1, "{}\n{}", r1.body, r2.body);
    let a = env
        .app
        .provider
        .accounts
        .find_by_designation("CPSO", PATRICIA.number)
        .await
        .unwrap()
        .expect("the account");
    let mut outcomes = [
        r1.location().unwrap_or_default().to_owned(),
        r2.location().unwrap_or_default().to_owned(),
    ];
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "/register/complete?ui_locales=en",
            "/register/welcome?ui_locales=en"
        ],
        "{} {}\n{}\n{}",
        r1.status,
        r2.status,
        r1.body,
        r2.body
    );
    let (winner, loser) = if r1.location() == Some("/register/complete?ui_locales=en") {
        (&w1, &w2)
    } else {
        (&w2, &w1)
    };
    let done = winner.get("complete?ui_locales=en").await;
    assert_eq!(login_id_shown(&done), a.login_id);
    let welcome = loser.get("welcome?ui_locales=en").await;
    assert!(welcome.body.contains(&esc(EXISTING_NOTICE)));
    // Submitting the losing wizard again makes no second account either.
    let again = loser.next("password", &form).await;
    assert_ne!(
        again.location(),
        Some("/register/complete?ui_locales=en"),
        "{}",
        again.body
    );
    assert_eq!(env.accounts().await, 1);
    assert_eq!(
        env.app.audit("account.registered").await.len(),
        1,
        "one registration"
    );
}

#[tokio::test]
async fn a_double_submitted_last_step_makes_one_account() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    w.walk_to("password").await;
    let form = w.valid("password");
    let (r1, r2) = tokio::join!(w.next("password", &form), w.next("password", &form));
    assert_eq!(env.accounts().await, 1, "{}\n{}", r1.body, r2.body);
    for r in [&r1, &r2] {
        assert_eq!(r.status, 303, "{}", r.body);
    }
    // The second submission waits for the first and shows the same outcome.
    assert!(
        [&r1, &r2]
            .iter()
            .all(|r| r.location() == Some("/register/complete?ui_locales=en")),
        "{:?} {:?}",
        r1.location(),
        r2.location()
    );
    // The browser shows the registration it made.
    let done = w.get("complete?ui_locales=en").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(login_id_shown(&done), "Patricia.Okafor@ONEID.ON.CA");
}

// ------------------------------------------------------------------ 6. Cancel

#[tokio::test]
async fn cancel_on_any_step_ends_the_wizard_and_stores_nothing() {
    let env = env().await;
    for (i, step) in STEPS.iter().enumerate() {
        let accounts = env.accounts().await;
        let w = env.start(PATRICIA).await;
        w.walk_to(step).await;
        let page = w.get(step).await;
        assert!(
            page.body.contains("name=\"nav\" value=\"cancel\""),
            "{step}: a Cancel button"
        );
        assert_eq!(
            page.body.contains("name=\"nav\" value=\"back\""),
            i > 0,
            "{step}: Back after the first step"
        );
        // Cancel asks first; "No" keeps everything.
        let ask = w.nav(step, "cancel", &w.valid(step)).await;
        assert_eq!(ask.status, 200, "{step}: {}", ask.body);
        assert!(ask.body.contains("Cancel your registration?"), "{step}");
        assert!(!ask.body.contains(CANCELLED_TITLE), "{step}");
        assert!(
            ask.body.contains(&format!(
                "href=\"/register/{step}?ui_locales=en\">No, continue"
            )),
            "{step}: {}",
            ask.body
        );
        assert_eq!(w.get(step).await.status, 200, "{step}: still there");
        let mut f = w.valid(step);
        f.push(("confirm_cancel", "1"));
        let r = w.nav(step, "cancel", &f).await;
        assert_eq!(r.status, 200, "{step}: {}", r.body);
        assert!(r.body.contains(CANCELLED_TITLE), "{step}");
        assert!(
            r.body.contains("href=\"/?ui_locales=en\""),
            "{step}: a way on"
        );
        let cleared = r.headers.get("set-cookie").cloned().unwrap_or_default();
        assert!(
            cleared
                .lines()
                .any(|c| c.starts_with("oneid_signup=;") && c.contains("Max-Age=0")),
            "{step}: the cookie is cleared: {cleared}"
        );
        // The browser's next request finds no wizard...
        let after = w.get(step).await;
        assert_eq!(after.status, 400, "{step}");
        assert!(after.body.contains(&esc(EXPIRED)));
        // ...and neither does the old cookie: the state is gone on the server.
        let stale = with_cookie(&env.app, "policies", &w.cookie).await;
        assert_eq!(stale.status, 400, "{step}: {}", stale.body);
        assert!(stale.body.contains(&esc(EXPIRED)));
        let r = w.next(step, &w.valid(step)).await;
        assert_eq!(r.status, 400, "{step}: nothing to submit to");
        assert_eq!(env.accounts().await, accounts, "{step}: no account");
    }
    let cancelled: Vec<String> = env
        .app
        .audit("registration.cancelled")
        .await
        .into_iter()
        .filter_map(|r| r.detail)
        .collect();
    assert_eq!(cancelled.len(), 7);
    assert!(cancelled[0].ends_with("step=password"), "{cancelled:?}");
    assert!(cancelled[6].ends_with("step=policies"), "{cancelled:?}");
    assert_eq!(env.accounts().await, 0);
}

// ------------------------------------------------------------------ 7. terminations

#[tokio::test]
async fn accounts_the_registry_reports_terminated_are_terminated_with_their_sessions() {
    let env = env().await;
    let app = &env.app;
    let (patricia, patricia_id) = env.register(PATRICIA).await;
    let (samira, samira_id) = env.register(SAMIRA).await;
    let rp = viewer(app).await;
    let bp = Browser::new();
    let bs = Browser::new();
    let tp = rp.login(&bp, &patricia, PASSWORD).await;
    let ts = rp.login(&bs, &samira, PASSWORD).await;
    // The refresh tokens work before.
    let (status, body) = refresh(app, &tp.refresh_token().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let rt_p = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = refresh(app, &ts.refresh_token().unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let rt_s = body["refresh_token"].as_str().unwrap().to_owned();

    // An administrator imports the registry's list.
    let t = app
        .provider
        .registration
        .terminate_members(REGISTRY, &[PATRICIA.sub.into(), "m-00000".into()], "test")
        .await
        .unwrap();
    assert_eq!(t.terminated, [PATRICIA.sub]);
    assert_eq!(t.unknown, ["m-00000"]);
    let a = app
        .provider
        .accounts
        .find_by_id(&patricia_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Terminated);
    let (status, body) = refresh(app, &rt_p).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let s = rp.start(&["profile"], &[]);
    let page = bp.get(&s.url).await;
    assert!(page.is_login_page(), "the SSO session is over");
    let r = bp.login(&app.base, &page, &patricia, PASSWORD).await;
    assert_eq!(r.status, 401, "no sign-in");
    // Samira is untouched so far.
    let (status, body) = refresh(app, &rt_s).await;
    assert_eq!(status, 200, "{body}");
    let rt_s = body["refresh_token"].as_str().unwrap().to_owned();

    // The registry reports through its signed report.
    let now = env.now();
    let report = env.report(&[SAMIRA.sub, PATRICIA.sub]);
    let post = |token: String| async move {
        reqwest::Client::new()
            .post(format!("{}/registries/terminations", app.base))
            .header("content-type", "application/jwt")
            .body(token)
            .send()
            .await
            .unwrap()
    };
    let answer = post(report.clone()).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["terminated"], json!([SAMIRA.sub]));
    assert_eq!(body["already"], json!([PATRICIA.sub]));
    let a = app
        .provider
        .accounts
        .find_by_id(&samira_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Terminated);
    let (status, _) = refresh(app, &rt_s).await;
    assert_eq!(status, 400);
    let page = bs.get(&rp.start(&["profile"], &[]).url).await;
    assert!(page.is_login_page());
    assert_eq!(
        bs.login(&app.base, &page, &samira, PASSWORD).await.status,
        401
    );
    // A report is used once; one signed by someone else is refused.
    assert_eq!(post(report).await.status(), 401);
    let (other, _) = key_pair();
    let forged = report_with(
        &other,
        Some(&env.kid),
        &json!({
            "iss": REGISTRY, "aud": app.base, "jti": "forged-1", "iat": now,
            "exp": now + 300, "terminated": ["m-12345"],
        }),
    );
    assert_eq!(post(forged).await.status(), 401);
    assert_eq!(app.audit("account.terminated").await.len(), 2);
    assert_eq!(app.audit("registry.report_refused").await.len(), 2);
    // A terminated member cannot register again either, and is told why (not sent to a
    // sign-in page that cannot work).
    let b = Browser::new();
    let r = hand_off(app, &b, &env.handoff(&PATRICIA, json!({}))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("has been terminated"), "{}", r.body);
    assert!(r.location().is_none());
}

// ------------------------------------------------------------------ 8. in their own files

mod demo;
mod details;
mod lifetime;
mod limited;
mod marks;
mod rules;
mod same_person;
mod tokens;

/// Every step of the wizard and its end, through the page sweep (axe-core, a phone's width,
/// French left in no English line, the tab title), in both languages.
#[tokio::test]
async fn every_wizard_step_passes_the_page_sweep() {
    let env = env().await;
    let w = env.start(PATRICIA).await;
    let mut sweep = crate::page_sweep::Sweep::start(&env.app.base).await;
    sweep.chrome.goto(&format!("{}/help", env.app.base)).await;
    sweep.chrome.add_cookie("oneid_signup", &w.cookie).await;
    for step in STEPS {
        sweep
            .visit(
                "member",
                &format!("wizard-{step}"),
                &format!("/register/{step}"),
            )
            .await;
        w.pass(step).await;
    }
    sweep
        .visit("member", "wizard-complete", "/register/complete")
        .await;
    sweep.finish().await;
}

// ------------------------------------------------------------------ 9. a real browser

mod chromium {
    use super::*;
    use oneid::demo_registry::{demo_members, serve, DemoRegistry, Portal};
    use oneid_tests::webdriver::Browser as Chrome;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn shots() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
    }

    /// Waits until the page's HTML satisfies `ok`.
    async fn wait_until(chrome: &Chrome, what: &str, ok: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let src = chrome.source().await;
            if ok(&src) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what} on {}:\n{src}",
                chrome.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the main button of `step` and waits for the next step's form.
    async fn next(chrome: &Chrome, step: &str, then: &str) {
        chrome
            .click(&format!("#step-{step} .buttons button[name=next]"))
            .await;
        chrome.wait_for(then).await;
    }

    async fn met(chrome: &Chrome, rule: &str) -> bool {
        chrome
            .has(&format!("#password-rules li[data-rule='{rule}'].met"))
            .await
    }

    /// Walks the wizard from the portal's "Sign up" button of member `number` in `names`'
    /// language; returns the login ID shown at the end.
    async fn walk(
        chrome: &Chrome,
        app: &TestApp,
        portal: &str,
        number: &str,
        names: [&str; 7],
        lang: &str,
    ) -> String {
        chrome.goto(&format!("{portal}/")).await;
        chrome.wait_for("#portal").await;
        chrome
            .click(&format!("#signup-{number} button[type=submit]"))
            .await;
        chrome.wait_for("#step-policies").await;
        assert!(chrome
            .url()
            .await
            .starts_with(&format!("{}/register/policies", app.base)));
        let src = chrome.source().await;
        assert!(
            src.contains(&format!("<html lang=\"{lang}\"")),
            "page language {lang}"
        );
        for (i, name) in names.iter().enumerate() {
            let shown = chrome
                .text(&format!("#progress li:nth-child({})", i + 1))
                .await;
            assert!(shown.ends_with(name), "step {} is {name}: {shown}", i + 1);
        }
        assert!(
            !chrome.has("#progress li:nth-child(8)").await,
            "seven steps"
        );
        assert!(chrome
            .text("#progress li.current")
            .await
            .ends_with(names[0]));
        chrome
            .screenshot(&shots().join(format!("register-{lang}-1-policies.png")))
            .await;
        chrome.click("#agree").await;
        next(chrome, "policies", "#step-personal").await;
        assert!(chrome
            .text("#progress li.current")
            .await
            .ends_with(names[1]));
        chrome.type_into("#phone", "416-555-0199").await;
        next(chrome, "personal", "#step-designation").await;
        next(chrome, "designation", "#step-questions").await;
        for (i, q) in [(0, 0), (1, 1), (2, 2)] {
            chrome
                .click(&format!("#online_q{i} option[value='{}']", QUESTIONS[q].id))
                .await;
            chrome.type_into(&format!("#online_a{i}"), ANSWERS[q]).await;
        }
        for (i, q) in [(0, 3), (1, 4)] {
            chrome
                .click(&format!("#desk_q{i} option[value='{}']", QUESTIONS[q].id))
                .await;
            chrome.type_into(&format!("#desk_a{i}"), ANSWERS[q]).await;
        }
        chrome
            .screenshot(&shots().join(format!("register-{lang}-4-questions.png")))
            .await;
        next(chrome, "questions", "#step-phone").await;
        chrome.type_into("#phone0", "416-555-0142").await;
        next(chrome, "phone", "#step-mail").await;
        next(chrome, "mail", "#step-password").await;
        assert!(chrome
            .text("#progress li.current")
            .await
            .ends_with(names[6]));
        // The rules light up as the password is typed.
        chrome
            .wait_for("#password-rules li[data-rule='too_short']")
            .await;
        for rule in [
            "too_short",
            "no_lower",
            "no_upper",
            "no_digit",
            "contains_personal",
        ] {
            assert!(!met(chrome, rule).await, "{rule} not met before typing");
        }
        chrome.type_into("#new_password", "rounds").await;
        assert!(met(chrome, "no_lower").await);
        assert!(!met(chrome, "no_upper").await && !met(chrome, "too_short").await);
        assert!(met(chrome, "contains_personal").await);
        chrome.type_into("#new_password", "-Night").await;
        assert!(met(chrome, "too_short").await && met(chrome, "no_upper").await);
        assert!(!met(chrome, "no_digit").await);
        chrome.type_into("#new_password", "-2026").await;
        for rule in [
            "too_short",
            "no_lower",
            "no_upper",
            "no_digit",
            "contains_personal",
        ] {
            assert!(met(chrome, rule).await, "{rule} met");
        }
        chrome
            .screenshot(&shots().join(format!("register-{lang}-7-password.png")))
            .await;
        chrome.clear("#new_password").await;
        chrome.type_into("#new_password", PASSWORD).await;
        chrome.type_into("#confirm_password", PASSWORD).await;
        chrome
            .click("#step-password .buttons button[name=next]")
            .await;
        wait_until(chrome, "the completion page", |s| {
            s.contains("<dl class=\"facts\">")
        })
        .await;
        assert!(chrome.url().await.contains("/register/complete"));
        chrome
            .screenshot(&shots().join(format!("register-{lang}-8-complete.png")))
            .await;
        let page = chrome.source().await;
        assert!(page.contains(AL1_SERVICE) && !page.contains(AL3_SERVICE));
        chrome.text("dl.facts dd").await
    }

    /// Signs in at the relying party in the browser; the ID token's subject.
    async fn sign_in(chrome: &Chrome, rp: &Rp, login_id: &str) -> String {
        let s = rp.start(&["profile"], &[]);
        chrome.goto(&s.url).await;
        chrome.wait_for("#login_id").await;
        chrome.type_into("#login_id", login_id).await;
        chrome.type_into("#password", PASSWORD).await;
        chrome.click("button[type=submit]").await;
        let mut url = String::new();
        for _ in 0..100 {
            url = chrome.url().await;
            if url.starts_with(&rp.cfg.redirect_uri) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(url.starts_with(&rp.cfg.redirect_uri), "at {url}");
        let q: std::collections::HashMap<String, String> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(q.get("state"), Some(&s.state));
        let code = q["code"].clone();
        let tokens = rp.finish(s, &code).await;
        tokens.claims.subject().as_str().to_owned()
    }

    #[tokio::test]
    async fn members_register_from_the_registry_portal_in_english_and_french_in_a_real_browser() {
        let env = env().await;
        let app = &env.app;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let portal_base = format!("http://{}", listener.local_addr().unwrap());
        let members = demo_members()
            .into_iter()
            .filter(|m| m.registration_number == "71234" || m.registration_number == "80457")
            .collect();
        let portal = Portal {
            issuer: app.base.clone(),
            registry: DemoRegistry {
                id: REGISTRY.into(),
                college: "CPSO".into(),
                kid: env.kid.clone(),
                private_pem: env.key.clone(),
            },
            members,
            base: portal_base.clone(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(serve(portal, listener, async {
            let _ = stopped.await;
        }));
        let rp = viewer(app).await;

        // English: Patricia Lynn Okafor, whose middle name stays with her first name.
        let chrome = Chrome::start().await;
        let login_en = walk(&chrome, app, &portal_base, "71234", STEP_NAMES_EN, "en").await;
        assert_eq!(login_en, "PatriciaLynn.Okafor@ONEID.ON.CA");
        let a = app
            .provider
            .accounts
            .find_by_login_id(&login_en)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sign_in(&chrome, &rp, &login_en).await, a.id);
        chrome.quit().await;

        // French, from the registry's language claim: Étienne Gagnon-Roy.
        let chrome = Chrome::start().await;
        let login_fr = walk(&chrome, app, &portal_base, "80457", STEP_NAMES_FR, "fr").await;
        assert_eq!(login_fr, "Etienne.Gagnon-Roy@ONEID.ON.CA");
        let a = app
            .provider
            .accounts
            .find_by_login_id(&login_fr)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.locale, "fr");
        assert_eq!(a.legal_given_name.as_deref(), Some("Étienne"));
        assert_eq!(sign_in(&chrome, &rp, &login_fr).await, a.id);
        chrome.quit().await;

        let _ = stop.send(());
        served.await.unwrap();
        assert_eq!(app.audit("account.registered").await.len(), 2);
    }
}

#[tokio::test]
async fn the_last_page_offers_a_passkey_where_the_provider_can_use_them() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    // Served as `localhost`: a WebAuthn relying party.
    let named = env_with(move |c| {
        c.http.addr = format!("127.0.0.1:{port}");
        c.issuer = format!("http://localhost:{port}");
    })
    .await;
    let w = named.start(PATRICIA).await;
    w.finish().await;
    let done = w.get("complete?ui_locales=fr").await;
    assert!(
        done.body
            .contains("href=\"/account/passkeys?ui_locales=fr\"")
            && done.body.contains("Ajouter une clé d’accès"),
        "{}",
        done.body
    );
    // On an address, no passkey is offered.
    let plain = env().await;
    let w = plain.start(PATRICIA).await;
    w.finish().await;
    let done = w.get("complete?ui_locales=en").await;
    assert!(!done.body.contains("/account/passkeys"), "{}", done.body);
}
