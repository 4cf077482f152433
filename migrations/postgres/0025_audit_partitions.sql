-- The audit trail partitioned by month of `at` (UTC), so that retention drops a month's
-- partition (after archiving it) instead of deleting its rows one by one
-- (platform/src/audit_partitions.rs makes the coming months' partitions; rows outside every
-- partition land in audit_log_default). The rows already here are copied into a partition per
-- month: on a large trail, plan this migration's time (about a minute per ten million rows).
ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_unpartitioned_pkey;
DROP INDEX audit_log_event;
DROP INDEX audit_log_subject;
DROP INDEX audit_log_actor;
DROP INDEX audit_log_at;

CREATE TABLE audit_log (
    id          BIGINT NOT NULL DEFAULT nextval('audit_log_id_seq'),
    at          BIGINT NOT NULL,
    event       TEXT NOT NULL,
    actor       TEXT,
    subject     TEXT,
    client_id   TEXT,
    session_id  TEXT,
    source      TEXT,
    detail      TEXT,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

DO $$
DECLARE
    lo BIGINT;
    hi BIGINT;
    m TIMESTAMP;
BEGIN
    SELECT MIN(at), MAX(at) INTO lo, hi FROM audit_log_unpartitioned;
    IF lo IS NOT NULL THEN
        m := date_trunc('month', to_timestamp(lo) AT TIME ZONE 'UTC');
        WHILE extract(epoch FROM m)::BIGINT <= hi LOOP
            EXECUTE format(
                'CREATE TABLE audit_log_p%s PARTITION OF audit_log FOR VALUES FROM (%s) TO (%s)',
                to_char(m, 'YYYYMM'),
                extract(epoch FROM m)::BIGINT,
                extract(epoch FROM m + INTERVAL '1 month')::BIGINT
            );
            m := m + INTERVAL '1 month';
        END LOOP;
    END IF;
END $$;

INSERT INTO audit_log SELECT * FROM audit_log_unpartitioned;
DROP TABLE audit_log_unpartitioned;

CREATE INDEX audit_log_event ON audit_log (event, at);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

-- Which partition an archive file emptied (NULL: rows removed one by one).
ALTER TABLE audit_archives ADD COLUMN partition_name TEXT;
