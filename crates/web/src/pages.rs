//! The pages every surface shares, rendered from type-checked askama templates (autoescaped), each
//! sent with the security headers of `http::page_headers`.

use crate::http::page_headers;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::i18n::Text;
use platform::Locale;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    t: &'static Text,
    title: &'a str,
    message: &'a str,
    next: Option<&'static str>,
    reference: Option<&'a str>,
    other_lang_href: Option<String>,
}

pub fn html(body: Result<String, askama::Error>, status: StatusCode) -> Response {
    let mut r = match body {
        Ok(b) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            b,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    };
    page_headers(&mut r);
    r
}

/// An error page: `message`, then what to do next when the message does not say it (a
/// request from an application that is not valid: start again from the application), a
/// link to the home page, and the reference of an internal error.
pub fn error_page(
    locale: Locale,
    message: &str,
    reference: Option<&str>,
    status: StatusCode,
) -> Response {
    let t = locale.text();
    let from_app = [
        t.bad_request,
        t.unknown_client,
        t.bad_redirect_uri,
        t.bad_logout,
    ];
    let next = from_app.contains(&message).then_some(t.error_next);
    render_error(locale, message, next, reference, None, status)
}

/// The one renderer of the error template: "Page not found" for a 404, else the generic title.
fn render_error(
    locale: Locale,
    message: &str,
    next: Option<&'static str>,
    reference: Option<&str>,
    other_lang_href: Option<String>,
    status: StatusCode,
) -> Response {
    let t = locale.text();
    let title = if status == StatusCode::NOT_FOUND {
        t.not_found_title
    } else {
        t.error_title
    };
    html(
        ErrorPage {
            lang: locale.tag(),
            other_lang: locale.other().tag(),
            t,
            title,
            message,
            next,
            reference,
            other_lang_href,
        }
        .render(),
        status,
    )
}

/// The page for an address with nothing at it (404), or that exists for other methods (405,
/// axum adds `Allow`), in the reader's language, with a link home (and, for a 404, to the
/// other language). A client that does not take HTML gets a short JSON answer instead.
fn no_page(
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
    locale: Locale,
    status: StatusCode,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let found = status == StatusCode::NOT_FOUND;
    if !wants_html {
        let error = if found {
            "not_found"
        } else {
            "method_not_allowed"
        };
        let body = serde_json::json!({ "error": error }).to_string();
        return (status, crate::http::json_no_store(body)).into_response();
    }
    let t = locale.text();
    let message = if found { t.not_found } else { t.wrong_method };
    let other = found.then(|| format!("{}?ui_locales={}", uri.path(), locale.other().tag()));
    render_error(locale, message, None, None, other, status)
}

/// Fallback for addresses with nothing at them.
pub async fn not_found(
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    crate::http::PageLocale(locale): crate::http::PageLocale,
) -> Response {
    no_page(&headers, &uri, locale, StatusCode::NOT_FOUND)
}

/// Fallback for addresses that answer other methods.
pub async fn wrong_method(
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    crate::http::PageLocale(locale): crate::http::PageLocale,
) -> Response {
    no_page(&headers, &uri, locale, StatusCode::METHOD_NOT_ALLOWED)
}

/// The browser's tab icon.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../templates/favicon.svg"),
    )
        .into_response()
}

/// The script that marks password rules as met while typing (no inline scripts: the CSP
/// allows only our own files).
pub async fn rules_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../templates/password-rules.js"),
    )
        .into_response()
}

/// The script of the passkey forms (create, step up, sign in).
pub async fn passkey_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../templates/passkey.js"),
    )
        .into_response()
}

/// The common-password list the policy refuses from, for the live check of "not a commonly
/// used password" (public data, the same for everyone: cached like the scripts, never the
/// password typed sent anywhere).
pub async fn common_passwords() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        credential_store::common_passwords(),
    )
        .into_response()
}

/// The stylesheet (no inline styles, so the CSP can forbid them).
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../templates/oneid.css"),
    )
        .into_response()
}
