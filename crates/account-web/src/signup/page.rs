//! A wizard step's page: what it shows (`StepPage`) and its templates, the layout
//! `templates/signup/wizard.html` (progress, "step N of M", problems, the registry's fields
//! read-only, Next / Back / Cancel) extended by each step's own `templates/signup/<step>.html`.

use crate::signup_text::SignupText;
use askama::Template;
use authorization_server::Provider;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use platform::i18n::Text;
use platform::Locale;
use registration::wizard::Step;
use web::forms::{Field, Fieldset, Section};

/// A field the registry filled in: shown, never posted.
#[derive(Debug, Clone)]
pub(super) struct Locked {
    /// Element id.
    pub name: String,
    /// Label.
    pub label: String,
    /// The registry's value.
    pub value: String,
    /// Where it comes from.
    pub hint: Option<String>,
}

/// One step's page.
#[derive(Debug, Clone)]
pub(super) struct StepPage {
    /// Which step.
    pub step: Step,
    /// Title and heading.
    pub title: String,
    /// "Step n of m: name".
    pub step_of: String,
    /// This page in the other language.
    pub other_lang_href: String,
    /// Where the form posts.
    pub action: String,
    /// Every step: (name, `done` | `current` | `todo`).
    pub progress: Vec<(String, String)>,
    /// Problems: (field id or "", message).
    pub errors: Vec<(String, String)>,
    /// Facts shown above the fields (the policies).
    pub sections: Vec<Section>,
    /// Legend of the registry's fields.
    pub locked_legend: Option<String>,
    /// The registry's fields, read-only.
    pub locked: Vec<Locked>,
    /// What the member fills in.
    pub fieldsets: Vec<Fieldset>,
    /// Heading of the password rules.
    pub rules_heading: String,
    /// The password rules: (code, text).
    pub rules: Vec<(String, String)>,
    /// Names the password may not contain, `|`-separated, for the live checks.
    pub rules_personal: String,
    /// Next (or Finish).
    pub submit: String,
    /// A row may be added ("Add another").
    pub add: bool,
    /// There is a step to go back to.
    pub back: bool,
    /// A script of ours that enhances the page.
    pub script: Option<&'static str>,
}

impl StepPage {
    fn fields_named<'a>(&'a mut self, name: &'a str) -> impl Iterator<Item = &'a mut Field> {
        self.fieldsets
            .iter_mut()
            .flat_map(|fs| fs.fields.iter_mut())
            .filter(move |x| x.name == name)
    }

    /// Puts `msg` beside the field named `name` and in the summary.
    pub fn field_error(&mut self, name: &str, msg: &str) {
        for x in self.fields_named(name) {
            if x.error.is_none() {
                x.error = Some(msg.to_owned());
            }
        }
        self.errors.push((name.to_owned(), msg.to_owned()));
    }

    /// Shows `value` in the field named `name`.
    pub fn set_value(&mut self, name: &str, value: &str) {
        for x in self.fields_named(name) {
            x.value = value.to_owned();
        }
    }
}

macro_rules! step_templates {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[derive(Template)]
            #[template(path = $path)]
            struct $name<'a> {
                lang: &'static str,
                other_lang: &'static str,
                t: &'static Text,
                s: &'static SignupText,
                csrf: &'a str,
                pg: &'a StepPage,
            }
        )*

        /// The step's page in `locale`, with `csrf` in its form.
        fn render(locale: Locale, pg: &StepPage, csrf: &str) -> Result<String, askama::Error> {
            let (lang, other_lang, t) = (locale.tag(), locale.other().tag(), locale.text());
            let s = SignupText::get(locale);
            match pg.step {
                $(Step::$name => $name { lang, other_lang, t, s, csrf, pg }.render(),)*
            }
        }
    };
}

step_templates! {
    Policies => "signup/policies.html",
    Personal => "signup/personal.html",
    Designation => "signup/designation.html",
    Questions => "signup/questions.html",
    Phones => "signup/phones.html",
    Mail => "signup/mail.html",
    Password => "signup/password.html",
}

/// Answers with the page of a step (and this browser's anti-forgery cookie when it is new).
pub(super) fn send_step(
    p: &Provider,
    headers: &HeaderMap,
    locale: Locale,
    pg: &StepPage,
    status: StatusCode,
) -> Response {
    let (csrf, set) = web::http::csrf_token(p, headers);
    let mut r = web::pages::html(render(locale, pg, &csrf), status);
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    // Only a page that carries one of our scripts may run scripts, and only ours.
    if pg.script.is_some() {
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(web::forms::SCRIPT_CSP),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn personal() -> StepPage {
        StepPage {
            step: Step::Personal,
            title: "Registration – Personal information".into(),
            step_of: "Step 2 of 7: Personal information".into(),
            other_lang_href: "/register/personal?ui_locales=fr".into(),
            action: "/register/personal?ui_locales=en".into(),
            progress: vec![
                ("Policies".into(), "done".into()),
                ("Personal information".into(), "current".into()),
            ],
            errors: Vec::new(),
            sections: Vec::new(),
            locked_legend: None,
            locked: vec![Locked {
                name: "birth_date".into(),
                label: "Date of birth".into(),
                value: "1982-04-17".into(),
                hint: Some("From your registry".into()),
            }],
            fieldsets: vec![Fieldset {
                fields: vec![Field::new("email", "email", "Email", "a@example.org")],
                ..Fieldset::default()
            }],
            rules_heading: String::new(),
            rules: Vec::new(),
            rules_personal: String::new(),
            submit: "Next".into(),
            add: false,
            back: true,
            script: None,
        }
    }

    /// The layout draws the progress and "step n of m", the registry's fields as text (never
    /// as inputs), the step's own fields with their errors, and Next / Back / Cancel.
    #[test]
    fn a_step_shows_the_registry_fields_read_only_and_its_own_as_inputs() {
        let mut pg = personal();
        pg.field_error("email", "Enter a valid email address.");
        let html = render(Locale::En, &pg, "tok").unwrap();
        assert!(html.contains("<ol class=\"progress\" id=\"progress\">"));
        assert!(html.contains(" aria-current=\"step\">Personal information</li>"));
        assert!(html.contains("Step 2 of 7: Personal information"));
        assert!(html.contains("<p class=\"static\" id=\"birth_date\">1982-04-17</p>"));
        assert!(!html.contains("name=\"birth_date\""));
        assert!(html.contains("id=\"step-personal\""));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
        assert!(html.contains("id=\"email\" name=\"email\" type=\"email\" value=\"a@example.org\""));
        assert!(html.contains("<a href=\"#email\">Enter a valid email address.</a>"));
        assert!(html.contains("name=\"nav\" value=\"back\""));
        assert!(html.contains("name=\"nav\" value=\"cancel\""));
        assert!(!html.contains("value=\"add\""));
        let fr = render(Locale::Fr, &pg, "tok").unwrap();
        assert!(fr.contains("<html lang=\"fr\">"));
    }
}
