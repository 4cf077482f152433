-- no-transaction
-- See 0028_search_family.sql.
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_find_given ON accounts ((LOWER(given_name) COLLATE "C"))
    INCLUDE (id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status);
