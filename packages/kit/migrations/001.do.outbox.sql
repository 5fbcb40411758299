-- The transactional outbox: a service inserts its outgoing events here in the same
-- transaction as its state change; the relay publishes them to Kafka and stamps sent_at.
CREATE TABLE outbox (
  id          bigserial PRIMARY KEY,
  event_id    uuid        NOT NULL UNIQUE,
  topic       text        NOT NULL,
  message_key text,
  payload     jsonb       NOT NULL,
  headers     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);

CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Wakes the relay as soon as a transaction that wrote events commits (NOTIFY is delivered on
-- commit and never for a rolled-back transaction); the relay also polls as a fallback.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Consumer idempotency: an event id is recorded in the same transaction as its effect.
CREATE TABLE processed_event (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Migrations grant to the database's runtime role, <database>_app by convention (see
-- provisionDatabase), whatever the database is called: `CALL grant_to_app('SELECT', 'TABLE t')`.
CREATE PROCEDURE grant_to_app(privileges text, objects text) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('GRANT %s ON %s TO %I', privileges, objects, current_database() || '_app');
END
$$;
REVOKE ALL ON PROCEDURE grant_to_app(text, text) FROM PUBLIC;

-- The relay may publish and purge the outbox; consumers record processed events. Nothing more.
CALL grant_to_app('SELECT, INSERT, UPDATE, DELETE', 'TABLE outbox');
CALL grant_to_app('USAGE', 'SEQUENCE outbox_id_seq');
CALL grant_to_app('SELECT, INSERT', 'TABLE processed_event');
