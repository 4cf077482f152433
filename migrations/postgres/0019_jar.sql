-- A relying party whose authorization requests must be signed request objects (RFC 9101).
ALTER TABLE clients ADD COLUMN require_signed_request_object BIGINT NOT NULL DEFAULT 0;
