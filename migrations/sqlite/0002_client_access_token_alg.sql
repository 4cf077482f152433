-- Each relying party may choose the algorithm of its JWT access tokens (ES256 by default;
-- RS256 for resource servers that only verify RSA).
ALTER TABLE clients ADD COLUMN access_token_alg TEXT NOT NULL DEFAULT 'ES256';
