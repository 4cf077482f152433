-- PostgreSQL's autovacuum setting for accounts (see its 0035); SQLite has no such thing.
SELECT 1;
