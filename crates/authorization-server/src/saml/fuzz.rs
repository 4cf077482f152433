//! Property-driven fuzzing of everything that reads SAML from outside (cargo-fuzz needs a
//! nightly toolchain; these run on stable in every `cargo test`): random bytes, random
//! mutations of valid messages, deep nesting, huge attributes and names. The parsers must
//! never panic, and must refuse oversized or overdeep input quickly. Beyond the message
//! readers: the enveloped-signature check (a mutated signed request that still verifies must
//! read exactly as the original), the canonicalization (a fixed point on its own output),
//! the Redirect binding's raw query splitting, and service-provider metadata.

use super::c14n::canonicalize;
use super::dsig::{raw_query, sign_enveloped, verify_enveloped, verify_query, SigningKey};
use super::request::{
    authn_request, decode_post, decode_redirect, encode_redirect, logout_request, logout_response,
};
use super::sp_metadata::from_metadata;
use super::xml::{parse, MESSAGE_LIMITS, METADATA_LIMITS};
use openssl::pkey::{PKey, Public};
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const AUTHN: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z" AssertionConsumerServiceURL="https://sp/acs" IsPassive="false"><saml:Issuer>https://sp</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/><samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>urn:oneid:loa:1</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>"#;

const LOGOUT: &str = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>https://sp</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">abc</saml:NameID><samlp:SessionIndex>s1</samlp:SessionIndex></samlp:LogoutRequest>"#;

/// Every reader on one input; none may panic.
fn read_all(x: &str) {
    let _ = authn_request(x);
    let _ = logout_request(x);
    let _ = logout_response(x);
    let _ = decode_post(x);
    let _ = decode_redirect(x);
}

/// One random edit of a valid message.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
    Duplicate(usize, usize),
}

fn apply(base: &str, e: &Edit) -> String {
    let b = base.as_bytes();
    let at = |i: usize| i % (b.len() + 1);
    let mut v = b.to_vec();
    match e {
        Edit::Delete(i, n) => {
            let s = at(*i);
            let end = (s + n).min(v.len());
            v.drain(s..end);
        }
        Edit::Insert(i, t) => {
            let s = at(*i);
            v.splice(s..s, t.bytes());
        }
        Edit::Replace(i, c) => {
            let s = at(*i).min(v.len().saturating_sub(1));
            let mut buf = [0u8; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes().to_vec();
            v.splice(s..(s + 1).min(v.len()), enc);
        }
        Edit::Duplicate(i, n) => {
            let s = at(*i);
            let end = (s + n).min(v.len());
            let piece = v[s..end].to_vec();
            v.splice(end..end, piece);
        }
    }
    String::from_utf8_lossy(&v).into_owned()
}

fn xmlish() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("</samlp:AuthnRequest>".to_owned()),
        Just("<saml:Issuer>x</saml:Issuer>".to_owned()),
        Just("<!DOCTYPE x [<!ENTITY a 'b'>]>".to_owned()),
        Just("&a;".to_owned()),
        Just("<?pi x?>".to_owned()),
        Just("<![CDATA[x]]>".to_owned()),
        Just("<!-- c -->".to_owned()),
        Just(" ID=\"_dup\"".to_owned()),
        Just("xmlns:saml=\"urn:other\" ".to_owned()),
        "[ -~]{0,40}",
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), xmlish()).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), 0usize..200).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        read_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_requests_never_panic(edits in proptest::collection::vec(edit(), 1..8), logout in any::<bool>()) {
        let mut x = if logout { LOGOUT.to_owned() } else { AUTHN.to_owned() };
        for e in &edits {
            x = apply(&x, e);
        }
        read_all(&x);
        // And through the bindings' encodings.
        let _ = authn_request(&decode_redirect(&encode_redirect(&x)).unwrap_or_default());
        let _ = logout_request(&decode_redirect(&encode_redirect(&x)).unwrap_or_default());
    }

    #[test]
    fn deep_nesting_is_refused_quickly(depth in 30usize..20_000) {
        let x = format!(
            "{}{}{}</samlp:AuthnRequest>",
            AUTHN.replace("</samlp:AuthnRequest>", ""),
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        let t = Instant::now();
        prop_assert!(authn_request(&x).is_err());
        prop_assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn huge_attributes_and_names_are_refused_quickly(n in 1_000usize..200_000, name in any::<bool>()) {
        let x = if name {
            AUTHN.replace("samlp:NameIDPolicy", &format!("samlp:{}", "N".repeat(n)))
        } else {
            AUTHN.replace("ID=\"_r1\"", &format!("ID=\"_{}\"", "r".repeat(n)))
        };
        let t = Instant::now();
        let r = authn_request(&x);
        prop_assert!(t.elapsed() < Duration::from_secs(1));
        if x.len() > MESSAGE_LIMITS.max_bytes {
            prop_assert!(r.is_err());
        }
    }
}

#[test]
fn the_seeds_are_valid() {
    assert!(authn_request(AUTHN).is_ok());
    assert!(logout_request(LOGOUT).is_ok());
}

/// One key for every case (RSA key generation is slow).
fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(super::dsig::tests::test_key)
}

fn public() -> Vec<PKey<Public>> {
    key().cert.public_key().map(|k| vec![k]).unwrap_or_default()
}

/// `AUTHN`, signed with `key()` (enveloped, after the Issuer).
fn signed_authn() -> &'static str {
    static SIGNED: OnceLock<String> = OnceLock::new();
    SIGNED.get_or_init(|| {
        // Signed in its canonical form (what an SP's library emits after signing).
        let doc = parse(AUTHN, MESSAGE_LIMITS).unwrap();
        let canonical = canonicalize(AUTHN, doc.root_element(), None, &[]).unwrap();
        let split = canonical.find("<samlp:NameIDPolicy").unwrap();
        sign_enveloped(&canonical[..split], &canonical[split..], "_r1", key()).unwrap()
    })
}

fn metadata_seed() -> &'static str {
    static MD: OnceLock<String> = OnceLock::new();
    MD.get_or_init(|| {
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" entityID="https://sp.example/md"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true"><md:Extensions><mdui:UIInfo><mdui:DisplayName>SP</mdui:DisplayName></mdui:UIInfo></md:Extensions><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example/slo"/><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="1" isDefault="true"/><md:AttributeConsumingService index="0"><md:RequestedAttribute Name="urn:oid:0.9.2342.19200300.100.1.1"/></md:AttributeConsumingService></md:SPSSODescriptor></md:EntityDescriptor>"#,
            c = key().cert_b64
        )
    })
}

/// Query parameter names, SAML's and others.
fn query_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SAMLRequest".to_owned()),
        Just("SAMLResponse".to_owned()),
        Just("RelayState".to_owned()),
        Just("SigAlg".to_owned()),
        Just("Signature".to_owned()),
        "[a-zA-Z%+=]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_signed_request_that_still_verifies_reads_as_the_original(
        edits in proptest::collection::vec(edit(), 1..6)
    ) {
        let original = signed_authn();
        let keys = public();
        let mut x = original.to_owned();
        for e in &edits {
            x = apply(&x, e);
        }
        let t = Instant::now();
        if let Ok(doc) = parse(&x, MESSAGE_LIMITS) {
            if verify_enveloped(&x, &doc, &keys).is_ok() {
                // Whatever still verifies says exactly what was signed: nothing wrapped in.
                prop_assert_eq!(authn_request(&x), authn_request(original));
            }
        }
        prop_assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn canonical_forms_are_fixed_points(
        edits in proptest::collection::vec(edit(), 0..6), logout in any::<bool>()
    ) {
        let mut x = if logout { LOGOUT.to_owned() } else { signed_authn().to_owned() };
        for e in &edits {
            x = apply(&x, e);
        }
        let t = Instant::now();
        if let Ok(doc) = parse(&x, MESSAGE_LIMITS) {
            for n in doc.descendants().filter(|n| n.is_element()) {
                if let Ok(c) = canonicalize(&x, n, None, &["#default", "saml"]) {
                    let again = parse(&c, MESSAGE_LIMITS);
                    prop_assert!(again.is_ok(), "canonical form does not parse: {}", c);
                    if let Ok(d) = again {
                        let cc = canonicalize(&c, d.root_element(), None, &["#default", "saml"]);
                        prop_assert_eq!(cc.as_deref(), Ok(c.as_str()));
                    }
                }
            }
        }
        prop_assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn raw_queries_split_exactly_and_refuse_repeats(
        pairs in proptest::collection::vec((query_key(), "[a-zA-Z0-9%+/=._~-]{0,30}"), 0..8),
        junk in "[ -~]{0,64}"
    ) {
        let q = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        fn slot(k: &str) -> Option<&str> {
            match k {
                "SAMLRequest" | "SAMLResponse" => Some("message"),
                "RelayState" | "SigAlg" | "Signature" => Some(k),
                _ => None,
            }
        }
        let named: Vec<&str> = pairs.iter().filter_map(|(k, _)| slot(k)).collect();
        let repeated = named.iter().enumerate().any(|(i, a)| named[..i].contains(a));
        let r = raw_query(&q);
        prop_assert_eq!(r.is_none(), repeated);
        if let Some(r) = r {
            let find = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            prop_assert_eq!(r.relay_state, find("RelayState"));
            prop_assert_eq!(r.sig_alg, find("SigAlg"));
            prop_assert_eq!(r.signature, find("Signature"));
            let message = pairs
                .iter()
                .find(|(n, _)| n == "SAMLRequest" || n == "SAMLResponse")
                .map(|(n, v)| (n.as_str(), v.as_str()));
            prop_assert_eq!(r.message, message);
            // Nobody's key signed this: never accepted, never a panic.
            prop_assert!(verify_query(&r, &public()).is_err());
        }
        if let Some(r) = raw_query(&junk) {
            prop_assert!(verify_query(&r, &public()).is_err());
        }
    }

    #[test]
    fn mutated_sp_metadata_never_panics(
        edits in proptest::collection::vec(edit(), 0..8),
        bytes in proptest::collection::vec(any::<u8>(), 0..512)
    ) {
        let mut x = metadata_seed().to_owned();
        for e in &edits {
            x = apply(&x, e);
        }
        let t = Instant::now();
        let r = from_metadata(&x);
        if edits.is_empty() {
            prop_assert!(r.is_ok(), "{:?}", r.err());
        }
        let _ = from_metadata(&String::from_utf8_lossy(&bytes));
        prop_assert!(t.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn oversized_and_deep_metadata_is_refused_quickly() {
    let seed = metadata_seed();
    let t = Instant::now();
    let deep = seed.replace(
        "<md:NameIDFormat>",
        &format!(
            "{}{}<md:NameIDFormat>",
            "<x>".repeat(5_000),
            "</x>".repeat(5_000)
        ),
    );
    assert!(from_metadata(&deep).is_err());
    let big = seed.replace(
        "<md:NameIDFormat>",
        &format!(
            "<x>{}</x><md:NameIDFormat>",
            "a".repeat(METADATA_LIMITS.max_bytes)
        ),
    );
    assert!(from_metadata(&big).is_err());
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn the_signed_seed_verifies() {
    let x = signed_authn();
    let doc = parse(x, MESSAGE_LIMITS).unwrap();
    verify_enveloped(x, &doc, &public()).unwrap();
    assert!(from_metadata(metadata_seed()).is_ok());
}
