-- The full account model: personal information, password life (expiry, temporary passwords,
-- history, lockout), professional designations, challenge questions and challenge phones.
-- `given_name` / `family_name` (0001) hold the preferred first and last names.
ALTER TABLE accounts ADD COLUMN title TEXT;
ALTER TABLE accounts ADD COLUMN middle_name TEXT;
ALTER TABLE accounts ADD COLUMN legal_given_name TEXT;
ALTER TABLE accounts ADD COLUMN legal_family_name TEXT;
ALTER TABLE accounts ADD COLUMN gender TEXT;
ALTER TABLE accounts ADD COLUMN birth_date TEXT;                  -- YYYY-MM-DD
ALTER TABLE accounts ADD COLUMN no_direct_number BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN agreement_version TEXT;
ALTER TABLE accounts ADD COLUMN agreement_accepted_at BIGINT;
ALTER TABLE accounts ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN password_temporary BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until BIGINT;              -- automatic lockout
ALTER TABLE accounts ADD COLUMN lockouts BIGINT NOT NULL DEFAULT 0; -- in a row: the next is longer
ALTER TABLE accounts ADD COLUMN sessions_not_before BIGINT NOT NULL DEFAULT 0; -- older SSO sessions end
UPDATE accounts SET password_changed_at = created_at,
                    legal_given_name = given_name, legal_family_name = family_name;

-- Regulatory college + registration number: one per college per account, and a number
-- belongs to one account only.
CREATE TABLE professional_designations (
    account_id           TEXT NOT NULL,
    college              TEXT NOT NULL,
    registration_number  TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    PRIMARY KEY (college, registration_number),
    UNIQUE (account_id, college)
);

-- Every password set, newest last; the newest few cannot be set again.
CREATE TABLE password_history (
    account_id     TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX password_history_account ON password_history (account_id, created_at);

-- Online answers are argon2id hashes of the normalized answer (only the holder knows them);
-- service-desk answers are sealed under the key-encryption key (staff read them, audited).
CREATE TABLE challenge_answers (
    account_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,                -- online | desk
    position       BIGINT NOT NULL,
    question_id    TEXT NOT NULL,
    answer_hash    TEXT,
    answer_sealed  BLOB,
    PRIMARY KEY (account_id, kind, position)
);

CREATE TABLE challenge_phones (
    account_id  TEXT NOT NULL,
    position    BIGINT NOT NULL,                -- 0 is the default
    e164        TEXT NOT NULL,
    kind        TEXT NOT NULL,                  -- mobile | landline
    PRIMARY KEY (account_id, position)
);

CREATE INDEX accounts_names ON accounts (family_name, given_name);
