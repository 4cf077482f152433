//! `oneid-loadgen scale`: the per-request operations whose cost may grow with the data, each
//! for a few seconds at a small concurrency, one `RESULT` line each (p50/p99 and throughput),
//! for `scripts/bench --scale` to put side by side across database sizes:
//!
//! - `sso_round_trip`: authorize (SSO) -> code -> token -> userinfo;
//! - `authorize_gate`: the authorize step alone (session, client, the gate's enrolment check);
//! - `password_sign_in`: the login form posted (argon2 included);
//! - `token_refresh`: a refresh token rotated;
//! - `search_name`, `search_login_id`, `search_registration`: the admin API's account search
//!   (the one the console and the service desk use) by a common family name, an exact login
//!   ID and a registration number;
//! - `desk_search`, `lra_search`: the same common name searched through the service desk's
//!   page and the LRA console's (its organization's sponsored people), each signed in as a
//!   staff account stepped up by a text message (with `--desk-login`, `--lra-login`);
//! - `audit_subject`, `audit_range`: the audit search by account and by a one-day window a
//!   year back;
//! - `audit_export`: the export of a 30-day window streamed whole, in rows per second.

use crate::{code_of, hidden, pkce, round_trip, sign_in, Target};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The admin API's client.
pub struct Admin {
    /// A client_credentials client with `oneid:admin`.
    pub client_id: String,
    /// Its secret.
    pub secret: String,
}

/// The staff accounts whose consoles' search pages are timed.
pub struct Staff {
    /// A service-desk agent's login ID (none: `desk_search` is left out).
    pub desk: Option<String>,
    /// An LRA's login ID (none: `lra_search` is left out).
    pub lra: Option<String>,
    /// Their password.
    pub password: String,
    /// The server's code outbox: with no SMS gateway, the step-up codes are read there.
    pub outbox: PathBuf,
}

async fn admin_token(t: &Target, a: &Admin) -> String {
    let r = crate::token(
        crate::shared_client(),
        &t.base,
        &a.client_id,
        &a.secret,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "oneid:admin"),
        ],
    )
    .await;
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no admin token: {r}"))
        .to_owned()
}

/// Runs `op` from `concurrency` workers for `seconds` (after one warm-up call each) and
/// prints its line.
async fn measure<F, Fut>(name: &str, concurrency: usize, seconds: f64, op: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut warm = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        warm.push(tokio::spawn(async move { op(w).await }));
    }
    for h in warm {
        h.await.unwrap();
    }
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < until {
                let t0 = Instant::now();
                op(w).await;
                lat.push(t0.elapsed().as_secs_f64() * 1e3);
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in tasks {
        all.extend(h.await.unwrap());
    }
    crate::report(name, all, start.elapsed().as_secs_f64());
}

/// GETs an admin API path; its JSON.
async fn get_json(c: &reqwest::Client, base: &str, token: &str, path: &str) -> serde_json::Value {
    let r = c
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
}

/// A browser signed in as `login` through the console at `path` (sent to sign in, then to
/// step up), stepped up by a text message to its first phone, the code read from the outbox.
async fn staff_browser(t: &Target, staff: &Staff, login: &str, path: &str) -> reqwest::Client {
    let b = crate::browser();
    let base = url::Url::parse(&t.base).unwrap();
    let r = b.get(base.join(path).unwrap()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "{path}: not sent to sign in");
    let to_login = base
        .join(r.headers()["location"].to_str().unwrap())
        .unwrap();
    let page = b.get(to_login).send().await.unwrap().text().await.unwrap();
    crate::log_in(&b, &t.base, &page, login, &staff.password).await;
    let ask = b.get(base.join(path).unwrap()).send().await.unwrap();
    let ask = ask.text().await.unwrap();
    assert!(
        ask.contains("name=\"action\" value=\"choose\""),
        "{path}: no step-up for {login}: {ask}"
    );
    let csrf = hidden(&ask, "csrf");
    // Only the lines written after this are this step-up's.
    let sent_before = std::fs::metadata(&staff.outbox).map_or(0, |m| m.len());
    let stepup = format!("{}/stepup", t.base);
    let code_page = b
        .post(&stepup)
        .form(&[
            ("csrf", csrf.as_str()),
            ("t", hidden(&ask, "t").as_str()),
            ("action", "choose"),
            ("method", "sms:0"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = sent_code(&staff.outbox, sent_before);
    let done = b
        .post(&stepup)
        .form(&[
            ("csrf", csrf.as_str()),
            ("t", hidden(&code_page, "t").as_str()),
            ("action", "verify"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 303, "{path}: step-up refused");
    b
}

/// The six-digit code of the last text message appended to the outbox after byte `from`.
fn sent_code(outbox: &Path, from: u64) -> String {
    let all = std::fs::read(outbox).unwrap_or_else(|e| panic!("{}: {e}", outbox.display()));
    let new = String::from_utf8_lossy(&all[(from as usize).min(all.len())..]).into_owned();
    new.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .find_map(|text| {
            text.split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() == 6)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no code in {} after byte {from}", outbox.display()))
}

/// GETs a console's search page (`path`) for a common family name; the rows of its results
/// table.
async fn search_page(b: &reqwest::Client, base: &str, path: &str) -> usize {
    let r = b.get(format!("{base}{path}?q=smith")).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    // The search page itself, not a sign-in (a redirect) nor a step-up (shown in place).
    assert!(
        status == 200 && body.contains(&format!("action=\"{path}\"")),
        "{path}: {status} {body}"
    );
    body.matches("<tr>").count().saturating_sub(1) // less the table's head
}

/// Every operation, `seconds` each.
pub async fn run(t: Target, admin: Admin, staff: Staff, seconds: f64, concurrency: usize) {
    let token = admin_token(&t, &admin).await;
    let c = reqwest::Client::new();
    // What to look for: a common family name's first match (its login ID, registration number
    // and audit trail) when the database has people; the load-test account's otherwise.
    let found = get_json(&c, &t.base, &token, "/admin/api/accounts?q=smith").await;
    let me = get_json(
        &c,
        &t.base,
        &token,
        &format!("/admin/api/accounts?q={}", urlencode(&t.login)),
    )
    .await;
    let first = |v: &serde_json::Value| -> Option<serde_json::Value> {
        v.as_array()
            .or_else(|| v["accounts"].as_array())
            .and_then(|a| a.first().cloned())
    };
    let pick = first(&found)
        .or_else(|| first(&me))
        .unwrap_or_else(|| panic!("no account found: {found} {me}"));
    let id = pick["id"].as_str().unwrap().to_owned();
    let login = pick["login_id"].as_str().unwrap().to_owned();
    let detail = get_json(&c, &t.base, &token, &format!("/admin/api/accounts/{id}")).await;
    let registration = detail["designations"]
        .as_array()
        .and_then(|d| d.first())
        .and_then(|d| d["registration_number"].as_str())
        .unwrap_or("1234567")
        .to_owned();
    // The wall clock, as the populated data and the live server have it (no injected clock
    // here: this is a tool outside the server).
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let year_ago = now - 365 * 86_400;
    println!("SCALE looking for login={login} registration={registration} account={id}");

    // The browser flows.
    let browsers: Vec<reqwest::Client> = {
        let mut v = Vec::new();
        for _ in 0..concurrency {
            v.push(sign_in(&t).await);
        }
        v
    };
    let (tt, bs) = (t.clone(), browsers.clone());
    measure("sso_round_trip", concurrency, seconds, move |w| {
        let (t, b) = (tt.clone(), bs[w].clone());
        async move { round_trip(&t, &b).await }
    })
    .await;
    let (tt, bs) = (t.clone(), browsers.clone());
    measure("authorize_gate", concurrency, seconds, move |w| {
        let (t, b) = (tt.clone(), bs[w].clone());
        async move {
            let (_, challenge) = pkce();
            let r = b
                .get(crate::authorize_url(&t, &challenge))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 303, "SSO authorize");
            code_of(r.headers()["location"].to_str().unwrap());
        }
    })
    .await;
    let tt = t.clone();
    measure("password_sign_in", 2, seconds, move |_| {
        let t = tt.clone();
        async move { crate::password_sign_in(&t).await }
    })
    .await;
    // Each worker rotates its own refresh token.
    let mut refresh = Vec::new();
    for b in &browsers {
        refresh.push(std::sync::Arc::new(tokio::sync::Mutex::new(
            first_refresh(&t, b).await,
        )));
    }
    let tt = t.clone();
    measure("token_refresh", concurrency, seconds, move |w| {
        let (t, cell) = (tt.clone(), refresh[w].clone());
        async move {
            let mut rt = cell.lock().await;
            let r = crate::token(
                crate::shared_client(),
                &t.base,
                &t.client_id,
                &t.secret,
                &[("grant_type", "refresh_token"), ("refresh_token", &*rt)],
            )
            .await;
            *rt = r["refresh_token"]
                .as_str()
                .unwrap_or_else(|| panic!("refresh: {r}"))
                .to_owned();
        }
    })
    .await;

    // The admin API's reads.
    let queries = [
        ("search_name", "/admin/api/accounts?q=smith".to_owned()),
        (
            "search_login_id",
            format!("/admin/api/accounts?q={}", urlencode(&login)),
        ),
        (
            "search_registration",
            format!("/admin/api/accounts?q={registration}"),
        ),
        ("audit_subject", format!("/admin/api/audit?account={id}")),
        (
            "audit_range",
            format!("/admin/api/audit?from={year_ago}&to={}", year_ago + 86_400),
        ),
    ];
    for (name, path) in queries {
        let (base, token, c) = (t.base.clone(), token.clone(), c.clone());
        measure(name, concurrency, seconds, move |_| {
            let (base, token, c, path) = (base.clone(), token.clone(), c.clone(), path.clone());
            async move {
                get_json(&c, &base, &token, &path).await;
            }
        })
        .await;
    }

    // The same search through the staff's pages: the desk finds what the admin API found; an
    // LRA only its organization's people, who may have no Smith among them.
    let smiths = first(&found).is_some();
    let pages = [
        ("desk_search", &staff.desk, "/desk", smiths),
        ("lra_search", &staff.lra, "/lra", false),
    ];
    for (name, login, path, expect_rows) in pages {
        let Some(login) = login else { continue };
        // Stepped up once, the one browser shared by the workers.
        let b = staff_browser(&t, &staff, login, path).await;
        let rows = search_page(&b, &t.base, path).await;
        println!("SCALE {name}: {login} finds {rows} for smith");
        assert!(rows > 0 || !expect_rows, "{path}: no results table");
        let base = t.base.clone();
        measure(name, concurrency, seconds, move |_| {
            let (b, base) = (b.clone(), base.clone());
            async move {
                search_page(&b, &base, path).await;
            }
        })
        .await;
    }

    // The export of 30 days, streamed whole: rows per second.
    let path = format!(
        "/admin/api/audit/export?from={year_ago}&to={}",
        year_ago + 30 * 86_400
    );
    let t0 = Instant::now();
    let mut r = c
        .get(format!("{}{path}", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "export");
    let (mut rows, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = r.chunk().await.unwrap() {
        rows += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "RESULT audit_export rows={rows} mb={:.1} secs={secs:.2} rows_per_s={:.0}",
        bytes as f64 / 1e6,
        rows as f64 / secs.max(1e-6)
    );
}

async fn first_refresh(t: &Target, b: &reqwest::Client) -> String {
    let tok = crate::authorize_and_redeem(t, b).await;
    tok["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {tok}"))
        .to_owned()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
