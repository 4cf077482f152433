//! The acr ladder: when a relying party's request needs a stepped-up session, and when it can
//! never be met.

use super::*;

/// Whether the sign-in must be stepped up for the relying party: the client always requires
/// multi-factor, or the request asks for an `acr` that only a stepped-up session reaches.
pub(crate) async fn relying_party_wants_mfa(p: &Provider, req: &AuthRequest, level: i64) -> bool {
    if req.ticket.is_oidc() {
        if let Ok(Some(c)) = p.clients.get(&req.client_id).await {
            if c.require_mfa {
                return true;
            }
        }
    }
    acr_wants_mfa(req, level)
}

/// The request asks for an `acr` that this level reaches only with multi-factor.
pub(crate) fn acr_wants_mfa(req: &AuthRequest, level: i64) -> bool {
    let plain = authorization_server::tokens::acr_for(level, false);
    let mfa = authorization_server::tokens::acr_for(level, true);
    !req.acr_values.is_empty()
        && !req.acr_values.iter().any(|a| acr_satisfies(&plain, a))
        && req.acr_values.iter().any(|a| acr_satisfies(&mfa, a))
}

/// Whether the requested essential `acr` can never be reached by this account (its level is
/// too low), so the relying party must be told `unmet_authentication_requirements`.
pub(crate) fn essential_acr_unreachable(req: &AuthRequest, level: i64) -> bool {
    let best = authorization_server::tokens::acr_for(level, true);
    req.acr_essential
        && !req.acr_values.is_empty()
        && !req.acr_values.iter().any(|a| acr_satisfies(&best, a))
}

/// `issued` meets `requested` on the ladder: a level at least as high, and multi-factor when
/// asked for.
pub fn acr_satisfies(issued: &str, requested: &str) -> bool {
    let parse = |a: &str| -> Option<(i64, bool)> {
        let rest = a.strip_prefix("urn:oneid:loa:")?;
        let (lvl, mfa) = match rest.strip_suffix(":mfa") {
            Some(l) => (l, true),
            None => (rest, false),
        };
        Some((lvl.parse().ok()?, mfa))
    };
    match (parse(issued), parse(requested)) {
        (Some((li, mi)), Some((lr, mr))) => li >= lr && (mi || !mr),
        _ => false,
    }
}
