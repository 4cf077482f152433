-- A relying party that must push its authorization requests (RFC 9126): the authorization
-- endpoint refuses its requests unless they come through the pushed authorization request
-- endpoint.
ALTER TABLE clients ADD COLUMN require_par BIGINT NOT NULL DEFAULT 0;
