-- DPoP (RFC 9449): a refresh token issued with a proof is bound to its key's thumbprint and is
-- honoured only with a proof by the same key.
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;
-- A relying party that must prove a DPoP key at the token endpoint.
ALTER TABLE clients ADD COLUMN require_dpop BIGINT NOT NULL DEFAULT 0;
