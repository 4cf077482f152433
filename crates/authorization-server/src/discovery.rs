//! The discovery document (OpenID Connect Discovery 1.0), rendered once at start-up.

use crate::keys::SigAlg;
use serde_json::{json, Value};

pub use step_up::acr::ACR_VALUES;

/// Claims the provider can release.
pub const CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "login_id",
    "designations",
    "assurance_level",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
];

/// The token endpoint's client authentication methods.
const TOKEN_AUTH_METHODS: [&str; 6] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "none",
];

/// What SMART App Launch 2.2 lets a SMART app rely on here (`capabilities` of
/// `/.well-known/smart-configuration`), only what the provider does today: authorization
/// requests posted as a form (unless every request must be pushed first), public clients
/// (PKCE, S256 only), confidential clients with a secret, and refresh tokens by
/// `offline_access`, and confidential clients with keys (`private_key_jwt` with RS384 or
/// ES384, as SMART requires, among others), the EHR launch with its patient, encounter,
/// banner and style contexts (`crate::smart_launch`), and the clinical scope grammar, v1 and
/// v2, patient and user level (`crate::smart_scopes`). `sso-openid-connect` only with the
/// `fhirUser` claim configured; `online_access` refresh tokens that end with the sign-in
/// session; the standalone launch's patient picker and encounter picker.
pub fn smart_capabilities(require_par: bool, fhir_user: bool) -> Vec<&'static str> {
    let mut caps = vec![
        "client-public",
        "client-confidential-symmetric",
        "client-confidential-asymmetric",
        "launch-ehr",
        "launch-standalone",
        "context-ehr-patient",
        "context-standalone-patient",
        "context-standalone-encounter",
        "context-ehr-encounter",
        "context-banner",
        "context-style",
        "permission-offline",
        "permission-online",
        "permission-patient",
        "permission-user",
        "permission-v1",
        "permission-v2",
    ];
    if !require_par {
        caps.insert(0, "authorize-post");
    }
    if fhir_user {
        // SMART's OpenID Connect: `openid fhirUser` gives the ID token its `fhirUser`.
        caps.push("sso-openid-connect");
    }
    caps
}

/// The SMART configuration (SMART App Launch 2.2, "Conformance"): where a SMART app finds the
/// endpoints and what it may rely on; `require_par` as for [`document`].
pub fn smart_configuration(issuer: &str, require_par: bool, fhir_user: bool) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": crate::client_assertion::ALGS,
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes_supported": scopes(fhir_user),
        "response_types_supported": ["code"],
        "introspection_endpoint": format!("{issuer}/introspect"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "pushed_authorization_request_endpoint": format!("{issuer}/par"),
        "require_pushed_authorization_requests": require_par,
        "code_challenge_methods_supported": ["S256"],
        "capabilities": smart_capabilities(require_par, fhir_user),
    })
}

/// The scopes published: the provider's, and `fhirUser` when its claim is configured.
fn scopes(fhir_user: bool) -> Vec<&'static str> {
    let mut v = crate::clients::SCOPES.to_vec();
    v.push("launch");
    v.push("launch/patient");
    v.push("launch/encounter");
    v.push("online_access");
    if fhir_user {
        v.push("fhirUser");
    }
    v
}

/// The ladder values a provider can issue: the `:phr` rungs only where passkeys can be used.
fn acr_values(passkeys: bool) -> Vec<&'static str> {
    ACR_VALUES
        .iter()
        .copied()
        .filter(|a| passkeys || !a.ends_with(":phr"))
        .collect()
}

/// The document for `issuer`; `require_par`: every relying party must push its authorization
/// requests; `fhir_user`: the `fhirUser` claim is configured; `passkeys`: the provider can be
/// a WebAuthn relying party (its issuer has a host name).
pub fn document(issuer: &str, require_par: bool, fhir_user: bool, passkeys: bool) -> Value {
    let mut claims = CLAIMS.to_vec();
    if fhir_user {
        claims.push("fhirUser");
    }
    let algs: Vec<&str> = SigAlg::ALL.iter().map(|a| a.as_str()).collect();
    let mut d = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "pushed_authorization_request_endpoint": format!("{issuer}/par"),
        "require_pushed_authorization_requests": require_par,
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "introspection_endpoint": format!("{issuer}/introspect"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "scopes_supported": scopes(fhir_user),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": crate::clients::GRANT_TYPES,
        "subject_types_supported": crate::subjects::SUBJECT_TYPES,
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": crate::client_assertion::ALGS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"],
        "introspection_endpoint_auth_signing_alg_values_supported": crate::client_assertion::ALGS,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": crate::client_assertion::ALGS,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": crate::dpop::ALGS,
        "claims_supported": claims,
        "claims_parameter_supported": true,
        "request_parameter_supported": true,
        "request_object_signing_alg_values_supported": crate::client_assertion::ALGS,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "acr_values_supported": acr_values(passkeys),
        "ui_locales_supported": ["en", "fr"],
        "claims_locales_supported": ["en", "fr"],
        "display_values_supported": ["page", "popup", "touch", "wap"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    // Beyond what one json! invocation expands.
    d["device_authorization_endpoint"] = format!("{issuer}/device_authorization").into();
    // Mutual TLS (RFC 8705 §3.3): certificate-bound tokens, at the same endpoints.
    d["tls_client_certificate_bound_access_tokens"] = true.into();
    d
}
