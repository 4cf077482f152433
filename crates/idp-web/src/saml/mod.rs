//! The SAML 2.0 identity provider (Web Browser SSO profile and Single Logout), serving
//! service providers from the same accounts, SSO session, step-up and gate as the OpenID
//! Connect provider: a person signed in through either reaches the other without signing in
//! again, and logging out of either ends both.
//!
//! - `metadata`: the IdP's metadata at `/saml/metadata` (signed, cacheable).
//! - `sso`: `AuthnRequest` by HTTP-Redirect or HTTP-POST at `/saml/sso` and IdP-initiated SSO
//!   at `/saml/idp-initiated`, checked; `answer`: from the session, the step-up or the login
//!   page (`/saml/continue`), the gate, then the assertion by HTTP-POST.
//! - `slo`: `LogoutRequest` / `LogoutResponse` at `/saml/slo`; `propagate`: logout carried
//!   to the session's other service providers.
//! - `bounce`: HTTP-POST requests that came without the (SameSite=Lax) session cookie.
//!
//! What is not HTTP lives in the protocol core, `authorization_server::saml`, and is imported
//! from there by name: `context` (the requested authentication context on the acr ladder),
//! `sps` (the service-provider registry and its administration, `sps::admin`, which `admin_web::saml_api` serves), `request` /
//! `response` (reading and writing the messages), `xml`, `c14n`, `dsig`, `encrypt` (the XML
//! underneath) and `keys` (the IdP's signing keys).

pub mod answer;
mod bounce;
pub mod metadata;
mod pages;
pub mod propagate;
pub mod slo;
pub mod sso;
mod text;

use authorization_server::Provider;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The SAML routes.
pub fn router() -> Router<Arc<Provider>> {
    Router::new()
        .route("/saml/metadata", get(metadata::get))
        .route("/saml/sso", get(sso::get).post(sso::post))
        .route("/saml/continue", get(answer::resume))
        .route("/saml/idp-initiated", get(sso::idp_initiated))
        .route("/saml/slo", get(slo::get).post(slo::post))
        .route("/saml/slo/frame", get(propagate::frame))
        .route("/static/saml-post.js", get(pages::script))
}
