//! DPoP (RFC 9449) over HTTP: the `DPoP` header read and checked by
//! `authorization_server::dpop`, its refusals as the RFC answers them (`invalid_dpop_proof`,
//! `use_dpop_nonce` with a fresh `DPoP-Nonce`), and the nonce added to answers.

use authorization_server::dpop::{self, DpopError};
use authorization_server::Provider;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use web::error::OAuthError;

/// Adds a fresh `DPoP-Nonce` to `r`.
pub fn add_nonce(p: &Provider, r: &mut Response) {
    if let Ok(v) = HeaderValue::from_str(&dpop::nonce(p)) {
        r.headers_mut().insert("dpop-nonce", v);
    }
}

/// The one `DPoP` header of a request, if any (two are refused).
fn proof(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let mut all = headers.get_all("dpop").iter();
    let Some(first) = all.next() else {
        return Ok(None);
    };
    if all.next().is_some() {
        return Err(());
    }
    first.to_str().map(Some).map_err(|_| ())
}

/// At the token endpoint: the thumbprint of the key the request's proof proves, or none
/// without a proof.
pub async fn token_proof(
    p: &Provider,
    headers: &HeaderMap,
    algs: &[&str],
) -> Result<Option<String>, OAuthError> {
    let Ok(proof) = proof(headers) else {
        return Err(OAuthError::refused(
            "invalid_dpop_proof",
            "one DPoP header at most",
        ));
    };
    let Some(proof) = proof else {
        return Ok(None);
    };
    let url = format!("{}/token", p.cfg.issuer);
    match dpop::check(p, proof, "POST", &url, None, algs).await {
        Ok(jkt) => Ok(Some(jkt)),
        Err(DpopError::UseNonce) => Err(OAuthError::refused(
            "use_dpop_nonce",
            "use the DPoP-Nonce of this answer in a new proof",
        )),
        Err(DpopError::Invalid(why)) => Err(OAuthError::refused("invalid_dpop_proof", why)),
        Err(DpopError::Unavailable(e)) => Err(OAuthError::unavailable(e)),
    }
}

/// How a resource request presented its access token.
pub enum Presented<'a> {
    /// `Authorization: Bearer`.
    Bearer,
    /// `Authorization: DPoP`, with the key its proof proves.
    Dpop(&'a str, String),
}

/// Why a resource request is refused before its token is looked at.
pub enum ResourceRefusal {
    /// No usable `Authorization` header.
    NoToken,
    /// The proof is not good, or needs a fresh nonce.
    Proof(DpopError),
}

/// The access token of a resource request at `url` (method `htm`), with its DPoP proof
/// checked when it is sent as a DPoP token.
pub async fn presented<'a>(
    p: &Provider,
    headers: &'a HeaderMap,
    htm: &str,
    url: &str,
) -> Result<Presented<'a>, ResourceRefusal> {
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ResourceRefusal::NoToken)?;
    let (scheme, token) = auth.split_once(' ').ok_or(ResourceRefusal::NoToken)?;
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Presented::Bearer);
    }
    if !scheme.eq_ignore_ascii_case("dpop") {
        return Err(ResourceRefusal::NoToken);
    }
    let proof = match proof(headers) {
        Ok(Some(x)) => x,
        _ => {
            return Err(ResourceRefusal::Proof(DpopError::Invalid(
                "a DPoP token needs one DPoP proof",
            )))
        }
    };
    let jkt = dpop::check(p, proof, htm, url, Some(token), &dpop::ALGS)
        .await
        .map_err(ResourceRefusal::Proof)?;
    Ok(Presented::Dpop(token, jkt))
}
