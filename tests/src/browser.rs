//! A browser stand-in: keeps cookies, never follows redirects by itself (so tests see every
//! hop), and fills in the login form like a person would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

/// One HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names; repeated headers joined with "\n").
    pub headers: HashMap<String, String>,
    /// Body.
    pub body: String,
}

impl Resp {
    /// What a person types to the two challenge questions the page asks (`answer0`,
    /// `answer1`), from their labels: `answers[i]` answers `credential_store::QUESTIONS[i]`.
    pub fn answers_to_questions(&self, answers: &[&'static str]) -> Vec<&'static str> {
        (0..2)
            .map(|i| {
                let needle = format!("<label for=\"answer{i}\">");
                let start = self.body.find(&needle).expect("a question") + needle.len();
                let end = self.body[start..].find(" <span").expect("its label") + start;
                let label = &self.body[start..end];
                let k = credential_store::QUESTIONS
                    .iter()
                    .position(|q| escape(q.en) == label)
                    .unwrap_or_else(|| panic!("unknown question {label}"));
                answers[k]
            })
            .collect()
    }

    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").map(String::as_str)
    }
    /// Query parameters of the `Location` header.
    pub fn location_params(&self) -> HashMap<String, String> {
        let loc = self.location().expect("a redirect");
        url::Url::parse(loc)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
    /// True if this is the login page.
    pub fn is_login_page(&self) -> bool {
        self.status == 200 && self.body.contains("name=\"password\"")
    }
    /// True if this is the acceptable-use agreement asked inside a sign-in.
    pub fn is_agreement_page(&self) -> bool {
        self.status == 200 && self.body.contains("action=\"/login/agreement\"")
    }
    /// The value of a hidden input.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
    /// The text between `before` (as sent) and the next `until`, unescaped as a person reads
    /// it.
    fn between(&self, before: &str, until: &str) -> Option<String> {
        let start = self.body.find(before)? + before.len();
        let end = self.body[start..].find(until)? + start;
        Some(
            self.body[start..end]
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#x2f;", "/")
                .replace("&amp;", "&"),
        )
    }
    /// The message shown beside form field `name`.
    pub fn field_error(&self, name: &str) -> Option<String> {
        self.between(&format!("id=\"{name}-error\">"), "<")
    }
    /// The page's notice (what a change did).
    pub fn notice(&self) -> Option<String> {
        self.between(
            "<div class=\"notice\" role=\"status\" id=\"notice\"><p>",
            "</p>",
        )
    }
    /// The cells of the results table, a row each, as a person reads them (tags left out).
    pub fn table_rows(&self) -> Vec<Vec<String>> {
        let Some(body) = self.between("<tbody>", "</tbody>") else {
            return Vec::new();
        };
        body.split("<tr>")
            .skip(1)
            .map(|row| {
                row.split("<td>")
                    .skip(1)
                    .map(|cell| strip_tags(cell.split("</td>").next().unwrap_or("")))
                    .collect()
            })
            .collect()
    }
    /// The results table's column headers with their `aria-sort` state ("" when none).
    pub fn table_headers(&self) -> Vec<(String, String)> {
        let Some(head) = self.between("<thead><tr>", "</tr></thead>") else {
            return Vec::new();
        };
        head.split("<th ")
            .skip(1)
            .map(|th| {
                let state = th
                    .split("aria-sort=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("")
                    .to_owned();
                let inner = th.split_once('>').map(|(_, r)| r).unwrap_or("");
                (strip_tags(inner.split("</th>").next().unwrap_or("")), state)
            })
            .collect()
    }
    /// Where the page's first link reading exactly `text` leads.
    pub fn link(&self, text: &str) -> Option<String> {
        self.body.split("<a ").skip(1).find_map(|a| {
            let (attrs, rest) = a.split_once('>')?;
            let inner = rest.split("</a>").next()?;
            if strip_tags(inner) != text {
                return None;
            }
            let href = attrs.split("href=\"").nth(1)?.split('"').next()?;
            Some(unescape(href))
        })
    }
    /// The value shown for `label` in a facts list.
    pub fn fact(&self, label: &str) -> Option<String> {
        self.between(&format!("<dt>{label}</dt><dd>"), "</dd>")
    }
}

/// A cookie-keeping HTTP client.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The client.
    pub http: reqwest::Client,
    /// Its cookies.
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    /// Accept-Language to send.
    pub lang: Option<String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

async fn read(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let mut headers: HashMap<String, String> = HashMap::new();
    for (k, v) in r.headers() {
        let v = v.to_str().unwrap_or("").to_owned();
        headers
            .entry(k.as_str().to_owned())
            .and_modify(|e| {
                e.push('\n');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let body = r.text().await.unwrap_or_default();
    Resp {
        status,
        headers,
        body,
    }
}

impl Browser {
    /// A browser with an empty cookie jar.
    pub fn new() -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Self {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar,
            lang: None,
        }
    }

    /// The `Cookie` header this browser would send to `url` (for requests made by hand).
    pub fn cookie_header(&self, url: &str) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&url.parse().unwrap())
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }

    /// GET.
    pub async fn get(&self, url: &str) -> Resp {
        let mut req = self.http.get(url);
        if let Some(l) = &self.lang {
            req = req.header("accept-language", l);
        }
        read(req.send().await.unwrap()).await
    }

    /// POST a form.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Resp {
        let mut req = self.http.post(url).form(form);
        if let Some(l) = &self.lang {
            req = req.header("accept-language", l);
        }
        read(req.send().await.unwrap()).await
    }

    /// Answers the agreement `page` asked inside a sign-in: `accept`, or decline.
    pub async fn answer_agreement(&self, base: &str, page: &Resp, accept: bool) -> Resp {
        assert!(
            page.is_agreement_page(),
            "expected the agreement, got {} {}",
            page.status,
            page.body
        );
        let token = page.hidden("agreement").expect("agreement field");
        let csrf = page.hidden("csrf").expect("csrf field");
        let button = if accept { "accept" } else { "decline" };
        self.post_form(
            &format!("{base}/login/agreement"),
            &[("agreement", &token), ("csrf", &csrf), (button, "1")],
        )
        .await
    }

    /// Fills in and submits the login form of `page`.
    pub async fn login(&self, base: &str, page: &Resp, login_id: &str, password: &str) -> Resp {
        assert!(
            page.is_login_page(),
            "expected the login page, got {} {}",
            page.status,
            page.body
        );
        let request = page.hidden("request").expect("request field");
        let csrf = page.hidden("csrf").expect("csrf field");
        self.post_form(
            &format!("{base}/login"),
            &[
                ("request", &request),
                ("csrf", &csrf),
                ("login_id", login_id),
                ("password", password),
            ],
        )
        .await
    }
}

/// Text as the page templates escape it.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// HTML text as a person reads it: entities of our templates undone.
pub fn unescape(s: &str) -> String {
    s.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// The text of an HTML fragment, its tags left out and entities undone.
pub fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(out.trim())
}
