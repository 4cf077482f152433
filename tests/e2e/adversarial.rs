//! The adversarial suite: the server attacked from outside, as an attacker would, one
//! submodule per concern. Every new form and every new counted secret is run through it.
//!
//! - `races`: bursts of parallel guesses released together against every counted secret
//!   (password, step-up codes, TOTP, challenge questions), on one node and on two; what was
//!   evaluated never passes the limit.
//! - `staff`: least privilege between the service desk, registration authorities and
//!   administrators (the desk-to-administrator escalation, recent step-up for staff actions).
//! - `timing`: every branch of every page that takes a login ID does the same work (hash
//!   operations and store calls are counted, not timed).
//! - `connections`: idle sockets, stalled bodies and a cap on open connections.
//! - `sessions`: session, anti-forgery, introspection, login-ID and SAML refusals.

mod connections;
mod races;
mod sessions;
mod staff;
mod timing;
