//! SAML test helpers: a real service provider (pysaml2, `tests/saml/sp.py`) run as a
//! subprocess next to the server, the IdP's HTTP-POST pages read the way a browser would,
//! and `xmlsec1` (Debian's, the C reference implementation) checking everything the IdP
//! signs. scripts/test installs both; a test that needs one and cannot find it fails, saying
//! how to get it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Resp;
use crate::TestApp;
use authorization_server::saml::{NewSp, ServiceProvider};
use base64::Engine as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The Python with pysaml2: `ONEID_TEST_PYTHON`, else the venv scripts/test makes.
pub fn python() -> PathBuf {
    let p = std::env::var("ONEID_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/saml-venv/bin/python")
        });
    assert!(
        p.exists(),
        "no Python with pysaml2 at {}: run scripts/test (it makes the venv), or set \
         ONEID_TEST_PYTHON to a python that has `pip install pysaml2`",
        p.display()
    );
    p
}

/// Debian's xmlsec1.
pub fn xmlsec1() -> PathBuf {
    let p = PathBuf::from("/usr/bin/xmlsec1");
    assert!(
        p.exists(),
        "xmlsec1 not found: apt-get install xmlsec1 (scripts/test does)"
    );
    p
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "oneid-saml-{tag}-{}",
        platform::crypto::random_token(6)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A pysaml2 service provider serving on a free loopback port.
pub struct PySp {
    /// Its base URL.
    pub base: String,
    /// Its working directory (keys, metadata, log).
    pub dir: PathBuf,
    child: Child,
}

impl Drop for PySp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl PySp {
    /// Starts `sp.py` against `app`'s metadata with extra arguments (`--sign-requests`,
    /// `--want-response-signed`, `--nameid-format F`, `--slo-binding post`, `--name N`).
    pub async fn start(app: &TestApp, args: &[&str]) -> PySp {
        let dir = scratch("sp");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("saml/sp.py");
        let log = std::fs::File::create(dir.join("sp.log")).unwrap();
        let mut child = Command::new(python())
            .arg(&script)
            .arg("--dir")
            .arg(&dir)
            .arg("--idp-metadata")
            .arg(format!("{}/saml/metadata", app.base))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("sp.py starts");
        let out = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(out).read_line(&mut line);
            line
        });
        let line = tokio::time::timeout(Duration::from_secs(60), line)
            .await
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or_default();
        let base = line.trim().strip_prefix("READY ").map(str::to_owned);
        let Some(base) = base else {
            let log = std::fs::read_to_string(dir.join("sp.log")).unwrap_or_default();
            panic!("sp.py did not start: {line:?}\n{log}");
        };
        PySp { base, dir, child }
    }

    /// Its entityID.
    pub fn entity_id(&self) -> String {
        format!("{}/metadata", self.base)
    }

    /// Its metadata.
    pub fn metadata(&self) -> String {
        std::fs::read_to_string(self.dir.join("sp.xml")).unwrap()
    }

    /// Its log so far (pysaml2's reasons for refusing something are there).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sp.log")).unwrap_or_default()
    }

    /// Its sessions as it sees them: `[{name_id, logged_out, logged_out_by_idp}]`.
    pub async fn sessions(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("{}/sessions", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Its newest session, if any.
    pub async fn newest_session(&self) -> Option<serde_json::Value> {
        self.sessions().await.pop()
    }

    /// Waits (up to 10 s: a browser's hidden frames work on their own time) until its newest
    /// session was ended by the IdP; panics with its log otherwise.
    pub async fn wait_logged_out_by_idp(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.newest_session().await;
            if s.as_ref().is_some_and(|x| x["logged_out_by_idp"] == true) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the IdP's logout did not reach {}: {s:?}\n{}",
                self.base,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its encryption key (PEM file).
    pub fn encryption_key(&self) -> PathBuf {
        self.dir.join("encryption.key")
    }

    /// Registers it with the IdP from its metadata, after adjusting the registration (in
    /// the harness's `TEST_SERVICE` unless the adjustment names another).
    pub async fn register(
        &self,
        app: &TestApp,
        adjust: impl FnOnce(&mut NewSp),
    ) -> ServiceProvider {
        app.test_service().await;
        let mut n = NewSp {
            metadata: self.metadata(),
            service_id: Some(crate::TEST_SERVICE.into()),
            ..NewSp::default()
        };
        adjust(&mut n);
        app.provider.saml.sps.add(n).await.unwrap()
    }
}

/// What an HTTP-POST binding page carries.
#[derive(Debug, Clone)]
pub struct SamlPost {
    /// The form's action.
    pub action: String,
    /// `SAMLResponse` or `SAMLRequest`.
    pub field: String,
    /// The base64 value.
    pub value: String,
    /// RelayState.
    pub relay_state: Option<String>,
    /// The decoded message.
    pub xml: String,
}

/// Follows the IdP's detour for a POST that came without the session cookie (a 303 to the
/// same endpoint with a `bounce` handle), as a browser does; any other answer is returned.
pub async fn follow_bounce(b: &crate::browser::Browser, app: &TestApp, r: Resp) -> Resp {
    match r.location() {
        Some(l) if r.status == 303 && l.contains("?bounce=") && l.starts_with("/saml/") => {
            b.get(&format!("{}{l}", app.base)).await
        }
        _ => r,
    }
}

/// The `src` of every frame on a page (logout frames), unescaped.
pub fn frames(page: &Resp) -> Vec<String> {
    page.body
        .split("<iframe")
        .skip(1)
        .filter_map(|tag| {
            let start = tag.find("src=\"")? + 5;
            let end = tag[start..].find('"')? + start;
            Some(unescape(&tag[start..end].replace("&#x2f;", "/")))
        })
        .collect()
}

/// Undoes HTML escaping of attribute values and text.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl SamlPost {
    /// The message of a POST page, if it is one.
    pub fn from(page: &Resp) -> Option<SamlPost> {
        let (field, value) = ["SAMLResponse", "SAMLRequest"]
            .iter()
            .find_map(|f| page.hidden(f).map(|v| ((*f).to_owned(), v)))?;
        let start = page.body.find("action=\"")? + "action=\"".len();
        let end = page.body[start..].find('"')? + start;
        let action = unescape(&page.body[start..end]);
        let xml = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(&value)
                .unwrap(),
        )
        .unwrap();
        Some(SamlPost {
            action,
            field,
            relay_state: page.hidden("RelayState").map(|r| unescape(&r)),
            value,
            xml,
        })
    }

    /// The form fields to post.
    pub fn form(&self) -> Vec<(&str, &str)> {
        let mut f = vec![(self.field.as_str(), self.value.as_str())];
        if let Some(r) = &self.relay_state {
            f.push(("RelayState", r.as_str()));
        }
        f
    }
}

/// The first `<qname ...>...</qname>` element of `xml`, as text.
pub fn element(xml: &str, qname: &str) -> Option<String> {
    let start = xml.find(&format!("<{qname}"))?;
    let close = format!("</{qname}>");
    let end = xml[start..].find(&close)? + start + close.len();
    Some(xml[start..end].to_owned())
}

/// The IdP's active SAML signing certificate, PEM.
pub fn idp_cert(app: &TestApp) -> String {
    let k = app.provider.saml.signing_key().unwrap();
    String::from_utf8(k.cert.to_pem().unwrap()).unwrap()
}

/// `xmlsec1 --verify` of `xml` with the IdP's certificate, the signed element being a
/// `node` (`namespace:Name`) with an `ID` attribute. Panics with xmlsec1's output unless OK.
pub fn xmlsec_verify(app: &TestApp, xml: &str, node: &str) {
    let d = scratch("xmlsec");
    let (doc, cert) = (d.join("doc.xml"), d.join("idp.pem"));
    std::fs::write(&doc, xml).unwrap();
    std::fs::write(&cert, idp_cert(app)).unwrap();
    let out = Command::new(xmlsec1())
        .arg("--verify")
        .arg("--pubkey-cert-pem")
        .arg(&cert)
        .arg("--id-attr:ID")
        .arg(node)
        .arg(&doc)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&d);
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && text.lines().any(|l| l == "OK"),
        "xmlsec1 --verify refused the {node}:\n{text}\n{xml}"
    );
}

/// `xmlsec1 --decrypt` of `xml` with the private key at `key`.
pub fn xmlsec_decrypt(xml: &str, key: &Path) -> String {
    let d = scratch("xmlsec");
    let doc = d.join("doc.xml");
    std::fs::write(&doc, xml).unwrap();
    let out = Command::new(xmlsec1())
        .arg("--decrypt")
        .arg("--privkey-pem")
        .arg(key)
        .arg(&doc)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&d);
    assert!(
        out.status.success(),
        "xmlsec1 --decrypt failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The facts an SP page shows (`<pre id="result">`), as JSON.
pub fn sp_facts(page: &Resp) -> serde_json::Value {
    let start = page
        .body
        .find("<pre id=\"result\">")
        .unwrap_or_else(|| panic!("no result on the SP page ({}): {}", page.status, page.body))
        + "<pre id=\"result\">".len();
    let end = page.body[start..].find("</pre>").unwrap() + start;
    serde_json::from_str(&unescape(&page.body[start..end])).unwrap()
}

/// The SP's error (`<pre id="error">`), if it refused something.
pub fn sp_error(page: &Resp) -> Option<String> {
    let start = page.body.find("<pre id=\"error\">")? + "<pre id=\"error\">".len();
    let end = page.body[start..].find("</pre>")? + start;
    Some(unescape(&page.body[start..end]))
}
