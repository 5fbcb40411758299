-- Signals for the security alerts (docs/runbooks/).
--
-- Who has changed privileges, and when they last did: a change by an admin who never made one
-- before, or none for 90 days, is an unusual actor (PrivilegeChangeByUnusualActor).
CREATE TABLE privilege_actor (
  actor_user_id   uuid        PRIMARY KEY,
  first_change_at timestamptz NOT NULL,
  last_change_at  timestamptz NOT NULL,
  changes         integer     NOT NULL CHECK (changes > 0)
);
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE privilege_actor');

-- The credential-stuffing gauge counts login identities with recent failures at every scrape.
CREATE INDEX throttle_recent_logins ON throttle (last_failure_at) WHERE key LIKE 'login:%';
