-- A legal name is searched apart from the name in use only where the two differ: most accounts'
-- legal names are their names, already found through the name's index, and reading the same
-- 13,000 Smiths twice (once per index) and sorting both was half of a search's work at a
-- million accounts. The search's legal-name tests carry the same condition, so they use these.
DROP INDEX accounts_search_legal_family;
DROP INDEX accounts_search_legal_given;
CREATE INDEX accounts_search_legal_family ON accounts ((LOWER(legal_family_name) COLLATE "C"))
    INCLUDE (id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status)
    WHERE LOWER(legal_family_name) <> LOWER(family_name);
CREATE INDEX accounts_search_legal_given ON accounts ((LOWER(legal_given_name) COLLATE "C"))
    INCLUDE (id, family_name, given_name, legal_family_name, legal_given_name, login_id_lower, created_at, status)
    WHERE LOWER(legal_given_name) <> LOWER(given_name);
