-- Self-registration follow-ups: the legal middle name a registry vouches for (shown locked in
-- the wizard, kept with the account), and the members a registry reported as deleted or
-- terminated, kept by the registry's identifier even when no account exists yet, so a later
-- hand-off or a wizard finished after the report cannot register them.
ALTER TABLE accounts ADD COLUMN legal_middle_name TEXT;

CREATE TABLE registry_terminations (
    registry_id  TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    reported_at  BIGINT NOT NULL,
    reported_by  TEXT NOT NULL,                -- "registry:<id>", "cli" or "client:<id>"
    PRIMARY KEY (registry_id, member_id)
);
