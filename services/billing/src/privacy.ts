import type { ExportFile, StepCounts } from '@tracking/kit/privacy';
import { PrivacyStepError } from '@tracking/kit/privacy';
import type pg from 'pg';
import Stripe from 'stripe';
import { z } from 'zod';

import type { Deps } from './deps';
import { callStripe } from './stripe';
import { audit } from './subscriptions';

/*
 * Billing's part in the privacy sagas (docs/privacy.md, #22). Billing holds Stripe's ids for a
 * person (customer, subscription, the open checkout) and their plan; Stripe holds the rest,
 * card data included, which never reaches us.
 */

const uuid = z.uuid();
const rowsSchema = z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])));
const countsSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * The export part: the customer and subscription rows as the inventory names their columns
 * (ids of Stripe objects, the plan, its status and times). `checkout_session` is a transient
 * handle to a page at Stripe and is not exported (the inventory says so).
 */
export async function exportCustomer(
  tx: pg.PoolClient,
  subjectId: string,
): Promise<{ files: ExportFile[]; counts: StepCounts }> {
  const id = uuid.parse(subjectId);
  const read = async (sql: string) =>
    rowsSchema.parse((await tx.query<{ rows: unknown }>(sql, [id])).rows[0]?.rows);
  const tables = {
    customer: await read(
      `SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb) AS rows FROM customer c WHERE c.user_id = $1`,
    ),
    subscription: await read(
      `SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) AS rows FROM subscription s WHERE s.user_id = $1`,
    ),
  };
  const counts = { customer: tables.customer.length, subscription: tables.subscription.length };
  if (counts.customer === 0 && counts.subscription === 0) return { files: [], counts };
  return { files: [{ name: 'billing.json', content: `${JSON.stringify(tables, null, 2)}\n` }], counts };
}

/**
 * Erasure (phase 1): the subscription is cancelled and the customer deleted at Stripe, through
 * its API, and only then are billing's rows deleted (`privacy_erase_subject`, migration 003), in
 * the participant's transaction. The order means the worst a crash leaves is a customer deleted
 * at Stripe whose rows are still here; the redelivered request finds Stripe's objects gone
 * (404, taken as done) and deletes the rows.
 *
 * Stripe down or rate-limiting (callStripe's `unavailable`): the step is retried until Stripe
 * answers, nothing is deleted here meanwhile. Stripe refusing for another reason: the step fails
 * with a reason an admin can read, never silently half-done. Stripe keeps the invoices tax law
 * requires on its side; billing holds none.
 */
export async function eraseCustomer(
  deps: Pick<Deps, 'stripe' | 'log'>,
  tx: pg.PoolClient,
  subjectId: string,
): Promise<StepCounts> {
  const id = uuid.parse(subjectId);
  const { rows } = await tx.query<{
    stripe_customer_id: string;
    stripe_subscription_id: string | null;
    status: string | null;
  }>(
    `SELECT c.stripe_customer_id, s.stripe_subscription_id, s.status
       FROM customer c LEFT JOIN subscription s USING (user_id)
      WHERE c.user_id = $1`,
    [id],
  );
  const held = rows[0];
  let cancelled = 0;
  let deleted = 0;
  if (held?.stripe_subscription_id && !['canceled', 'incomplete_expired'].includes(held.status ?? '')) {
    const subscription = held.stripe_subscription_id;
    if (
      await unlessGone(deps, 'cancel the subscription', () => deps.stripe.subscriptions.cancel(subscription))
    )
      cancelled = 1;
  }
  if (held) {
    const customer = held.stripe_customer_id;
    if (await unlessGone(deps, 'delete the customer', () => deps.stripe.customers.del(customer))) deleted = 1;
  }
  const [result] = (
    await tx.query<{ counts: unknown }>('SELECT privacy_erase_subject($1::uuid) AS counts', [id])
  ).rows;
  const counts = countsSchema.parse(result?.counts);
  if (held)
    await audit(tx, 'billing.customer.erased', id, {
      actor: { service: 'billing', userId: null, role: null },
    });
  deps.log.info(
    {
      event: 'billing.customer.erased',
      userId: id,
      stripeSubscriptionsCancelled: cancelled,
      stripeCustomersDeleted: deleted,
    },
    held ? 'customer erased at Stripe and here' : 'no customer to erase',
  );
  return { ...counts, stripe_subscription_cancelled: cancelled, stripe_customer_deleted: deleted };
}

/**
 * One Stripe call of the erasure: true when it did something, false when Stripe says the object
 * is already gone (an earlier attempt got that far). An outage stays `unavailable` (retried);
 * any other refusal fails the step with Stripe's status, never its message.
 */
async function unlessGone(
  deps: Pick<Deps, 'log'>,
  what: string,
  call: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await callStripe(deps.log, what, call);
    return true;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      if (error.statusCode === 404 || error.code === 'resource_missing') return false;
      throw new PrivacyStepError(`Stripe refused to ${what} (HTTP ${String(error.statusCode ?? '?')})`);
    }
    throw error;
  }
}
