-- Key rotation: when a `next` key is due to sign, when a key was revoked or left the JWKS,
-- and at most one `active` and one `next` key per algorithm, enforced by the database so
-- that two nodes (or a node and the CLI) can never both win a transition.
ALTER TABLE signing_keys ADD COLUMN activate_after BIGINT;
ALTER TABLE signing_keys ADD COLUMN revoked_at BIGINT;
ALTER TABLE signing_keys ADD COLUMN removed_at BIGINT;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next';

-- Roles held by accounts (administrator now; registration authorities and the service desk
-- later). `scope` narrows a role (e.g. an organization); '' means everywhere.
CREATE TABLE account_roles (
    account_id  TEXT NOT NULL,
    role        TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',
    granted_at  BIGINT NOT NULL,
    granted_by  TEXT NOT NULL,
    PRIMARY KEY (account_id, role, scope)
);
