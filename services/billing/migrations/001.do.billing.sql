-- Billing keeps Stripe's ids, the plan, the status and the period end: nothing else. Card data
-- is entered on Stripe's hosted pages and never reaches us (docs/billing.md). Every column is
-- typed so that it cannot hold a card number either: ids are a domain whose check refuses any
-- run of 12 or more digits (a card number has 13 to 19), words are checked against their
-- lists, times are timestamps; there is no free text, JSON, binary or bigint column.
-- test/schema.test.ts proves it by trying to store a card number in every column.
-- The kit's migration (outbox, processed_event) runs before this one.

CREATE DOMAIN stripe_id AS text
  CHECK (VALUE ~ '^[a-z]{2,8}_[A-Za-z0-9]{1,250}$' AND VALUE !~ '[0-9]{12}');

-- The Stripe customer billing created for a user, before their first checkout.
CREATE TABLE customer (
  user_id            uuid        PRIMARY KEY,
  stripe_customer_id stripe_id   NOT NULL UNIQUE CHECK (stripe_customer_id LIKE 'cus\_%'),
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- A user's subscription as Stripe's signed webhooks last described it, and the plan billing
-- last announced for them (billing.plan.changed.v1).
CREATE TABLE subscription (
  user_id                uuid        PRIMARY KEY REFERENCES customer (user_id),
  stripe_subscription_id stripe_id   UNIQUE CHECK (stripe_subscription_id LIKE 'sub\_%'),
  stripe_price_id        stripe_id   CHECK (stripe_price_id LIKE 'price\_%'),
  -- A reference to the default payment method, never its details.
  payment_method_ref     stripe_id   CHECK (payment_method_ref ~ '^(pm|card|src)_'),
  -- The plan paid for, and the plan in force (they differ once a failed payment's grace is over).
  subscribed_plan        text        NOT NULL DEFAULT 'free' CHECK (subscribed_plan IN ('free', 'pro', 'team')),
  plan                   text        NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'team')),
  status                 text        NOT NULL DEFAULT 'none' CHECK (
    status IN ('none', 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')
  ),
  current_period_end     timestamptz,
  cancel_at_period_end   boolean     NOT NULL DEFAULT false,
  -- Stripe's `created` time of the event whose object this row holds: an older event never
  -- overrides a newer one (out-of-order delivery).
  state_as_of            timestamptz,
  -- Dunning: the first failed payment not since paid, and when access drops to free.
  payment_failed_at      timestamptz,
  grace_ends_at          timestamptz,
  -- The `created` time of the newest invoice event applied.
  invoice_state_as_of    timestamptz,
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK ((payment_failed_at IS NULL) = (grace_ends_at IS NULL))
);

-- The dunning sweep looks for grace periods that ended.
CREATE INDEX subscription_grace ON subscription (grace_ends_at) WHERE grace_ends_at IS NOT NULL;

-- Webhook idempotency: a Stripe event id is recorded in the transaction that applies it, so a
-- redelivery or a replay changes nothing.
CREATE TABLE webhook_event (
  event_id    stripe_id   PRIMARY KEY CHECK (event_id LIKE 'evt\_%'),
  type        text        NOT NULL CHECK (type ~ '^[a-z_]{1,40}(\.[a-z_]{1,40}){1,4}$'),
  outcome     text        NOT NULL CHECK (outcome IN ('processed', 'ignored')),
  received_at timestamptz NOT NULL DEFAULT now()
);

-- The runtime role creates customers, keeps subscriptions current and records events. It
-- never deletes: a subscription's history is Stripe's and the audit log's.
CALL grant_to_app('SELECT, INSERT', 'TABLE customer');
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE subscription');
CALL grant_to_app('SELECT, INSERT, UPDATE (outcome)', 'TABLE webhook_event');
