-- When the account's latest counted attempt (a password, code or answer about to be checked)
-- was taken: attempts taken and never finished (a node that died mid-check) are counted as
-- failures once they are this old, so an account can never stay refused without a lockout.
ALTER TABLE accounts ADD COLUMN attempt_at BIGINT;
