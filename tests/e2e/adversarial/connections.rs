//! See the parent module. Raw TCP against the public listener: sockets that say nothing, a
//! request head or body that stalls, a keep-alive connection left idle, and more sockets than
//! the connection cap. The timeouts are set to a second or two so the tests stay short.

use oneid::config::Config;
use oneid_tests::spawn_app_with;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Short timeouts for one, long ones (a minute) for the others, so each test sees one rule.
fn timeouts(cfg: &mut Config, first_byte: u64, header: u64, idle: u64, body: u64) {
    cfg.http.first_byte_timeout_secs = first_byte;
    cfg.http.header_timeout_secs = header;
    cfg.http.idle_timeout_secs = idle;
    cfg.http.body_timeout_secs = body;
}

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection, or `None` if it is still open
/// after `within`.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether the server has closed `s` (reads end at once), without waiting for it.
async fn is_closed(s: &mut TcpStream) -> bool {
    read_until_closed(s, Duration::from_millis(100))
        .await
        .is_some()
}

#[tokio::test]
async fn sockets_that_send_nothing_are_closed_after_the_first_byte_timeout() {
    let app = spawn_app_with(|c| timeouts(c, 1, 60, 60, 60)).await;
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(connect(&app.base).await);
    }
    let started = Instant::now();
    for s in &mut silent {
        let got = read_until_closed(s, Duration::from_secs(4)).await;
        assert_eq!(
            got.as_deref(),
            Some(&b""[..]),
            "a silent socket is closed, with nothing said"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(4));
    // The server still answers.
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let m = app.metrics().await;
    assert!(
        m.contains("oneid_connections_closed_total{reason=\"first_byte\"} 5"),
        "{m}"
    );
}

#[tokio::test]
async fn a_request_head_that_stalls_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(|c| timeouts(c, 60, 1, 60, 60)).await;
    let mut s = connect(&app.base).await;
    // Connected a while before the first byte: the shorter head timeout still applies.
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(4)).await;
    assert!(got.is_some(), "a request head that never ends is cut");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|c| timeouts(c, 60, 60, 1, 60)).await;
    let mut s = connect(&app.base).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "answered first");
    let got = read_until_closed(&mut s, Duration::from_secs(4)).await;
    assert_eq!(got.as_deref(), Some(&b""[..]), "then closed when idle");
}

#[tokio::test]
async fn a_body_that_stalls_gets_408_and_its_connection_closed() {
    let app = spawn_app_with(|c| timeouts(c, 60, 60, 60, 1)).await;
    let mut s = connect(&app.base).await;
    s.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
          grant_type",
    )
    .await
    .unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(4))
        .await
        .expect("a stalled body is not waited for forever");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let m = app.metrics().await;
    assert!(
        m.contains("oneid_connections_closed_total{reason=\"body\"} 1"),
        "{m}"
    );
}

#[tokio::test]
async fn a_slow_body_that_keeps_coming_is_not_cut() {
    let app = spawn_app_with(|c| timeouts(c, 60, 60, 60, 1)).await;
    let mut s = connect(&app.base).await;
    let body = b"grant_type=authorization_code&code=nothing&client_id=nobody";
    s.write_all(
        format!(
            "POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Three seconds in all, well over the body timeout, but a byte every 400 ms.
    for chunk in body.chunks(body.len().div_ceil(8)) {
        tokio::time::sleep(Duration::from_millis(400)).await;
        s.write_all(chunk).await.unwrap();
    }
    let got = read_until_closed(&mut s, Duration::from_secs(4))
        .await
        .expect("answered");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 4") && !text.starts_with("HTTP/1.1 408"),
        "the token endpoint judged the request: {text}"
    );
}

#[tokio::test]
async fn at_the_connection_cap_idle_sockets_give_way_and_requests_are_answered() {
    const CAP: usize = 20;
    let app = spawn_app_with(|c| {
        timeouts(c, 60, 60, 60, 60);
        c.http.max_connections = CAP;
    })
    .await;
    // A request in flight (its body still coming) when the flood starts.
    let mut busy = connect(&app.base).await;
    busy.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\n\
          grant_type=",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut silent = Vec::new();
    for _ in 0..3 * CAP {
        silent.push(connect(&app.base).await);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let r = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("healthz answers while silent sockets are held");
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    let mut open = 0;
    for s in &mut silent {
        if !is_closed(s).await {
            open += 1;
        }
    }
    // The busy request and the health check hold two of the places.
    assert!(open <= CAP - 2, "{open} silent sockets still open");
    assert!(open > 0, "the newest silent sockets are kept");
    // The request in flight was not shed: it finishes.
    busy.write_all(b"authorization_code").await.unwrap();
    let got = read_until_closed(&mut busy, Duration::from_secs(4))
        .await
        .expect("answered");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 4"), "{text}");
    let m = app.metrics().await;
    assert!(
        m.contains("oneid_connections_closed_total{reason=\"evicted\"}"),
        "{m}"
    );
}

#[tokio::test]
async fn over_tls_a_silent_socket_and_a_stalled_handshake_are_closed_too() {
    let dir = std::env::temp_dir().join(format!("oneid-tls-{}", platform::crypto::random_token(6)));
    let hosts = vec!["127.0.0.1".to_owned()];
    let (cert, key) = oneid::tls::dev_cert(&dir, &hosts).unwrap();
    let app = spawn_app_with(move |c| {
        timeouts(c, 1, 1, 60, 60);
        c.tls.cert_file = cert;
        c.tls.key_file = key;
    })
    .await;
    let mut silent = connect(&app.base).await;
    let mut stalled = connect(&app.base).await;
    // The start of a TLS record carrying a ClientHello, and then nothing.
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .await
        .unwrap();
    for s in [&mut silent, &mut stalled] {
        assert!(
            read_until_closed(s, Duration::from_secs(4)).await.is_some(),
            "closed well before the TLS handshake's own 10 s"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn http2_streams_on_one_connection_are_each_answered() {
    let app = spawn_app_with(|c| timeouts(c, 1, 1, 1, 1)).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for _ in 0..3 {
        let r = client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.version(), reqwest::Version::HTTP_2);
        assert_eq!(r.status(), 200);
        let r = client
            .post(format!("{}/token", app.base))
            .form(&[("grant_type", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}
