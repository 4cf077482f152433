//! How a registering relying party will authenticate, checked before it is stored: its public
//! keys (`private_key_jwt`, inline or by address) and its mutual-TLS method (RFC 8705), and
//! the combinations that cannot work refused with the reason.

use super::{ClientError, NewClient};
use crate::mtls::{normalize_dn, SELF_SIGNED_TLS_CLIENT_AUTH, TLS_CLIENT_AUTH};

/// The checked credentials of a new client.
pub(super) struct Credentials {
    /// Its key set, as registered (parsed and checked).
    pub jwks: Option<String>,
    /// Where it publishes its keys.
    pub jwks_uri: Option<String>,
    /// Its mutual-TLS method, if any.
    pub mtls: Option<&'static str>,
    /// For `tls_client_auth`: the subject its certificate must have.
    pub subject_dn: Option<String>,
}

fn invalid(why: impl Into<String>) -> ClientError {
    ClientError::Invalid(why.into())
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The credentials `n` asks for, or why they cannot be.
pub(super) fn check(n: &NewClient) -> Result<Credentials, ClientError> {
    // The key set is parsed once: its validity and its certificates (x5c) come from it.
    let keys = match given(&n.jwks) {
        Some(text) => Some((
            text.to_owned(),
            crate::client_assertion::parse_jwks(text).map_err(ClientError::Invalid)?,
        )),
        None => None,
    };
    let jwks_uri = match given(&n.jwks_uri) {
        Some(u) if crate::client_assertion::jwks_uri_ok(u) => Some(u.to_owned()),
        Some(_) => {
            return Err(invalid(
                "jwks_uri must be https (plain http only on loopback)",
            ))
        }
        None => None,
    };
    let keyed = keys.is_some() || jwks_uri.is_some();
    let subject_dn = given(&n.tls_client_auth_subject_dn);
    let mtls = match given(&n.tls_client_auth) {
        None if subject_dn.is_some() => {
            return Err(invalid(
                "tls_client_auth_subject_dn is for a tls_client_auth client",
            ))
        }
        None => None,
        Some(TLS_CLIENT_AUTH) => {
            let dn = subject_dn.ok_or_else(|| {
                invalid(
                    "a tls_client_auth client needs the subject of its certificate \
                     (tls_client_auth_subject_dn)",
                )
            })?;
            if normalize_dn(dn).is_empty() {
                return Err(invalid(
                    "tls_client_auth_subject_dn must be a distinguished name, e.g. \
                     CN=lab,O=Example Hospital,C=CA",
                ));
            }
            Some(TLS_CLIENT_AUTH)
        }
        Some(SELF_SIGNED_TLS_CLIENT_AUTH) => {
            let with_cert = keys
                .as_ref()
                .is_some_and(|(_, k)| k.iter().any(|k| k.parameter("x5c").is_some()));
            if !with_cert || subject_dn.is_some() {
                return Err(invalid(
                    "a self_signed_tls_client_auth client registers its certificate as the \
                     x5c of a key in jwks",
                ));
            }
            Some(SELF_SIGNED_TLS_CLIENT_AUTH)
        }
        Some(other) => {
            return Err(invalid(format!(
                "tls_client_auth must be tls_client_auth or self_signed_tls_client_auth, \
                 not {other:?}"
            )))
        }
    };
    let public_or_secret = n.public || n.secret.is_some();
    if mtls.is_some() && public_or_secret {
        return Err(invalid(
            "a client that authenticates with mutual TLS has no secret and is not public",
        ));
    }
    if n.require_signed_request_object && !keyed {
        return Err(invalid(
            "a client that signs its requests needs registered keys (jwks or jwks_uri)",
        ));
    }
    if keys.is_some() && jwks_uri.is_some() {
        return Err(invalid(
            "register keys inline (jwks) or by address (jwks_uri), not both",
        ));
    }
    if keyed && public_or_secret {
        return Err(invalid(
            "a client with keys (private_key_jwt) has no secret and is not public",
        ));
    }
    Ok(Credentials {
        jwks: keys.map(|(text, _)| text),
        jwks_uri,
        mtls,
        subject_dn: mtls.and(subject_dn).map(str::to_owned),
    })
}
