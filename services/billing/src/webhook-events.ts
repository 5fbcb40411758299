import { pgTransactionRunner } from '@tracking/kit';
import type pg from 'pg';
import type Stripe from 'stripe';

import type { Deps } from './deps';
import { isPaidPlan, type PriceBook } from './plans';
import { idOf, type HandledStripeEvent } from './stripe';
import {
  applyInvoice,
  applySubscriptionState,
  isStatus,
  type ApplyOutcome,
  type SubscriptionState,
} from './subscriptions';

type WebhookEventDeps = Pick<Deps, 'pool' | 'prices' | 'policy' | 'log' | 'metrics'>;

/** A webhook Stripe should deliver again later: a deployment that does not know the price, say. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored';

/**
 * Applies one verified event exactly once: its id is recorded in the same transaction as its
 * effect, so a redelivery, a replay or a concurrent duplicate finds it and changes nothing.
 */
export async function applyStripeEvent(
  deps: WebhookEventDeps,
  event: HandledStripeEvent,
): Promise<WebhookOutcome> {
  const result = await pgTransactionRunner(deps.pool)(async (_sql, client) => {
    const recorded = await client.query(
      `INSERT INTO webhook_event (event_id, type, outcome) VALUES ($1, $2, 'processed')
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, event.type],
    );
    if (recorded.rowCount === 0) return 'duplicate';
    const applied = await dispatch(deps, client, event);
    if (!applied.applied) {
      await client.query(`UPDATE webhook_event SET outcome = 'ignored' WHERE event_id = $1`, [event.id]);
    }
    return applied;
  });
  if (result === 'duplicate') return 'duplicate';
  if (!result.applied && result.notCurrent) {
    deps.metrics.notCurrent.inc();
    deps.log.warn(
      { event: 'billing.subscription.not_current', stripeEventId: event.id, type: event.type },
      "an event of a subscription that is not the user's live one: the plan stays",
    );
  }
  const change = result.applied ? result.planChange : undefined;
  if (change !== undefined) {
    if (change.reason === 'payment_failed') deps.metrics.dunningDowngrades.inc();
    deps.log.info(
      { event: 'billing.plan.changed', plan: change.plan, reason: change.reason },
      'plan changed',
    );
  }
  return result.applied ? 'processed' : 'ignored';
}

const NOT_APPLIED: ApplyOutcome = { applied: false };

async function userOfCustomer(
  client: pg.PoolClient,
  customer: string | { id: string } | null,
): Promise<string | undefined> {
  const customerId = idOf(customer);
  if (customerId === null) return undefined;
  const { rows } = await client.query<{ user_id: string }>(
    'SELECT user_id FROM customer WHERE stripe_customer_id = $1',
    [customerId],
  );
  return rows[0]?.user_id;
}

async function dispatch(
  deps: WebhookEventDeps,
  client: pg.PoolClient,
  event: HandledStripeEvent,
): Promise<ApplyOutcome> {
  const asOf = new Date(event.created * 1000);
  const ignore = (why: string) => {
    deps.log.warn({ event: 'billing.webhook.ignored', stripeEventId: event.id, type: event.type, why }, why);
    return NOT_APPLIED;
  };
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      if (session.mode !== 'subscription') return ignore('not a subscription checkout');
      const userId = await userOfCustomer(client, session.customer);
      if (userId === undefined) return ignore('checkout for a customer billing did not create');
      if (session.client_reference_id !== null && session.client_reference_id !== userId) {
        return ignore('checkout names another user than its customer belongs to');
      }
      const plan = session.metadata?.plan ?? '';
      const subscriptionId = idOf(session.subscription);
      if (!isPaidPlan(plan) || subscriptionId === null)
        return ignore('checkout without a plan or subscription');
      const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
      return applySubscriptionState(
        client,
        userId,
        {
          subscriptionId,
          priceId: deps.prices.priceOf(plan),
          subscribedPlan: plan,
          status: paid ? 'active' : 'incomplete',
          currentPeriodEnd: null,
          cancelAtPeriodEnd: false,
          paymentMethodRef: null,
        },
        asOf,
        deps.policy,
      );
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = event.data.object;
      const userId = await userOfCustomer(client, subscription.customer);
      if (userId === undefined) return ignore('subscription of a customer billing did not create');
      const state = stateOf(deps.prices, subscription, event.type === 'customer.subscription.deleted');
      return applySubscriptionState(client, userId, state, asOf, deps.policy);
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
      if (subscriptionId === null) return ignore('invoice of no subscription');
      const userId = await userOfCustomer(client, invoice.customer);
      if (userId === undefined) return ignore('invoice of a customer billing did not create');
      const { rows } = await client.query<{ stripe_subscription_id: string | null }>(
        'SELECT stripe_subscription_id FROM subscription WHERE user_id = $1',
        [userId],
      );
      const current = rows[0]?.stripe_subscription_id ?? null;
      if (current !== null && current !== subscriptionId) return ignore('invoice of an earlier subscription');
      const outcome = event.type === 'invoice.paid' ? 'paid' : 'failed';
      return applyInvoice(client, userId, outcome, asOf, deps.policy);
    }
  }
}

function stateOf(prices: PriceBook, subscription: Stripe.Subscription, deleted: boolean): SubscriptionState {
  const item = subscription.items.data[0];
  const priceId = item?.price.id ?? '';
  const plan = prices.planOf(priceId);
  if (plan === undefined) {
    // Not ignorable: a price this deployment does not know (STRIPE_PRICE_* out of date) would
    // otherwise leave a paying user on the wrong plan. Stripe retries for three days.
    throw new RetryLaterError(`subscription ${subscription.id} is for an unknown price ${priceId}`);
  }
  const status = deleted ? 'canceled' : subscription.status;
  if (!isStatus(status))
    throw new RetryLaterError(`subscription ${subscription.id} has unknown status ${status}`);
  return {
    subscriptionId: subscription.id,
    priceId,
    subscribedPlan: plan,
    status,
    currentPeriodEnd: item?.current_period_end ? new Date(item.current_period_end * 1000) : null,
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    paymentMethodRef: paymentMethodRef(idOf(subscription.default_payment_method)),
  };
}

/** A reference to a payment method (pm_, or the older card_ and src_), never anything else. */
function paymentMethodRef(id: string | null): string | null {
  return id !== null && /^(pm|card|src)_[A-Za-z0-9]{1,250}$/.test(id) ? id : null;
}
