-- Resource servers (APIs, FHIR servers) a token can be for: the audience a client names with
-- RFC 8707's `resource` or SMART's `aud`, and the scopes it accepts (SMART clinical scopes
-- or any other). Each client is allowed some of them, each with a subset of their scopes;
-- an access token for one names it in `aud`, and a refresh token keeps it.
CREATE TABLE resource_servers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    audience    TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,           -- space-separated
    created_at  BIGINT NOT NULL
);
CREATE TABLE client_resources (
    client_id    TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    scopes       TEXT NOT NULL,          -- space-separated, each covered by the server's
    PRIMARY KEY (client_id, resource_id)
);
CREATE INDEX client_resources_resource ON client_resources (resource_id);
ALTER TABLE refresh_tokens ADD COLUMN audience TEXT;
-- An EHR launch's context (SMART App Launch), JSON, kept through refreshes.
ALTER TABLE refresh_tokens ADD COLUMN launch TEXT;
