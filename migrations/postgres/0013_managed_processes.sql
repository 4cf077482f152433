-- Managed registration processes are held to the rules of registries (004 §6). The approval of
-- a registering organization's process is a record of its own: general, or limited to some
-- services (process_services) and dates (§6.3.3). The registering role has its own status,
-- apart from the organization's status as a sponsor (§6.6.1): suspending or terminating the
-- process ends no sponsorship. A change of status applies from a date (§6.7.1).
CREATE TABLE process_approvals (
    organization_id  TEXT PRIMARY KEY,
    approval         TEXT NOT NULL,           -- general | limited
    approved_from    BIGINT,
    approved_until   BIGINT,
    status           TEXT NOT NULL,           -- active | suspended | terminated
    status_from      BIGINT NOT NULL,         -- the status applies from then on
    previous_status  TEXT NOT NULL,           -- the status before status_from
    updated_at       BIGINT NOT NULL
);

CREATE TABLE process_services (
    organization_id  TEXT NOT NULL,
    service_id       TEXT NOT NULL,
    PRIMARY KEY (organization_id, service_id)
);

-- Every registering organization so far had what the code assumed: a general approval, in
-- force. Its free-text `scope` stays as a note.
INSERT INTO process_approvals (organization_id, approval, approved_from, approved_until, status,
                               status_from, previous_status, updated_at)
SELECT id, 'general', NULL, NULL, 'active', created_at, 'active', created_at
FROM organizations WHERE registering = 1;

-- What an LRA confirmed of a person's affiliation (004 §6.5.6, §6.5.7), as structured data
-- (JSON: who presented the evidence, the relationship, who in the organization confirmed it,
-- the organization's identifier of the person, the two confirmations). Rows recorded before
-- keep their free-text description in `document` and no details.
ALTER TABLE identity_evidence ADD COLUMN details TEXT;

-- The registration classes a registry admits to self-registration (000: members with active
-- certificates of registration); none listed admits every class.
CREATE TABLE registry_classes (
    registry_id  TEXT NOT NULL,
    class        TEXT NOT NULL,
    PRIMARY KEY (registry_id, class)
);

-- Approvals of registries and managed processes are records (004 §5.2-5.3, §6.2-6.3): who
-- reviewed, when, the decision (general or limited, with its scope and dates), the owner's
-- named contacts, and the date of the next review. A significant change or a change of
-- corporate structure (§6.7.3) makes an approval due for review again (approval_due).
CREATE TABLE approval_reviews (
    id              TEXT PRIMARY KEY,
    subject_kind    TEXT NOT NULL,            -- registry | process
    subject_id      TEXT NOT NULL,            -- the registry, or the registering organization
    seq             BIGINT NOT NULL,          -- 1, 2, ... per subject: the order of the reviews
    reviewed_by     TEXT NOT NULL,
    reviewed_at     BIGINT NOT NULL,
    decision        TEXT NOT NULL,            -- general | limited
    services        TEXT,                     -- limited: the services, comma-separated
    approved_from   BIGINT,
    approved_until  BIGINT,
    contacts        TEXT NOT NULL,            -- the owner's named contacts
    next_review_at  BIGINT NOT NULL,
    recorded_by     TEXT NOT NULL,
    recorded_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX approval_reviews_subject ON approval_reviews (subject_kind, subject_id, seq);

CREATE TABLE approval_due (
    subject_kind  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    since         BIGINT NOT NULL,
    reason        TEXT NOT NULL,              -- significant_change | corporate_structure | level_changed
    note          TEXT,
    PRIMARY KEY (subject_kind, subject_id)
);

-- One person, one account: a self-registration whose identity matches an existing account
-- is linked to it (the person signs in with it) or held here for an LRA or the desk.
CREATE TABLE held_registrations (
    registry_id  TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL,               -- the account whose identity matched
    handoff      TEXT NOT NULL,               -- the registry's hand-off (JSON)
    status       TEXT NOT NULL,               -- held | linked | released
    held_at      BIGINT NOT NULL,
    resolved_by  TEXT,
    resolved_at  BIGINT,
    PRIMARY KEY (registry_id, member_id)
);
CREATE INDEX held_registrations_status ON held_registrations (status, held_at);

-- Looking a person up by legal identity (LRA registration, self-registration, forgotten
-- login ID) at a million accounts.
CREATE INDEX accounts_legal_identity ON accounts (birth_date, legal_family_name);

-- The termination feed (004 §5.7.2): a registry that subscribes is told, by a signed notice
-- posted to its URL, when a member it validated ends their own ONE ID registration. Notices
-- are written in the transaction that closes the account and delivered with retries.
CREATE TABLE registry_feeds (
    registry_id  TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE registry_notices (
    id               TEXT PRIMARY KEY,
    registry_id      TEXT NOT NULL,
    member_id        TEXT NOT NULL,
    reason           TEXT NOT NULL,           -- closed_by_registrant
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    delivered_at     BIGINT,
    last_error       TEXT
);
CREATE INDEX registry_notices_due ON registry_notices (delivered_at, next_attempt_at);
