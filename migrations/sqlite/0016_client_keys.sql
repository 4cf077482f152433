-- private_key_jwt client authentication (RFC 7523): the client's public keys, inline (a JWK set)
-- or at an address of its own; a client with keys has no secret.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
