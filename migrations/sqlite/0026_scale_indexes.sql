-- Lookups that scanned a whole table at province scale: an organization's sponsored people
-- (the LRA console, a registering organization's member ids) and who holds a role in a scope.
CREATE INDEX sponsorships_organization ON sponsorships (organization_id, member_id);
CREATE INDEX account_roles_role ON account_roles (role, scope);
