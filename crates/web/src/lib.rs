//! What every web surface (`idp-web`, `account-web`, `admin-web`) shares: request plumbing
//! (`http`), one error type for pages and one for OAuth answers (`error`), page rendering and
//! the base templates (`pages`, `forms`), rate limits (`limits`), request metrics and ids
//! (`metrics`), the SSO session's cookie (`session`) and the texts the surfaces share
//! (`account_text`), and the assembly of the surfaces into one application (`app`).

// The base template names this crate's functions by their absolute path, whichever crate
// renders it.
extern crate self as web;

pub mod account_text;
pub mod app;
pub mod challenge;
pub mod chrome;
pub mod error;
pub mod forms;
pub mod gate_text;
pub mod http;
pub mod limits;
pub mod lists;
pub mod metrics;
pub mod pages;
pub mod session;
pub mod signed_in;
pub mod widgets;
