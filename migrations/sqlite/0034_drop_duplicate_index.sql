-- 0026 added `sponsorships_organization` on (organization_id, member_id): the unique index
-- `sponsorships_member` (0008) already is exactly that, and serves an organization's people.
DROP INDEX IF EXISTS sponsorships_organization;
