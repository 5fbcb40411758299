-- One open Stripe Checkout session per user (#20): two checkouts started before paying could
-- each become a subscription, and billing then tracked whichever event came last. The session
-- billing last started for a user; starting another first reuses it (same plan) or expires it
-- at Stripe (another plan). The row is locked while that happens, so two concurrent starts
-- cannot both create one. Ids only, like every other billing column.
CREATE TABLE checkout_session (
  user_id            uuid        PRIMARY KEY REFERENCES customer (user_id),
  -- Checkout session ids carry a mode (cs_test_..., cs_live_...), so not the stripe_id domain,
  -- but the same refusal of any run of 12 or more digits.
  stripe_session_id  text        CHECK (stripe_session_id ~ '^cs_(test_|live_)?[A-Za-z0-9]{1,250}$'
                                        AND stripe_session_id !~ '[0-9]{12}'),
  plan               text        CHECK (plan IN ('pro', 'team')),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK ((stripe_session_id IS NULL) = (plan IS NULL))
);

CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE checkout_session');
