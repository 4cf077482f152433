//! The wizard's pages that are not steps: a message (refused, cancelled, expired), the help
//! page for a wrong college or registration number, the completion page with the new login ID
//! and the general links, and the audit records the pages write.

use crate::signup_text::SignupText;
use authorization_server::Provider;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use platform::{AuditEvent, Locale};
use registration::colleges::college;
use registration::wizard::{Done, Wizard};
use web::forms::{Form, Section, View};
use web::http::Params;
use web::widgets::send;

/// The page's language: `ui_locales`, else the wizard's, else the browser's.
pub(super) fn page_locale(headers: &HeaderMap, params: &Params, w: Option<&Wizard>) -> Locale {
    if let Some(l) = web::http::asked_locale(params.get("ui_locales").map(String::as_str)) {
        return l;
    }
    web::http::flow_locale(headers, w.map(|w| w.locale.as_str()))
}

/// A page with a title and one paragraph.
pub(super) fn message_page(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    title: &str,
    text: &str,
    status: StatusCode,
) -> Response {
    let v = View {
        title: title.to_owned(),
        intro: vec![text.to_owned()],
        links: vec![(
            format!("/?ui_locales={}", locale.tag()),
            locale.text().home_link.into(),
        )],
        ..View::default()
    };
    send(p, headers, locale, &v, status)
}

/// No wizard in progress.
pub(super) fn expired(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let s = SignupText::get(locale);
    message_page(
        p,
        headers,
        locale,
        s.title,
        s.expired,
        StatusCode::BAD_REQUEST,
    )
}

/// The page for a member whose registry reported the registration deleted or terminated.
pub(super) fn member_terminated(p: &Provider, headers: &HeaderMap, locale: Locale) -> Response {
    let s = SignupText::get(locale);
    message_page(
        p,
        headers,
        locale,
        s.refused_title,
        s.member_terminated,
        StatusCode::FORBIDDEN,
    )
}

/// The help page of the designation step (001 §4.0): the registry's college and number are
/// locked, so when they are wrong the member stops (Cancel, posted to the furthest step
/// reached) and asks the college to correct its record.
pub(super) fn help_page(p: &Provider, headers: &HeaderMap, locale: Locale, w: &Wizard) -> Response {
    let s = SignupText::get(locale);
    let tag = locale.tag();
    let (code, number) =
        w.h.as_ref()
            .map(|h| (h.college.as_str(), h.registration_number.as_str()))
            .unwrap_or_default();
    let name = college(code).map_or(code, |c| c.name(locale));
    let v = View {
        title: s.help_title.into(),
        other_lang_href: Some(format!(
            "/register/help?ui_locales={}",
            locale.other().tag()
        )),
        intro: vec![s.help_text.replace("{college}", name)],
        sections: vec![Section {
            heading: None,
            rows: vec![
                (s.college.into(), name.to_owned()),
                (s.number.into(), number.to_owned()),
            ],
        }],
        forms: vec![Form {
            id: Some("help-stop".into()),
            action: format!(
                "/register/{}?ui_locales={tag}",
                w.reached_step(&p.signup).slug()
            ),
            hidden: vec![
                ("nav".into(), "cancel".into()),
                ("confirm_cancel".into(), "1".into()),
            ],
            submit: s.help_stop.into(),
            ..Form::default()
        }],
        links: vec![(
            format!("/register/designation?ui_locales={tag}"),
            s.help_back.into(),
        )],
        ..View::default()
    };
    send(p, headers, locale, &v, StatusCode::OK)
}

/// Records a registration event from `source`.
pub(super) async fn audit(
    p: &Provider,
    event: &str,
    subject: Option<&str>,
    source: &str,
    detail: &str,
) {
    let _ = p
        .audit
        .record(AuditEvent {
            event,
            actor: subject,
            subject,
            source: Some(source),
            detail: Some(detail),
            ..Default::default()
        })
        .await;
}

/// The last page: the login ID, the services, and the general links (001 §9.0): My Profile,
/// then those configured (`registration.general_links`).
pub(super) fn complete_page(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    d: &Done,
) -> Response {
    let s = SignupText::get(locale);
    let v = View {
        title: s.complete_title.into(),
        other_lang_href: Some(format!(
            "/register/complete?ui_locales={}",
            locale.other().tag()
        )),
        notice: Some(s.complete_text.into()),
        sections: vec![Section {
            heading: None,
            rows: vec![(s.your_login_id.into(), d.login_id.clone())],
        }],
        intro: if d.services.is_empty() {
            vec![s.no_services.into()]
        } else {
            Vec::new()
        },
        table_head: if d.services.is_empty() {
            Vec::new()
        } else {
            vec![s.services_heading.into()]
        },
        table: d
            .services
            .iter()
            .map(|(name, url)| vec![(url.clone().unwrap_or_default(), name.clone())])
            .collect(),
        links_heading: Some(s.general_links.into()),
        links: std::iter::once((
            format!("/account?ui_locales={}", locale.tag()),
            s.manage_account.to_owned(),
        ))
        // Right after the password is set: the offer of a passkey (where the provider can).
        .chain(p.passkeys.as_ref().map(|_| {
            (
                format!("/account/passkeys?ui_locales={}", locale.tag()),
                web::account_text::AccountText::get(locale)
                    .passkey_offer_link
                    .to_owned(),
            )
        }))
        .chain(
            p.signup
                .general_links
                .iter()
                .map(|l| (l.url.clone(), l.text(locale).to_owned())),
        )
        .collect(),
        ..View::default()
    };
    send(p, headers, locale, &v, StatusCode::OK)
}

/// "Cancel your registration?": yes ends it (nothing stored), no returns to the step.
pub(super) fn confirm_cancel(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    step: registration::wizard::Step,
) -> Response {
    let s = SignupText::get(locale);
    let tag = locale.tag();
    let v = View {
        title: s.cancel_title.into(),
        other_lang_href: Some(format!(
            "/register/{}?ui_locales={}",
            step.slug(),
            locale.other().tag()
        )),
        intro: vec![s.cancel_question.into()],
        forms: vec![Form {
            id: Some("confirm-cancel".into()),
            action: format!("/register/{}?ui_locales={tag}", step.slug()),
            hidden: vec![
                ("nav".into(), "cancel".into()),
                ("confirm_cancel".into(), "1".into()),
            ],
            submit: s.cancel_yes.into(),
            ..Form::default()
        }],
        links: vec![(
            format!("/register/{}?ui_locales={tag}", step.slug()),
            s.cancel_no.into(),
        )],
        ..View::default()
    };
    send(p, headers, locale, &v, StatusCode::OK)
}
