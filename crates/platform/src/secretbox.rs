//! Encryption at rest (AES-256-GCM) under a key-encryption key, for signing private keys and
//! anything staff must read back. The key comes from an environment variable (base64) or a
//! file, generated on first run with mode 0600.

use crate::crypto::random_bytes;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use std::path::Path;

const VERSION: u8 = 1;

/// Secret box errors; none carries key material.
#[derive(Debug, thiserror::Error)]
pub enum SecretBoxError {
    /// The key file or value is missing or malformed.
    #[error("key-encryption key: {0}")]
    Key(String),
    /// Decryption failed: wrong key or tampered data.
    #[error("sealed data cannot be opened (wrong key-encryption key or tampered data)")]
    Open,
}

/// Seals and opens data under a 256-bit key-encryption key.
#[derive(Clone)]
pub struct SecretBox {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A MAC (HMAC-SHA-256) of `data` for `purpose`, under a key derived from the
    /// key-encryption key (which itself never keys two algorithms): every node sharing the
    /// key-encryption key computes the same, no one without it can.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let sub = crate::crypto::hmac_sha256(&self.key, format!("oneid mac/{purpose}").as_bytes());
        crate::crypto::hmac_sha256(&sub, data)
    }

    /// From raw key bytes.
    pub fn from_key(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// From a base64 string (the `ONEID__KEYS__KEK` form).
    pub fn from_base64(s: &str) -> Result<Self, SecretBoxError> {
        let raw = STANDARD
            .decode(s.trim())
            .map_err(|_| SecretBoxError::Key("not valid base64".into()))?;
        let key: [u8; 32] = raw
            .try_into()
            .map_err(|_| SecretBoxError::Key("must be 32 bytes".into()))?;
        Ok(Self { key })
    }

    /// Loads the key from `path`, creating it (mode 0600) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretBoxError> {
        if path.exists() {
            let s = std::fs::read_to_string(path)
                .map_err(|e| SecretBoxError::Key(format!("{}: {e}", path.display())))?;
            return Self::from_base64(&s);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| SecretBoxError::Key(format!("{}: {e}", dir.display())))?;
        }
        let key: [u8; 32] = random_bytes(32)
            .try_into()
            .map_err(|_| SecretBoxError::Key("rng".into()))?;
        write_private(path, STANDARD.encode(key).as_bytes())
            .map_err(|e| SecretBoxError::Key(format!("{}: {e}", path.display())))?;
        tracing::info!(path = %path.display(), "generated a new key-encryption key");
        Ok(Self { key })
    }

    /// Encrypts `plain`; `context` is bound as associated data (e.g. the key id).
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let iv = random_bytes(12);
        let mut tag = [0u8; 16];
        // AES-256-GCM with a 32-byte key and 12-byte IV cannot fail.
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(&iv),
            context,
            plain,
            &mut tag,
        )
        .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + 12 + ct.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&iv);
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        out
    }

    /// Decrypts what `seal` produced with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, SecretBoxError> {
        if sealed.len() < 1 + 12 + 16 || sealed[0] != VERSION {
            return Err(SecretBoxError::Open);
        }
        let iv = &sealed[1..13];
        let (ct, tag) = sealed[13..].split_at(sealed.len() - 13 - 16);
        decrypt_aead(Cipher::aes_256_gcm(), &self.key, Some(iv), context, ct, tag)
            .map_err(|_| SecretBoxError::Open)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_context_binding() {
        let b = SecretBox::from_key([7u8; 32]);
        let s = b.seal(b"private key", b"kid-1");
        assert_eq!(b.open(&s, b"kid-1").unwrap(), b"private key");
        assert!(b.open(&s, b"kid-2").is_err());
        let other = SecretBox::from_key([8u8; 32]);
        assert!(other.open(&s, b"kid-1").is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir =
            std::env::temp_dir().join(format!("oneid-kek-{}", crate::crypto::random_token(8)));
        let path = dir.join("kek.key");
        let a = SecretBox::load_or_create(&path).unwrap();
        let sealed = a.seal(b"x", b"");
        let b = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(b.open(&sealed, b"").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
