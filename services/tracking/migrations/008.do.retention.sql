-- Retention (#22, docs/privacy.md): a deleted meal or metric is soft-deleted, so the audit log's
-- references stay valid and an Idempotency-Key retry cannot bring it back; its text is health
-- data we no longer need. retention_purge_deleted(older_than) deletes the rows soft-deleted
-- longer ago than that (at most 30 days, the period docs/privacy.md states), with the trainers'
-- comments on those meals, and records the run in retention_run in the same transaction; the
-- service's metrics read that table (retention_job_last_success_timestamp_seconds). The CronJob
-- runs it as the runtime role, which has no DELETE grant: the function, as the owner, is the
-- only way. A retry with the key of a meal purged a month ago logs it again; no client retries
-- that late.

CREATE TABLE retention_run (
  id          bigserial   PRIMARY KEY,
  task        text        NOT NULL CHECK (task ~ '^[a-z][a-z0-9-]{0,62}$'),
  finished_at timestamptz NOT NULL DEFAULT now(),
  rows_purged bigint      NOT NULL CHECK (rows_purged >= 0)
);
CREATE INDEX retention_run_task ON retention_run (task, finished_at DESC);

CREATE FUNCTION retention_purge_deleted(older_than interval) RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  cutoff timestamptz;
  comments bigint;
  meals bigint;
  metrics bigint;
  caller text[] := ARRAY[current_setting('tracking.privacy_erasure', true), current_setting('tracking.role', true),
                         current_setting('tracking.user_id', true), current_setting('tracking.email', true)];
BEGIN
  IF older_than IS NULL OR older_than < interval '0' OR older_than > interval '30 days' THEN
    RAISE EXCEPTION 'retention_purge_deleted keeps deleted entries between 0 and 30 days'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := now() - older_than;
  -- The erasure's policies (migration 007) let the owner through inside this function alone.
  PERFORM set_config('tracking.privacy_erasure', 'on', true), set_config('tracking.role', 'retention', true),
          set_config('tracking.user_id', '', true), set_config('tracking.email', '', true);

  DELETE FROM comment WHERE meal_id IN (SELECT id FROM meal WHERE deleted_at < cutoff);
  GET DIAGNOSTICS comments = ROW_COUNT;
  DELETE FROM meal WHERE deleted_at < cutoff;
  GET DIAGNOSTICS meals = ROW_COUNT;
  DELETE FROM metric WHERE deleted_at < cutoff;
  GET DIAGNOSTICS metrics = ROW_COUNT;

  INSERT INTO retention_run (task, rows_purged) VALUES ('tracking-deleted-entries', comments + meals + metrics);

  PERFORM set_config('tracking.privacy_erasure', coalesce(caller[1], ''), true),
          set_config('tracking.role', coalesce(caller[2], ''), true),
          set_config('tracking.user_id', coalesce(caller[3], ''), true),
          set_config('tracking.email', coalesce(caller[4], ''), true);
  RETURN jsonb_build_object('comment', comments, 'meal', meals, 'metric', metrics);
END
$$;

REVOKE ALL ON FUNCTION retention_purge_deleted(interval) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION retention_purge_deleted(interval)');
-- The metrics read the runs; only the function writes them.
CALL grant_to_app('SELECT', 'TABLE retention_run');
