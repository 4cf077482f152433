//! Bursts as an attacker sends them to win a race: every request on a connection of its own,
//! written whole but for its last byte, then all the last bytes released at once (the
//! "last-byte synchronization" trick), so the server reads them all within a millisecond and
//! handles them in parallel.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::{Browser, Resp};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

/// One form post of a burst.
#[derive(Debug, Clone)]
pub struct Held {
    /// Absolute URL (`http://127.0.0.1:port/path`).
    pub url: String,
    /// The `Cookie` header.
    pub cookie: String,
    /// The form fields.
    pub form: Vec<(String, String)>,
}

impl Held {
    /// A form post to `url` with the cookies `browser` holds for it.
    pub fn post(browser: &Browser, url: &str, form: &[(&str, &str)]) -> Self {
        Self {
            url: url.to_owned(),
            cookie: browser.cookie_header(url),
            form: form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }
}

/// Sends every request held back by its last byte, releases them together, and returns the
/// answers in the order given.
pub async fn release_together(requests: Vec<Held>) -> Vec<Resp> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|h| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let url = url::Url::parse(&h.url).unwrap();
                let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
                let path = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                let body = serde_urlencoded::to_string(&h.form).unwrap();
                let raw = format!(
                    "POST {path} HTTP/1.1\r\nHost: {host}\r\n\
                     Content-Type: application/x-www-form-urlencoded\r\n\
                     Content-Length: {}\r\nCookie: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len(),
                    h.cookie
                );
                let bytes = raw.as_bytes();
                let mut s = TcpStream::connect(&host).await.unwrap();
                s.set_nodelay(true).unwrap();
                let (head, last) = bytes.split_at(bytes.len() - 1);
                s.write_all(head).await.unwrap();
                s.flush().await.unwrap();
                barrier.wait().await;
                s.write_all(last).await.unwrap();
                let mut out = Vec::new();
                s.read_to_end(&mut out).await.unwrap();
                parse(&out)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// An HTTP/1.1 response read to the end of the connection (plain or chunked body).
fn parse(raw: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut headers: HashMap<String, String> = HashMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            headers
                .entry(k.trim().to_ascii_lowercase())
                .and_modify(|e| {
                    e.push('\n');
                    e.push_str(v.trim());
                })
                .or_insert_with(|| v.trim().to_owned());
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"));
    let body = if chunked {
        let mut body = String::new();
        let mut rest = rest;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || after.len() < n {
                break;
            }
            body.push_str(&after[..n]);
            rest = after[n..].trim_start_matches("\r\n");
        }
        body
    } else {
        rest.to_owned()
    };
    Resp {
        status,
        headers,
        body,
    }
}
