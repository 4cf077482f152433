//! End-to-end tests: one binary, a module per area, every test on the backend the environment
//! selects (SQLite + in-process, or PostgreSQL + Redis).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin_api;
mod admin_console;
mod adversarial;
mod agreement;
mod cli;
mod client_assertion;
mod closing;
mod consent;
mod device;
mod discovery;
mod dpop;
mod fapi2;
mod flows;
mod gate;
mod gateway;
mod keys;
mod logout_fanout;
mod lra;
mod mtls;
mod page_sweep;
mod pages;
mod pairwise;
mod par;
mod passkeys;
mod password_marks;
mod production;
mod registration;
mod registries_admin;
mod request_object;
mod resources;
mod retention;
mod saml;
mod saml_admin;
mod saml_browser;
mod saml_context;
mod saml_lax;
mod saml_slo;
mod smart_launch;
mod stepup;
mod tokens;
mod two_nodes;
mod viewers;
