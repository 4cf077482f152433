//! Rate limits as people meet them: the counting is the protocol core's
//! (`authorization_server::limits`); a person over a limit gets a page saying how long to wait
//! (429 with `Retry-After`).

use crate::account_text::AccountText;
use crate::forms::View;
use authorization_server::Provider;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use platform::Locale;

pub use authorization_server::limits::{over, retry_after};

/// The page for a person over a limit.
pub fn too_many(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let a = AccountText::get(locale);
    let secs = retry_after(p);
    let minutes = (secs + 59) / 60;
    let v = View {
        title: a.too_many_title.into(),
        intro: vec![a.too_many_text.replace("{}", &minutes.to_string())],
        ..View::default()
    };
    let mut r = crate::widgets::send(p, headers, locale, &v, StatusCode::TOO_MANY_REQUESTS);
    if let Ok(h) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, h);
    }
    r
}
