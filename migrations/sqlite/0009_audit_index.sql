-- The administrators' audit search (platform::Audit::search): rows about or by an account
-- (subject, or actor), by an actor, or in a time range, newest first. The event filter has
-- its index since 0001 (event, at); each index ends with the paging key (id).
CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_at ON audit_log (at, id);
