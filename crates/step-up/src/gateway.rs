//! Delivering one-time codes by text message or voice call: through a Twilio-compatible REST
//! API in production, to an outbox file (one JSON object per line) in the embedded default, so
//! a developer can read the code that would have been sent.
//!
//! Errors never carry the auth token or the message text (which holds the code); the phone
//! number appears in logs masked to its last four digits.

use async_trait::async_trait;
use platform::{Locale, SharedClock};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a code travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A text message.
    Sms,
    /// A voice call that reads the text aloud.
    Voice,
}

impl Channel {
    /// The name used in configuration, logs and the outbox (`sms`, `voice`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }
}

/// One message to one phone.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The phone number, E.164 (`+14165550100`).
    pub to: String,
    /// Text message or voice call.
    pub channel: Channel,
    /// What to text, or what to say.
    pub text: String,
    /// The language of `text` (and of the voice that reads it).
    pub locale: Locale,
}

/// Gateway errors (never carrying the auth token or the message text).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The configuration is not usable; the message names the key.
    #[error("code gateway configuration: {0}")]
    Config(String),
    /// The gateway could not be reached or kept failing (network error, timeout, 5xx after
    /// the retries).
    #[error("code gateway unavailable: {0}")]
    Unavailable(String),
    /// The gateway refused the message (a 4xx, e.g. a bad number); never retried.
    #[error("code gateway refused the message: {0}")]
    Refused(String),
}

/// Something that delivers one-time codes.
#[async_trait]
pub trait CodeGateway: Send + Sync + std::fmt::Debug {
    /// Delivers `d`.
    async fn send(&self, d: &Delivery) -> Result<(), GatewayError>;
}

/// How many deliveries the outbox keeps in memory.
const RECENT: usize = 20;

/// Appends each delivery as a JSON line `{at, channel, to, text, locale}` to a file and logs
/// it, text included (the embedded default: development only), keeping the last 20 in memory
/// for the demo page.
pub struct OutboxGateway {
    path: PathBuf,
    clock: SharedClock,
    recent: Mutex<VecDeque<(i64, Delivery)>>,
}

impl std::fmt::Debug for OutboxGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxGateway")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl OutboxGateway {
    /// Writes to `path` (its folder is created when needed), stamping lines with `clock`.
    pub fn new(path: PathBuf, clock: SharedClock) -> Self {
        Self {
            path,
            clock,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
        }
    }

    /// The last 20 deliveries with their time (Unix seconds), newest first.
    pub fn recent(&self) -> Vec<(i64, Delivery)> {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// One line of the outbox file.
#[derive(Serialize)]
struct OutboxLine<'a> {
    at: i64,
    channel: Channel,
    to: &'a str,
    text: &'a str,
    locale: Locale,
}

#[async_trait]
impl CodeGateway for OutboxGateway {
    async fn send(&self, d: &Delivery) -> Result<(), GatewayError> {
        let at = self.clock.now();
        let line = serde_json::to_string(&OutboxLine {
            at,
            channel: d.channel,
            to: &d.to,
            text: &d.text,
            locale: d.locale,
        })
        .map_err(|e| GatewayError::Unavailable(format!("outbox: {e}")))?;
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let io = |e: std::io::Error| {
            GatewayError::Unavailable(format!("outbox {}: {e}", self.path.display()))
        };
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        writeln!(f, "{line}").map_err(io)?;
        recent.push_front((at, d.clone()));
        recent.truncate(RECENT);
        drop(recent);
        tracing::info!(
            path = %self.path.display(),
            channel = d.channel.as_str(),
            to = %d.to,
            text = %d.text,
            "code written to the outbox (development only)"
        );
        Ok(())
    }
}

mod twilio;
pub use twilio::TwilioGateway;

/// Where codes go (`[stepup.gateway]`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Base URL of the Twilio-compatible API, e.g. `https://api.twilio.com`; empty: the
    /// outbox file.
    #[serde(default)]
    pub base_url: String,
    /// Account SID (the user name of HTTP basic auth).
    #[serde(default)]
    pub account_sid: String,
    /// Auth token (the password of HTTP basic auth).
    #[serde(default)]
    pub auth_token: String,
    /// Sender number (E.164).
    #[serde(default)]
    pub from: String,
    /// Per-attempt timeout, milliseconds.
    #[serde(default = "d_timeout_ms")]
    pub timeout_ms: u64,
    /// Extra attempts after a network error or a 5xx.
    #[serde(default = "d_retries")]
    pub retries: u32,
    /// Outbox file (embedded default).
    #[serde(default = "d_outbox")]
    pub outbox: PathBuf,
}

fn d_timeout_ms() -> u64 {
    3000
}

fn d_retries() -> u32 {
    2
}

fn d_outbox() -> PathBuf {
    PathBuf::from("outbox/codes.jsonl")
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            account_sid: String::new(),
            auth_token: String::new(),
            from: String::new(),
            timeout_ms: d_timeout_ms(),
            retries: d_retries(),
            outbox: d_outbox(),
        }
    }
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = if self.auth_token.is_empty() {
            ""
        } else {
            "[redacted]"
        };
        f.debug_struct("GatewayConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &token)
            .field("from", &self.from)
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("outbox", &self.outbox)
            .finish()
    }
}

impl GatewayConfig {
    /// Checks the settings of the Twilio gateway when `base_url` is set: an http(s) URL, a
    /// non-empty account SID (letters and digits), auth token and sender, a non-zero timeout.
    /// The message names the offending key (`stepup.gateway.base_url`...).
    pub fn validate(&self) -> Result<(), String> {
        let base = self.base_url.trim();
        if base.is_empty() {
            return Ok(());
        }
        match reqwest::Url::parse(base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
            _ => {
                return Err(
                    "stepup.gateway.base_url must be an http(s) URL, e.g. https://api.twilio.com"
                        .into(),
                )
            }
        }
        if self.account_sid.is_empty() {
            return Err("stepup.gateway.account_sid is required with base_url".into());
        }
        if !self.account_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("stepup.gateway.account_sid must be letters and digits".into());
        }
        if self.auth_token.is_empty() {
            return Err("stepup.gateway.auth_token is required with base_url".into());
        }
        if self.from.trim().is_empty() {
            return Err("stepup.gateway.from is required with base_url".into());
        }
        if self.timeout_ms == 0 {
            return Err("stepup.gateway.timeout_ms must be at least 1".into());
        }
        Ok(())
    }
}

/// The gateway the configuration asks for: Twilio when `base_url` is set, else the outbox at
/// `outbox` (the path resolved by the caller).
pub fn from_config(
    cfg: &GatewayConfig,
    outbox: PathBuf,
    clock: SharedClock,
) -> Result<Arc<dyn CodeGateway>, GatewayError> {
    if cfg.base_url.trim().is_empty() {
        Ok(Arc::new(OutboxGateway::new(outbox, clock)))
    } else {
        Ok(Arc::new(TwilioGateway::new(cfg)?))
    }
}

#[cfg(test)]
mod tests {
    use super::twilio::{mask, say_twice};
    use super::*;
    use platform::ManualClock;

    fn delivery(i: usize) -> Delivery {
        Delivery {
            to: "+14165550100".into(),
            channel: [Channel::Sms, Channel::Voice][i % 2],
            text: format!("Your code is {i:06}"),
            locale: Locale::En,
        }
    }

    fn temp_path(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "oneid-gateway-{}-{}",
            std::process::id(),
            platform::crypto::random_token(6)
        ));
        (dir.join(name), dir)
    }

    #[tokio::test]
    async fn the_outbox_writes_one_json_line_per_delivery() {
        let (path, dir) = temp_path("codes.jsonl");
        let clock = Arc::new(ManualClock::new());
        clock.set(1_700_000_000);
        let g = OutboxGateway::new(path.clone(), clock.clone());
        g.send(&delivery(0)).await.unwrap();
        clock.advance(5);
        let mut fr = delivery(1);
        fr.locale = Locale::Fr;
        g.send(&fr).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            serde_json::json!({
                "at": 1_700_000_000,
                "channel": "sms",
                "to": "+14165550100",
                "text": "Your code is 000000",
                "locale": "en",
            })
        );
        assert_eq!(lines[1]["at"], 1_700_000_005);
        assert_eq!(lines[1]["channel"], "voice");
        assert_eq!(lines[1]["locale"], "fr");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn recent_is_newest_first_and_keeps_twenty() {
        let (path, dir) = temp_path("codes.jsonl");
        let clock = Arc::new(ManualClock::new());
        clock.set(1000);
        let g = OutboxGateway::new(path.clone(), clock.clone());
        assert!(g.recent().is_empty());
        for i in 0..25 {
            g.send(&delivery(i)).await.unwrap();
            clock.advance(1);
        }
        let r = g.recent();
        assert_eq!(r.len(), 20);
        assert_eq!(r[0].0, 1024);
        assert_eq!(r[0].1.text, "Your code is 000024");
        assert_eq!(r[19].0, 1005);
        assert_eq!(r[19].1.text, "Your code is 000005");
        // The file keeps everything.
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 25);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn twiml_reads_the_escaped_text_twice_in_the_right_language() {
        assert_eq!(
            say_twice("Code: 1 2 3", Locale::En),
            "<Response><Say language=\"en-CA\">Code: 1 2 3</Say><Pause length=\"1\"/>\
             <Say language=\"en-CA\">Code: 1 2 3</Say></Response>"
        );
        let fr = say_twice("Votre code <b> & \"l'autre\"", Locale::Fr);
        let said = "Votre code &lt;b&gt; &amp; &quot;l&apos;autre&quot;";
        assert_eq!(
            fr,
            format!(
                "<Response><Say language=\"fr-CA\">{said}</Say><Pause length=\"1\"/>\
                 <Say language=\"fr-CA\">{said}</Say></Response>"
            )
        );
    }

    #[test]
    fn numbers_are_masked_to_the_last_four_digits() {
        assert_eq!(mask("+14165550100"), "***0100");
        assert_eq!(mask("123"), "***");
    }

    #[test]
    fn validation_names_the_key() {
        let ok = GatewayConfig {
            base_url: "https://api.twilio.com".into(),
            account_sid: "AC0123abcd".into(),
            auth_token: "secret-token".into(),
            from: "+15005550006".into(),
            ..GatewayConfig::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(GatewayConfig::default().validate(), Ok(()));
        type Spoil = fn(&mut GatewayConfig);
        let cases: [(&str, Spoil); 5] = [
            ("stepup.gateway.base_url", |c| c.base_url = "ftp://x".into()),
            ("stepup.gateway.base_url", |c| c.base_url = "nope".into()),
            ("stepup.gateway.account_sid", |c| c.account_sid.clear()),
            ("stepup.gateway.auth_token", |c| c.auth_token.clear()),
            ("stepup.gateway.from", |c| c.from.clear()),
        ];
        for (key, spoil) in cases {
            let mut c = ok.clone();
            spoil(&mut c);
            let e = c.validate().unwrap_err();
            assert!(e.contains(key), "{e}");
            let e = TwilioGateway::new(&c).unwrap_err();
            assert!(matches!(e, GatewayError::Config(_)), "{e}");
        }
        let dbg = format!("{ok:?} {:?}", TwilioGateway::new(&ok).unwrap());
        assert!(!dbg.contains("secret-token"), "{dbg}");
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let c: GatewayConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c.timeout_ms, 3000);
        assert_eq!(c.retries, 2);
        assert_eq!(c.outbox, PathBuf::from("outbox/codes.jsonl"));
        assert!(serde_json::from_str::<GatewayConfig>(r#"{"token": "x"}"#).is_err());
        let g = from_config(&c, PathBuf::from("x.jsonl"), Arc::new(ManualClock::new())).unwrap();
        assert!(format!("{g:?}").starts_with("OutboxGateway"));
    }
}
