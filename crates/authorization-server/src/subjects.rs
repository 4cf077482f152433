//! Subject identifiers (OIDC Core §8): `public`, the account id, the same at every relying
//! party; or `pairwise`, one per sector, so that relying parties of different operators cannot
//! join their records on `sub` while one operator's applications, registered in one sector,
//! still can.
//!
//! A client's sector is the host of its `sector_identifier_uri`, or, without one, the single
//! host of all its redirect URIs. A `sector_identifier_uri` is fetched when the client is
//! registered (https, or plain http on loopback; no redirects; at most
//! [`MAX_SECTOR_DOCUMENT_BYTES`]) and must list every redirect URI of the client (OIDC
//! Registration §5), so no one can put a client in a sector whose owner did not list it.
//!
//! A pairwise subject is `base64url(HMAC-SHA-256(k, sector ‖ 0 ‖ account id))` under a key
//! derived from the key-encryption key: every node computes the same value without a lookup,
//! no one without the key can link two sectors' subjects, and it never changes while the
//! deployment keeps its key-encryption key (which also seals the signing keys). Each pairwise
//! subject issued is recorded (`pairwise_subjects`) so that a `sub` a relying party presents
//! (an `id_token_hint`, an access token at userinfo) leads back to its account; the record is
//! the only way back.

use crate::{Client, Provider};
use platform::crypto::b64url;
use platform::DbError;
use sqlx::Row;

/// The subject types a client may have, as discovery lists them.
pub const SUBJECT_TYPES: [&str; 2] = ["public", "pairwise"];

/// The largest sector identifier document fetched, bytes.
pub const MAX_SECTOR_DOCUMENT_BYTES: usize = 64 * 1024;

/// The subject `client` knows the account `account_id` by.
pub fn subject(p: &Provider, client: &Client, account_id: &str) -> String {
    match &client.sector {
        Some(sector) => pairwise(p, sector, account_id),
        None => account_id.to_owned(),
    }
}

fn pairwise(p: &Provider, sector: &str, account_id: &str) -> String {
    let mut data = Vec::with_capacity(sector.len() + 1 + account_id.len());
    data.extend_from_slice(sector.as_bytes());
    data.push(0);
    data.extend_from_slice(account_id.as_bytes());
    b64url(&p.keys.mac("pairwise-subject", &data))
}

/// The subject `client` knows the account by, recorded so it leads back to the account
/// (a write only for a pairwise client, and only the first time).
pub async fn issue(p: &Provider, client: &Client, account_id: &str) -> Result<String, DbError> {
    let sub = subject(p, client, account_id);
    if let Some(sector) = &client.sector {
        sqlx::query(
            "INSERT INTO pairwise_subjects (sector, sub, account_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(sector)
        .bind(&sub)
        .bind(account_id)
        .bind(p.clock.now())
        .execute(p.db.pool())
        .await?;
    }
    Ok(sub)
}

/// The account that `client` knows by `sub`, if any.
pub async fn account_of(
    p: &Provider,
    client: &Client,
    sub: &str,
) -> Result<Option<String>, DbError> {
    let Some(sector) = &client.sector else {
        return Ok(Some(sub.to_owned()));
    };
    let row =
        sqlx::query("SELECT account_id FROM pairwise_subjects WHERE sector = $1 AND sub = $2")
            .bind(sector)
            .bind(sub)
            .fetch_optional(p.db.pool())
            .await?;
    Ok(row.map(|r| r.get::<String, _>("account_id")))
}

/// The account that the client `client_id` knows by `sub` (`None`: no such client, or no
/// account it knows by that subject).
pub async fn account_of_client_id(
    p: &Provider,
    client_id: &str,
    sub: &str,
) -> Result<Option<String>, crate::clients::ClientError> {
    match p.clients.get(client_id).await? {
        Some(c) => Ok(account_of(p, &c, sub).await?),
        None => Ok(None),
    }
}

/// The sector of a pairwise client, or why it has none: the host of `sector_identifier_uri`
/// (whose document `fetch` returns, and which must list every one of `redirect_uris`), or the
/// one host all `redirect_uris` share.
pub async fn sector_of<F, Fut>(
    sector_identifier_uri: Option<&str>,
    redirect_uris: &[String],
    fetch: F,
) -> Result<String, String>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    // The sector is proven by the redirect URIs the sector's owner lists: a client with none
    // could claim any sector.
    if redirect_uris.is_empty() {
        return Err("a pairwise client needs redirect URIs (its sector is proven by them)".into());
    }
    if let Some(uri) = sector_identifier_uri {
        let u = url::Url::parse(uri)
            .map_err(|_| format!("sector_identifier_uri {uri:?} is not an absolute URL"))?;
        if !crate::saml::sp_metadata::trusted_source(&u) {
            return Err("sector_identifier_uri must be https (plain http only on loopback)".into());
        }
        let host = u
            .host_str()
            .ok_or("sector_identifier_uri has no host")?
            .to_ascii_lowercase();
        let text = fetch(uri.to_owned())
            .await
            .map_err(|e| format!("sector_identifier_uri {uri} could not be read: {e}"))?;
        let listed: Vec<String> = serde_json::from_str(&text).map_err(|_| {
            format!("sector_identifier_uri {uri} is not a JSON array of redirect URIs")
        })?;
        if let Some(missing) = redirect_uris.iter().find(|r| !listed.contains(r)) {
            return Err(format!(
                "sector_identifier_uri {uri} does not list the redirect URI {missing}"
            ));
        }
        return Ok(host);
    }
    let mut hosts = redirect_uris.iter().map(|r| {
        url::Url::parse(r)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    });
    match hosts.next() {
        Some(Some(first)) if hosts.all(|h| h.as_deref() == Some(first.as_str())) => Ok(first),
        _ => Err(
            "a pairwise client whose redirect URIs are not all on one host needs a \
             sector_identifier_uri"
                .into(),
        ),
    }
}

/// Reads a sector identifier document with `http` (a client that follows no redirect and
/// times out), at most [`MAX_SECTOR_DOCUMENT_BYTES`].
pub async fn fetch_sector_document(http: &reqwest::Client, uri: String) -> Result<String, String> {
    let mut r = http.get(&uri).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("HTTP {}", r.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_SECTOR_DOCUMENT_BYTES {
            return Err(format!("larger than {MAX_SECTOR_DOCUMENT_BYTES} bytes"));
        }
    }
    String::from_utf8(body).map_err(|_| "not UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    async fn never(_: String) -> Result<String, String> {
        Err("not fetched".into())
    }

    #[tokio::test]
    async fn the_sector_is_the_one_host_of_the_redirect_uris() {
        let one = uris(&[
            "https://viewer.example/cb",
            "https://Viewer.example:8443/other",
        ]);
        assert_eq!(
            sector_of(None, &one, never).await.unwrap(),
            "viewer.example"
        );
        let two = uris(&["https://a.example/cb", "https://b.example/cb"]);
        assert!(sector_of(None, &two, never).await.is_err());
        let native = uris(&["ca.on.app:/cb"]);
        assert!(sector_of(None, &native, never).await.is_err());
    }

    #[tokio::test]
    async fn a_sector_identifier_document_must_list_every_redirect_uri() {
        let two = uris(&["https://a.example/cb", "https://b.example/cb"]);
        let doc = r#"["https://a.example/cb", "https://b.example/cb", "https://c.example/cb"]"#;
        let got = sector_of(Some("https://sector.example/s.json"), &two, |_| async {
            Ok(doc.to_owned())
        })
        .await;
        assert_eq!(got.unwrap(), "sector.example");
        let short = r#"["https://a.example/cb"]"#;
        let got = sector_of(Some("https://sector.example/s.json"), &two, |_| async {
            Ok(short.to_owned())
        })
        .await;
        assert!(got.unwrap_err().contains("https://b.example/cb"));
        let got = sector_of(Some("http://sector.example/s.json"), &two, |_| async {
            Ok(doc.to_owned())
        })
        .await;
        assert!(got.unwrap_err().contains("https"));
        let got = sector_of(Some("https://sector.example/s.json"), &two, |_| async {
            Ok(r#"{"redirect_uris": []}"#.to_owned())
        })
        .await;
        assert!(got.unwrap_err().contains("JSON array"));
    }
}
