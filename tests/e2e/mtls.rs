//! Mutual-TLS client authentication and certificate-bound tokens (RFC 8705) over oneid's own
//! TLS listener: a client with a self-signed certificate it registered, a client with a
//! certificate from a configured CA and a registered subject, tokens bound to the certificate
//! (`cnf.x5t#S256`) that userinfo takes only over a connection with the same certificate, a
//! forged certificate header dropped, and a certificate forwarded by a TLS-terminating proxy
//! believed only from a trusted proxy.

use authorization_server::clients::NewClient;
use base64::Engine as _;
use oneid_tests::browser::Browser;
use oneid_tests::rp::{jwt_payload, Rp};
use oneid_tests::{fresh_storage, spawn_app_with, spawn_on, TestApp, LOGIN_ID, PASSWORD};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::BasicConstraints;
use openssl::x509::{X509NameBuilder, X509};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GRANT_CC: &str = "client_credentials";

/// A certificate and its key.
struct Cert {
    x509: X509,
    key: PKey<Private>,
}

impl Cert {
    fn der(&self) -> Vec<u8> {
        self.x509.to_der().unwrap()
    }
    fn pem(&self) -> String {
        String::from_utf8(self.x509.to_pem().unwrap()).unwrap()
    }
    fn key_pem(&self) -> String {
        String::from_utf8(self.key.private_key_to_pem_pkcs8().unwrap()).unwrap()
    }
    fn thumbprint(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(openssl::sha::sha256(&self.der()))
    }
    /// A JWK set with this certificate's public key and the certificate as `x5c`.
    fn jwks(&self) -> String {
        let kp = josekit::jwk::alg::ec::EcKeyPair::from_pem(
            self.key.private_key_to_pem_pkcs8().unwrap(),
            None,
        )
        .unwrap()
        .to_jwk_public_key();
        let mut k: Value = serde_json::from_str(&kp.to_string()).unwrap();
        k["x5c"] = json!([base64::engine::general_purpose::STANDARD.encode(self.der())]);
        json!({ "keys": [k] }).to_string()
    }
}

/// A certificate for `subject` ((field, value) pairs), self-signed or issued by `issuer`.
fn certificate(subject: &[(&str, &str)], issuer: Option<&Cert>, ca: bool) -> Cert {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    for (f, v) in subject {
        name.append_entry_by_text(f, v).unwrap();
    }
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |i| i.x509.subject_name()))
        .unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
    }
    b.sign(issuer.map_or(&key, |i| &i.key), MessageDigest::sha256())
        .unwrap();
    Cert {
        x509: b.build(),
        key,
    }
}

fn self_signed(cn: &str) -> Cert {
    certificate(&[("CN", cn)], None, false)
}

fn temp_dir() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("oneid-mtls-{}", platform::crypto::random_token(6)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The server's TLS files (a development certificate for 127.0.0.1) and its PEM.
fn server_cert(dir: &std::path::Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let (cert, key) = oneid::tls::dev_cert(dir, &["127.0.0.1".to_owned()]).unwrap();
    let pem = std::fs::read(&cert).unwrap();
    (cert, key, pem)
}

/// One HTTP/1.1 request over TLS to `base` (https://127.0.0.1:port), trusting `server_pem`,
/// presenting `client` (certificate and key) if given; the status and the JSON answer.
async fn call(
    base: &str,
    server_pem: &[u8],
    client: Option<&Cert>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> (u16, Value) {
    let body = serde_urlencoded::to_string(form).unwrap();
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    call_with(base, server_pem, client, method, path, &all, &body).await
}

/// The same with a body of its own (its `Content-Type` among `headers`).
async fn call_with(
    base: &str,
    server_pem: &[u8],
    client: Option<&Cert>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(server_pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let cfg = match client {
        Some(c) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(c.der())],
                PrivateKeyDer::from_pem_slice(c.key_pem().as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let addr = base
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    tls.write_all(format!("{head}\r\n{body}").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    parse(&String::from_utf8_lossy(&out))
}

/// A plain HTTP request (a proxy's hop), with `headers`.
async fn plain(
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn parse(raw: &str) -> (u16, Value) {
    let status: u16 = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn tls_app(dir: &std::path::Path, ca: Option<&Cert>) -> (TestApp, Vec<u8>) {
    let (cert, key, pem) = server_cert(dir);
    let ca_file = ca.map(|c| {
        let f = dir.join("client-ca.pem");
        std::fs::write(&f, c.pem()).unwrap();
        f
    });
    let app = spawn_app_with(move |c| {
        c.tls.cert_file = cert;
        c.tls.key_file = key;
        c.tls.client_certificates = true;
        if let Some(f) = ca_file {
            c.tls.client_ca_file = f;
        }
    })
    .await;
    (app, pem)
}

fn backend(n: &mut NewClient) {
    n.secret = None;
    n.service_id = None;
    n.grant_types = vec![GRANT_CC.into()];
    n.scopes = vec!["api:read".into()];
    n.redirect_uris = Vec::new();
    n.post_logout_redirect_uris = Vec::new();
}

#[tokio::test]
async fn a_client_authenticates_with_its_self_signed_certificate_and_its_tokens_are_bound_to_it() {
    let dir = temp_dir();
    let (app, server_pem) = tls_app(&dir, None).await;
    let base = app.base.replace("http://", "https://");
    let mine = self_signed("lab-system");
    let stranger = self_signed("lab-system");
    let jwks = mine.jwks();
    app.add_client_with("lab-system", |n| {
        backend(n);
        n.jwks = Some(jwks);
        n.tls_client_auth = Some("self_signed_tls_client_auth".into());
    })
    .await;
    let form = [
        ("grant_type", GRANT_CC),
        ("client_id", "lab-system"),
        ("scope", "api:read"),
    ];

    let (status, body) = call(
        &base,
        &server_pem,
        Some(&mine),
        "POST",
        "/token",
        &[],
        &form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        jwt_payload(&at)["cnf"]["x5t#S256"].as_str(),
        Some(mine.thumbprint().as_str()),
        "bound to the certificate"
    );
    assert_eq!(body["token_type"], "Bearer");

    // No certificate, another certificate with the same name, or a certificate header made up
    // by the client: not authenticated.
    let (status, body) = call(&base, &server_pem, None, "POST", "/token", &[], &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _) = call(
        &base,
        &server_pem,
        Some(&stranger),
        "POST",
        "/token",
        &[],
        &form,
    )
    .await;
    assert_eq!(status, 401);
    let forged = base64::engine::general_purpose::STANDARD.encode(mine.der());
    let (status, _) = call(
        &base,
        &server_pem,
        None,
        "POST",
        "/token",
        &[("oneid-client-certificate", &forged)],
        &form,
    )
    .await;
    assert_eq!(status, 401, "a certificate header from a client is dropped");

    // Introspection, authenticated the same way, tells the binding.
    let (status, body) = call(
        &base,
        &server_pem,
        Some(&mine),
        "POST",
        "/introspect",
        &[],
        &[("token", &at), ("client_id", "lab-system")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    assert_eq!(
        body["cnf"]["x5t#S256"].as_str(),
        Some(mine.thumbprint().as_str())
    );
    assert_eq!(body["token_type"], "Bearer");

    // Discovery says so.
    let (_, d) = call(
        &base,
        &server_pem,
        None,
        "GET",
        "/.well-known/openid-configuration",
        &[],
        &[],
    )
    .await;
    assert_eq!(d["tls_client_certificate_bound_access_tokens"], true);
    for m in ["tls_client_auth", "self_signed_tls_client_auth"] {
        assert!(d["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&m.into()));
    }
}

#[tokio::test]
async fn a_tls_client_auth_client_needs_a_certificate_from_the_ca_with_its_subject() {
    let dir = temp_dir();
    let ca = certificate(
        &[
            ("CN", "Example Hospital Clients CA"),
            ("O", "Example Hospital"),
        ],
        None,
        true,
    );
    let (app, server_pem) = tls_app(&dir, Some(&ca)).await;
    let base = app.base.replace("http://", "https://");
    let subject = [
        ("C", "CA"),
        ("O", "Example Hospital"),
        ("CN", "hospital-backend"),
    ];
    let right = certificate(&subject, Some(&ca), false);
    let other_name = certificate(
        &[
            ("C", "CA"),
            ("O", "Example Hospital"),
            ("CN", "someone-else"),
        ],
        Some(&ca),
        false,
    );
    let not_from_ca = certificate(&subject, None, false);
    app.add_client_with("hospital", |n| {
        backend(n);
        n.tls_client_auth = Some("tls_client_auth".into());
        // Order and the case of attribute types do not matter.
        n.tls_client_auth_subject_dn = Some("cn=hospital-backend, O=Example Hospital, C=CA".into());
    })
    .await;
    let form = [
        ("grant_type", GRANT_CC),
        ("client_id", "hospital"),
        ("scope", "api:read"),
    ];
    let (status, body) = call(
        &base,
        &server_pem,
        Some(&right),
        "POST",
        "/token",
        &[],
        &form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_payload(body["access_token"].as_str().unwrap())["cnf"]["x5t#S256"].as_str(),
        Some(right.thumbprint().as_str())
    );
    for (what, cert) in [
        ("another subject", &other_name),
        ("not from the CA", &not_from_ca),
    ] {
        let (status, body) =
            call(&base, &server_pem, Some(cert), "POST", "/token", &[], &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{what}"
        );
    }

    // A FAPI 2.0 client may authenticate with mutual TLS instead of private_key_jwt, and its
    // certificate-bound tokens are the sender-constrained tokens the profile asks for (no
    // DPoP proof needed).
    app.add_client_with("fapi-hospital", |n| {
        backend(n);
        n.fapi2 = true;
        n.tls_client_auth = Some("tls_client_auth".into());
        n.tls_client_auth_subject_dn = Some("CN=hospital-backend,O=Example Hospital,C=CA".into());
    })
    .await;
    let fapi_form = [
        ("grant_type", GRANT_CC),
        ("client_id", "fapi-hospital"),
        ("scope", "api:read"),
    ];
    let (status, body) = call(
        &base,
        &server_pem,
        Some(&right),
        "POST",
        "/token",
        &[],
        &fapi_form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_payload(body["access_token"].as_str().unwrap())["cnf"]["x5t#S256"].as_str(),
        Some(right.thumbprint().as_str())
    );

    // Registrations that cannot work are refused.
    let refused = |adjust: Box<dyn FnOnce(&mut NewClient)>| {
        let mut n = NewClient {
            client_id: "odd".into(),
            name: "Odd".into(),
            ..NewClient::default()
        };
        backend(&mut n);
        adjust(&mut n);
        let clients = app.provider.clients.clone();
        async move { clients.add(n).await.unwrap_err().to_string() }
    };
    let e = refused(Box::new(|n| {
        n.tls_client_auth = Some("tls_client_auth".into())
    }))
    .await;
    assert!(e.contains("subject"), "{e}");
    let e = refused(Box::new(|n| {
        n.tls_client_auth = Some("self_signed_tls_client_auth".into());
    }))
    .await;
    assert!(e.contains("x5c"), "{e}");
    let e = refused(Box::new(|n| {
        n.tls_client_auth = Some("tls_client_auth".into());
        n.tls_client_auth_subject_dn = Some("CN=x".into());
        n.secret = Some("a-secret-too".into());
    }))
    .await;
    assert!(e.contains("no secret"), "{e}");
    let e = refused(Box::new(|n| n.tls_client_auth = Some("tls_magic".into()))).await;
    assert!(e.contains("tls_client_auth must be"), "{e}");
}

#[tokio::test]
async fn a_certificate_bound_token_opens_userinfo_only_over_the_same_certificate() {
    // Node A serves plain HTTP (the browser signs in there); node B, on the same storage and
    // issuer, serves TLS and takes client certificates.
    let storage = fresh_storage().await;
    let clock = Arc::new(platform::ManualClock::new());
    let shared: Option<Arc<dyn platform::EphemeralStore>> = match &storage.redis_url {
        Some(_) => None,
        None => Some(Arc::new(platform::MemoryStore::new(clock.clone()))),
    };
    let a = spawn_on(&storage, clock.clone(), shared.clone(), |_| {}).await;
    let dir = temp_dir();
    let (cert, key, server_pem) = server_cert(&dir);
    let issuer = a.base.clone();
    let b = spawn_on(&storage, clock, shared, move |c| {
        c.issuer = issuer;
        c.tls.cert_file = cert;
        c.tls.key_file = key;
        c.tls.client_certificates = true;
    })
    .await;
    let b_base = b.base.replace("http://", "https://");
    a.add_clinician().await;
    let mine = self_signed("mtls-viewer");
    let other = self_signed("mtls-viewer");
    let jwks = mine.jwks();
    let cfg = a
        .add_client_with("mtls-viewer", |n| {
            n.secret = None;
            n.jwks = Some(jwks);
            n.tls_client_auth = Some("self_signed_tls_client_auth".into());
            // Also a record system: it makes EHR launches with its bound token.
            n.scopes = vec!["openid".into(), "profile".into(), "oneid:launch".into()];
        })
        .await;
    let rp = Rp::discover(&cfg).await;
    let started = rp.start(&["profile", "oneid:launch"], &[]);
    let browser = Browser::new();
    let page = browser.get(&started.url).await;
    let cb = browser.login(&a.base, &page, LOGIN_ID, PASSWORD).await;
    let code = rp.code_from(&started, &cb);
    let (status, tokens) = call(
        &b_base,
        &server_pem,
        Some(&mine),
        "POST",
        "/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &cfg.redirect_uri),
            ("code_verifier", started.verifier.secret()),
            ("client_id", "mtls-viewer"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {at}");
    let auth = [("Authorization", bearer.as_str())];

    let (status, u) = call(
        &b_base,
        &server_pem,
        Some(&mine),
        "GET",
        "/userinfo",
        &auth,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["login_id"], LOGIN_ID);
    let (status, _) = call(
        &b_base,
        &server_pem,
        Some(&other),
        "GET",
        "/userinfo",
        &auth,
        &[],
    )
    .await;
    assert_eq!(status, 401, "another certificate");
    let (status, _) = call(&b_base, &server_pem, None, "GET", "/userinfo", &auth, &[]).await;
    assert_eq!(status, 401, "no certificate");
    let r = reqwest::Client::new()
        .get(format!("{}/userinfo", a.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "stolen and replayed elsewhere");

    // An EHR launch with the bound token: only over a connection with its certificate.
    let json = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let context = r#"{"patient": "p-1"}"#;
    for (who, cert) in [
        ("another certificate", Some(&other)),
        ("no certificate", None),
    ] {
        let (status, body) = call_with(
            &b_base,
            &server_pem,
            cert,
            "POST",
            "/smart/launch",
            &json,
            context,
        )
        .await;
        assert_eq!(status, 401, "{who}: {body}");
        assert_eq!(body["error"], "invalid_token", "{who}: {body}");
    }
    let (status, made) = call_with(
        &b_base,
        &server_pem,
        Some(&mine),
        "POST",
        "/smart/launch",
        &json,
        context,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert!(made["launch"].is_string(), "{made}");
}

#[tokio::test]
async fn a_certificate_forwarded_by_a_proxy_is_believed_only_from_a_trusted_proxy() {
    let mine = self_signed("behind-proxy");
    // URL-escaped as nginx's $ssl_client_escaped_cert is (a space is %20).
    let escaped: String = url::form_urlencoded::byte_serialize(mine.pem().as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    for trusted in [true, false] {
        let app = spawn_app_with(move |c| {
            c.tls.client_cert_header = "x-ssl-client-cert".into();
            if trusted {
                c.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        })
        .await;
        let jwks = mine.jwks();
        app.add_client_with("behind-proxy", |n| {
            backend(n);
            n.jwks = Some(jwks);
            n.tls_client_auth = Some("self_signed_tls_client_auth".into());
        })
        .await;
        let (status, body) = plain(
            &app.base,
            "/token",
            &[("x-ssl-client-cert", &escaped)],
            &[
                ("grant_type", GRANT_CC),
                ("client_id", "behind-proxy"),
                ("scope", "api:read"),
            ],
        )
        .await;
        if trusted {
            assert_eq!(status, 200, "{body}");
            assert_eq!(
                jwt_payload(body["access_token"].as_str().unwrap())["cnf"]["x5t#S256"].as_str(),
                Some(mine.thumbprint().as_str())
            );
        } else {
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("invalid_client"))
            );
        }
    }
}
