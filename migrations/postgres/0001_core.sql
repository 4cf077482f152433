-- The core schema: accounts, relying parties, the signing key ring, refresh tokens, audit.
-- Times are unix seconds (BIGINT); flags are 0/1 BIGINT; lists are JSON text.

CREATE TABLE accounts (
    id               TEXT PRIMARY KEY,          -- the stable, opaque OIDC subject
    login_id         TEXT NOT NULL,             -- as shown, e.g. Randy.Burt@ONEID.ON.CA
    login_id_lower   TEXT NOT NULL UNIQUE,      -- login IDs are case-insensitive
    given_name       TEXT NOT NULL,
    family_name      TEXT NOT NULL,
    email            TEXT,
    phone            TEXT,
    locale           TEXT NOT NULL DEFAULT 'en',
    status           TEXT NOT NULL DEFAULT 'active',
    assurance_level  BIGINT NOT NULL DEFAULT 1,
    password_hash    TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE clients (
    client_id                  TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    secret_hash                TEXT,            -- SHA-256 of a high-entropy secret; NULL = public client
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL,
    grant_types                TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    id_token_alg               TEXT NOT NULL,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    alg           TEXT NOT NULL,
    state         TEXT NOT NULL,                -- next | active | retired | revoked
    private_key   BYTEA NOT NULL,               -- PEM sealed under the key-encryption key
    public_jwk    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    activated_at  BIGINT,
    retired_at    BIGINT
);
CREATE INDEX signing_keys_state ON signing_keys (state);

CREATE TABLE refresh_tokens (
    token_hash   TEXT PRIMARY KEY,              -- SHA-256 of the opaque token
    family_id    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    auth_time    BIGINT NOT NULL,
    acr          TEXT NOT NULL,
    amr          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    revoked      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    event       TEXT NOT NULL,
    actor       TEXT,
    subject     TEXT,
    client_id   TEXT,
    session_id  TEXT,
    source      TEXT,
    detail      TEXT
);
CREATE INDEX audit_log_event ON audit_log (event, at);
