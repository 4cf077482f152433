//! What the IdP sends: `Response` (with a signed `Assertion`, optionally encrypted, the
//! Response optionally signed too), error Responses, and `LogoutRequest` / `LogoutResponse`.
//! Everything is emitted in exclusive canonical form by `xml::Writer`, so a signature covers
//! exactly these bytes.

use super::attributes::{AttributeDef, URI_FORMAT};
use super::dsig::{sign_enveloped, SigningKey};
use super::xml::{datetime, new_id, Writer, SAML, SAMLP};

/// Status codes.
pub mod status {
    /// Success.
    pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    /// The requester's fault.
    pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
    /// The IdP's (or the person's) side.
    pub const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
    /// IsPassive and no session.
    pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
    /// The requested authentication context cannot be met.
    pub const NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
    /// Refused (the gate).
    pub const REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
    /// A NameID format the IdP cannot give.
    pub const INVALID_NAMEID_POLICY: &str =
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
    /// Logout reached only some parties.
    pub const PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
    /// The principal is not known here.
    pub const UNKNOWN_PRINCIPAL: &str = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";
}

/// Everything an assertion says.
#[derive(Debug, Clone)]
pub struct AssertionFacts<'a> {
    /// The IdP's entityID.
    pub issuer: &'a str,
    /// The SP's entityID (audience).
    pub audience: &'a str,
    /// The ACS URL (recipient and destination).
    pub recipient: &'a str,
    /// The request answered (none for IdP-initiated).
    pub in_response_to: Option<&'a str>,
    /// NameID value and format.
    pub name_id: &'a str,
    /// NameID format.
    pub name_id_format: &'a str,
    /// Now, unix seconds.
    pub now: i64,
    /// How long the assertion may be used, seconds.
    pub lifetime: i64,
    /// When the person authenticated.
    pub authn_instant: i64,
    /// When the SSO session ends.
    pub session_not_on_or_after: i64,
    /// SessionIndex.
    pub session_index: &'a str,
    /// AuthnContextClassRef.
    pub class_ref: &'a str,
    /// Attributes with values.
    pub attributes: &'a [(&'static AttributeDef, Vec<String>)],
}

/// The signed assertion (canonical XML) and its ID.
pub fn assertion(f: &AssertionFacts<'_>, key: &SigningKey) -> Result<(String, String), String> {
    let id = new_id();
    let now = datetime(f.now);
    let mut w = Writer::new();
    w.open(
        "saml:Assertion",
        &[("saml", SAML)],
        &[("ID", &id), ("IssueInstant", &now), ("Version", "2.0")],
    );
    w.leaf("saml:Issuer", &[], &[], f.issuer);
    let head = std::mem::take(&mut w.out);
    w.open("saml:Subject", &[], &[]);
    w.leaf(
        "saml:NameID",
        &[],
        &[
            ("Format", f.name_id_format),
            ("SPNameQualifier", f.audience),
        ],
        f.name_id,
    );
    w.open(
        "saml:SubjectConfirmation",
        &[],
        &[("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")],
    );
    let until = datetime(f.now + f.lifetime);
    let mut scd = vec![("NotOnOrAfter", until.as_str()), ("Recipient", f.recipient)];
    if let Some(irt) = f.in_response_to {
        scd.push(("InResponseTo", irt));
    }
    w.leaf("saml:SubjectConfirmationData", &[], &scd, "");
    w.close("saml:SubjectConfirmation");
    w.close("saml:Subject");
    // A minute of slack for the SP's clock.
    let not_before = datetime(f.now - 60);
    w.open(
        "saml:Conditions",
        &[],
        &[("NotBefore", &not_before), ("NotOnOrAfter", &until)],
    );
    w.open("saml:AudienceRestriction", &[], &[]);
    w.leaf("saml:Audience", &[], &[], f.audience);
    w.close("saml:AudienceRestriction");
    w.close("saml:Conditions");
    let authn = datetime(f.authn_instant);
    let session_end = datetime(f.session_not_on_or_after);
    w.open(
        "saml:AuthnStatement",
        &[],
        &[
            ("AuthnInstant", &authn),
            ("SessionIndex", f.session_index),
            ("SessionNotOnOrAfter", &session_end),
        ],
    );
    w.open("saml:AuthnContext", &[], &[]);
    w.leaf("saml:AuthnContextClassRef", &[], &[], f.class_ref);
    w.close("saml:AuthnContext");
    w.close("saml:AuthnStatement");
    if !f.attributes.is_empty() {
        w.open("saml:AttributeStatement", &[], &[]);
        for (def, values) in f.attributes {
            w.open(
                "saml:Attribute",
                &[],
                &[
                    ("FriendlyName", def.short),
                    ("Name", def.uri),
                    ("NameFormat", URI_FORMAT),
                ],
            );
            for v in values {
                w.leaf("saml:AttributeValue", &[], &[], v);
            }
            w.close("saml:Attribute");
        }
        w.close("saml:AttributeStatement");
    }
    w.close("saml:Assertion");
    let signed = sign_enveloped(&head, &w.out, &id, key)?;
    Ok((signed, id))
}

/// The envelope of a `Response`.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// The IdP's entityID.
    pub issuer: &'a str,
    /// The ACS URL.
    pub destination: &'a str,
    /// The request answered (none for IdP-initiated).
    pub in_response_to: Option<&'a str>,
    /// Now, unix seconds.
    pub now: i64,
    /// Top-level status and an optional second-level one.
    pub status: (&'a str, Option<&'a str>),
    /// A status message.
    pub message: Option<&'a str>,
}

/// A `Response` around `body` (a signed or encrypted assertion, or nothing for an error),
/// signed itself when `sign` is given.
pub fn response(e: &Envelope<'_>, body: &str, sign: Option<&SigningKey>) -> Result<String, String> {
    let id = new_id();
    let instant = datetime(e.now);
    let mut w = Writer::new();
    let mut attrs = vec![
        ("Destination", e.destination),
        ("ID", id.as_str()),
        ("IssueInstant", instant.as_str()),
        ("Version", "2.0"),
    ];
    if let Some(irt) = e.in_response_to {
        attrs.push(("InResponseTo", irt));
    }
    w.open("samlp:Response", &[("samlp", SAMLP)], &attrs);
    w.leaf("saml:Issuer", &[("saml", SAML)], &[], e.issuer);
    let head = std::mem::take(&mut w.out);
    status_element(&mut w, e.status, e.message);
    w.raw(body);
    w.close("samlp:Response");
    match sign {
        Some(k) => sign_enveloped(&head, &w.out, &id, k),
        None => Ok(format!("{head}{}", w.out)),
    }
}

fn status_element(w: &mut Writer, code: (&str, Option<&str>), message: Option<&str>) {
    w.open("samlp:Status", &[], &[]);
    w.open("samlp:StatusCode", &[], &[("Value", code.0)]);
    if let Some(sub) = code.1 {
        w.leaf("samlp:StatusCode", &[], &[("Value", sub)], "");
    }
    w.close("samlp:StatusCode");
    if let Some(m) = message {
        w.leaf("samlp:StatusMessage", &[], &[], m);
    }
    w.close("samlp:Status");
}

/// A `LogoutRequest` to an SP (signed when `sign` is given: the POST binding), with its ID.
pub fn logout_request(
    issuer: &str,
    destination: &str,
    now: i64,
    lifetime: i64,
    name_id: (&str, &str, &str),
    session_index: &str,
    sign: Option<&SigningKey>,
) -> Result<(String, String), String> {
    let id = new_id();
    let instant = datetime(now);
    let until = datetime(now + lifetime);
    let mut w = Writer::new();
    w.open(
        "samlp:LogoutRequest",
        &[("samlp", SAMLP)],
        &[
            ("Destination", destination),
            ("ID", &id),
            ("IssueInstant", &instant),
            ("NotOnOrAfter", &until),
            ("Version", "2.0"),
        ],
    );
    w.leaf("saml:Issuer", &[("saml", SAML)], &[], issuer);
    let head = std::mem::take(&mut w.out);
    let (value, format, qualifier) = name_id;
    w.leaf(
        "saml:NameID",
        &[("saml", SAML)],
        &[("Format", format), ("SPNameQualifier", qualifier)],
        value,
    );
    w.leaf("samlp:SessionIndex", &[], &[], session_index);
    w.close("samlp:LogoutRequest");
    let xml = match sign {
        Some(k) => sign_enveloped(&head, &w.out, &id, k)?,
        None => format!("{head}{}", w.out),
    };
    Ok((xml, id))
}

/// A `LogoutResponse` to an SP (signed when `sign` is given: the POST binding).
pub fn logout_response(
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    now: i64,
    status_code: &str,
    sign: Option<&SigningKey>,
) -> Result<String, String> {
    let id = new_id();
    let instant = datetime(now);
    let mut w = Writer::new();
    w.open(
        "samlp:LogoutResponse",
        &[("samlp", SAMLP)],
        &[
            ("Destination", destination),
            ("ID", &id),
            ("InResponseTo", in_response_to),
            ("IssueInstant", &instant),
            ("Version", "2.0"),
        ],
    );
    w.leaf("saml:Issuer", &[("saml", SAML)], &[], issuer);
    let head = std::mem::take(&mut w.out);
    status_element(&mut w, (status_code, None), None);
    w.close("samlp:LogoutResponse");
    match sign {
        Some(k) => sign_enveloped(&head, &w.out, &id, k),
        None => Ok(format!("{head}{}", w.out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::c14n::canonicalize;
    use crate::saml::dsig::{tests::test_key, verify_enveloped};
    use crate::saml::xml::{parse, Limits};

    const BIG: Limits = Limits {
        max_bytes: 1 << 20,
        max_nodes: 100_000,
        max_depth: 32,
    };

    fn facts() -> AssertionFacts<'static> {
        static ATTRS: std::sync::OnceLock<Vec<(&'static AttributeDef, Vec<String>)>> =
            std::sync::OnceLock::new();
        let attrs = ATTRS.get_or_init(|| {
            vec![
                (
                    crate::saml::attributes::by_name("uid").unwrap(),
                    vec!["Randy.Burt@ONEID.ON.CA".into()],
                ),
                (
                    crate::saml::attributes::by_name("college").unwrap(),
                    vec!["CPSO".into(), "C&O <x>".into()],
                ),
            ]
        });
        AssertionFacts {
            issuer: "https://idp/saml/metadata",
            audience: "https://sp",
            recipient: "https://sp/acs?a=1&b=2",
            in_response_to: Some("_r1"),
            name_id: "abc",
            name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            now: 1_800_000_000,
            lifetime: 300,
            authn_instant: 1_799_999_000,
            session_not_on_or_after: 1_800_040_000,
            session_index: "sid1",
            class_ref: "urn:oneid:loa:1",
            attributes: attrs,
        }
    }

    #[test]
    fn a_signed_response_with_a_signed_assertion_is_canonical_and_verifies_twice() {
        let k = test_key();
        let (a, _) = assertion(&facts(), &k).unwrap();
        let e = Envelope {
            issuer: "https://idp/saml/metadata",
            destination: "https://sp/acs?a=1&b=2",
            in_response_to: Some("_r1"),
            now: 1_800_000_000,
            status: (status::SUCCESS, None),
            message: None,
        };
        let r = response(&e, &a, Some(&k)).unwrap();
        let doc = parse(&r, BIG).unwrap();
        // Both our outputs are their own canonical forms.
        assert_eq!(canonicalize(&r, doc.root_element(), None, &[]).unwrap(), r);
        let ad = parse(&a, BIG).unwrap();
        assert_eq!(canonicalize(&a, ad.root_element(), None, &[]).unwrap(), a);
        let keys = vec![k.cert.public_key().unwrap()];
        verify_enveloped(&r, &doc, &keys).unwrap();
        verify_enveloped(&a, &ad, &keys).unwrap();
    }
}
