-- Self-registration from trusted registries (004 §5, §6; 000, 001) and the first part of the
-- sponsorship model: organizations (sponsors), services with a minimum level of assurance,
-- enrolments of accounts into services through a sponsor, and which relying party belongs to
-- which service.
CREATE TABLE organizations (
    id           TEXT PRIMARY KEY,             -- short code, e.g. "cpso"
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE services (
    id                   TEXT PRIMARY KEY,     -- short code, e.g. "connectingontario"
    name                 TEXT NOT NULL,
    url                  TEXT,                 -- where a person starts using it
    min_assurance_level  BIGINT NOT NULL DEFAULT 1,
    created_at           BIGINT NOT NULL
);

ALTER TABLE clients ADD COLUMN service_id TEXT;

CREATE TABLE enrolments (
    account_id     TEXT NOT NULL,
    service_id     TEXT NOT NULL,
    sponsor_id     TEXT NOT NULL,
    status         TEXT NOT NULL,              -- active | ended
    authorized_by  TEXT NOT NULL,              -- account id, "registry:<id>" or "cli"
    authorized_at  BIGINT NOT NULL,
    ended_at       BIGINT,
    PRIMARY KEY (account_id, service_id, sponsor_id)
);
CREATE INDEX enrolments_service ON enrolments (service_id);

CREATE TABLE registries (
    id                 TEXT PRIMARY KEY,       -- short code; the `iss` of its hand-offs
    name               TEXT NOT NULL,
    owner              TEXT NOT NULL,
    contact            TEXT NOT NULL,
    college            TEXT NOT NULL,          -- the college whose numbers it vouches for
    id_scheme          TEXT NOT NULL,          -- how members are identified, e.g. "college + registration number"
    assurance_level    BIGINT NOT NULL,
    approval           TEXT NOT NULL,          -- general | limited
    approved_from      BIGINT,                 -- limited approval: window
    approved_until     BIGINT,
    status             TEXT NOT NULL,          -- approved | suspended | terminated
    status_changed_at  BIGINT NOT NULL,
    sponsor_id         TEXT,                   -- organization its members are enrolled through
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- Default services of a registry's members; for a limited approval, also the only services.
CREATE TABLE registry_services (
    registry_id  TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    PRIMARY KEY (registry_id, service_id)
);

CREATE TABLE registry_keys (
    registry_id  TEXT NOT NULL,
    kid          TEXT NOT NULL,                -- SHA-256 thumbprint of the key, or the registry's own
    alg          TEXT NOT NULL,                -- ES256 | RS256
    public_pem   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    retire_at    BIGINT,                       -- not accepted from then on
    PRIMARY KEY (registry_id, kid)
);

-- Which registry validated an account, under which policy, by which unique identifier
-- (004 §5.8), with the consent the member gave at the registry.
CREATE TABLE registry_members (
    account_id       TEXT PRIMARY KEY,
    registry_id      TEXT NOT NULL,
    member_id        TEXT NOT NULL,
    approval         TEXT NOT NULL,
    assurance_level  BIGINT NOT NULL,
    registration_class TEXT,
    consent_version  TEXT,
    consent_at       BIGINT,
    registered_at    BIGINT NOT NULL,
    terminated_at    BIGINT,
    UNIQUE (registry_id, member_id)
);

-- Hand-offs seen, so an assertion is used once (kept until it expires).
CREATE TABLE registry_handoffs (
    registry_id  TEXT NOT NULL,
    jti          TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (registry_id, jti)
);

