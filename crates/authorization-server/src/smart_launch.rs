//! SMART App Launch's EHR launch: a record system (a client registered with `oneid:launch`)
//! asks, with the access token of the person using it, for a `launch` handle bound to a
//! context (the patient open, the encounter...). It opens the app with `iss` and `launch`; the
//! app's authorization request with the `launch` scope carries the handle, which is taken
//! there (single use, five minutes) and may end in a code only for the same person in the
//! same sign-in session. The context then travels with the code into the token response, the
//! access token (so introspection returns it) and the refresh token.

use crate::tokens::AccessClaims;
use crate::Provider;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{put_json, take_json};
use platform::EphemeralError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The scope a record system needs to create launches.
pub const LAUNCH_SCOPE: &str = "oneid:launch";

/// How long a launch handle lasts, seconds.
pub const LAUNCH_TTL: i64 = 300;

/// The launch context (SMART App Launch 2.2 §"Launch context arrives with your access
/// token"), as the record system gives it and the app receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchContext {
    /// The FHIR id of the patient in context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// The FHIR id of the encounter in context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
    /// Other resources in context (objects with a `reference`, `canonical` or `identifier`,
    /// and optionally `type` and `role`).
    #[serde(
        default,
        rename = "fhirContext",
        skip_serializing_if = "Option::is_none"
    )]
    pub fhir_context: Option<Vec<Value>>,
    /// What the app is opened for (e.g. `reconcile-medications`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Whether the app shows the patient banner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_patient_banner: Option<bool>,
    /// The record system's style sheet for apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_style_url: Option<String>,
}

/// Whether `s` is a FHIR resource id: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn fhir_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

impl LaunchContext {
    /// Nothing in context.
    pub fn is_empty(&self) -> bool {
        *self == LaunchContext::default()
    }

    /// Checks the context: FHIR ids, at most 10 `fhirContext` entries each naming what it is,
    /// a short intent, an https style sheet.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.patient.as_deref().is_some_and(|p| !fhir_id(p)) {
            return Err("patient must be a FHIR id (1-64 of A-Z a-z 0-9 - .)");
        }
        if self.encounter.as_deref().is_some_and(|e| !fhir_id(e)) {
            return Err("encounter must be a FHIR id (1-64 of A-Z a-z 0-9 - .)");
        }
        if let Some(items) = &self.fhir_context {
            if items.len() > 10 {
                return Err("fhirContext holds at most 10 entries");
            }
            for i in items {
                let Some(o) = i.as_object() else {
                    return Err("each fhirContext entry is an object");
                };
                let names = ["reference", "canonical", "identifier"]
                    .iter()
                    .any(|k| o.contains_key(*k));
                let known = o.keys().all(|k| {
                    ["reference", "canonical", "identifier", "type", "role"].contains(&k.as_str())
                });
                let short = i.to_string().len() <= 1024;
                if !names || !known || !short {
                    return Err(
                        "each fhirContext entry has a reference, canonical or identifier (and \
                         optionally type and role), at most 1 KiB",
                    );
                }
            }
        }
        if self
            .intent
            .as_deref()
            .is_some_and(|i| i.is_empty() || i.len() > 128 || i.chars().any(char::is_control))
        {
            return Err("intent is 1-128 characters");
        }
        if let Some(u) = &self.smart_style_url {
            let ok = url::Url::parse(u).is_ok_and(|u| u.scheme() == "https") && u.len() <= 2048;
            if !ok {
                return Err("smart_style_url must be an https URL");
            }
        }
        Ok(())
    }
}

/// A launch handle's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    /// The person using the record system.
    pub account_id: String,
    /// Their sign-in session.
    pub sid: String,
    /// The record system (client) that made it.
    pub ehr: String,
    /// The app it is for, when the record system said.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The context.
    pub context: LaunchContext,
}

fn key(handle: &str) -> String {
    format!("launch:{}", sha256_b64(handle.as_bytes()))
}

/// Why a launch is not made.
#[derive(Debug)]
pub enum LaunchError {
    /// The token cannot make launches (`invalid_token` / `insufficient_scope`): what is wrong.
    Token(&'static str, &'static str),
    /// The context is not acceptable (`invalid_request`).
    Invalid(&'static str),
    /// The ephemeral store did not answer.
    Unavailable(EphemeralError),
}

/// Makes a launch handle for the person behind the record system's access token `c` (checked
/// live by the caller), for `app` if given.
pub async fn create(
    p: &Provider,
    c: &AccessClaims,
    app: Option<String>,
    context: LaunchContext,
) -> Result<String, LaunchError> {
    if !crate::tokens::has_scope(&c.scope, LAUNCH_SCOPE) {
        return Err(LaunchError::Token(
            "insufficient_scope",
            "the access token does not grant oneid:launch",
        ));
    }
    let Some(sid) = c.sid.clone() else {
        return Err(LaunchError::Token(
            "invalid_token",
            "a launch is made for a person: use the access token of their sign-in",
        ));
    };
    // The record system may still make launches (its registration may have changed).
    let ehr = p
        .clients
        .get(&c.client_id)
        .await
        .map_err(|_| LaunchError::Token("invalid_token", "the record system is unknown"))?
        .filter(|e| e.allows_scope(LAUNCH_SCOPE))
        .ok_or(LaunchError::Token(
            "insufficient_scope",
            "the record system may not make launches",
        ))?;
    let account_id = crate::subjects::account_of_client_id(p, &c.client_id, &c.sub)
        .await
        .map_err(|_| LaunchError::Token("invalid_token", "the subject is unknown"))?
        .ok_or(LaunchError::Token(
            "invalid_token",
            "the subject is unknown",
        ))?;
    context.validate().map_err(LaunchError::Invalid)?;
    if let Some(a) = &app {
        let known = p.clients.get(a).await.ok().flatten().is_some();
        if !known {
            return Err(LaunchError::Invalid("client_id names no registered app"));
        }
    }
    let handle = random_token(24);
    let launch = Launch {
        account_id,
        sid,
        ehr: ehr.client_id.clone(),
        client_id: app,
        context,
    };
    put_json(p.store.as_ref(), &key(&handle), &launch, LAUNCH_TTL)
        .await
        .map_err(LaunchError::Unavailable)?;
    Ok(handle)
}

/// Takes the launch `handle` (once, on any node): `None` when unknown, expired or used.
pub async fn take(p: &Provider, handle: &str) -> Result<Option<Launch>, EphemeralError> {
    if handle.is_empty() || handle.len() > 128 {
        return Ok(None);
    }
    take_json(p.store.as_ref(), &key(handle)).await
}
