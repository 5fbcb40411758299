-- Erasure (migration 007) also deletes the invitations nobody answered to an address the person
-- used: an open invitation names its invitee by address alone, which the erasure ledger does not
-- hold, but an invitation the person accepted or declined names the same address beside their id
-- (the address was verified then). Trainers keep inviting a client they lost by address; after
-- the erasure those invitations went on naming the erased person until they expired.
-- The function is otherwise as 007 defined it, and its grants stay (CREATE OR REPLACE keeps them).

CREATE OR REPLACE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
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

  -- Either party's links and invitations; a declined invitation names its invitee only as ended_by,
  -- and one nobody answered only by the address: any address the person accepted or declined an
  -- invitation at was theirs (verified), so the open invitations to it go too.
  DELETE FROM trainer_link
   WHERE trainer_id = subject OR client_id = subject OR ended_by = subject
      OR (client_id IS NULL AND invited_email IN (
            SELECT invited_email FROM trainer_link
             WHERE (client_id = subject OR ended_by = subject) AND trainer_id <> subject));
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
