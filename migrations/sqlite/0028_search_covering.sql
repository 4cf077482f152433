-- The consoles' account search (see the PostgreSQL migration of the same number): each
-- searched column's index also holds what a match is listed and filtered by, so a search
-- reads its matches from the index alone (SQLite uses an index that holds every column a
-- query reads as a covering index) and never the accounts' rows.
DROP INDEX accounts_search_family;
DROP INDEX accounts_search_given;
DROP INDEX accounts_search_legal_family;
DROP INDEX accounts_search_legal_given;
DROP INDEX accounts_search_login;
CREATE INDEX accounts_search_family ON accounts (LOWER(family_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status);
CREATE INDEX accounts_search_given ON accounts (LOWER(given_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status);
CREATE INDEX accounts_search_legal_family ON accounts (LOWER(legal_family_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status);
CREATE INDEX accounts_search_legal_given ON accounts (LOWER(legal_given_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status);
CREATE INDEX accounts_search_login ON accounts (login_id_lower,
    id, family_name, given_name, legal_family_name, legal_given_name, created_at, status);
