-- SAML 2.0 identity provider: its signing keys (RSA with a self-signed certificate, sealed
-- under the key-encryption key, rotated only when an administrator says so), the service
-- providers it serves, and the persistent pseudonymous NameIDs it gave them.
CREATE TABLE saml_signing_keys (
    kid           TEXT PRIMARY KEY,
    state         TEXT NOT NULL,                 -- next | active | retired
    private_key   BYTEA NOT NULL,                 -- PKCS#8 PEM sealed under the key-encryption key
    certificate   TEXT NOT NULL,                 -- base64 DER, self-signed
    created_at    BIGINT NOT NULL,
    activated_at  BIGINT,
    retired_at    BIGINT
);
-- At most one key signs and one waits, whatever two nodes do at once.
CREATE UNIQUE INDEX saml_signing_keys_one_active ON saml_signing_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX saml_signing_keys_one_next ON saml_signing_keys (state) WHERE state = 'next';

CREATE TABLE saml_sps (
    entity_id             TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    acs                   TEXT NOT NULL,         -- JSON [{binding, location, index, is_default}]
    slo                   TEXT NOT NULL,         -- JSON [{binding, location, response_location}]
    signing_certs         TEXT NOT NULL,         -- JSON [base64 DER]
    encryption_cert       TEXT,                  -- base64 DER
    nameid_format         TEXT NOT NULL,
    attributes            TEXT NOT NULL,         -- JSON [attribute names released]
    service_id            TEXT,                  -- the gate: enrolment in this service
    allow_idp_initiated   BIGINT NOT NULL DEFAULT 0,
    sign_response         BIGINT NOT NULL DEFAULT 0,
    encrypt_assertions    BIGINT NOT NULL DEFAULT 0,
    want_signed_requests  BIGINT NOT NULL DEFAULT 0,
    require_mfa           BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE saml_persistent_ids (
    account_id   TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    name_id      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, entity_id),
    UNIQUE (entity_id, name_id)
);
