//! The demo's trusted registry, for `oneid demo` only: the CPSO as an alternative registry
//! with its own ES256 key pair (the private key kept in the data directory, the public key
//! registered with ONE ID), and a small "CPSO member portal (demo)" where a newcomer plays a
//! member who is signed in at the college: it shows the consent statement and a "Sign up for
//! ONE ID" button per member, a plain form that posts a freshly signed hand-off to
//! `{issuer}/register`. Production mode (`serve`) serves none of this.
//!
//! `sign_handoff`, `sign_report` and the claim builders are public so tests can play the
//! registry too.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use josekit::jws::{JwsHeader, ES256, RS256};
use serde_json::{json, Value};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The demo registry's id (the `iss` of its hand-offs).
pub const REGISTRY_ID: &str = "cpso";
/// The college it vouches for.
pub const COLLEGE: &str = "CPSO";
/// The organization that sponsors its members.
pub const SPONSOR_ID: &str = "cpso";
/// The sponsor's name.
pub const SPONSOR_NAME: &str = "College of Physicians and Surgeons of Ontario";
/// The level of assurance its members get.
pub const ASSURANCE_LEVEL: i64 = 2;
/// Its private key, under the data directory.
pub const KEY_FILE: &str = "demo-registry-cpso.pem";
/// Version of the consent statement its members accept.
pub const CONSENT_VERSION: &str = "cpso-oneid-consent-2026-01";
/// How long a hand-off minted by the portal lives, seconds.
pub const HANDOFF_TTL: i64 = 300;
/// The portal's name.
pub const PORTAL_NAME: &str = "CPSO member portal (demo)";

/// The consent statement, English.
pub const CONSENT_EN: &str = "I consent to the CPSO disclosing my number, given name, last \
    name, gender, date of birth and registration class to ONE ID so that I can register for \
    ONE ID and use the clinical services it gives access to.";
/// The consent statement, French.
pub const CONSENT_FR: &str = "Je consens à ce que l'OMCO communique mon numéro, mon prénom, \
    mon nom de famille, mon sexe, ma date de naissance et ma catégorie d'inscription à ONE ID \
    afin que je puisse m'inscrire à ONE ID et utiliser les services cliniques auxquels il donne \
    accès.";

/// The demo registry as its portal needs it: who it is and how it signs.
#[derive(Clone)]
pub struct DemoRegistry {
    /// Registry id (`iss`).
    pub id: String,
    /// College code.
    pub college: String,
    /// The `kid` of its registered key.
    pub kid: String,
    /// Its private key (PKCS#8 PEM).
    pub private_pem: String,
}

impl std::fmt::Debug for DemoRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoRegistry")
            .field("id", &self.id)
            .field("college", &self.college)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A member of the registry (fictional).
#[derive(Debug, Clone)]
pub struct Member {
    /// The registry's unique identifier of the member (`sub`).
    pub member_id: String,
    /// Registration number.
    pub registration_number: String,
    /// Legal first name.
    pub given_name: String,
    /// Legal middle name(s).
    pub middle_name: Option<String>,
    /// Legal last name.
    pub family_name: String,
    /// Gender, as the registry records it.
    pub gender: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birthdate: String,
    /// Registration class.
    pub registration_class: String,
    /// Email, when the registry has one.
    pub email: Option<String>,
    /// Preferred language, when the registry knows it (`en` | `fr`).
    pub locale: Option<String>,
}

impl Member {
    /// "Dr. Given Middle Family".
    pub fn display_name(&self) -> String {
        match &self.middle_name {
            Some(m) => format!("Dr. {} {m} {}", self.given_name, self.family_name),
            None => format!("Dr. {} {}", self.given_name, self.family_name),
        }
    }
}

#[allow(clippy::too_many_arguments)] // one row of demo data per call, in column order
fn member(
    number: &str,
    given: &str,
    middle: Option<&str>,
    family: &str,
    gender: &str,
    birthdate: &str,
    class: &str,
    email: Option<&str>,
    locale: Option<&str>,
) -> Member {
    Member {
        member_id: number.into(),
        registration_number: number.into(),
        given_name: given.into(),
        middle_name: middle.map(Into::into),
        family_name: family.into(),
        gender: gender.into(),
        birthdate: birthdate.into(),
        registration_class: class.into(),
        email: email.map(Into::into),
        locale: locale.map(Into::into),
    }
}

/// The portal's members: three newcomers (one with a middle name, one French-speaking, one
/// without an email address) and the demo clinician, who already has an account.
pub fn demo_members() -> Vec<Member> {
    vec![
        member(
            "71234",
            "Patricia",
            Some("Lynn"),
            "Okafor",
            "Female",
            "1982-04-17",
            "Independent Practice",
            Some("patricia.okafor@example.org"),
            Some("en"),
        ),
        member(
            "80457",
            "Étienne",
            None,
            "Gagnon-Roy",
            "Male",
            "1975-11-02",
            "Independent Practice",
            Some("etienne.gagnon-roy@example.org"),
            Some("fr"),
        ),
        member(
            "66120",
            "Samira",
            None,
            "Haddad",
            "Female",
            "1994-08-23",
            "Postgraduate Education",
            None,
            None,
        ),
        member(
            "98765",
            "Alex",
            None,
            "Tremblay",
            "Male",
            "1979-06-14",
            "Independent Practice",
            Some("alex.tremblay@example.org"),
            Some("en"),
        ),
    ]
}

/// The claims of a hand-off of `m` by `registry` to the IdP `audience`, issued at `now`,
/// living `HANDOFF_TTL` seconds, with a fresh `jti`.
pub fn handoff_claims(registry: &DemoRegistry, m: &Member, audience: &str, now: i64) -> Value {
    let mut c = json!({
        "iss": registry.id,
        "aud": audience,
        "sub": m.member_id,
        "jti": platform::crypto::random_token(16),
        "iat": now,
        "exp": now + HANDOFF_TTL,
        "college": registry.college,
        "registration_number": m.registration_number,
        "given_name": m.given_name,
        "family_name": m.family_name,
        "gender": m.gender,
        "birthdate": m.birthdate,
        "registration_class": m.registration_class,
        "consent_version": CONSENT_VERSION,
        "consent_at": now,
    });
    if let Some(o) = c.as_object_mut() {
        for (k, v) in [
            ("middle_name", &m.middle_name),
            ("email", &m.email),
            ("locale", &m.locale),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), Value::String(v.clone()));
            }
        }
    }
    c
}

/// The claims of a termination report by `registry` to `audience` listing `members`.
pub fn report_claims(registry: &DemoRegistry, audience: &str, members: &[&str], now: i64) -> Value {
    json!({
        "iss": registry.id,
        "aud": audience,
        "jti": platform::crypto::random_token(16),
        "iat": now,
        "exp": now + HANDOFF_TTL,
        "terminated": members,
    })
}

/// Signs the claims of a hand-off as a compact JWS with a private key PEM: ES256 for an EC
/// P-256 key, RS256 for an RSA key; header `typ` `oneid-handoff+jwt`, and `kid` when given.
pub fn sign_handoff(
    private_pem: &str,
    kid: Option<&str>,
    claims: &Value,
) -> Result<String, String> {
    sign(private_pem, kid, claims, registration::TokenType::Handoff)
}

/// Signs the claims of a termination report the same way, with header `typ`
/// `oneid-termination-report+jwt`.
pub fn sign_report(private_pem: &str, kid: Option<&str>, claims: &Value) -> Result<String, String> {
    sign(private_pem, kid, claims, registration::TokenType::Report)
}

fn sign(
    private_pem: &str,
    kid: Option<&str>,
    claims: &Value,
    typ: registration::TokenType,
) -> Result<String, String> {
    let mut header = JwsHeader::new();
    header.set_token_type(typ.typ());
    if let Some(k) = kid {
        header.set_key_id(k);
    }
    let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
    if let Ok(s) = ES256.signer_from_pem(private_pem.as_bytes()) {
        return josekit::jws::serialize_compact(&payload, &header, &s).map_err(|e| e.to_string());
    }
    let s = RS256
        .signer_from_pem(private_pem.as_bytes())
        .map_err(|_| "not an EC P-256 or RSA private key (PEM)".to_string())?;
    josekit::jws::serialize_compact(&payload, &header, &s).map_err(|e| e.to_string())
}

/// The demo registry's key pair: read from `path`, or generated (ES256) and written there
/// (mode 0600) on first run. Returns (private PEM, public PEM).
pub fn load_or_create_key(path: &Path) -> Result<(String, String), String> {
    use josekit::jwk::KeyPair as _;
    let shown = path.display();
    let pair = if path.exists() {
        let pem = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        ES256
            .key_pair_from_pem(pem.as_bytes())
            .map_err(|e| format!("{shown}: not an ES256 private key: {e}"))?
    } else {
        let pair = ES256.generate_key_pair().map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        write_private(path, &pair.to_pem_private_key()).map_err(|e| format!("{shown}: {e}"))?;
        tracing::info!(path = %shown, "generated the demo registry's signing key");
        pair
    };
    let private = String::from_utf8(pair.to_pem_private_key()).map_err(|e| e.to_string())?;
    let public = String::from_utf8(pair.to_pem_public_key()).map_err(|e| e.to_string())?;
    Ok((private, public))
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

/// The portal: which registry, which members, where ONE ID is, and where it is served.
#[derive(Debug, Clone)]
pub struct Portal {
    /// ONE ID's issuer (the forms post to `{issuer}/register`; the `aud` of the hand-offs).
    pub issuer: String,
    /// The registry it speaks for.
    pub registry: DemoRegistry,
    /// Its members.
    pub members: Vec<Member>,
    /// Where it is served, e.g. `http://127.0.0.1:8084`.
    pub base: String,
}

struct Card {
    member_id: String,
    name: String,
    number: String,
    class: String,
    email: String,
    language: &'static str,
    assertion: String,
    existing: bool,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Page<'a> {
    name: &'a str,
    college: &'a str,
    action: String,
    consent_en: &'a str,
    consent_fr: &'a str,
    cards: Vec<Card>,
    error: Option<String>,
}

async fn home(State(p): State<Arc<Portal>>) -> Response {
    let now = platform::Clock::now(&platform::SystemClock);
    let mut error = None;
    let cards = p
        .members
        .iter()
        .map(|m| {
            let claims = handoff_claims(&p.registry, m, &p.issuer, now);
            let assertion = sign_handoff(&p.registry.private_pem, Some(&p.registry.kid), &claims)
                .unwrap_or_else(|e| {
                    error = Some(format!("The portal cannot sign: {e}"));
                    String::new()
                });
            Card {
                member_id: m.member_id.clone(),
                name: m.display_name(),
                number: m.registration_number.clone(),
                class: m.registration_class.clone(),
                email: m.email.clone().unwrap_or_else(|| "none on file".into()),
                language: match m.locale.as_deref() {
                    Some("fr") => "Français",
                    Some("en") => "English",
                    _ => "not on file",
                },
                assertion,
                // The demo clinician (seeded by `oneid demo`) has this number already.
                existing: m.registration_number == "98765",
            }
        })
        .collect();
    let page = Page {
        name: PORTAL_NAME,
        college: &p.registry.college,
        action: format!("{}/register", p.issuer),
        consent_en: CONSENT_EN,
        consent_fr: CONSENT_FR,
        cards,
        error,
    };
    let html = match page.render() {
        Ok(h) => h,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let origin = url::Url::parse(&p.issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'self'; form-action {origin}; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

use crate::viewers::stylesheet;

/// Serves the portal on `listener` until `stop` completes.
pub async fn serve(
    portal: Portal,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let app = Router::new()
        .route("/", get(home))
        .route("/viewer.css", get(stylesheet))
        .with_state(Arc::new(portal));
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::error!(error = %e, "the demo member portal stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_handoff_verifies_with_the_public_key_and_carries_the_member() {
        use josekit::jwk::KeyPair as _;
        let pair = ES256.generate_key_pair().unwrap();
        let private = String::from_utf8(pair.to_pem_private_key()).unwrap();
        let reg = DemoRegistry {
            id: REGISTRY_ID.into(),
            college: COLLEGE.into(),
            kid: "k1".into(),
            private_pem: private.clone(),
        };
        let m = &demo_members()[0];
        let c = handoff_claims(&reg, m, "http://localhost:8080", 1_000);
        let jwt = sign_handoff(&private, Some("k1"), &c).unwrap();
        let v = ES256.verifier_from_pem(pair.to_pem_public_key()).unwrap();
        let (payload, header) = josekit::jws::deserialize_compact(&jwt, &v).unwrap();
        assert_eq!(header.key_id(), Some("k1"));
        assert_eq!(header.token_type(), Some("oneid-handoff+jwt"));
        let report = sign_report(&private, None, &report_claims(&reg, "x", &["1"], 1)).unwrap();
        let (_, header) = josekit::jws::deserialize_compact(&report, &v).unwrap();
        assert_eq!(header.token_type(), Some("oneid-termination-report+jwt"));
        assert_eq!(header.key_id(), None);
        let got: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(got["sub"], "71234");
        assert_eq!(got["middle_name"], "Lynn");
        assert_eq!(got["exp"], 1_300);
        assert_eq!(got["college"], "CPSO");
        assert_ne!(
            handoff_claims(&reg, m, "x", 1)["jti"],
            handoff_claims(&reg, m, "x", 1)["jti"]
        );
        // No email, no locale: the claims are absent, not empty.
        let samira = handoff_claims(&reg, &demo_members()[2], "x", 1);
        assert!(samira.get("email").is_none() && samira.get("locale").is_none());
    }
}
