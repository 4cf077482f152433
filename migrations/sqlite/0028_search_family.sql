-- The consoles' account search, one index per searched column (as on PostgreSQL, a statement
-- per migration, so both backends keep the same numbers). Each holds in its key what a match
-- is listed and filtered by, so SQLite reads the matches from the index alone (a covering
-- index); a legal name's holds only the accounts whose legal name differs from the name in use.
CREATE INDEX IF NOT EXISTS accounts_find_family ON accounts (LOWER(family_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status);
