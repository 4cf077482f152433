//! The identity provider's web surface: discovery, JWKS, the authorization endpoint with its
//! login page, the token, userinfo, introspection and revocation endpoints, RP-initiated
//! logout, the step-up pages and the SAML endpoints, over the protocol core
//! (`authorization_server`).
//!
//! Served with `router`.

pub mod account;

pub mod admin;
pub mod admin_api;
pub mod admin_console;
mod admin_text;
pub mod desk;

pub mod forgot;

mod client_auth;
mod routes;

pub mod lra;
mod lra_text;

mod pages;
pub mod registries_api;
pub mod saml;

pub mod signup;
mod signup_text;
pub mod stepup;

pub mod authorize;
pub mod logout;
pub mod token_endpoint;
pub mod userinfo;

pub use routes::{admin_router, document_fast_path, router};
