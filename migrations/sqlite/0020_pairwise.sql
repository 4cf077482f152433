-- Pairwise subject identifiers (OIDC Core §8.1): a relying party's subject type, the
-- sector its pairwise subjects are computed for (the host of its sector_identifier_uri, or of
-- its redirect URIs), and the subjects issued, so a pairwise `sub` leads back to its account
-- (userinfo, id_token_hint, the admin API) and nowhere else.
ALTER TABLE clients ADD COLUMN subject_type TEXT NOT NULL DEFAULT 'public';
ALTER TABLE clients ADD COLUMN sector_identifier_uri TEXT;
ALTER TABLE clients ADD COLUMN sector TEXT;
CREATE TABLE pairwise_subjects (
    sector     TEXT NOT NULL,
    sub        TEXT NOT NULL,
    account_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sector, sub)
);
CREATE UNIQUE INDEX pairwise_subjects_account ON pairwise_subjects (account_id, sector);
