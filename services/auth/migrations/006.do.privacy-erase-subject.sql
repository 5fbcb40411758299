-- Account erasure (#22, docs/privacy.md): everything auth holds about one person, deleted, in
-- one call. The erasure saga's last step calls it (src/privacy/erasure.ts), in the transaction
-- that also asks for the last mail; every restore of a backup calls it again for each entry of
-- the erasure ledger, so a restored copy never brings a deleted person back.
--
-- auth_app has no DELETE on users, sessions or email_tokens, and keeps none: this function is
-- the only way to delete an account. SECURITY DEFINER runs it with its owner's rights (the
-- migration role), with a fixed search_path so a caller cannot slip other objects in front of
-- the tables; only auth_app (and the owner) may execute it.
--
-- Rows go children first (they reference users). The address is freed with the account: the
-- same address may register again as a new person. The throttle's rows for the person (their
-- second factor's key and their address's login key) and the pending reset and email-change
-- requests for the address go too. Returns the rows deleted per table; a second call finds
-- nothing and returns zeros.
CREATE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  address text;
  digest  text;
  counts  jsonb := '{}'::jsonb;
  n       bigint;
BEGIN
  SELECT email INTO address FROM users WHERE id = subject FOR UPDATE;
  -- tokens.ts emailDigest(): the pseudonym the throttle and the recovery requests use.
  digest := CASE WHEN address IS NULL THEN NULL
    ELSE left(encode(sha256(convert_to('email:' || address, 'UTF8')), 'hex'), 40) END;

  DELETE FROM sessions WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('sessions', n);
  DELETE FROM totp_credentials WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('totp_credentials', n);
  DELETE FROM recovery_codes WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('recovery_codes', n);
  DELETE FROM email_tokens WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('email_tokens', n);
  DELETE FROM recovery_requests WHERE user_id = subject OR email_digest = digest;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('recovery_requests', n);
  DELETE FROM sign_in_contexts WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('sign_in_contexts', n);
  DELETE FROM privilege_actor WHERE actor_user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('privilege_actor', n);
  DELETE FROM throttle WHERE key = 'mfa:' || subject::text OR key = 'login:' || digest;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('throttle', n);
  DELETE FROM users WHERE id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('users', n);
  RETURN counts;
END
$$;

REVOKE ALL ON FUNCTION privacy_erase_subject(uuid) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION privacy_erase_subject(uuid)');
