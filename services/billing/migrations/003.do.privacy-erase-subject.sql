-- Erasure (#22, docs/privacy.md): billing's rows about one person, deleted in one call, after
-- billing has cancelled the subscription and deleted the customer at Stripe (src/privacy.ts).
-- Every restore of a backup calls it again for each entry of the erasure ledger, so a restored
-- copy never brings the person's Stripe ids back.
--
-- billing_app may not DELETE (a subscription's history is Stripe's and the audit log's); this
-- function is the one exception. SECURITY DEFINER runs it with its owner's rights (the
-- migration role), with a fixed search_path; only billing_app (and the owner) may execute it.
--
-- No billing table holds an invoice: Stripe keeps the invoices that tax law requires
-- (docs/data-inventory.yaml). webhook_event holds Stripe event ids and types only, nothing of
-- the person, and stays for idempotency. Once the customer row is gone, a late webhook for that
-- customer no longer resolves to a user and is ignored (webhook-events.ts), so nothing comes
-- back. Returns the rows deleted per table; a second call returns zeros.
CREATE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = public, pg_temp
AS $$
DECLARE
  counts jsonb := '{}'::jsonb;
  n      bigint;
BEGIN
  DELETE FROM checkout_session WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('checkout_session', n);
  DELETE FROM subscription WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('subscription', n);
  DELETE FROM customer WHERE user_id = subject;
  GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('customer', n);
  RETURN counts;
END
$$;

REVOKE ALL ON FUNCTION privacy_erase_subject(uuid) FROM PUBLIC;
CALL grant_to_app('EXECUTE', 'FUNCTION privacy_erase_subject(uuid)');
