-- See 0028_search_family.sql.
CREATE INDEX IF NOT EXISTS accounts_find_login ON accounts (login_id_lower,
    id, family_name, given_name, legal_family_name, legal_given_name, created_at, status);
