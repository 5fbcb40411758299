-- The privacy sagas' state (docs/privacy.md, "The sagas"): one row per export or erasure request
-- and one per participant's step. Ids, times, counts and object keys only: no value of the
-- person's data passes through this database.

CREATE TABLE privacy_request (
  id             uuid        PRIMARY KEY,
  kind           text        NOT NULL CHECK (kind IN ('export', 'erasure')),
  -- The person whose data is exported or erased.
  subject_id     uuid        NOT NULL,
  -- The subject themselves, or the admin who acted for them.
  requested_by   uuid        NOT NULL,
  -- An admin's reason for an erasure they started (a verified request by mail); audited.
  reason         text        CHECK (char_length(reason) BETWEEN 10 AND 500),
  state          text        NOT NULL CHECK (state IN ('pending', 'collecting', 'assembling', 'ready', 'expired',
                                                       'scheduled', 'cancelled', 'erasing', 'completed', 'failed')),
  requested_at   timestamptz NOT NULL DEFAULT now(),
  -- Erasure: when the cooling-off period ends.
  scheduled_for  timestamptz,
  -- Erasure: when it began (the ledger entry's time), and which phase runs (1: all but auth, 2: auth).
  erasing_since  timestamptz,
  phase          smallint    CHECK (phase IN (1, 2)),
  -- Reached ready, completed, cancelled or failed.
  finished_at    timestamptz,
  -- Export: when the download stops working and the object is deleted.
  expires_at     timestamptz,
  -- The legal deadline (one month, GDPR Art. 12(3)); the deadline alerts measure against it.
  due_at         timestamptz NOT NULL,
  -- Export: the assembled, encrypted ZIP's key (relative to the export store's prefix) and size.
  object_key     text,
  size_bytes     bigint      CHECK (size_bytes >= 0),
  -- failed: one line naming the step and its reason; no personal data.
  failure        text        CHECK (char_length(failure) <= 600),
  -- The correlation id of the call that asked, carried by every event the saga emits later.
  correlation_id text        NOT NULL
);

-- At most one open export and one open erasure per person: a second request gets the open one.
CREATE UNIQUE INDEX privacy_request_one_open ON privacy_request (subject_id, kind)
  WHERE state IN ('pending', 'collecting', 'assembling', 'scheduled', 'erasing');
CREATE INDEX privacy_request_newest ON privacy_request (requested_at DESC, id DESC);
CREATE INDEX privacy_request_subject ON privacy_request (subject_id, kind, requested_at DESC);
CREATE INDEX privacy_request_due_erasure ON privacy_request (scheduled_for) WHERE state = 'scheduled';
CREATE INDEX privacy_request_expiring ON privacy_request (expires_at) WHERE state = 'ready';

-- Each participant's part of a request: answered once (redeliveries change nothing).
CREATE TABLE privacy_step (
  request_id  uuid        NOT NULL REFERENCES privacy_request (id),
  service     text        NOT NULL CHECK (service IN ('auth', 'tracking', 'ai-inference', 'billing', 'audit')),
  -- Erasure: the phase this step runs in; null for an export.
  phase       smallint    CHECK (phase IN (1, 2)),
  state       text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'completed', 'failed')),
  finished_at timestamptz,
  -- What was exported or erased, by table or kind: counts only.
  counts      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- Export: the encrypted part files the participant wrote (keys, sizes, digests).
  files       jsonb       NOT NULL DEFAULT '[]'::jsonb,
  failure     text        CHECK (char_length(failure) <= 500),
  PRIMARY KEY (request_id, service)
);

-- When each periodic job last succeeded, whichever process ran it (the service or a CronJob),
-- so the service's metrics show the CronJob's runs.
CREATE TABLE privacy_job (
  job             text        PRIMARY KEY CHECK (job ~ '^[a-z][a-z-]{0,40}$'),
  last_success_at timestamptz NOT NULL
);

-- The service never deletes a request or a step: they are the record that a right was honoured.
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE privacy_request');
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE privacy_step');
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE privacy_job');
