-- Step-up: the devices (browsers) that passed a challenge for an account, each account's TOTP
-- secret (sealed under the key-encryption key) and the last step used (a code is single use),
-- and relying parties that always require multi-factor.
CREATE TABLE devices (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    token_hash     TEXT NOT NULL,             -- SHA-256 of the browser's device cookie
    browser        TEXT NOT NULL,             -- e.g. "Chrome on Windows"
    network        TEXT NOT NULL,             -- coarse: IPv4 /24, IPv6 /48
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    trusted_until  BIGINT NOT NULL,
    revoked_at     BIGINT,
    UNIQUE (token_hash, account_id)
);
CREATE INDEX devices_account ON devices (account_id);

ALTER TABLE accounts ADD COLUMN totp_secret BLOB;
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;
ALTER TABLE accounts ADD COLUMN totp_enrolled_at BIGINT;

ALTER TABLE clients ADD COLUMN require_mfa BIGINT NOT NULL DEFAULT 0;
