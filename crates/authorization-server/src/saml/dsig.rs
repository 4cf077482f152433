//! XML Signature for SAML, both ways, written here rather than bound to libxmlsec1 (see the
//! README's SAML section for why).
//!
//! Signing: the IdP's own elements are emitted in exclusive canonical form (`xml::Writer`),
//! so the digest is over exactly the bytes sent; an enveloped `ds:Signature` (RSA-SHA256,
//! SHA-256 digest, exc-c14n) goes right after the element's `Issuer`, as the schema wants.
//!
//! Verifying (AuthnRequest and LogoutRequest in the POST binding): only the document's root
//! element may be signed, by a single `ds:Signature` that is its direct child, whose single
//! Reference points at the root's `ID`, which no other element carries; transforms exactly
//! enveloped-signature + exc-c14n; RSA with SHA-256 or SHA-512; the key comes from the
//! registered service provider, never from the message. The caller then reads the very
//! root it verified, so nothing unsigned can be wrapped in. The HTTP-Redirect binding signs
//! the query string instead (`verify_query`).

use super::c14n::canonicalize;
use super::xml::{children, only_child, text_of, Writer, DS};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use openssl::x509::X509;
use roxmltree::{Document, Node};

/// Exclusive canonicalization 1.0 (without comments).
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The enveloped-signature transform.
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// RSASSA-PKCS1-v1_5 with SHA-256.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSASSA-PKCS1-v1_5 with SHA-512.
pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
/// SHA-256 digest.
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// SHA-512 digest.
pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";

/// Why a signature was refused. Deliberately coarse: the reason is logged and audited, the
/// sender learns only that the signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// No signature where one is required.
    #[error("the message is not signed")]
    Missing,
    /// Structure the IdP does not accept (several signatures or references, a reference to
    /// something other than the root, other transforms, duplicate IDs).
    #[error("the signature's structure is not accepted: {0}")]
    Structure(&'static str),
    /// An algorithm the IdP does not accept.
    #[error("the signature algorithm is not accepted")]
    Algorithm,
    /// The digest or the signature value does not match.
    #[error("the signature does not verify")]
    Invalid,
}

/// A signing key with its certificate.
pub struct SigningKey {
    /// Key id (for the administrator and the metadata's `KeyName`).
    pub kid: String,
    /// RSA private key.
    pub key: PKey<Private>,
    /// Self-signed certificate of its public key.
    pub cert: X509,
    /// The certificate, base64 DER (as in `ds:X509Certificate`).
    pub cert_b64: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn rsa_sign(key: &PKey<Private>, md: MessageDigest, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut s = Signer::new(md, key).map_err(|e| e.to_string())?;
    s.update(data).map_err(|e| e.to_string())?;
    s.sign_to_vec().map_err(|e| e.to_string())
}

/// The canonical `ds:SignedInfo` for one reference to `#id` with `digest` (base64), with
/// the `ds` declaration it has when canonicalized on its own.
fn signed_info(id: &str, digest: &str, with_ns: bool) -> String {
    let mut w = Writer::new();
    let ns: &[(&str, &str)] = if with_ns { &[("ds", DS)] } else { &[] };
    w.open("ds:SignedInfo", ns, &[]);
    w.leaf(
        "ds:CanonicalizationMethod",
        &[],
        &[("Algorithm", EXC_C14N)],
        "",
    );
    w.leaf("ds:SignatureMethod", &[], &[("Algorithm", RSA_SHA256)], "");
    let uri = format!("#{id}");
    w.open("ds:Reference", &[], &[("URI", &uri)]);
    w.open("ds:Transforms", &[], &[]);
    w.leaf("ds:Transform", &[], &[("Algorithm", ENVELOPED)], "");
    w.leaf("ds:Transform", &[], &[("Algorithm", EXC_C14N)], "");
    w.close("ds:Transforms");
    w.leaf("ds:DigestMethod", &[], &[("Algorithm", SHA256)], "");
    w.leaf("ds:DigestValue", &[], &[], digest);
    w.close("ds:Reference");
    w.close("ds:SignedInfo");
    w.out
}

/// Signs the canonical element `head + tail` (whose `ID` is `id`) with an enveloped
/// signature placed between `head` (the start tag and the `Issuer`) and `tail`.
pub fn sign_enveloped(
    head: &str,
    tail: &str,
    id: &str,
    key: &SigningKey,
) -> Result<String, String> {
    let mut whole = String::with_capacity(head.len() + tail.len());
    whole.push_str(head);
    whole.push_str(tail);
    let digest = STANDARD.encode(openssl::sha::sha256(whole.as_bytes()));
    let to_sign = signed_info(id, &digest, true);
    let value = STANDARD.encode(rsa_sign(
        &key.key,
        MessageDigest::sha256(),
        to_sign.as_bytes(),
    )?);
    let mut w = Writer::new();
    w.raw(head);
    w.open("ds:Signature", &[("ds", DS)], &[]);
    w.raw(&signed_info(id, &digest, false));
    w.leaf("ds:SignatureValue", &[], &[], &value);
    w.open("ds:KeyInfo", &[], &[]);
    w.open("ds:X509Data", &[], &[]);
    w.leaf("ds:X509Certificate", &[], &[], &key.cert_b64);
    w.close("ds:X509Data");
    w.close("ds:KeyInfo");
    w.close("ds:Signature");
    w.raw(tail);
    Ok(w.out)
}

/// Signs a Redirect-binding query (`SAMLRequest=..[&RelayState=..]`, already encoded) and
/// returns it with `&SigAlg=..&Signature=..` appended (SAML bindings §3.4.4.1).
pub fn sign_query(query: &str, key: &SigningKey) -> Result<String, String> {
    let mut q = query.to_owned();
    q.push_str("&SigAlg=");
    q.push_str(&urlencode(RSA_SHA256));
    let sig = rsa_sign(&key.key, MessageDigest::sha256(), q.as_bytes())?;
    q.push_str("&Signature=");
    q.push_str(&urlencode(&STANDARD.encode(sig)));
    Ok(q)
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn digest_of(alg: &str) -> Option<MessageDigest> {
    match alg {
        SHA256 => Some(MessageDigest::sha256()),
        SHA512 => Some(MessageDigest::sha512()),
        _ => None,
    }
}

fn sig_digest_of(alg: &str) -> Option<MessageDigest> {
    match alg {
        RSA_SHA256 => Some(MessageDigest::sha256()),
        RSA_SHA512 => Some(MessageDigest::sha512()),
        _ => None,
    }
}

fn rsa_verify(
    keys: &[PKey<Public>],
    md: MessageDigest,
    data: &[u8],
    sig: &[u8],
) -> Result<(), SigError> {
    for k in keys {
        if k.rsa().is_err() {
            continue;
        }
        let ok = Verifier::new(md, k)
            .and_then(|mut v| {
                v.update(data)?;
                v.verify(sig)
            })
            .unwrap_or(false);
        if ok {
            return Ok(());
        }
    }
    Err(SigError::Invalid)
}

fn b64(s: &str) -> Result<Vec<u8>, SigError> {
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(clean).map_err(|_| SigError::Invalid)
}

fn algorithm<'a>(n: Node<'a, '_>) -> Result<&'a str, SigError> {
    n.attribute("Algorithm")
        .ok_or(SigError::Structure("an algorithm is missing"))
}

/// The InclusiveNamespaces PrefixList under a c14n method or transform.
fn prefix_list<'a>(n: Node<'a, '_>) -> Vec<&'a str> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == "InclusiveNamespaces")
        .and_then(|c| c.attribute("PrefixList"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default()
}

/// Whether the document's root carries an enveloped signature (a `ds:Signature` child).
pub fn has_signature(doc: &Document<'_>) -> bool {
    children(doc.root_element(), DS, "Signature")
        .next()
        .is_some()
}

/// Verifies the enveloped signature over the document's root element with one of `keys`.
pub fn verify_enveloped(
    text: &str,
    doc: &Document<'_>,
    keys: &[PKey<Public>],
) -> Result<(), SigError> {
    let root = doc.root_element();
    let id = root
        .attribute("ID")
        .ok_or(SigError::Structure("the signed element has no ID"))?;
    // Exactly one signature on the root, as its direct child (signatures deeper down are
    // just content the digest covers).
    let sig = {
        let mut it = children(root, DS, "Signature");
        match (it.next(), it.next()) {
            (None, _) => return Err(SigError::Missing),
            (Some(s), None) => s,
            (Some(_), Some(_)) => return Err(SigError::Structure("one signature on the root")),
        }
    };
    // The ID names exactly one element.
    let same_id = doc
        .descendants()
        .filter(|n| {
            n.is_element()
                && n.attributes().any(|a| {
                    matches!(a.name(), "ID" | "Id" | "id")
                        && a.namespace().is_none()
                        && a.value() == id
                })
        })
        .count();
    if same_id != 1 {
        return Err(SigError::Structure("the signed ID is not unique"));
    }
    let structure = |m: &'static str| SigError::Structure(m);
    let si = only_child(sig, DS, "SignedInfo")
        .map_err(|_| structure("one SignedInfo"))?
        .ok_or(structure("one SignedInfo"))?;
    if sig.first_element_child() != Some(si) {
        return Err(structure("SignedInfo comes first"));
    }
    let cm = only_child(si, DS, "CanonicalizationMethod")
        .ok()
        .flatten()
        .ok_or(structure("one CanonicalizationMethod"))?;
    if algorithm(cm)? != EXC_C14N {
        return Err(SigError::Algorithm);
    }
    let sm = only_child(si, DS, "SignatureMethod")
        .ok()
        .flatten()
        .ok_or(structure("one SignatureMethod"))?;
    let sig_md = sig_digest_of(algorithm(sm)?).ok_or(SigError::Algorithm)?;
    let reference = only_child(si, DS, "Reference")
        .map_err(|_| structure("one Reference"))?
        .ok_or(structure("one Reference"))?;
    if reference.attribute("URI") != Some(&format!("#{id}")) {
        return Err(structure("the Reference must name the root's ID"));
    }
    let transforms: Vec<Node> = only_child(reference, DS, "Transforms")
        .ok()
        .flatten()
        .map(|t| children(t, DS, "Transform").collect())
        .unwrap_or_default();
    let (enveloped, exc) = match transforms.as_slice() {
        [a, b] => (*a, *b),
        _ => {
            return Err(structure(
                "transforms must be enveloped-signature, exc-c14n",
            ))
        }
    };
    if algorithm(enveloped)? != ENVELOPED || algorithm(exc)? != EXC_C14N {
        return Err(structure(
            "transforms must be enveloped-signature, exc-c14n",
        ));
    }
    let dm = only_child(reference, DS, "DigestMethod")
        .ok()
        .flatten()
        .ok_or(structure("one DigestMethod"))?;
    let md = digest_of(algorithm(dm)?).ok_or(SigError::Algorithm)?;
    let dv = only_child(reference, DS, "DigestValue")
        .ok()
        .flatten()
        .ok_or(structure("one DigestValue"))?;
    let sv = only_child(sig, DS, "SignatureValue")
        .ok()
        .flatten()
        .ok_or(structure("one SignatureValue"))?;
    // The digest over the root minus its signature, then the signature over SignedInfo.
    let content = canonicalize(text, root, Some(sig.id()), &prefix_list(exc))
        .map_err(|_| SigError::Invalid)?;
    let digest = openssl::hash::hash(md, content.as_bytes()).map_err(|_| SigError::Invalid)?;
    if !platform::crypto::ct_eq(&digest, &b64(&text_of(dv))?) {
        return Err(SigError::Invalid);
    }
    let info = canonicalize(text, si, None, &prefix_list(cm)).map_err(|_| SigError::Invalid)?;
    rsa_verify(keys, sig_md, info.as_bytes(), &b64(&text_of(sv))?)
}

/// The raw (still percent-encoded) parameters of a Redirect-binding query.
#[derive(Debug, Default, Clone)]
pub struct RawQuery<'a> {
    /// `SAMLRequest` or `SAMLResponse`, with its name.
    pub message: Option<(&'a str, &'a str)>,
    /// `RelayState`.
    pub relay_state: Option<&'a str>,
    /// `SigAlg`.
    pub sig_alg: Option<&'a str>,
    /// `Signature`.
    pub signature: Option<&'a str>,
}

/// Splits a query string into its raw SAML parameters; `None` when one is repeated.
pub fn raw_query(q: &str) -> Option<RawQuery<'_>> {
    let mut r = RawQuery::default();
    for part in q.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let slot = match k {
            "SAMLRequest" | "SAMLResponse" => {
                if r.message.is_some() {
                    return None;
                }
                r.message = Some((k, v));
                continue;
            }
            "RelayState" => &mut r.relay_state,
            "SigAlg" => &mut r.sig_alg,
            "Signature" => &mut r.signature,
            _ => continue,
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(v);
    }
    Some(r)
}

fn decode(v: &str) -> String {
    url::form_urlencoded::parse(format!("x={v}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Verifies a Redirect-binding signature: over `SAMLRequest=..&RelayState=..&SigAlg=..` as
/// the sender encoded them (SAML bindings §3.4.4.1).
pub fn verify_query(q: &RawQuery<'_>, keys: &[PKey<Public>]) -> Result<(), SigError> {
    let (Some((name, msg)), Some(alg), Some(sig)) = (q.message, q.sig_alg, q.signature) else {
        return Err(SigError::Missing);
    };
    let md = sig_digest_of(&decode(alg)).ok_or(SigError::Algorithm)?;
    let mut signed = format!("{name}={msg}");
    if let Some(rs) = q.relay_state {
        signed.push_str("&RelayState=");
        signed.push_str(rs);
    }
    signed.push_str("&SigAlg=");
    signed.push_str(alg);
    rsa_verify(keys, md, signed.as_bytes(), &b64(&decode(sig))?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::saml::xml::{parse, MESSAGE_LIMITS, SAML, SAMLP};

    /// A throwaway key and certificate.
    pub fn test_key() -> SigningKey {
        super::super::keys::generate_key("test", 2048, 0).unwrap()
    }

    fn request(key: &SigningKey, id: &str) -> String {
        let mut w = Writer::new();
        w.open(
            "samlp:AuthnRequest",
            &[("samlp", SAMLP)],
            &[
                ("ID", id),
                ("Version", "2.0"),
                ("IssueInstant", "2030-01-01T00:00:00Z"),
            ],
        );
        w.leaf("saml:Issuer", &[("saml", SAML)], &[], "https://sp.example");
        let head = w.out.clone();
        let tail =
            "<samlp:NameIDPolicy AllowCreate=\"true\"></samlp:NameIDPolicy></samlp:AuthnRequest>";
        sign_enveloped(&head, tail, id, key).unwrap()
    }

    fn public(k: &SigningKey) -> Vec<PKey<Public>> {
        vec![k.cert.public_key().unwrap()]
    }

    #[test]
    fn an_enveloped_signature_we_make_verifies_and_our_output_is_canonical() {
        let k = test_key();
        let xml = request(&k, "_abc");
        let doc = parse(&xml, MESSAGE_LIMITS).unwrap();
        verify_enveloped(&xml, &doc, &public(&k)).unwrap();
        // Our emitted element is its own canonical form (the fixed point signing relies on).
        let again = canonicalize(&xml, doc.root_element(), None, &[]).unwrap();
        assert_eq!(again, xml);
        // Another key does not verify it.
        let other = test_key();
        assert_eq!(
            verify_enveloped(&xml, &doc, &public(&other)),
            Err(SigError::Invalid)
        );
    }

    #[test]
    fn tampering_and_wrapping_are_refused() {
        let k = test_key();
        let xml = request(&k, "_abc");
        let keys = public(&k);
        let check = |x: &str| {
            let doc = parse(x, MESSAGE_LIMITS).unwrap();
            verify_enveloped(x, &doc, &keys)
        };
        // A changed value.
        let t = xml.replace("https://sp.example", "https://evil.example");
        assert_eq!(check(&t), Err(SigError::Invalid));
        // Whitespace added in the content changes the digest.
        let t = xml.replace("</samlp:AuthnRequest>", " </samlp:AuthnRequest>");
        assert_eq!(check(&t), Err(SigError::Invalid));
        // The signed element moved inside an unsigned root with a new ID: the root is not
        // signed.
        let t = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"{SAMLP}\" ID=\"_evil\">{}</samlp:AuthnRequest>",
            xml
        );
        assert_eq!(check(&t), Err(SigError::Missing));
        // The same, with the original signature moved up to the new root: it names the
        // inner element, not the root.
        let start = xml.find("<ds:Signature").unwrap();
        let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let sig = &xml[start..end];
        let inner = format!("{}{}", &xml[..start], &xml[end..]);
        let t = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"{SAMLP}\" ID=\"_evil\">{sig}{inner}</samlp:AuthnRequest>"
        );
        assert!(matches!(check(&t), Err(SigError::Structure(_))));
        // The same ID twice.
        let t = xml.replace(
            "<samlp:NameIDPolicy",
            "<samlp:Extensions ID=\"_abc\"></samlp:Extensions><samlp:NameIDPolicy",
        );
        assert!(matches!(check(&t), Err(SigError::Structure(_))));
        // A reference to something else.
        let t = xml.replace("URI=\"#_abc\"", "URI=\"\"");
        assert!(matches!(check(&t), Err(SigError::Structure(_))));
        // SHA-1.
        let t = xml.replace(RSA_SHA256, "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
        assert_eq!(check(&t), Err(SigError::Algorithm));
        // No signature.
        let start = xml.find("<ds:Signature").unwrap();
        let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let t = format!("{}{}", &xml[..start], &xml[end..]);
        assert_eq!(check(&t), Err(SigError::Missing));
    }

    #[test]
    fn query_signatures_verify_over_the_raw_encoding() {
        let k = test_key();
        let q = sign_query("SAMLRequest=abc%2B%3D&RelayState=x%20y", &k).unwrap();
        let raw = raw_query(&q).unwrap();
        verify_query(&raw, &public(&k)).unwrap();
        let bad = q.replace("RelayState=x%20y", "RelayState=x%20z");
        assert_eq!(
            verify_query(&raw_query(&bad).unwrap(), &public(&k)),
            Err(SigError::Invalid)
        );
        assert!(raw_query("SAMLRequest=a&SAMLRequest=b").is_none());
        assert_eq!(
            verify_query(&raw_query("SAMLRequest=a").unwrap(), &public(&k)),
            Err(SigError::Missing)
        );
    }
}
