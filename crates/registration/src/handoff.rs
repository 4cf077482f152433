//! The signed hand-off from a registry's member portal, and a registry's signed report of
//! terminated registrations. Both are compact JWS (ES256 or RS256) signed with one of the
//! registry's live keys, with `iss` = the registry id, `aud` = our issuer, a `jti` used once,
//! and a short lifetime; the header's `typ` says which of the two a token is.

use crate::registries::{verifier, Registries, Registry, RegistryKey};
use crate::RegistrationError;
use platform::{DbError, SharedClock};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest lifetime a hand-off may claim (exp - iat), seconds.
pub const MAX_LIFETIME: i64 = 600;
/// Clock skew tolerated, seconds.
pub const LEEWAY: i64 = 30;
/// Largest token accepted, bytes.
pub const MAX_TOKEN: usize = 16 * 1024;
/// Most keys a token without `kid` is tried against: a registry has a few at most (one, two
/// during a rotation), so this bounds the work an unsigned token can cause.
pub const MAX_KEYS_TRIED: usize = 8;

/// What a registry's token is, as its header's `typ` says. A hand-off and a termination
/// report are told apart by it, not by the claims they happen to carry: a report can never
/// be taken for a hand-off, nor the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// A member handed over for self-registration (`POST /register`).
    Handoff,
    /// Registrations reported terminated (`POST /registries/terminations`).
    Report,
}

impl TokenType {
    /// The header's `typ` value.
    pub const fn typ(self) -> &'static str {
        match self {
            Self::Handoff => "oneid-handoff+jwt",
            Self::Report => "oneid-termination-report+jwt",
        }
    }

    /// Whether a header's `typ` names this type: compared without regard to case, with or
    /// without the `application/` prefix (RFC 7515 §4.1.9).
    fn matches(self, typ: Option<&str>) -> bool {
        let Some(t) = typ.map(str::trim) else {
            return false;
        };
        let t = match t.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => &t[12..],
            _ => t,
        };
        t.eq_ignore_ascii_case(self.typ())
    }
}

/// The member's validated identity, as the registry vouched for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Handoff {
    /// Registry id.
    pub registry_id: String,
    /// The registry's unique identifier of the member (`sub`).
    pub member_id: String,
    /// College (the registry's).
    pub college: String,
    /// Registration number.
    pub registration_number: String,
    /// Legal first name.
    pub given_name: String,
    /// Legal middle name(s).
    pub middle_name: Option<String>,
    /// Legal last name.
    pub family_name: String,
    /// Gender (required: the wizard shows it as required and locked).
    pub gender: String,
    /// Date of birth `YYYY-MM-DD` (required: the wizard shows it as required and locked).
    pub birth_date: String,
    /// Registration class (e.g. "Independent Practice").
    pub registration_class: Option<String>,
    /// Email, when the registry knows it.
    pub email: Option<String>,
    /// Preferred language, when the registry knows it (`en` | `fr`).
    pub locale: Option<String>,
    /// Version of the consent statement the member accepted at the registry.
    pub consent_version: String,
    /// When (unix seconds).
    pub consent_at: i64,
    /// The assertion's id.
    pub jti: String,
    /// When it expires.
    pub expires_at: i64,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
}

fn req(v: &Value, k: &'static str) -> Result<String, RegistrationError> {
    s(v, k).ok_or(RegistrationError::MissingClaim(k))
}

fn int(v: &Value, k: &'static str) -> Result<i64, RegistrationError> {
    v.get(k)
        .and_then(Value::as_i64)
        .ok_or(RegistrationError::MissingClaim(k))
}

/// The header and payload of a compact JWS, read before any verification (to find the
/// registry and its key; nothing else is trusted until the signature is checked).
fn unverified_parts(token: &str) -> Result<(Value, Value), RegistrationError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RegistrationError::Malformed);
    };
    let json = |part: &str| -> Result<Value, RegistrationError> {
        let bytes = platform::crypto::b64url_decode(part).ok_or(RegistrationError::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| RegistrationError::Malformed)
    };
    Ok((json(header)?, json(payload)?))
}

fn unverified_iss(token: &str) -> Result<String, RegistrationError> {
    let (_, payload) = unverified_parts(token)?;
    s(&payload, "iss").ok_or(RegistrationError::Malformed)
}

/// The keys a token may be signed with: its `alg`'s live keys, and among them only the one
/// its `kid` names when it names one (newest first, at most [`MAX_KEYS_TRIED`]). Without a
/// `kid` every live key of the algorithm is a candidate, so a token signed with the older key
/// during a rotation's overlap is accepted too.
fn candidates<'k>(keys: &'k [RegistryKey], header: &Value) -> Vec<&'k RegistryKey> {
    let alg = header.get("alg").and_then(Value::as_str);
    let kid = header.get("kid").and_then(Value::as_str);
    keys.iter()
        .filter(|k| Some(k.alg.as_str()) == alg && kid.is_none_or(|x| x == k.kid))
        .take(MAX_KEYS_TRIED)
        .collect()
}

fn audience_ok(v: &Value, audience: &str) -> bool {
    match v.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(audience)),
        _ => false,
    }
}

/// Verifies hand-offs and reports.
#[derive(Debug, Clone)]
pub struct Verifier {
    registries: Registries,
    db: platform::Db,
    clock: SharedClock,
    audience: String,
}

impl Verifier {
    /// Accepting tokens addressed to `audience` (our issuer).
    pub fn new(
        registries: Registries,
        db: platform::Db,
        clock: SharedClock,
        audience: &str,
    ) -> Self {
        Self {
            registries,
            db,
            clock,
            audience: audience.to_owned(),
        }
    }

    /// Signature, type, issuer, audience and lifetime; not yet the replay check.
    async fn verify(
        &self,
        token: &str,
        expected: TokenType,
    ) -> Result<(Registry, Value), RegistrationError> {
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN {
            return Err(RegistrationError::Malformed);
        }
        let (header, _) = unverified_parts(token)?;
        let iss = unverified_iss(token)?;
        let registry = self
            .registries
            .get(&iss)
            .await?
            .ok_or(RegistrationError::UnknownRegistry)?;
        let keys = self.registries.live_keys(&registry.id).await?;
        let mut payload = None;
        for k in candidates(&keys, &header) {
            let v = verifier(&k.alg, &k.public_pem)?;
            if let Ok((p, _)) = josekit::jws::deserialize_compact(token, v.as_ref()) {
                payload = Some(p);
                break;
            }
        }
        let payload = payload.ok_or(RegistrationError::BadSignature)?;
        // The header is signed too: its `typ` can now be trusted.
        if !expected.matches(header.get("typ").and_then(Value::as_str)) {
            return Err(RegistrationError::WrongType);
        }
        let v: Value =
            serde_json::from_slice(&payload).map_err(|_| RegistrationError::Malformed)?;
        if s(&v, "iss").as_deref() != Some(registry.id.as_str()) {
            return Err(RegistrationError::BadSignature);
        }
        if !audience_ok(&v, &self.audience) {
            return Err(RegistrationError::WrongAudience);
        }
        let now = self.clock.now();
        let exp = int(&v, "exp")?;
        let iat = int(&v, "iat")?;
        if exp + LEEWAY < now {
            return Err(RegistrationError::Expired);
        }
        if iat > now + LEEWAY || exp - iat > MAX_LIFETIME || exp < iat {
            return Err(RegistrationError::BadLifetime);
        }
        if let Some(nbf) = v.get("nbf").and_then(Value::as_i64) {
            if nbf > now + LEEWAY {
                return Err(RegistrationError::BadLifetime);
            }
        }
        let jti = req(&v, "jti")?;
        if jti.len() > 200 {
            return Err(RegistrationError::Malformed);
        }
        Ok((registry, v))
    }

    /// Records `jti` as used; `Replayed` when it was.
    async fn use_once(&self, registry: &str, jti: &str, exp: i64) -> Result<(), RegistrationError> {
        let now = self.clock.now();
        // Forget the expired ones now and then (every call is cheap: an indexed range).
        sqlx::query("DELETE FROM registry_handoffs WHERE expires_at < $1")
            .bind(now - LEEWAY - 60)
            .execute(self.db.pool())
            .await
            .map_err(DbError::from)?;
        let r = sqlx::query(
            "INSERT INTO registry_handoffs (registry_id, jti, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(registry)
        .bind(jti)
        .bind(exp + LEEWAY)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => Err(RegistrationError::Replayed),
            Err(e) => Err(e.into()),
            Ok(_) => Ok(()),
        }
    }

    /// Checks a hand-off completely and uses it up: from then on the same assertion is refused.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accept_handoff(&self, token: &str) -> Result<Handoff, RegistrationError> {
        let (registry, v) = self.verify(token, TokenType::Handoff).await?;
        registry.accepts_at(self.clock.now())?;
        let college = req(&v, "college")?.to_uppercase();
        if college != registry.college {
            return Err(RegistrationError::WrongCollege);
        }
        let h = Handoff {
            registry_id: registry.id.clone(),
            member_id: req(&v, "sub")?,
            college,
            registration_number: req(&v, "registration_number")?,
            given_name: req(&v, "given_name")?,
            middle_name: s(&v, "middle_name"),
            family_name: req(&v, "family_name")?,
            gender: req(&v, "gender")?,
            birth_date: req(&v, "birthdate")?,
            registration_class: s(&v, "registration_class"),
            email: s(&v, "email"),
            locale: s(&v, "locale").filter(|l| l == "en" || l == "fr"),
            consent_version: req(&v, "consent_version")?,
            consent_at: int(&v, "consent_at")?,
            jti: req(&v, "jti")?,
            expires_at: int(&v, "exp")?,
        };
        let long = [
            &h.member_id,
            &h.registration_number,
            &h.given_name,
            &h.family_name,
            &h.consent_version,
        ]
        .iter()
        .any(|x| x.chars().count() > 100 || x.chars().any(char::is_control));
        // The identity is locked in the wizard: a name the account could not hold would leave
        // the member unable to finish, so it is refused here, before anything starts.
        let bad_name = [
            Some(&h.given_name),
            h.middle_name.as_ref(),
            Some(&h.family_name),
            Some(&h.gender),
        ]
        .into_iter()
        .flatten()
        .any(|n| {
            n.chars().count() > 100
                || n.chars()
                    .any(|c| c.is_control() || "<>\"{}[]\\/=;@".contains(c))
        });
        // Bounded as the account holds them.
        let overlong = h.registration_number.len() > 32
            || h.college.len() > 32
            || h.registration_class
                .as_ref()
                .is_some_and(|c| c.chars().count() > 100)
            || h.email.as_ref().is_some_and(|e| e.len() > 254)
            || h.jti.len() > 200;
        let long = long || bad_name || overlong;
        if long
            || !h
                .registration_number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            || !credential_store::valid_birth_date(&h.birth_date)
        {
            return Err(RegistrationError::Malformed);
        }
        registry.admits_class(h.registration_class.as_deref())?;
        self.use_once(&registry.id, &h.jti, h.expires_at).await?;
        Ok(h)
    }

    /// Checks a signed termination report and uses it up; returns the registry and the
    /// member identifiers it lists (`terminated` claim, an array of strings).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accept_report(
        &self,
        token: &str,
    ) -> Result<(Registry, Vec<String>), RegistrationError> {
        let (registry, v) = self.verify(token, TokenType::Report).await?;
        let list = v
            .get("terminated")
            .and_then(Value::as_array)
            .ok_or(RegistrationError::MissingClaim("terminated"))?;
        let mut ids = Vec::new();
        for x in list {
            let id = x
                .as_str()
                .map(str::trim)
                .filter(|x| !x.is_empty() && x.len() <= 100)
                .ok_or(RegistrationError::Malformed)?;
            ids.push(id.to_owned());
        }
        if ids.len() > 10_000 {
            return Err(RegistrationError::Malformed);
        }
        let jti = req(&v, "jti")?;
        self.use_once(&registry.id, &jti, int(&v, "exp")?).await?;
        Ok((registry, ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(v: &Value) -> String {
        platform::crypto::b64url(v.to_string().as_bytes())
    }

    #[test]
    fn issuer_is_read_from_the_payload_before_verification() {
        let t = format!(
            "{}.{}.sig",
            b64(&json!({"alg": "ES256"})),
            b64(&json!({"iss": "cpso"}))
        );
        assert_eq!(unverified_iss(&t).ok().as_deref(), Some("cpso"));
        assert!(matches!(
            unverified_iss("a.b"),
            Err(RegistrationError::Malformed)
        ));
        assert!(matches!(
            unverified_iss("a.b.c.d"),
            Err(RegistrationError::Malformed)
        ));
        let no_iss = format!("x.{}.y", b64(&json!({"sub": "1"})));
        assert!(matches!(
            unverified_iss(&no_iss),
            Err(RegistrationError::Malformed)
        ));
    }

    fn key(kid: &str, alg: &str) -> RegistryKey {
        RegistryKey {
            kid: kid.into(),
            alg: alg.into(),
            public_pem: String::new(),
            created_at: 0,
            retire_at: None,
        }
    }

    #[test]
    fn a_kid_picks_one_key_and_no_kid_tries_every_key_of_the_alg() {
        let keys = [
            key("new", "ES256"),
            key("rsa", "RS256"),
            key("old", "ES256"),
        ];
        let kids = |h: Value| -> Vec<String> {
            candidates(&keys, &h)
                .iter()
                .map(|k| k.kid.clone())
                .collect()
        };
        assert_eq!(kids(json!({"alg": "ES256", "kid": "old"})), ["old"]);
        assert_eq!(kids(json!({"alg": "ES256"})), ["new", "old"]);
        assert_eq!(kids(json!({"alg": "RS256"})), ["rsa"]);
        assert!(kids(json!({"alg": "RS256", "kid": "old"})).is_empty());
        assert!(kids(json!({"alg": "none"})).is_empty());
        assert!(kids(json!({})).is_empty());
        let many: Vec<RegistryKey> = (0..20).map(|i| key(&format!("k{i}"), "ES256")).collect();
        assert_eq!(
            candidates(&many, &json!({"alg": "ES256"})).len(),
            MAX_KEYS_TRIED
        );
    }

    #[test]
    fn the_token_type_is_named_exactly() {
        let h = TokenType::Handoff;
        assert!(h.matches(Some("oneid-handoff+jwt")));
        assert!(h.matches(Some("application/ONEID-Handoff+JWT")));
        assert!(!h.matches(Some("JWT")));
        assert!(!h.matches(None));
        assert!(!h.matches(Some("oneid-termination-report+jwt")));
        assert!(TokenType::Report.matches(Some("oneid-termination-report+jwt")));
        assert!(!TokenType::Report.matches(Some("oneid-handoff+jwt")));
    }

    #[test]
    fn audience_must_name_us_exactly() {
        let us = "https://login.example";
        assert!(audience_ok(&json!({"aud": us}), us));
        assert!(audience_ok(&json!({"aud": ["x", us]}), us));
        assert!(!audience_ok(&json!({"aud": "https://login.example/"}), us));
        assert!(!audience_ok(&json!({"aud": ["x"]}), us));
        assert!(!audience_ok(&json!({}), us));
    }
}
