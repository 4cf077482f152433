//! One accessible page shape for every account form (profile, passwords, challenge questions,
//! forgotten login ID or password, service desk): an error summary linking to the fields, a
//! message beside each bad field, read-only facts, forms and a results table. Built as data,
//! rendered by one autoescaped template.

use crate::pages::html;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use platform::i18n::Text;
use platform::Locale;

/// One form control.
#[derive(Debug, Clone, Default)]
pub struct Field {
    /// Form name and element id.
    pub name: String,
    /// Label.
    pub label: String,
    /// `text`, `password`, `email`, `tel`, `date`, `select`, `checkbox` or `static`.
    pub kind: &'static str,
    /// Value shown (never for passwords).
    pub value: String,
    /// Checkbox state.
    pub checked: bool,
    /// Choices of a select: (value, label).
    pub options: Vec<(String, String)>,
    /// Hint under the label.
    pub hint: Option<String>,
    /// Message beside the field.
    pub error: Option<String>,
    /// `autocomplete` token.
    pub autocomplete: &'static str,
    /// Marked required.
    pub required: bool,
}

impl Field {
    /// A control of `kind`.
    pub fn new(kind: &'static str, name: &str, label: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
            value: value.to_owned(),
            ..Self::default()
        }
    }

    /// Marked required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// With a hint.
    pub fn hint(mut self, h: &str) -> Self {
        self.hint = Some(h.to_owned());
        self
    }

    /// With an autocomplete token.
    pub fn auto(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }

    /// With choices.
    pub fn options(mut self, o: Vec<(String, String)>) -> Self {
        self.options = o;
        self
    }
}

/// A group of fields.
#[derive(Debug, Clone, Default)]
pub struct Fieldset {
    /// Legend.
    pub legend: Option<String>,
    /// Explanation.
    pub hint: Option<String>,
    /// Fields.
    pub fields: Vec<Field>,
}

/// A form.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// Element id.
    pub id: Option<String>,
    /// Where it posts.
    pub action: String,
    /// Hidden values (besides the anti-forgery token).
    pub hidden: Vec<(String, String)>,
    /// Groups of fields.
    pub fieldsets: Vec<Fieldset>,
    /// Heading of `rules`.
    pub rules_heading: String,
    /// Password rules shown under the fields: (code, text).
    pub rules: Vec<(String, String)>,
    /// Button text.
    pub submit: String,
    /// Button name (to tell several buttons apart).
    pub button_name: Option<String>,
}

/// Read-only facts.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Heading.
    pub heading: Option<String>,
    /// (label, value) rows.
    pub rows: Vec<(String, String)>,
}

/// A whole page.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Title and heading.
    pub title: String,
    /// Link to this page in the other language.
    pub other_lang_href: Option<String>,
    /// Navigation links: (href, text).
    pub nav: Vec<(String, String)>,
    /// Problems: (field id or "", message).
    pub errors: Vec<(String, String)>,
    /// A success message.
    pub notice: Option<String>,
    /// Paragraphs.
    pub intro: Vec<String>,
    /// Facts.
    pub sections: Vec<Section>,
    /// Forms.
    pub forms: Vec<Form>,
    /// Table header.
    pub table_head: Vec<String>,
    /// Table rows of (link or "", text) cells.
    pub table: Vec<Vec<(String, String)>>,
    /// Links at the bottom: (href, text).
    pub links: Vec<(String, String)>,
}

impl View {
    fn fields_named<'a>(&'a mut self, name: &'a str) -> impl Iterator<Item = &'a mut Field> {
        self.forms
            .iter_mut()
            .flat_map(|f| f.fieldsets.iter_mut())
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

    /// Shows `value` in the field named `name` (what the person typed).
    pub fn set_value(&mut self, name: &str, value: &str) {
        for x in self.fields_named(name) {
            x.value = value.to_owned();
        }
    }
}

/// A posted form, parsed (each field once) and carrying this browser's anti-forgery token;
/// otherwise the error page to send.
pub fn checked(
    p: &crate::Provider,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    locale: Locale,
) -> Result<crate::http::Params, crate::error::PageError> {
    use crate::error::PageError;
    let Ok(form) = crate::http::parse_form(headers, body) else {
        return Err(PageError::bad(locale, |t| t.bad_request));
    };
    if !crate::http::csrf_ok(p, headers, form.get("csrf")) {
        return Err(PageError::bad(locale, |t| t.csrf_failed));
    }
    Ok(form)
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage<'a> {
    lang: &'static str,
    other_lang: &'static str,
    t: &'static Text,
    csrf: &'a str,
    v: &'a View,
}

/// Renders `v` in `locale`; `csrf` goes into every form.
pub fn render(locale: Locale, v: &View, csrf: &str, status: StatusCode) -> Response {
    html(
        FormPage {
            lang: locale.tag(),
            other_lang: locale.other().tag(),
            t: locale.text(),
            csrf,
            v,
        }
        .render(),
        status,
    )
}
