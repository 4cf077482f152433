//! Keyset paging over one unique column: a page after a row or before it, read through the
//! column's index from the cursor, never with `OFFSET` (which reads every row before the page).

/// Which page of a list ordered by one unique column.
#[derive(Debug, Clone, Copy)]
pub struct Keyset<'a> {
    /// The page after this value (the previous page's last).
    pub after: Option<&'a str>,
    /// The page before this value (the next page's first), when there is no `after`.
    pub before: Option<&'a str>,
    /// Rows on a page.
    pub limit: i64,
}

/// One page and whether rows lie on either side of it.
#[derive(Debug, Clone, Default)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub rows: Vec<T>,
    /// More rows come after the last one.
    pub more_after: bool,
    /// More rows come before the first one.
    pub more_before: bool,
}

impl<T> Page<T> {
    /// The first and last rows' keys (the cursors of the pages before and after), if any row.
    pub fn ends<'a>(&'a self, key: impl Fn(&'a T) -> &'a str) -> Option<(&'a str, &'a str)> {
        Some((key(self.rows.first()?), key(self.rows.last()?)))
    }

    /// The cursor of the next page: the last row's key when more rows follow.
    pub fn next_cursor<'a>(&'a self, key: impl Fn(&'a T) -> &'a str) -> Option<&'a str> {
        self.rows.last().filter(|_| self.more_after).map(key)
    }
}

impl Keyset<'_> {
    /// Whether the statement reads backwards (a page before a cursor): its rows come in the
    /// column's descending order.
    pub fn backwards(&self) -> bool {
        self.before.is_some() && self.after.is_none()
    }

    /// The condition, order and limit that read the page's rows of a list ordered by `col`,
    /// with its one parameter `$1` (bind [`Keyset::value`]); one row more than the page, to
    /// know whether more follow.
    pub fn sql(&self, col: &str) -> String {
        let (cond, order) = match (self.after, self.before) {
            (Some(_), _) => (format!("{col} > $1"), "ASC"),
            (None, Some(_)) => (format!("{col} < $1"), "DESC"),
            (None, None) => ("$1 = ''".to_owned(), "ASC"),
        };
        format!(
            "WHERE {cond} ORDER BY {col} {order} LIMIT {}",
            self.limit + 1
        )
    }

    /// The value of the statement's `$1`.
    pub fn value(&self) -> &str {
        self.after.or(self.before).unwrap_or("")
    }

    /// The page from the rows the statement read, in the list's order.
    pub fn page<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit.max(0) as usize);
        if self.backwards() {
            rows.reverse();
            Page {
                rows,
                more_after: true,
                more_before: more,
            }
        } else {
            Page {
                rows,
                more_after: more,
                more_before: self.after.is_some(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_knows_what_lies_on_either_side() {
        let first = Keyset {
            after: None,
            before: None,
            limit: 2,
        };
        assert_eq!(first.sql("id"), "WHERE $1 = '' ORDER BY id ASC LIMIT 3");
        let p = first.page(vec!["a", "b", "c"]);
        assert_eq!(p.ends(|r| r), Some(("a", "b")));
        assert_eq!(p.next_cursor(|r| r), Some("b"));
        assert_eq!(
            (p.rows, p.more_before, p.more_after),
            (vec!["a", "b"], false, true)
        );
        let next = Keyset {
            after: Some("b"),
            ..first
        };
        assert_eq!(next.sql("id"), "WHERE id > $1 ORDER BY id ASC LIMIT 3");
        let p = next.page(vec!["c"]);
        assert_eq!(p.next_cursor(|r| r), None, "the last page");
        assert_eq!(
            (p.rows, p.more_before, p.more_after),
            (vec!["c"], true, false)
        );
        // Before "c": read downwards ("b", "a"), turned round.
        let back = Keyset {
            before: Some("c"),
            ..first
        };
        assert_eq!(back.sql("id"), "WHERE id < $1 ORDER BY id DESC LIMIT 3");
        assert_eq!(back.value(), "c");
        let p = back.page(vec!["b", "a"]);
        assert_eq!(
            (p.rows, p.more_before, p.more_after),
            (vec!["a", "b"], false, true)
        );
    }
}
