//! Demo clinical viewers for `oneid demo` only: small relying parties named after the real
//! ones, each a real OpenID Connect client of the provider written with the `openidconnect`
//! crate (server-side code flow with PKCE, ID token verified against the JWKS, userinfo),
//! so a newcomer can watch single sign-on: sign in at one, move to the others without a
//! password, log out. Production mode (`serve`) serves none of this.
//!
//! Each viewer also takes OpenID Connect Back-Channel Logout: ONE ID posts it a logout token
//! when the session ends (a logout at another viewer), and it ends its own local sessions of
//! that ONE ID session.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IdTokenVerifier, IssuerUrl, JsonWebKeySet, JsonWebKeySetUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use openidconnect::{IdToken, IdTokenClaims};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::OnceCell;
use web::http::raw_cookie;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// One demo viewer.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Its client id at the provider.
    pub client_id: String,
    /// Its client secret.
    pub secret: String,
    /// Display name.
    pub name: String,
    /// CSS theme class (its colours).
    pub theme: &'static str,
    /// Where it is served, e.g. `http://127.0.0.1:8081` (its redirect URI is `{base}/callback`,
    /// its post-logout redirect URI `{base}/`).
    pub base: String,
    /// Set for the demo record system: it lists patients and opens a SMART app for one of
    /// them (an EHR launch).
    pub launch: Option<Launcher>,
}

struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
}

#[derive(Clone)]
struct UserView {
    name: String,
    login_id: String,
    designation: String,
    acr: String,
    amr: String,
    auth_time: String,
    sid: String,
    sub: String,
    id_token: String,
    /// Kept here only: the record system makes launches with it.
    access_token: String,
    /// The launch forms' CSRF token.
    csrf: String,
}

struct ViewerState {
    viewer: Viewer,
    others: Vec<(String, String)>,
    issuer: String,
    http: reqwest::Client,
    client: OnceCell<Client>,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, UserView>>,
}

#[derive(Template)]
#[template(path = "viewer.html")]
struct Page<'a> {
    name: &'a str,
    theme: &'a str,
    user: Option<UserView>,
    error: Option<String>,
    others: &'a [(String, String)],
    launch: Option<&'a Launcher>,
    patients: Vec<launch::PatientRow>,
}

const COOKIE: &str = "demo_viewer_session";
/// Most pending sign-ins or sessions a viewer keeps (a demo: the oldest are simply dropped).
const MAX_ENTRIES: usize = 10_000;

pub(crate) fn bounded_insert<V>(m: &mut HashMap<String, V>, k: String, v: V) {
    if m.len() >= MAX_ENTRIES {
        m.clear();
    }
    m.insert(k, v);
}

impl ViewerState {
    fn cookie_name(&self) -> String {
        // Viewers share a host with each other and with the provider; ports do not separate
        // cookies, names do.
        format!("{COOKIE}_{}", self.viewer.client_id)
    }

    async fn client(&self) -> Result<&Client, String> {
        self.client
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.issuer.clone()).map_err(|e| e.to_string())?;
                let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| format!("discovery failed: {e}"))?;
                let redirect = RedirectUrl::new(format!("{}/callback", self.viewer.base))
                    .map_err(|e| e.to_string())?;
                Ok(CoreClient::from_provider_metadata(
                    meta,
                    ClientId::new(self.viewer.client_id.clone()),
                    Some(ClientSecret::new(self.viewer.secret.clone())),
                )
                .set_redirect_uri(redirect))
            })
            .await
    }

    fn session(&self, headers: &HeaderMap) -> Option<(String, UserView)> {
        let value = raw_cookie(headers, &self.cookie_name())?;
        let sessions = self.sessions.lock().ok()?;
        sessions.get(&value).map(|u| (value.clone(), u.clone()))
    }

    fn page(&self, user: Option<UserView>, error: Option<String>) -> Response {
        let rendered = Page {
            name: &self.viewer.name,
            theme: self.viewer.theme,
            user,
            error,
            others: &self.others,
            launch: self.viewer.launch.as_ref(),
            patients: if self.viewer.launch.is_some() {
                launch::patients()
            } else {
                Vec::new()
            },
        }
        .render();
        html(rendered)
    }
}

/// The ID token signing algorithms the demo relying parties take.
pub(crate) const ALGS: [CoreJwsSigningAlgorithm; 4] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A demo relying party as ONE ID knows it, to check its ID tokens.
pub(crate) struct RelyingParty<'a> {
    pub http: &'a reqwest::Client,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub secret: &'a str,
}

/// The claims of `id_token`, checked by `discovered` (the verifier of the client made at
/// discovery) and, when its signature does not verify, again with ONE ID's JWKS read now
/// (`{issuer}/jwks`): the keys read at discovery may predate a signing key rotation, and a
/// relying party that never reads them again breaks when the new key starts signing. The
/// second check is the first's (issuer, audience, expiry, algorithms, nonce) with newer keys.
pub(crate) async fn id_token_claims<'t, AC: openidconnect::AdditionalClaims>(
    id_token: &'t IdToken<
        AC,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    discovered: &IdTokenVerifier<'_, CoreJsonWebKey>,
    nonce: &Nonce,
    rp: RelyingParty<'_>,
) -> Result<&'t IdTokenClaims<AC, CoreGenderClaim>, String> {
    let refused =
        |e: openidconnect::ClaimsVerificationError| format!("the ID token does not verify: {e}");
    match id_token.claims(&discovered.clone().set_allowed_algs(ALGS), nonce) {
        Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {}
        other => return other.map_err(refused),
    }
    let jwks_uri = format!("{}/jwks", rp.issuer.trim_end_matches('/'));
    let url = JsonWebKeySetUrl::new(jwks_uri).map_err(|e| e.to_string())?;
    let jwks: JsonWebKeySet<CoreJsonWebKey> = JsonWebKeySet::fetch_async(&url, rp.http)
        .await
        .map_err(|e| format!("the JWKS cannot be read: {e}"))?;
    let issuer = IssuerUrl::new(rp.issuer.to_owned()).map_err(|e| e.to_string())?;
    let fresh = IdTokenVerifier::new_confidential_client(
        ClientId::new(rp.client_id.to_owned()),
        ClientSecret::new(rp.secret.to_owned()),
        issuer,
        jwks,
    )
    .set_allowed_algs(ALGS);
    id_token.claims(&fresh, nonce).map_err(refused)
}

/// A 303 to `to`.
pub(crate) fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub(crate) fn rfc3339(unix: i64) -> String {
    // Days to a civil date (Howard Hinnant's algorithm), UTC.
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

async fn home(
    State(s): State<Arc<ViewerState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match s.session(&headers) {
        Some((_, u)) => s.page(Some(u), None),
        // No local session: try single sign-on silently first (prompt=none); only if ONE ID
        // has no session either does the viewer show its sign-in button.
        None if !q.contains_key("signin") => redirect("/login?silent=1"),
        None => s.page(None, q.get("error").cloned()),
    }
}

async fn login(
    State(s): State<Arc<ViewerState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let client = match s.client().await {
        Ok(c) => c,
        Err(e) => return s.page(None, Some(e)),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("clinician".into()));
    let req = if s.viewer.launch.is_some() {
        req.add_scope(Scope::new("oneid:launch".into()))
    } else {
        req
    };
    let req = if q.contains_key("silent") {
        req.add_prompt(openidconnect::core::CoreAuthPrompt::None)
    } else {
        req
    };
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    if let Ok(mut p) = s.pending.lock() {
        bounded_insert(&mut p, state.secret().clone(), Pending { verifier, nonce });
    }
    // The state is bound to this browser too, so nobody can hand it someone else's callback.
    let mut r = redirect(url.as_str());
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}_state={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600",
        s.cookie_name(),
        state.secret()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn callback(
    State(s): State<Arc<ViewerState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mine = raw_cookie(&headers, &format!("{}_state", s.cookie_name()));
    if !q.contains_key("state") || q.get("state") != mine.as_ref() {
        return redirect("/?signin=1&error=This+sign-in+was+not+started+in+this+browser.");
    }
    if let Some(e) = q.get("error") {
        if let Some(st) = q.get("state") {
            if let Ok(mut p) = s.pending.lock() {
                p.remove(st);
            }
        }
        if e == "login_required" {
            return redirect("/?signin=1"); // no ONE ID session: show the sign-in button
        }
        return redirect(&format!(
            "/?signin=1&error={}",
            url::form_urlencoded::byte_serialize(format!("ONE ID answered: {e}").as_bytes())
                .collect::<String>()
        ));
    }
    let (Some(code), Some(state)) = (q.get("code"), q.get("state")) else {
        return s.page(None, Some("The sign-in answer is missing its code.".into()));
    };
    let pending = s.pending.lock().ok().and_then(|mut p| p.remove(state));
    let Some(pending) = pending else {
        return s.page(None, Some("This sign-in has expired; try again.".into()));
    };
    match finish(&s, code, pending).await {
        Ok(user) => {
            let sid = platform::crypto::random_token(32);
            if let Ok(mut m) = s.sessions.lock() {
                bounded_insert(&mut m, sid.clone(), user);
            }
            let mut r = redirect("/");
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{}={sid}; Path=/; HttpOnly; SameSite=Lax",
                s.cookie_name()
            )) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => s.page(None, Some(e)),
    }
}

/// The `clinician` scope's designations as a person reads them ("CPSO 98765"), or "–".
fn designations(v: &serde_json::Value) -> String {
    let shown: Vec<String> = v
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| {
            let college = d["college"].as_str()?;
            let number = d["registration_number"].as_str()?;
            Some(format!("{college} {number}"))
        })
        .collect();
    if shown.is_empty() {
        "–".into()
    } else {
        shown.join(", ")
    }
}

async fn finish(s: &ViewerState, code: &str, pending: Pending) -> Result<UserView, String> {
    let client = s.client().await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| e.to_string())?
        .set_pkce_verifier(pending.verifier)
        .request_async(&s.http)
        .await
        .map_err(|e| format!("the code exchange failed: {e}"))?;
    let id_token = tokens.id_token().ok_or("no ID token")?;
    let rp = RelyingParty {
        http: &s.http,
        issuer: &s.issuer,
        client_id: &s.viewer.client_id,
        secret: &s.viewer.secret,
    };
    let claims = id_token_claims(id_token, &client.id_token_verifier(), &pending.nonce, rp).await?;
    let info: serde_json::Value = s
        .http
        .get(format!("{}/userinfo", s.issuer))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let raw = id_token.to_string();
    let payload: serde_json::Value = raw
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("–").to_owned();
    Ok(UserView {
        name: text(&info["name"]),
        login_id: text(&info["login_id"]),
        designation: designations(&info["designations"]),
        acr: claims
            .auth_context_ref()
            .map_or("–".into(), |a| a.to_string()),
        amr: claims
            .auth_method_refs()
            .map(|v| {
                v.iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        auth_time: claims
            .auth_time()
            .map_or("–".into(), |t| rfc3339(t.timestamp())),
        sid: text(&payload["sid"]),
        sub: text(&payload["sub"]),
        id_token: raw,
        access_token: tokens.access_token().secret().clone(),
        csrf: platform::crypto::random_token(24),
    })
}

async fn logout(State(s): State<Arc<ViewerState>>, headers: HeaderMap) -> Response {
    let user = s.session(&headers);
    if let Some((k, _)) = &user {
        if let Ok(mut m) = s.sessions.lock() {
            m.remove(k);
        }
    }
    let clear = HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        s.cookie_name()
    ))
    .ok();
    // RP-initiated logout ends the ONE ID session too, then comes back here.
    let mut u = match url::Url::parse(&format!("{}/logout", s.issuer)) {
        Ok(u) => u,
        Err(_) => return redirect("/"),
    };
    {
        let mut q = u.query_pairs_mut();
        if let Some((_, v)) = &user {
            q.append_pair("id_token_hint", &v.id_token);
        }
        q.append_pair("client_id", &s.viewer.client_id);
        q.append_pair("post_logout_redirect_uri", &format!("{}/", s.viewer.base));
    }
    let mut r = redirect(u.as_str());
    if let Some(c) = clear {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

mod backchannel;
use backchannel::*;
mod launch;
pub use launch::Launcher;

/// The demo parties' stylesheet (viewers, record system, SMART app, member portal).
pub(crate) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../templates/viewer.css"),
    )
        .into_response()
}

/// A rendered demo page, never cached.
pub(crate) fn html(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(b) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            b,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The HTTP client of a demo party: no redirects followed, 10-second timeout.
pub(crate) fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
}

/// Serves every viewer on its listener until `stop` completes.
pub async fn serve(
    issuer: String,
    viewers: Vec<(Viewer, TcpListener)>,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let http = match http_client() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "demo viewers cannot start");
            return;
        }
    };
    let all: Vec<(String, String)> = viewers
        .iter()
        .map(|(v, _)| (v.name.clone(), format!("{}/", v.base)))
        .collect();
    let (tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut tasks = Vec::new();
    for (viewer, listener) in viewers {
        let others = all
            .iter()
            .filter(|(n, _)| *n != viewer.name)
            .cloned()
            .collect();
        let state = Arc::new(ViewerState {
            viewer,
            others,
            issuer: issuer.clone(),
            http: http.clone(),
            client: OnceCell::new(),
            pending: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/", get(home))
            .route("/login", get(login))
            .route("/callback", get(callback))
            .route("/logout", get(logout))
            .route("/backchannel-logout", post(backchannel_logout))
            .route("/launch", post(launch::launch))
            .route("/viewer.css", get(stylesheet))
            .with_state(state);
        let mut rx = tx.subscribe();
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.recv().await;
                })
                .await;
        }));
    }
    stop.await;
    let _ = tx.send(());
    for t in tasks {
        let _ = t.await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_352_136), "2026-11-22T12:55:36Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
