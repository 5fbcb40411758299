-- Retention (#22, docs/privacy.md): what auth keeps only for a while. retention_purge(...)
-- deletes, as the owner (the runtime role has no DELETE on these tables):
--   sessions     ended (revoked, or past their absolute expiry) more than `sessions_after` ago;
--                the session list shows ended sessions that long, as the security log;
--   email_tokens used, revoked or expired more than `tokens_after` ago (verification, password
--                reset and email-change links: their digests, and the new address of a change);
--   sign_in_contexts networks and browser families not seen for `contexts_after`: a sign-in
--                from one again counts as a new device, which is what an old one is.
-- and records the run in retention_run in the same transaction, which the service's metrics
-- read (retention_job_last_success_timestamp_seconds).

CREATE TABLE retention_run (
  id          bigserial   PRIMARY KEY,
  task        text        NOT NULL CHECK (task ~ '^[a-z][a-z0-9-]{0,62}$'),
  finished_at timestamptz NOT NULL DEFAULT now(),
  rows_purged bigint      NOT NULL CHECK (rows_purged >= 0)
);
CREATE INDEX retention_run_task ON retention_run (task, finished_at DESC);

CREATE FUNCTION retention_purge(sessions_after interval, tokens_after interval, contexts_after interval)
  RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  sessions_n bigint;
  tokens_n bigint;
  contexts_n bigint;
BEGIN
  IF sessions_after IS NULL OR tokens_after IS NULL OR contexts_after IS NULL
     OR sessions_after < interval '0' OR tokens_after < interval '0' OR contexts_after < interval '0' THEN
    RAISE EXCEPTION 'retention_purge needs three non-negative periods' USING ERRCODE = 'invalid_parameter_value';
  END IF;

  DELETE FROM sessions WHERE least(revoked_at, absolute_expires_at) < now() - sessions_after;
  GET DIAGNOSTICS sessions_n = ROW_COUNT;
  INSERT INTO retention_run (task, rows_purged) VALUES ('auth-sessions', sessions_n);

  DELETE FROM email_tokens WHERE least(used_at, revoked_at, expires_at) < now() - tokens_after;
  GET DIAGNOSTICS tokens_n = ROW_COUNT;
  INSERT INTO retention_run (task, rows_purged) VALUES ('auth-tokens', tokens_n);

  DELETE FROM sign_in_contexts WHERE last_seen_at < now() - contexts_after;
  GET DIAGNOSTICS contexts_n = ROW_COUNT;
  INSERT INTO retention_run (task, rows_purged) VALUES ('auth-devices', contexts_n);

  RETURN jsonb_build_object('sessions', sessions_n, 'email_tokens', tokens_n, 'sign_in_contexts', contexts_n);
END
$$;

REVOKE ALL ON FUNCTION retention_purge(interval, interval, interval) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION retention_purge(interval, interval, interval)');
CALL grant_to_app('SELECT', 'TABLE retention_run');
