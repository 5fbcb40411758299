-- The hash chain (docs/audit-chain.md). Each entry stores the hash of the entry before it and
-- its own: hash = SHA-256(prev_hash ‖ RFC 8785 canonical JSON of the entry). Editing, removing
-- or reordering any entry breaks the links after it, whoever did it and with whatever rights.

-- Entries written before the chain existed cannot be chained after the fact without vouching
-- for them unseen. No deployed database has any; a development database must be reset.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_entry) THEN
    RAISE EXCEPTION 'audit_entry holds entries from before the hash chain; reset this development database (npm run down && rm -rf .local)';
  END IF;
END
$$;

ALTER TABLE audit_entry
  ADD COLUMN prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  ADD COLUMN hash      text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$');

-- The appender assigns sequence numbers one after another under a lock, so a gap is evidence
-- of a removed entry rather than a skipped sequence value.
ALTER TABLE audit_entry ALTER COLUMN sequence DROP DEFAULT;
DROP SEQUENCE audit_entry_sequence_seq;
ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_sequence_positive CHECK (sequence > 0);
