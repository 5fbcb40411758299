-- Erasure of a person (#22, docs/privacy.md): privacy_erase_subject(subject) deletes every row
-- of tracking that is about them or by them, as docs/data-inventory.yaml says per table, and
-- answers how many rows per table it changed. The privacy saga calls it as the runtime role;
-- every restore of a backup calls it again for each entry of the erasure ledger, as the role
-- that owns the restored database. A second call finds nothing and answers zeros.
--
-- Rows are DELETED, soft-deleted meals included, so no meal text survives. As a client: their
-- meals, metrics, goals, reviews, the comments on their log, their links and the invitations
-- they answered, and the break-glass grants naming them. As a trainer: their links and
-- invitations and the comments they wrote. As an admin: the grants they opened (the audit log
-- keeps the evidence of who read what). Where a client's own record names the person, as who set
-- the goals or asked for a review, only the id goes: it becomes the nil uuid, "someone erased".
--
-- Row-level security is forced on the owner too, so the function, which runs as the owner
-- (SECURITY DEFINER), would see no row. The policies below let through the owner alone, and only
-- inside this function, which turns tracking.privacy_erasure on for its own duration.
-- The runtime role may set the same setting, but it is not the database's owner, and it has no
-- DELETE grant anyway; the function is the only way it can delete.

CREATE FUNCTION privacy_erasing() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('tracking.privacy_erasure', true), '') = 'on'
     AND pg_has_role(current_user, 'pg_database_owner', 'MEMBER')
$$;

CREATE POLICY privacy_erasure ON meal USING (privacy_erasing());
CREATE POLICY privacy_erasure ON metric USING (privacy_erasing());
CREATE POLICY privacy_erasure ON goal USING (privacy_erasing());
CREATE POLICY privacy_erasure ON comment USING (privacy_erasing());
CREATE POLICY privacy_erasure ON review USING (privacy_erasing());
CREATE POLICY privacy_erasure ON trainer_link USING (privacy_erasing());
CREATE POLICY privacy_erasure ON support_access USING (privacy_erasing());

CREATE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  erased constant uuid := '00000000-0000-0000-0000-000000000000';
  counts jsonb := '{}'::jsonb;
  n bigint;
  -- The caller's settings, put back on the way out (an error aborts the transaction, or the
  -- caller's savepoint, and that undoes the settings with it).
  caller text[] := ARRAY[current_setting('tracking.privacy_erasure', true), current_setting('tracking.role', true),
                         current_setting('tracking.user_id', true), current_setting('tracking.email', true)];
BEGIN
  IF subject IS NULL OR subject = erased THEN
    RAISE EXCEPTION 'privacy_erase_subject needs a person''s id' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- No user acts: the triggers that guard what a client, trainer or the AI consumer may change
  -- do not apply, and no caller's identity leaks in. (A function's SET clause would scope these
  -- better, but PostgreSQL lets only a superuser put a custom setting there.)
  PERFORM set_config('tracking.privacy_erasure', 'on', true), set_config('tracking.role', 'privacy-erasure', true),
          set_config('tracking.user_id', '', true), set_config('tracking.email', '', true);

  -- Comments first: they may point at the person's meals.
  DELETE FROM comment
   WHERE client_id = subject OR author_id = subject
      OR meal_id IN (SELECT id FROM meal WHERE client_id = subject);
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('comment', n);

  DELETE FROM meal WHERE client_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('meal', n);

  DELETE FROM metric WHERE client_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('metric', n);

  DELETE FROM goal WHERE client_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('goal', n);

  DELETE FROM review WHERE client_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('review', n);

  -- Either party's links and invitations; a declined invitation names its invitee only as ended_by.
  DELETE FROM trainer_link WHERE trainer_id = subject OR client_id = subject OR ended_by = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('trainer_link', n);

  DELETE FROM support_access WHERE client_id = subject OR admin_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('support_access', n);

  -- Another client's record keeps what it says, not who said it.
  UPDATE goal SET set_by = erased WHERE set_by = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('goal.set_by', n);

  UPDATE review SET requested_by = erased WHERE requested_by = subject;
  GET DIAGNOSTICS n = ROW_COUNT;
  counts := counts || jsonb_build_object('review.requested_by', n);

  PERFORM set_config('tracking.privacy_erasure', coalesce(caller[1], ''), true),
          set_config('tracking.role', coalesce(caller[2], ''), true),
          set_config('tracking.user_id', coalesce(caller[3], ''), true),
          set_config('tracking.email', coalesce(caller[4], ''), true);
  RETURN counts;
END
$$;

REVOKE ALL ON FUNCTION privacy_erase_subject(uuid) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION privacy_erase_subject(uuid)');
