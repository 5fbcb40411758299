import type { Server } from 'node:http';

import {
  isCorrelationId,
  listen,
  newCorrelationId,
  pgTransactionRunner,
  runWithContext,
  type Logger,
  type SecurityEvents,
} from '@tracking/kit';
import express, { type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';
import type Stripe from 'stripe';

import type { BillingMetrics } from './metrics';
import { isPaidPlan, type PriceBook } from './plans';
import { idOf } from './stripe';
import {
  applyInvoice,
  applySubscriptionState,
  isStatus,
  type ApplyOutcome,
  type BillingPolicy,
  type SubscriptionState,
} from './subscriptions';

/** The one public path; the edge routes it here and nowhere else (docs/billing.md). */
export const WEBHOOK_PATH = '/webhooks/stripe';

/** The event types billing acts on; any other is acknowledged and ignored. */
export const HANDLED_EVENTS = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
] as const;
type HandledEvent = (typeof HANDLED_EVENTS)[number];

type HandledStripeEvent = Extract<Stripe.Event, { type: HandledEvent }>;

function isHandled(event: Stripe.Event): event is HandledStripeEvent {
  return (HANDLED_EVENTS as readonly string[]).includes(event.type);
}

/** Stripe events are far smaller; anything larger is refused before it is parsed. */
const BODY_LIMIT = '256kb';

/**
 * How long after a subscription starts its events still carry the checkout's correlation id
 * (from the metadata billing set on it), so that the checkout, its webhooks, the plan change and
 * auth applying it read as one story in the logs and the audit log. Later events (renewals,
 * failed payments) get a correlation id of their own.
 */
const CHECKOUT_STORY_SECONDS = 86_400;

export interface WebhookDeps {
  stripe: Stripe;
  webhookSecret: string;
  pool: pg.Pool;
  prices: PriceBook;
  policy: BillingPolicy;
  log: Logger;
  metrics: BillingMetrics;
  security: SecurityEvents;
}

/** A webhook Stripe should deliver again later: a deployment that does not know the price, say. */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

type Outcome = 'processed' | 'duplicate' | 'ignored';

/**
 * Why a delivery was refused, from the SDK's verification error; the counter and the security
 * event carry it, never the payload or the header.
 */
function rejectionReason(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/tolerance/i.test(message)) return 'stale_timestamp';
  if (/No signatures found/i.test(message)) return 'signature_mismatch';
  if (/Unable to extract|header/i.test(message)) return 'malformed_header';
  if (/JSON|Unexpected token/i.test(message)) return 'malformed_body';
  return 'unverifiable';
}

export function webhookApp(deps: WebhookDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: BODY_LIMIT }), (req, res) => {
    void receive(deps, req, res);
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    const code = typeof status === 'number' && status >= 400 && status < 500 ? status : 400;
    deps.metrics.webhooks.inc({ type: 'unverified', outcome: 'rejected' });
    deps.security.record('billing.webhook.rejected', { reason: 'unreadable_body', status: code });
    res.status(code).json({ error: 'unreadable_body' });
  });
  return app;
}

export function startWebhookServer(deps: WebhookDeps, host: string, port: number): Promise<Server> {
  return listen(webhookApp(deps), host, port);
}

async function receive(deps: WebhookDeps, req: Request, res: Response): Promise<void> {
  const signature = req.get('stripe-signature');
  let event: Stripe.Event;
  try {
    if (!Buffer.isBuffer(req.body)) throw new Error('Unable to extract the raw body');
    if (!signature) throw new Error('Unable to extract timestamp and signatures from header: none sent');
    // On the raw bytes, with the SDK's default tolerance of 300 s: never verifyHeader, whose
    // tolerance defaults to 0 and so skips the timestamp check.
    event = deps.stripe.webhooks.constructEvent(req.body, signature, deps.webhookSecret);
  } catch (error) {
    const reason = rejectionReason(error);
    deps.metrics.webhooks.inc({ type: 'unverified', outcome: 'rejected' });
    runWithContext({ correlationId: newCorrelationId() }, () => {
      deps.security.record(
        'billing.webhook.rejected',
        { reason },
        'Stripe webhook refused: not verifiably from Stripe',
      );
    });
    res.status(400).json({ error: 'invalid_signature', reason });
    return;
  }
  const type = isHandled(event) ? event.type : 'other';
  await runWithContext({ correlationId: correlationOf(event) ?? newCorrelationId() }, async () => {
    try {
      const outcome = isHandled(event) ? await handle(deps, event) : 'ignored';
      deps.metrics.webhooks.inc({ type, outcome });
      deps.log.info(
        { event: 'billing.webhook.received', stripeEventId: event.id, type: event.type, outcome },
        'Stripe webhook handled',
      );
      res.status(200).json({ received: true, outcome });
    } catch (error) {
      deps.metrics.webhooks.inc({ type, outcome: 'failed' });
      deps.log.error(
        { err: error, event: 'billing.webhook.failed', stripeEventId: event.id, type: event.type },
        'Stripe webhook not applied; Stripe will deliver it again',
      );
      res.status(500).json({ error: 'not_applied' });
    }
  });
}

/** The checkout's correlation id, for the events that are part of the checkout's story. */
function correlationOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as {
    object?: string;
    created?: number;
    metadata?: Record<string, string> | null;
  };
  const fromMetadata = object.metadata?.correlation_id;
  if (!isCorrelationId(fromMetadata)) return undefined;
  if (object.object === 'checkout.session') return fromMetadata;
  if (object.object === 'subscription' && typeof object.created === 'number') {
    return event.created - object.created <= CHECKOUT_STORY_SECONDS ? fromMetadata : undefined;
  }
  return undefined;
}

/**
 * Applies one verified event exactly once: its id is recorded in the same transaction as its
 * effect, so a redelivery, a replay or a concurrent duplicate finds it and changes nothing.
 */
async function handle(deps: WebhookDeps, event: HandledStripeEvent): Promise<Outcome> {
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
  deps: WebhookDeps,
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
