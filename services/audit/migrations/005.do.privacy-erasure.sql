-- Erasure of a person (#22, docs/privacy.md): privacy_erase_subject(subject) crypto-shreds them
-- as src/personal.ts's destroySubjectKey does: their key goes and a tombstone stays (no key,
-- erased_at), so their entries still verify but their personal fields never decrypt again, and
-- none are stored for them from then on. No entry is touched: the log stays append-only and its
-- chain intact. It answers how many keys it destroyed (0 or 1).
-- The privacy saga calls it as the runtime role; every restore of a backup calls it again for
-- each entry of the erasure ledger, as the database's owner, so a restored key of an erased
-- person is destroyed again. A second call answers zeros. SECURITY DEFINER with a fixed
-- search_path; only the runtime role (and the owner) may call it.
CREATE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  IF subject IS NULL THEN
    RAISE EXCEPTION 'privacy_erase_subject needs a person''s id' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Subject ids are text here (a user id as the events spell it: lower-case, as uuid::text is).
  INSERT INTO subject_key AS k (subject_id, wrapped_key, erased_at)
  VALUES (subject::text, NULL, now())
  ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, erased_at = now()
    WHERE k.erased_at IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN jsonb_build_object('subject_key', n);
END
$$;

REVOKE ALL ON FUNCTION privacy_erase_subject(uuid) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION privacy_erase_subject(uuid)');
