-- Passkeys (WebAuthn credentials): each belongs to one account, has a name its holder gave it,
-- and carries the library's record of it (public key, signature counter, backup flags) as
-- JSON. The credential ID is unique across accounts (a discoverable sign-in finds its account
-- by it); the signature counter is kept in its own column so that a use is recorded only when
-- the counter moved forward (a cloned authenticator is refused on every node). A passkey
-- registered with a direct attestation checked against the staff list keeps the authenticator
-- model (AAGUID) it proved.
CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    credential_id   TEXT NOT NULL,
    name            TEXT NOT NULL,
    data            TEXT NOT NULL,
    counter         BIGINT NOT NULL DEFAULT 0,
    backup_eligible BIGINT NOT NULL DEFAULT 0,
    attested_aaguid TEXT,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT
);
CREATE UNIQUE INDEX passkeys_credential ON passkeys (credential_id);
CREATE INDEX passkeys_account ON passkeys (account_id, created_at);
