//! The identity provider's own pages: the login page, the logout confirmation and the
//! signed-out page with its front-channel logout frames.

use askama::Template;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use platform::i18n::Text;
use platform::Locale;
use web::pages::html;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    t: &'static Text,
    intro: String,
    error: Option<&'static str>,
    request_id: &'a str,
    csrf: &'a str,
    login_hint: &'a str,
    forgot_login_id: &'static str,
    forgot_password: &'static str,
    /// The passkey sign-in: its token, the browser's options (JSON) and the button's text.
    passkey: Option<(String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    lang: &'static str,
    t: &'static Text,
    request_id: &'a str,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage<'a> {
    lang: &'static str,
    t: &'static Text,
    frames: Vec<&'a str>,
    next: Option<&'a str>,
    next_text: &'static str,
}

/// What the login page shows.
pub struct LoginView<'a> {
    /// Language.
    pub locale: Locale,
    /// Relying party name.
    pub client_name: &'a str,
    /// Error to show, if any.
    pub error: Option<&'static str>,
    /// Pending request id.
    pub request_id: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// Prefilled login ID.
    pub login_hint: &'a str,
    /// A passkey sign-in begun for this page (none when the provider cannot use passkeys).
    pub passkey: Option<authorization_server::passkey::Begun>,
}

/// The login page.
pub fn login_page(v: LoginView<'_>, status: StatusCode) -> Response {
    let t = v.locale.text();
    let mut r = html(
        LoginPage {
            lang: v.locale.tag(),
            other_lang: v.locale.other().tag(),
            t,
            intro: t.login_intro.replace("{}", v.client_name),
            error: v.error,
            request_id: v.request_id,
            csrf: v.csrf,
            login_hint: v.login_hint,
            forgot_login_id: web::account_text::AccountText::get(v.locale).forgot_login_id,
            forgot_password: web::account_text::AccountText::get(v.locale).forgot_password,
            passkey: v.passkey.map(|b| {
                let label = web::account_text::AccountText::get(v.locale).passkey_sign_in;
                (b.token, b.options.to_string(), label)
            }),
        }
        .render(),
        status,
    );
    // The one script of ours it loads (the "Show" button of the password field).
    r.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(web::forms::SCRIPT_CSP),
    );
    r
}

/// The logout confirmation page.
pub fn logout_page(locale: Locale, request_id: &str, csrf: &str) -> Response {
    html(
        LogoutPage {
            lang: locale.tag(),
            t: locale.text(),
            request_id,
            csrf,
        }
        .render(),
        StatusCode::OK,
    )
}

/// A front-channel logout frame: the page it loads, and the further sources its navigations
/// reach (a SAML service provider answers into the frame by redirecting or posting back to
/// us, `'self'`; our own frame page posts on to a service provider that takes only
/// HTTP-POST, that provider's origin).
#[derive(Debug, Clone)]
pub struct LogoutFrame {
    /// What the frame loads.
    pub src: url::Url,
    /// CSP sources (origins, or `'self'`) the frame goes on to.
    pub then: Vec<String>,
    /// The frame holds our own page, which sends the message on (a second page loads).
    pub relays: bool,
}

impl LogoutFrame {
    /// A frame that loads `src` and stays there.
    pub fn to(src: url::Url) -> Self {
        Self {
            src,
            then: Vec::new(),
            relays: false,
        }
    }
}

/// The `frame-src` sources that let these frames do their work: every navigation inside a
/// frame (a redirect, a form posted) is checked against this page's policy, so each frame's
/// own origin and the sources it goes on to.
pub fn frame_sources(frames: &[LogoutFrame]) -> String {
    let mut sources: Vec<String> = frames
        .iter()
        .map(|f| f.src.origin().ascii_serialization())
        .filter(|o| o != "null")
        .chain(frames.iter().flat_map(|f| f.then.iter().cloned()))
        .collect();
    sources.sort();
    sources.dedup();
    sources.join(" ")
}

/// The signed-out page. `frames` are the parties' front-channel logout frames, loaded hidden
/// (the page's CSP allows what they need in `frame-src`, nothing else); `next` is where the
/// browser goes afterwards (a link, and a `Refresh` once they loaded).
pub fn logged_out_page(
    locale: Locale,
    frames: &[LogoutFrame],
    next: Option<&url::Url>,
) -> Response {
    let mut r = html(
        LoggedOutPage {
            lang: locale.tag(),
            t: locale.text(),
            frames: frames.iter().map(|f| f.src.as_str()).collect(),
            next: next.map(url::Url::as_str),
            next_text: match locale {
                Locale::Fr => "Retourner à l’application",
                Locale::En => "Return to the application",
            },
        }
        .render(),
        StatusCode::OK,
    );
    if !frames.is_empty() {
        let csp = format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-src {}; \
             base-uri 'none'; frame-ancestors 'none'",
            frame_sources(frames)
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if let Some(n) = next {
        if let Ok(v) = HeaderValue::from_str(&format!("3; url={n}")) {
            r.headers_mut()
                .insert(HeaderName::from_static("refresh"), v);
        }
    }
    r
}
