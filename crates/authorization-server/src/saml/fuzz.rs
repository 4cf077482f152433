//! Property-driven fuzzing of everything that reads SAML from outside (cargo-fuzz needs a
//! nightly toolchain; these run on stable in every `cargo test`): random bytes, random
//! mutations of valid messages, deep nesting, huge attributes and names. The parsers must
//! never panic, and must refuse oversized or overdeep input quickly.

use super::request::{
    authn_request, decode_post, decode_redirect, encode_redirect, logout_request, logout_response,
};
use super::xml::MESSAGE_LIMITS;
use proptest::prelude::*;
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
