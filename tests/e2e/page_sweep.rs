//! Every page, checked by machines in a real browser: each page a newcomer, a clinician and a
//! staff member (administrator and service desk) opens, in English and French, at a desktop's
//! width (1280 × 900) and a phone's (390 × 844):
//! - axe-core (from the npm registry, installed by `scripts/test`) runs in the page: no
//!   serious or critical violation;
//! - nothing is wider than the screen;
//! - the tab title is text (no markup);
//! - no line of the English page is left on the French one (the page's visible lines in
//!   English are the catalogue the French page is checked against; names, addresses and
//!   numbers are the same in both and are not words to translate);
//! - a screenshot per page, language and width in `target/screenshots/pages/`.
//!
//! Every problem of every page is collected, then the test fails once with the whole list.

use crate::admin_api::{administrator, console_sign_in, ADMIN_LOGIN, ADMIN_PASSWORD};
use oneid_tests::browser::Browser as Http;
use oneid_tests::rp::Rp;
use oneid_tests::webdriver::Browser;
use oneid_tests::{spawn_app, TestApp, LOGIN_ID, PASSWORD};
use std::collections::HashSet;
use std::path::PathBuf;

const WIDTHS: [(&str, u32, u32); 2] = [("desktop", 1280, 900), ("phone", 390, 844)];

fn shots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots/pages");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// axe-core's script: `ONEID_TEST_AXE`, else where `scripts/test` installs it.
fn axe_source() -> String {
    let path = std::env::var("ONEID_TEST_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core not found at {} ({e}): scripts/test installs it \
             (npm install --prefix target/axe axe-core)",
            path.display()
        )
    })
}

/// The session cookie of a signed-in HTTP browser, to hand to Chromium.
pub(crate) fn session_of(b: &Http, base: &str) -> String {
    b.cookie_header(base)
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "oneid_session")
        .map(|(_, v)| v.to_owned())
        .expect("a session cookie")
}

/// A line that is the same in every language: a name, an address, a number, a code, an
/// identifier; a table row is checked cell by cell.
fn language_neutral(line: &str, neutral: &HashSet<&str>) -> bool {
    line.split('\t').all(|cell| {
        let cell = cell.trim();
        let words: Vec<&str> = cell
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() > 2)
            .collect();
        words.is_empty()
            || neutral.contains(cell)
            || cell.contains('@')
            || cell.starts_with("http")
            // Event names, client ids, key ids: code, not words.
            || (!cell.contains(' ') && (cell.contains('.') || cell.contains('_') || cell.contains('-')))
            // A list of codes (grant types, scopes).
            || cell.split(", ").all(|part| {
                !part.is_empty()
                    && !part.contains(' ')
                    && (part.contains('_') || part.contains('.') || part.contains(':'))
            })
            // Random identifiers (a session's): one word, its case changing inside it.
            || (!cell.contains(' ')
                && cell.len() >= 16
                && cell
                    .chars()
                    .zip(cell.chars().skip(1))
                    .filter(|(a, b)| a.is_lowercase() && b.is_uppercase())
                    .count()
                    >= 3)
            || words.iter().all(|w| {
                neutral.contains(w)
                    || neutral.iter().any(|n| n.eq_ignore_ascii_case(w))
                    || w.chars().any(|c| c.is_ascii_digit())
                    || w.chars().all(|c| !c.is_lowercase())
            })
    })
}

/// Words that are the same in both languages: names of people, places, products and test
/// data, words French shares with English, the languages' own names, method codes.
const NEUTRAL: &[&str] = &[
    // Names of people, places, products and test data.
    "Randy",
    "Burt",
    "Ada",
    "Admin",
    "Linux",
    "Chrome",
    "Test",
    "Viewers",
    "Clinic",
    "EdDSA",
    "connectingontario",
    "otnhub",
    "fhir",
    "Ontario",
    "Journal",
    "Margaret",
    "Okafor",
    "Family medicine visit (2026-11-18 09:30)",
    "Diabetes clinic (2026-08-04 13:15)",
    // Words that are the same in French.
    "Administration",
    "Actions",
    "Services",
    "Service",
    "Provenance",
    "Public",
    "Note",
    "Code",
    "Type",
    "Description",
    "Question",
    "Active",
    "Algorithme",
    // The names of the languages, each in its own.
    "English",
    "Français",
    // Methods of authentication (RFC 8176) as the audit records them.
    "otp",
    "sms",
    "tel",
    "pwd",
    "mfa",
    // The wizard's members, their college and registration class.
    "Patricia",
    "Lynn",
    "Okafor",
    "CPSO",
    "Independent",
    "Practice",
    // Products, services and words French shares.
    "Mail",
    "Direct",
    "ConnectingOntario",
    "ClinicalViewer",
    "Version",
    "Client",
    "Session",
    // The LRA tests' organization and people.
    "University",
    "Health",
    "Network",
    "Uma",
    "Upsilon",
    "Pat",
    "Patricia",
    "Example",
    "OTN",
    "Hub",
    "Viewer",
];

/// A sweep under way: a Chromium, axe-core, and the problems found so far.
pub(crate) struct Sweep {
    pub(crate) chrome: Browser,
    axe: String,
    base: String,
    problems: Vec<String>,
    neutral: HashSet<&'static str>,
}

impl Sweep {
    /// A sweep of the server at `base`.
    pub(crate) async fn start(base: &str) -> Sweep {
        Sweep {
            chrome: Browser::start().await,
            axe: axe_source(),
            base: base.to_owned(),
            problems: Vec::new(),
            neutral: NEUTRAL.iter().copied().collect(),
        }
    }

    /// Closes the browser; fails once with every problem found.
    pub(crate) async fn finish(self) {
        self.chrome.quit().await;
        assert!(
            self.problems.is_empty(),
            "{} problems:\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }

    async fn lines(&self) -> Vec<String> {
        let v = self
            .chrome
            .eval("return document.body.innerText.split('\\n').map(s => s.trim()).filter(s => s.length > 0);")
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Checks the page the browser shows now (`here` names it in problems, `shot` is its
    /// screenshot's file name): the tab title, `<html lang>` (`lang`), nothing wider than the
    /// screen, code fields and tick boxes, axe-core.
    pub(crate) async fn check(&mut self, here: &str, lang: &str, shot: &str) {
        let title = self.chrome.eval("return document.title;").await;
        let title = title.as_str().unwrap_or_default().to_owned();
        if title.contains('<') || title.is_empty() {
            self.problems.push(format!("{here}: tab title {title:?}"));
        }
        let html_lang = self
            .chrome
            .eval("return document.documentElement.lang;")
            .await;
        if html_lang.as_str() != Some(lang) {
            self.problems
                .push(format!("{here}: <html lang> is {html_lang}"));
        }
        let overflow = self
            .chrome
            .eval(
                "const w = document.documentElement.clientWidth; \
                 const wide = [...document.querySelectorAll('body *')] \
                   .filter(e => e.getBoundingClientRect().right > w + 1 \
                            && !e.closest('.wide')) \
                   .slice(0, 3).map(e => e.tagName.toLowerCase() + \
                     (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right)); \
                 const far = [...document.querySelectorAll('body *')] \
                   .map(e => [e.scrollWidth > e.clientWidth + 1 ? e.scrollWidth - e.clientWidth : 0, \
                     e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className]) \
                   .filter(x => x[0] > 0).slice(0, 3); \
                 return {page: document.documentElement.scrollWidth, screen: w, wide: wide.concat(far.map(x => x[1] + ' +' + x[0]))};",
            )
            .await;
        let (page_w, screen_w) = (
            overflow["page"].as_i64().unwrap_or(0),
            overflow["screen"].as_i64().unwrap_or(0),
        );
        if page_w > screen_w {
            self.problems.push(format!(
                "{here}: wider than the screen ({page_w} > {screen_w}): {}",
                overflow["wide"]
            ));
        }
        // Code fields bring up the digits; tick boxes and radio buttons are big
        // enough for a finger (24 px, WCAG 2.5.8).
        let small = self
            .chrome
            .eval(
                "return [...document.querySelectorAll('input[autocomplete=one-time-code]')] \
                   .filter(e => e.inputMode !== 'numeric').map(e => 'code field ' + e.id) \
                 .concat([...document.querySelectorAll('input[type=checkbox], input[type=radio]')] \
                   .filter(e => e.getBoundingClientRect().width < 24 || e.getBoundingClientRect().height < 24) \
                   .map(e => 'small tick box ' + e.id));",
            )
            .await;
        for x in small.as_array().into_iter().flatten() {
            self.problems
                .push(format!("{here}: {}", x.as_str().unwrap_or_default()));
        }
        let script = format!(
            "{}\n;return axe.run(document, {{resultTypes: ['violations']}}).then(r => \
             r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
             .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3) \
             .map(n => n.target.join(' ')).join(', ')));",
            self.axe
        );
        let violations = self.chrome.eval(&script).await;
        for v in violations.as_array().into_iter().flatten() {
            self.problems
                .push(format!("{here}: axe: {}", v.as_str().unwrap_or_default()));
        }
        self.chrome
            .screenshot(&shots().join(format!("{shot}.png")))
            .await;
    }

    /// Opens `path` in both languages at both widths and checks each.
    pub(crate) async fn visit(&mut self, who: &str, name: &str, path: &str) {
        let mut english: HashSet<String> = HashSet::new();
        for lang in ["en", "fr"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{}{path}{sep}ui_locales={lang}", self.base);
            for (width_name, w, h) in WIDTHS {
                self.chrome.set_window_size(w, h).await;
                self.chrome.goto(&url).await;
                let here = format!("{who} {name} ({lang}, {width_name})");
                let shot = format!("{who}-{name}-{lang}-{width_name}");
                self.check(&here, lang, &shot).await;
            }
            let lines = self.lines().await;
            if lang == "en" {
                english = lines.into_iter().collect();
            } else {
                for line in lines {
                    if english.contains(&line) && !language_neutral(&line, &self.neutral) {
                        self.problems
                            .push(format!("{who} {name} (fr): English left: {line:?}"));
                    }
                }
            }
        }
    }
}

/// The demo FHIR server on loopback, registered as a resource server, and a client that
/// makes standalone launches with `launch/encounter` there.
async fn demo_fhir_app(app: &TestApp) -> (Rp, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", l.local_addr().unwrap());
    let (id, secret) = oneid::demo::FHIR_CLIENT;
    app.add_client_with(id, |n| {
        n.service_id = None;
        n.redirect_uris.clear();
        n.secret = Some(secret.into());
        n.grant_types = vec!["client_credentials".into()];
        n.scopes = vec!["oneid:introspect".into()];
    })
    .await;
    let fhir = oneid::demo_fhir::DemoFhir {
        issuer: app.base.clone(),
        base: base.clone(),
        client_id: id.into(),
        secret: secret.into(),
    };
    tokio::spawn(oneid::demo_fhir::serve(fhir, l, std::future::pending()));
    app.provider
        .resources
        .add(authorization_server::resources::NewResourceServer {
            id: "ontario-fhir".into(),
            name: "FHIR Ontario".into(),
            audience: base.clone(),
            scopes: vec!["patient/*.rs".into()],
        })
        .await
        .unwrap();
    let cfg = app
        .add_client_with("encounter-app", |n| {
            n.scopes = vec!["openid".into(), "launch/encounter".into()];
        })
        .await;
    app.provider
        .resources
        .allow("encounter-app", "ontario-fhir", &[])
        .await
        .unwrap();
    app.provider.clients.forget("encounter-app");
    (Rp::discover(&cfg).await, base)
}

/// In `chrome` (signed in): a standalone launch with `launch/encounter` at the demo FHIR
/// server, Okafor searched and picked; the paths of the picker with what it found and of the
/// encounter page.
async fn pick_patient(chrome: &Browser, base: &str, (rp, aud): &(Rp, String)) -> (String, String) {
    let started = rp.start(&["launch/encounter"], &[("aud", aud)]);
    chrome.goto(&started.url).await;
    chrome.wait_for("form#search").await;
    let found = format!("{}&q=okafor", chrome.url().await);
    chrome.goto(&found).await;
    chrome.click("form#choose-pat-1001 button").await;
    chrome.wait_for("form#choose-enc-2001").await;
    let encounters = chrome.url().await;
    let path = |u: &str| {
        u.trim_start_matches(base)
            .split("&ui_locales")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    (path(&found), path(&encounters))
}

async fn sign_in_clinician(app: &TestApp) -> Http {
    let rp = Rp::discover(&app.add_client("connectingontario").await).await;
    let b = Http::new();
    rp.login(&b, LOGIN_ID, PASSWORD).await;
    b
}

#[tokio::test]
async fn every_page_passes_axe_fits_a_phone_and_is_french_in_french() {
    let app = spawn_app().await;
    let clinician = app.add_clinician().await;
    let (admin_id, secret) = administrator(&app).await;
    app.provider
        .accounts
        .grant_role(&admin_id, "service_desk", "test")
        .await
        .unwrap();
    let staff = Http::new();
    console_sign_in(&app, &staff, ADMIN_LOGIN, ADMIN_PASSWORD, &secret, "/admin").await;
    let clin = sign_in_clinician(&app).await;
    let rp = Rp::discover(&app.add_client("otnhub").await).await;
    app.provider
        .resources
        .add(authorization_server::resources::NewResourceServer {
            id: "fhir".into(),
            name: "FHIR Ontario".into(),
            audience: "https://fhir.example.on.ca/r4".into(),
            scopes: vec!["patient/*.rs".into(), "user/*.rs".into()],
        })
        .await
        .unwrap();
    app.provider
        .resources
        .allow("otnhub", "fhir", &["patient/Observation.rs".into()])
        .await
        .unwrap();
    app.provider.clients.forget("otnhub");
    // A third-party app: its consent page, and My Profile's list of apps allowed.
    let journal = Rp::discover(
        &app.add_client_with("journal", |n| {
            n.name = "Journal".into();
            n.third_party = true;
            n.scopes = vec![
                "openid".into(),
                "profile".into(),
                "offline_access".into(),
                "patient/Observation.rs".into(),
            ];
        })
        .await,
    )
    .await;
    let consent_url = journal
        .start(
            &["profile", "offline_access", "patient/Observation.rs"],
            &[],
        )
        .url;
    let consent_path = consent_url.trim_start_matches(&app.base).to_owned();
    // A standalone launch: the patient picker (no search made, so no FHIR server needed).
    let chart = Rp::discover(
        &app.add_client_with("chart", |n| {
            n.scopes = vec!["openid".into(), "launch/patient".into()];
        })
        .await,
    )
    .await;
    app.provider
        .resources
        .allow("chart", "fhir", &[])
        .await
        .unwrap();
    app.provider.clients.forget("chart");
    let picker_url = chart
        .start(
            &["launch/patient"],
            &[("aud", "https://fhir.example.on.ca/r4")],
        )
        .url;
    let picker_path = picker_url.trim_start_matches(&app.base).to_owned();
    authorization_server::consent::remember(
        &app.provider,
        &clinician,
        "journal",
        "openid profile patient/Observation.rs",
    )
    .await
    .unwrap();
    let login_url = rp.start(&["profile"], &[]).url;
    let login_path = login_url.trim_start_matches(&app.base).to_owned();
    // The pickers with a FHIR server to search: the demo's, on loopback.
    let encounter_rp = demo_fhir_app(&app).await;

    let mut sweep = Sweep::start(&app.base).await;
    // A newcomer, signed in nowhere.
    for (name, path) in [
        ("home", "/"),
        ("help", "/help"),
        ("forgot-login-id", "/forgot-login-id"),
        ("forgot-password", "/forgot-password"),
        ("register-by-hand", "/register"),
        ("not-found", "/no/such/page"),
        ("login", login_path.as_str()),
    ] {
        sweep.visit("newcomer", name, path).await;
    }

    // The clinician.
    sweep.chrome.goto(&format!("{}/help", app.base)).await;
    sweep
        .chrome
        .add_cookie("oneid_session", &session_of(&clin, &app.base))
        .await;
    for (name, path) in [
        ("profile", "/account"),
        ("password", "/account/password"),
        ("security", "/account/security"),
        ("totp", "/account/totp"),
        ("devices", "/account/devices"),
        ("apps", "/account/apps"),
        ("consent", consent_path.as_str()),
        ("patient-picker", picker_path.as_str()),
    ] {
        sweep.visit("clinician", name, path).await;
    }
    // A standalone launch with launch/encounter: the patients found, then the encounters.
    let (found, encounters) = pick_patient(&sweep.chrome, &app.base, &encounter_rp).await;
    sweep
        .visit("clinician", "patient-picker-found", &found)
        .await;
    sweep
        .visit("clinician", "encounter-picker", &encounters)
        .await;
    for (name, path) in [("desk-refused", "/desk"), ("sign-out", "/logout")] {
        sweep.visit("clinician", name, path).await;
    }

    // The administrator, who is also at the service desk.
    sweep
        .chrome
        .add_cookie("oneid_session", &session_of(&staff, &app.base))
        .await;
    let desk_account = format!("/desk/account?id={clinician}");
    let admin_account = format!("/admin/accounts/{clinician}");
    let service = format!("/admin/services/{}", oneid_tests::TEST_SERVICE);
    let organization = format!("/admin/organizations/{}", oneid_tests::TEST_SPONSOR);
    let audit_event = format!(
        "/admin/audit/{}",
        app.audit("login.success")
            .await
            .last()
            .expect("a sign-in")
            .id
    );
    for (name, path) in [
        ("desk", "/desk?q=Burt"),
        ("desk-account", desk_account.as_str()),
        ("admin", "/admin"),
        ("admin-accounts", "/admin/accounts"),
        (
            "admin-accounts-found",
            "/admin/accounts?q=Burt&sort=created&dir=desc",
        ),
        ("admin-account", admin_account.as_str()),
        ("admin-clients", "/admin/clients"),
        ("admin-services", "/admin/services"),
        ("admin-organizations", "/admin/organizations"),
        ("admin-registries", "/admin/registries"),
        ("admin-approvals", "/admin/approvals"),
        ("admin-client", "/admin/clients/otnhub"),
        ("admin-resources", "/admin/resources"),
        ("admin-resource", "/admin/resources/fhir"),
        ("admin-service", service.as_str()),
        ("admin-organization", organization.as_str()),
        ("admin-audit", "/admin/audit"),
        ("admin-audit-event", audit_event.as_str()),
        ("admin-keys", "/admin/keys"),
    ] {
        sweep.visit("staff", name, path).await;
    }

    // The step-up page of a second administrator signing in: the choice, then the code.
    app.add_staff("Ann.Admin@ONEID.ON.CA", PASSWORD, "administrator")
        .await;
    let other = Http::new();
    let r = other.get(&format!("{}/admin", app.base)).await;
    let page = other
        .get(&format!("{}{}", app.base, r.location().unwrap()))
        .await;
    other
        .login(&app.base, &page, "Ann.Admin@ONEID.ON.CA", PASSWORD)
        .await;
    let choose = other.get(&format!("{}/admin", app.base)).await;
    let t = choose.hidden("t").expect("the step-up page");
    sweep
        .chrome
        .add_cookie("oneid_session", &session_of(&other, &app.base))
        .await;
    let stepup = format!("/stepup?t={t}");
    sweep.visit("staff", "stepup-choose", &stepup).await;
    let csrf = choose.hidden("csrf").unwrap();
    let code = other
        .post_form(
            &format!("{}/stepup", app.base),
            &[
                ("csrf", &csrf),
                ("t", &t),
                ("action", "choose"),
                ("method", "otp"),
            ],
        )
        .await;
    assert_eq!(code.status, 200, "{}", code.body);
    sweep.visit("staff", "stepup-code", &stepup).await;
    sweep.finish().await;
}
