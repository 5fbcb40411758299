-- Erasure of a person (#22, docs/privacy.md): privacy_erase_subject(subject) deletes what the AI
-- service keeps about them, their usage counts per day, and answers how many rows it deleted.
-- The privacy saga calls it as the runtime role; every restore of a backup calls it again for
-- each entry of the erasure ledger, as the database's owner. A second call answers zeros.
-- SECURITY DEFINER with a fixed search_path, so it does the same whoever calls it, and only the
-- runtime role (and the owner) may.
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
  DELETE FROM ai_usage WHERE tenant_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN jsonb_build_object('ai_usage', n);
END
$$;

REVOKE ALL ON FUNCTION privacy_erase_subject(uuid) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION privacy_erase_subject(uuid)');
