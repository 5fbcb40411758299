-- The audit log. Append-only at the database level: the runtime role may insert and read,
-- nothing else, and a trigger refuses UPDATE, DELETE and TRUNCATE for every role, the owner
-- included. (The hash chain and crypto-shredding of personal fields come with the audit issue.)
CREATE TABLE audit_entry (
  sequence       bigserial   PRIMARY KEY,
  event_id       uuid        NOT NULL UNIQUE,
  occurred_at    timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  actor_service  text        NOT NULL,
  actor_user_id  uuid,
  actor_role     text,
  action         text        NOT NULL,
  subject_type   text        NOT NULL,
  subject_id     text        NOT NULL,
  tenant         text,
  outcome        text        NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  source_ip      text,
  user_agent     text,
  correlation_id text        NOT NULL
);

CREATE INDEX audit_entry_correlation ON audit_entry (correlation_id, sequence);

CREATE FUNCTION audit_entry_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_entry is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_entry_no_update_delete BEFORE UPDATE OR DELETE ON audit_entry
  FOR EACH ROW EXECUTE FUNCTION audit_entry_is_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
  FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_is_append_only();

CALL grant_to_app('SELECT, INSERT', 'TABLE audit_entry');
CALL grant_to_app('USAGE', 'SEQUENCE audit_entry_sequence_seq');
