//! Errors as the client sees them: OAuth errors as RFC 6749 JSON with the right status (and
//! `WWW-Authenticate` on 401), people's errors as a page in their language, internal errors as
//! a generic answer logged once under the request's id (the reference the page shows). No sqlx
//! or OpenSSL text leaves here.
//!
//! Handlers return [`Result<Response, WebError>`](WebResult) and use `?`: `.or_page(locale)?`
//! and `.or_oauth()?` turn any internal failure into the generic answer, `PageError` and
//! `OAuthError` convert on their own, and an answer decided early (a redirect to sign in, a
//! step-up page, from `signed_in::me`) passes through as `WebError::Answer`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::i18n::Text;
use platform::Locale;

/// An OAuth 2.0 / OIDC error answered as JSON.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    challenge: Option<&'static str>,
    retry_after: Option<i64>,
}

impl OAuthError {
    /// `invalid_request` (400).
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    /// `invalid_grant` (400).
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    /// `invalid_scope` (400).
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    /// `unauthorized_client` (400).
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }
    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    /// Any other error code of a request refused as a whole (400), e.g. those of the
    /// authorization request's checks at the pushed authorization request endpoint.
    pub fn refused(error: &'static str, d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, d)
    }
    /// `invalid_client` (401), with a Basic challenge when the client used Basic.
    pub fn invalid_client(basic: bool) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
        if basic {
            e.challenge = Some("Basic realm=\"oneid\", charset=\"UTF-8\"");
        }
        e
    }
    /// `invalid_token` (401) for a bearer-protected resource (RFC 6750).
    pub fn invalid_token(d: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", d);
        e.challenge = Some("Bearer realm=\"oneid\", error=\"invalid_token\"");
        e
    }
    /// `insufficient_scope` (403) for a bearer-protected resource (RFC 6750).
    pub fn insufficient_scope(scope: &'static str) -> Self {
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("the access token needs the {scope} scope"),
        );
        e.challenge = Some("Bearer realm=\"oneid\", error=\"insufficient_scope\"");
        e
    }
    /// `server_error` (500); the cause is logged under the request id, never returned.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = logged(&cause);
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("internal error (reference {id})"),
        )
    }
    /// `temporarily_unavailable` (503): a store the request needs is down.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the service is temporarily unavailable, try again shortly",
        )
    }
    /// `429` with `Retry-After`: a rate limit was passed.
    pub fn too_many(retry_after: i64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many requests, retry later",
        );
        e.retry_after = Some(retry_after);
        e
    }
    fn new(status: StatusCode, error: &'static str, d: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: d.into(),
            challenge: None,
            retry_after: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body =
            serde_json::json!({ "error": self.error, "error_description": self.description });
        let mut r = (self.status, crate::http::json_no_store(body.to_string())).into_response();
        if let Some(c) = self.challenge {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
        if let Some(v) = self
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// An error shown to a person as a page.
#[derive(Debug)]
pub struct PageError {
    /// Language of the page.
    pub locale: Locale,
    /// HTTP status.
    pub status: StatusCode,
    /// Which message.
    pub message: fn(&Text) -> &'static str,
    /// Correlation id for internal errors.
    pub reference: Option<String>,
}

impl PageError {
    /// A 400 page with `message`.
    pub fn bad(locale: Locale, message: fn(&Text) -> &'static str) -> Self {
        Self {
            locale,
            status: StatusCode::BAD_REQUEST,
            message,
            reference: None,
        }
    }
    /// A 500 page; the cause is logged under the request id, which the page shows.
    pub fn internal(locale: Locale, cause: impl std::fmt::Display) -> Self {
        let id = logged(&cause);
        Self {
            locale,
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: |t| t.internal_error,
            reference: Some(id),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let t = self.locale.text();
        crate::pages::error_page(
            self.locale,
            (self.message)(t),
            self.reference.as_deref(),
            self.status,
        )
    }
}

tokio::task_local! {
    /// The id of the request being answered (set by `metrics::track` around every handler).
    pub static REQUEST_ID: String;
}

/// Logs an internal failure once and returns the reference to show: the request's id (it is
/// on the request's span and in its `X-Request-Id`), or a fresh one outside a request.
fn logged(cause: &dyn std::fmt::Display) -> String {
    let id = REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| platform::crypto::random_token(6));
    tracing::error!(reference = %id, error = %cause, "internal error");
    id
}

/// The one error a web handler returns; `?` turns each kind into its answer.
#[derive(Debug)]
pub enum WebError {
    /// A page in the person's language.
    Page(PageError),
    /// An OAuth JSON error.
    OAuth(OAuthError),
    /// An answer decided before the handler's own work: a redirect to sign in, a step-up
    /// page, a form shown again with its errors (boxed: a response is large, errors are
    /// passed by value).
    Answer(Box<Response>),
}

impl WebError {
    /// An answer decided early (see `WebError::Answer`).
    pub fn answer(r: Response) -> Self {
        WebError::Answer(Box::new(r))
    }
}

/// What a web handler returns.
pub type WebResult = Result<Response, WebError>;

impl From<PageError> for WebError {
    fn from(e: PageError) -> Self {
        WebError::Page(e)
    }
}

impl From<OAuthError> for WebError {
    fn from(e: OAuthError) -> Self {
        WebError::OAuth(e)
    }
}

impl From<Response> for WebError {
    fn from(r: Response) -> Self {
        WebError::Answer(Box::new(r))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Page(e) => e.into_response(),
            WebError::OAuth(e) => e.into_response(),
            WebError::Answer(r) => *r,
        }
    }
}

/// `?` for internal failures on a page: the generic error page in `locale`, logged once.
pub trait OrPage<T> {
    /// The value, or the internal-error page.
    fn or_page(self, locale: Locale) -> Result<T, PageError>;
}

impl<T, E: std::fmt::Display> OrPage<T> for Result<T, E> {
    fn or_page(self, locale: Locale) -> Result<T, PageError> {
        self.map_err(|e| PageError::internal(locale, e))
    }
}

/// `?` for internal failures on an OAuth endpoint: `server_error`, logged once.
pub trait OrOAuth<T> {
    /// The value, or `server_error`.
    fn or_oauth(self) -> Result<T, OAuthError>;
}

impl<T, E: std::fmt::Display> OrOAuth<T> for Result<T, E> {
    fn or_oauth(self) -> Result<T, OAuthError> {
        self.map_err(OAuthError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_internal_error_shows_the_request_id_it_was_logged_under() {
        let e = REQUEST_ID
            .scope("req-42".to_owned(), async {
                Err::<(), _>("db gone").or_page(Locale::Fr).unwrap_err()
            })
            .await;
        assert_eq!(e.reference.as_deref(), Some("req-42"));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        let outside = Err::<(), _>("db gone").or_page(Locale::En).unwrap_err();
        assert_eq!(outside.reference.as_deref().map(str::len), Some(8));
    }

    #[test]
    fn every_kind_becomes_its_answer() {
        let r = WebError::from(OAuthError::invalid_grant("x")).into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = WebError::from(PageError::bad(Locale::En, |t| t.bad_request)).into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let early = crate::http::see_other("/login");
        let r = WebError::from(early).into_response();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}
