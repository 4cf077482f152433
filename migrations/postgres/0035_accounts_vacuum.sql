-- The account search reads its matches from its covering indexes alone (0028-0032) only where
-- the table's pages are marked all-visible, and every sign-in updates its account's row (the
-- attempt taken before a secret is checked), which clears that mark for the row's page. By
-- default autovacuum waits for a fifth of the table to change (200,000 rows at a million
-- accounts, most pages by then); this vacuums after 1,000 + 0.2 % changed rows, which at a
-- morning's sign-in rate is every few minutes, each pass reading only the pages changed since.
ALTER TABLE accounts SET (autovacuum_vacuum_scale_factor = 0.002, autovacuum_vacuum_threshold = 1000);
