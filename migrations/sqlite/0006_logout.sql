-- OpenID Connect Back-Channel and Front-Channel Logout: where each relying party is told that
-- a session ended (NULL: it is not told).
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN frontchannel_logout_uri TEXT;
