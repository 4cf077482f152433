//! The identity provider's web surface, over the protocol core (`authorization_server`):
//! discovery and JWKS, the authorization endpoint with its login page, step-up, the token,
//! userinfo, introspection and revocation endpoints, RP-initiated logout, and the SAML
//! endpoints.
//!
//! `routes()` and `documents()` are merged with the other surfaces by the binary
//! (`web::app::assemble`); `document_fast_path` answers the polled documents before the router.

pub mod authorize;
mod client_auth;
mod device;
mod dpop_http;
pub mod logout;
mod pages;
mod par_endpoint;
mod routes;
pub mod saml;
pub mod smart_launch;
pub mod stepup;
pub mod token_endpoint;
pub mod userinfo;

pub use routes::{document_fast_path, documents, routes};
