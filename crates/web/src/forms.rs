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
    /// A button of this group's own: (name, value, text) (e.g. "Remove" a row).
    pub button: Option<(String, String, String)>,
    /// A long text to read before the fields (an agreement), in a box of its own.
    pub document: Option<String>,
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
    /// The person's login ID and names, `|`-separated, for the script that marks the rule
    /// against personal information while typing.
    pub rules_personal: String,
    /// Button text.
    pub submit: String,
    /// A passkey form (`create` or `get`; `/static/passkey.js`): its hidden `options` go to
    /// the browser's WebAuthn call, whose answer fills its hidden `credential`.
    pub passkey: Option<&'static str>,
    /// Button name (to tell several buttons apart).
    pub button_name: Option<String>,
    /// Further buttons after the main one: (name, value, text), e.g. Back and Cancel.
    pub buttons: Vec<(String, String, String)>,
    /// A small, secondary button (an action repeated down a list, such as "Remove").
    pub compact: bool,
    /// A search or filter form: sent with GET, so its filters stay in the address (a link can
    /// be kept, shared and reloaded); it changes nothing, so it carries no anti-forgery token.
    pub get: bool,
}

impl Form {
    /// The form that adds a row to the page's list (`id="add"`): shown after the list, which
    /// is what a console's page is for.
    pub fn adds(&self) -> bool {
        self.id.as_deref() == Some("add")
    }

    /// A filter form over a list at `path`: its `fields` in a row, sent with GET, keeping the
    /// page's language and the list's order (`keep`: name and value pairs).
    pub fn filters(
        path: &str,
        locale: Locale,
        fields: Vec<Field>,
        submit: &str,
        keep: &[(&str, &str)],
    ) -> Form {
        let mut hidden = vec![("ui_locales".to_owned(), locale.tag().to_owned())];
        hidden.extend(
            keep.iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Form {
            id: Some("search".into()),
            action: path.to_owned(),
            hidden,
            fieldsets: vec![Fieldset {
                fields,
                ..Fieldset::default()
            }],
            submit: submit.to_owned(),
            get: true,
            ..Form::default()
        }
    }
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
    /// How the table can be ordered, a column each: (link that orders by it, or "" when it
    /// cannot; its `aria-sort` state, `ascending`, `descending` or "" when the rows are not
    /// ordered by it). Empty: no column orders.
    pub table_sort: Vec<(String, &'static str)>,
    /// Links between a list's pages: (href, text), shown under the table.
    pub pager: Vec<(String, String)>,
    /// A staff console's page: the full width, for tables (the person's pages stay one
    /// narrow card).
    pub wide: bool,
    /// Heading of `links`.
    pub links_heading: Option<String>,
    /// Links at the bottom: (href, text).
    pub links: Vec<(String, String)>,
    /// Steps of a wizard: (name, state) with state `done`, `current` or `todo`.
    pub progress: Vec<(String, String)>,
    /// A script of ours (`/static/...`) that enhances the page; it works without it.
    pub script: Option<&'static str>,
    /// An image generated by the server (a QR code), inlined as SVG markup. Never built from
    /// anything a person typed except through the QR encoder.
    pub svg: Option<String>,
}

impl View {
    /// How column `i` orders the table: (link, `aria-sort` state), "" for none. (Askama hands
    /// a template's arguments by reference.)
    pub fn sort_of(&self, i: &usize) -> (&str, &str) {
        self.table_sort
            .get(*i)
            .map(|(href, state)| (href.as_str(), *state))
            .unwrap_or(("", ""))
    }

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
    p: &authorization_server::Provider,
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
    let mut r = html(
        FormPage {
            lang: locale.tag(),
            other_lang: locale.other().tag(),
            t: locale.text(),
            csrf,
            v,
        }
        .render(),
        status,
    );
    // Only a page that carries one of our scripts may run scripts, and only ours.
    if v.script.is_some() {
        r.headers_mut().insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(SCRIPT_CSP),
        );
    }
    r
}

/// The content security policy of a page that runs one of our scripts: our own scripts,
/// styles and images, and fetches of our own files (the common-password list); nothing else.
pub const SCRIPT_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    /// A page with a script (the live password checks) loads it once, after the form, and its
    /// title is plain text: no markup for a screen reader to announce.
    #[tokio::test]
    async fn a_script_loads_once_and_never_in_the_title() {
        let v = View {
            title: "Set password".into(),
            script: Some("/static/password-rules.js"),
            ..View::default()
        };
        let r = render(Locale::En, &v, "csrf", StatusCode::OK);
        let body = axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let html = String::from_utf8_lossy(&body);
        let title = html
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_default();
        assert_eq!(title, "Set password – ONE ID", "{html}");
        assert!(html.contains(r#"<script src="/static/password-rules.js" defer></script>"#));
        assert_eq!(html.matches("password-rules.js").count(), 1, "{html}");
    }
}
