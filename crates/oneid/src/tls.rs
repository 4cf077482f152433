//! The TLS certificate: where its files are, loading them into a rustls configuration (TLS 1.2
//! and 1.3, HTTP/1.1 and HTTP/2 by ALPN), reloading them on SIGHUP and when they change, and a
//! self-signed development certificate.

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// Where the certificate chain and key are (PEM), and how often to look for new ones.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Seconds between checks of the files' modification times (0: SIGHUP only).
    pub reload_secs: u64,
    /// `Strict-Transport-Security: max-age` sent with every response (0: none).
    pub hsts_max_age_secs: u64,
    /// Ask clients for a certificate (never required): relying parties that authenticate
    /// with mutual TLS (RFC 8705) send one; a browser holding client certificates may ask its
    /// user which to send.
    pub client_certificates: bool,
}

impl TlsFiles {
    /// The HSTS header every response over these carries, if any.
    pub(crate) fn hsts(&self) -> Option<axum::http::HeaderValue> {
        (self.hsts_max_age_secs > 0).then(|| {
            axum::http::HeaderValue::from_str(&format!(
                "max-age={}; includeSubDomains",
                self.hsts_max_age_secs
            ))
            .unwrap_or(axum::http::HeaderValue::from_static("max-age=31536000"))
        })
    }
}

/// Reads the certificate and key into a rustls configuration (TLS 1.2+, ALPN h2 and
/// http/1.1). Errors name the file.
pub fn load_tls(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| format!("tls.cert_file {}: {e}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("tls.cert_file {}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "tls.cert_file {}: no certificate in the file",
            files.cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("tls.key_file {}: {e}", files.key.display()))?;
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .map_err(|e| format!("tls: {e}"))?;
    let cfg = if files.client_certificates {
        cfg.with_client_cert_verifier(Arc::new(AnyClientCertificate::new()))
    } else {
        cfg.with_no_client_auth()
    };
    let mut cfg = cfg
        .with_single_cert(certs, key)
        .map_err(|e| format!("tls: the key does not fit the certificate: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Takes any client certificate, self-signed or issued, and leaves deciding whether it
/// authenticates a client to the application (RFC 8705: `self_signed_tls_client_auth` compares
/// it with the certificate the client registered, `tls_client_auth` checks its chain against the
/// configured client CAs and its subject). The handshake still proves that the client holds the
/// certificate's private key: its signature is verified as usual.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl AnyClientCertificate {
    fn new() -> Self {
        Self {
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }
}

impl rustls::server::danger::ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The value of [`web::http::CLIENT_CERTIFICATE`] for a certificate chain (leaf first): each
/// certificate's DER in standard base64, comma-separated.
pub(crate) fn certificate_header(chain: &[CertificateDer<'_>]) -> Option<axum::http::HeaderValue> {
    use base64::Engine as _;
    let text: Vec<String> = chain
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c.as_ref()))
        .collect();
    axum::http::HeaderValue::from_str(&text.join(",")).ok()
}

/// The chain a TLS-terminating proxy forwards in a header, URL-encoded PEM (nginx's
/// `$ssl_client_escaped_cert`, HAProxy and Envoy can send the same).
pub(crate) fn proxy_certificate(value: &str) -> Option<axum::http::HeaderValue> {
    // A literal `+` is base64's, not a space.
    let escaped = format!("x={}", value.replace('+', "%2B"));
    let (_, pem) = url::form_urlencoded::parse(escaped.as_bytes()).next()?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .ok()?;
    if chain.is_empty() {
        return None;
    }
    certificate_header(&chain)
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Keeps the current TLS configuration fresh: re-reads on SIGHUP and when the files change.
pub(crate) fn watch_tls(files: TlsFiles, current: Arc<RwLock<Arc<rustls::ServerConfig>>>) {
    tokio::spawn(async move {
        let mut seen = (mtime(&files.cert), mtime(&files.key));
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let every = Duration::from_secs(files.reload_secs.max(1));
        loop {
            #[cfg(unix)]
            let signalled = async {
                match hup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let signalled = std::future::pending::<()>();
            let forced = tokio::select! {
                _ = signalled => true,
                _ = tokio::time::sleep(every), if files.reload_secs > 0 => false,
            };
            let now = (mtime(&files.cert), mtime(&files.key));
            if !forced && now == seen {
                continue;
            }
            seen = now;
            match load_tls(&files) {
                Ok(cfg) => {
                    *current.write().unwrap_or_else(|e| e.into_inner()) = cfg;
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "TLS certificate not reloaded; keeping the old one")
                }
            }
        }
    });
}

/// Writes a self-signed certificate for `hosts` (DNS names or IP addresses) and its key to
/// `dir/cert.pem` and `dir/key.pem` (mode 0600), valid 90 days: for local use only.
pub fn dev_cert(dir: &Path, hosts: &[String]) -> Result<(PathBuf, PathBuf), String> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::extension::{
        BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    };
    use openssl::x509::{X509NameBuilder, X509};
    let e = |e: openssl::error::ErrorStack| e.to_string();
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(e)?;
    let key = PKey::from_ec_key(EcKey::generate(&group).map_err(e)?).map_err(e)?;
    let mut name = X509NameBuilder::new().map_err(e)?;
    name.append_entry_by_text("CN", hosts.first().map_or("localhost", String::as_str))
        .map_err(e)?;
    name.append_entry_by_text("O", "oneid development")
        .map_err(e)?;
    let name = name.build();
    let mut b = X509::builder().map_err(e)?;
    b.set_version(2).map_err(e)?;
    let mut serial = BigNum::new().map_err(e)?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false).map_err(e)?;
    let serial = serial.to_asn1_integer().map_err(e)?;
    b.set_serial_number(&serial).map_err(e)?;
    b.set_subject_name(&name).map_err(e)?;
    b.set_issuer_name(&name).map_err(e)?;
    b.set_pubkey(&key).map_err(e)?;
    let (from, until) = (
        Asn1Time::days_from_now(0).map_err(e)?,
        Asn1Time::days_from_now(90).map_err(e)?,
    );
    b.set_not_before(&from).map_err(e)?;
    b.set_not_after(&until).map_err(e)?;
    b.append_extension(BasicConstraints::new().critical().build().map_err(e)?)
        .map_err(e)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .key_cert_sign()
            .build()
            .map_err(e)?,
    )
    .map_err(e)?;
    b.append_extension(ExtendedKeyUsage::new().server_auth().build().map_err(e)?)
        .map_err(e)?;
    let mut san = SubjectAlternativeName::new();
    for h in hosts {
        if h.parse::<std::net::IpAddr>().is_ok() {
            san.ip(h);
        } else {
            san.dns(h);
        }
    }
    let san = san.build(&b.x509v3_context(None, None)).map_err(e)?;
    b.append_extension(san).map_err(e)?;
    b.sign(&key, MessageDigest::sha256()).map_err(e)?;
    let cert = b.build();
    std::fs::create_dir_all(dir).map_err(|x| format!("{}: {x}", dir.display()))?;
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.to_pem().map_err(e)?)
        .map_err(|x| format!("{}: {x}", cert_path.display()))?;
    let pem = key.private_key_to_pem_pkcs8().map_err(e)?;
    write_private(&key_path, &pem)?;
    Ok((cert_path, key_path))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .map_err(|x| format!("{}: {x}", path.display()))?;
    f.write_all(bytes)
        .map_err(|x| format!("{}: {x}", path.display()))
}
