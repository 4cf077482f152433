//! The step-up page: the choice of methods, or the code or the questions of the chosen one.

use super::*;

/// How a method reads on the page; `phones` are the account's, masked, in order.
pub fn method_label(a: &AccountText, phones: &[String], m: Method) -> String {
    let phone = |i: usize| phones.get(i).cloned().unwrap_or_default();
    match m {
        Method::Sms { phone: i } => a.method_sms.replace("{}", &phone(i)),
        Method::Voice { phone: i } => a.method_voice.replace("{}", &phone(i)),
        Method::Kba => a.method_kba.into(),
        Method::Totp => a.method_totp.into(),
    }
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
    let mut v = View {
        title: a.stepup_title.into(),
        ..View::default()
    };
    if let Some(e) = error {
        v.errors.push((String::new(), e.to_owned()));
    }
    let hidden = vec![("t".to_owned(), token.to_owned())];
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
    let remember = || {
        let mut f = Field::new("checkbox", "remember", a.remember_device, "");
        f.checked = p.stepup.remember_by_default;
        f
    };
    match s.chosen {
        None => {
            v.intro.push(a.stepup_intro.into());
            let mut options = Vec::new();
            for m in s.methods.iter().filter(|m| !s.failed.contains(m)) {
                options.push((m.key(), method_label(a, &phones, *m)));
            }
            let first = options.first().map(|o| o.0.clone()).unwrap_or_default();
            v.forms.push(Form {
                id: Some("choose".into()),
                action: "/stepup".into(),
                hidden: [hidden, vec![("action".into(), "choose".into())]].concat(),
                fieldsets: vec![Fieldset {
                    fields: vec![
                        Field::new("select", "method", a.stepup_method, &first).options(options)
                    ],
                    ..Fieldset::default()
                }],
                submit: a.next.into(),
                ..Form::default()
            });
        }
        Some(Method::Kba) => {
            v.intro.push(a.forgot_password_questions.into());
            let mut fields = crate::widgets::question_fields(s.locale, &s.questions);
            fields.push(remember());
            v.forms.push(Form {
                id: Some("verify".into()),
                action: "/stepup".into(),
                hidden: [hidden.clone(), vec![("action".into(), "verify".into())]].concat(),
                fieldsets: vec![Fieldset {
                    fields,
                    ..Fieldset::default()
                }],
                submit: a.verify.into(),
                ..Form::default()
            });
            v.forms.push(other_method_form(a, &hidden));
        }
        Some(m) => {
            let intro = match m {
                Method::Totp => a.totp_intro.to_owned(),
                _ => a.code_sent.replace("{}", &method_label(a, &phones, m)),
            };
            v.intro.push(intro);
            v.forms.push(Form {
                id: Some("verify".into()),
                action: "/stepup".into(),
                hidden: [hidden.clone(), vec![("action".into(), "verify".into())]].concat(),
                fieldsets: vec![Fieldset {
                    fields: vec![
                        Field::new("text", "code", a.code, "")
                            .required()
                            .auto("one-time-code"),
                        remember(),
                    ],
                    ..Fieldset::default()
                }],
                submit: a.verify.into(),
                ..Form::default()
            });
            if m != Method::Totp {
                v.forms.push(Form {
                    id: Some("resend".into()),
                    action: "/stepup".into(),
                    hidden: [hidden.clone(), vec![("action".into(), "resend".into())]].concat(),
                    submit: a.resend.into(),
                    ..Form::default()
                });
            }
            v.forms.push(other_method_form(a, &hidden));
        }
    }
    crate::widgets::send(p, headers, s.locale, &v, status)
}

fn other_method_form(a: &AccountText, hidden: &[(String, String)]) -> Form {
    Form {
        id: Some("other".into()),
        action: "/stepup".into(),
        hidden: [hidden.to_vec(), vec![("action".into(), "other".into())]].concat(),
        submit: a.other_method.into(),
        ..Form::default()
    }
}
