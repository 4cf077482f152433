-- The search's first indexes (0022), replaced by 0028-0032. DROP INDEX IF EXISTS accounts_search_family;
DROP INDEX IF EXISTS accounts_search_given;
DROP INDEX IF EXISTS accounts_search_legal_family;
DROP INDEX IF EXISTS accounts_search_legal_given;
DROP INDEX IF EXISTS accounts_search_login;
