-- Audit retention's manifest (platform/src/audit_archive.rs): one row per archive file, a
-- SHA-256 chain from the first. The primary key makes two archivers racing for the same
-- place in the chain fail instead of forking it.
CREATE TABLE audit_archives (
    seq          BIGINT PRIMARY KEY,
    file         TEXT NOT NULL,
    first_id     BIGINT NOT NULL,
    last_id      BIGINT NOT NULL,
    row_count    BIGINT NOT NULL,
    first_at     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    cutoff       BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    prev         TEXT NOT NULL,
    chain        TEXT NOT NULL,
    archived_at  BIGINT NOT NULL,
    node         TEXT NOT NULL
);
