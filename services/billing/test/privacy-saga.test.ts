import { randomUUID } from 'node:crypto';

import { exportPartPrefix, PRIVACY_EVENT_TYPES, PRIVACY_TOPICS } from '@tracking/contracts';
import {
  createKafka,
  createLogger,
  createProducer,
  envelopeMessage,
  newEvent,
  type Producer,
} from '@tracking/kit';
import { infraEnv, waitFor } from '@tracking/testing';

import { startBilling, stripeId, type BillingFixture } from './support';

// The running billing service takes part in the privacy sagas: it answers the coordinator's
// requests on privacy.step.v1 through its outbox (the kit runtime, wired in main.ts).
let billing: BillingFixture | undefined;
let producer: Producer | undefined;

function fixture(): BillingFixture {
  if (!billing) throw new Error('billing did not start');
  return billing;
}

beforeAll(async () => {
  billing = await startBilling();
  const connecting = createProducer(
    createKafka({
      clientId: 'billing-privacy-test',
      ...infraEnv().kafka,
      log: createLogger({ service: 'test', level: 'silent' }),
    }),
  );
  await connecting.connect();
  producer = connecting;
}, 90_000);

afterAll(async () => {
  await billing?.stop();
  await producer?.disconnect();
}, 60_000);

async function request(
  type: string,
  data: { requestId: string; subjectId: string } & Record<string, unknown>,
) {
  const event = newEvent({ type, actor: { service: 'privacy', userId: null, role: null }, data });
  await producer?.send({
    topic: fixture().topicPrefix + PRIVACY_TOPICS.request,
    acks: -1,
    messages: [envelopeMessage(event, data.subjectId)],
  });
}

async function answerTo(requestId: string) {
  return waitFor(
    async () => {
      const { rows } = await fixture().owner.query<{ type: string; data: Record<string, unknown> }>(
        `SELECT payload->>'type' AS type, payload->'data' AS data FROM outbox
        WHERE topic = $1 AND message_key = $2`,
        [PRIVACY_TOPICS.step, requestId],
      );
      return rows[0];
    },
    { timeoutMs: 30_000 },
  );
}

async function payingCustomer(): Promise<string> {
  const userId = randomUUID();
  await fixture().owner.query('INSERT INTO customer (user_id, stripe_customer_id) VALUES ($1, $2)', [
    userId,
    stripeId('cus'),
  ]);
  await fixture().owner.query(
    `INSERT INTO subscription (user_id, stripe_subscription_id, subscribed_plan, plan, status)
     VALUES ($1, $2, 'pro', 'pro', 'active')`,
    [userId, stripeId('sub')],
  );
  return userId;
}

test('an export request is answered with billing.json, written encrypted under the request prefix', async () => {
  const subjectId = await payingCustomer();
  const requestId = randomUUID();
  await request(PRIVACY_EVENT_TYPES.exportRequested, {
    requestId,
    subjectId,
    requestedAt: new Date().toISOString(),
    partPrefix: exportPartPrefix(requestId),
  });
  const answer = await answerTo(requestId);
  expect(answer).toEqual({
    type: PRIVACY_EVENT_TYPES.stepCompleted,
    data: expect.objectContaining({
      requestId,
      kind: 'export',
      service: 'billing',
      counts: { customer: 1, subscription: 1 },
      files: [
        expect.objectContaining({
          name: 'billing.json',
          key: `${exportPartPrefix(requestId)}billing/billing.json.age`,
        }),
      ],
    }) as unknown,
  });
}, 60_000);

test('an erasure in phase 1 deletes the customer at Stripe and here, and says so; phase 2 is not billing’s', async () => {
  const subjectId = await payingCustomer();
  const requestId = randomUUID();
  await request(PRIVACY_EVENT_TYPES.erasureRequested, {
    requestId,
    subjectId,
    phase: 1,
    erasingSince: new Date().toISOString(),
  });
  const answer = await answerTo(requestId);
  expect(answer).toEqual({
    type: PRIVACY_EVENT_TYPES.stepCompleted,
    data: expect.objectContaining({
      requestId,
      kind: 'erasure',
      phase: 1,
      counts: expect.objectContaining({
        customer: 1,
        subscription: 1,
        stripe_customer_deleted: 1,
      }) as unknown,
    }) as unknown,
  });
  const { rows } = await fixture().owner.query('SELECT 1 FROM customer WHERE user_id = $1', [subjectId]);
  expect(rows).toEqual([]);

  // Phase 2 is auth's alone: billing records it and answers nothing.
  const later = randomUUID();
  const other = await payingCustomer();
  await request(PRIVACY_EVENT_TYPES.erasureRequested, {
    requestId: later,
    subjectId: other,
    phase: 2,
    erasingSince: new Date().toISOString(),
  });
  await waitFor(
    async () => {
      const metrics = await (await fetch(`${fixture().opsUrl}/metrics`)).text();
      return (
        /privacy_participant_steps_total\{kind="erasure",outcome="skipped"\} 1/.test(metrics) || undefined
      );
    },
    { timeoutMs: 30_000 },
  );
  const { rows: kept } = await fixture().owner.query('SELECT 1 FROM customer WHERE user_id = $1', [other]);
  expect(kept).toHaveLength(1);
}, 60_000);
