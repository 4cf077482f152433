//! Encrypted assertions (XML Encryption 1.1): the assertion under a fresh AES-256-GCM key,
//! that key under the SP's RSA encryption certificate with RSA-OAEP (MGF1 with SHA-1, the
//! `rsa-oaep-mgf1p` algorithm every SAML stack supports), the `EncryptedKey` inside the
//! `EncryptedData`'s `KeyInfo`.

use super::xml::{new_id, Writer, DS, SAML, XENC};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use openssl::encrypt::Encrypter;
use openssl::rsa::Padding;
use openssl::symm::{encrypt_aead, Cipher};
use openssl::x509::X509;

/// AES-256-GCM (XML Encryption 1.1).
pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
/// RSA-OAEP with MGF1-SHA1.
pub const RSA_OAEP: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// SHA-1 (the OAEP digest).
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// `saml:EncryptedAssertion` holding `assertion` for the holder of `cert`'s key.
pub fn encrypt_assertion(assertion: &str, cert: &X509) -> Result<String, String> {
    let e = |e: openssl::error::ErrorStack| e.to_string();
    let key = platform::crypto::random_bytes(32);
    let iv = platform::crypto::random_bytes(12);
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        Cipher::aes_256_gcm(),
        &key,
        Some(&iv),
        &[],
        assertion.as_bytes(),
        &mut tag,
    )
    .map_err(e)?;
    // XML Encryption 1.1 §5.2.4: the IV, the ciphertext, then the tag, in one CipherValue.
    let mut data = iv.clone();
    data.extend_from_slice(&ct);
    data.extend_from_slice(&tag);
    let public = cert.public_key().map_err(e)?;
    if public.rsa().is_err() {
        return Err("the encryption certificate is not RSA".into());
    }
    let mut enc = Encrypter::new(&public).map_err(e)?;
    enc.set_rsa_padding(Padding::PKCS1_OAEP).map_err(e)?;
    let mut wrapped = vec![0u8; enc.encrypt_len(&key).map_err(e)?];
    let n = enc.encrypt(&key, &mut wrapped).map_err(e)?;
    wrapped.truncate(n);

    let mut w = Writer::new();
    w.open("saml:EncryptedAssertion", &[("saml", SAML)], &[]);
    w.open(
        "xenc:EncryptedData",
        &[("xenc", XENC)],
        &[
            ("Id", &new_id()),
            ("Type", "http://www.w3.org/2001/04/xmlenc#Element"),
        ],
    );
    w.leaf(
        "xenc:EncryptionMethod",
        &[],
        &[("Algorithm", AES256_GCM)],
        "",
    );
    w.open("ds:KeyInfo", &[("ds", DS)], &[]);
    w.open("xenc:EncryptedKey", &[], &[("Id", &new_id())]);
    w.open("xenc:EncryptionMethod", &[], &[("Algorithm", RSA_OAEP)]);
    w.leaf("ds:DigestMethod", &[], &[("Algorithm", SHA1)], "");
    w.close("xenc:EncryptionMethod");
    w.open("xenc:CipherData", &[], &[]);
    w.leaf("xenc:CipherValue", &[], &[], &STANDARD.encode(wrapped));
    w.close("xenc:CipherData");
    w.close("xenc:EncryptedKey");
    w.close("ds:KeyInfo");
    w.open("xenc:CipherData", &[], &[]);
    w.leaf("xenc:CipherValue", &[], &[], &STANDARD.encode(data));
    w.close("xenc:CipherData");
    w.close("xenc:EncryptedData");
    w.close("saml:EncryptedAssertion");
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dsig::tests::test_key;
    use openssl::encrypt::Decrypter;
    use openssl::symm::decrypt_aead;

    #[test]
    fn an_encrypted_assertion_opens_with_the_sp_key() {
        let sp = test_key();
        let x = encrypt_assertion("<saml:Assertion>secret</saml:Assertion>", &sp.cert).unwrap();
        assert!(!x.contains("secret"));
        let values: Vec<&str> = x
            .split("<xenc:CipherValue>")
            .skip(1)
            .map(|s| s.split('<').next().unwrap())
            .collect();
        let wrapped = STANDARD.decode(values[0]).unwrap();
        let mut d = Decrypter::new(&sp.key).unwrap();
        d.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
        let mut key = vec![0u8; d.decrypt_len(&wrapped).unwrap()];
        let n = d.decrypt(&wrapped, &mut key).unwrap();
        key.truncate(n);
        let data = STANDARD.decode(values[1]).unwrap();
        let (iv, rest) = data.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let plain = decrypt_aead(Cipher::aes_256_gcm(), &key, Some(iv), &[], ct, tag).unwrap();
        assert_eq!(plain, b"<saml:Assertion>secret</saml:Assertion>");
    }
}
