-- PostgreSQL partitions the audit trail by month here; SQLite removes archived rows one by
-- one. Which partition an archive file emptied (always NULL on SQLite).
ALTER TABLE audit_archives ADD COLUMN partition_name TEXT;
