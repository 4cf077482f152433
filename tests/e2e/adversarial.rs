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
//! - `sessions`: a sign-in that replaces a session, anti-forgery tokens bound to the session,
//!   introspection by another client, look-alike login IDs, SAML refusals audited.
//! - `protocol`: malformed and hostile OAuth / OpenID Connect input (redirect URIs, PKCE, codes
//!   of another request, repeated parameters, bad client authentication, oversized bodies,
//!   forms without their anti-forgery token): the right RFC error, never a 500, nothing stored.
//! - `saml`: hostile SAML (unknown issuers and ACS URLs, replays, stale instants, bad and wrapped
//!   signatures, DTDs, oversize and deflate bombs, unsigned logout requests).
//!
//! Attacks that live with the feature they test, and stay there: code and refresh-token reuse
//! (`tokens`), forged and algorithm-confused tokens and key rotation (`keys`), the gate's
//! refusals (`gate`), the registry hand-off's forgeries and replays (`registration`).

mod connections;
mod protocol;
mod races;
pub(crate) mod saml;
mod sessions;
mod staff;
mod timing;
