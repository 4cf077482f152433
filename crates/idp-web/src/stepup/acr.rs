//! A relying party's request on the acr ladder (`step_up::acr`): when it needs a stepped-up
//! session, and when it can never be met.

use super::*;

/// Whether the sign-in must be stepped up for the relying party: the client always requires
/// multi-factor, or the request asks for an `acr` that only a stepped-up session reaches.
pub(crate) async fn relying_party_wants_mfa(p: &Provider, req: &AuthRequest, level: i64) -> bool {
    if req.ticket.is_oidc() {
        if let Ok(Some(c)) = p.clients.get(&req.client_id).await {
            if c.require_mfa || c.require_phishing_resistant {
                return true;
            }
        }
    }
    acr_wants_mfa(req, level)
}

/// Whether the sign-in must use a passkey for the relying party: the client (or SAML SP, whose
/// requirement is in its acr values) requires phishing resistance, or the request asks for an
/// `acr` that only a passkey reaches.
pub(crate) async fn relying_party_wants_phr(p: &Provider, req: &AuthRequest, level: i64) -> bool {
    if req.ticket.is_oidc() {
        if let Ok(Some(c)) = p.clients.get(&req.client_id).await {
            if c.require_phishing_resistant {
                return true;
            }
        }
    }
    step_up::acr::wants_phr(&req.acr_values, level)
}

/// The sign-in's methods (`amr`) include a passkey that stood for two factors.
pub(crate) fn has_phr(amr: &[String]) -> bool {
    step_up::acr::Strength::of(amr) == step_up::acr::Strength::Phr
}

/// The request asks for an `acr` that this level reaches only with multi-factor.
pub(crate) fn acr_wants_mfa(req: &AuthRequest, level: i64) -> bool {
    step_up::acr::wants_mfa(&req.acr_values, level)
}

/// Whether the requested essential `acr` can never be reached by this account (its level is
/// too low), so the relying party must be told `unmet_authentication_requirements`.
pub(crate) fn essential_acr_unreachable(req: &AuthRequest, level: i64) -> bool {
    step_up::acr::unreachable(&req.acr_values, req.acr_essential, level)
}

pub use step_up::acr::satisfies as acr_satisfies;
