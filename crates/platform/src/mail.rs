//! Sending email (forgotten login IDs, notices): over SMTP in production, to an outbox file
//! (one JSON object per line) in the embedded default, so a developer can read what would
//! have been sent.

use async_trait::async_trait;
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A message to one person.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Mail errors (never carrying the message body).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration is not usable.
    #[error("mail configuration: {0}")]
    Config(String),
    /// Sending failed.
    #[error("sending mail failed: {0}")]
    Send(String),
}

/// Something that delivers mail.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Delivers `mail`.
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

/// Appends each message as a JSON line to a file (the embedded default).
#[derive(Debug)]
pub struct OutboxMailer {
    path: PathBuf,
    lock: Mutex<()>,
}

impl OutboxMailer {
    /// Writes to `path` (its folder is created when needed).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let line = serde_json::to_string(&mail).map_err(|e| MailError::Send(e.to_string()))?;
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| MailError::Send(e.to_string()))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| MailError::Send(e.to_string()))?;
        writeln!(f, "{line}").map_err(|e| MailError::Send(e.to_string()))?;
        tracing::info!(path = %self.path.display(), "mail written to the outbox");
        Ok(())
    }
}

/// Sends over SMTP (`smtp://host:port`, `smtp://host?tls=required` for STARTTLS, `smtps://`
/// for TLS; user and password in the URL when the relay needs them).
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpMailer {
    /// A mailer for the relay at `url`, sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(format!("mail.smtp_url: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|_| MailError::Config("mail.from must be an email address".into()))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        use lettre::AsyncTransport as _;
        let to: lettre::message::Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Send("bad recipient address".into()))?;
        let msg = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| MailError::Send(e.to_string()))?;
        self.transport
            .send(msg)
            .await
            .map_err(|e| MailError::Send(e.to_string()))?;
        Ok(())
    }
}

/// The mailer the configuration asks for: SMTP when `smtp_url` is set, else the outbox file.
pub fn from_config(
    smtp_url: &str,
    from: &str,
    outbox: PathBuf,
) -> Result<Arc<dyn Mailer>, MailError> {
    if smtp_url.is_empty() {
        Ok(Arc::new(OutboxMailer::new(outbox)))
    } else {
        Ok(Arc::new(SmtpMailer::new(smtp_url, from)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_keeps_one_json_line_per_message() {
        let dir = std::env::temp_dir().join(format!("oneid-outbox-{}", std::process::id()));
        let path = dir.join("mail.jsonl");
        let _ = std::fs::remove_file(&path);
        let m = OutboxMailer::new(path.clone());
        for i in 0..2 {
            m.send(Mail {
                to: "a@example.org".into(),
                subject: format!("s{i}"),
                body: "b".into(),
            })
            .await
            .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["subject"], "s1");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_bad_smtp_url_names_the_key() {
        let e = SmtpMailer::new("ftp://nope", "idp@example.org").unwrap_err();
        assert!(e.to_string().contains("mail.smtp_url"), "{e}");
    }
}
