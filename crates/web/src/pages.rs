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
    t: &'static Text,
    message: &'a str,
    reference: Option<&'a str>,
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

/// An error page.
pub fn error_page(
    locale: Locale,
    message: &str,
    reference: Option<&str>,
    status: StatusCode,
) -> Response {
    html(
        ErrorPage {
            lang: locale.tag(),
            t: locale.text(),
            message,
            reference,
        }
        .render(),
        status,
    )
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
