//! The consoles' account lists: every account or a search's matches, filtered by status,
//! ordered by name, login ID or creation, a page at a time by keyset (never `OFFSET`: a page
//! starts after the previous page's last row, through the order's index, however far down the
//! list it is).

use super::*;

/// What a search's matches carry: the id, the columns of every order, the status.
const MATCHED: &str = "id, family_name, given_name, login_id_lower, created_at, status";

/// What a search's words are compared with (each has an index on exactly this expression).
const SEARCHED: [&str; 5] = [
    "LOWER(family_name)",
    "LOWER(given_name)",
    "LOWER(legal_family_name)",
    "LOWER(legal_given_name)",
    "login_id_lower",
];

/// The words of a lower-cased query that a name may start with: split on spaces and the
/// separators of a login ID (`.`, `@`, `,`), keeping the apostrophes and hyphens of names
/// (O'Neil, Smith-Jones); 2 characters or more, at most 4.
fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| c.is_whitespace() || matches!(c, '.' | '@' | ','))
        .filter(|w| w.chars().count() >= 2)
        .take(4)
        .map(str::to_owned)
        .collect()
}

/// The first string after every string that starts with `prefix` (its last character
/// incremented), so `x >= prefix AND x < prefix_end(prefix)` is "x starts with prefix".
fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    "\u{10ffff}".to_owned()
}

/// `col` of the account `table_alias` (`LOWER(x)` becomes `LOWER(alias.x)`).
fn searched_column(col: &str, table_alias: &str) -> String {
    if table_alias.is_empty() {
        return col.to_owned();
    }
    col.replace("LOWER(", &format!("LOWER({table_alias}."))
        .replacen(
            "login_id_lower",
            &format!("{table_alias}.login_id_lower"),
            1,
        )
}

/// "`col` starts with `word`", as a range over `col`'s search index, the word's bounds bound
/// through `arg`.
fn starts_with(
    kind: platform::DbKind,
    col: &str,
    word: &str,
    arg: &mut dyn FnMut(String) -> String,
) -> String {
    let c = match kind {
        platform::DbKind::Postgres => " COLLATE \"C\"",
        platform::DbKind::Sqlite => "",
    };
    let lo = arg(word.to_owned());
    let hi = arg(prefix_end(word));
    format!("({col}{c} >= {lo} AND {col}{c} < {hi})")
}

/// "`word` starts a name or the login ID of the account `table_alias`".
fn word_condition(
    kind: platform::DbKind,
    word: &str,
    table_alias: &str,
    arg: &mut dyn FnMut(String) -> String,
) -> String {
    let one: Vec<String> = SEARCHED
        .iter()
        .map(|col| starts_with(kind, &searched_column(col, table_alias), word, arg))
        .collect();
    format!("({})", one.join(" OR "))
}

/// The condition "every word of `q` (lower-cased) starts a name or the login ID of the
/// account `table_alias`" as SQL over the search indexes, with its parameters bound through
/// `arg` (which returns each parameter's placeholder); `None` when `q` has no such word.
/// The LRA's search reads it this way (its matches are then narrowed to one organization's).
pub fn name_prefix_condition(
    kind: platform::DbKind,
    q: &str,
    table_alias: &str,
    arg: &mut dyn FnMut(String) -> String,
) -> Option<String> {
    let words = search_words(q);
    if words.is_empty() {
        return None;
    }
    let all: Vec<String> = words
        .iter()
        .map(|w| word_condition(kind, w, table_alias, arg))
        .collect();
    Some(all.join(" AND "))
}

/// The same condition as `name_prefix_condition`, cut into one condition per searched column
/// (their union is the whole): the longest word starts that column (a range over its index)
/// and every other word starts any of them. Each branch is read through one index, so the
/// consoles' search takes only the first page of each instead of every match.
fn name_prefix_branches(
    kind: platform::DbKind,
    q: &str,
    arg: &mut dyn FnMut(String) -> String,
) -> Vec<String> {
    let words = search_words(q);
    // The longest word is the likeliest to be the rarest.
    let Some(lead) = words
        .iter()
        .enumerate()
        .max_by_key(|(i, w)| (w.chars().count(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
    else {
        return Vec::new();
    };
    let rest: Vec<String> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != lead)
        .map(|(_, w)| word_condition(kind, w, "", arg))
        .collect();
    SEARCHED
        .iter()
        .map(|col| {
            let mut all = vec![starts_with(kind, col, &words[lead], arg)];
            // A legal name the same as the name in use (most of them) is matched there: its
            // index holds only the ones that differ (`migrations/*/0030_search_legal_family.sql`
            // and `0031`), and this says so to the planner.
            if let Some(same) = LEGAL_DIFFERS.iter().find(|(c, _)| c == col) {
                all.push(same.1.to_owned());
            }
            all.extend(rest.iter().cloned());
            all.join(" AND ")
        })
        .collect()
}

/// A legal name's search column, and the condition under which its index holds an account:
/// the legal name is not the name in use (compared as the search compares).
const LEGAL_DIFFERS: [(&str, &str); 2] = [
    (
        "LOWER(legal_family_name)",
        "LOWER(legal_family_name) <> LOWER(family_name)",
    ),
    (
        "LOWER(legal_given_name)",
        "LOWER(legal_given_name) <> LOWER(given_name)",
    ),
];

/// What a list is ordered by; every order ends with the account id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountOrder {
    /// Family name, then given name (`accounts_names`).
    #[default]
    Name,
    /// Login ID (its unique lower-case form).
    LoginId,
    /// When the account was created (`accounts_created`).
    Created,
}

impl AccountOrder {
    /// The order named in a console's address (`name`, `login_id`, `created`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "name" => Some(Self::Name),
            "login_id" => Some(Self::LoginId),
            "created" => Some(Self::Created),
            _ => None,
        }
    }

    /// Its name in an address.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::LoginId => "login_id",
            Self::Created => "created",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Name => &["family_name", "given_name", "id"],
            Self::LoginId => &["login_id_lower"],
            Self::Created => &["created_at", "id"],
        }
    }
}

/// Which page of which list.
#[derive(Debug, Clone, Default)]
pub struct AccountList {
    /// A login ID, a name or a registration number, as `search` reads it; empty: every
    /// account.
    pub query: String,
    /// Only accounts in this state.
    pub status: Option<AccountStatus>,
    /// The order.
    pub order: AccountOrder,
    /// Last first.
    pub descending: bool,
    /// The page after this account (the previous page's last row).
    pub after: Option<String>,
    /// The page before this account (the next page's first row).
    pub before: Option<String>,
    /// Rows on a page (1 to 200).
    pub limit: i64,
}

/// One page of a list.
#[derive(Debug, Clone, Default)]
pub struct AccountPage {
    /// The rows, in the list's order.
    pub accounts: Vec<Account>,
    /// More rows come after the last one.
    pub more_after: bool,
    /// More rows come before the first one.
    pub more_before: bool,
}

impl Accounts {
    /// One page of `l`. A cursor that names no account gives an empty page.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list(&self, l: &AccountList) -> Result<AccountPage, CredentialError> {
        let limit = l.limit.clamp(1, 200);
        let q = clean(&l.query).to_lowercase();
        if q.len() > 128 {
            return Ok(AccountPage::default());
        }
        let mut binds: Vec<String> = Vec::new();
        let arg = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let mut cond = String::new();
        if let Some(s) = l.status {
            let n = arg(&mut binds, s.as_str().to_owned());
            cond.push_str(&format!(" AND status = {n}"));
        }
        // Going backwards reads the list reversed from the cursor, then turns the page round.
        let backwards = l.before.is_some() && l.after.is_none();
        let reversed = l.descending != backwards;
        let cols = l.order.columns().join(", ");
        if let Some(cursor) = l.after.as_ref().or(l.before.as_ref()) {
            let n = arg(&mut binds, cursor.clone());
            let cmp = if reversed { "<" } else { ">" };
            cond.push_str(&format!(
                " AND ({cols}) {cmp} (SELECT {cols} FROM accounts WHERE id = {n})"
            ));
        }
        let dir = if reversed { " DESC" } else { "" };
        let order: Vec<String> = l
            .order
            .columns()
            .iter()
            .map(|c| format!("{c}{dir}"))
            .collect();
        let order = order.join(", ");
        let page = limit + 1;
        let sql = if q.is_empty() {
            format!(
                "SELECT {COLUMNS} FROM accounts WHERE 1 = 1{cond} ORDER BY {order} LIMIT {page}"
            )
        } else {
            // With a query, one select per way of matching, each through its own index
            // (`migrations/*/0028`-`0032`, which hold the list's columns, so no account row is
            // read for a match): the login ID,
            // a registration number, and the start of each searched column. Each is set apart
            // (`MATERIALIZED`, so no plan walks the list's order index filtering every
            // account, as PostgreSQL's generic plan for a prepared statement did: 2 s at a
            // million) and gives only its own first page, in the list's order after the
            // cursor; the page is the first of their union. A common name (13,000 Smiths at
            // a million) is then a page of each, not 13,000 rows united and sorted.
            let exact = arg(&mut binds, q.clone());
            let login = arg(&mut binds, normalize_login_id(&l.query));
            let mut ways = vec![
                format!("login_id_lower = {login}"),
                format!(
                    "id IN (SELECT account_id FROM professional_designations \
                     WHERE LOWER(registration_number) = {exact})"
                ),
            ];
            ways.extend(name_prefix_branches(self.db.kind(), &q, &mut |v| {
                arg(&mut binds, v)
            }));
            let with: Vec<String> = ways
                .iter()
                .enumerate()
                .map(|(i, way)| {
                    format!(
                        "m{i} AS MATERIALIZED (SELECT {MATCHED} FROM accounts WHERE {way}{cond})"
                    )
                })
                .collect();
            let firsts: Vec<String> = (0..ways.len())
                .map(|i| {
                    format!(
                        "SELECT * FROM (SELECT {MATCHED} FROM m{i} ORDER BY {order} \
                         LIMIT {page}) AS f{i}"
                    )
                })
                .collect();
            format!(
                "WITH {}, matched AS ({}), page AS (SELECT id FROM matched ORDER BY {order} \
                 LIMIT {page}) SELECT {COLUMNS} FROM accounts WHERE id IN (SELECT id FROM page) \
                 ORDER BY {order}",
                with.join(", "),
                firsts.join(" UNION ")
            )
        };
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        let mut accounts: Vec<Account> = rows
            .iter()
            .map(Account::from_row)
            .collect::<Result<_, _>>()?;
        let more = accounts.len() as i64 > limit;
        accounts.truncate(limit as usize);
        let cursor = l.after.is_some() || l.before.is_some();
        if backwards {
            accounts.reverse();
            Ok(AccountPage {
                accounts,
                more_after: true,
                more_before: more,
            })
        } else {
            Ok(AccountPage {
                accounts,
                more_after: more,
                more_before: cursor,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_holds_exactly_the_strings_that_start_with_it() {
        let end = prefix_end("smith");
        assert_eq!(end, "smiti");
        for inside in ["smith", "smithson", "smith-jones", "smithz"] {
            assert!(inside >= "smith" && inside < end.as_str(), "{inside}");
        }
        for outside in ["smit", "smiti", "smyth", "asmith"] {
            assert!(!(outside >= "smith" && outside < end.as_str()), "{outside}");
        }
        assert_eq!(prefix_end("éa"), "éb");
    }

    #[test]
    fn a_query_becomes_the_words_a_name_may_start_with() {
        assert_eq!(search_words("smith.john"), ["smith", "john"]);
        assert_eq!(search_words("j smith"), ["smith"]);
        assert_eq!(search_words("o'neil"), ["o'neil"]);
        assert_eq!(search_words("randy.burt@oneid"), ["randy", "burt", "oneid"]);
        assert!(search_words("a").is_empty());
    }
}
