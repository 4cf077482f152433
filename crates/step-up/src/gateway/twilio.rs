//! The real carrier: Twilio's Messages API for text messages and its Calls API (TwiML `<Say>`,
//! the code read twice in the person's language) for voice, with a timeout and bounded
//! retries; the number is masked in every log line.

use super::*;

/// Sends through a Twilio-compatible REST API (`Messages.json` for text messages,
/// `Calls.json` with inline TwiML for voice calls), retrying network errors, timeouts and
/// 5xx answers.
pub struct TwilioGateway {
    client: reqwest::Client,
    base: String,
    sid: String,
    token: String,
    from: String,
    retries: u32,
    timeout_ms: u64,
}

impl std::fmt::Debug for TwilioGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioGateway")
            .field("base", &self.base)
            .field("sid", &self.sid)
            .field("from", &self.from)
            .field("retries", &self.retries)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl TwilioGateway {
    /// A gateway for the API at `cfg.base_url` (which must be set), with one HTTP client
    /// whose per-attempt timeout is `cfg.timeout_ms`.
    pub fn new(cfg: &GatewayConfig) -> Result<Self, GatewayError> {
        if cfg.base_url.trim().is_empty() {
            return Err(GatewayError::Config(
                "stepup.gateway.base_url is required for the Twilio gateway".into(),
            ));
        }
        cfg.validate().map_err(GatewayError::Config)?;
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GatewayError::Config(format!("stepup.gateway: HTTP client: {e}")))?;
        Ok(Self {
            client,
            base: cfg.base_url.trim().trim_end_matches('/').to_owned(),
            sid: cfg.account_sid.clone(),
            token: cfg.auth_token.clone(),
            from: cfg.from.clone(),
            retries: cfg.retries,
            timeout_ms: cfg.timeout_ms,
        })
    }

    /// One request; `Ok(Err(reason))` is worth retrying, `Err` is final.
    async fn attempt(
        &self,
        url: &str,
        form: &[(&str, &str)],
        masked: &str,
    ) -> Result<Result<(), String>, GatewayError> {
        let res = self
            .client
            .post(url)
            .basic_auth(&self.sid, Some(&self.token))
            .form(form)
            .send()
            .await;
        let resp = match res {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Ok(Err(format!("timed out after {} ms", self.timeout_ms)))
            }
            Err(e) if e.is_connect() => return Ok(Err("could not connect".into())),
            Err(e) => return Ok(Err(format!("request failed: {}", e.without_url()))),
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(Ok(()));
        }
        if status.is_server_error() {
            return Ok(Err(format!("HTTP {}", status.as_u16())));
        }
        if status.is_client_error() {
            // Twilio explains a refusal with a numeric error code (21211: invalid To number);
            // its message may quote the number, so only the code is kept.
            let code = resp
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v.get("code").and_then(serde_json::Value::as_u64));
            let why = match code {
                Some(c) => format!("HTTP {} (error {c}) for {masked}", status.as_u16()),
                None => format!("HTTP {} for {masked}", status.as_u16()),
            };
            return Err(GatewayError::Refused(why));
        }
        Err(GatewayError::Unavailable(format!(
            "unexpected HTTP {}",
            status.as_u16()
        )))
    }
}

#[async_trait]
impl CodeGateway for TwilioGateway {
    async fn send(&self, d: &Delivery) -> Result<(), GatewayError> {
        let masked = mask(&d.to);
        let twiml;
        let (url, form) = match d.channel {
            Channel::Sms => (
                format!(
                    "{}/2010-04-01/Accounts/{}/Messages.json",
                    self.base, self.sid
                ),
                [
                    ("To", d.to.as_str()),
                    ("From", self.from.as_str()),
                    ("Body", d.text.as_str()),
                ],
            ),
            Channel::Voice => {
                twiml = say_twice(&d.text, d.locale);
                (
                    format!("{}/2010-04-01/Accounts/{}/Calls.json", self.base, self.sid),
                    [
                        ("To", d.to.as_str()),
                        ("From", self.from.as_str()),
                        ("Twiml", twiml.as_str()),
                    ],
                )
            }
        };
        let attempts = self.retries.saturating_add(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.attempt(&url, &form, &masked).await {
                Ok(Ok(())) => {
                    tracing::info!(
                        channel = d.channel.as_str(),
                        to = %masked,
                        attempt,
                        "code sent through the gateway"
                    );
                    return Ok(());
                }
                Ok(Err(why)) => {
                    tracing::warn!(
                        channel = d.channel.as_str(),
                        to = %masked,
                        attempt,
                        of = attempts,
                        reason = %why,
                        "code gateway attempt failed"
                    );
                    last = why;
                }
                Err(e) => {
                    tracing::warn!(
                        channel = d.channel.as_str(),
                        to = %masked,
                        error = %e,
                        "code gateway gave up"
                    );
                    return Err(e);
                }
            }
            if attempt < attempts {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
        Err(GatewayError::Unavailable(format!(
            "{} to {masked} failed after {attempts} attempt(s): {last}",
            d.channel.as_str()
        )))
    }
}

/// A phone number reduced to its last four digits, for logs and errors.
pub(super) fn mask(to: &str) -> String {
    let digits: Vec<char> = to.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        n if n > 4 => format!("***{}", digits[n - 4..].iter().collect::<String>()),
        _ => "***".into(),
    }
}

/// Escapes the five XML special characters.
pub(super) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// TwiML that reads `text` twice, with a pause between, in the voice of `locale`.
pub(super) fn say_twice(text: &str, locale: Locale) -> String {
    let lang = match locale {
        Locale::En => "en-CA",
        Locale::Fr => "fr-CA",
    };
    let t = xml_escape(text);
    format!(
        "<Response><Say language=\"{lang}\">{t}</Say><Pause length=\"1\"/><Say language=\"{lang}\">{t}</Say></Response>"
    )
}
