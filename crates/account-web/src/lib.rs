//! The person-facing pages behind and around a sign-in, over the protocol core and the rule
//! crates: My Profile (`account`), the forgotten login ID and password pages (`forgot`), the
//! self-registration wizard (`signup`), the service desk (`desk`) and the registration
//! authority's console (`lra`).
//!
//! It hands off to the identity provider's pages by URL only: a sign-in is parked as a ticket
//! (`authorization_server::ticket`) and the browser sent to `/login?request=…`; a step-up
//! starts with the challenge's first page (`web::challenge`), whose form posts to `/stepup`.

pub mod account;
pub mod desk;
pub mod forgot;
pub mod home;
pub mod lra;
mod lra_text;
pub mod signup;
mod signup_text;

use authorization_server::Provider;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The routes of these pages.
pub fn routes() -> Router<Arc<Provider>> {
    Router::new()
        .route(
            "/account",
            get(account::profile).post(account::profile_post),
        )
        .route(
            "/account/password",
            get(account::password).post(account::password_post),
        )
        .route(
            "/account/security",
            get(account::security).post(account::security_post),
        )
        .route("/account/totp", get(account::totp).post(account::totp_post))
        .route(
            "/account/passkeys",
            get(account::passkeys).post(account::passkeys_post),
        )
        .route(
            "/account/close",
            get(account::close).post(account::close_post),
        )
        .route(
            "/account/devices",
            get(account::devices).post(account::devices_post),
        )
        .route("/account/apps", get(account::apps).post(account::apps_post))
        .route(
            "/forgot-login-id",
            get(forgot::login_id).post(forgot::login_id_post),
        )
        .route(
            "/forgot-password",
            get(forgot::password).post(forgot::password_post),
        )
        .route("/", get(home::home))
        .route("/help", get(home::help))
        .route(
            "/register",
            get(home::register_directly).post(signup::start),
        )
        .route("/register/welcome", get(signup::welcome))
        .route("/register/link", get(signup::link))
        .route("/register/hold", post(signup::hold))
        .route("/register/{step}", get(signup::show).post(signup::submit))
        .route("/desk", get(desk::search).post(desk::search_post))
        .route("/desk/account", get(desk::account).post(desk::account_post))
        .merge(lra::router())
}
