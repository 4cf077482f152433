//! `POST /smart/launch`: a record system makes an EHR launch (SMART App Launch) for the person
//! using it, with that person's access token (issued to the record system, with
//! `oneid:launch`) and the context as JSON; the answer is the `launch` handle to open the app
//! with, good once for five minutes. A sender-constrained token is used as it was bound: a
//! DPoP-bound one with a proof by its key, a certificate-bound one over a connection with that
//! certificate. See `authorization_server::smart_launch`.

use authorization_server::oidc::resource;
use authorization_server::smart_launch::{self, LaunchContext, LaunchError, LAUNCH_TTL};
use authorization_server::tokens::live_access_token;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use web::error::OAuthError;
use web::http::{bearer, json_no_store};

/// A refusal of `/smart/launch`, answered once it is known whether the token is DPoP's.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn refused(
    status: StatusCode,
    error: &'static str,
    description: &str,
) -> Result<Response, Refusal> {
    Err(Refusal {
        status,
        error,
        description: description.to_owned(),
    })
}

impl Refusal {
    /// The JSON error, with a challenge for 401 and 403: `Bearer`, or `DPoP` with its
    /// algorithms (RFC 9449 §7.1).
    fn response(self, dpop: bool) -> Response {
        let Refusal {
            status,
            error,
            description,
        } = self;
        let body = json!({ "error": error, "error_description": description });
        let mut r = (status, json_no_store(body.to_string())).into_response();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let v = if dpop {
                let algs = authorization_server::dpop::ALGS.join(" ");
                format!("DPoP realm=\"oneid\", error=\"{error}\", algs=\"{algs}\"")
            } else {
                format!("Bearer realm=\"oneid\", error=\"{error}\"")
            };
            if let Ok(v) = header::HeaderValue::from_str(&v) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        r
    }
}

const FIELDS: &[&str] = &[
    "client_id",
    "patient",
    "encounter",
    "fhirContext",
    "intent",
    "need_patient_banner",
    "smart_style_url",
];

/// POST /smart/launch
#[tracing::instrument(skip_all)]
pub async fn create(State(p): State<Arc<Provider>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut dpop = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"));
    let mut r = match make(&p, &headers, body, &mut dpop).await {
        Ok(r) => r,
        Err(refusal) => refusal.response(dpop),
    };
    if dpop {
        // A DPoP request, or a DPoP-bound token sent another way: the answer carries the next
        // nonce, as userinfo's does.
        crate::dpop_http::add_nonce(&p, &mut r);
    }
    r
}

/// The launch, for a Bearer token or a DPoP-bound one with its proof (and a certificate-bound
/// one over its connection).
async fn make(
    p: &Provider,
    headers: &HeaderMap,
    body: Bytes,
    dpop: &mut bool,
) -> Result<Response, Refusal> {
    use crate::dpop_http::{presented, Presented, ResourceRefusal};
    use authorization_server::dpop::DpopError;
    let url = format!("{}/smart/launch", p.cfg.issuer);
    let (token, jkt) = if *dpop {
        match presented(p, headers, "POST", &url).await {
            Ok(Presented::Dpop(token, jkt)) => (token, Some(jkt)),
            Ok(Presented::Bearer) | Err(ResourceRefusal::NoToken) => {
                return refused(StatusCode::UNAUTHORIZED, "invalid_request", "no DPoP token")
            }
            Err(ResourceRefusal::Proof(DpopError::UseNonce)) => {
                return refused(
                    StatusCode::UNAUTHORIZED,
                    "use_dpop_nonce",
                    "use the DPoP-Nonce of this answer in a new proof",
                )
            }
            Err(ResourceRefusal::Proof(DpopError::Invalid(why))) => {
                return refused(StatusCode::UNAUTHORIZED, "invalid_dpop_proof", why)
            }
            Err(ResourceRefusal::Proof(DpopError::Unavailable(e))) => {
                return Ok(OAuthError::unavailable(e).into_response())
            }
        }
    } else {
        match bearer(headers) {
            Some(t) => (t, None),
            None => {
                return refused(
                    StatusCode::UNAUTHORIZED,
                    "invalid_request",
                    "send the person's access token as a Bearer (or DPoP) token",
                )
            }
        }
    };
    let claims = match live_access_token(p, token).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return refused(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is invalid, expired or revoked",
            )
        }
        Err(e) => return Ok(OAuthError::unavailable(e.to_string()).into_response()),
    };
    let certificate = crate::userinfo::certificate(headers);
    // A DPoP-bound token is answered as DPoP whichever way it came.
    *dpop |= claims.jkt().is_some();
    if let Err(why) = resource::check_binding(&claims, jkt.as_deref(), certificate.as_deref()) {
        return refused(StatusCode::UNAUTHORIZED, "invalid_token", why);
    }
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&body) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is a JSON object: the launch context",
        );
    };
    if let Some(k) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        let d = format!("unknown launch context field {k:?}");
        return refused(StatusCode::BAD_REQUEST, "invalid_request", &d);
    }
    let app = match body.remove("client_id") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return refused(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id is the app's client id (a string)",
            )
        }
    };
    let Ok(context) = serde_json::from_value::<LaunchContext>(Value::Object(Map::from_iter(body)))
    else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the launch context's fields have the wrong types",
        );
    };
    match smart_launch::create(p, &claims, app, context).await {
        Ok(handle) => {
            let _ = p
                .audit
                .record(platform::AuditEvent {
                    event: "launch.created",
                    actor: Some(&claims.client_id),
                    client_id: Some(&claims.client_id),
                    session_id: claims.sid.as_deref(),
                    ..Default::default()
                })
                .await;
            Ok((
                StatusCode::CREATED,
                json_no_store(json!({ "launch": handle, "expires_in": LAUNCH_TTL }).to_string()),
            )
                .into_response())
        }
        Err(LaunchError::Token(e @ "insufficient_scope", d)) => {
            refused(StatusCode::FORBIDDEN, e, d)
        }
        Err(LaunchError::Token(e, d)) => refused(StatusCode::UNAUTHORIZED, e, d),
        Err(LaunchError::Invalid(d)) => refused(StatusCode::BAD_REQUEST, "invalid_request", d),
        Err(LaunchError::Unavailable(e)) => {
            Ok(OAuthError::unavailable(e.to_string()).into_response())
        }
    }
}
