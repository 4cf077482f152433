//! The consoles' account lists: every account or a search's matches, filtered by status,
//! ordered by name, login ID or creation, a page at a time by keyset (never `OFFSET`: a page
//! starts after the previous page's last row, through the order's index, however far down the
//! list it is).

use super::*;

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
        let mut sql = format!("SELECT {COLUMNS} FROM accounts WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let arg = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        if !q.is_empty() {
            let exact = arg(&mut binds, q.clone());
            let like = arg(&mut binds, format!("%{}%", q.replace(['\\', '%', '_'], "")));
            let login = arg(&mut binds, normalize_login_id(&l.query));
            sql.push_str(&format!(
                " AND (login_id_lower = {login} \
                 OR LOWER(given_name) LIKE {like} OR LOWER(family_name) LIKE {like} \
                 OR LOWER(given_name || ' ' || family_name) LIKE {like} \
                 OR LOWER(legal_given_name || ' ' || legal_family_name) LIKE {like} \
                 OR id IN (SELECT account_id FROM professional_designations \
                           WHERE LOWER(registration_number) = {exact}))"
            ));
        }
        if let Some(s) = l.status {
            let n = arg(&mut binds, s.as_str().to_owned());
            sql.push_str(&format!(" AND status = {n}"));
        }
        // Going backwards reads the list reversed from the cursor, then turns the page round.
        let backwards = l.before.is_some() && l.after.is_none();
        let reversed = l.descending != backwards;
        let cols = l.order.columns().join(", ");
        if let Some(cursor) = l.after.as_ref().or(l.before.as_ref()) {
            let n = arg(&mut binds, cursor.clone());
            let cmp = if reversed { "<" } else { ">" };
            sql.push_str(&format!(
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
        sql.push_str(&format!(
            " ORDER BY {} LIMIT {}",
            order.join(", "),
            limit + 1
        ));
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
