-- Every refresh token of an account (a termination, a password reset, a suspension) and of an
-- SSO session (its logout) are revoked through these: without them each revocation read the
-- whole table (3 ms a termination with 18,000 tokens; a province keeps hundreds of thousands).
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
