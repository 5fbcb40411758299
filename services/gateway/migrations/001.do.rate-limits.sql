-- Rate-limit counters every gateway replica shares (rate-limiter-flexible's PostgreSQL store):
-- one row per key (limiter prefix + IP, route group or account), its points used and when the
-- window ends (ms since the epoch). Nothing personal beyond an IP address or a user id, kept
-- for at most an hour after its window (the limiter purges expired rows).
CREATE TABLE rate_limit (
  key    varchar(255) PRIMARY KEY,
  points integer      NOT NULL DEFAULT 0,
  expire bigint
);

CALL grant_to_app('SELECT, INSERT, UPDATE, DELETE', 'TABLE rate_limit');
