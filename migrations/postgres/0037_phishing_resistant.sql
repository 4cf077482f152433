-- Relying parties (OIDC clients and SAML service providers) that accept only a passkey
-- (phishing-resistant sign-in) at every sign-in; such a requirement implies multi-factor.
ALTER TABLE clients ADD COLUMN require_phishing_resistant BIGINT NOT NULL DEFAULT 0;
ALTER TABLE saml_sps ADD COLUMN require_phishing_resistant BIGINT NOT NULL DEFAULT 0;
