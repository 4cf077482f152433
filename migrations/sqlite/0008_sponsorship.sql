-- Sponsorship (004 §5.6, §6.6; 002, 003): organizations that may sponsor people into which
-- services, sponsorships of accounts (with the organization's unique identifier for the person
-- under a managed registration process), the identity evidence an LRA saw, and the gate's
-- inputs. An enrolment counts only through an active sponsorship.
ALTER TABLE organizations ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
-- A registering client organization with an approved managed registration process (004 §6):
-- its affiliates are registered at its assigned level on its own identifier and evidence of
-- affiliation.
ALTER TABLE organizations ADD COLUMN registering BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN assurance_level BIGINT;
ALTER TABLE organizations ADD COLUMN id_scheme TEXT;          -- e.g. "employee number"
ALTER TABLE organizations ADD COLUMN scope TEXT;              -- approval scope, in words

-- Which services an organization may enrol its people into.
CREATE TABLE sponsor_services (
    organization_id  TEXT NOT NULL,
    service_id       TEXT NOT NULL,
    PRIMARY KEY (organization_id, service_id)
);

CREATE TABLE sponsorships (
    account_id       TEXT NOT NULL,
    organization_id  TEXT NOT NULL,
    member_id        TEXT,                    -- the organization's unique identifier of the person
    status           TEXT NOT NULL,           -- active | ended
    authorized_by    TEXT NOT NULL,
    started_at       BIGINT NOT NULL,
    ended_at         BIGINT,
    PRIMARY KEY (account_id, organization_id)
);
CREATE UNIQUE INDEX sponsorships_member ON sponsorships (organization_id, member_id);

-- What an LRA saw when registering a person (004 App. B), or the documentary evidence of
-- affiliation under a managed registration process.
CREATE TABLE identity_evidence (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    organization_id  TEXT NOT NULL,
    kind             TEXT NOT NULL,           -- primary | secondary | affiliation
    document         TEXT NOT NULL,           -- catalogue code, or the affiliation evidence described
    photo            BIGINT NOT NULL DEFAULT 0,
    in_person        BIGINT NOT NULL DEFAULT 0,
    recorded_by      TEXT NOT NULL,
    recorded_at      BIGINT NOT NULL
);
CREATE INDEX identity_evidence_account ON identity_evidence (account_id);

-- Self-registered members were enrolled through their registry's sponsor: make those
-- sponsorships explicit.
INSERT INTO sponsorships (account_id, organization_id, member_id, status, authorized_by, started_at)
SELECT rm.account_id, r.sponsor_id, NULL, 'active', 'registry:' || r.id, rm.registered_at
FROM registry_members rm JOIN registries r ON r.id = rm.registry_id
WHERE r.sponsor_id IS NOT NULL;
