-- One row per backup or restore drill of one database, whoever ran it (the CronJob's CLI or the
-- long-running service over gRPC). The manifests and drill records in the bucket are the source
-- of truth about backups; this is the run history beside the outbox, and what
-- backup_runs_total counts, so runs of a short-lived CronJob process show in the service's metrics.
CREATE TABLE backup_run (
  id          uuid        PRIMARY KEY,
  kind        text        NOT NULL CHECK (kind IN ('backup', 'drill')),
  database    text        NOT NULL CHECK (database ~ '^[a-z][a-z0-9_]{0,40}$'),
  -- The backup written (kind backup) or restored (kind drill); null when there was none.
  backup_id   text,
  -- The drill's id (kind drill).
  drill_id    text,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  outcome     text        NOT NULL CHECK (outcome IN ('success', 'failure')),
  -- One credential-free line, when the run failed.
  error       text,
  -- Sizes and digest (backup), RTO, RPO and checks (drill).
  details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX backup_run_recent ON backup_run (database, kind, finished_at DESC);

-- The service records runs and reads them back; it never rewrites history.
CALL grant_to_app('SELECT, INSERT', 'TABLE backup_run');
