import {
  currentCorrelationId,
  FailedPreconditionError,
  PermissionDeniedError,
  pgTransactionRunner,
  type Actor,
  type Principal,
} from '@tracking/kit';

import type { Deps } from './deps';
import { BUYERS, type PaidPlan } from './plans';
import { callStripe } from './stripe';
import { audit, LIVE_STATUSES, readSubscription } from './subscriptions';

function actorOf(principal: Principal): Actor {
  return { service: 'billing', userId: principal.userId, role: principal.role };
}

async function customerIdOf(deps: Pick<Deps, 'pool'>, userId: string): Promise<string | undefined> {
  const { rows } = await deps.pool.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [userId],
  );
  return rows[0]?.stripe_customer_id;
}

/** The user's Stripe customer: created once (idempotently at Stripe too), with nothing but our user id. */
async function customerOf(deps: Pick<Deps, 'pool' | 'stripe' | 'log'>, userId: string): Promise<string> {
  const known = await customerIdOf(deps, userId);
  if (known) return known;
  const created = await callStripe(deps.log, 'customer create', () =>
    deps.stripe.customers.create({ metadata: { user_id: userId } }, { idempotencyKey: `customer-${userId}` }),
  );
  // Two checkouts at once: the first row wins and both use it.
  await deps.pool.query(
    'INSERT INTO customer (user_id, stripe_customer_id) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING',
    [userId, created.id],
  );
  const customerId = await customerIdOf(deps, userId);
  if (!customerId) throw new Error('customer row missing after insert');
  return customerId;
}

async function recordAudit(deps: Pick<Deps, 'pool'>, action: string, principal: Principal): Promise<void> {
  await pgTransactionRunner(deps.pool)((_sql, client) =>
    audit(client, action, principal.userId, { actor: actorOf(principal) }),
  );
}

type CheckoutDeps = Pick<Deps, 'pool' | 'stripe' | 'prices' | 'returnUrl' | 'log'>;

/**
 * A Stripe Checkout page for a paid plan, for a user who may buy it and has no live
 * subscription yet. Card details are entered there, never here.
 */
export async function startCheckout(
  deps: CheckoutDeps,
  principal: Principal,
  plan: PaidPlan,
): Promise<{ url: string; expiresAt: Date }> {
  if (!BUYERS[plan].includes(principal.role)) {
    throw new PermissionDeniedError(`the ${plan} plan is for trainers`);
  }
  const current = await readSubscription(deps.pool, principal.userId);
  if (current && current.subscribed_plan !== 'free' && LIVE_STATUSES.has(current.status)) {
    throw new FailedPreconditionError(
      'you already have a subscription: change or cancel it in the billing portal',
    );
  }
  const customer = await customerOf(deps, principal.userId);
  return pgTransactionRunner(deps.pool)(async (_sql, client) => {
    // One open Checkout session per user (#20): each could become a subscription. The row lock
    // makes a concurrent start wait for this one and then find its session.
    await client.query(
      'INSERT INTO checkout_session (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING',
      [principal.userId],
    );
    const { rows } = await client.query<{ stripe_session_id: string | null; plan: string | null }>(
      'SELECT stripe_session_id, plan FROM checkout_session WHERE user_id = $1 FOR UPDATE',
      [principal.userId],
    );
    const previousId = rows[0]?.stripe_session_id ?? null;
    if (previousId !== null) {
      const previous = await callStripe(deps.log, 'checkout session retrieve', () =>
        deps.stripe.checkout.sessions.retrieve(previousId),
      );
      if (previous.status === 'complete') {
        throw new FailedPreconditionError('your last checkout is complete: your plan changes in a moment');
      }
      if (previous.status === 'open' && rows[0]?.plan === plan && previous.url) {
        await audit(client, 'billing.checkout.resumed', principal.userId, { actor: actorOf(principal) });
        deps.log.info(
          { event: 'billing.checkout.resumed', plan, checkoutSessionId: previousId },
          'checkout resumed',
        );
        return { url: previous.url, expiresAt: new Date(previous.expires_at * 1000) };
      }
      if (previous.status === 'open') {
        // Another plan: the earlier page must not stay payable beside the new one.
        await callStripe(deps.log, 'checkout session expire', () =>
          deps.stripe.checkout.sessions.expire(previousId),
        );
        deps.log.info(
          { event: 'billing.checkout.expired', checkoutSessionId: previousId },
          'earlier checkout expired for a new plan',
        );
      }
    }
    // Set on the session and the subscription, so the webhooks that follow carry the
    // checkout's correlation id and the plan asked for (docs/billing.md).
    const metadata = { user_id: principal.userId, plan, correlation_id: currentCorrelationId() ?? '' };
    const session = await callStripe(deps.log, 'checkout session create', () =>
      deps.stripe.checkout.sessions.create({
        mode: 'subscription',
        customer,
        client_reference_id: principal.userId,
        line_items: [{ price: deps.prices.priceOf(plan), quantity: 1 }],
        success_url: `${deps.returnUrl}?checkout=success`,
        cancel_url: `${deps.returnUrl}?checkout=cancelled`,
        metadata,
        subscription_data: { metadata },
      }),
    );
    if (!session.url) throw new Error('Stripe returned a checkout session without a url');
    await client.query(
      'UPDATE checkout_session SET stripe_session_id = $2, plan = $3, updated_at = now() WHERE user_id = $1',
      [principal.userId, session.id, plan],
    );
    await audit(client, 'billing.checkout.started', principal.userId, { actor: actorOf(principal) });
    deps.log.info(
      { event: 'billing.checkout.started', plan, checkoutSessionId: session.id },
      'checkout started',
    );
    return { url: session.url, expiresAt: new Date(session.expires_at * 1000) };
  });
}

/** A Stripe Customer Portal page, where a subscriber changes, cancels or pays. */
export async function openPortal(
  deps: Pick<Deps, 'pool' | 'stripe' | 'returnUrl' | 'log'>,
  principal: Principal,
): Promise<{ url: string }> {
  const customer = await customerIdOf(deps, principal.userId);
  if (!customer)
    throw new FailedPreconditionError('there is no subscription to manage yet: choose a plan first');
  const session = await callStripe(deps.log, 'portal session create', () =>
    deps.stripe.billingPortal.sessions.create({ customer, return_url: deps.returnUrl }),
  );
  await recordAudit(deps, 'billing.portal.opened', principal);
  return { url: session.url };
}
