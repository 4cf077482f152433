//! Mutual-TLS client authentication and certificate-bound tokens (RFC 8705). The listener
//! takes any client certificate whose private key the client proves in the handshake, and
//! hands the chain on (`web::http::CLIENT_CERTIFICATE`); here it authenticates a client:
//! - `self_signed_tls_client_auth`: the certificate is one the client registered, as the
//!   `x5c` of a key in its inline `jwks` (compared by SHA-256 of the DER, in constant time);
//! - `tls_client_auth`: the chain verifies up to one of the CAs in `tls.client_ca_file`, and
//!   the certificate's subject is the registered `tls_client_auth_subject_dn` (attribute types
//!   case-insensitive, RDN order ignored).
//!
//! A token issued to a client that authenticated so is bound to the certificate
//! (`cnf.x5t#S256`): userinfo takes it only over a connection with the same certificate.

use crate::{Client, Provider};
use base64::Engine as _;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509StoreContext, X509};
use platform::crypto::{b64url, ct_eq, sha256};

/// The method that checks a certificate from a configured CA and its subject.
pub const TLS_CLIENT_AUTH: &str = "tls_client_auth";

/// The method that compares the certificate with one the client registered.
pub const SELF_SIGNED_TLS_CLIENT_AUTH: &str = "self_signed_tls_client_auth";

/// The SHA-256 thumbprint of a certificate (`x5t#S256`).
pub fn thumbprint(der: &[u8]) -> String {
    b64url(&sha256(der))
}

/// The certificates a self-signed client registered: each key's first `x5c` entry (DER).
pub fn registered_certificates(client: &Client) -> Vec<Vec<u8>> {
    client
        .keys
        .iter()
        .filter_map(|k| k.parameter("x5c"))
        .filter_map(|x5c| x5c.as_array()?.first()?.as_str().map(str::to_owned))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .collect()
}

/// A distinguished name as a sorted list of `TYPE=value` (types upper-cased, RDN order
/// ignored), from its RFC 4514 text (`CN=lab,O=Example Hospital,C=CA`).
pub fn normalize_dn(dn: &str) -> Vec<String> {
    let mut parts: Vec<String> = dn
        .split(',')
        .filter_map(|rdn| {
            let (t, v) = rdn.split_once('=')?;
            Some(format!("{}={}", t.trim().to_ascii_uppercase(), v.trim()))
        })
        .collect();
    parts.sort();
    parts
}

/// The subject as sorted `TYPE=value` entries; `None` if an entry cannot be read (never
/// compared as a shorter name).
fn subject_of(cert: &X509) -> Option<Vec<String>> {
    let mut parts: Vec<String> = cert
        .subject_name()
        .entries()
        .map(|e| {
            let t = e.object().nid().short_name().ok()?;
            let v = e.data().to_string().ok()?;
            Some(format!("{}={}", t.to_ascii_uppercase(), v))
        })
        .collect::<Option<_>>()?;
    parts.sort();
    Some(parts)
}

/// Whether the chain (DER, leaf first) authenticates `client` by its mutual-TLS method; the
/// reason when not (logged, never told).
pub fn authenticate(p: &Provider, client: &Client, chain: &[Vec<u8>]) -> Result<(), &'static str> {
    let leaf = chain.first().ok_or("no client certificate")?;
    match client.tls_client_auth.as_deref() {
        Some(SELF_SIGNED_TLS_CLIENT_AUTH) => {
            let presented = sha256(leaf);
            let known = registered_certificates(client)
                .iter()
                .any(|c| ct_eq(&sha256(c), &presented));
            known.then_some(()).ok_or("not a registered certificate")
        }
        Some(TLS_CLIENT_AUTH) => {
            if p.cfg.client_cas.is_empty() {
                return Err("no client CA is configured (tls.client_ca_file)");
            }
            let cert = X509::from_der(leaf).map_err(|_| "not a certificate")?;
            let mut store = X509StoreBuilder::new().map_err(|_| "store")?;
            for ca in &p.cfg.client_cas {
                let ca = X509::from_der(ca).map_err(|_| "a configured CA does not parse")?;
                store.add_cert(ca).map_err(|_| "store")?;
            }
            // A certificate for client authentication (its extended key usage, if it has
            // one, allows it), and a chain that may end at a configured intermediate.
            store
                .set_purpose(openssl::x509::X509PurposeId::SSL_CLIENT)
                .map_err(|_| "store")?;
            store
                .set_flags(openssl::x509::verify::X509VerifyFlags::PARTIAL_CHAIN)
                .map_err(|_| "store")?;
            let store = store.build();
            let mut untrusted = openssl::stack::Stack::new().map_err(|_| "store")?;
            for der in &chain[1..] {
                let c = X509::from_der(der).map_err(|_| "not a certificate")?;
                untrusted.push(c).map_err(|_| "store")?;
            }
            let mut ctx = X509StoreContext::new().map_err(|_| "store")?;
            let verified = ctx
                .init(&store, &cert, &untrusted, |c| c.verify_cert())
                .map_err(|_| "store")?;
            if !verified {
                return Err("the certificate does not chain to a configured client CA");
            }
            let registered = client
                .tls_client_auth_subject_dn
                .as_deref()
                .map(normalize_dn)
                .ok_or("no registered subject")?;
            (subject_of(&cert) == Some(registered))
                .then_some(())
                .ok_or("the certificate's subject is not the registered one")
        }
        _ => Err("the client does not authenticate with mutual TLS"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguished_names_compare_without_order_or_case_of_types() {
        assert_eq!(
            normalize_dn("CN=lab, o=Example Hospital,C=CA"),
            normalize_dn("C=CA,O=Example Hospital,CN=lab")
        );
        assert_ne!(
            normalize_dn("CN=lab,O=Example Hospital"),
            normalize_dn("CN=lab,O=Other Hospital")
        );
    }
}
