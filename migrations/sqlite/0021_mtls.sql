-- Mutual-TLS client authentication (RFC 8705): `tls_client_auth` (a certificate from a
-- configured CA, with the registered subject) or `self_signed_tls_client_auth` (a certificate
-- the client registered in its jwks, x5c); NULL: the client authenticates otherwise.
ALTER TABLE clients ADD COLUMN tls_client_auth TEXT;
ALTER TABLE clients ADD COLUMN tls_client_auth_subject_dn TEXT;
