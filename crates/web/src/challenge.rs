//! The step-up challenge's state and its first page, which every surface starts: the sign-in
//! (`idp-web`), a sensitive change on My Profile (`account-web`) and staff work (`account-web`,
//! `admin-web`). A challenge is parked in the ephemeral store under a random token; the page's
//! form posts to `/stepup` (`idp-web`), which checks the answer and completes what was waiting.
//! The methods: a code by text message or voice call, two of the online challenge questions,
//! or a TOTP code.

use crate::account_text::AccountText;
use crate::error::{OrPage, PageError, WebError};

use authorization_server::Provider;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use credential_store::Account;
use platform::Locale;

mod page;

pub use page::{method_label, page};

pub use authorization_server::challenge::{key_of, load, pending_key, save, Method, Pending};

/// The methods the account can use, in the order offered: codes to phones (text to mobiles,
/// calls to any phone), TOTP, then the online questions (the fallback with no phone or with
/// "no direct number").
pub async fn methods_of(p: &Provider, account: &Account) -> Result<Vec<Method>, WebError> {
    let locale = Locale::parse(&account.locale).unwrap_or_default();
    let m = authorization_server::challenge::methods(p, account)
        .await
        .or_page(locale)?;
    Ok(m)
}

/// Starts a challenge and shows the choice of methods.
pub async fn begin(p: &Provider, headers: &HeaderMap, pending: Pending) -> Response {
    match authorization_server::challenge::park(p, &pending).await {
        Ok(token) => page(p, headers, &token, &pending, None, StatusCode::OK).await,
        Err(e) => PageError::internal(pending.locale, e).into_response(),
    }
}
