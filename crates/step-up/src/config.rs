//! The step-up configuration (`[stepup]`).

use crate::gateway::GatewayConfig;
use serde::Deserialize;

/// When a sign-in is stepped up (besides relying parties that ask for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Every sign-in.
    Always,
    /// A sign-in from a browser not recognized for the account (the documents' rule).
    UnrecognizedDevice,
    /// Only when the relying party asks for multi-factor.
    RelyingPartyOnly,
}

/// `[stepup]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepUpConfig {
    /// When to step up.
    #[serde(default = "d_policy")]
    pub policy: Policy,
    /// How long "Remember this device" lasts, days.
    #[serde(default = "d_remember")]
    pub remember_days: i64,
    /// "Remember this device" is ticked by default.
    #[serde(default = "d_true")]
    pub remember_by_default: bool,
    /// How long a code is valid, seconds.
    #[serde(default = "d_code_ttl")]
    pub code_ttl_secs: i64,
    /// Wrong codes allowed for one challenge.
    #[serde(default = "d_attempts")]
    pub max_attempts: u32,
    /// Time before another code may be sent, seconds.
    #[serde(default = "d_resend")]
    pub resend_secs: i64,
    /// A sensitive self-service change needs a step-up this recent, seconds.
    #[serde(default = "d_recent")]
    pub recent_secs: i64,
    /// Show the last codes sent at `/demo/codes` (the `demo` command only).
    #[serde(default)]
    pub demo_codes_page: bool,
    /// Staff work (the consoles: administration, service desk, LRA) needs a recent step-up
    /// with a passkey, not a code; a staff account without one is sent to add one.
    #[serde(default)]
    pub staff_require_passkey: bool,
    /// The authenticator models staff may register (and, with `staff_require_passkey`, step
    /// up with): each a name, an AAGUID and the PEM file of the certificate its attestations
    /// chain to. Empty: any passkey (attestation "none").
    #[serde(default)]
    pub staff_authenticators: Vec<StaffAuthenticatorConfig>,
    /// Where codes go.
    #[serde(default)]
    pub gateway: GatewayConfig,
}

fn d_policy() -> Policy {
    Policy::UnrecognizedDevice
}
fn d_remember() -> i64 {
    90
}
fn d_true() -> bool {
    true
}
fn d_code_ttl() -> i64 {
    300
}
fn d_attempts() -> u32 {
    5
}
fn d_resend() -> i64 {
    30
}
fn d_recent() -> i64 {
    600
}

impl Default for StepUpConfig {
    fn default() -> Self {
        Self {
            policy: d_policy(),
            remember_days: d_remember(),
            remember_by_default: true,
            code_ttl_secs: d_code_ttl(),
            max_attempts: d_attempts(),
            resend_secs: d_resend(),
            recent_secs: d_recent(),
            demo_codes_page: false,
            staff_require_passkey: false,
            staff_authenticators: Vec::new(),
            gateway: GatewayConfig::default(),
        }
    }
}

/// One authenticator model staff may use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAuthenticatorConfig {
    /// What people call it (audit, errors).
    pub name: String,
    /// Its AAGUID, e.g. `ee882879-721c-4913-9775-3dfcce97072a`.
    pub aaguid: String,
    /// The PEM file of the attestation root (or batch) certificate.
    pub ca_file: std::path::PathBuf,
}

impl StaffAuthenticatorConfig {
    /// The model, its certificate read from its file.
    pub fn load(&self) -> Result<crate::passkeys::StaffAuthenticator, String> {
        let aaguid = webauthn_rs::prelude::Uuid::parse_str(&self.aaguid)
            .map_err(|e| format!("stepup.staff_authenticators {:?}: aaguid: {e}", self.name))?;
        let pem = std::fs::read_to_string(&self.ca_file).map_err(|e| {
            format!(
                "stepup.staff_authenticators {:?}: {}: {e}",
                self.name,
                self.ca_file.display()
            )
        })?;
        let ca_der = pem_to_der(&pem).ok_or_else(|| {
            format!(
                "stepup.staff_authenticators {:?}: {}: no PEM certificate",
                self.name,
                self.ca_file.display()
            )
        })?;
        Ok(crate::passkeys::StaffAuthenticator {
            name: self.name.clone(),
            aaguid,
            ca_der,
        })
    }
}

/// The first certificate of a PEM text, as DER.
fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body = pem
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)?
        .split("-----END CERTIFICATE-----")
        .next()?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

impl StepUpConfig {
    /// Checks the values; names the bad key.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=400).contains(&self.remember_days) {
            return Err("stepup.remember_days must be between 1 and 400".into());
        }
        if !(60..=900).contains(&self.code_ttl_secs) {
            return Err("stepup.code_ttl_secs must be between 60 and 900".into());
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err("stepup.max_attempts must be between 1 and 10".into());
        }
        if self.resend_secs < 0 || self.recent_secs < 60 {
            return Err(
                "stepup.resend_secs must not be negative and stepup.recent_secs at least 60".into(),
            );
        }
        self.gateway.validate()
    }
}
