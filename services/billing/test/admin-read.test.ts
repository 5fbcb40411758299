import { randomUUID } from 'node:crypto';

import { callUnary } from '@tracking/kit';

import {
  PRICE_PRO,
  startBilling,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type BillingFixture,
} from './support';

// GetUserSubscription (#23): an admin reads the plan of the person a support ticket names, and
// billing records who looked; nobody else reads another user's subscription.
let billing: BillingFixture;

beforeAll(async () => {
  billing = await startBilling();
}, 90_000);

afterAll(async () => {
  await billing.stop();
});

async function viewsOf(userId: string) {
  const { rows } = await billing.owner.query<{ data: { action: string; outcome: string }; actor: unknown }>(
    `SELECT payload->'data' AS data, payload->'actor' AS actor FROM outbox
      WHERE topic = 'audit.events.v1' AND message_key = $1 AND payload->'data'->>'action' = 'billing.subscription.viewed'
      ORDER BY id`,
    [userId],
  );
  return rows;
}

const read = async (userId: string, callerId: string, role: 'admin' | 'client' | 'trainer') =>
  callUnary(
    billing.client.getUserSubscription.bind(billing.client),
    { userId },
    await billing.principal(callerId, role),
  );

test('an admin sees a paying user’s plan, and the read is audited with the admin as actor', async () => {
  const userId = randomUUID();
  const adminId = randomUUID();
  await callUnary(
    billing.client.createCheckoutSession.bind(billing.client),
    { plan: 'pro' },
    await billing.principal(userId, 'client'),
  );
  const { rows } = await billing.owner.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [userId],
  );
  const created = Math.floor(Date.now() / 1000) - 5;
  const active = await subscriptionObject(billing.stripe, {
    id: stripeId('sub'),
    customer: rows[0]?.stripe_customer_id ?? '',
    price: PRICE_PRO,
    status: 'active',
    created,
  });
  expect((await billing.deliver(stripeEvent('customer.subscription.created', active, created))).status).toBe(
    200,
  );

  const seen = await read(userId, adminId, 'admin');
  expect(seen.subscription).toMatchObject({
    plan: 'pro',
    subscribedPlan: 'pro',
    status: 'active',
    notice: '',
  });
  expect(seen.subscription?.limits?.aiReviewsPerWeek).toBe(7);
  expect(await viewsOf(userId)).toEqual([
    {
      data: expect.objectContaining({ action: 'billing.subscription.viewed', outcome: 'success' }) as unknown,
      actor: { service: 'billing', userId: adminId, role: 'admin' },
    },
  ]);
});

test('a user billing never heard of is on the free plan, status none', async () => {
  const seen = await read(randomUUID(), randomUUID(), 'admin');
  expect(seen.subscription).toMatchObject({ plan: 'free', status: 'none', currentPeriodEnd: '' });
});

test('a client or a trainer asking for another user is refused and nothing is recorded; a bad id is invalid', async () => {
  const userId = randomUUID();
  await expect(read(userId, randomUUID(), 'client')).rejects.toMatchObject({ code: 'permission_denied' });
  await expect(read(userId, randomUUID(), 'trainer')).rejects.toMatchObject({ code: 'permission_denied' });
  expect(await viewsOf(userId)).toEqual([]);
  await expect(read('not-a-uuid', randomUUID(), 'admin')).rejects.toMatchObject({ code: 'invalid_argument' });
});
