import {
  currentCorrelationId,
  DomainError,
  FailedPreconditionError,
  parseOrInvalid,
  PermissionDeniedError,
  pgTransactionRunner,
  unary,
  type Actor,
  type Logger,
  type Metrics,
  type Principal,
  type PrincipalVerifier,
} from '@tracking/kit';
import type {
  BillingServiceServer,
  CreateCheckoutSessionRequest,
  CreateCheckoutSessionResponse,
  CreatePortalSessionRequest,
  CreatePortalSessionResponse,
  GetSubscriptionRequest,
  GetSubscriptionResponse,
} from '@tracking/proto/tracking/billing/v1/billing';
import type pg from 'pg';
import Stripe from 'stripe';
import { z } from 'zod';

import type { Config } from './config';
import { BUYERS, type PriceBook } from './plans';
import { audit, effectivePlan, limitsOf, noticeFor, readSubscription } from './subscriptions';

export interface BillingDeps {
  stripe: Stripe;
  pool: pg.Pool;
  prices: PriceBook;
  principals: PrincipalVerifier;
  config: Pick<Config, 'BILLING_PUBLIC_URL'>;
  log: Logger;
  metrics: Metrics;
}

const checkoutRequestSchema = z.object({ plan: z.enum(['pro', 'team']) });

/** Statuses in which a user still has (or is paying for) a paid plan: a second checkout would double-bill. */
const LIVE = new Set(['trialing', 'active', 'past_due', 'unpaid', 'incomplete', 'paused']);

function actorOf(principal: Principal): Actor {
  return { service: 'billing', userId: principal.userId, role: principal.role };
}

/**
 * Stripe's failures as the caller should see them: its rate limit and outages are UNAVAILABLE
 * (try again); anything else is ours to fix and stays INTERNAL, logged here with Stripe's
 * request id but not shown.
 */
async function callStripe<T>(log: Logger, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      log.error(
        {
          event: 'billing.stripe.failed',
          call: what,
          stripeType: error.type,
          stripeRequestId: error.requestId,
        },
        `Stripe ${what} failed`,
      );
      if (
        error instanceof Stripe.errors.StripeConnectionError ||
        error instanceof Stripe.errors.StripeRateLimitError ||
        error instanceof Stripe.errors.StripeAPIError
      ) {
        throw new DomainError('unavailable', 'the payment provider is not answering; try again shortly');
      }
    }
    throw error;
  }
}

/** The user's Stripe customer: created once (idempotently at Stripe too), with nothing but our user id. */
async function customerOf(deps: BillingDeps, userId: string): Promise<string> {
  const existing = await deps.pool.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [userId],
  );
  const known = existing.rows[0]?.stripe_customer_id;
  if (known) return known;
  const created = await callStripe(deps.log, 'customer create', () =>
    deps.stripe.customers.create({ metadata: { user_id: userId } }, { idempotencyKey: `customer-${userId}` }),
  );
  // Two checkouts at once: the first row wins and both use it.
  await deps.pool.query(
    'INSERT INTO customer (user_id, stripe_customer_id) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING',
    [userId, created.id],
  );
  const { rows } = await deps.pool.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [userId],
  );
  const customerId = rows[0]?.stripe_customer_id;
  if (!customerId) throw new Error('customer row missing after insert');
  return customerId;
}

async function recordAudit(deps: BillingDeps, action: string, principal: Principal): Promise<void> {
  await pgTransactionRunner(deps.pool)((_sql, client) =>
    audit(client, action, principal.userId, { actor: actorOf(principal) }),
  );
}

export function billingService(deps: BillingDeps): BillingServiceServer {
  const returnUrl = new URL('/billing', deps.config.BILLING_PUBLIC_URL).toString();
  return {
    createCheckoutSession: unary<CreateCheckoutSessionRequest, CreateCheckoutSessionResponse>(
      'CreateCheckoutSession',
      deps,
      async (request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        const { plan } = parseOrInvalid(checkoutRequestSchema, request);
        if (!BUYERS[plan].includes(principal.role)) {
          throw new PermissionDeniedError(`the ${plan} plan is for trainers`);
        }
        const current = await readSubscription(deps.pool, principal.userId);
        if (current && current.subscribed_plan !== 'free' && LIVE.has(current.status)) {
          throw new FailedPreconditionError(
            'you already have a subscription: change or cancel it in the billing portal',
          );
        }
        const customer = await customerOf(deps, principal.userId);
        // Set on the session and the subscription, so the webhooks that follow carry the
        // checkout's correlation id and the plan asked for (docs/billing.md).
        const metadata = { user_id: principal.userId, plan, correlation_id: currentCorrelationId() ?? '' };
        const session = await callStripe(deps.log, 'checkout session create', () =>
          deps.stripe.checkout.sessions.create({
            mode: 'subscription',
            customer,
            client_reference_id: principal.userId,
            line_items: [{ price: deps.prices.priceOf(plan), quantity: 1 }],
            success_url: `${returnUrl}?checkout=success`,
            cancel_url: `${returnUrl}?checkout=cancelled`,
            metadata,
            subscription_data: { metadata },
          }),
        );
        if (!session.url) throw new Error('Stripe returned a checkout session without a url');
        await recordAudit(deps, 'billing.checkout.started', principal);
        deps.log.info(
          { event: 'billing.checkout.started', plan, checkoutSessionId: session.id },
          'checkout started',
        );
        return { url: session.url, expiresAt: new Date(session.expires_at * 1000).toISOString() };
      },
    ),
    createPortalSession: unary<CreatePortalSessionRequest, CreatePortalSessionResponse>(
      'CreatePortalSession',
      deps,
      async (_request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        const { rows } = await deps.pool.query<{ stripe_customer_id: string }>(
          'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
          [principal.userId],
        );
        const customer = rows[0]?.stripe_customer_id;
        if (!customer)
          throw new FailedPreconditionError('there is no subscription to manage yet: choose a plan first');
        const session = await callStripe(deps.log, 'portal session create', () =>
          deps.stripe.billingPortal.sessions.create({ customer, return_url: returnUrl }),
        );
        await recordAudit(deps, 'billing.portal.opened', principal);
        return { url: session.url };
      },
    ),
    getSubscription: unary<GetSubscriptionRequest, GetSubscriptionResponse>(
      'GetSubscription',
      deps,
      async (_request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        const row = await readSubscription(deps.pool, principal.userId);
        const now = new Date();
        if (!row) {
          return {
            subscription: {
              plan: 'free',
              subscribedPlan: 'free',
              status: 'none',
              currentPeriodEnd: '',
              cancelAtPeriodEnd: false,
              graceEndsAt: '',
              notice: '',
              limits: limitsOf('free'),
            },
          };
        }
        // The plan in force now, even if the dunning sweep has not run since the grace ended.
        const plan = effectivePlan(row, now);
        return {
          subscription: {
            plan,
            subscribedPlan: row.subscribed_plan,
            status: row.status,
            currentPeriodEnd: row.current_period_end?.toISOString() ?? '',
            cancelAtPeriodEnd: row.cancel_at_period_end,
            graceEndsAt: row.grace_ends_at?.toISOString() ?? '',
            notice: noticeFor(row, now),
            limits: limitsOf(plan),
          },
        };
      },
    ),
  };
}
