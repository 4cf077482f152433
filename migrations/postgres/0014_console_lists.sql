-- The consoles' account lists page by keyset: each order ends with the id, so a page starts
-- exactly after the previous page's last row, served by an index whatever the list's length.
DROP INDEX accounts_names;
CREATE INDEX accounts_names ON accounts (family_name, given_name, id);
CREATE INDEX accounts_created ON accounts (created_at, id);
