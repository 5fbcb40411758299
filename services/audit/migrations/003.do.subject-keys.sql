-- Crypto-shredding (docs/audit-chain.md): the personal fields of an audit entry are encrypted
-- under a key of the person they are about, kept here, wrapped by the service's key-encryption
-- key. Erasing a person destroys their key and leaves a tombstone (no key, erased_at set): their
-- entries stay in the chain and still verify (the hash covers the ciphertext), nobody can read
-- those fields again, and personal data arriving for them later is not stored.
-- Entries holding personal fields in plain text predate this; no deployed database has any.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_entry WHERE source_ip IS NOT NULL OR user_agent IS NOT NULL) THEN
    RAISE EXCEPTION 'audit_entry holds personal fields in plain text from before crypto-shredding; reset this development database (npm run down && rm -rf .local)';
  END IF;
END
$$;

CREATE TABLE subject_key (
  subject_id  text        PRIMARY KEY CHECK (length(subject_id) BETWEEN 1 AND 128),
  wrapped_key text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  erased_at   timestamptz,
  CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

-- UPDATE is the erasure (key to NULL); rows are never deleted, so tombstones outlive it.
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE subject_key');
