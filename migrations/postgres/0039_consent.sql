-- Third-party apps ask the person's consent before a code; what was consented to is
-- remembered per person and app (until taken back in My Profile). Province viewers (not
-- third-party) are pre-authorized.
ALTER TABLE clients ADD COLUMN third_party BIGINT NOT NULL DEFAULT 0;
CREATE TABLE consents (
    account_id  TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    scopes      TEXT NOT NULL,           -- space-separated, as granted
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
CREATE INDEX consents_client ON consents (client_id);
