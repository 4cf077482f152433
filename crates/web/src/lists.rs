//! The consoles' lists: an address that keeps a list's filters and order (so a link can be
//! kept, shared and reloaded), column headers that order the rows, and the links between
//! pages of a keyset-paged list.

use platform::Locale;

/// The parameters that name a page rather than a list: dropped when the list changes.
const CURSORS: [&str; 2] = ["after", "before"];

/// A list's address: its path, its language and its parameters (filters, order, cursor).
#[derive(Debug, Clone)]
pub struct ListAddress {
    path: String,
    params: Vec<(String, String)>,
}

impl ListAddress {
    /// The list at `path`, in `locale`.
    pub fn new(path: &str, locale: Locale) -> Self {
        Self {
            path: path.to_owned(),
            params: vec![("ui_locales".into(), locale.tag().into())],
        }
    }

    /// With the parameter `k` set to `v` (left out when `v` is empty).
    pub fn with(mut self, k: &str, v: &str) -> Self {
        let v = v.trim();
        match self.params.iter().position(|(name, _)| name == k) {
            Some(i) if v.is_empty() => {
                self.params.remove(i);
            }
            Some(i) => self.params[i].1 = v.to_owned(),
            None if v.is_empty() => {}
            None => self.params.push((k.to_owned(), v.to_owned())),
        }
        self
    }

    /// The value of `k`, or "".
    pub fn get(&self, k: &str) -> &str {
        self.params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The address with `changes` made: the first page of the list unless a change names a
    /// cursor.
    pub fn href(&self, changes: &[(&str, &str)]) -> String {
        let mut a = self.clone();
        a.params.retain(|(k, _)| !CURSORS.contains(&k.as_str()));
        for (k, v) in changes {
            a = a.with(k, v);
        }
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &a.params {
            s.append_pair(k, v);
        }
        format!("{}?{}", a.path, s.finish())
    }

    /// The address of the page as it is, in the other language.
    pub fn other_language(&self, locale: Locale) -> String {
        let mut changes: Vec<(&str, &str)> = vec![("ui_locales", locale.other().tag())];
        for c in CURSORS {
            changes.push((c, self.get(c)));
        }
        self.href(&changes)
    }

    /// Column headers that order the list: for each column its order's name in the address
    /// (`None`: it does not order), given the list's order (`sort`) and direction.
    pub fn sort_headers(
        &self,
        columns: &[Option<&str>],
        sort: &str,
        descending: bool,
    ) -> Vec<(String, &'static str)> {
        columns
            .iter()
            .map(|c| match c {
                None => (String::new(), ""),
                Some(key) if *key == sort => (
                    self.href(&[("sort", key), ("dir", if descending { "" } else { "desc" })]),
                    if descending {
                        "descending"
                    } else {
                        "ascending"
                    },
                ),
                Some(key) => (self.href(&[("sort", key), ("dir", "")]), ""),
            })
            .collect()
    }

    /// The links between pages, given the page's first and last row ids and whether rows lie
    /// before and after it.
    pub fn pager(
        &self,
        locale: Locale,
        first_last: Option<(&str, &str)>,
        more_before: bool,
        more_after: bool,
    ) -> Vec<(String, String)> {
        let t = locale.text();
        let mut links = Vec::new();
        let Some((first, last)) = first_last else {
            if more_before || more_after {
                links.push((self.href(&[]), t.first_page.to_owned()));
            }
            return links;
        };
        if more_before {
            links.push((self.href(&[]), t.first_page.to_owned()));
            links.push((self.href(&[("before", first)]), t.previous_page.to_owned()));
        }
        if more_after {
            links.push((self.href(&[("after", last)]), t.next_page.to_owned()));
        }
        links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_filters_and_drop_the_cursor_unless_asked() {
        let a = ListAddress::new("/admin/accounts", Locale::Fr)
            .with("q", " smith ")
            .with("status", "")
            .with("after", "abc");
        assert_eq!(a.get("q"), "smith");
        assert_eq!(a.get("status"), "");
        assert_eq!(
            a.href(&[("sort", "created")]),
            "/admin/accounts?ui_locales=fr&q=smith&sort=created"
        );
        assert_eq!(
            a.other_language(Locale::Fr),
            "/admin/accounts?ui_locales=en&q=smith&after=abc"
        );
        let heads = a.sort_headers(&[Some("name"), None, Some("created")], "name", false);
        assert_eq!(heads[0].1, "ascending");
        assert!(heads[0].0.ends_with("sort=name&dir=desc"), "{}", heads[0].0);
        assert_eq!(heads[1], (String::new(), ""));
        assert_eq!(heads[2].1, "");
        let pages = a.pager(Locale::En, Some(("f", "l")), true, true);
        let texts: Vec<&str> = pages.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["First page", "Previous page", "Next page"]);
        assert!(pages[1].0.ends_with("before=f"));
        assert!(pages[2].0.ends_with("after=l"));
        assert!(a
            .pager(Locale::En, Some(("f", "l")), false, false)
            .is_empty());
    }
}
