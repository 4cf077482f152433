-- The search's first indexes (0022), replaced by 0028-0032. Dropping an index is quick: the
-- lock it takes on accounts is held for milliseconds, not for a build. (During a rolling
-- upgrade, the console searches of a node still on the previous version are slow until it is
-- upgraded: its legal-name tests have no index of their own any more.)
DROP INDEX IF EXISTS accounts_search_family;
DROP INDEX IF EXISTS accounts_search_given;
DROP INDEX IF EXISTS accounts_search_legal_family;
DROP INDEX IF EXISTS accounts_search_legal_given;
DROP INDEX IF EXISTS accounts_search_login;
