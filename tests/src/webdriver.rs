//! Drives Debian's headless Chromium through chromedriver from the tests: open pages, find,
//! type, click, read, screenshot. The WebDriver protocol is fantoccini's; this module starts
//! chromedriver on a free loopback port with a throw-away profile and keeps the tests' small
//! vocabulary (CSS selectors, waits of 10 s that fail with the page's URL and HTML).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `wait_for` and `wait_for_text` wait before failing with the page.
const WAIT: Duration = Duration::from_secs(10);

/// A browser session.
pub struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    names.iter().map(PathBuf::from).find(|p| p.exists())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session. Fails with the reason when either
    /// is missing (scripts/test installs them: Debian packages chromium, chromium-driver).
    pub async fn start() -> Browser {
        let driver_bin = find_binary(&["/usr/bin/chromedriver"]).expect(
            "chromedriver not found: apt-get install chromium chromium-driver (scripts/test does)",
        );
        let chrome = find_binary(&["/usr/bin/chromium"]).expect(
            "chromium not found: apt-get install chromium chromium-driver (scripts/test does)",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!(
            "oneid-chromium-{}",
            platform::crypto::random_token(6)
        ));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1000,760",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let base = format!("http://127.0.0.1:{port}");
        // chromedriver is on loopback HTTP: a plain connector, no TLS stack.
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        // Wait for chromedriver to answer its status, then open the session.
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let ready = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok();
            if ready {
                match builder.connect(&base).await {
                    Ok(client) => break client,
                    Err(e) if Instant::now() > deadline => panic!("no browser session: {e}"),
                    Err(_) => {}
                }
            }
            if Instant::now() > deadline {
                let _ = driver.kill();
                panic!("chromedriver not ready on port {port} after 20 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        Browser {
            client,
            driver,
            profile,
        }
    }

    /// Opens a URL and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// The page's HTML.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The element now on the page, if any; errors other than "no such element" (a page
    /// being replaced, say) are returned for the waits to retry and report.
    async fn try_find(&self, css: &str) -> Result<Option<Element>, CmdError> {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => Ok(Some(e)),
            Err(e) if e.is_no_such_element() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Fails with where the browser is and what it shows.
    async fn give_up(&self, what: String, last_error: Option<CmdError>) -> ! {
        let error = last_error
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default();
        panic!(
            "{what} on {} after {} s{error}:\n{}",
            self.url().await,
            WAIT.as_secs(),
            self.source().await
        );
    }

    /// Waits (up to 10 s) for an element and returns it.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            let last_error = match self.try_find(css).await {
                Ok(Some(e)) => return e,
                Ok(None) => None,
                Err(e) => Some(e),
            };
            if Instant::now() > deadline {
                self.give_up(format!("no {css}"), last_error).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// True if the element is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        self.try_find(css)
            .await
            .unwrap_or_else(|e| panic!("cannot look for {css}: {e}"))
            .is_some()
    }

    /// Clicks an element.
    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Types into an element.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.wait_for(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Empties an input.
    pub async fn clear(&self, css: &str) {
        self.wait_for(css)
            .await
            .clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear {css}: {e}"));
    }

    /// Waits (up to 10 s) until an element's text contains `needle` (after a click that
    /// loads a new page, the old page's element may still be there for a moment); returns
    /// the text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let last_error = match self.try_find(css).await {
                // The element may go stale between finding and reading it: retry.
                Ok(Some(e)) => match e.text().await {
                    Ok(t) if t.contains(needle) => return t,
                    Ok(_) => None,
                    Err(e) => Some(e),
                },
                Ok(None) => None,
                Err(e) => Some(e),
            };
            if Instant::now() > deadline {
                self.give_up(format!("no {css} containing {needle:?}"), last_error)
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text of an element.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("cannot read {css}: {e}"))
    }

    /// Resizes the window (a phone's width, say).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("cannot resize the window: {e}"));
    }

    /// Sets a cookie for the site now open (path `/`), as the page's script could.
    pub async fn add_cookie(&self, name: &str, value: &str) {
        let cookie = format!("{name}={value}; path=/");
        self.eval(&format!(
            "document.cookie = {cookie:?}; return document.cookie;"
        ))
        .await;
    }

    /// Forgets every cookie of the site now open (a browser that never signed in there).
    pub async fn delete_cookies(&self) {
        self.client
            .delete_all_cookies()
            .await
            .unwrap_or_else(|e| panic!("cannot delete the cookies: {e}"));
    }

    /// Runs `script` in the page (a function body: `return` gives its value).
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
    }

    /// Sends a command of the W3C WebAuthn extension (virtual authenticators):
    /// `method` on `/session/{id}/webauthn/{path}`, with a JSON body.
    async fn webauthn(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let cmd = WebAuthnCmd {
            method: method.parse().unwrap(),
            path: path.to_owned(),
            body: body.map(|b| b.to_string()),
        };
        self.client
            .issue_cmd(cmd)
            .await
            .unwrap_or_else(|e| panic!("webauthn {method} {path}: {e}"))
    }

    /// Adds a virtual authenticator: a platform one (`internal`, with user verification,
    /// resident keys) unless `transport` says otherwise ("usb": a security key). Returns its ID.
    pub async fn add_virtual_authenticator(&self, transport: &str) -> String {
        self.add_virtual_authenticator_speaking("ctap2", transport)
            .await
    }

    /// A virtual security key speaking CTAP 2.1 over USB. Returns its ID.
    pub async fn add_virtual_security_key(&self) -> String {
        self.add_virtual_authenticator_speaking("ctap2_1", "usb")
            .await
    }

    async fn add_virtual_authenticator_speaking(&self, protocol: &str, transport: &str) -> String {
        let v = self
            .webauthn(
                "POST",
                "authenticator",
                Some(json!({
                    "protocol": protocol,
                    "transport": transport,
                    "hasResidentKey": true,
                    "hasUserVerification": true,
                    "isUserConsenting": true,
                    "isUserVerified": true,
                    "automaticPresenceSimulation": true,
                })),
            )
            .await;
        v.as_str().unwrap().to_owned()
    }

    /// The credentials a virtual authenticator holds (with their private keys and counters).
    pub async fn virtual_credentials(&self, authenticator: &str) -> Vec<serde_json::Value> {
        let v = self
            .webauthn(
                "GET",
                &format!("authenticator/{authenticator}/credentials"),
                None,
            )
            .await;
        v.as_array().cloned().unwrap_or_default()
    }

    /// Puts a credential into a virtual authenticator (as `virtual_credentials` gave it).
    pub async fn add_virtual_credential(&self, authenticator: &str, credential: serde_json::Value) {
        self.webauthn(
            "POST",
            &format!("authenticator/{authenticator}/credential"),
            Some(credential),
        )
        .await;
    }

    /// Empties a virtual authenticator.
    pub async fn clear_virtual_credentials(&self, authenticator: &str) {
        self.webauthn(
            "DELETE",
            &format!("authenticator/{authenticator}/credentials"),
            None,
        )
        .await;
    }

    /// Removes a virtual authenticator.
    pub async fn remove_virtual_authenticator(&self, authenticator: &str) {
        self.webauthn("DELETE", &format!("authenticator/{authenticator}"), None)
            .await;
    }

    /// Saves a PNG screenshot.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// Ends the session and the driver.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// A command of the WebAuthn extension, which fantoccini does not name.
#[derive(Debug)]
struct WebAuthnCmd {
    method: axum::http::Method,
    path: String,
    body: Option<String>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthnCmd {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (self.method.clone(), self.body.clone())
    }
}
