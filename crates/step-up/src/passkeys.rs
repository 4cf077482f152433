//! Passkeys (WebAuthn) without HTTP or storage: the relying party (its ID and origin, from the
//! issuer), and the ceremonies of `webauthn-rs` with what this provider asks of them. A
//! ceremony's state is returned as JSON for the caller to keep in the ephemeral store (any
//! node may finish it) and give back once.
//!
//! - Registration asks for user verification and prefers a discoverable credential (a passkey
//!   that can sign in without a login ID); attestation is "none"; the account's passkeys are
//!   excluded, so one authenticator is not registered twice.
//! - Authentication requires user verification: a passkey stands for both factors.
//! - The signature counter must move forward (the library refuses a counter at or below the
//!   one stored, unless both are 0, as synced passkeys report).
//! - The WebAuthn user handle of an account is derived from its ID (16 bytes of a SHA-256),
//!   so nothing about the account is given to the authenticator but a stable random-looking
//!   value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use webauthn_rs::prelude::{
    AttestationCaList, AttestationCaListBuilder, AttestationMetadata, AttestedPasskeyRegistration,
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

/// How long a ceremony may take, seconds (the browser's timeout and the state's lifetime).
pub const CEREMONY_SECS: i64 = 300;

/// Why a ceremony failed. Never shown as is: the pages say "did not work, try again".
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The browser's answer is not a WebAuthn credential.
    #[error("malformed credential: {0}")]
    Malformed(String),
    /// The library refused it (wrong origin, challenge, signature, no user verification...).
    #[error("refused: {0}")]
    Refused(String),
    /// The signature counter did not move forward: a cloned authenticator.
    #[error("the signature counter went backwards")]
    CounterBehind,
    /// The state kept between the two steps is unreadable.
    #[error("ceremony state: {0}")]
    State(String),
}

/// A registered passkey, ready to store.
#[derive(Debug, Clone)]
pub struct Registered {
    /// Credential ID, base64url.
    pub credential_id: String,
    /// The library's record (JSON).
    pub data: String,
    pub counter: i64,
    /// A synced passkey.
    pub backup_eligible: bool,
    /// The authenticator model (AAGUID) its attestation proved against the staff list's
    /// certificates; `None` for a passkey registered without attestation.
    pub attested_aaguid: Option<String>,
}

/// An authenticator model staff may use: its name, its AAGUID and the certificate (DER) its
/// attestations chain to.
#[derive(Debug, Clone)]
pub struct StaffAuthenticator {
    pub name: String,
    pub aaguid: Uuid,
    pub ca_der: Vec<u8>,
}

/// A registration's state: plain (attestation "none") or attested (staff, against the list).
#[derive(serde::Serialize, serde::Deserialize)]
enum RegState {
    Plain(PasskeyRegistration),
    Attested(AttestedPasskeyRegistration),
}

/// A successful authentication.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Credential ID, base64url.
    pub credential_id: String,
    /// The record with its new counter and flags (JSON), to store.
    pub data: String,
    pub counter: i64,
    pub backup_eligible: bool,
    /// The person was verified by the authenticator (PIN or biometric).
    pub user_verified: bool,
}

impl Authenticated {
    /// RFC 8176 methods: `swk` for a synced passkey (a key the platform copies between
    /// devices), `hwk` for one bound to its authenticator; `user` (the person was verified
    /// by it) and `mfa` (possession and verification: two factors) when verified.
    pub fn amr(&self) -> Vec<String> {
        let mut v = vec![if self.backup_eligible { "swk" } else { "hwk" }.to_owned()];
        if self.user_verified {
            v.push("user".into());
            v.push("mfa".into());
        }
        v
    }
}

/// The provider as a WebAuthn relying party.
pub struct Passkeys {
    webauthn: Webauthn,
    rp_id: String,
    /// The authenticator models staff may register (empty: any passkey, attestation "none").
    staff: Vec<StaffAuthenticator>,
    staff_cas: Option<AttestationCaList>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys")
            .field("rp_id", &self.rp_id)
            .finish()
    }
}

/// The WebAuthn user handle of an account.
pub fn user_handle(account_id: &str) -> Uuid {
    let d = platform::crypto::sha256(format!("oneid-webauthn-user:{account_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    Uuid::from_bytes(b)
}

/// A credential ID as stored (base64url without padding).
pub fn credential_id_of(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(v).map_err(|e| PasskeyError::State(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(s).map_err(|e| PasskeyError::State(e.to_string()))
}

/// The counter and the backup flag in a stored record.
fn record_facts(data: &str) -> (i64, bool) {
    let v: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    let cred = &v["cred"];
    (
        cred["counter"].as_i64().unwrap_or(0),
        cred["backup_eligible"].as_bool().unwrap_or(false),
    )
}

impl Passkeys {
    /// The relying party of an issuer: its host is the RP ID, its origin the only origin.
    /// `None` when the issuer's host is not a domain name (an IP address cannot be a WebAuthn
    /// relying party: serve on `localhost` or a name).
    pub fn for_issuer(issuer: &str, name: &str) -> Option<Passkeys> {
        let url = Url::parse(issuer).ok()?;
        let host = url.domain()?.to_owned();
        let origin = Url::parse(&url.origin().ascii_serialization()).ok()?;
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .ok()?
            .rp_name(name)
            .timeout(std::time::Duration::from_secs(CEREMONY_SECS as u64))
            .build()
            .ok()?;
        Some(Passkeys {
            webauthn,
            rp_id: host,
            staff: Vec::new(),
            staff_cas: None,
        })
    }

    /// Staff register only these authenticator models, proved by a direct attestation that
    /// chains to one of their certificates and names their AAGUID.
    pub fn with_staff_authenticators(
        mut self,
        list: Vec<StaffAuthenticator>,
    ) -> Result<Passkeys, String> {
        if list.is_empty() {
            return Ok(self);
        }
        let mut b = AttestationCaListBuilder::new();
        for a in &list {
            b.insert_device_der(&a.ca_der, a.aaguid, a.name.clone(), Default::default())
                .map_err(|e| format!("staff authenticator {:?}: certificate: {e}", a.name))?;
        }
        self.staff_cas = Some(b.build());
        self.staff = list;
        Ok(self)
    }

    /// Whether staff must use one of a listed set of authenticator models.
    pub fn staff_list(&self) -> bool {
        !self.staff.is_empty()
    }

    /// Whether an attested AAGUID is on the staff list now.
    pub fn staff_allows(&self, aaguid: Option<&str>) -> bool {
        let Some(a) = aaguid.and_then(|a| Uuid::parse_str(a).ok()) else {
            return false;
        };
        self.staff.iter().any(|s| s.aaguid == a)
    }

    /// The relying party ID (the issuer's host).
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Starts registering a passkey for an account: the options for
    /// `navigator.credentials.create` (JSON) and the state to keep. `staff`: for a staff
    /// account, which registers only a listed model when there is a list (a direct
    /// attestation is asked for and checked against it).
    pub fn start_registration(
        &self,
        account_id: &str,
        login_id: &str,
        display_name: &str,
        existing: &[String],
        staff: bool,
    ) -> Result<(Value, String), PasskeyError> {
        let exclude = existing
            .iter()
            .filter_map(|d| from_json::<Passkey>(d).ok())
            .map(|p| p.cred_id().clone())
            .collect::<Vec<_>>();
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let refused = |e: webauthn_rs::prelude::WebauthnError| PasskeyError::Refused(e.to_string());
        let (options, state) = match (&self.staff_cas, staff) {
            (Some(cas), true) => {
                let (o, st) = self
                    .webauthn
                    .start_attested_passkey_registration(
                        user_handle(account_id),
                        login_id,
                        display_name,
                        exclude,
                        cas.clone(),
                        None,
                    )
                    .map_err(refused)?;
                (o, RegState::Attested(st))
            }
            _ => {
                let (o, st) = self
                    .webauthn
                    .start_passkey_registration(
                        user_handle(account_id),
                        login_id,
                        display_name,
                        exclude,
                    )
                    .map_err(refused)?;
                (o, RegState::Plain(st))
            }
        };
        let mut v =
            serde_json::to_value(&options).map_err(|e| PasskeyError::State(e.to_string()))?;
        // Credential protection is asked for, not insisted on (as for every passkey here): an
        // authenticator without the extension still registers, since every use of a passkey
        // here requires user verification anyway.
        if let Some(ext) = v["publicKey"]["extensions"].as_object_mut() {
            if ext.contains_key("enforceCredentialProtectionPolicy") {
                ext.insert("enforceCredentialProtectionPolicy".into(), false.into());
            }
        }
        // A passkey: discoverable where the authenticator can (platform and synced passkeys
        // always are; a security key with no room left may decline). The library does not
        // check this at the finish, it only asks.
        if let Some(sel) = v["publicKey"]["authenticatorSelection"].as_object_mut() {
            sel.insert("residentKey".into(), "preferred".into());
        }
        Ok((v, to_json(&state)?))
    }

    /// Finishes a registration with the browser's answer (JSON) and the kept state.
    pub fn finish_registration(
        &self,
        response: &str,
        state: &str,
    ) -> Result<Registered, PasskeyError> {
        let reg: RegisterPublicKeyCredential =
            serde_json::from_str(response).map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let refused = |e: webauthn_rs::prelude::WebauthnError| PasskeyError::Refused(e.to_string());
        // Both records are the same credential (`{"cred": …}`): either is read back as a
        // passkey to authenticate with.
        let (data, cred_id, attested_aaguid) = match from_json::<RegState>(state)? {
            RegState::Plain(st) => {
                let k = self
                    .webauthn
                    .finish_passkey_registration(&reg, &st)
                    .map_err(refused)?;
                (to_json(&k)?, k.cred_id().clone(), None)
            }
            RegState::Attested(st) => {
                let k = self
                    .webauthn
                    .finish_attested_passkey_registration(&reg, &st)
                    .map_err(refused)?;
                let aaguid = match &k.attestation().metadata {
                    AttestationMetadata::Packed { aaguid }
                    | AttestationMetadata::Tpm { aaguid, .. } => Some(aaguid.to_string()),
                    _ => None,
                };
                // The library checked the chain and that the AAGUID is listed for it.
                if !self.staff_allows(aaguid.as_deref()) {
                    return Err(PasskeyError::Refused(
                        "authenticator model not listed".into(),
                    ));
                }
                (to_json(&k)?, k.cred_id().clone(), aaguid)
            }
        };
        let (counter, backup_eligible) = record_facts(&data);
        Ok(Registered {
            credential_id: credential_id_of(cred_id.as_ref()),
            data,
            counter,
            backup_eligible,
            attested_aaguid,
        })
    }

    /// Starts an authentication with one of `passkeys` (stored records): the options for
    /// `navigator.credentials.get` and the state to keep.
    pub fn start_authentication(
        &self,
        passkeys: &[String],
    ) -> Result<(Value, String), PasskeyError> {
        let creds = passkeys
            .iter()
            .map(|d| from_json::<Passkey>(d))
            .collect::<Result<Vec<_>, _>>()?;
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&creds)
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let v = serde_json::to_value(&options).map_err(|e| PasskeyError::State(e.to_string()))?;
        Ok((v, to_json(&state)?))
    }

    /// Finishes an authentication; `stored` is the record of the credential the browser used
    /// (looked up by [`Passkeys::credential_id`]).
    pub fn finish_authentication(
        &self,
        response: &PublicKeyCredential,
        state: &str,
        stored: &str,
    ) -> Result<Authenticated, PasskeyError> {
        let state: PasskeyAuthentication = from_json(state)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(response, &state);
        self.authenticated(result, stored)
    }

    /// Starts a sign-in with any passkey of this relying party (discoverable credentials);
    /// `autofill`: the browser's conditional UI (passkeys offered in the login ID field).
    pub fn start_discoverable(&self, autofill: bool) -> Result<(Value, String), PasskeyError> {
        let (mut options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        if !autofill {
            options.mediation = None;
        }
        let v = serde_json::to_value(&options).map_err(|e| PasskeyError::State(e.to_string()))?;
        Ok((v, to_json(&state)?))
    }

    /// Finishes a discoverable sign-in; `stored` is the record of the credential used, and
    /// `account_id` its holder (the user handle the authenticator returned must be theirs).
    pub fn finish_discoverable(
        &self,
        response: &PublicKeyCredential,
        state: &str,
        stored: &str,
        account_id: &str,
    ) -> Result<Authenticated, PasskeyError> {
        let (handle, _) = self
            .webauthn
            .identify_discoverable_authentication(response)
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        if handle != user_handle(account_id) {
            return Err(PasskeyError::Refused(
                "user handle of another account".into(),
            ));
        }
        let state: DiscoverableAuthentication = from_json(state)?;
        let passkey: Passkey = from_json(stored)?;
        let key = DiscoverableKey::from(&passkey);
        let result = self
            .webauthn
            .finish_discoverable_authentication(response, state, &[key]);
        self.authenticated(result, stored)
    }

    fn authenticated(
        &self,
        result: Result<
            webauthn_rs::prelude::AuthenticationResult,
            webauthn_rs::prelude::WebauthnError,
        >,
        stored: &str,
    ) -> Result<Authenticated, PasskeyError> {
        let result = result.map_err(|e| match e {
            webauthn_rs::prelude::WebauthnError::CredentialPossibleCompromise => {
                PasskeyError::CounterBehind
            }
            e => PasskeyError::Refused(e.to_string()),
        })?;
        let mut passkey: Passkey = from_json(stored)?;
        passkey.update_credential(&result);
        let data = to_json(&passkey)?;
        let (counter, backup_eligible) = record_facts(&data);
        Ok(Authenticated {
            credential_id: credential_id_of(result.cred_id().as_ref()),
            data,
            counter: i64::from(result.counter()).max(counter),
            backup_eligible,
            user_verified: result.user_verified(),
        })
    }

    /// Reads the browser's answer to an authentication (JSON): the credential and its ID.
    pub fn credential(response: &str) -> Result<(PublicKeyCredential, String), PasskeyError> {
        let c: PublicKeyCredential =
            serde_json::from_str(response).map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let id = credential_id_of(c.get_credential_id());
        Ok((c, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_issuers_host_and_never_an_address() {
        let p = Passkeys::for_issuer("https://login.oneid.example", "ONE ID").unwrap();
        assert_eq!(p.rp_id(), "login.oneid.example");
        assert_eq!(
            Passkeys::for_issuer("http://localhost:8080", "x").map(|p| p.rp_id().to_owned()),
            Some("localhost".into())
        );
        assert!(Passkeys::for_issuer("http://127.0.0.1:8080", "x").is_none());
        assert!(Passkeys::for_issuer("not a url", "x").is_none());
    }

    #[test]
    fn registration_asks_for_a_verified_discoverable_passkey_without_attestation() {
        let p = Passkeys::for_issuer("https://login.oneid.example", "ONE ID").unwrap();
        let (o, state) = p
            .start_registration("acct-1", "pat@oneid", "Pat Key", &[], false)
            .unwrap();
        let sel = &o["publicKey"]["authenticatorSelection"];
        assert_eq!(sel["residentKey"], "preferred");
        assert_eq!(sel["userVerification"], "required");
        assert_eq!(o["publicKey"]["attestation"], "none");
        assert_eq!(o["publicKey"]["rp"]["id"], "login.oneid.example");
        // The user handle is the account's derived one, not its ID.
        let handle = URL_SAFE_NO_PAD.encode(user_handle("acct-1").as_bytes());
        assert_eq!(o["publicKey"]["user"]["id"], handle);
        assert!(!state.is_empty());
        assert_ne!(user_handle("acct-1"), user_handle("acct-2"));
        // Without a staff list, staff register like everyone (attestation "none").
        let (o, _) = p
            .start_registration("acct-1", "pat@oneid", "Pat Key", &[], true)
            .unwrap();
        assert_eq!(o["publicKey"]["attestation"], "none");
        assert!(!p.staff_list() && !p.staff_allows(Some("01020304-0506-0708-0102-030405060708")));
    }

    #[test]
    fn with_a_staff_list_staff_registration_asks_for_a_direct_attestation() {
        use base64::engine::general_purpose::STANDARD;
        // Chromium's virtual authenticator's attestation certificate (self-signed).
        let der = STANDARD.decode(CHROMIUM_BATCH_CERT).unwrap();
        let aaguid = Uuid::parse_str("01020304-0506-0708-0102-030405060708").unwrap();
        let p = Passkeys::for_issuer("https://login.oneid.example", "ONE ID")
            .unwrap()
            .with_staff_authenticators(vec![StaffAuthenticator {
                name: "Virtual".into(),
                aaguid,
                ca_der: der,
            }])
            .unwrap();
        let (o, _) = p
            .start_registration("a", "s@oneid", "S", &[], true)
            .unwrap();
        assert_eq!(o["publicKey"]["attestation"], "direct");
        let (o, _) = p
            .start_registration("a", "c@oneid", "C", &[], false)
            .unwrap();
        assert_eq!(o["publicKey"]["attestation"], "none");
        assert!(p.staff_list() && p.staff_allows(Some(&aaguid.to_string())));
        assert!(
            !p.staff_allows(Some("00000000-0000-0000-0000-000000000000")) && !p.staff_allows(None)
        );
        let bad = Passkeys::for_issuer("https://login.oneid.example", "ONE ID")
            .unwrap()
            .with_staff_authenticators(vec![StaffAuthenticator {
                name: "Broken".into(),
                aaguid,
                ca_der: b"not a certificate".to_vec(),
            }]);
        assert!(bad.is_err());
    }

    /// Chromium's virtual authenticator's attestation certificate, base64 DER.
    const CHROMIUM_BATCH_CERT: &str = "MIIB1DCCAXqgAwIBAgIBATAKBggqhkjOPQQDAjBgMQswCQYDVQQGEwJVUzERMA8GA1UECgwIQ2hyb21pdW0xIjAgBgNVBAsMGUF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24xGjAYBgNVBAMMEUJhdGNoIENlcnRpZmljYXRlMB4XDTE3MDcxNDAyNDAwMFoXDTQ2MTEyOTIyNTU1M1owYDELMAkGA1UEBhMCVVMxETAPBgNVBAoMCENocm9taXVtMSIwIAYDVQQLDBlBdXRoZW50aWNhdG9yIEF0dGVzdGF0aW9uMRowGAYDVQQDDBFCYXRjaCBDZXJ0aWZpY2F0ZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABI1hfmXJUI5kvMVnOsgqZ5naPBRGaCwljEY//99Y39L6Pmw3i1PXlcSk3/tBme3Xhi8jq68CA7S4kRugVpmU4QGjJTAjMAwGA1UdEwEB/wQCMAAwEwYLKwYBBAGC5RwCAQEEBAMCAwgwCgYIKoZIzj0EAwIDSAAwRQIhAL5XSjASxlh50kLm4ZhsBsB4rn7Se46wFPGiBa4LK28BAiAYEhCYGXu5WpydGcAdvO1N1yjbA8Qa1WrH3bu5S4jZ9g==";

    #[test]
    fn a_passkey_reads_as_hardware_or_software_and_verified_as_two_factors() {
        let a = |backup_eligible, user_verified| Authenticated {
            credential_id: String::new(),
            data: String::new(),
            counter: 0,
            backup_eligible,
            user_verified,
        };
        assert_eq!(a(false, true).amr(), ["hwk", "user", "mfa"]);
        assert_eq!(a(true, true).amr(), ["swk", "user", "mfa"]);
        assert_eq!(a(false, false).amr(), ["hwk"]);
    }

    #[test]
    fn a_malformed_answer_is_refused_without_a_panic() {
        assert!(matches!(
            Passkeys::credential("{\"id\":1}"),
            Err(PasskeyError::Malformed(_))
        ));
        let p = Passkeys::for_issuer("https://login.oneid.example", "ONE ID").unwrap();
        assert!(matches!(
            p.finish_registration("[]", "{}"),
            Err(PasskeyError::Malformed(_))
        ));
    }
}
