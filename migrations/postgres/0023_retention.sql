-- The retention jobs find what has aged out through these, a batch at a time, never by
-- reading a whole table.
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX devices_trusted_until ON devices (trusted_until);
CREATE INDEX devices_revoked_at ON devices (revoked_at);
