//! The addresses a relying party registers: redirect URIs (exact, https or loopback http, or a
//! native app's private-use scheme) and logout URIs.

/// Checks a back- or front-channel logout URI: absolute http(s) (http only for loopback), no
/// fragment.
pub fn validate_logout_uri(uri: &str) -> Result<(), String> {
    let u =
        url::Url::parse(uri).map_err(|_| format!("logout URI {uri:?} is not an absolute URL"))?;
    if u.fragment().is_some() {
        return Err(format!("logout URI {uri:?} must not have a fragment"));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" => match u.host_str() {
            Some("localhost") | Some("127.0.0.1") | Some("[::1]") => Ok(()),
            _ => Err(format!(
                "logout URI {uri:?} must use https (plain http only on loopback)"
            )),
        },
        _ => Err(format!("logout URI {uri:?} must be an http(s) URL")),
    }
}

/// Checks a redirect URI: absolute, http(s) (http only for loopback) or a private-use
/// scheme for native apps, no fragment.
pub fn validate_redirect_uri(uri: &str) -> Result<(), String> {
    let u =
        url::Url::parse(uri).map_err(|_| format!("redirect URI {uri:?} is not an absolute URL"))?;
    if u.fragment().is_some() {
        return Err(format!("redirect URI {uri:?} must not have a fragment"));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" => match u.host_str() {
            Some("localhost") | Some("127.0.0.1") | Some("[::1]") => Ok(()),
            _ => Err(format!(
                "redirect URI {uri:?} must use https (plain http only on loopback)"
            )),
        },
        "javascript" | "data" | "file" | "vbscript" => {
            Err(format!("redirect URI {uri:?} uses a forbidden scheme"))
        }
        s if s.contains('.') => Ok(()), // private-use scheme (RFC 8252), e.g. ca.on.app
        _ => Err(format!("redirect URI {uri:?} uses an unsupported scheme")),
    }
}
