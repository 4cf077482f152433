//! Recognized devices: a browser that passed a challenge for an account carries a long-lived
//! random device cookie; the account keeps a record of it (first and last seen, a browser
//! summary, a coarse network) until the trust period ends or someone revokes it. The cookie is
//! 256 random bits looked up by its SHA-256 digest: it cannot be forged or guessed, a stolen
//! database does not reveal it, and revoking the record ends it at once.

use platform::crypto::{random_token, sha256_b64};
use platform::{Db, DbError, SharedClock};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A device record.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    /// Identifier (for revoking).
    pub id: String,
    /// Browser summary, e.g. "Chrome on Windows".
    pub browser: String,
    /// Coarse network, e.g. "203.0.113.0/24".
    pub network: String,
    /// First seen, unix seconds.
    pub created_at: i64,
    /// Last seen, unix seconds.
    pub last_seen_at: i64,
    /// Trusted until, unix seconds.
    pub trusted_until: i64,
    /// When revoked, if it was.
    pub revoked_at: Option<i64>,
}

impl Device {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.try_get("id")?,
            browser: r.try_get("browser")?,
            network: r.try_get("network")?,
            created_at: r.try_get("created_at")?,
            last_seen_at: r.try_get("last_seen_at")?,
            trusted_until: r.try_get("trusted_until")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    }

    /// Recognized at `now`.
    pub fn trusted(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.trusted_until > now
    }
}

const COLUMNS: &str = "id, browser, network, created_at, last_seen_at, trusted_until, revoked_at";

/// The device records.
#[derive(Debug, Clone)]
pub struct Devices {
    db: Db,
    clock: SharedClock,
}

impl Devices {
    /// Devices stored in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// A new device cookie value.
    pub fn new_token() -> String {
        random_token(32)
    }

    /// The trusted device record of this browser for this account, if any; its last-seen time
    /// moves to now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn recognize(
        &self,
        account_id: &str,
        token: Option<&str>,
    ) -> Result<Option<Device>, DbError> {
        let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM devices WHERE token_hash = $1 AND account_id = $2"
        ))
        .bind(sha256_b64(token.as_bytes()))
        .bind(account_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(d) = row.as_ref().map(Device::from_row).transpose()? else {
            return Ok(None);
        };
        if !d.trusted(now) {
            return Ok(None);
        }
        sqlx::query("UPDATE devices SET last_seen_at = $2 WHERE id = $1")
            .bind(&d.id)
            .bind(now)
            .execute(self.db.pool())
            .await?;
        Ok(Some(d))
    }

    /// Remembers this browser for this account for `trust_secs` (a new record, or the old one
    /// refreshed and trusted again).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remember(
        &self,
        account_id: &str,
        token: &str,
        browser: &str,
        network: &str,
        trust_secs: i64,
    ) -> Result<(), DbError> {
        let now = self.clock.now();
        let hash = sha256_b64(token.as_bytes());
        let updated = sqlx::query(
            "UPDATE devices SET last_seen_at = $3, trusted_until = $4, revoked_at = NULL, \
             browser = $5, network = $6 WHERE token_hash = $1 AND account_id = $2",
        )
        .bind(&hash)
        .bind(account_id)
        .bind(now)
        .bind(now + trust_secs)
        .bind(browser)
        .bind(network)
        .execute(self.db.pool())
        .await?;
        if updated.rows_affected() > 0 {
            return Ok(());
        }
        let r = sqlx::query(
            "INSERT INTO devices (id, account_id, token_hash, browser, network, created_at, \
             last_seen_at, trusted_until) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        )
        .bind(random_token(12))
        .bind(account_id)
        .bind(&hash)
        .bind(browser)
        .bind(network)
        .bind(now)
        .bind(now + trust_secs)
        .execute(self.db.pool())
        .await
        .map_err(DbError::from);
        match r {
            Err(e) if e.is_unique_violation() => Ok(()), // a concurrent remember won
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }

    /// The account's devices, most recently seen first (revoked and expired ones included).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self, account_id: &str) -> Result<Vec<Device>, DbError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM devices WHERE account_id = $1 ORDER BY last_seen_at DESC"
        ))
        .bind(account_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(Device::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Revokes one of the account's devices; false if there is no such device.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke(&self, account_id: &str, device_id: &str) -> Result<bool, DbError> {
        let r = sqlx::query(
            "UPDATE devices SET revoked_at = $3 WHERE id = $1 AND account_id = $2 \
             AND revoked_at IS NULL",
        )
        .bind(device_id)
        .bind(account_id)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Revokes every device of the account; returns how many.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_all(&self, account_id: &str) -> Result<u64, DbError> {
        let r = sqlx::query(
            "UPDATE devices SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        )
        .bind(account_id)
        .bind(self.clock.now())
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected())
    }
}

/// "Chrome on Windows", "Firefox on Linux", ... from a User-Agent (a summary for people, not
/// an identifier).
pub fn browser_summary(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("HeadlessChrome") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let os = if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        "unknown system"
    };
    format!("{browser} on {os}")
}

/// A stored summary ("Chrome on Linux") in `locale`: the browser's and system's names stay,
/// the words around them are translated.
pub fn browser_summary_in(summary: &str, locale: platform::Locale) -> String {
    match locale {
        platform::Locale::En => summary.to_owned(),
        platform::Locale::Fr => summary
            .replacen("Browser on ", "Navigateur sous ", 1)
            .replacen(" on ", " sous ", 1)
            .replace("unknown system", "système inconnu"),
    }
}

/// The network of an address, coarsely: IPv4 /24, IPv6 /48 ("" stays "unknown").
pub fn coarse_network(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            let o = a.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Ok(std::net::IpAddr::V6(a)) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Err(_) => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_in_french() {
        let fr = platform::Locale::Fr;
        assert_eq!(
            browser_summary_in("Chrome on Linux", fr),
            "Chrome sous Linux"
        );
        assert_eq!(
            browser_summary_in("Browser on unknown system", fr),
            "Navigateur sous système inconnu"
        );
        assert_eq!(
            browser_summary_in("Chrome on Linux", platform::Locale::En),
            "Chrome on Linux"
        );
    }

    #[test]
    fn summaries_are_coarse() {
        assert_eq!(
            browser_summary(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/120.0.0.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(
            browser_summary(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
            ),
            "Firefox on Windows"
        );
        assert_eq!(coarse_network("203.0.113.77"), "203.0.113.0/24");
        assert_eq!(coarse_network("2001:db8:aa:bb::1"), "2001:db8:aa::/48");
        assert_eq!(coarse_network(""), "unknown");
    }
}
