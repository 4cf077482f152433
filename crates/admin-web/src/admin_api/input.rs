//! What the administration API reads (JSON bodies, unknown fields refused) and the console and
//! CLI fill in. In a patch an absent field is kept and `null` clears an optional one.

use registration::admin::nullable;
use serde::Deserialize;

/// A new relying party (`POST /admin/api/clients`): the fields of `oneid clients add`, except
/// the secret, which the server always generates for a confidential client.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// Client identifier.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Exact redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (no secret; PKCE required).
    #[serde(default)]
    pub public: bool,
    /// Grant types (default `authorization_code`, `refresh_token`).
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Scopes (default `openid profile email phone offline_access`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// ID token algorithm (default RS256).
    #[serde(default)]
    pub id_token_alg: Option<String>,
    /// Access token algorithm (default ES256).
    #[serde(default)]
    pub access_token_alg: Option<String>,
    /// Step up every sign-in for it.
    #[serde(default)]
    pub require_mfa: bool,
    /// Every sign-in for it must use a passkey (phishing-resistant); implies `require_mfa`.
    #[serde(default)]
    pub require_phishing_resistant: bool,
    /// A third-party app: people consent to what it asks.
    #[serde(default)]
    pub third_party: bool,
    /// Its authorization requests must be pushed first (RFC 9126).
    #[serde(default)]
    pub require_par: bool,
    /// Its tokens must be DPoP-bound (RFC 9449).
    #[serde(default)]
    pub require_dpop: bool,
    /// Held to the FAPI 2.0 Security Profile.
    #[serde(default)]
    pub fapi2: bool,
    /// Its authorization requests must be signed request objects (RFC 9101).
    #[serde(default)]
    pub require_signed_request_object: bool,
    /// Public keys for `private_key_jwt` (a JWK set object).
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// Where the client publishes its keys for `private_key_jwt`.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Back-channel logout URI.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Front-channel logout URI.
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    /// The service it belongs to (must exist).
    #[serde(default)]
    pub service_id: Option<String>,
    /// `public` (default) or `pairwise` subject identifiers (OIDC Core §8.1).
    #[serde(default)]
    pub subject_type: Option<String>,
    /// For a pairwise client: the document listing its redirect URIs; its host is the sector.
    #[serde(default)]
    pub sector_identifier_uri: Option<String>,
    /// Mutual-TLS authentication (RFC 8705): `tls_client_auth` or
    /// `self_signed_tls_client_auth`.
    #[serde(default)]
    pub tls_client_auth: Option<String>,
    /// For `tls_client_auth`: the subject of the client's certificate.
    #[serde(default)]
    pub tls_client_auth_subject_dn: Option<String>,
}

/// Changes to a relying party (`PATCH /admin/api/clients/{id}`): its service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    /// The service (`null`: none, only for a client that signs no one in).
    #[serde(default, deserialize_with = "nullable")]
    pub service_id: Option<Option<String>>,
}

/// Why an account's status changes (optional body of `POST .../suspend` and the others).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// A short reason, kept in the audit trail.
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_tell_absent_from_null_and_refuse_unknown_fields() {
        // The directory's patches are tested beside them, in registration::directory_admin.
        let c: ClientPatch = serde_json::from_str(r#"{"service_id": null}"#).unwrap();
        assert_eq!(c.service_id, Some(None));
        assert!(serde_json::from_str::<ClientInput>(
            r#"{"client_id": "a", "name": "A", "secret": "chosen-by-me"}"#
        )
        .is_err());
    }
}
