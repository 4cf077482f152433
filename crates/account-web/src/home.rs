//! The pages anyone may open without signing in: the home page (what ONE ID is, the way to
//! My Profile, the forgotten login ID and password), help, and the page a browser reaches when
//! it opens `/register` itself instead of arriving from a registry.

use authorization_server::Provider;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use platform::Locale;
use std::sync::Arc;
use web::account_text::AccountText;
use web::forms::View;
use web::http::PageLocale;
use web::widgets::send;

/// The links every public page ends with: My Profile, forgotten login ID and password.
fn ways_in(a: &AccountText, tag: &str) -> Vec<(String, String)> {
    vec![
        (format!("/account?ui_locales={tag}"), a.home_profile.into()),
        (
            format!("/forgot-login-id?ui_locales={tag}"),
            a.forgot_login_id.into(),
        ),
        (
            format!("/forgot-password?ui_locales={tag}"),
            a.forgot_password.into(),
        ),
    ]
}

/// A public page at `path`: its title, paragraphs and links, with the other language's link.
fn public_page(
    locale: Locale,
    path: &str,
    title: &str,
    intro: Vec<String>,
    links: Vec<(String, String)>,
) -> View {
    View {
        title: title.into(),
        other_lang_href: Some(format!("{path}?ui_locales={}", locale.other().tag())),
        intro,
        links,
        ..View::default()
    }
}

/// GET /
#[tracing::instrument(skip_all)]
pub async fn home(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    PageLocale(locale): PageLocale,
) -> Response {
    let a = AccountText::get(locale);
    let tag = locale.tag();
    let mut links = ways_in(a, tag);
    links.push((format!("/help?ui_locales={tag}"), a.help_title.into()));
    let intro = vec![a.home_intro.into(), a.home_register.into()];
    let v = public_page(locale, "/", a.home_title, intro, links);
    send(&p, &headers, locale, &v, StatusCode::OK)
}

/// GET /help
#[tracing::instrument(skip_all)]
pub async fn help(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    PageLocale(locale): PageLocale,
) -> Response {
    let a = AccountText::get(locale);
    let tag = locale.tag();
    let mut intro: Vec<String> = a.help_text.iter().map(|s| (*s).to_owned()).collect();
    if let Some((_, desk)) = web::chrome::service_desk(tag) {
        intro.push(desk);
    }
    let v = public_page(locale, "/help", a.help_title, intro, ways_in(a, tag));
    send(&p, &headers, locale, &v, StatusCode::OK)
}

/// GET /register: registration starts with a registry's signed hand-off (a POST from its
/// site), so a browser that opens the address itself is told where to begin.
#[tracing::instrument(skip_all)]
pub async fn register_directly(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    PageLocale(locale): PageLocale,
) -> Response {
    let a = AccountText::get(locale);
    let s = crate::signup_text::SignupText::get(locale);
    let v = View {
        title: s.title.into(),
        other_lang_href: Some(format!("/register?ui_locales={}", locale.other().tag())),
        errors: vec![(String::new(), s.expired.into())],
        intro: vec![a.home_register.into()],
        links: vec![(
            format!("/?ui_locales={}", locale.tag()),
            locale.text().home_link.into(),
        )],
        ..View::default()
    };
    send(&p, &headers, locale, &v, StatusCode::OK)
}
