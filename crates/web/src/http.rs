//! The HTTP plumbing every surface shares: form and query parsing with duplicate detection,
//! the client's address behind trusted proxies, cookies, anti-forgery tokens, the language
//! asked for, redirects and the security headers of pages.

use crate::error::OAuthError;
use authorization_server::Provider;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// Largest request body accepted anywhere (forms and tokens are small).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body that must never be cached (it carries tokens or token facts).
pub fn json_no_store(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The address the request came from (empty when unknown, e.g. in-process calls). Behind
/// the configured trusted proxies, the nearest address in `X-Forwarded-For` that is not one of
/// them.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub String);

impl axum::extract::FromRequestParts<Arc<Provider>> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        p: &Arc<Provider>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(match peer {
            Some(ip) => client_ip(ip, &parts.headers, &p.cfg.trusted_proxies).to_string(),
            None => String::new(),
        }))
    }
}

/// The reader's language (see [`locale`]): `?ui_locales=` if the query has it, else the
/// language this browser chose, else `Accept-Language`.
#[derive(Debug, Clone, Copy)]
pub struct PageLocale(pub platform::Locale);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let asked = parts
            .uri
            .query()
            .and_then(|q| parse_query(q.as_bytes()).ok())
            .and_then(|mut q| q.remove("ui_locales"));
        Ok(PageLocale(locale(&parts.headers, asked.as_deref())))
    }
}

/// A posted form (each field once) that carries this browser's anti-forgery token. Otherwise
/// the request is answered with a "bad request" or "form expired" page in the reader's
/// language, before the handler runs.
#[derive(Debug)]
pub struct CsrfForm(pub Params);

impl axum::extract::FromRequest<Arc<Provider>> for CsrfForm {
    type Rejection = crate::error::PageError;

    async fn from_request(
        req: axum::extract::Request,
        p: &Arc<Provider>,
    ) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let loc = locale(&parts.headers, None);
        let body = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| crate::error::PageError::bad(loc, |t| t.bad_request))?;
        crate::forms::checked(p, &parts.headers, &body, loc).map(CsrfForm)
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// `X-Forwarded-For` entry that is not a trusted proxy (entries further left are whatever the
/// client claimed).
pub fn client_ip(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    // Several headers are one list, in order (RFC 9110 §5.3); walk it from the right.
    let mut hops: Vec<&str> = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else { return peer };
        hops.extend(v.split(','));
    }
    let mut ip = peer;
    for part in hops.iter().rev() {
        match part.trim().parse::<std::net::IpAddr>() {
            Ok(a) if trusted.contains(&a) => ip = a,
            Ok(a) => return a,
            Err(_) => return ip,
        }
    }
    ip
}

/// Request parameters, each present at most once.
pub type Params = HashMap<String, String>;

/// Why parameters could not be read.
#[derive(Debug)]
pub enum ParamError {
    /// Not `application/x-www-form-urlencoded`.
    ContentType,
    /// A parameter appears twice.
    Duplicate(String),
}

impl ParamError {
    /// As an OAuth error.
    pub fn oauth(&self) -> OAuthError {
        match self {
            ParamError::ContentType => {
                OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")
            }
            ParamError::Duplicate(k) => {
                OAuthError::invalid_request(format!("parameter {k} is repeated"))
            }
        }
    }
}

/// Parses `a=b&c=d`, refusing repeated names (RFC 6749 §3.1) and dropping empty values, which
/// RFC 6749 treats as omitted.
pub fn parse_query(raw: &[u8]) -> Result<Params, ParamError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        if v.is_empty() {
            continue;
        }
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(ParamError::Duplicate(k.into_owned()));
        }
    }
    Ok(out)
}

/// Parses a form body after checking its content type.
pub fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<Params, ParamError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(ParamError::ContentType);
    }
    parse_query(body)
}

/// The body, or a 413/400 as an OAuth error.
pub fn body_or_error(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Bytes, OAuthError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            OAuthError::invalid_request("request body too large")
        } else {
            OAuthError::invalid_request("request body could not be read")
        }
    })
}

/// A cookie's value from the request, by its base name (see `cookie_name`).
pub fn cookie(p: &Provider, headers: &HeaderMap, base: &str) -> Option<String> {
    raw_cookie(headers, &cookie_name(p, base))
}

/// The name a cookie goes by: with `Secure`, the `__Host-` prefix, so that no sibling
/// subdomain can plant it (cookie tossing) and it is never sent to another host.
pub fn cookie_name(p: &Provider, base: &str) -> String {
    if p.cfg.cookies_secure() {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of the cookie `name` as the browser sent it (no `__Host-` prefix added).
pub fn raw_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, host-only, path /, `Secure` (and the
/// `__Host-` prefix) when the issuer is https.
pub fn set_cookie(p: &Provider, base: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = p.cfg.cookies_secure();
    let name = cookie_name(p, base);
    let s = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Name of the pre-login cookie that anti-forgery tokens are bound to before a session exists.
const CSRF_COOKIE: &str = "oneid_csrf";

/// What this browser's anti-forgery token is bound to: its session cookie when it has one,
/// else its pre-login cookie.
fn csrf_binding(p: &Provider, headers: &HeaderMap) -> Option<String> {
    let session = cookie(p, headers, crate::session::SESSION_COOKIE)
        .filter(|c| !c.is_empty() && c.len() <= 128);
    match session {
        Some(s) => Some(format!("session\n{s}")),
        None => cookie(p, headers, CSRF_COOKIE)
            .filter(|c| c.len() == 43)
            .map(|c| format!("browser\n{c}")),
    }
}

/// The token for a binding: an HMAC under the server's key material, so that a cookie planted
/// in the browser (without the `__Host-` prefix, over plain http, a sibling host can) comes with
/// no token that passes: the token of a signed-in browser is bound to its session cookie.
fn csrf_mac(p: &Provider, binding: &str) -> String {
    platform::crypto::b64url(&p.keys.mac("csrf", binding.as_bytes()))
}

/// The browser's anti-forgery token for a form, and the `Set-Cookie` that mints the pre-login
/// cookie when the browser has neither it nor a session.
pub fn csrf_token(p: &Provider, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match csrf_binding(p, headers) {
        Some(b) => (csrf_mac(p, &b), None),
        None => {
            let c = platform::crypto::random_token(32);
            let set = set_cookie(p, CSRF_COOKIE, &c, p.cfg.session_ttl);
            (csrf_mac(p, &format!("browser\n{c}")), Some(set))
        }
    }
}

/// True when a form carries the token bound to this browser's session (or, before sign-in, to
/// its pre-login cookie), compared in constant time.
pub fn csrf_ok(p: &Provider, headers: &HeaderMap, presented: Option<&String>) -> bool {
    match (csrf_binding(p, headers), presented) {
        (Some(b), Some(f)) => platform::crypto::ct_eq(csrf_mac(p, &b).as_bytes(), f.as_bytes()),
        _ => false,
    }
}

/// The cookie that remembers the language a person chose (the language link, or the relying
/// party's `ui_locales`) for the rest of the visit, and the account's language once signed in.
pub const LANG_COOKIE: &str = "oneid_lang";

/// How long the language choice is remembered (a year; it holds no secret).
pub const LANG_COOKIE_AGE: i64 = 365 * 24 * 3600;

/// The language this browser chose before (the language cookie, with or without the
/// `__Host-` prefix), when it is one we speak.
pub fn chosen_locale(headers: &HeaderMap) -> Option<platform::Locale> {
    raw_cookie(headers, &format!("__Host-{LANG_COOKIE}"))
        .or_else(|| raw_cookie(headers, LANG_COOKIE))
        .and_then(|v| platform::Locale::parse(&v))
}

/// The language asked for in a `ui_locales` value: its first language that we speak.
pub fn asked_locale(ui_locales: Option<&str>) -> Option<platform::Locale> {
    ui_locales.and_then(|s| s.split_whitespace().find_map(platform::Locale::parse))
}

/// The reader's language, in this order:
/// 1. `ui_locales` on this request (the language link on every page, or the relying party's
///    authorization request), which is then remembered (see [`remember_language`]);
/// 2. the language this browser chose before (the `oneid_lang` cookie);
/// 3. `Accept-Language`;
/// 4. English.
///
/// Signed-in pages put the account's language between 2 and 3 (`signed_in::me`).
pub fn locale(headers: &HeaderMap, ui_locales: Option<&str>) -> platform::Locale {
    asked_locale(ui_locales)
        .or_else(|| chosen_locale(headers))
        .unwrap_or_else(|| {
            platform::Locale::negotiate(
                None,
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The language of a page for a signed-in person: what this request asks, what this browser
/// chose, the account's language (`account_locale`), then `Accept-Language`.
pub fn signed_in_locale(
    headers: &HeaderMap,
    ui_locales: Option<&str>,
    account_locale: &str,
) -> platform::Locale {
    asked_locale(ui_locales)
        .or_else(|| chosen_locale(headers))
        .or_else(|| platform::Locale::parse(account_locale))
        .unwrap_or_else(|| locale(headers, None))
}

/// The language of a page in a flow that began earlier (a parked sign-in, a step-up) and
/// stored the language it was asked in: what this browser chose since wins over what was
/// stored, which wins over `Accept-Language`.
pub fn flow_locale(headers: &HeaderMap, stored: Option<&str>) -> platform::Locale {
    chosen_locale(headers)
        .or_else(|| asked_locale(stored))
        .unwrap_or_else(|| locale(headers, None))
}

/// The `Set-Cookie` that remembers `locale` as this browser's language.
pub fn set_lang_cookie(p: &Provider, locale: platform::Locale) -> HeaderValue {
    set_cookie(p, LANG_COOKIE, locale.tag(), LANG_COOKIE_AGE)
}

/// Middleware: a request whose query asks for a language (`ui_locales`) has that language
/// remembered for the visit, so that the next page, a form's answer or the sign-out page
/// speak it too.
pub async fn remember_language(
    axum::extract::State(p): axum::extract::State<Arc<Provider>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let asked = req
        .uri()
        .query()
        .and_then(|q| parse_query(q.as_bytes()).ok())
        .and_then(|mut q| q.remove("ui_locales"))
        .and_then(|v| asked_locale(Some(&v)));
    let already = chosen_locale(req.headers());
    let mut r = next.run(req).await;
    if let Some(l) = asked.filter(|l| already != Some(*l)) {
        r.headers_mut()
            .append(header::SET_COOKIE, set_lang_cookie(&p, l));
    }
    r
}

/// A bearer token from the `Authorization` header (RFC 6750 §2.1).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `303 See Other` to `location`, never cached.
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Security headers for every HTML page.
pub fn page_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The request header carrying the client's TLS certificate chain (mutual TLS, RFC 8705):
/// each certificate's DER in base64, leaf first, comma-separated. Set only by the server's
/// own listener (from its handshake, or from a trusted proxy's header); one a client sends is
/// dropped before any handler sees it.
pub const CLIENT_CERTIFICATE: &str = "oneid-client-certificate";

/// The client certificate chain of a request (DER, leaf first), if it came with one.
pub fn client_certificate(headers: &HeaderMap) -> Option<Vec<Vec<u8>>> {
    use base64::Engine as _;
    let v = headers.get(CLIENT_CERTIFICATE)?.to_str().ok()?;
    let chain: Option<Vec<Vec<u8>>> = v
        .split(',')
        .map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c.trim())
                .ok()
        })
        .collect();
    chain.filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_dropped() {
        assert!(matches!(
            parse_query(b"a=1&a=2"),
            Err(ParamError::Duplicate(k)) if k == "a"
        ));
        let p = parse_query(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(p.get("a").map(String::as_str), Some("1"));
        assert!(!p.contains_key("b"));
        assert_eq!(p.get("c").map(String::as_str), Some("x y"));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.4"),
        );
        let trusted = ["10.0.0.5".parse().unwrap(), "10.0.0.4".parse().unwrap()];
        // The client's own claim (6.6.6.6) is skipped: the nearest untrusted hop is taken.
        assert_eq!(client_ip(proxy, &h, &trusted).to_string(), "203.0.113.7");
        // A second header (appended by the nearest proxy) comes last in the list.
        let mut two = HeaderMap::new();
        two.append("x-forwarded-for", HeaderValue::from_static("6.6.6.6"));
        two.append("x-forwarded-for", HeaderValue::from_static("203.0.113.8"));
        assert_eq!(client_ip(proxy, &two, &trusted).to_string(), "203.0.113.8");
        // From anyone else the header is ignored.
        let other: std::net::IpAddr = "198.51.100.9".parse().unwrap();
        assert_eq!(client_ip(other, &h, &trusted), other);
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a_b=1; a=2; c=3"));
        assert_eq!(raw_cookie(&h, "a").as_deref(), Some("2"));
        assert_eq!(raw_cookie(&h, "d"), None);
    }
}
