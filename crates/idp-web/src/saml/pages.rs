//! The one page SAML adds: the HTTP-POST binding's form, carrying a `SAMLResponse` or a
//! `SAMLRequest` to the service provider, sent on by our own script when the page loads
//! (the CSP allows no inline script) or by its Continue button. It may also hold the
//! logout frames of a session's other parties.

use super::text::SamlText;
use crate::pages::{frame_sources, LogoutFrame};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::i18n::Text;
use platform::Locale;
use web::pages::html;

#[derive(Template)]
#[template(path = "saml_post.html")]
struct PostPage<'a> {
    lang: &'static str,
    t: &'static Text,
    title: String,
    messages: &'a [String],
    action: &'a str,
    field: &'a str,
    value: &'a str,
    relay_state: Option<&'a str>,
    auto: bool,
    noscript: &'static str,
    button: String,
    frames: Vec<(&'a str, bool)>,
}

/// What the POST page carries.
#[derive(Debug)]
pub struct Post<'a> {
    /// Language.
    pub locale: Locale,
    /// The SP's name (title).
    pub sp_name: &'a str,
    /// Another title (e.g. a refusal's).
    pub title: Option<String>,
    /// Another button text.
    pub button: Option<String>,
    /// Paragraphs above the button (e.g. why access was refused).
    pub messages: Vec<String>,
    /// The SP's endpoint.
    pub action: &'a str,
    /// `SAMLResponse` or `SAMLRequest`.
    pub field: &'a str,
    /// The base64 message.
    pub value: &'a str,
    /// RelayState.
    pub relay_state: Option<&'a str>,
    /// Sent on by script at once (else the person selects Continue).
    pub auto: bool,
    /// Logout frames to load first.
    pub frames: &'a [LogoutFrame],
    /// HTTP status.
    pub status: StatusCode,
    /// Shown inside one of our own logout frames (else never framed).
    pub framed: bool,
}

fn origin(u: &str) -> Option<String> {
    url::Url::parse(u)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

/// Renders the POST page with a CSP that lets the form go to the SP only, runs only our
/// script, and frames only the logout frames' origins.
pub fn post_page(p: &Post<'_>) -> Response {
    let s = SamlText::get(p.locale);
    let mut r = html(
        PostPage {
            lang: p.locale.tag(),
            t: p.locale.text(),
            title: p
                .title
                .clone()
                .unwrap_or_else(|| s.post_title.replace("{sp}", p.sp_name)),
            messages: &p.messages,
            action: p.action,
            field: p.field,
            value: p.value,
            relay_state: p.relay_state,
            auto: p.auto,
            noscript: s.noscript,
            button: p.button.clone().unwrap_or_else(|| s.post_button.to_owned()),
            frames: p
                .frames
                .iter()
                .map(|f| (f.src.as_str(), f.relays))
                .collect(),
        }
        .render(),
        p.status,
    );
    let mut csp = String::from("default-src 'none'; style-src 'self'; img-src 'self'");
    if p.auto {
        csp.push_str("; script-src 'self'");
    }
    if let Some(o) = origin(p.action) {
        csp.push_str("; form-action ");
        csp.push_str(&o);
        if p.framed {
            // Inside a logout frame the SP may answer by redirecting back to us, and a form's
            // redirects are held to form-action too.
            csp.push_str(" 'self'");
        }
    }
    if !p.frames.is_empty() {
        csp.push_str("; frame-src ");
        csp.push_str(&frame_sources(p.frames));
    }
    csp.push_str(if p.framed {
        "; base-uri 'none'; frame-ancestors 'self'"
    } else {
        "; base-uri 'none'; frame-ancestors 'none'"
    });
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if p.framed {
        r.headers_mut().remove(header::X_FRAME_OPTIONS);
    }
    r
}

/// GET /static/saml-post.js
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/saml-post.js"),
    )
        .into_response()
}
