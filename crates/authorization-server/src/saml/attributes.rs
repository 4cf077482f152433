//! The attributes the IdP can release, with their SAML names (URI name format: standard
//! OIDs where the directory schemas have one, `urn:oneid:attribute:*` otherwise).

use credential_store::{Account, Designation};

/// URI attribute name format.
pub const URI_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

/// One releasable attribute.
#[derive(Debug, Clone, Copy)]
pub struct AttributeDef {
    /// Short name (configuration, `FriendlyName`).
    pub short: &'static str,
    /// SAML `Name`.
    pub uri: &'static str,
    /// What it carries.
    pub about: &'static str,
}

/// Everything the IdP can release.
pub const CATALOG: &[AttributeDef] = &[
    AttributeDef {
        short: "uid",
        uri: "urn:oid:0.9.2342.19200300.100.1.1",
        about: "login ID",
    },
    AttributeDef {
        short: "givenName",
        uri: "urn:oid:2.5.4.42",
        about: "preferred first name",
    },
    AttributeDef {
        short: "sn",
        uri: "urn:oid:2.5.4.4",
        about: "preferred last name",
    },
    AttributeDef {
        short: "displayName",
        uri: "urn:oid:2.16.840.1.113730.3.1.241",
        about: "first and last name",
    },
    AttributeDef {
        short: "mail",
        uri: "urn:oid:0.9.2342.19200300.100.1.3",
        about: "email address",
    },
    AttributeDef {
        short: "college",
        uri: "urn:oneid:attribute:college",
        about: "regulatory colleges (one value per designation)",
    },
    AttributeDef {
        short: "registrationNumber",
        uri: "urn:oneid:attribute:registrationNumber",
        about: "registration numbers, in the order of college",
    },
    AttributeDef {
        short: "levelOfAssurance",
        uri: "urn:oneid:attribute:levelOfAssurance",
        about: "the account's level of assurance (1-3)",
    },
];

/// Released when the administrator and the SP's metadata do not say.
pub const DEFAULT_RELEASE: &[&str] = &[
    "uid",
    "givenName",
    "sn",
    "displayName",
    "mail",
    "college",
    "registrationNumber",
    "levelOfAssurance",
];

/// An attribute by short name or SAML name.
pub fn by_name(name: &str) -> Option<&'static AttributeDef> {
    CATALOG.iter().find(|a| a.short == name || a.uri == name)
}

/// The values of the released attributes (those with no value are left out).
pub fn values(
    released: &[String],
    a: &Account,
    designations: &[Designation],
) -> Vec<(&'static AttributeDef, Vec<String>)> {
    released
        .iter()
        .filter_map(|r| by_name(r))
        .map(|def| {
            let v: Vec<String> = match def.short {
                "uid" => vec![a.login_id.clone()],
                "givenName" => vec![a.given_name.clone()],
                "sn" => vec![a.family_name.clone()],
                "displayName" => vec![format!("{} {}", a.given_name, a.family_name)],
                "mail" => a.email.iter().cloned().collect(),
                "college" => designations.iter().map(|d| d.college.clone()).collect(),
                "registrationNumber" => designations
                    .iter()
                    .map(|d| d.registration_number.clone())
                    .collect(),
                "levelOfAssurance" => vec![a.assurance_level.max(1).to_string()],
                _ => Vec::new(),
            };
            (def, v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}
