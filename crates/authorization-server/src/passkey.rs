//! Passkey ceremonies as state and operations, without HTTP: each ceremony's state is kept in
//! the ephemeral store under a random token for five minutes and taken once (a second finish
//! with the same token, on any node, finds nothing), except the login page's, which travels
//! sealed and is marked spent there; a use is recorded only when the
//! authenticator's signature counter moved forward, and a counter that went backwards (a
//! cloned authenticator) is refused and audited. Every enrolment, use and removal is audited.

use crate::Provider;
use credential_store::{
    Account, AccountStatus, AddPasskeyError, CredentialError, NewPasskey, PasskeyUse, StoredPasskey,
};
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{put_json, take_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use step_up::passkeys::{Authenticated, PasskeyError, Passkeys, CEREMONY_SECS};

/// Why a passkey ceremony did not complete.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// This provider cannot be a WebAuthn relying party (its issuer is an address).
    #[error("passkeys are not available on this provider")]
    Unavailable,
    /// The ceremony is unknown, finished already or expired.
    #[error("the passkey request expired")]
    Expired,
    /// The passkey is unknown, or belongs to an account that cannot sign in.
    #[error("unknown passkey")]
    Unknown,
    /// The authenticator's answer was refused (wrong origin, signature, no verification...).
    #[error("passkey refused: {0}")]
    Refused(PasskeyError),
    /// The signature counter went backwards: a cloned authenticator (audited).
    #[error("the passkey's signature counter went backwards")]
    Cloned,
    /// The passkey is registered already.
    #[error("this passkey is registered already")]
    Exists,
    /// The account holds the most passkeys it may.
    #[error("too many passkeys")]
    TooMany,
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Ephemeral(#[from] platform::EphemeralError),
}

impl FlowError {
    /// A failure of our own storage (not of the person or their authenticator).
    pub fn is_internal(&self) -> bool {
        matches!(self, FlowError::Credential(_) | FlowError::Ephemeral(_))
    }
}

/// What a registration keeps between its two steps (a step-up keeps its state in its own
/// challenge; a sign-in's travels sealed in the page).
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    /// The account registering.
    account_id: String,
    /// The library's state (JSON).
    state: String,
}

fn kept_key(kind: &str, token: &str) -> String {
    format!("passkey-{kind}:{}", sha256_b64(token.as_bytes()))
}

fn relying_party(p: &Provider) -> Result<&Passkeys, FlowError> {
    p.passkeys.as_deref().ok_or(FlowError::Unavailable)
}

async fn keep(p: &Provider, kept: &Kept) -> Result<String, FlowError> {
    let token = random_token(24);
    put_json(
        p.store.as_ref(),
        &kept_key("reg", &token),
        kept,
        CEREMONY_SECS,
    )
    .await?;
    Ok(token)
}

async fn take(p: &Provider, token: &str) -> Result<Kept, FlowError> {
    if token.is_empty() || token.len() > 64 {
        return Err(FlowError::Expired);
    }
    take_json::<Kept>(p.store.as_ref(), &kept_key("reg", token))
        .await?
        .ok_or(FlowError::Expired)
}

/// Audits a passkey event about `account_id`, done by `actor`.
pub async fn audit(
    p: &Provider,
    event: &'static str,
    actor: &str,
    account_id: &str,
    ip: &str,
    detail: Option<&str>,
) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some(actor),
            subject: Some(account_id),
            source: Some(ip),
            detail,
            ..Default::default()
        })
        .await;
}

/// A ceremony begun: the token to send back with the answer, and the options for the browser.
#[derive(Debug, Clone)]
pub struct Begun {
    pub token: String,
    pub options: Value,
}

/// Begins adding a passkey to `account` (its passkeys are excluded). A staff account, when
/// staff have a list of authenticator models, registers only one of them (a direct
/// attestation, checked at the finish).
pub async fn begin_registration(p: &Provider, account: &Account) -> Result<Begun, FlowError> {
    let rp = relying_party(p)?;
    let staff = rp.staff_list() && p.accounts.is_staff(&account.id).await?;
    let existing: Vec<String> = p
        .accounts
        .passkeys(&account.id)
        .await?
        .into_iter()
        .map(|k| k.data)
        .collect();
    let display = format!("{} {}", account.given_name, account.family_name);
    let (options, state) = rp
        .start_registration(
            &account.id,
            &account.login_id,
            display.trim(),
            &existing,
            staff,
        )
        .map_err(FlowError::Refused)?;
    let kept = Kept {
        account_id: account.id.clone(),
        state,
    };
    let token = keep(p, &kept).await?;
    Ok(Begun { token, options })
}

/// Finishes adding a passkey named `name` to `account_id` with the browser's answer; the
/// ceremony must be this account's. Returns the new passkey's ID.
pub async fn finish_registration(
    p: &Provider,
    account_id: &str,
    token: &str,
    response: &str,
    name: &str,
    ip: &str,
) -> Result<String, FlowError> {
    let rp = relying_party(p)?;
    let kept = take(p, token).await?;
    if kept.account_id != account_id {
        return Err(FlowError::Expired);
    }
    let reg = rp
        .finish_registration(response, &kept.state)
        .map_err(FlowError::Refused)?;
    let id = p
        .accounts
        .add_passkey(&NewPasskey {
            account_id,
            credential_id: &reg.credential_id,
            name,
            data: &reg.data,
            counter: reg.counter,
            backup_eligible: reg.backup_eligible,
            attested_aaguid: reg.attested_aaguid.as_deref(),
        })
        .await
        .map_err(|e| match e {
            AddPasskeyError::Exists => FlowError::Exists,
            AddPasskeyError::TooMany => FlowError::TooMany,
            AddPasskeyError::Store(e) => FlowError::Credential(e),
        })?;
    let kind = if reg.backup_eligible {
        "synced"
    } else {
        "device-bound"
    };
    let detail = format!("{name} ({kind})");
    audit(
        p,
        "passkey.added",
        account_id,
        account_id,
        ip,
        Some(&detail),
    )
    .await;
    Ok(id)
}

/// Begins a step-up with one of the account's passkeys (`listed_only`: only those of a model
/// on the staff list): the options and the state, which the caller keeps in its own
/// single-use challenge. `None` when the account has none.
pub async fn begin_stepup(
    p: &Provider,
    account_id: &str,
    listed_only: bool,
) -> Result<Option<(Value, String)>, FlowError> {
    let rp = relying_party(p)?;
    let keys: Vec<String> = p
        .accounts
        .passkeys(account_id)
        .await?
        .into_iter()
        .filter(|k| !listed_only || rp.staff_allows(k.attested_aaguid.as_deref()))
        .map(|k| k.data)
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    rp.start_authentication(&keys)
        .map(Some)
        .map_err(FlowError::Refused)
}

/// Checks a step-up's answer against the state `begin_stepup` gave: the credential must be
/// one of `account_id`'s, the counter must move forward, and the use is recorded. Also says
/// whether the passkey is of a model on the staff list.
pub async fn check_stepup(
    p: &Provider,
    account_id: &str,
    state: &str,
    response: &str,
    ip: &str,
) -> Result<(Authenticated, bool), FlowError> {
    let rp = relying_party(p)?;
    let (cred, cred_id) = Passkeys::credential(response).map_err(FlowError::Refused)?;
    let stored = p
        .accounts
        .passkey_by_credential(&cred_id)
        .await?
        .filter(|k| k.account_id == account_id)
        .ok_or(FlowError::Unknown)?;
    let listed = rp.staff_allows(stored.attested_aaguid.as_deref());
    let r = rp.finish_authentication(&cred, state, &stored.data);
    Ok((record_use(p, &stored, r, ip).await?, listed))
}

/// Whether the account has a passkey of a model on the staff list.
pub async fn has_listed_passkey(p: &Provider, account_id: &str) -> Result<bool, FlowError> {
    let rp = relying_party(p)?;
    Ok(p.accounts
        .passkeys(account_id)
        .await?
        .iter()
        .any(|k| rp.staff_allows(k.attested_aaguid.as_deref())))
}

/// What a sign-in ceremony's token carries, sealed: the library's state and its deadline.
#[derive(Debug, Serialize, Deserialize)]
struct SealedSignIn {
    state: String,
    until: i64,
}

const SIGNIN_CONTEXT: &[u8] = b"passkey-signin";

/// Begins a sign-in with any passkey (`autofill`: offered in the login ID field too). The
/// state travels sealed in the page's token rather than in the ephemeral store, so that the
/// login page, which anyone may load, writes nothing; the token is single use all the same
/// (`finish_signin` marks it spent in the ephemeral store, across nodes) and lives five
/// minutes.
pub fn begin_signin(p: &Provider, autofill: bool) -> Result<Begun, FlowError> {
    use base64::Engine;
    let rp = relying_party(p)?;
    let (options, state) = rp
        .start_discoverable(autofill)
        .map_err(FlowError::Refused)?;
    let sealed = SealedSignIn {
        state,
        until: p.clock.now() + CEREMONY_SECS,
    };
    let plain = serde_json::to_vec(&sealed)
        .map_err(|e| FlowError::Refused(PasskeyError::State(e.to_string())))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(p.accounts.sealer().seal(&plain, SIGNIN_CONTEXT));
    Ok(Begun { token, options })
}

/// Opens a sign-in token and spends it (once, on any node).
async fn spend_signin(p: &Provider, token: &str) -> Result<String, FlowError> {
    use base64::Engine;
    if token.is_empty() || token.len() > 16_384 {
        return Err(FlowError::Expired);
    }
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| FlowError::Expired)?;
    let plain = p
        .accounts
        .sealer()
        .open(&sealed, SIGNIN_CONTEXT)
        .map_err(|_| FlowError::Expired)?;
    let kept: SealedSignIn = serde_json::from_slice(&plain).map_err(|_| FlowError::Expired)?;
    if p.clock.now() > kept.until {
        return Err(FlowError::Expired);
    }
    let first = p
        .store
        .put_if_absent(&kept_key("signin-spent", token), b"1", CEREMONY_SECS + 60)
        .await?;
    if !first {
        return Err(FlowError::Expired);
    }
    Ok(kept.state)
}

/// Finishes a sign-in with a passkey: the account it belongs to (active, not locked) and what
/// the authenticator proved.
pub async fn finish_signin(
    p: &Provider,
    token: &str,
    response: &str,
    ip: &str,
) -> Result<(Account, Authenticated), FlowError> {
    let rp = relying_party(p)?;
    let state = spend_signin(p, token).await?;
    let (cred, cred_id) = Passkeys::credential(response).map_err(FlowError::Refused)?;
    let stored = p
        .accounts
        .passkey_by_credential(&cred_id)
        .await?
        .ok_or(FlowError::Unknown)?;
    let now = p.clock.now();
    // As with a password: only an active account, not locked out for failures.
    let account = p
        .accounts
        .find_by_id(&stored.account_id)
        .await?
        .filter(|a| a.status == AccountStatus::Active && a.locked_until.is_none_or(|t| t <= now))
        .ok_or(FlowError::Unknown)?;
    let r = rp.finish_discoverable(&cred, &state, &stored.data, &account.id);
    let done = record_use(p, &stored, r, ip).await?;
    Ok((account, done))
}

/// Records a use the library accepted (or audits why it was refused).
async fn record_use(
    p: &Provider,
    stored: &StoredPasskey,
    r: Result<Authenticated, PasskeyError>,
    ip: &str,
) -> Result<Authenticated, FlowError> {
    let who = stored.account_id.as_str();
    let done = match r {
        Ok(done) => done,
        Err(PasskeyError::CounterBehind) => {
            audit(p, "passkey.cloned", who, who, ip, Some(&stored.name)).await;
            return Err(FlowError::Cloned);
        }
        Err(e) => {
            audit(p, "passkey.refused", who, who, ip, Some(&stored.name)).await;
            return Err(FlowError::Refused(e));
        }
    };
    let used = p
        .accounts
        .use_passkey(
            &stored.credential_id,
            done.counter,
            &done.data,
            done.backup_eligible,
        )
        .await?;
    match used {
        PasskeyUse::Recorded => {
            audit(p, "passkey.used", who, who, ip, Some(&stored.name)).await;
            Ok(done)
        }
        PasskeyUse::CounterBehind => {
            // Another node recorded this counter (or a later one) meanwhile: a copy of the
            // authenticator is in use elsewhere.
            audit(p, "passkey.cloned", who, who, ip, Some(&stored.name)).await;
            Err(FlowError::Cloned)
        }
        PasskeyUse::Gone => Err(FlowError::Unknown),
    }
}

/// Removes one of `account_id`'s passkeys, as `actor` (the holder, or the service desk);
/// its name when it was there.
pub async fn remove(
    p: &Provider,
    account_id: &str,
    id: &str,
    actor: &str,
    ip: &str,
) -> Result<Option<String>, FlowError> {
    let name = p.accounts.remove_passkey(account_id, id).await?;
    if let Some(n) = &name {
        audit(p, "passkey.removed", actor, account_id, ip, Some(n)).await;
    }
    Ok(name)
}
