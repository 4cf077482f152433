//! Reading a service provider's metadata into a registration: the entityID, the HTTP-POST
//! assertion consumer services, the logout endpoints, the signing and encryption
//! certificates (RSA of at least 2048 bits), the NameID format, the display name and the
//! attributes it requests. Also fetching metadata from a URL: https, or plain http on
//! loopback only (the metadata carries the keys every later signature is checked with).

use super::sps::{cert_from_b64, Acs, ServiceProvider, Slo, SpError, POST, REDIRECT};
use super::xml::{children, parse, text_of, MD, METADATA_LIMITS};
use super::{attributes, nameid};

/// The smallest RSA key accepted from a service provider.
pub const MIN_RSA_BITS: u32 = 2048;

fn check_url(u: &str, what: &str) -> Result<(), SpError> {
    crate::clients::validate_logout_uri(u)
        .map_err(|_| SpError::Invalid(format!("{what} {u:?} must be an absolute https URL (http only on loopback), without a fragment")))
}

/// Where a `KeyDescriptor`'s certificate may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Signing,
    Encryption,
    Both,
}

/// Parses SP metadata into a registration (before the administrator's choices).
pub fn from_metadata(xml: &str) -> Result<ServiceProvider, SpError> {
    let bad = |m: &str| SpError::Invalid(format!("metadata: {m}"));
    let doc = parse(xml, METADATA_LIMITS).map_err(|e| bad(&e.to_string()))?;
    let root = doc.root_element();
    let ed = if root.has_tag_name((MD, "EntityDescriptor")) {
        root
    } else if root.has_tag_name((MD, "EntitiesDescriptor")) {
        let mut eds = children(root, MD, "EntityDescriptor");
        let first = eds.next().ok_or_else(|| bad("no EntityDescriptor"))?;
        if eds.next().is_some() {
            return Err(bad("register one service provider at a time"));
        }
        first
    } else {
        return Err(bad("the root must be an md:EntityDescriptor"));
    };
    let entity_id = ed
        .attribute("entityID")
        .map(str::trim)
        .filter(|e| !e.is_empty() && e.len() <= 1024)
        .ok_or_else(|| bad("entityID is missing"))?
        .to_owned();
    let mut sps = children(ed, MD, "SPSSODescriptor");
    let sp = sps.next().ok_or_else(|| bad("no SPSSODescriptor"))?;
    if sps.next().is_some() {
        return Err(bad("more than one SPSSODescriptor"));
    }
    let protocols = sp.attribute("protocolSupportEnumeration").unwrap_or("");
    if !protocols.split_whitespace().any(|p| p == super::xml::SAMLP) {
        return Err(bad("the SP does not support SAML 2.0"));
    }
    let mut acs = Vec::new();
    for (i, a) in children(sp, MD, "AssertionConsumerService").enumerate() {
        let binding = a.attribute("Binding").unwrap_or("").to_owned();
        let location = a.attribute("Location").unwrap_or("").trim().to_owned();
        if binding != POST {
            continue; // the IdP answers with HTTP-POST only
        }
        check_url(&location, "AssertionConsumerService")?;
        let index = match a.attribute("index") {
            Some(x) => x.parse().map_err(|_| bad("an ACS index is not a number"))?,
            None => u32::try_from(i).map_err(|_| bad("too many ACS"))?,
        };
        acs.push(Acs {
            binding,
            location,
            index,
            is_default: a.attribute("isDefault") == Some("true"),
        });
    }
    if acs.is_empty() {
        return Err(bad(
            "no AssertionConsumerService with the HTTP-POST binding",
        ));
    }
    let mut slo = Vec::new();
    for s in children(sp, MD, "SingleLogoutService") {
        let binding = s.attribute("Binding").unwrap_or("").to_owned();
        if binding != POST && binding != REDIRECT {
            continue;
        }
        let location = s.attribute("Location").unwrap_or("").trim().to_owned();
        check_url(&location, "SingleLogoutService")?;
        let response_location = s.attribute("ResponseLocation").map(|r| r.trim().to_owned());
        if let Some(r) = &response_location {
            check_url(r, "SingleLogoutService ResponseLocation")?;
        }
        slo.push(Slo {
            binding,
            location,
            response_location,
        });
    }
    let mut keys = Vec::new();
    for kd in children(sp, MD, "KeyDescriptor") {
        let cert = kd
            .descendants()
            .find(|n| n.is_element() && n.has_tag_name((super::xml::DS, "X509Certificate")))
            .map(text_of);
        let Some(cert) = cert else { continue };
        let cert: String = cert.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let x = cert_from_b64(&cert).map_err(|m| bad(&m))?;
        let rsa = x
            .public_key()
            .ok()
            .and_then(|k| k.rsa().ok())
            .ok_or_else(|| bad("only RSA certificates are supported"))?;
        if rsa.size() * 8 < MIN_RSA_BITS {
            return Err(bad(&format!(
                "an RSA key of {} bits is too small (at least {MIN_RSA_BITS})",
                rsa.size() * 8
            )));
        }
        let usage = match kd.attribute("use") {
            Some("signing") => Use::Signing,
            Some("encryption") => Use::Encryption,
            None => Use::Both,
            Some(u) => return Err(bad(&format!("unknown KeyDescriptor use {u:?}"))),
        };
        keys.push((usage, cert));
    }
    let signing_certs = keys
        .iter()
        .filter(|(u, _)| *u != Use::Encryption)
        .map(|(_, c)| c.clone())
        .collect();
    // A key marked for encryption wins over one for any use, wherever it comes.
    let encryption_cert = keys
        .iter()
        .find(|(u, _)| *u == Use::Encryption)
        .or_else(|| keys.iter().find(|(u, _)| *u == Use::Both))
        .map(|(_, c)| c.clone());
    let nameid_format = children(sp, MD, "NameIDFormat")
        .map(text_of)
        .find(|f| nameid::SUPPORTED.contains(&f.as_str()))
        .unwrap_or_else(|| nameid::PERSISTENT.to_owned());
    const MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
    let name = ed
        .descendants()
        .find(|n| {
            n.is_element()
                && (n.has_tag_name((MDUI, "DisplayName")) || n.has_tag_name((MD, "ServiceName")))
        })
        .map(text_of)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect())
        .unwrap_or_else(|| entity_id.clone());
    // Attributes the SP asks for, when it says (and they are ones the IdP has).
    let requested: Vec<String> = sp
        .descendants()
        .filter(|n| n.is_element() && n.has_tag_name((MD, "RequestedAttribute")))
        .filter_map(|n| attributes::by_name(n.attribute("Name").unwrap_or("")))
        .map(|a| a.short.to_owned())
        .collect();
    Ok(ServiceProvider {
        entity_id,
        name,
        acs,
        slo,
        signing_certs,
        encryption_cert,
        nameid_format,
        attributes: if requested.is_empty() {
            attributes::DEFAULT_RELEASE
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            requested
        },
        service_id: None,
        allow_idp_initiated: false,
        sign_response: false,
        encrypt_assertions: false,
        want_signed_requests: sp.attribute("AuthnRequestsSigned") == Some("true"),
        require_mfa: false,
        require_phishing_resistant: false,
    })
}

/// Whether a document (SAML metadata, a client's keys) may come from `u`: https, or plain http
/// to a loopback address (a test or a local proxy); anything else could be altered on the way.
pub(crate) fn trusted_source(u: &url::Url) -> bool {
    match u.scheme() {
        "https" => true,
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Reads metadata from a URL (https, or http on loopback; redirects only to such URLs; at
/// most the metadata size limit, 10 seconds).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fetch_metadata(url: &str) -> Result<String, SpError> {
    let u = url::Url::parse(url).map_err(|_| SpError::Invalid(format!("{url:?} is not a URL")))?;
    if !trusted_source(&u) {
        return Err(SpError::Invalid(
            "metadata URLs must be https (plain http only on loopback)".into(),
        ));
    }
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 3 {
            attempt.error("too many redirects")
        } else if !trusted_source(attempt.url()) {
            attempt.error("redirected to a URL that is not https")
        } else {
            attempt.follow()
        }
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(policy)
        .build()
        .map_err(|e| SpError::Invalid(format!("cannot fetch metadata: {e}")))?;
    let mut r = client
        .get(u)
        .send()
        .await
        .map_err(|e| SpError::Invalid(format!("cannot fetch metadata: {e}")))?;
    if !r.status().is_success() {
        return Err(SpError::Invalid(format!(
            "cannot fetch metadata: HTTP {}",
            r.status().as_u16()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r
        .chunk()
        .await
        .map_err(|e| SpError::Invalid(format!("cannot fetch metadata: {e}")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > METADATA_LIMITS.max_bytes {
            return Err(SpError::Invalid("the metadata is too large".into()));
        }
    }
    String::from_utf8(body).map_err(|_| SpError::Invalid("the metadata is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::keys::generate_key;

    fn metadata(keys: &[(Option<&str>, &str)]) -> String {
        let kds: String = keys
            .iter()
            .map(|(u, c)| {
                let u = u.map(|u| format!(" use=\"{u}\"")).unwrap_or_default();
                format!(
                    "<md:KeyDescriptor{u}><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
                )
            })
            .collect();
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{kds}<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"#
        )
    }

    #[test]
    fn an_encryption_key_wins_over_a_key_for_any_use_wherever_it_comes() {
        let any = generate_key("any", 2048, 0).unwrap().cert_b64;
        let enc = generate_key("enc", 2048, 0).unwrap().cert_b64;
        let sp = from_metadata(&metadata(&[(None, &any), (Some("encryption"), &enc)])).unwrap();
        assert_eq!(sp.encryption_cert.as_deref(), Some(enc.as_str()));
        assert_eq!(sp.signing_certs, vec![any.clone()]);
        let sp = from_metadata(&metadata(&[(Some("encryption"), &enc), (None, &any)])).unwrap();
        assert_eq!(sp.encryption_cert.as_deref(), Some(enc.as_str()));
        // A key for any use serves both when it is the only one.
        let sp = from_metadata(&metadata(&[(None, &any)])).unwrap();
        assert_eq!(sp.encryption_cert.as_deref(), Some(any.as_str()));
        assert_eq!(sp.signing_certs, vec![any]);
    }

    #[test]
    fn rsa_keys_under_2048_bits_and_unknown_uses_are_refused() {
        let small = generate_key("small", 1024, 0).unwrap().cert_b64;
        let e = from_metadata(&metadata(&[(Some("signing"), &small)])).unwrap_err();
        assert!(e.to_string().contains("1024 bits is too small"), "{e}");
        let ok = generate_key("ok", 2048, 0).unwrap().cert_b64;
        assert!(from_metadata(&metadata(&[(Some("sealing"), &ok)])).is_err());
    }

    #[test]
    fn metadata_comes_over_https_or_from_loopback_only() {
        let ok = |u: &str| trusted_source(&url::Url::parse(u).unwrap());
        assert!(ok("https://sp.example/metadata"));
        assert!(ok("http://127.0.0.1:8000/metadata"));
        assert!(ok("http://localhost:8000/metadata"));
        assert!(ok("http://[::1]:8000/metadata"));
        assert!(!ok("http://sp.example/metadata"));
        assert!(!ok("http://10.0.0.1/metadata"));
        assert!(!ok("ftp://sp.example/metadata"));
        assert!(!ok("file:///etc/passwd"));
    }
}
