//! A real HTTP server on loopback that speaks enough of the Twilio REST API (text messages and
//! voice calls) to stand in for the code gateway, which lies outside our world: it checks HTTP
//! basic auth, records what it accepted, and can be switched down (503) and back.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One accepted request.
#[derive(Debug, Clone)]
pub struct Sent {
    /// `"sms"` (Messages.json) or `"call"` (Calls.json).
    pub kind: &'static str,
    /// The `To` parameter.
    pub to: String,
    /// The `From` parameter.
    pub from: String,
    /// `Body` for a text message, `Twiml` for a call.
    pub body: String,
}

#[derive(Debug, Default)]
struct Shared {
    sid: String,
    token: String,
    sent: Mutex<Vec<Sent>>,
    down: AtomicBool,
    attempts: AtomicUsize,
}

/// The running fake; the server stops when it is dropped.
#[derive(Debug)]
pub struct FakeGateway {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// The account SID it accepts (`AC` + 32 hex digits).
    pub sid: String,
    /// The auth token it accepts.
    pub token: String,
    shared: Arc<Shared>,
    server: tokio::task::AbortHandle,
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn hex(n: usize) -> String {
    platform::crypto::random_bytes(n)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl FakeGateway {
    /// Starts the fake on a free port with a random account SID and auth token.
    pub async fn start() -> Self {
        let sid = format!("AC{}", hex(16));
        let token = hex(16);
        let shared = Arc::new(Shared {
            sid: sid.clone(),
            token: token.clone(),
            ..Shared::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })
        .abort_handle();
        Self {
            base_url,
            sid,
            token,
            shared,
            server,
        }
    }

    /// Every accepted request so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.sent.lock().unwrap().clone()
    }

    /// Down: every request gets 503 (and is not recorded); up: normal service.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Every request received, accepted or not.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    /// Waits up to 5 s for at least `n` accepted requests.
    pub async fn wait_for(&self, n: usize) -> Vec<Sent> {
        for _ in 0..100 {
            let s = self.sent();
            if s.len() >= n {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.sent()
    }

    /// The last code sent to `to`: for a text message the first run of exactly 6 digits in
    /// the body, for a call the first 6 digits of the first `<Say>` element's text.
    pub fn last_code(&self, to: &str) -> Option<String> {
        let sent = self.sent();
        let s = sent.iter().rev().find(|s| s.to == to)?;
        match s.kind {
            "sms" => s
                .body
                .split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() == 6)
                .map(str::to_owned),
            _ => {
                let said = s.body.split("<Say").nth(1)?;
                let said = said.split_once('>')?.1.split("</Say>").next()?;
                let digits: String = said.chars().filter(char::is_ascii_digit).take(6).collect();
                (digits.len() == 6).then_some(digits)
            }
        }
    }
}

/// A Twilio-style JSON error.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, axum::Json(body)).into_response()
}

fn authorized(headers: &HeaderMap, sid: &str, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(b64) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    raw == format!("{sid}:{token}").as_bytes()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.attempts.fetch_add(1, Ordering::SeqCst);
    if shared.down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    if !authorized(&headers, &shared.sid, &shared.token) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let prefix = format!("/2010-04-01/Accounts/{}/", shared.sid);
    let (kind, field, sid_prefix) = match uri.path().strip_prefix(&prefix) {
        Some("Messages.json") => ("sms", "Body", "SM"),
        Some("Calls.json") => ("call", "Twiml", "CA"),
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            )
        }
    };
    if method != Method::POST {
        return error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let sent = Sent {
        kind,
        to: get("To"),
        from: get("From"),
        body: get(field),
    };
    if sent.to.is_empty() || sent.from.is_empty() || sent.body.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A required parameter is missing",
        );
    }
    shared.sent.lock().unwrap().push(sent);
    let body = serde_json::json!({ "sid": format!("{sid_prefix}{}", hex(16)), "status": "queued" });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}
