//! The step-up challenge as state and operations, without HTTP: a challenge is parked in the
//! ephemeral store under a random token (`Pending`); the person chooses a method, asks for the
//! code again, picks another method or answers (`act`). Each answer takes its attempt before
//! it is checked, on the challenge's own counter and then on the account's, so a burst of
//! parallel guesses gets distinct numbers and those past either limit are refused unchecked;
//! a challenge that is met is taken once, whatever raced it.
//!
//! The methods: a passkey (offered first when the account has one), a code by text message
//! or voice call, two of the online challenge questions, or a TOTP code.

use crate::{Provider, StoreError};
use credential_store::{Account, ChallengeError, Guess, PhoneKind, QuestionAnswer};
use platform::audit::AuditEvent;
use platform::crypto::{random_token, sha256_b64};
use platform::ephemeral::{get_json, put_json};
use platform::Locale;
use serde::{Deserialize, Serialize};
use step_up::codes;
use step_up::gateway::{Channel, Delivery};

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
    /// One of the account's passkeys.
    Passkey,
}

impl Method {
    /// RFC 8176 method reference.
    pub fn amr(self) -> &'static str {
        match self {
            Method::Sms { .. } => "sms",
            Method::Voice { .. } => "tel",
            Method::Kba => "kba",
            Method::Totp => "otp",
            // Which kind of key it was (`hwk` or `swk`) is known once it is used
            // (`Pending::passkey_amr`).
            Method::Passkey => "hwk",
        }
    }

    /// How the method is named in a form.
    pub fn key(self) -> String {
        match self {
            Method::Sms { phone } => format!("sms:{phone}"),
            Method::Voice { phone } => format!("tel:{phone}"),
            Method::Kba => "kba".into(),
            Method::Totp => "otp".into(),
            Method::Passkey => "passkey".into(),
        }
    }

    /// The method a form names.
    pub fn parse(s: &str) -> Option<Self> {
        let (k, n) = s.split_once(':').unwrap_or((s, ""));
        let phone = || n.parse::<usize>().ok();
        match k {
            "sms" => Some(Method::Sms { phone: phone()? }),
            "tel" => Some(Method::Voice { phone: phone()? }),
            "kba" => Some(Method::Kba),
            "otp" => Some(Method::Totp),
            "passkey" => Some(Method::Passkey),
            _ => None,
        }
    }

    /// Whether a code is sent (and can be sent again).
    pub fn sends_code(self) -> bool {
        matches!(self, Method::Sms { .. } | Method::Voice { .. })
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
    /// A passkey asked for: the library's state, and the browser's options (JSON).
    #[serde(default)]
    pub passkey_state: Option<String>,
    #[serde(default)]
    pub passkey_options: Option<String>,
    /// The methods the passkey that met the challenge proved (`hwk`/`swk`, `user`, `mfa`).
    #[serde(default)]
    pub passkey_amr: Vec<String>,
    /// Only passkeys of a model on the staff list will do (staff work, when configured).
    #[serde(default)]
    pub listed_only: bool,
    /// The passkey that met the challenge is of a listed model.
    #[serde(default)]
    pub passkey_listed: bool,
    /// Once met, offer adding a passkey before the sign-in goes on (a first sign-in).
    #[serde(default)]
    pub offer_passkey: bool,
}

/// The store key of a challenge's `part` (`stepup` itself; `stepup-tries`, its attempt counter,
/// atomic apart from the challenge, which is read and written back whole; `stepup-done`, set
/// once by the guess that met it, so a second one stops).
pub fn key_of(part: &str, token: &str) -> String {
    format!("{part}:{}", sha256_b64(token.as_bytes()))
}

/// The store key of the challenge itself.
pub fn pending_key(token: &str) -> String {
    key_of("stepup", token)
}

/// The methods the account can use, in the order offered: a passkey (phishing-resistant),
/// codes to phones (text to mobiles, calls to any phone), TOTP, then the online questions
/// (the fallback with no phone or with "no direct number").
pub async fn methods(p: &Provider, account: &Account) -> Result<Vec<Method>, ChallengeError> {
    let mut m = Vec::new();
    if p.passkeys.is_some() && p.accounts.has_passkey(&account.id).await? {
        m.push(Method::Passkey);
    }
    if !account.no_direct_number {
        let phones = p.accounts.challenge_phones(&account.id).await?;
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
    if p.accounts.online_questions(&account.id).await?.len() >= 2 {
        m.push(Method::Kba);
    }
    Ok(m)
}

/// Parks a new challenge; returns its token.
pub async fn park(p: &Provider, pending: &Pending) -> Result<String, platform::EphemeralError> {
    let token = random_token(24);
    save(p, &token, pending).await?;
    Ok(token)
}

/// Writes the challenge back.
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

/// Audits a step-up event; every `stepup.*` event is counted too
/// (`oneid_stepups_total{method,outcome}`), and a code the gateway could not deliver also as a
/// gateway error.
pub async fn audit(
    p: &Provider,
    event: &'static str,
    account_id: &str,
    ip: &str,
    detail: Option<&str>,
) {
    if let Some(outcome) = event.strip_prefix("stepup.") {
        let method = detail.unwrap_or("none");
        p.metrics.inc(
            "oneid_stepups_total",
            format!("method=\"{method}\",outcome=\"{outcome}\""),
        );
        if outcome == "gateway_error" {
            p.metrics
                .inc("oneid_gateway_errors_total", format!("method=\"{method}\""));
        }
    }
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: Some(account_id),
            subject: Some(account_id),
            source: Some(ip),
            detail,
            ..Default::default()
        })
        .await;
}

/// The words of a code's message, in a language (`{}` is the code; spoken for a call).
#[derive(Debug, Clone, Copy)]
pub struct CodeTexts {
    pub sms: &'static str,
    pub voice: &'static str,
}

/// What the person did on the challenge page.
#[derive(Debug)]
pub enum Action<'a> {
    /// Chose a method (its form key).
    Choose(&'a str),
    /// Asked for the code again.
    Resend,
    /// Asked for another method.
    Other,
    /// Answered: a code, the answers to the questions, or a passkey's (JSON).
    Verify {
        code: &'a str,
        answers: Vec<QuestionAnswer>,
        credential: &'a str,
    },
}

/// Why the page is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No such method, or one set aside.
    ChooseMethod,
    /// The gateway failed; other methods remain.
    GatewayDown,
    /// The gateway failed and no method remains.
    GatewayDownNone,
    /// A new code only after this many seconds.
    ResendWait(i64),
    /// The code expired (nothing was counted).
    CodeExpired,
    /// Wrong answers to the questions.
    AnswersWrong,
    /// Wrong code.
    CodeWrong,
    /// The browser gave no passkey, or one that was refused (ask again).
    PasskeyFailed,
    /// The passkey's counter went backwards: a copy (audited).
    PasskeyCloned,
    /// The action does not fit the challenge's state.
    Unexpected,
}

/// How an action ended.
#[derive(Debug)]
pub enum Outcome {
    /// Show the challenge page again (with what went wrong, if anything).
    Again(Option<Problem>),
    /// Met with `method`: the challenge is gone; the caller raises or starts the session.
    Met(Method),
    /// The challenge is over: its last attempt is spent or the account is locked (the parked
    /// sign-in is gone too).
    Over,
    /// Met already, by a request that raced this one.
    Taken,
}

/// Carries out `action` on the challenge `s` parked under `token` (written back as needed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn act(
    p: &Provider,
    token: &str,
    s: &mut Pending,
    action: Action<'_>,
    ip: &str,
    texts: fn(Locale) -> CodeTexts,
) -> Result<Outcome, StoreError> {
    let now = p.clock.now();
    match action {
        Action::Choose(key) => {
            let Some(m) =
                Method::parse(key).filter(|m| s.methods.contains(m) && !s.failed.contains(m))
            else {
                return Ok(Outcome::Again(Some(Problem::ChooseMethod)));
            };
            s.chosen = Some(m);
            match m {
                Method::Kba => {
                    let qs = p
                        .accounts
                        .online_questions(&s.account_id)
                        .await
                        .unwrap_or_default();
                    s.questions = pick_two(&qs);
                }
                Method::Totp => {}
                Method::Passkey => {
                    match crate::passkey::begin_stepup(p, &s.account_id, s.listed_only).await {
                        Ok(Some((options, state))) => {
                            s.passkey_state = Some(state);
                            s.passkey_options = Some(options.to_string());
                        }
                        Ok(None) | Err(crate::passkey::FlowError::Unavailable) => {
                            s.chosen = None;
                            return Ok(Outcome::Again(Some(Problem::ChooseMethod)));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "passkey step-up not started");
                            s.chosen = None;
                            return Ok(Outcome::Again(Some(Problem::PasskeyFailed)));
                        }
                    }
                }
                _ => {
                    if !send_code(p, token, s, m, ip, texts).await {
                        let _ = save(p, token, s).await;
                        let none_left = s.methods.iter().all(|m| s.failed.contains(m));
                        return Ok(Outcome::Again(Some(if none_left {
                            Problem::GatewayDownNone
                        } else {
                            Problem::GatewayDown
                        })));
                    }
                }
            }
            save(p, token, s).await?;
            Ok(Outcome::Again(None))
        }
        Action::Resend => {
            let Some(m) = s.chosen.filter(|m| m.sends_code()) else {
                return Ok(Outcome::Again(Some(Problem::Unexpected)));
            };
            if now - s.sent_at < p.stepup.resend_secs {
                let wait = p.stepup.resend_secs - (now - s.sent_at);
                return Ok(Outcome::Again(Some(Problem::ResendWait(wait))));
            }
            let sent = send_code(p, token, s, m, ip, texts).await;
            let _ = save(p, token, s).await;
            Ok(Outcome::Again((!sent).then_some(Problem::GatewayDown)))
        }
        Action::Other => {
            s.chosen = None;
            s.code_digest = None;
            let _ = save(p, token, s).await;
            Ok(Outcome::Again(None))
        }
        Action::Verify {
            code,
            answers,
            credential,
        } => verify(p, token, s, code, &answers, credential, ip).await,
    }
}

async fn verify(
    p: &Provider,
    token: &str,
    s: &mut Pending,
    code: &str,
    answers: &[QuestionAnswer],
    credential: &str,
    ip: &str,
) -> Result<Outcome, StoreError> {
    let Some(m) = s.chosen else {
        return Ok(Outcome::Again(Some(Problem::Unexpected)));
    };
    // A passkey's challenge is answered once: whatever comes back, the next try asks the
    // browser again with a new one.
    let passkey_state = if m == Method::Passkey {
        let state = s.passkey_state.take();
        s.passkey_options = None;
        s.chosen = None;
        let _ = save(p, token, s).await;
        match state {
            Some(st) if !credential.is_empty() => Some(st),
            // The browser gave nothing (cancelled, no passkey there): nothing was checked.
            _ => return Ok(Outcome::Again(Some(Problem::PasskeyFailed))),
        }
    } else {
        None
    };
    let passkey_amr = std::sync::Mutex::new((Vec::new(), false));
    let cloned = std::sync::atomic::AtomicBool::new(false);
    if m.sends_code() && p.clock.now() >= s.code_expires {
        // Nothing is checked against an expired code, so nothing is counted.
        return Ok(Outcome::Again(Some(Problem::CodeExpired)));
    }
    // The attempt is taken before the guess is checked, on the challenge's own counter and then
    // on the account's: a burst of parallel guesses gets distinct numbers, and those past
    // either limit are refused unchecked.
    let n = p
        .store
        .incr(
            &key_of("stepup-tries", token),
            p.cfg.login_ttl.max(p.stepup.code_ttl_secs),
        )
        .await?;
    let guess = if n > i64::from(p.stepup.max_attempts) {
        Guess::Refused
    } else {
        p.accounts
            .guarded(
                &s.account_id,
                async {
                    match m {
                        Method::Kba => p
                            .accounts
                            .verify_online_answers(&s.account_id, answers)
                            .await
                            .unwrap_or(false),
                        Method::Totp => verify_totp(p, &s.account_id, code).await,
                        Method::Passkey => {
                            let state = passkey_state.as_deref().unwrap_or_default();
                            match crate::passkey::check_stepup(
                                p,
                                &s.account_id,
                                state,
                                credential,
                                ip,
                            )
                            .await
                            {
                                Ok((done, listed)) => {
                                    if let Ok(mut a) = passkey_amr.lock() {
                                        *a = (done.amr(), listed);
                                    }
                                    true
                                }
                                Err(crate::passkey::FlowError::Cloned) => {
                                    cloned.store(true, std::sync::atomic::Ordering::Relaxed);
                                    false
                                }
                                Err(_) => false,
                            }
                        }
                        _ => s
                            .code_digest
                            .as_deref()
                            .is_some_and(|d| codes::matches(token, code, d)),
                    }
                },
                async {
                    if m == Method::Kba {
                        p.accounts.dummy_online_answers(answers).await;
                    }
                },
            )
            .await?
    };
    match guess {
        Guess::Right => {
            let (amr, listed) = passkey_amr.into_inner().unwrap_or_default();
            s.passkey_amr = amr;
            s.passkey_listed = listed;
            // A challenge that succeeded is taken once, whatever else raced it.
            let first = p
                .store
                .put_if_absent(&key_of("stepup-done", token), b"1", p.cfg.login_ttl)
                .await;
            let _ = p.store.delete(&pending_key(token)).await;
            return Ok(if first? {
                Outcome::Met(m)
            } else {
                Outcome::Taken
            });
        }
        Guess::Wrong { locked_now } => {
            audit(p, "stepup.failure", &s.account_id, ip, Some(m.amr())).await;
            if n < i64::from(p.stepup.max_attempts) && !locked_now {
                let problem = match m {
                    Method::Kba => Problem::AnswersWrong,
                    Method::Passkey if cloned.into_inner() => Problem::PasskeyCloned,
                    Method::Passkey => Problem::PasskeyFailed,
                    _ => Problem::CodeWrong,
                };
                return Ok(Outcome::Again(Some(problem)));
            }
        }
        Guess::Refused => {
            audit(p, "stepup.refused", &s.account_id, ip, Some(m.amr())).await;
        }
    }
    // The challenge is over: its last attempt is spent, or the account is locked.
    let _ = p.store.delete(&pending_key(token)).await;
    if let Some(r) = &s.request_id {
        let _ = p.store.delete(&crate::ticket::login_key(r)).await;
    }
    Ok(Outcome::Over)
}

/// Sends a code for `m`; false (and the method set aside) when the gateway failed.
async fn send_code(
    p: &Provider,
    token: &str,
    s: &mut Pending,
    m: Method,
    ip: &str,
    texts: fn(Locale) -> CodeTexts,
) -> bool {
    let phones = p
        .accounts
        .challenge_phones(&s.account_id)
        .await
        .unwrap_or_default();
    let (channel, idx) = match m {
        Method::Sms { phone } => (Channel::Sms, phone),
        Method::Voice { phone } => (Channel::Voice, phone),
        _ => return false,
    };
    let Some(phone) = phones.get(idx) else {
        return false;
    };
    let account_locale = match p.accounts.find_by_id(&s.account_id).await {
        Ok(Some(acc)) => Locale::parse(&acc.locale).unwrap_or(s.locale),
        _ => s.locale,
    };
    let words = texts(account_locale);
    let code = codes::new_code();
    let text = match channel {
        Channel::Sms => words.sms.replace("{}", &code),
        Channel::Voice => words.voice.replace("{}", &codes::spoken(&code)),
    };
    let delivery = Delivery {
        to: phone.e164.clone(),
        channel,
        text,
        locale: account_locale,
    };
    let now = p.clock.now();
    match p.gateway.send(&delivery).await {
        Ok(()) => {
            s.code_digest = Some(codes::digest(token, &code));
            s.code_expires = now + p.stepup.code_ttl_secs;
            s.sent_at = now;
            audit(p, "stepup.code_sent", &s.account_id, ip, Some(m.amr())).await;
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, method = m.amr(), "step-up code not delivered");
            audit(p, "stepup.gateway_error", &s.account_id, ip, Some(m.amr())).await;
            if !s.failed.contains(&m) {
                s.failed.push(m);
            }
            s.chosen = None;
            false
        }
    }
}

async fn verify_totp(p: &Provider, account_id: &str, code: &str) -> bool {
    let Ok(Some((secret, last))) = p.accounts.totp(account_id).await else {
        return false;
    };
    match step_up::totp::verify(&secret, code, p.clock.now(), last) {
        // The step is used once, even with two nodes racing.
        Some(step) => p
            .accounts
            .use_totp_step(account_id, step)
            .await
            .unwrap_or(false),
        None => false,
    }
}

/// Two of `from`, chosen at random (fewer when `from` has fewer).
pub fn pick_two(from: &[String]) -> Vec<String> {
    let mut pool = from.to_vec();
    let mut out = Vec::new();
    for b in platform::crypto::random_bytes(2) {
        if pool.is_empty() {
            break;
        }
        out.push(pool.remove(usize::from(b) % pool.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_reads_back_from_its_form_key() {
        for m in [
            Method::Sms { phone: 2 },
            Method::Voice { phone: 0 },
            Method::Kba,
            Method::Totp,
            Method::Passkey,
        ] {
            assert_eq!(Method::parse(&m.key()), Some(m));
        }
        assert_eq!(Method::parse("sms:x"), None);
        assert!(Method::Voice { phone: 1 }.sends_code() && !Method::Totp.sends_code());
    }

    #[test]
    fn two_distinct_questions_are_picked_when_there_are_enough() {
        let qs: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        let two = pick_two(&qs);
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
        assert_eq!(pick_two(&qs[..1]), vec!["a".to_owned()]);
    }
}
