//! Token minting and checking: ID tokens (signed with the client's algorithm), RFC 9068 JWT
//! access tokens (ES256), and the claims released for each scope.

use crate::keys::{KeyError, SigAlg};
use crate::{Client, Provider};
use credential_store::{Account, Designation};
use platform::crypto::{b64url, random_token};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who and how, for tokens issued on behalf of a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthContext {
    /// Account id.
    pub account_id: String,
    /// Session id.
    pub sid: String,
    /// Authentication time.
    pub auth_time: i64,
    /// acr.
    pub acr: String,
    /// amr.
    pub amr: Vec<String>,
}

/// The claims of our access tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the account as the client knows it (its id, or a pairwise subject), or the
    /// client id for client_credentials.
    pub sub: String,
    /// Audience.
    pub aud: String,
    /// Client.
    pub client_id: String,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Present when a person is behind the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// acr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The key the token is bound to (DPoP, RFC 9449): `{"jkt": thumbprint}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// An EHR launch's context (SMART): `patient`, `encounter`, `fhirContext`...
    #[serde(flatten, default)]
    pub launch: crate::smart_launch::LaunchContext,
}

/// A token's confirmation claim (RFC 7800): the DPoP key (RFC 9449 §6) or the client
/// certificate (RFC 8705 §3) the token is bound to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Confirmation {
    /// The JWK SHA-256 thumbprint of the DPoP key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// The SHA-256 thumbprint of the client certificate (base64url of its DER's digest).
    #[serde(default, rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

/// What a new token is bound to: the DPoP key the request proved, the client certificate it
/// came with over mutual TLS, both or neither.
#[derive(Debug, Clone, Copy, Default)]
pub struct Binding<'a> {
    /// The DPoP key's thumbprint.
    pub jkt: Option<&'a str>,
    /// The client certificate's thumbprint.
    pub x5t_s256: Option<&'a str>,
}

impl Binding<'_> {
    /// The confirmation claim of a token bound so, if any.
    pub fn confirmation(&self) -> Option<Confirmation> {
        (self.jkt.is_some() || self.x5t_s256.is_some()).then(|| Confirmation {
            jkt: self.jkt.map(str::to_owned),
            x5t_s256: self.x5t_s256.map(str::to_owned),
        })
    }
}

impl AccessClaims {
    /// The DPoP key thumbprint the token is bound to, if any.
    pub fn jkt(&self) -> Option<&str> {
        self.cnf.as_ref().and_then(|c| c.jkt.as_deref())
    }

    /// The client certificate thumbprint the token is bound to, if any (RFC 8705).
    pub fn x5t_s256(&self) -> Option<&str> {
        self.cnf.as_ref().and_then(|c| c.x5t_s256.as_deref())
    }

    /// True when a person (not a client acting for itself) is behind the token.
    pub fn has_person(&self) -> bool {
        self.sid.is_some()
    }
}

/// Mints an access token (RFC 9068) with the client's access token algorithm, for the
/// resource server `audience` (else for the client itself), bound to the DPoP key or client
/// certificate `bind` names; returns it with its claims.
pub fn access_token(
    p: &Provider,
    client: &Client,
    scope: &str,
    audience: Option<&str>,
    launch: &crate::smart_launch::LaunchContext,
    person: Option<&AuthContext>,
    bind: Binding<'_>,
) -> Result<(String, AccessClaims), KeyError> {
    let client_id = client.client_id.as_str();
    let now = p.clock.now();
    let claims = AccessClaims {
        iss: p.cfg.issuer.clone(),
        sub: person.map_or_else(
            || client_id.to_owned(),
            |a| crate::subjects::subject(p, client, &a.account_id),
        ),
        aud: audience.unwrap_or(client_id).to_owned(),
        client_id: client_id.to_owned(),
        exp: now + p.cfg.access_token_ttl,
        iat: now,
        jti: random_token(16),
        scope: scope.to_owned(),
        auth_time: person.map(|a| a.auth_time),
        sid: person.map(|a| a.sid.clone()),
        acr: person.map(|a| a.acr.clone()),
        cnf: bind.confirmation(),
        launch: launch.clone(),
    };
    let body = serde_json::to_vec(&claims).map_err(|e| KeyError::Jose(e.to_string()))?;
    let token = p.keys.sign(client.access_token_alg, "at+jwt", &body)?;
    Ok((token, claims))
}

/// Access tokens whose signature this node has already checked, by SHA-256 of the token, so
/// a resource server introspecting the same token on every API call costs a hash and a
/// lookup instead of a signature verification. Entries hold for the key ring generation they
/// were checked in (a revoked key drops them) and until the token expires.
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    map: std::sync::RwLock<std::collections::HashMap<[u8; 32], (u64, AccessClaims)>>,
}

/// Most entries kept; the map is emptied when full (cheap, and rare at this size).
const VERIFIED_MAX: usize = 100_000;

/// Checks an access token's signature, type, issuer and expiry (not revocation).
pub fn verify_access_token(p: &Provider, token: &str) -> Option<AccessClaims> {
    if token.len() > 4096 {
        return None;
    }
    let now = p.clock.now();
    let generation = p.keys.generation();
    let digest = platform::crypto::sha256(token.as_bytes());
    if let Ok(m) = p.verified.map.read() {
        if let Some((g, c)) = m.get(&digest) {
            if *g == generation {
                return (c.exp > now).then(|| c.clone());
            }
        }
    }
    let (payload, _, typ) = p.keys.verify(token)?;
    if typ.as_deref() != Some("at+jwt") {
        return None;
    }
    let c: AccessClaims = serde_json::from_slice(&payload).ok()?;
    if c.iss != p.cfg.issuer || c.exp <= now {
        return None;
    }
    if let Ok(mut m) = p.verified.map.write() {
        if m.len() >= VERIFIED_MAX {
            m.clear();
        }
        m.insert(digest, (generation, c.clone()));
    }
    Some(c)
}

/// A live access token: signed by us, unexpired, and not revoked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn live_access_token(
    p: &Provider,
    token: &str,
) -> Result<Option<AccessClaims>, platform::EphemeralError> {
    let Some(c) = verify_access_token(p, token) else {
        return Ok(None);
    };
    let revoked = p.store.get(&revoked_key(&c.jti)).await?.is_some();
    Ok((!revoked).then_some(c))
}

/// Revocation marker key of an access token.
pub fn revoked_key(jti: &str) -> String {
    format!("rvk:{jti}")
}

/// The `clinician` scope's claims: `designations`, each `{"college", "registration_number"}`
/// (the college's short name, e.g. `CPSO`), and `assurance_level`, the account's level of
/// identity assurance (1 to 4) as its registration established it.
pub fn clinician_claims(account: &Account, designations: &[Designation]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "designations".into(),
        designations
            .iter()
            .map(|d| {
                serde_json::json!({
                    "college": d.college,
                    "registration_number": d.registration_number,
                })
            })
            .collect::<Vec<_>>()
            .into(),
    );
    m.insert("assurance_level".into(), account.assurance_level.into());
    m
}

/// The `fhirUser` claim (SMART App Launch): the account's FHIR Practitioner, by the configured
/// `template`, whose placeholders are `{account_id}`, `{login_id}`, `{college}` and
/// `{registration_number}` (of the account's first professional designation), each
/// percent-encoded as a URL path segment. `None` when nothing is configured, or when the
/// template needs a designation and the account has none.
pub fn fhir_user(
    template: &str,
    account: &Account,
    designations: &[Designation],
) -> Option<String> {
    if template.is_empty() {
        return None;
    }
    let needs_designation =
        template.contains("{college}") || template.contains("{registration_number}");
    let first = designations.first();
    if needs_designation && first.is_none() {
        return None;
    }
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let mut out = template
        .replace("{account_id}", &enc(&account.id))
        .replace("{login_id}", &enc(&account.login_id));
    if let Some(d) = first {
        out = out
            .replace("{college}", &enc(&d.college))
            .replace("{registration_number}", &enc(&d.registration_number));
    }
    Some(out)
}

/// True if the space-separated `scope` holds `name`.
pub fn has_scope(scope: &str, name: &str) -> bool {
    scope.split(' ').any(|s| s == name)
}

/// Claims about the person released for `scopes`; `designations` are the account's, read
/// only when `scopes` holds `clinician`.
pub fn user_claims(
    account: &Account,
    designations: &[Designation],
    scopes: &[&str],
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), account.id.clone().into());
    let has = |s: &str| scopes.contains(&s);
    if has("profile") {
        m.insert(
            "name".into(),
            format!("{} {}", account.given_name, account.family_name).into(),
        );
        m.insert("given_name".into(), account.given_name.clone().into());
        m.insert("family_name".into(), account.family_name.clone().into());
        m.insert("preferred_username".into(), account.login_id.clone().into());
        m.insert("locale".into(), account.locale.clone().into());
        m.insert("updated_at".into(), account.updated_at.into());
    }
    if has("email") {
        if let Some(e) = &account.email {
            m.insert("email".into(), e.clone().into());
            m.insert("email_verified".into(), false.into());
        }
    }
    if has("phone") {
        if let Some(ph) = &account.phone {
            m.insert("phone_number".into(), ph.clone().into());
            m.insert("phone_number_verified".into(), false.into());
        }
    }
    if has("clinician") {
        m.extend(clinician_claims(account, designations));
    }
    // The login ID is what clinicians and service desks know the account by.
    m.insert("login_id".into(), account.login_id.clone().into());
    m
}

/// What goes into an ID token beyond the protocol claims.
pub struct IdTokenInput<'a> {
    /// The relying party.
    pub client_id: &'a str,
    /// The person as the relying party knows them (see [`crate::subjects`]).
    pub sub: &'a str,
    /// Its ID token algorithm.
    pub alg: SigAlg,
    /// The person and session.
    pub ctx: &'a AuthContext,
    /// Nonce from the authorization request.
    pub nonce: Option<&'a str>,
    /// The access token issued beside it (for `at_hash`).
    pub access_token: Option<&'a str>,
    /// Person claims asked for with the `claims` parameter (`id_token` member).
    pub extra: Map<String, Value>,
}

/// Mints an ID token.
pub fn id_token(p: &Provider, i: IdTokenInput<'_>) -> Result<String, KeyError> {
    let now = p.clock.now();
    let mut c = i.extra;
    c.insert("iss".into(), p.cfg.issuer.clone().into());
    c.insert("sub".into(), i.sub.into());
    c.insert("aud".into(), i.client_id.into());
    c.insert("azp".into(), i.client_id.into());
    c.insert("exp".into(), (now + p.cfg.id_token_ttl).into());
    c.insert("iat".into(), now.into());
    c.insert("auth_time".into(), i.ctx.auth_time.into());
    c.insert("acr".into(), i.ctx.acr.clone().into());
    c.insert("amr".into(), i.ctx.amr.clone().into());
    c.insert("sid".into(), i.ctx.sid.clone().into());
    if let Some(n) = i.nonce {
        c.insert("nonce".into(), n.into());
    }
    if let Some(at) = i.access_token {
        c.insert(
            "at_hash".into(),
            b64url(&i.alg.half_hash(at.as_bytes())).into(),
        );
    }
    let body = serde_json::to_vec(&Value::Object(c)).map_err(|e| KeyError::Jose(e.to_string()))?;
    p.keys.sign(i.alg, "JWT", &body)
}

/// The `events` member that makes a JWT a logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a logout token is valid, seconds.
pub const LOGOUT_TOKEN_TTL: i64 = 120;

/// Mints a logout token (Back-Channel Logout 1.0) for `client`: the session `sid` of the
/// account `account_id` ended (named by the subject the client knows it by). Signed like the
/// client's ID tokens, `typ` `logout+jwt`, never a `nonce`.
pub fn logout_token(
    p: &Provider,
    client: &Client,
    account_id: &str,
    sid: &str,
) -> Result<String, KeyError> {
    let now = p.clock.now();
    let sub = crate::subjects::subject(p, client, account_id);
    let c = serde_json::json!({
        "iss": p.cfg.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_TTL,
        "jti": random_token(16),
        "sub": sub,
        "sid": sid,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    let body = serde_json::to_vec(&c).map_err(|e| KeyError::Jose(e.to_string()))?;
    p.keys.sign(client.id_token_alg, "logout+jwt", &body)
}

/// Claims of an ID token we issued, read back from an `id_token_hint` (expiry not checked,
/// as OIDC allows expired hints).
#[derive(Debug, Clone, Deserialize)]
pub struct IdTokenHint {
    /// Subject.
    pub sub: String,
    /// Audience (one client).
    pub aud: Value,
    /// Session id.
    pub sid: Option<String>,
}

impl IdTokenHint {
    /// The first audience.
    pub fn client_id(&self) -> Option<&str> {
        match &self.aud {
            Value::String(s) => Some(s),
            Value::Array(a) => a.first().and_then(Value::as_str),
            _ => None,
        }
    }
}

/// Verifies an ID token we issued (signature and issuer).
pub fn verify_id_token_hint(p: &Provider, token: &str) -> Option<IdTokenHint> {
    if token.len() > 8192 {
        return None;
    }
    let (payload, _, typ) = p.keys.verify(token)?;
    if matches!(typ.as_deref(), Some("at+jwt") | Some("logout+jwt")) {
        return None;
    }
    let v: Value = serde_json::from_slice(&payload).ok()?;
    if v.get("iss").and_then(Value::as_str) != Some(p.cfg.issuer.as_str()) {
        return None;
    }
    serde_json::from_value(v).ok()
}

pub use step_up::acr::acr_for;
