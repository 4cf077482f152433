//! What frames every page: the logo in the bar and the footer's links (privacy, accessibility,
//! help) and the service desk's number, set by the `[pages]` configuration. One process is
//! one deployment, so the frame is installed once at start-up (`install`) and read by the base
//! template; before any install (unit tests) it is the built-in default.

use platform::Locale;
use serde::Deserialize;
use std::sync::OnceLock;

/// `[pages]`: the frame of every page.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PagesConfig {
    /// The logo shown in the bar: `https://...` or a path of ours; empty shows the product's
    /// name as text only.
    #[serde(default)]
    pub logo_url: String,
    /// The privacy notice.
    #[serde(default = "d_privacy")]
    pub privacy_url: String,
    /// The accessibility statement.
    #[serde(default = "d_accessibility")]
    pub accessibility_url: String,
    /// Help for people who use ONE ID.
    #[serde(default = "d_help")]
    pub help_url: String,
    /// The service desk's telephone number, as people dial it.
    #[serde(default = "d_phone")]
    pub service_desk_phone: String,
}

fn d_privacy() -> String {
    String::new()
}
fn d_accessibility() -> String {
    String::new()
}
fn d_help() -> String {
    "/help".into()
}
fn d_phone() -> String {
    String::new()
}

impl Default for PagesConfig {
    fn default() -> Self {
        Self {
            logo_url: String::new(),
            privacy_url: d_privacy(),
            accessibility_url: d_accessibility(),
            help_url: d_help(),
            service_desk_phone: d_phone(),
        }
    }
}

impl PagesConfig {
    /// Refuses addresses that are neither `https://...` nor one of our paths, and a phone
    /// number with anything but digits, spaces, `+`, `-`, `(`, `)` and `.`.
    pub fn validate(&self) -> Result<(), String> {
        let url_ok = |u: &str| {
            let path = u.starts_with('/') && !u.starts_with("//");
            let https = u.starts_with("https://") && u.len() > "https://".len();
            u.len() <= 500
                && (path || https)
                && !u.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        for (name, u) in [
            ("privacy_url", &self.privacy_url),
            ("accessibility_url", &self.accessibility_url),
            ("help_url", &self.help_url),
        ] {
            if !u.is_empty() && !url_ok(u) {
                return Err(format!(
                    "pages.{name}: {u:?} must be https://... or a path starting with /"
                ));
            }
        }
        if !self.logo_url.is_empty() && !url_ok(&self.logo_url) {
            return Err("pages.logo_url must be https://... or a path starting with /".into());
        }
        let phone_ok = self.service_desk_phone.len() <= 40
            && self
                .service_desk_phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if !phone_ok {
            return Err("pages.service_desk_phone: digits, spaces and + - ( ) . only".into());
        }
        Ok(())
    }
}

static INSTALLED: OnceLock<PagesConfig> = OnceLock::new();

/// Sets the frame for this process (the first install wins: one process, one deployment).
pub fn install(cfg: PagesConfig) {
    if INSTALLED.set(cfg.clone()).is_err() && INSTALLED.get() != Some(&cfg) {
        tracing::warn!("the page frame was already set in this process; the first one stays");
    }
}

fn get() -> &'static PagesConfig {
    static DEFAULT: OnceLock<PagesConfig> = OnceLock::new();
    INSTALLED
        .get()
        .unwrap_or_else(|| DEFAULT.get_or_init(PagesConfig::default))
}

/// The logo's address, when one is set.
pub fn logo() -> Option<&'static str> {
    Some(get().logo_url.as_str()).filter(|s| !s.is_empty())
}

/// The footer's links, in `lang` (a language tag): (address, text).
pub fn links(lang: &str) -> Vec<(&'static str, &'static str)> {
    links_of(get(), lang)
}

fn links_of<'a>(c: &'a PagesConfig, lang: &str) -> Vec<(&'a str, &'static str)> {
    let fr = Locale::parse(lang) == Some(Locale::Fr);
    [
        (
            c.privacy_url.as_str(),
            if fr { "Confidentialité" } else { "Privacy" },
        ),
        (
            c.accessibility_url.as_str(),
            if fr {
                "Accessibilité"
            } else {
                "Accessibility"
            },
        ),
        (c.help_url.as_str(), if fr { "Aide" } else { "Help" }),
    ]
    .into_iter()
    .filter(|(u, _)| !u.is_empty())
    .collect()
}

/// The service desk's number as configured, when one is.
pub fn desk_phone() -> Option<&'static str> {
    let n = get().service_desk_phone.as_str();
    (!n.is_empty()).then_some(n)
}

/// "Service desk: <number>" in `lang`, when a number is set; with the `tel:` address.
pub fn service_desk(lang: &str) -> Option<(String, String)> {
    service_desk_of(get(), lang)
}

fn service_desk_of(c: &PagesConfig, lang: &str) -> Option<(String, String)> {
    if c.service_desk_phone.is_empty() {
        return None;
    }
    let fr = Locale::parse(lang) == Some(Locale::Fr);
    let tel: String = c
        .service_desk_phone
        .chars()
        .filter(|ch| ch.is_ascii_digit() || *ch == '+')
        .collect();
    let label = if fr {
        "Centre de services\u{a0}:"
    } else {
        "Service desk:"
    };
    Some((
        format!("tel:{tel}"),
        format!("{label} {}", c.service_desk_phone),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_must_be_https_or_ours() {
        let mut c = PagesConfig::default();
        assert!(c.validate().is_ok());
        c.privacy_url = "javascript:alert(1)".into();
        assert!(c.validate().unwrap_err().contains("pages.privacy_url"));
        c.privacy_url = "/privacy".into();
        c.logo_url = "//evil.example/logo.png".into();
        assert!(c.validate().is_err());
        c.logo_url = "/static/logo.svg".into();
        c.service_desk_phone = "1-866<script>".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn the_footer_speaks_the_page_language() {
        let c = PagesConfig {
            privacy_url: "/privacy".into(),
            accessibility_url: "https://example.org/a11y".into(),
            service_desk_phone: "1-800-555-0199".into(),
            ..PagesConfig::default()
        };
        let en = links_of(&c, "en");
        assert_eq!(en.len(), 3);
        assert_eq!(en[0], ("/privacy", "Privacy"));
        assert_eq!(links_of(&c, "fr")[1].1, "Accessibilité");
        assert_eq!(links_of(&c, "fr")[2], ("/help", "Aide"));
        let (tel, text) = service_desk_of(&c, "fr").unwrap_or_default();
        assert_eq!(tel, "tel:18005550199");
        assert_eq!(text, "Centre de services\u{a0}: 1-800-555-0199");
        // Unset links and number are left out.
        let bare = PagesConfig::default();
        assert_eq!(links_of(&bare, "en"), vec![("/help", "Help")]);
        assert!(service_desk_of(&bare, "en").is_none());
    }
}
