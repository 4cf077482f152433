//! What an administrator gives to add or change a registry: the admin API's JSON bodies,
//! which the CLI and the console fill in too.

use crate::admin::nullable;
use serde::Deserialize;

/// A new registry (JSON body of `POST /admin/api/registries`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryInput {
    /// Short code: the `iss` of its hand-offs.
    pub id: String,
    /// Name.
    pub name: String,
    /// Who owns it.
    pub owner: String,
    /// Whom to contact.
    pub contact: String,
    /// College whose registration numbers it vouches for, e.g. `CPSO`.
    pub college: String,
    /// Its unique identifier scheme, in words.
    #[serde(default)]
    pub id_scheme: Option<String>,
    /// Level of assurance its members get, 1 to 3.
    pub assurance_level: i64,
    /// `general` (default) or `limited`.
    #[serde(default)]
    pub approval: Option<String>,
    /// Limited approval: not before (unix seconds).
    #[serde(default)]
    pub approved_from: Option<i64>,
    /// Limited approval: not after (unix seconds).
    #[serde(default)]
    pub approved_until: Option<i64>,
    /// Sponsoring organization (must exist).
    #[serde(default)]
    pub sponsor_id: Option<String>,
    /// Services its members are enrolled in (must exist).
    #[serde(default)]
    pub services: Vec<String>,
    /// Registration classes admitted to self-registration (none: every class).
    #[serde(default)]
    pub eligible_classes: Vec<String>,
    /// Its first signing key, SubjectPublicKeyInfo PEM.
    #[serde(default)]
    pub public_key_pem: Option<String>,
    /// `ES256` or `RS256` (default: from the key).
    #[serde(default)]
    pub alg: Option<String>,
    /// The key's `kid` (default: a thumbprint).
    #[serde(default)]
    pub kid: Option<String>,
}

/// Changes to a registry (JSON body of `PATCH /admin/api/registries/{id}`): absent fields are
/// kept; `null` clears `approved_from`, `approved_until` and `sponsor_id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryPatch {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// Contact.
    #[serde(default)]
    pub contact: Option<String>,
    /// Level of assurance.
    #[serde(default)]
    pub assurance_level: Option<i64>,
    /// `general` or `limited`.
    #[serde(default)]
    pub approval: Option<String>,
    /// Window start (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub approved_from: Option<Option<i64>>,
    /// Window end (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub approved_until: Option<Option<i64>>,
    /// Sponsor (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub sponsor_id: Option<Option<String>>,
    /// Services (replaces the list).
    #[serde(default)]
    pub services: Option<Vec<String>>,
    /// Registration classes admitted (replaces the list; `[]`: every class).
    #[serde(default)]
    pub eligible_classes: Option<Vec<String>>,
}

/// A key to add (JSON body of `POST /admin/api/registries/{id}/keys`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// `ES256` or `RS256` (default: from the key).
    #[serde(default)]
    pub alg: Option<String>,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// The key's `kid` (default: a thumbprint).
    #[serde(default)]
    pub kid: Option<String>,
    /// A rotation: the registry's other keys stop being accepted after `overlap_secs`.
    #[serde(default)]
    pub rotate: bool,
    /// With `rotate`: how long the older keys stay accepted (default 600 s).
    #[serde(default)]
    pub overlap_secs: Option<i64>,
}

/// A list of terminated registrations (JSON body of `POST .../terminations`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersInput {
    /// The registry's identifiers of the members.
    pub members: Vec<String>,
}
