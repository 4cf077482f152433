-- The FAPI 2.0 Security Profile as a relying party's mode: pushed requests, PKCE, private_key_jwt,
-- DPoP-bound tokens, PS256/ES256/EdDSA only and a code that lives at most 60 seconds.
ALTER TABLE clients ADD COLUMN fapi2 BIGINT NOT NULL DEFAULT 0;
