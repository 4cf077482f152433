//! The IdP's metadata (SAML metadata 2.0): entityID, the SSO and SLO endpoints for both
//! bindings, every published signing certificate (the active key first, then a `next` key
//! SPs should learn before it signs, then retired ones), NameID formats and the attributes
//! it can release. Signed with the active key; rendered once per key change and served
//! with a cache lifetime.

use super::attributes::{CATALOG, URI_FORMAT};
use super::dsig::sign_enveloped;
use super::nameid;
use super::sps::{POST, REDIRECT};
use super::xml::{new_id, Writer, DS, MD, SAML, SAMLP};
use crate::Provider;

/// The metadata document, signed.
pub fn document(p: &Provider) -> Result<String, String> {
    let keys = p.saml.keys.as_ref().ok_or("SAML keys are not loaded")?;
    let active = keys.active().ok_or("no active SAML signing key")?;
    let base = &p.cfg.issuer;
    let id = new_id();
    let entity_id = p.saml_entity_id();
    let cache = format!("PT{}S", p.saml.cfg.metadata_max_age_secs.max(0));
    let mut w = Writer::new();
    w.open(
        "md:EntityDescriptor",
        &[("md", MD)],
        &[
            ("ID", &id),
            ("cacheDuration", &cache),
            ("entityID", &entity_id),
        ],
    );
    let head = std::mem::take(&mut w.out);
    w.open(
        "md:IDPSSODescriptor",
        &[],
        &[
            ("WantAuthnRequestsSigned", "false"),
            ("protocolSupportEnumeration", SAMLP),
        ],
    );
    for k in keys.published() {
        w.open("md:KeyDescriptor", &[], &[("use", "signing")]);
        w.open("ds:KeyInfo", &[("ds", DS)], &[]);
        w.leaf("ds:KeyName", &[], &[], &k.kid);
        w.open("ds:X509Data", &[], &[]);
        w.leaf("ds:X509Certificate", &[], &[], &k.cert_b64);
        w.close("ds:X509Data");
        w.close("ds:KeyInfo");
        w.close("md:KeyDescriptor");
    }
    let slo = format!("{base}/saml/slo");
    let sso = format!("{base}/saml/sso");
    for b in [REDIRECT, POST] {
        w.leaf(
            "md:SingleLogoutService",
            &[],
            &[("Binding", b), ("Location", &slo)],
            "",
        );
    }
    for f in nameid::SUPPORTED {
        w.leaf("md:NameIDFormat", &[], &[], f);
    }
    for b in [REDIRECT, POST] {
        w.leaf(
            "md:SingleSignOnService",
            &[],
            &[("Binding", b), ("Location", &sso)],
            "",
        );
    }
    for a in CATALOG {
        w.leaf(
            "saml:Attribute",
            &[("saml", SAML)],
            &[
                ("FriendlyName", a.short),
                ("Name", a.uri),
                ("NameFormat", URI_FORMAT),
            ],
            "",
        );
    }
    w.close("md:IDPSSODescriptor");
    w.close("md:EntityDescriptor");
    sign_enveloped(&head, &w.out, &id, &active)
}

/// The metadata document as served: rendered once per change of the signing keys.
pub fn cached(p: &Provider) -> Result<bytes::Bytes, String> {
    let fp = p
        .saml
        .keys
        .as_ref()
        .map(|k| k.fingerprint())
        .unwrap_or_default();
    let cached = p
        .saml
        .metadata
        .read()
        .ok()
        .and_then(|c| c.clone())
        .filter(|(f, _)| *f == fp);
    if let Some((_, b)) = cached {
        return Ok(b);
    }
    let b = bytes::Bytes::from(document(p)?);
    if let Ok(mut c) = p.saml.metadata.write() {
        *c = Some((fp, b.clone()));
    }
    Ok(b)
}
