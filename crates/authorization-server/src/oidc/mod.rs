//! OpenID Connect and OAuth 2.0 as typed requests and their outcomes, without HTTP: the
//! authorization request checked into a login ticket and the code it ends with (`authorize`),
//! and the token request answered for an authenticated client (`token`). The web surface parses
//! the HTTP request into these types and renders what they return.

pub mod authorize;
pub mod device;
pub mod end_session;
pub mod par;
pub mod request_object;
pub mod resource;
pub mod token;

use std::collections::HashMap;

/// Request parameters as sent (each at most once; empty values already dropped).
pub type Params = HashMap<String, String>;

/// Parameters from pairs (for tests).
#[cfg(test)]
fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
