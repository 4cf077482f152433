//! The step-up challenge's state and its first page, which every surface starts: the sign-in
//! (`idp-web`), a sensitive change on My Profile (`account-web`) and staff work (`account-web`,
//! `admin-web`). A challenge is parked in the ephemeral store under a random token; the page's
//! form posts to `/stepup` (`idp-web`), which checks the answer and completes what was waiting.
//! The methods: a code by text message or voice call, two of the online challenge questions,
//! or a TOTP code.

use crate::account_text::AccountText;
use crate::error::PageError;

use authorization_server::Provider;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::{Account, PhoneKind};
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use platform::Locale;
use serde::{Deserialize, Serialize};

mod page;

pub use page::{method_label, page};

/// A way to prove it is really the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Method {
    /// A code by text message to challenge phone `phone`.
    Sms {
        /// Index of the phone.
        phone: usize,
    },
    /// A code by voice call to challenge phone `phone`.
    Voice {
        /// Index of the phone.
        phone: usize,
    },
    /// Two of the online challenge questions.
    Kba,
    /// A code from an authenticator app.
    Totp,
}

impl Method {
    /// RFC 8176 method reference.
    pub fn amr(self) -> &'static str {
        match self {
            Method::Sms { .. } => "sms",
            Method::Voice { .. } => "tel",
            Method::Kba => "kba",
            Method::Totp => "otp",
        }
    }

    pub fn key(self) -> String {
        match self {
            Method::Sms { phone } => format!("sms:{phone}"),
            Method::Voice { phone } => format!("tel:{phone}"),
            Method::Kba => "kba".into(),
            Method::Totp => "otp".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (k, n) = s.split_once(':').unwrap_or((s, ""));
        let phone = || n.parse::<usize>().ok();
        match k {
            "sms" => Some(Method::Sms { phone: phone()? }),
            "tel" => Some(Method::Voice { phone: phone()? }),
            "kba" => Some(Method::Kba),
            "otp" => Some(Method::Totp),
            _ => None,
        }
    }
}

/// A challenge in progress, in the ephemeral store.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Pending {
    pub account_id: String,
    /// The parked authorization request (a sign-in for a relying party or the console).
    pub request_id: Option<String>,
    /// Methods already used in this sign-in (`pwd`).
    pub amr: Vec<String>,
    /// A live SSO session to raise instead of starting a new one (its store key).
    pub session_key: Option<String>,
    /// A self-service page to return to (session step-up).
    pub return_to: Option<String>,
    /// What the account can use.
    pub methods: Vec<Method>,
    /// Methods whose gateway failed in this challenge.
    pub failed: Vec<Method>,
    /// The method chosen.
    pub chosen: Option<Method>,
    /// Digest of the code sent.
    pub code_digest: Option<String>,
    /// When the code stops working.
    pub code_expires: i64,
    /// When the last code went out.
    pub sent_at: i64,
    /// The two online questions asked.
    pub questions: Vec<String>,
    /// Language of the pages.
    pub locale: Locale,
}

/// The store key of a challenge's `part` (`stepup` itself; `stepup-tries`, its attempt counter,
/// atomic apart from the challenge, which is read and written back whole; `stepup-done`, set
/// once by the guess that met it, so a second one stops).
pub fn key_of(part: &str, token: &str) -> String {
    format!("{part}:{}", sha256_b64(token.as_bytes()))
}

pub fn pending_key(token: &str) -> String {
    key_of("stepup", token)
}

/// The methods the account can use, in the order offered: codes to phones (text to mobiles,
/// calls to any phone), TOTP, then the online questions (the fallback with no phone or with
/// "no direct number").
pub async fn methods_of(p: &Provider, account: &Account) -> Result<Vec<Method>, Response> {
    let locale = Locale::parse(&account.locale).unwrap_or_default();
    let internal =
        |e: credential_store::ChallengeError| PageError::internal(locale, e).into_response();
    let mut m = Vec::new();
    if !account.no_direct_number {
        let phones = p
            .accounts
            .challenge_phones(&account.id)
            .await
            .map_err(internal)?;
        for (i, ph) in phones.iter().enumerate() {
            if ph.kind == PhoneKind::Mobile {
                m.push(Method::Sms { phone: i });
            }
            m.push(Method::Voice { phone: i });
        }
    }
    if account.totp_enrolled_at.is_some() {
        m.push(Method::Totp);
    }
    if p.accounts
        .online_questions(&account.id)
        .await
        .map_err(internal)?
        .len()
        >= 2
    {
        m.push(Method::Kba);
    }
    Ok(m)
}

/// Starts a challenge and shows the choice of methods.
pub async fn begin(p: &Provider, headers: &HeaderMap, pending: Pending) -> Response {
    let token = random_token(24);
    if let Err(e) = save(p, &token, &pending).await {
        return PageError::internal(pending.locale, e).into_response();
    }
    page(p, headers, &token, &pending, None, StatusCode::OK).await
}

pub async fn save(
    p: &Provider,
    token: &str,
    pending: &Pending,
) -> Result<(), platform::EphemeralError> {
    put_json(
        p.store.as_ref(),
        &pending_key(token),
        pending,
        p.cfg.login_ttl,
    )
    .await
}

/// The challenge parked under `token`, if it is still there.
pub async fn load(p: &Provider, token: &str) -> Option<Pending> {
    if token.is_empty() || token.len() > 64 {
        return None;
    }
    get_json::<Pending>(p.store.as_ref(), &pending_key(token))
        .await
        .ok()
        .flatten()
}
