-- See 0028_search_family.sql.
CREATE INDEX IF NOT EXISTS accounts_find_legal_family ON accounts (LOWER(legal_family_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status) WHERE LOWER(legal_family_name) <> LOWER(family_name);
