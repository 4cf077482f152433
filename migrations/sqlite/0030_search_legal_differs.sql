-- A legal name is searched apart from the name in use only where the two differ (see the
-- PostgreSQL migration of the same name): the rest are found through the name's own index.
DROP INDEX accounts_search_legal_family;
DROP INDEX accounts_search_legal_given;
CREATE INDEX accounts_search_legal_family ON accounts (LOWER(legal_family_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status)
    WHERE LOWER(legal_family_name) <> LOWER(family_name);
CREATE INDEX accounts_search_legal_given ON accounts (LOWER(legal_given_name),
    id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status)
    WHERE LOWER(legal_given_name) <> LOWER(given_name);
