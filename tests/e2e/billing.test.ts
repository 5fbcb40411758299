import { STRIPE_MOCK_KEY, waitFor } from '@tracking/testing';
import { startPlatform, type Platform } from '@tracking/testing/platform';
import {
  checkoutSessionObject,
  deliver,
  stripeClient,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '@tracking/testing/stripe-events';
import pg from 'pg';

import { accounts } from './accounts';

let platform: Platform;
const { api, expectStatus, register, login, firstAdmin, enrolTotp } = accounts(() => platform);

beforeAll(async () => {
  platform = await startPlatform({ billing: true });
}, 120_000);

afterAll(async () => {
  await platform.stop();
});

/** The Monday `weeks` weeks before this week's, as YYYY-MM-DD. */
function mondayBefore(weeks: number): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7) - 7 * weeks);
  return date.toISOString().slice(0, 10);
}

function billingOf(running: Platform) {
  if (!running.billing) throw new Error('the platform was started without billing');
  return running.billing;
}

test('a client upgrades to pro through Checkout: the signed webhooks change the plan, auth then demands MFA, and the audit log tells it under one correlation id', async () => {
  const billing = billingOf(platform);
  const { email, userId } = await register();
  const token = await login(email);
  // A free client needs no second factor.
  await expectStatus(api('GET', '/me/meals', { token }), 200);
  const before = await expectStatus(api('GET', '/me/subscription', { token }), 200);
  expect(before.body).toMatchObject({ plan: 'free', status: 'none', notice: null });
  // Free grants one AI review a week: the plan travels from auth through the gateway's principal.
  await expectStatus(api('POST', '/me/reviews', { token, body: { weekStart: mondayBefore(1) } }), 202);
  const overQuota = await api('POST', '/me/reviews', { token, body: { weekStart: mondayBefore(2) } });
  expect(overQuota.status).toBe(429);
  expect(Number(overQuota.headers.get('retry-after'))).toBeGreaterThan(6 * 86_400);
  expect(overQuota.body).toMatchObject({
    code: 'resource_exhausted',
    errors: { plan: 'free', limit: '1', upgrade: 'pro' },
  });

  const checkout = await expectStatus(
    api('POST', '/me/subscription/checkout', { token, body: { plan: 'pro' } }),
    201,
  );
  expect(String(checkout.body.url)).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  const correlationId = checkout.headers.get('x-correlation-id') ?? '';
  expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);

  // The card is entered on Stripe's page; Stripe then sends the webhooks, carrying the metadata
  // billing set on the session and the subscription (the checkout's correlation id and plan).
  const owner = new pg.Pool({ connectionString: billing.db.migratorUrl, max: 1 });
  const { rows } = await owner.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [userId],
  );
  await owner.end();
  const customer = rows[0]?.stripe_customer_id ?? '';
  expect(customer).toMatch(/^cus_/);
  const stripe = stripeClient(billing.stripeMockUrl, STRIPE_MOCK_KEY);
  const subscription = stripeId('sub');
  const now = Math.floor(Date.now() / 1000);
  const metadata = { user_id: userId, plan: 'pro', correlation_id: correlationId };
  const subscriptionAs = async (status: 'incomplete' | 'active') =>
    subscriptionObject(stripe, {
      id: subscription,
      customer,
      price: 'price_PlatformPro',
      status,
      created: now,
      metadata,
    });
  const events = [
    stripeEvent('customer.subscription.created', await subscriptionAs('incomplete'), now),
    stripeEvent(
      'checkout.session.completed',
      await checkoutSessionObject(stripe, { customer, subscription, userId, plan: 'pro', correlationId }),
      now,
    ),
    stripeEvent('customer.subscription.updated', await subscriptionAs('active'), now),
  ];
  for (const event of events) {
    const response = await deliver(stripe, billing.webhookUrl, event, { secret: billing.webhookSecret });
    expect(response.status).toBe(200);
  }

  // billing.plan.changed reaches auth over Kafka: the same session is now refused on a
  // privileged call until its account enrols a second factor.
  const denied = await waitFor(
    async () => {
      const response = await api('GET', '/me/meals', { token });
      return response.status === 403 ? response : undefined;
    },
    { what: 'auth to demand MFA for the pro account' },
  );
  expect(denied.body).toMatchObject({ code: 'mfa_required', errors: { next: 'enrol_totp' } });
  // Enrolling is still open to it; with the second factor, the account is back in business, on pro.
  await enrolTotp(token);
  await expectStatus(api('GET', '/me/meals', { token }), 200);
  const after = await expectStatus(api('GET', '/me/subscription', { token }), 200);
  expect(after.body).toMatchObject({ plan: 'pro', subscribedPlan: 'pro', status: 'active', notice: null });
  // On pro, the review free refused is granted.
  await expectStatus(api('POST', '/me/reviews', { token, body: { weekStart: mondayBefore(2) } }), 202);

  // Every step, from the checkout request to auth applying the plan, under the one correlation id.
  const admin = await firstAdmin();
  const steps = [
    'billing.checkout.started',
    'billing.subscription.incomplete',
    'billing.subscription.active',
    'billing.plan.changed',
    'auth.user.plan_changed',
  ];
  const entries = await waitFor(
    async () => {
      const page = await api('GET', `/admin/audit/entries?correlationId=${correlationId}`, {
        token: admin.token,
      });
      const found = (page.body.entries ?? []) as { action: string }[];
      return steps.every((step) => found.some((entry) => entry.action === step)) ? found : undefined;
    },
    { what: 'the audit entries of every step' },
  );
  expect(entries.map((entry) => entry.action).sort()).toEqual([...steps].sort());
  expect(entries).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        action: 'billing.plan.changed',
        actor: expect.objectContaining({ service: 'billing' }) as unknown,
        subject: { type: 'user', id: userId },
        correlationId,
      }),
      expect.objectContaining({ action: 'auth.user.plan_changed', subject: { type: 'user', id: userId } }),
    ]),
  );
});

test('a forged webhook changes nothing, end to end', async () => {
  const billing = billingOf(platform);
  const { email, userId } = await register();
  const token = await login(email);
  await expectStatus(api('POST', '/me/subscription/checkout', { token, body: { plan: 'pro' } }), 201);
  const stripe = stripeClient(billing.stripeMockUrl, STRIPE_MOCK_KEY);
  const forged = stripeEvent(
    'checkout.session.completed',
    await checkoutSessionObject(stripe, {
      customer: stripeId('cus'),
      subscription: stripeId('sub'),
      userId,
      plan: 'pro',
    }),
    Math.floor(Date.now() / 1000),
  );
  const sent = new Date(Date.now() - 1000).toISOString();
  const response = await deliver(stripe, billing.webhookUrl, forged, { secret: `whsec_${'0'.repeat(48)}` });
  expect(response.status).toBe(400);
  const after = await expectStatus(api('GET', '/me/subscription', { token }), 200);
  expect(after.body).toMatchObject({ plan: 'free' });
  await expectStatus(api('GET', '/me/meals', { token }), 200);
  // The refusal reaches the audit log, anonymous, with its reason and the address it came from.
  const admin = await firstAdmin();
  const entries = await waitFor(
    async () => {
      const page = await api(
        'GET',
        `/admin/audit/entries?action=billing.webhook.rejected&from=${encodeURIComponent(sent)}`,
        { token: admin.token },
      );
      const found = (page.body.entries ?? []) as Record<string, unknown>[];
      return found.length > 0 ? found : undefined;
    },
    { what: 'the webhook rejection in the audit log' },
  );
  expect(entries).toEqual([
    expect.objectContaining({
      actor: { service: 'billing', userId: null, role: null },
      subject: { type: 'stripe_webhook', id: 'signature_mismatch' },
      outcome: 'denied',
      sourceIp: '127.0.0.1',
    }),
  ]);
});

test('billing routes need a session, and admins have no plan to buy', async () => {
  await expectStatus(api('GET', '/me/subscription'), 401);
  const admin = await firstAdmin();
  await expectStatus(
    api('POST', '/me/subscription/checkout', { token: admin.token, body: { plan: 'pro' } }),
    403,
  );
});
