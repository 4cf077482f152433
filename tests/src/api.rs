//! Raw JSON calls to the provider's API endpoints (token, introspection, revocation,
//! userinfo) and the checks every RFC 6749 error answer must pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

/// An HTTP client that follows no redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A raw JSON answer, read whole. Reading one fails the test on any 5xx.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` when empty).
    pub json: Value,
}

impl Answer {
    /// Reads a response.
    pub async fn read(r: reqwest::Response) -> Answer {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        assert!(status < 500, "server error {status}: {text}");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    /// A header's value, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `error` field, or "".
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }

    /// A string field, which must be there.
    pub fn str(&self, field: &str) -> String {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string {field} in {}", self.json))
            .to_owned()
    }

    /// Asserts an RFC 6749 error answer: status, `error`, JSON, `Cache-Control: no-store`.
    pub fn assert_error(&self, status: u16, error: &str, what: &str) {
        assert_eq!(
            (self.status, self.error()),
            (status, error),
            "{what}: got {} {}",
            self.status,
            self.json
        );
        assert_eq!(self.header("cache-control"), "no-store", "{what}");
        assert!(
            self.header("content-type").starts_with("application/json"),
            "{what}"
        );
    }
}

/// One JSON call to `{base}{path}` with a bearer `token` (none when empty).
pub async fn call(
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http().request(method, format!("{base}{path}"));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    Answer::read(req.send().await.unwrap()).await
}
