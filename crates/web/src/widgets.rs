//! Pieces of pages that several surfaces use: sending a form page with its anti-forgery
//! cookie, dates, statuses and field messages in words, the new-password form, challenge
//! question fields and answers, and where a page may send the browser back to.

use crate::account_text::AccountText;
use crate::forms::{self, Field, Fieldset, Form, View};
use crate::http::{csrf_token, Params};
use authorization_server::Provider;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use credential_store::{
    AccountStatus, CredentialError, Field as AField, PolicyViolation, QuestionAnswer, MAX_PHONES,
    QUESTIONS,
};
use platform::Locale;

/// Sends a page with the anti-forgery cookie minted if the browser has none.
pub fn send(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    v: &View,
    status: StatusCode,
) -> Response {
    let (csrf, set) = csrf_token(p, headers);
    let mut r = forms::render(locale, v, &csrf, status);
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// A date (UTC) from unix seconds, `YYYY-MM-DD`.
/// Tells the holder of `account` by mail, in their language, that a passkey named `name` was
/// added to it (sent in the background; an account without an address is told nothing).
pub fn mail_passkey_added(p: &Provider, account: &credential_store::Account, name: &str) {
    let Some(to) = account.email.clone() else {
        return;
    };
    let l = Locale::parse(&account.locale).unwrap_or_default();
    let a = AccountText::get(l);
    // The desk's number, as the pages' footer shows it, when one is configured.
    let desk = crate::chrome::desk_phone()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let mail = platform::mail::Mail {
        to,
        subject: a.mail_passkey_subject.into(),
        body: a
            .mail_passkey_body
            .replace("{name}", &account.display_name())
            .replace("{login_id}", &account.login_id)
            .replace("{passkey}", name)
            .replace("{desk}", &desk),
    };
    let mailer = p.mailer.clone();
    tokio::spawn(async move {
        if let Err(e) = mailer.send(mail).await {
            tracing::warn!(error = %e, "passkey notice not sent");
        }
    });
}

pub fn date(ts: i64) -> String {
    // Civil-from-days (H. Hinnant).
    let z = ts.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// A time (UTC) from unix seconds, `YYYY-MM-DD HH:MM UTC`.
pub fn datetime(ts: i64) -> String {
    let s = ts.rem_euclid(86_400);
    format!("{} {:02}:{:02} UTC", date(ts), s / 3600, (s % 3600) / 60)
}

/// The status in words.
pub fn status_text(a: &AccountText, s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => a.status_active,
        AccountStatus::Locked => a.status_locked,
        AccountStatus::Suspended => a.status_suspended,
        AccountStatus::Terminated => a.status_terminated,
    }
}

/// The message for a bad account field.
pub fn field_message(a: &AccountText, f: AField) -> &'static str {
    match f {
        AField::Email => a.bad_email,
        AField::Phone => a.bad_phone,
        AField::BirthDate => a.bad_date,
        AField::Locale => a.bad_language,
        _ => a.bad_name,
    }
}

/// The password rules as a list, each in the reader's language.
/// Then the confirmation (`confirm`): the live checks mark each one as it is met.
pub fn rules(locale: Locale) -> Vec<(String, String)> {
    PolicyViolation::ALL
        .iter()
        .map(|v| (v.code().to_owned(), v.message(locale).to_owned()))
        .chain(std::iter::once((
            "confirm".to_owned(),
            AccountText::get(locale).passwords_same.to_owned(),
        )))
        .collect()
}

/// What the live check of "does not contain your login ID or your name" looks for, for the
/// rules list's `data-personal`: the login ID before `@` and the names, cut at spaces, hyphens,
/// dots and apostrophes, the parts of at least 3 characters, in lower case and also without
/// accents, `|`-separated. Only a hint for the person: the server checks the rule itself.
pub fn personal_parts(login_id: &str, names: &[&str]) -> String {
    let local = login_id.split_once('@').map_or(login_id, |(l, _)| l);
    let mut out: Vec<String> = Vec::new();
    for name in std::iter::once(local).chain(names.iter().copied()) {
        for part in name.split([' ', '-', '.', '\'', '\u{2019}']) {
            let lower = part.trim().to_lowercase();
            let folded = credential_store::transliterate(&lower).to_lowercase();
            for p in [lower, folded] {
                if p.chars().count() >= 3 && !p.contains('|') && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out.join("|")
}

/// The fields of a new-password form (with or without the current password), with the rules
/// the live checks mark; `personal` is [`personal_parts`] of the person choosing it. The page
/// loads the checks with [`PASSWORD_SCRIPT`].
pub fn password_form(
    locale: Locale,
    action: String,
    with_current: bool,
    hidden: Vec<(String, String)>,
    personal: String,
) -> Form {
    let a = AccountText::get(locale);
    let mut fields = Vec::new();
    if with_current {
        fields.push(
            Field::new("password", "current_password", a.current_password, "")
                .required()
                .auto("current-password"),
        );
    }
    fields.push(
        Field::new("password", "new_password", a.new_password, "")
            .required()
            .auto("new-password"),
    );
    fields.push(
        Field::new("password", "confirm_password", a.confirm_password, "")
            .required()
            .auto("new-password"),
    );
    Form {
        id: Some("password".into()),
        action,
        hidden,
        fieldsets: vec![Fieldset {
            fields,
            ..Fieldset::default()
        }],
        rules_heading: a.password_rules.into(),
        rules: rules(locale),
        rules_personal: personal,
        submit: a.change_password.into(),
        ..Form::default()
    }
}

/// The script that marks the password rules as they are met (a page's `script`).
pub const PASSWORD_SCRIPT: &str = "/static/password-rules.js";

/// The script of the passkey forms (`Form::passkey`).
pub const PASSKEY_SCRIPT: &str = "/static/passkey.js";

/// Puts the outcome of a failed password change on the view; `None` when the error is not
/// the person's to fix.
pub fn password_errors(locale: Locale, v: &mut View, e: &CredentialError) -> bool {
    let a = AccountText::get(locale);
    match e {
        CredentialError::Policy(broken) => {
            v.field_error(
                "new_password",
                &credential_store::PolicyViolation::problems(broken, locale),
            );
            true
        }
        CredentialError::Reused => {
            v.field_error("new_password", a.password_reused);
            true
        }
        CredentialError::WrongPassword => {
            v.field_error("current_password", a.wrong_current_password);
            true
        }
        _ => false,
    }
}

/// Checks the new-password fields of a form: given, and typed the same twice. Puts the
/// message beside the field and returns false when they are not.
pub fn new_password_typed(v: &mut View, a: &AccountText, form: &Params) -> bool {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("new_password").is_empty() {
        v.field_error("new_password", a.required);
        false
    } else if get("new_password") != get("confirm_password") {
        v.field_error("confirm_password", a.passwords_differ);
        false
    } else {
        true
    }
}

/// One answer field per challenge question asked (`answer0`, `answer1`, ...).
pub fn question_fields(locale: Locale, questions: &[String]) -> Vec<Field> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let text = credential_store::question(q)
                .map(|q| q.text(locale))
                .unwrap_or("");
            Field::new("text", &format!("answer{i}"), text, "")
                .required()
                .auto("off")
        })
        .collect()
}

/// The answers typed into `question_fields`, bounded in length.
pub fn typed_answers(form: &Params, questions: &[String]) -> Vec<QuestionAnswer> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| QuestionAnswer {
            question_id: q.clone(),
            answer: form
                .get(&format!("answer{i}"))
                .map(|a| a.chars().take(200).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// The link to `path` in the other language (a page's language switch).
pub fn lang_href(path: &str, locale: Locale) -> Option<String> {
    Some(format!("{path}?ui_locales={}", locale.other().tag()))
}

/// After a page that needs a fresh sign-in, where to go.
pub fn local_return(path: &str) -> Option<&str> {
    // The console's home is `/admin` (with or without a query or a trailing slash).
    let ok = (path == "/admin"
        || path == "/device"
        || [
            "/device?",
            "/admin/",
            "/admin?",
            "/account",
            "/desk",
            "/lra",
            "/register/link",
            "/saml/continue?",
        ]
        .iter()
        .any(|p| path.starts_with(p)))
        && !path.contains("//")
        && !path.contains('\\');
    ok.then_some(path)
}

/// The challenge questions to choose from, after a "choose one" entry.
fn question_options(locale: Locale, a: &AccountText) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), a.choose_question.to_owned())];
    o.extend(
        QUESTIONS
            .iter()
            .map(|q| (q.id.to_owned(), q.text(locale).to_owned())),
    );
    o
}

/// `n` challenge-question rows named `{prefix}_q{i}` / `{prefix}_a{i}`, numbered from
/// `offset + 1`, showing `typed` (question id, answer) where given.
pub fn question_rows(
    locale: Locale,
    prefix: &str,
    typed: &[(String, String)],
    n: usize,
    offset: usize,
) -> Vec<Field> {
    let a = AccountText::get(locale);
    let opts = question_options(locale, a);
    let mut fields = Vec::new();
    for i in 0..n {
        let k = (offset + i + 1).to_string();
        let (q, answer) = typed.get(i).cloned().unwrap_or_default();
        fields.push(
            Field::new(
                "select",
                &format!("{prefix}_q{i}"),
                &a.question_n.replace("{}", &k),
                &q,
            )
            .options(opts.clone())
            .required(),
        );
        fields.push(
            Field::new(
                "text",
                &format!("{prefix}_a{i}"),
                &a.answer_n.replace("{}", &k),
                &answer,
            )
            .required()
            .auto("off"),
        );
    }
    fields
}

/// The challenge-phone rows (`phone{i}`, `kind{i}`) showing `typed` (number, kind), and the
/// "no direct number" box.
pub fn phone_rows(locale: Locale, typed: &[(String, String)], no_direct: bool) -> Vec<Field> {
    let a = AccountText::get(locale);
    let mut fields = Vec::new();
    for i in 0..MAX_PHONES {
        let (number, kind) = typed.get(i).cloned().unwrap_or_default();
        fields.push(
            Field::new(
                "tel",
                &format!("phone{i}"),
                &a.phone_n.replace("{}", &(i + 1).to_string()),
                &number,
            )
            .auto("tel"),
        );
        fields.push(
            Field::new(
                "select",
                &format!("kind{i}"),
                a.phone_kind,
                if kind.is_empty() { "mobile" } else { &kind },
            )
            .options(vec![
                ("mobile".into(), a.mobile.into()),
                ("landline".into(), a.landline.into()),
            ]),
        );
    }
    let mut box_ = Field::new("checkbox", "no_direct_number", a.no_direct_number, "");
    box_.checked = no_direct;
    fields.push(box_);
    fields
}
/// Where a signed-in person can go: My Profile, and each console a role of theirs opens (the
/// service desk, the LRA console, administration), in `locale`. For the links of a refusal
/// ("this page is not for you") and for staff moving between consoles.
pub async fn places(
    p: &Provider,
    account_id: &str,
    locale: platform::Locale,
) -> Result<Vec<(String, String)>, credential_store::CredentialError> {
    let a = AccountText::get(locale);
    let tag = locale.tag();
    let roles = p.accounts.roles(account_id).await?;
    let has = |r: &str| roles.iter().any(|(role, _)| role == r);
    let mut out = vec![(
        format!("/account?ui_locales={tag}"),
        a.nav_profile.to_owned(),
    )];
    for (role, href, text) in [
        ("service_desk", "/desk", a.desk_title),
        ("lra", "/lra", a.place_lra),
        ("administrator", "/admin", a.place_admin),
    ] {
        if has(role) {
            out.push((format!("{href}?ui_locales={tag}"), text.to_owned()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_parts_are_the_login_id_and_names_cut_in_lower_case_with_and_without_accents() {
        assert_eq!(
            personal_parts(
                "Helene.Tremblay-Roy@ONEID.ON.CA",
                &["Hélène", "Tremblay-Roy", "O'Neil", "Li"]
            ),
            "helene|tremblay|roy|hélène|neil"
        );
        assert_eq!(personal_parts("", &[]), "");
        let rules = rules(Locale::Fr);
        assert_eq!(rules.len(), PolicyViolation::ALL.len() + 1);
        assert_eq!(
            rules.last().map(|(c, t)| (c.as_str(), t.as_str())),
            Some(("confirm", "Les deux mots de passe sont identiques"))
        );
    }

    #[test]
    fn dates_from_unix_seconds() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_795_000_000), "2026-11-18");
    }

    #[test]
    fn only_local_console_paths_are_returned_to() {
        assert_eq!(local_return("/account/security"), Some("/account/security"));
        assert_eq!(local_return("/admin"), Some("/admin"));
        assert_eq!(
            local_return("/admin?ui_locales=fr"),
            Some("/admin?ui_locales=fr")
        );
        assert_eq!(local_return("/admin/"), Some("/admin/"));
        assert_eq!(local_return("/administrator"), None);
        assert_eq!(local_return("//evil.example/account"), None);
        assert_eq!(local_return("https://evil.example/"), None);
        assert_eq!(local_return("/accountx//x"), None);
    }
}
