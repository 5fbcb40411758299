import { randomUUID } from 'node:crypto';

import { callUnary } from '@tracking/kit';
import { waitFor } from '@tracking/testing';

import {
  checkoutSessionObject,
  invoiceObject,
  PRICE_PRO,
  PRICE_TEAM,
  startBilling,
  stripeEvent,
  stripeId,
  subscriptionObject,
  type BillingFixture,
} from './support';

let billing: BillingFixture;

beforeAll(async () => {
  // Its test plays the edge from loopback, as the local stack's edge does.
  billing = await startBilling({ TRUSTED_PROXIES: '127.0.0.1,::1' });
}, 90_000);

afterAll(async () => {
  await billing.stop();
});

const now = () => Math.floor(Date.now() / 1000);

/** A user who has started a checkout: billing created their Stripe customer. */
async function customerFor(role: 'client' | 'trainer' = 'client') {
  const userId = randomUUID();
  const page = await callUnary(
    billing.client.createCheckoutSession.bind(billing.client),
    { plan: 'pro' },
    await billing.principal(userId, role),
  );
  const { rows } = await billing.owner.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [userId],
  );
  const customer = rows[0]?.stripe_customer_id;
  if (!customer) throw new Error('no customer recorded');
  return { userId, customer, checkoutUrl: page.url };
}

async function stateOf(userId: string) {
  const { rows } = await billing.owner.query<{
    plan: string;
    subscribed_plan: string;
    status: string;
    stripe_subscription_id: string | null;
    cancel_at_period_end: boolean;
    grace_ends_at: Date | null;
  }>(
    `SELECT plan, subscribed_plan, status, stripe_subscription_id, cancel_at_period_end, grace_ends_at
       FROM subscription WHERE user_id = $1`,
    [userId],
  );
  return rows[0];
}

async function planEvents(userId: string) {
  const { rows } = await billing.owner.query<{ payload: { type: string; data: Record<string, unknown> } }>(
    `SELECT payload FROM outbox WHERE topic = 'billing.plan.v1' AND message_key = $1 ORDER BY id`,
    [userId],
  );
  return rows.map((row) => row.payload.data);
}

/** The mail billing asked for about a user (notification.requested in its outbox), oldest first. */
async function mailsTo(userId: string) {
  const { rows } = await billing.owner.query<{ data: { template: string; params: Record<string, unknown> } }>(
    `SELECT payload->'data' AS data FROM outbox WHERE topic = 'notifications.requested.v1' AND message_key = $1
      ORDER BY id`,
    [userId],
  );
  return rows.map((row): Record<string, unknown> => ({ template: row.data.template, ...row.data.params }));
}

async function webhookRows() {
  const { rows } = await billing.owner.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM webhook_event',
  );
  return rows[0]?.count;
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${billing.opsUrl}/metrics`)).text();
  const series = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((entry) => entry.startsWith(series));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

describe('checkout and the webhooks that follow it', () => {
  test('a checkout session is created at Stripe with the plan, the user and nothing about a card', async () => {
    const { checkoutUrl } = await customerFor();
    expect(checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  });

  test('checkout.session.completed and the subscription events make the user pro, announced once', async () => {
    const { userId, customer } = await customerFor();
    const subscription = stripeId('sub');
    const created = now() - 5;
    const session = await checkoutSessionObject(billing.stripe, {
      customer,
      subscription,
      userId,
      plan: 'pro',
    });
    const first = await billing.deliver(stripeEvent('checkout.session.completed', session, created));
    expect(first).toEqual({ status: 200, body: { received: true, outcome: 'processed' } });
    const active = await subscriptionObject(billing.stripe, {
      id: subscription,
      customer,
      price: PRICE_PRO,
      status: 'active',
      created,
    });
    const second = await billing.deliver(stripeEvent('customer.subscription.created', active, created));
    expect(second.status).toBe(200);
    expect(await stateOf(userId)).toMatchObject({
      plan: 'pro',
      subscribed_plan: 'pro',
      status: 'active',
      stripe_subscription_id: subscription,
    });
    expect(await planEvents(userId)).toEqual([
      expect.objectContaining({ userId, oldPlan: 'free', newPlan: 'pro', reason: 'subscribed' }),
    ]);
    const page = await callUnary(
      billing.client.getSubscription.bind(billing.client),
      {},
      await billing.principal(userId),
    );
    expect(page.subscription).toMatchObject({ plan: 'pro', status: 'active', notice: '' });
    expect(page.subscription?.limits?.aiReviewsPerWeek).toBe(7);
  });

  test('a second checkout while paying is refused: plans change in the portal', async () => {
    const { userId, customer } = await customerFor();
    const subscription = stripeId('sub');
    const active = await subscriptionObject(billing.stripe, {
      id: subscription,
      customer,
      price: PRICE_PRO,
      status: 'active',
      created: now(),
    });
    await billing.deliver(stripeEvent('customer.subscription.created', active, now()));
    await expect(
      callUnary(
        billing.client.createCheckoutSession.bind(billing.client),
        { plan: 'pro' },
        await billing.principal(userId),
      ),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    const portal = await callUnary(
      billing.client.createPortalSession.bind(billing.client),
      {},
      await billing.principal(userId),
    );
    expect(portal.url).toMatch(/^https:\/\//);
  });

  test('the team plan is for trainers', async () => {
    await expect(
      callUnary(
        billing.client.createCheckoutSession.bind(billing.client),
        { plan: 'team' },
        await billing.principal(randomUUID(), 'client'),
      ),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      callUnary(
        billing.client.createCheckoutSession.bind(billing.client),
        { plan: 'gold' },
        await billing.principal(randomUUID(), 'trainer'),
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

async function auditActions(userId: string) {
  const { rows } = await billing.owner.query<{ action: string }>(
    `SELECT payload->'data'->>'action' AS action FROM outbox
      WHERE topic = 'audit.events.v1' AND message_key = $1 ORDER BY id`,
    [userId],
  );
  return rows.map((row) => row.action);
}

describe('one open checkout and one live subscription per user (#20)', () => {
  test('a second checkout before paying resumes the open one, also when both start at once', async () => {
    const userId = randomUUID();
    const start = async (plan: 'pro' | 'team') =>
      callUnary(
        billing.client.createCheckoutSession.bind(billing.client),
        { plan },
        await billing.principal(userId, 'trainer'),
      );
    const first = await start('pro');
    const [second, third] = await Promise.all([start('pro'), start('pro')]);
    expect([second.url, third.url]).toEqual([first.url, first.url]);
    expect(await auditActions(userId)).toEqual([
      'billing.checkout.started',
      'billing.checkout.resumed',
      'billing.checkout.resumed',
    ]);
    // Another plan: the open page is expired at Stripe before the new one is made.
    await start('team');
    expect((await auditActions(userId)).at(-1)).toBe('billing.checkout.started');
    const expired = (await billing.logLines()).filter(
      (line) => line.event === 'billing.checkout.expired' && typeof line.checkoutSessionId === 'string',
    );
    expect(expired.length).toBeGreaterThanOrEqual(1);
  });

  test('events of a second subscription do not change the plan, and are audited and counted', async () => {
    const { userId, customer } = await customerFor('trainer');
    const current = stripeId('sub');
    const created = now() - 10;
    await billing.deliver(
      stripeEvent(
        'customer.subscription.created',
        await subscriptionObject(billing.stripe, {
          id: current,
          customer,
          price: PRICE_PRO,
          status: 'active',
          created,
        }),
        created,
      ),
    );
    const before = await metric('billing_subscription_not_current_total', '');
    const other = await subscriptionObject(billing.stripe, {
      id: stripeId('sub'),
      customer,
      price: PRICE_TEAM,
      status: 'active',
      created: created + 5,
    });
    const delivery = await billing.deliver(stripeEvent('customer.subscription.created', other, created + 5));
    expect(delivery).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
    expect(await stateOf(userId)).toMatchObject({
      plan: 'pro',
      status: 'active',
      stripe_subscription_id: current,
    });
    expect(await planEvents(userId)).toEqual([expect.objectContaining({ oldPlan: 'free', newPlan: 'pro' })]);
    expect(await auditActions(userId)).toContain('billing.subscription.not_current');
    expect(await metric('billing_subscription_not_current_total', '')).toBe(before + 1);
    // Once the live one has ended, a new subscription is the user's again.
    await billing.deliver(
      stripeEvent(
        'customer.subscription.deleted',
        await subscriptionObject(billing.stripe, {
          id: current,
          customer,
          price: PRICE_PRO,
          status: 'canceled',
          created: created + 20,
        }),
        created + 20,
      ),
    );
    const next = await subscriptionObject(billing.stripe, {
      id: stripeId('sub'),
      customer,
      price: PRICE_TEAM,
      status: 'active',
      created: created + 30,
    });
    await billing.deliver(stripeEvent('customer.subscription.created', next, created + 30));
    expect(await stateOf(userId)).toMatchObject({ plan: 'team', stripe_subscription_id: next.id });
  });
});

describe('deliveries that are not verifiably from Stripe change nothing', () => {
  let userId: string;
  let event: object;

  beforeAll(async () => {
    const customer = await customerFor();
    userId = customer.userId;
    const active = await subscriptionObject(billing.stripe, {
      id: stripeId('sub'),
      customer: customer.customer,
      price: PRICE_PRO,
      status: 'active',
      created: now(),
    });
    event = stripeEvent('customer.subscription.created', active, now());
  });

  const refused = [
    ['signed with another secret (forged)', { secret: `whsec_${'f'.repeat(48)}` }, 'signature_mismatch'],
    [
      'changed by one byte after signing',
      {
        tamper: (body: Buffer) => {
          const copy = Buffer.from(body);
          const at = copy.indexOf('"active"') + 1;
          copy[at] = 'A'.charCodeAt(0);
          return copy;
        },
      },
      'signature_mismatch',
    ],
    ['signed more than 300 s ago', { timestamp: now() - 301 }, 'stale_timestamp'],
  ] as const;

  test.each(refused)('%s: 400, and no state, event id or announcement', async (_name, options, reason) => {
    const rejectedBefore = await metric('billing_webhooks_total', 'type="unverified",outcome="rejected"');
    const rowsBefore = await webhookRows();
    const response = await billing.deliver(event, options);
    expect(response).toEqual({ status: 400, body: { error: 'invalid_signature', reason } });
    expect(await stateOf(userId)).toBeUndefined();
    expect(await planEvents(userId)).toEqual([]);
    expect(await webhookRows()).toBe(rowsBefore);
    expect(await metric('billing_webhooks_total', 'type="unverified",outcome="rejected"')).toBe(
      rejectedBefore + 1,
    );
  });

  test('no signature header at all: 400', async () => {
    const response = await fetch(billing.webhookUrl, { method: 'POST', body: JSON.stringify(event) });
    expect(response.status).toBe(400);
    expect(await stateOf(userId)).toBeUndefined();
  });

  test('the refusals are security events with the reason, and carry no payload', async () => {
    expect(await metric('security_events_total', 'event="billing.webhook.rejected"')).toBeGreaterThanOrEqual(
      4,
    );
    const lines = (await billing.logLines()).filter((line) => line.event === 'billing.webhook.rejected');
    expect(new Set(lines.map((line) => line.reason))).toEqual(
      new Set(['signature_mismatch', 'stale_timestamp', 'malformed_header']),
    );
    expect(lines.every((line) => line.security === true && line.level === 'warn')).toBe(true);
    expect(JSON.stringify(lines)).not.toMatch(/sub_|cus_|whsec_|v1=/);
  });

  test('each refusal is an audit entry: anonymous, with the reason, the address and the correlation id the edge gave it', async () => {
    const correlationId = `edge-${randomUUID()}`;
    const response = await fetch(billing.webhookUrl, {
      method: 'POST',
      headers: {
        'stripe-signature': `t=${String(now())},v1=${'0'.repeat(64)}`,
        'x-forwarded-for': '203.0.113.77',
        'x-correlation-id': correlationId,
        'user-agent': 'forger/1.0',
      },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(400);
    const { rows } = await billing.owner.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM outbox WHERE topic = 'audit.events.v1' AND payload->>'correlationId' = $1`,
      [correlationId],
    );
    expect(rows.map((row) => row.payload)).toEqual([
      expect.objectContaining({
        type: 'audit.recorded',
        actor: { service: 'billing', userId: null, role: null },
        data: {
          action: 'billing.webhook.rejected',
          subject: { type: 'stripe_webhook', id: 'signature_mismatch' },
          outcome: 'denied',
          sourceIp: '203.0.113.77',
          userAgent: 'forger/1.0',
        },
      }),
    ]);
  });

  test('only the webhook path is served', async () => {
    const response = await fetch(billing.webhookUrl.replace('/webhooks/stripe', '/metrics'));
    expect(response.status).toBe(404);
  });
});

describe('exactly once, in Stripe time order', () => {
  test('a replayed event id changes nothing, even after a newer event', async () => {
    const { userId, customer } = await customerFor();
    const id = stripeId('sub');
    const t = now() - 60;
    const active = stripeEvent(
      'customer.subscription.updated',
      await subscriptionObject(billing.stripe, {
        id,
        customer,
        price: PRICE_PRO,
        status: 'active',
        created: t,
      }),
      t,
    );
    const canceled = stripeEvent(
      'customer.subscription.deleted',
      await subscriptionObject(billing.stripe, {
        id,
        customer,
        price: PRICE_PRO,
        status: 'canceled',
        created: t,
      }),
      t + 30,
    );
    expect((await billing.deliver(active)).body.outcome).toBe('processed');
    expect((await billing.deliver(canceled)).body.outcome).toBe('processed');
    // Signed afresh, as a retry or a replay within the tolerance would be.
    expect(await billing.deliver(active)).toEqual({
      status: 200,
      body: { received: true, outcome: 'duplicate' },
    });
    expect(await stateOf(userId)).toMatchObject({ plan: 'free', status: 'canceled' });
    expect((await planEvents(userId)).map((change) => change.newPlan)).toEqual(['pro', 'free']);
  });

  test('out-of-order subscription.updated events end in the newest state', async () => {
    const { userId, customer } = await customerFor();
    const id = stripeId('sub');
    const t = now() - 600;
    const at = async (
      offset: number,
      status: 'active' | 'past_due',
      price: string,
      cancelAtPeriodEnd = false,
    ) =>
      stripeEvent(
        'customer.subscription.updated',
        await subscriptionObject(billing.stripe, {
          id,
          customer,
          price,
          status,
          created: t,
          cancelAtPeriodEnd,
        }),
        t + offset,
      );
    const first = await at(0, 'active', PRICE_PRO);
    const second = await at(100, 'past_due', PRICE_PRO);
    const third = await at(200, 'active', PRICE_TEAM, true);
    for (const event of [third, first, second]) {
      const { body } = await billing.deliver(event);
      expect(body.outcome).toBe(event === third ? 'processed' : 'ignored');
    }
    expect(await stateOf(userId)).toMatchObject({
      plan: 'team',
      subscribed_plan: 'team',
      status: 'active',
      cancel_at_period_end: true,
      grace_ends_at: null,
    });
    expect((await planEvents(userId)).map((change) => change.newPlan)).toEqual(['team']);
  });

  test('within one second, the event further along the lifecycle wins whichever comes first', async () => {
    const { userId, customer } = await customerFor();
    const id = stripeId('sub');
    const t = now() - 30;
    const incomplete = stripeEvent(
      'customer.subscription.created',
      await subscriptionObject(billing.stripe, {
        id,
        customer,
        price: PRICE_PRO,
        status: 'incomplete',
        created: t,
      }),
      t,
    );
    const active = stripeEvent(
      'customer.subscription.updated',
      await subscriptionObject(billing.stripe, {
        id,
        customer,
        price: PRICE_PRO,
        status: 'active',
        created: t,
      }),
      t,
    );
    await billing.deliver(active);
    await billing.deliver(incomplete);
    expect(await stateOf(userId)).toMatchObject({ plan: 'pro', status: 'active' });
  });

  test('a price this deployment does not know is a 500 for Stripe to retry, recording nothing', async () => {
    const { userId, customer } = await customerFor();
    const event = stripeEvent(
      'customer.subscription.created',
      await subscriptionObject(billing.stripe, {
        id: stripeId('sub'),
        customer,
        price: 'price_SomebodyElses',
        status: 'active',
        created: now(),
      }),
      now(),
    );
    expect(await billing.deliver(event)).toEqual({ status: 500, body: { error: 'not_applied' } });
    expect(await stateOf(userId)).toBeUndefined();
    const { rows } = await billing.owner.query('SELECT 1 FROM webhook_event WHERE event_id = $1', [
      (event as { id: string }).id,
    ]);
    expect(rows).toHaveLength(0);
  });

  test('events of customers billing did not create are acknowledged and ignored', async () => {
    const event = stripeEvent(
      'customer.subscription.created',
      await subscriptionObject(billing.stripe, {
        id: stripeId('sub'),
        customer: stripeId('cus'),
        price: PRICE_PRO,
        status: 'active',
        created: now(),
      }),
      now(),
    );
    expect((await billing.deliver(event)).body.outcome).toBe('ignored');
    const other = stripeEvent('charge.succeeded', { object: 'charge', id: stripeId('ch') }, now());
    expect((await billing.deliver(other)).body.outcome).toBe('ignored');
  });
});

describe('dunning', () => {
  test('a failed payment keeps the plan through the grace period and tells the user why', async () => {
    const { userId, customer } = await customerFor();
    const id = stripeId('sub');
    const t = now() - 120;
    await billing.deliver(
      stripeEvent(
        'customer.subscription.created',
        await subscriptionObject(billing.stripe, {
          id,
          customer,
          price: PRICE_PRO,
          status: 'active',
          created: t,
        }),
        t,
      ),
    );
    const failed = await invoiceObject(billing.stripe, { customer, subscription: id, paid: false });
    expect((await billing.deliver(stripeEvent('invoice.payment_failed', failed, t + 60))).body.outcome).toBe(
      'processed',
    );
    const state = await stateOf(userId);
    expect(state).toMatchObject({ plan: 'pro', status: 'past_due' });
    expect(state?.grace_ends_at?.getTime()).toBe((t + 60) * 1000 + 7 * 86_400_000);
    const page = await callUnary(
      billing.client.getSubscription.bind(billing.client),
      {},
      await billing.principal(userId),
    );
    expect(page.subscription?.plan).toBe('pro');
    expect(page.subscription?.notice).toMatch(
      /payment failed.*Update your payment method.*by \d{4}-\d\d-\d\d/,
    );
    // The owner is mailed once, with the date the plan lasts until.
    expect((await mailsTo(userId)).filter((mail) => mail.template !== 'plan_changed')).toEqual([
      {
        template: 'payment_failed',
        plan: 'pro',
        graceUntil: state?.grace_ends_at?.toISOString(),
        billingUrl: 'https://app.tracking.test/billing',
      },
    ]);
  });

  test('after the grace period access drops to free, announced with the reason; a late payment restores it', async () => {
    const { userId, customer } = await customerFor();
    const id = stripeId('sub');
    const eightDaysAgo = now() - 8 * 86_400;
    await billing.deliver(
      stripeEvent(
        'customer.subscription.created',
        await subscriptionObject(billing.stripe, {
          id,
          customer,
          price: PRICE_PRO,
          status: 'active',
          created: eightDaysAgo - 60,
        }),
        eightDaysAgo - 60,
      ),
    );
    const failed = await invoiceObject(billing.stripe, { customer, subscription: id, paid: false });
    await billing.deliver(stripeEvent('invoice.payment_failed', failed, eightDaysAgo));
    // The sweep runs every second in this test (DUNNING_SWEEP_MS).
    await waitFor(async () => (await stateOf(userId))?.plan === 'free', { what: 'the dunning downgrade' });
    expect((await planEvents(userId)).at(-1)).toMatchObject({
      oldPlan: 'pro',
      newPlan: 'free',
      reason: 'payment_failed',
    });
    const page = await callUnary(
      billing.client.getSubscription.bind(billing.client),
      {},
      await billing.principal(userId),
    );
    expect(page.subscription).toMatchObject({ plan: 'free', subscribedPlan: 'pro' });
    expect(page.subscription?.notice).toMatch(/paused because a payment failed/);
    expect(await metric('billing_dunning_downgrades_total', '')).toBeGreaterThanOrEqual(1);
    const paid = await invoiceObject(billing.stripe, { customer, subscription: id, paid: true });
    await billing.deliver(stripeEvent('invoice.paid', paid, now()));
    expect(await stateOf(userId)).toMatchObject({ plan: 'pro', status: 'active', grace_ends_at: null });
    expect((await planEvents(userId)).at(-1)).toMatchObject({ newPlan: 'pro', reason: 'payment_recovered' });
    // Mailed: subscribed, the downgrade (the failure arrived after its grace period had already run
    // out, so there was no "pay by" date to give) and the recovery.
    expect((await mailsTo(userId)).map((mail) => [mail.template, mail.reason ?? ''])).toEqual([
      ['plan_changed', 'subscribed'],
      ['plan_downgraded', ''],
      ['plan_changed', 'payment_recovered'],
    ]);
  });
});

describe('metrics', () => {
  test('subscriptions are counted by plan and status, webhooks by type and outcome', async () => {
    expect(await metric('billing_subscriptions', 'plan="pro",status="active"')).toBeGreaterThanOrEqual(1);
    expect(await metric('billing_subscriptions', 'plan="team",status="trialing"')).toBe(0);
    expect(
      await metric('billing_webhooks_total', 'type="customer.subscription.updated",outcome="processed"'),
    ).toBeGreaterThanOrEqual(1);
    expect(await metric('billing_webhooks_total', 'type="other",outcome="ignored"')).toBeGreaterThanOrEqual(
      1,
    );
  });
});
