//! `oneid-loadgen`: drives whole flows against a running server on loopback, bounded in time,
//! and prints one `RESULT key=value ...` line per measurement for `scripts/bench`.
//!
//! - `sso`: N browsers, each signed in once, then loop authorize (SSO) -> code -> token ->
//!   userinfo; latency of the whole round trip.
//! - `flood`: N workers posting password logins as fast as they can while one probe measures
//!   the token endpoint (client_credentials); the probe also runs alone first (idle baseline).
//! - `sessions`: creates N SSO sessions (for memory per session).
//! - `argon2`: the time of one password hash here, with the server's parameters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a tool: failing loudly is the report

mod scale;

use base64::Engine as _;
use clap::{Parser, Subcommand};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct Target {
    /// Issuer / base URL.
    #[arg(long, default_value = "http://127.0.0.1:18080")]
    base: String,
    /// A confidential client allowed the code flow.
    #[arg(long, default_value = "loadgen")]
    client_id: String,
    #[arg(long, default_value = "loadgen-secret")]
    secret: String,
    #[arg(long, default_value = "http://127.0.0.1:9/loadgen/cb")]
    redirect_uri: String,
    /// Login ID of the account to sign in with.
    #[arg(long, default_value = "Load.Test@ONEID.ON.CA")]
    login: String,
    #[arg(long, default_value = "Rounds-Ward-2026")]
    password: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// SSO round trips.
    Sso {
        #[command(flatten)]
        t: Target,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Each flow starts a round trip every this many ms (0: back to back, saturating).
        #[arg(long, default_value_t = 0)]
        interval_ms: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Password flood with a token-endpoint probe.
    Flood {
        #[command(flatten)]
        t: Target,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// client_credentials client for the probe.
        #[arg(long, default_value = "bench")]
        probe_client: String,
        #[arg(long, default_value = "bench-secret")]
        probe_secret: String,
    },
    /// The operations whose cost may grow with the data (scripts/bench --scale).
    Scale {
        #[command(flatten)]
        t: Target,
        /// Seconds per operation.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// A client_credentials client allowed `oneid:admin`.
        #[arg(long, default_value = "bench-admin")]
        admin_client: String,
        #[arg(long, default_value = "bench-secret")]
        admin_secret: String,
        /// A service-desk agent with a challenge phone: times the desk's search page.
        #[arg(long)]
        desk_login: Option<String>,
        /// An LRA with a challenge phone: times the LRA console's search page.
        #[arg(long)]
        lra_login: Option<String>,
        /// The password of the desk agent and the LRA.
        #[arg(long, default_value = "Rounds-Ward-2026")]
        staff_password: String,
        /// The server's code outbox (`<data_dir>/outbox/codes.jsonl`), where the staff's
        /// step-up codes by text message are read.
        #[arg(long, default_value = "data/outbox/codes.jsonl")]
        codes_outbox: std::path::PathBuf,
    },
    /// Create N sessions.
    Sessions {
        #[command(flatten)]
        t: Target,
        #[arg(long, default_value_t = 200)]
        count: usize,
    },
    /// Time one argon2id hash with the given cost.
    Argon2 {
        #[arg(long, default_value_t = 19456)]
        memory_kib: u32,
        #[arg(long, default_value_t = 2)]
        iterations: u32,
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
}

/// A browser: its own cookie jar.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4)
        .build()
        .unwrap()
}

/// One client shared by every password sign-in of the flood, with the cookies carried by
/// hand: building a client per sign-in costs the load generator more CPU than the sign-in it
/// measures once reqwest has TLS compiled in (it loads the system's certificate store).
fn shared_client() -> &'static reqwest::Client {
    static C: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .unwrap()
    })
}

/// The `name=value` pairs of a response's Set-Cookie headers, as one Cookie header.
fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A password sign-in from a fresh browser (no cookies yet), for the flood.
async fn password_sign_in(t: &Target) {
    let c = shared_client();
    let (_, challenge) = pkce();
    let page = c.get(authorize_url(t, &challenge)).send().await.unwrap();
    let cookie = cookies_of(&page);
    let body = page.text().await.unwrap();
    let r = c
        .post(format!("{}/login", t.base))
        .header(reqwest::header::COOKIE, cookie)
        .form(&[
            ("request", hidden(&body, "request").as_str()),
            ("csrf", hidden(&body, "csrf").as_str()),
            ("login_id", t.login.as_str()),
            ("password", t.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "login failed");
}

/// The value of a page's hidden field `name` (a login or step-up form's).
fn hidden(body: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} on the page: {body}"))
        + needle.len();
    let end = body[start..].find('"').unwrap() + start;
    body[start..end].to_owned()
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn pkce() -> (String, String) {
    let mut v = [0u8; 32];
    openssl::rand::rand_bytes(&mut v).unwrap();
    let verifier = b64(&v);
    let challenge = b64(&openssl::sha::sha256(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_url(t: &Target, challenge: &str) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", t.base)).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", &t.client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile")
        .append_pair("redirect_uri", &t.redirect_uri)
        .append_pair("state", "s")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    u.to_string()
}

fn code_of(location: &str) -> String {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

/// Signs a fresh browser in; returns the browser (with its SSO cookie).
async fn sign_in(t: &Target) -> reqwest::Client {
    let b = browser();
    let (_, challenge) = pkce();
    let page = b.get(authorize_url(t, &challenge)).send().await.unwrap();
    let body = page.text().await.unwrap();
    log_in(&b, &t.base, &body, &t.login, &t.password).await;
    b
}

/// Posts the login form `body` (a login page) with `login` and `password`, accepting the
/// acceptable-use agreement when asked.
async fn log_in(b: &reqwest::Client, base: &str, body: &str, login: &str, password: &str) {
    let r = b
        .post(format!("{base}/login"))
        .form(&[
            ("request", hidden(body, "request").as_str()),
            ("csrf", hidden(body, "csrf").as_str()),
            ("login_id", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    if r.status().as_u16() == 200 {
        // The account's first sign-in: its holder accepts the acceptable-use agreement once,
        // as a person would; every later sign-in goes straight through.
        let body = r.text().await.unwrap();
        assert!(body.contains("action=\"/login/agreement\""), "login failed");
        let r = b
            .post(format!("{base}/login/agreement"))
            .form(&[
                ("agreement", hidden(&body, "agreement").as_str()),
                ("csrf", hidden(&body, "csrf").as_str()),
                ("accept", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "agreement not accepted");
        return;
    }
    assert_eq!(r.status().as_u16(), 303, "login failed");
}

/// Authorize with the browser's SSO session, then redeem the code: the token response.
/// A token request from the client `id` (HTTP Basic), its JSON answer.
async fn token(
    c: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> serde_json::Value {
    c.post(format!("{base}/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn authorize_and_redeem(t: &Target, b: &reqwest::Client) -> serde_json::Value {
    let (verifier, challenge) = pkce();
    let r = b.get(authorize_url(t, &challenge)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "SSO authorize");
    let code = code_of(r.headers()["location"].to_str().unwrap());
    token(
        b,
        &t.base,
        &t.client_id,
        &t.secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &t.redirect_uri),
            ("code_verifier", &verifier),
        ],
    )
    .await
}

/// One SSO round trip: authorize -> code -> token -> userinfo.
async fn round_trip(t: &Target, b: &reqwest::Client) {
    let tok = authorize_and_redeem(t, b).await;
    let at = tok["access_token"].as_str().expect("access token");
    let ui = b
        .get(format!("{}/userinfo", t.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status().as_u16(), 200, "userinfo");
    let _ = ui.bytes().await;
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut lat_ms: Vec<f64>, secs: f64) {
    lat_ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "RESULT {name} n={} rps={:.1} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        lat_ms.len(),
        lat_ms.len() as f64 / secs,
        pct(&lat_ms, 50.0),
        pct(&lat_ms, 90.0),
        pct(&lat_ms, 99.0),
        lat_ms.last().copied().unwrap_or(f64::NAN)
    );
}

async fn probe(base: String, id: String, secret: String, until: Instant) -> Vec<f64> {
    let c = reqwest::Client::new();
    let mut lat = Vec::new();
    while Instant::now() < until {
        let t0 = Instant::now();
        let r = c
            .post(format!("{base}/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "probe token");
        let _ = r.bytes().await;
        lat.push(t0.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    lat
}

#[tokio::main]
async fn main() {
    match Cli::parse().cmd {
        Cmd::Sso {
            t,
            concurrency,
            interval_ms,
            seconds,
        } => {
            let mut browsers = Vec::new();
            for _ in 0..concurrency {
                browsers.push(sign_in(&t).await);
            }
            // Warm up: one round trip per browser, all at once as in the run, so the warm-up
            // reaches every connection of the server's database pool (one at a time it used
            // one or two, and the rest prepared their statements inside the measured run).
            let mut warming = Vec::new();
            for b in browsers {
                let t = t.clone();
                warming.push(tokio::spawn(async move {
                    round_trip(&t, &b).await;
                    b
                }));
            }
            let mut browsers = Vec::new();
            for w in warming {
                browsers.push(w.await.unwrap());
            }
            let start = Instant::now();
            let until = start + Duration::from_secs(seconds);
            let mut tasks = Vec::new();
            let n = browsers.len().max(1) as u64;
            for (i, b) in browsers.into_iter().enumerate() {
                let t = t.clone();
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    // Flows start evenly spread over one interval: a steady arrival rate,
                    // not a burst of every flow at once.
                    let offset = Duration::from_micros(interval_ms * 1000 * i as u64 / n);
                    let mut tick = (interval_ms > 0).then(|| {
                        tokio::time::interval_at(
                            tokio::time::Instant::now() + offset,
                            Duration::from_millis(interval_ms),
                        )
                    });
                    while Instant::now() < until {
                        if let Some(t) = tick.as_mut() {
                            t.tick().await;
                        }
                        let t0 = Instant::now();
                        round_trip(&t, &b).await;
                        lat.push(t0.elapsed().as_secs_f64() * 1e3);
                    }
                    lat
                }));
            }
            let mut all = Vec::new();
            for h in tasks {
                all.extend(h.await.unwrap());
            }
            let name = if interval_ms > 0 {
                "sso_round_trip_paced"
            } else {
                "sso_round_trip"
            };
            report(name, all, start.elapsed().as_secs_f64());
        }
        Cmd::Flood {
            t,
            concurrency,
            seconds,
            probe_client,
            probe_secret,
        } => {
            // The person's first sign-in (the agreement, if asked) is not part of the flood.
            drop(sign_in(&t).await);
            let idle_until = Instant::now() + Duration::from_secs(3);
            let idle = probe(
                t.base.clone(),
                probe_client.clone(),
                probe_secret.clone(),
                idle_until,
            )
            .await;
            report("token_probe_idle", idle, 3.0);
            let start = Instant::now();
            let until = start + Duration::from_secs(seconds);
            let p = tokio::spawn(probe(t.base.clone(), probe_client, probe_secret, until));
            let mut tasks = Vec::new();
            for _ in 0..concurrency {
                let t = t.clone();
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    while Instant::now() < until {
                        let t0 = Instant::now();
                        password_sign_in(&t).await;
                        lat.push(t0.elapsed().as_secs_f64() * 1e3);
                    }
                    lat
                }));
            }
            let mut all = Vec::new();
            for h in tasks {
                all.extend(h.await.unwrap());
            }
            let elapsed = start.elapsed().as_secs_f64();
            report("password_login", all, elapsed);
            report("token_probe_flood", p.await.unwrap(), elapsed);
        }
        Cmd::Scale {
            t,
            seconds,
            concurrency,
            admin_client,
            admin_secret,
            desk_login,
            lra_login,
            staff_password,
            codes_outbox,
        } => {
            let admin = scale::Admin {
                client_id: admin_client,
                secret: admin_secret,
            };
            let staff = scale::Staff {
                desk: desk_login,
                lra: lra_login,
                password: staff_password,
                outbox: codes_outbox,
            };
            scale::run(t, admin, staff, seconds, concurrency).await;
        }
        Cmd::Sessions { t, count } => {
            let start = Instant::now();
            for _ in 0..count {
                drop(sign_in(&t).await);
            }
            println!(
                "RESULT sessions n={count} secs={:.2}",
                start.elapsed().as_secs_f64()
            );
        }
        Cmd::Argon2 {
            memory_kib,
            iterations,
            rounds,
        } => {
            use argon2::password_hash::{PasswordHasher, SaltString};
            let params = argon2::Params::new(memory_kib, iterations, 1, None).unwrap();
            let a =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
            let _ = a.hash_password(b"warm-up", &salt).unwrap();
            let t0 = Instant::now();
            for _ in 0..rounds {
                let _ = a.hash_password(b"Rounds-Ward-2026", &salt).unwrap();
            }
            let ms = t0.elapsed().as_secs_f64() * 1e3 / f64::from(rounds);
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            println!(
                "RESULT argon2 hash_ms={ms:.2} cores={cores} ceiling_per_s={:.1}",
                cores as f64 * 1e3 / ms
            );
        }
    }
}
