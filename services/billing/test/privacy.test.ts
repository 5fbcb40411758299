import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { createLogger, createMetrics, createPool, pgTransactionRunner } from '@tracking/kit';
import {
  createTestDatabase,
  startStripeMock,
  STRIPE_MOCK_KEY,
  type StripeMock,
  type TestDatabase,
} from '@tracking/testing';
import { stripeClient } from '@tracking/testing/stripe-events';
import type pg from 'pg';
import type Stripe from 'stripe';

import { billingMetrics } from '../src/metrics';
import { priceBook } from '../src/plans';
import { eraseCustomer, exportCustomer } from '../src/privacy';
import { createStripe } from '../src/stripe';
import { applyStripeEvent } from '../src/webhook-events';
import { PRICE_PRO, PRICE_TEAM, stripeEvent, stripeId, subscriptionObject } from './support';

type Mode = 'pass' | 'down' | 'gone' | 'refuse';

/** What the proxy answers instead of stripe-mock: an outage, an object already deleted, a bad key. */
const REFUSALS: Partial<Record<Mode, { status: number; error: object }>> = {
  down: { status: 503, error: { type: 'api_error', message: 'unavailable' } },
  gone: {
    status: 404,
    error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such object' },
  },
  refuse: { status: 401, error: { type: 'invalid_request_error', message: 'Invalid API Key' } },
};

/**
 * Stripe as billing sees it: stripe-mock (stateless, so it cannot say what was deleted) behind a
 * proxy that records each call and can play an outage, an object already gone, or a refusal.
 */
async function stripeThroughProxy(mock: StripeMock) {
  const calls: string[] = [];
  let mode: Mode = 'pass';
  const answer = (res: http.ServerResponse, status: number, error: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error }));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push(`${req.method ?? '?'} ${(req.url ?? '').split('?')[0] ?? ''}`);
      const refusal = REFUSALS[mode];
      if (refusal) {
        answer(res, refusal.status, refusal.error);
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === 'string' && !['host', 'content-length'].includes(entry[0]),
        ),
      );
      const body = Buffer.concat(chunks);
      fetch(`${mock.url}${req.url ?? ''}`, {
        method: req.method,
        headers,
        body: body.length ? body : undefined,
      })
        .then(async (upstream) => {
          res.writeHead(upstream.status, { 'content-type': 'application/json' });
          res.end(await upstream.text());
        })
        .catch(() => answer(res, 502, { type: 'api_error', message: 'proxy' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    stripe: createStripe({ STRIPE_API_URL: url, STRIPE_TIMEOUT_MS: 5_000 }, { secretKey: STRIPE_MOCK_KEY }),
    calls,
    setMode: (next: Mode) => {
      mode = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('billing in the privacy sagas: the export part, and erasure through Stripe', () => {
  let db: TestDatabase;
  let owner: pg.Pool;
  let pool: pg.Pool;
  let mock: StripeMock;
  let proxy: Awaited<ReturnType<typeof stripeThroughProxy>>;
  let fixtures: Stripe;
  const log = createLogger({ service: 'billing', level: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
    owner = createPool(db.migratorUrl, { max: 2 });
    pool = createPool(db.appUrl, { max: 3 });
    mock = await startStripeMock();
    proxy = await stripeThroughProxy(mock);
    fixtures = stripeClient(mock.url, STRIPE_MOCK_KEY);
  }, 60_000);

  afterAll(async () => {
    await proxy.close();
    await mock.stop();
    await Promise.all([owner.end(), pool.end()]);
    await db.drop();
  });

  beforeEach(() => {
    proxy.setMode('pass');
    proxy.calls.length = 0;
  });

  /** A paying customer, as billing's own flows leave one: customer, live subscription, open checkout. */
  async function payingCustomer() {
    const userId = randomUUID();
    const customer = stripeId('cus');
    const subscription = stripeId('sub');
    await owner.query('INSERT INTO customer (user_id, stripe_customer_id) VALUES ($1, $2)', [
      userId,
      customer,
    ]);
    await owner.query(
      `INSERT INTO subscription (user_id, stripe_subscription_id, stripe_price_id, payment_method_ref,
         subscribed_plan, plan, status, current_period_end)
       VALUES ($1, $2, $3, $4, 'pro', 'pro', 'active', now() + interval '20 days')`,
      [userId, subscription, PRICE_PRO, stripeId('pm')],
    );
    await owner.query(
      `INSERT INTO checkout_session (user_id, stripe_session_id, plan) VALUES ($1, $2, 'team')`,
      [userId, stripeId('cs_test')],
    );
    return { userId, customer, subscription };
  }

  async function rowsOf(userId: string) {
    const { rows } = await owner.query<{ customer: number; subscription: number; checkout_session: number }>(
      `SELECT (SELECT count(*)::int FROM customer WHERE user_id = $1) AS customer,
              (SELECT count(*)::int FROM subscription WHERE user_id = $1) AS subscription,
              (SELECT count(*)::int FROM checkout_session WHERE user_id = $1) AS checkout_session`,
      [userId],
    );
    return rows[0];
  }

  const erase = (userId: string) =>
    pgTransactionRunner(pool)((_sql, tx) => eraseCustomer({ stripe: proxy.stripe, log }, tx, userId));

  test('the export holds the customer and subscription rows: Stripe ids and the plan, nothing of a card', async () => {
    const { userId, customer, subscription } = await payingCustomer();
    const { files, counts } = await pgTransactionRunner(pool)((_sql, tx) => exportCustomer(tx, userId));
    expect(counts).toEqual({ customer: 1, subscription: 1 });
    expect(files.map((file) => file.name)).toEqual(['billing.json']);
    const json = JSON.parse(String(files[0]?.content)) as Record<string, Record<string, unknown>[]>;
    expect(json.customer).toEqual([
      expect.objectContaining({ user_id: userId, stripe_customer_id: customer }),
    ]);
    expect(json.subscription).toEqual([
      expect.objectContaining({ stripe_subscription_id: subscription, plan: 'pro', status: 'active' }),
    ]);
    expect(Object.keys(json)).toEqual(['customer', 'subscription']);

    const nobody = await pgTransactionRunner(pool)((_sql, tx) => exportCustomer(tx, randomUUID()));
    expect(nobody.files).toEqual([]);
  });

  test('erasure cancels the subscription and deletes the customer at Stripe, then deletes the rows', async () => {
    const paying = await payingCustomer();
    const other = await payingCustomer();
    const counts = await erase(paying.userId);
    expect(proxy.calls).toEqual([
      `DELETE /v1/subscriptions/${paying.subscription}`,
      `DELETE /v1/customers/${paying.customer}`,
    ]);
    expect(counts).toEqual({
      checkout_session: 1,
      subscription: 1,
      customer: 1,
      stripe_subscription_cancelled: 1,
      stripe_customer_deleted: 1,
    });
    expect(await rowsOf(paying.userId)).toEqual({ customer: 0, subscription: 0, checkout_session: 0 });
    expect(await rowsOf(other.userId)).toEqual({ customer: 1, subscription: 1, checkout_session: 1 });
    const { rows: audits } = await owner.query(
      `SELECT 1 FROM outbox WHERE topic = 'audit.events.v1' AND message_key = $1
          AND payload->'data'->>'action' = 'billing.customer.erased'`,
      [paying.userId],
    );
    expect(audits).toHaveLength(1);

    // Redelivered: nothing left here, Stripe is not called again, zeros.
    proxy.calls.length = 0;
    expect(await erase(paying.userId)).toEqual({
      checkout_session: 0,
      subscription: 0,
      customer: 0,
      stripe_subscription_cancelled: 0,
      stripe_customer_deleted: 0,
    });
    expect(proxy.calls).toEqual([]);
  });

  test('a webhook arriving for the deleted customer is ignored and brings no row back', async () => {
    const paying = await payingCustomer();
    await erase(paying.userId);
    const deps = {
      pool,
      prices: priceBook({ STRIPE_PRICE_PRO: PRICE_PRO, STRIPE_PRICE_TEAM: PRICE_TEAM }),
      policy: { graceDays: 3, billingUrl: 'http://localhost:8080/billing' },
      log,
      metrics: billingMetrics(createMetrics(), pool),
    };
    const object = await subscriptionObject(fixtures, {
      id: paying.subscription,
      customer: paying.customer,
      price: PRICE_PRO,
      status: 'canceled',
      created: Math.floor(Date.now() / 1000),
    });
    const event = stripeEvent('customer.subscription.deleted', object, Math.floor(Date.now() / 1000));
    await expect(applyStripeEvent(deps, event as never)).resolves.toBe('ignored');
    expect(await rowsOf(paying.userId)).toEqual({ customer: 0, subscription: 0, checkout_session: 0 });
  });

  test('Stripe objects already gone (an earlier attempt got that far) count as done, and the rows go', async () => {
    const paying = await payingCustomer();
    proxy.setMode('gone');
    const counts = await erase(paying.userId);
    expect(counts).toMatchObject({
      customer: 1,
      stripe_subscription_cancelled: 0,
      stripe_customer_deleted: 0,
    });
    expect(await rowsOf(paying.userId)).toEqual({ customer: 0, subscription: 0, checkout_session: 0 });
  });

  test('a Stripe outage is "try again" and deletes nothing; a refusal fails the step with a reason, deleting nothing', async () => {
    const paying = await payingCustomer();
    proxy.setMode('down');
    await expect(erase(paying.userId)).rejects.toMatchObject({ code: 'unavailable' });
    expect(await rowsOf(paying.userId)).toEqual({ customer: 1, subscription: 1, checkout_session: 1 });

    proxy.setMode('refuse');
    await expect(erase(paying.userId)).rejects.toMatchObject({
      name: 'PrivacyStepError',
      message: 'Stripe refused to cancel the subscription (HTTP 401)',
    });
    expect(await rowsOf(paying.userId)).toEqual({ customer: 1, subscription: 1, checkout_session: 1 });

    // Once Stripe answers again, the same request completes.
    proxy.setMode('pass');
    await expect(erase(paying.userId)).resolves.toMatchObject({ customer: 1, stripe_customer_deleted: 1 });
  }, 30_000);

  test('billing_app cannot delete rows except through the function, which only it and the owner may run', async () => {
    const paying = await payingCustomer();
    await expect(pool.query('DELETE FROM customer WHERE user_id = $1', [paying.userId])).rejects.toThrow(
      /permission denied/,
    );
    const { rows } = await owner.query<{ definer: boolean; public_can: boolean; app_can: boolean }>(
      `SELECT p.prosecdef AS definer, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can,
              has_function_privilege(current_database() || '_app', p.oid, 'EXECUTE') AS app_can
         FROM pg_proc p WHERE p.proname = 'privacy_erase_subject'`,
    );
    expect(rows).toEqual([{ definer: true, public_can: false, app_can: true }]);
  });
});
