//! Reading what service providers send: the bindings' encodings (HTTP-Redirect: DEFLATE +
//! base64 + URL encoding; HTTP-POST: base64), then `AuthnRequest`, `LogoutRequest` and
//! `LogoutResponse` from the document's root element, through `xml::parse` (no DTDs, bounded
//! size and depth). Signatures are checked by the caller against the registered SP
//! (`dsig`), over the same root these values are read from.

use super::xml::{
    self, only_child, parse_datetime, text_of, XmlError, MESSAGE_LIMITS, SAML, SAMLP,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use roxmltree::Node;
use std::io::Read;

/// Why a message was refused before anything else was looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not base64, not DEFLATE, not UTF-8.
    #[error("the message is not encoded as the binding requires")]
    Encoding,
    /// Larger than the IdP accepts.
    #[error("the message is too large")]
    TooLarge,
    /// Refused by the XML reader.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// Not the message expected, or a required part is missing or malformed.
    #[error("the message is not a valid {0}")]
    Invalid(&'static str),
}

/// Base64 of a message, at most this long (before decoding).
const MAX_ENCODED: usize = 48 * 1024;

fn unbase64(s: &str) -> Result<Vec<u8>, RequestError> {
    if s.len() > MAX_ENCODED {
        return Err(RequestError::TooLarge);
    }
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(clean).map_err(|_| RequestError::Encoding)
}

/// Decodes an HTTP-Redirect message (already URL-decoded): base64, then raw DEFLATE, inflating
/// no more than the XML limit (a small message cannot expand into a large one).
pub fn decode_redirect(value: &str) -> Result<String, RequestError> {
    let deflated = unbase64(value)?;
    let limit = MESSAGE_LIMITS.max_bytes;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| RequestError::Encoding)?;
    if out.len() > limit {
        return Err(RequestError::TooLarge);
    }
    String::from_utf8(out).map_err(|_| RequestError::Encoding)
}

/// Decodes an HTTP-POST message: base64.
pub fn decode_post(value: &str) -> Result<String, RequestError> {
    let raw = unbase64(value)?;
    if raw.len() > MESSAGE_LIMITS.max_bytes {
        return Err(RequestError::TooLarge);
    }
    String::from_utf8(raw).map_err(|_| RequestError::Encoding)
}

/// Encodes for HTTP-Redirect: raw DEFLATE, then base64 (URL encoding is the caller's).
pub fn encode_redirect(xml: &str) -> String {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(xml.as_bytes());
    STANDARD.encode(e.finish().unwrap_or_default())
}

/// What an RP asked for in `RequestedAuthnContext`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestedContext {
    /// `exact` (the default), `minimum`, `better` or `maximum`.
    pub comparison: String,
    /// `AuthnContextClassRef` values, in order.
    pub class_refs: Vec<String>,
}

/// An `AuthnRequest`, as far as the IdP uses it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthnRequest {
    /// `ID`.
    pub id: String,
    /// `IssueInstant`, unix seconds.
    pub issue_instant: i64,
    /// `Issuer` (the SP's entityID).
    pub issuer: String,
    /// `Destination`.
    pub destination: Option<String>,
    /// `AssertionConsumerServiceURL`.
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex`.
    pub acs_index: Option<u32>,
    /// `ProtocolBinding`.
    pub protocol_binding: Option<String>,
    /// `ForceAuthn`.
    pub force_authn: bool,
    /// `IsPassive`.
    pub is_passive: bool,
    /// `NameIDPolicy/@Format`.
    pub nameid_format: Option<String>,
    /// `RequestedAuthnContext`.
    pub authn_context: Option<RequestedContext>,
}

/// A `LogoutRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogoutRequest {
    /// `ID`.
    pub id: String,
    /// `IssueInstant`, unix seconds.
    pub issue_instant: i64,
    /// `Issuer`.
    pub issuer: String,
    /// `Destination`.
    pub destination: Option<String>,
    /// `NotOnOrAfter`, unix seconds.
    pub not_on_or_after: Option<i64>,
    /// `NameID` value.
    pub name_id: String,
    /// `SessionIndex` values.
    pub session_indexes: Vec<String>,
}

/// A `LogoutResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogoutResponse {
    /// `ID`.
    pub id: String,
    /// `InResponseTo`.
    pub in_response_to: Option<String>,
    /// `Issuer`.
    pub issuer: String,
    /// `Destination`.
    pub destination: Option<String>,
    /// Top-level status code.
    pub status: String,
}

fn boolean(n: Node<'_, '_>, name: &str, what: &'static str) -> Result<bool, RequestError> {
    match n.attribute(name) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(RequestError::Invalid(what)),
    }
}

fn short(v: Option<&str>, max: usize) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= max)
        .map(str::to_owned)
}

/// The checks every request and response shares: the root's name, `Version`, `ID`,
/// `IssueInstant` and the one `Issuer` (of entity format).
fn common<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    name: &'static str,
) -> Result<(Node<'a, 'i>, String, i64, String), RequestError> {
    let bad = RequestError::Invalid(name);
    let root = doc.root_element();
    if !root.has_tag_name((SAMLP, name)) {
        return Err(bad);
    }
    if root.attribute("Version") != Some("2.0") {
        return Err(bad);
    }
    let id = short(root.attribute("ID"), 256).ok_or(bad.clone())?;
    let instant = root
        .attribute("IssueInstant")
        .and_then(parse_datetime)
        .ok_or(bad.clone())?;
    let issuer = only_child(root, SAML, "Issuer")
        .map_err(|_| bad.clone())?
        .ok_or(bad.clone())?;
    if let Some(f) = issuer.attribute("Format") {
        if f != "urn:oasis:names:tc:SAML:2.0:nameid-format:entity" {
            return Err(bad);
        }
    }
    let issuer_text = text_of(issuer);
    if issuer_text.is_empty() || issuer_text.len() > 1024 {
        return Err(bad);
    }
    Ok((root, id, instant, issuer_text))
}

/// Reads an `AuthnRequest`.
pub fn authn_request(text: &str) -> Result<AuthnRequest, RequestError> {
    let doc = xml::parse(text, MESSAGE_LIMITS)?;
    let what = "AuthnRequest";
    let bad = RequestError::Invalid(what);
    let (root, id, issue_instant, issuer) = common(&doc, what)?;
    let acs_index = match root.attribute("AssertionConsumerServiceIndex") {
        Some(i) => Some(i.parse::<u32>().map_err(|_| bad.clone())?),
        None => None,
    };
    let policy = only_child(root, SAMLP, "NameIDPolicy").map_err(|_| bad.clone())?;
    let nameid_format = policy.and_then(|p| short(p.attribute("Format"), 256));
    let authn_context = match only_child(root, SAMLP, "RequestedAuthnContext")
        .map_err(|_| bad.clone())?
    {
        Some(r) => {
            let comparison = r.attribute("Comparison").unwrap_or("exact").to_owned();
            if !matches!(
                comparison.as_str(),
                "exact" | "minimum" | "better" | "maximum"
            ) {
                return Err(bad);
            }
            let class_refs: Vec<String> = super::xml::children(r, SAML, "AuthnContextClassRef")
                .map(text_of)
                .take(10)
                .collect();
            if class_refs.is_empty() || class_refs.iter().any(|c| c.is_empty() || c.len() > 256) {
                // AuthnContextDeclRef is not supported: nothing the IdP could match.
                return Err(bad);
            }
            Some(RequestedContext {
                comparison,
                class_refs,
            })
        }
        None => None,
    };
    Ok(AuthnRequest {
        id,
        issue_instant,
        issuer,
        destination: short(root.attribute("Destination"), 2048),
        acs_url: short(root.attribute("AssertionConsumerServiceURL"), 2048),
        acs_index,
        protocol_binding: short(root.attribute("ProtocolBinding"), 256),
        force_authn: boolean(root, "ForceAuthn", what)?,
        is_passive: boolean(root, "IsPassive", what)?,
        nameid_format,
        authn_context,
    })
}

/// Reads a `LogoutRequest`.
pub fn logout_request(text: &str) -> Result<LogoutRequest, RequestError> {
    let doc = xml::parse(text, MESSAGE_LIMITS)?;
    let what = "LogoutRequest";
    let bad = RequestError::Invalid(what);
    let (root, id, issue_instant, issuer) = common(&doc, what)?;
    let name_id = only_child(root, SAML, "NameID")
        .map_err(|_| bad.clone())?
        .map(text_of)
        .filter(|n| !n.is_empty() && n.len() <= 1024)
        .ok_or(bad.clone())?;
    let not_on_or_after = match root.attribute("NotOnOrAfter") {
        Some(t) => Some(parse_datetime(t).ok_or(bad.clone())?),
        None => None,
    };
    let session_indexes = super::xml::children(root, SAMLP, "SessionIndex")
        .map(text_of)
        .take(20)
        .collect();
    Ok(LogoutRequest {
        id,
        issue_instant,
        issuer,
        destination: short(root.attribute("Destination"), 2048),
        not_on_or_after,
        name_id,
        session_indexes,
    })
}

/// Reads a `LogoutResponse`.
pub fn logout_response(text: &str) -> Result<LogoutResponse, RequestError> {
    let doc = xml::parse(text, MESSAGE_LIMITS)?;
    let what = "LogoutResponse";
    let bad = RequestError::Invalid(what);
    let (root, id, _, issuer) = common(&doc, what)?;
    let status = only_child(root, SAMLP, "Status")
        .ok()
        .flatten()
        .and_then(|s| only_child(s, SAMLP, "StatusCode").ok().flatten())
        .and_then(|c| c.attribute("Value"))
        .ok_or(bad)?
        .to_owned();
    Ok(LogoutResponse {
        id,
        in_response_to: short(root.attribute("InResponseTo"), 256),
        issuer,
        destination: short(root.attribute("Destination"), 2048),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const REQUEST: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z" Destination="https://idp/saml/sso" AssertionConsumerServiceURL="https://sp/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ForceAuthn="true"><saml:Issuer>https://sp</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" AllowCreate="true"/><samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>urn:oneid:loa:1:mfa</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>"#;

    #[test]
    fn an_authn_request_is_read_through_both_bindings() {
        let r = authn_request(REQUEST).unwrap();
        assert_eq!(r.id, "_r1");
        assert_eq!(r.issuer, "https://sp");
        assert_eq!(r.acs_url.as_deref(), Some("https://sp/acs"));
        assert!(r.force_authn && !r.is_passive);
        assert_eq!(
            r.authn_context.unwrap().class_refs,
            vec!["urn:oneid:loa:1:mfa"]
        );
        let enc = encode_redirect(REQUEST);
        assert_eq!(decode_redirect(&enc).unwrap(), REQUEST);
        assert_eq!(decode_post(&STANDARD.encode(REQUEST)).unwrap(), REQUEST);
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_limit() {
        let big = format!("<a>{}</a>", " ".repeat(5_000_000));
        assert_eq!(
            decode_redirect(&encode_redirect(&big)),
            Err(RequestError::TooLarge)
        );
    }

    #[test]
    fn comments_cannot_truncate_a_value() {
        let x = REQUEST.replace(
            "https://sp</saml:Issuer>",
            "https://sp<!-- x -->.evil</saml:Issuer>",
        );
        assert_eq!(authn_request(&x).unwrap().issuer, "https://sp.evil");
    }

    #[test]
    fn wrong_roots_and_missing_parts_are_refused() {
        assert!(authn_request(&REQUEST.replace("Version=\"2.0\"", "Version=\"1.1\"")).is_err());
        assert!(
            authn_request(&REQUEST.replace("<saml:Issuer>https://sp</saml:Issuer>", "")).is_err()
        );
        assert!(logout_request(REQUEST).is_err());
        assert!(
            authn_request(&REQUEST.replace("ForceAuthn=\"true\"", "ForceAuthn=\"yes\"")).is_err()
        );
    }
}
