-- See 0028_search_family.sql.
CREATE INDEX IF NOT EXISTS accounts_find_legal_given ON accounts (LOWER(legal_given_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status) WHERE LOWER(legal_given_name) <> LOWER(given_name);
