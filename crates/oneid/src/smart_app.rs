//! A demo SMART app for `oneid demo` only: a medication viewer, a confidential SMART App Launch
//! client written with the `openidconnect` crate (code flow, PKCE S256, ID token verified
//! against the JWKS). It is opened two ways:
//! - by the demo record system (EHR launch: `/launch?iss=…&launch=…`), for the patient open
//!   there;
//! - on its own (standalone launch: `/launch?iss=…`, scope `launch/patient`), when ONE ID asks
//!   the person to pick the patient.
//!
//! It trusts one FHIR server (`iss` must be it), finds ONE ID from that server's
//! `/.well-known/smart-configuration`, and shows what it was given: the patient (read from the
//! FHIR server with the access token), the `fhirUser`, the granted scopes and the patient's
//! medication requests. Production mode (`serve`) serves none of this.

use crate::viewers::{
    bounded_insert, html, http_client, id_token_claims, redirect, stylesheet, RelyingParty,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, ExtraTokenFields, IdTokenFields, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::OnceCell;
use web::http::raw_cookie;

/// The demo SMART app.
#[derive(Debug, Clone)]
pub struct SmartApp {
    /// Its client id at ONE ID.
    pub client_id: String,
    /// Its client secret.
    pub secret: String,
    /// Display name.
    pub name: String,
    /// Where it is served (its redirect URI is `{base}/callback`, its launch URL
    /// `{base}/launch`).
    pub base: String,
    /// The one FHIR server it works with (`iss`).
    pub fhir_base: String,
}

/// The `fhirUser` claim of the ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SmartClaims {
    #[serde(rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    fhir_user: Option<String>,
}
impl AdditionalClaims for SmartClaims {}

/// The launch context of the token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LaunchContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    patient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encounter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    need_patient_banner: Option<bool>,
}
impl ExtraTokenFields for LaunchContext {}

type SmartTokenResponse = StandardTokenResponse<
    IdTokenFields<
        SmartClaims,
        LaunchContext,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type Client = openidconnect::Client<
    SmartClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    SmartTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    ehr: bool,
}

/// What the app shows after a launch.
#[derive(Clone)]
struct View {
    how: &'static str,
    patient_id: String,
    patient_name: String,
    birth_date: String,
    banner: bool,
    fhir_user: String,
    scopes: Vec<String>,
    medications: Vec<String>,
}

struct AppState {
    app: SmartApp,
    http: reqwest::Client,
    /// The OpenID Connect client, and ONE ID's issuer as the FHIR server names it.
    client: OnceCell<(Client, String)>,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, View>>,
}

#[derive(Template)]
#[template(path = "smart_app.html")]
struct Page<'a> {
    name: &'a str,
    fhir_base: &'a str,
    view: Option<View>,
    error: Option<String>,
}

const COOKIE: &str = "demo_smart_app";

impl AppState {
    /// The OpenID Connect client, from the FHIR server's SMART configuration (which names
    /// ONE ID) and ONE ID's discovery document.
    async fn client(&self) -> Result<&(Client, String), String> {
        self.client
            .get_or_try_init(|| async {
                let smart: Value = self
                    .http
                    .get(format!(
                        "{}/.well-known/smart-configuration",
                        self.app.fhir_base
                    ))
                    .send()
                    .await
                    .map_err(|e| format!("the FHIR server cannot be reached: {e}"))?
                    .json()
                    .await
                    .map_err(|e| format!("no SMART configuration at the FHIR server: {e}"))?;
                let issuer = smart["issuer"]
                    .as_str()
                    .ok_or("the SMART configuration names no issuer")?;
                let named = issuer.to_owned();
                let issuer = IssuerUrl::new(named.clone()).map_err(|e| e.to_string())?;
                let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| format!("discovery failed: {e}"))?;
                let redirect = RedirectUrl::new(format!("{}/callback", self.app.base))
                    .map_err(|e| e.to_string())?;
                let client = Client::from_provider_metadata(
                    meta,
                    ClientId::new(self.app.client_id.clone()),
                    Some(ClientSecret::new(self.app.secret.clone())),
                )
                .set_redirect_uri(redirect);
                Ok((client, named))
            })
            .await
    }

    fn page(&self, view: Option<View>, error: Option<String>) -> Response {
        let rendered = Page {
            name: &self.app.name,
            fhir_base: &self.app.fhir_base,
            view,
            error,
        }
        .render();
        html(rendered)
    }
}

async fn home(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let view = raw_cookie(&headers, COOKIE)
        .and_then(|k| s.sessions.lock().ok().and_then(|m| m.get(&k).cloned()));
    s.page(view, None)
}

/// GET /launch?iss=…[&launch=…]: an EHR launch with `launch`, a standalone one without.
async fn launch(
    State(s): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // SMART: an app works only with FHIR servers it knows; any other `iss` could be an
    // attacker's, collecting the app's tokens.
    if q.get("iss").map(|i| i.trim_end_matches('/')) != Some(s.app.fhir_base.as_str()) {
        return s.page(
            None,
            Some("This app does not know that FHIR server.".into()),
        );
    }
    let client = match s.client().await {
        Ok((c, _)) => c,
        Err(e) => return s.page(None, Some(e)),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("fhirUser".into()))
        .add_scope(Scope::new("patient/Patient.rs".into()))
        .add_scope(Scope::new("patient/MedicationRequest.rs".into()))
        .add_extra_param("aud", s.app.fhir_base.clone());
    let ehr = match q.get("launch") {
        Some(handle) => {
            req = req
                .add_scope(Scope::new("launch".into()))
                .add_extra_param("launch", handle.clone());
            true
        }
        None => {
            req = req.add_scope(Scope::new("launch/patient".into()));
            false
        }
    };
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    if let Ok(mut p) = s.pending.lock() {
        bounded_insert(
            &mut p,
            state.secret().clone(),
            Pending {
                verifier,
                nonce,
                ehr,
            },
        );
    }
    // One cookie per launch under way (two tabs launching at once each keep theirs).
    let mut r = redirect(url.as_str());
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}_state_{}=1; Path=/; HttpOnly; SameSite=Lax; Max-Age=600",
        state.secret()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn callback(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mine = |st: &String| raw_cookie(&headers, &format!("{COOKIE}_state_{st}")).is_some();
    let Some(state) = q.get("state").filter(|st| mine(st)) else {
        return s.page(
            None,
            Some("This launch was not started in this browser.".into()),
        );
    };
    let pending = s.pending.lock().ok().and_then(|mut p| p.remove(state));
    if let Some(e) = q.get("error") {
        let d = q
            .get("error_description")
            .map_or(String::new(), |d| format!(": {d}"));
        return s.page(None, Some(format!("ONE ID answered {e}{d}")));
    }
    let (Some(code), Some(pending)) = (q.get("code"), pending) else {
        return s.page(
            None,
            Some("This launch has expired; open the app again.".into()),
        );
    };
    match finish(&s, code, pending).await {
        Ok(view) => {
            let sid = platform::crypto::random_token(32);
            if let Ok(mut m) = s.sessions.lock() {
                bounded_insert(&mut m, sid.clone(), view);
            }
            let mut r = redirect("/");
            if let Ok(v) =
                HeaderValue::from_str(&format!("{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"))
            {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => s.page(None, Some(e)),
    }
}

async fn fhir_get(s: &AppState, token: &str, path: &str) -> Result<Value, String> {
    let r = s
        .http
        .get(format!("{}/{path}", s.app.fhir_base))
        .bearer_auth(token)
        .header(header::ACCEPT, "application/fhir+json")
        .send()
        .await
        .map_err(|e| format!("the FHIR server cannot be reached: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("the FHIR server answered {} to {path}", r.status()));
    }
    r.json().await.map_err(|e| e.to_string())
}

async fn finish(s: &AppState, code: &str, pending: Pending) -> Result<View, String> {
    let (client, issuer) = s.client().await?;
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
        issuer,
        client_id: &s.app.client_id,
        secret: &s.app.secret,
    };
    let claims = id_token_claims(id_token, &client.id_token_verifier(), &pending.nonce, rp).await?;
    let context = tokens.extra_fields().extra_fields();
    let patient_id = context
        .patient
        .clone()
        .ok_or("ONE ID gave no patient in the launch context")?;
    let token = tokens.access_token().secret();
    let patient = fhir_get(s, token, &format!("Patient/{patient_id}")).await?;
    let meds = fhir_get(s, token, &format!("MedicationRequest?patient={patient_id}")).await?;
    let name = &patient["name"][0];
    let given: Vec<&str> = name["given"]
        .as_array()
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Ok(View {
        how: if pending.ehr {
            "opened from the record system (EHR launch)"
        } else {
            "opened on its own (standalone launch)"
        },
        patient_name: format!(
            "{} {}",
            given.join(" "),
            name["family"].as_str().unwrap_or_default()
        ),
        patient_id,
        birth_date: patient["birthDate"].as_str().unwrap_or("–").to_owned(),
        banner: context.need_patient_banner.unwrap_or(!pending.ehr),
        fhir_user: claims
            .additional_claims()
            .fhir_user
            .clone()
            .unwrap_or_else(|| "–".into()),
        scopes: tokens
            .scopes()
            .map(|v| v.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        medications: meds["entry"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| {
                        e["resource"]["medicationCodeableConcept"]["text"]
                            .as_str()
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

async fn close(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(k) = raw_cookie(&headers, COOKIE) {
        if let Ok(mut m) = s.sessions.lock() {
            m.remove(&k);
        }
    }
    let mut r = redirect("/");
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; Max-Age=0")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Serves the app on `listener` until `stop` completes.
pub async fn serve(
    app: SmartApp,
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let http = match http_client() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "demo SMART app cannot start");
            return;
        }
    };
    let state = Arc::new(AppState {
        app,
        http,
        client: OnceCell::new(),
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
    });
    let router = Router::new()
        .route("/", get(home))
        .route("/launch", get(launch))
        .route("/callback", get(callback))
        .route("/close", get(close))
        .route("/viewer.css", get(stylesheet))
        .with_state(state);
    let _ = axum::serve(listener, router)
        .with_graceful_shutdown(stop)
        .await;
}
