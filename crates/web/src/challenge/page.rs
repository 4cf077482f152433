//! The step-up page: the choice of methods, or the code or the questions of the chosen one.

use super::*;
use askama::Template;
use platform::i18n::Text;

/// How a method reads on the page; `phones` are the account's, masked, in order.
pub fn method_label(a: &AccountText, phones: &[String], m: Method) -> String {
    let phone = |i: usize| phones.get(i).cloned().unwrap_or_default();
    match m {
        Method::Sms { phone: i } => a.method_sms.replace("{}", &phone(i)),
        Method::Voice { phone: i } => a.method_voice.replace("{}", &phone(i)),
        Method::Kba => a.method_kba.into(),
        Method::Totp => a.method_totp.into(),
        Method::Passkey => a.method_passkey.into(),
    }
}

/// What the step-up page asks for.
enum Stage {
    /// Which method (value, label), the first one selected.
    Choose { options: Vec<(String, String)> },
    /// A passkey: the browser's options (JSON) for `/static/passkey.js`.
    Passkey { options: String },
    /// A code (no questions) or the answers to `questions` (field name, question); `resend`
    /// when the code came by text message or voice call.
    Answer {
        questions: Vec<(String, String)>,
        resend: bool,
    },
}

/// The step-up page (its own template: one purpose, a few forms, the code field set up for
/// phones' one-time-code autofill).
#[derive(Template)]
#[template(path = "stepup.html")]
struct StepUpPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    t: &'static Text,
    a: &'static AccountText,
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
    intro: String,
    stage: Stage,
    remember: bool,
    cancel_href: String,
}

/// The page for the challenge's current state: the choice of methods, or the code / answers.
pub async fn page(
    p: &Provider,
    headers: &HeaderMap,
    token: &str,
    s: &Pending,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let a = AccountText::get(s.locale);
    // The phones, read once for every label on the page.
    let phones: Vec<String> = if s
        .methods
        .iter()
        .any(|m| matches!(m, Method::Sms { .. } | Method::Voice { .. }))
    {
        p.accounts
            .challenge_phones(&s.account_id)
            .await
            .unwrap_or_default()
            .iter()
            .map(|ph| step_up::codes::masked(&ph.e164))
            .collect()
    } else {
        Vec::new()
    };
    let (intro, stage) = match s.chosen {
        None => {
            let options = s
                .methods
                .iter()
                .filter(|m| !s.failed.contains(m))
                .map(|m| (m.key(), method_label(a, &phones, *m)))
                .collect();
            // Inside a sign-in: an unrecognized computer or an application's demand; signed
            // in already: a re-check before a sensitive change.
            let intro = if s.request_id.is_some() {
                a.stepup_intro
            } else {
                a.stepup_intro_recheck
            };
            (intro.to_owned(), Stage::Choose { options })
        }
        Some(Method::Passkey) => {
            let options = s.passkey_options.clone().unwrap_or_default();
            (
                a.passkey_stepup_intro.to_owned(),
                Stage::Passkey { options },
            )
        }
        Some(Method::Kba) => {
            let questions = crate::widgets::question_fields(s.locale, &s.questions)
                .into_iter()
                .map(|f| (f.name, f.label))
                .collect();
            let stage = Stage::Answer {
                questions,
                resend: false,
            };
            (a.forgot_password_questions.to_owned(), stage)
        }
        Some(m) => {
            let phone = |i: usize| phones.get(i).cloned().unwrap_or_default();
            let intro = match m {
                Method::Sms { phone: i } => a.code_sent_sms.replace("{}", &phone(i)),
                Method::Voice { phone: i } => a.code_sent_voice.replace("{}", &phone(i)),
                _ => a.totp_intro.to_owned(),
            };
            let stage = Stage::Answer {
                questions: Vec::new(),
                resend: m != Method::Totp,
            };
            (intro, stage)
        }
    };
    let stage_is_passkey = matches!(stage, Stage::Passkey { .. });
    let (csrf, set) = crate::http::csrf_token(p, headers);
    // Cancel: back to the sign-in page of the same request, or to where the change began.
    let cancel_href = match (&s.request_id, &s.return_to) {
        (Some(id), _) => format!("/login?request={id}&ui_locales={}", s.locale.tag()),
        (None, Some(back)) if crate::widgets::local_return(back).is_some() => back.clone(),
        _ => format!("/account?ui_locales={}", s.locale.tag()),
    };
    let body = StepUpPage {
        lang: s.locale.tag(),
        other_lang: s.locale.other().tag(),
        t: s.locale.text(),
        a,
        csrf: &csrf,
        token,
        error,
        intro,
        stage,
        remember: p.stepup.remember_by_default,
        cancel_href,
    }
    .render();
    let script = stage_is_passkey;
    let mut r = crate::pages::html(body, status);
    if script {
        // The passkey stage runs our script (and only ours).
        r.headers_mut().insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(crate::forms::SCRIPT_CSP),
        );
    }
    if let Some(c) = set {
        r.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(locale: Locale, stage: Stage) -> String {
        StepUpPage {
            lang: locale.tag(),
            other_lang: locale.other().tag(),
            t: locale.text(),
            a: AccountText::get(locale),
            csrf: "c",
            token: "tok<>",
            error: Some("wrong <code>"),
            intro: "intro".into(),
            stage,
            remember: true,
            cancel_href: "/account?ui_locales=en".into(),
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_code_stage_offers_resend_and_phone_autofill_in_the_readers_language() {
        let html = render(
            Locale::Fr,
            Stage::Answer {
                questions: Vec::new(),
                resend: true,
            },
        );
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains(AccountText::get(Locale::Fr).stepup_title));
        assert!(html.contains("autocomplete=\"one-time-code\""));
        assert!(html.contains("id=\"resend\"") && html.contains("id=\"other\""));
        assert!(html.contains("name=\"remember\" type=\"checkbox\" value=\"on\" checked"));
        // What came from outside is escaped.
        assert!(html.contains("wrong &#60;code&#62;") || html.contains("wrong &lt;code&gt;"));
        assert!(!html.contains("tok<>"));
    }

    #[test]
    fn questions_replace_the_code_and_a_totp_code_cannot_be_resent() {
        let html = render(
            Locale::En,
            Stage::Answer {
                questions: vec![("answer0".into(), "First pet?".into())],
                resend: false,
            },
        );
        assert!(html.contains("id=\"answer0\"") && html.contains("First pet?"));
        assert!(!html.contains("id=\"code\"") && !html.contains("id=\"resend\""));
        let choose = render(
            Locale::En,
            Stage::Choose {
                options: vec![("totp".into(), "App".into()), ("kba".into(), "Q".into())],
            },
        );
        assert!(choose.contains(
            "<input type=\"radio\" id=\"method-totp\" name=\"method\" value=\"totp\" checked> \
             <label class=\"inline-label\" for=\"method-totp\">App</label>"
        ));
        assert!(choose.contains("id=\"method-kba\" name=\"method\" value=\"kba\">"));
        assert!(choose.contains("id=\"cancel\" href=\"/account?ui_locales=en\""));
    }
}
