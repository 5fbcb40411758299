import path from 'node:path';

import { createPool, runWithContext } from '@tracking/kit';
import { createTestDatabase, waitFor, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import { rejectionAudit } from '../src/rejections';

let db: TestDatabase;
let app: pg.Pool;
let owner: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase(path.resolve(__dirname, '..', 'migrations'));
  app = createPool(db.appUrl, { max: 2, name: 'billing-test' });
  owner = createPool(db.migratorUrl, { max: 1, name: 'billing-test-owner' });
}, 60_000);

afterAll(async () => {
  await app.end();
  await owner.end();
  await db.drop();
});

interface Entry {
  correlationId: string;
  actor: Record<string, unknown>;
  data: { action: string; subject: { type: string; id: string }; outcome: string; sourceIp: string | null };
}

/** The audit events in billing's outbox, oldest first, as the relay would publish them. */
async function auditEntries(): Promise<Entry[]> {
  const { rows } = await owner.query<{ payload: Entry }>(
    `SELECT payload FROM outbox WHERE topic = 'audit.events.v1' ORDER BY id`,
  );
  return rows.map((row) => row.payload);
}

function fixture(perMinute: number) {
  let now = 1_000_000;
  const unrecorded = { count: 0, inc: () => void (unrecorded.count += 1) };
  const errors: object[] = [];
  const audit = rejectionAudit({
    pool: app,
    log: { error: (fields: object) => void errors.push(fields) },
    unrecorded,
    perMinute,
    clock: () => now,
  });
  const reject = (reason: string, index: number) =>
    runWithContext(
      {
        correlationId: `forged-${String(index).padStart(4, '0')}`,
        clientIp: '203.0.113.9',
        userAgent: 'curl/8',
      },
      () => audit.record(reason),
    );
  return { audit, unrecorded, errors, reject, advance: (ms: number) => void (now += ms) };
}

beforeEach(async () => {
  await owner.query('DELETE FROM outbox');
});

test('a refused delivery is an anonymous audit entry with the reason, the source address and its correlation id', async () => {
  const { reject, errors } = fixture(30);
  await reject('signature_mismatch', 1);
  expect(await auditEntries()).toEqual([
    expect.objectContaining({
      correlationId: 'forged-0001',
      actor: { service: 'billing', userId: null, role: null },
      data: {
        action: 'billing.webhook.rejected',
        subject: { type: 'stripe_webhook', id: 'signature_mismatch' },
        outcome: 'denied',
        sourceIp: '203.0.113.9',
        userAgent: 'curl/8',
      },
    }),
  ]);
  expect(errors).toEqual([]);
});

test('a flood of forged deliveries records at most the limit a minute, counts the rest, and leaves one summary', async () => {
  const { reject, unrecorded, advance } = fixture(3);
  for (let i = 0; i < 10; i += 1) await reject('signature_mismatch', i);
  expect((await auditEntries()).map((entry) => entry.data.action)).toEqual(
    Array<string>(3).fill('billing.webhook.rejected'),
  );
  expect(unrecorded.count).toBe(7);
  // The minute ends (its timer, or the next delivery after it): one entry says how many were left out.
  advance(60_000);
  await reject('stale_timestamp', 99);
  const entries = await auditEntries();
  expect(entries.map((entry) => [entry.data.action, entry.data.subject])).toEqual([
    ...Array<unknown>(3).fill([
      'billing.webhook.rejected',
      { type: 'stripe_webhook', id: 'signature_mismatch' },
    ]),
    ['billing.webhook.rejections_unrecorded', { type: 'stripe_webhook', id: '7' }],
    ['billing.webhook.rejected', { type: 'stripe_webhook', id: 'stale_timestamp' }],
  ]);
  // The summary is the limit's own entry, under a correlation id of its own and from no address.
  const summary = entries[3];
  expect(summary?.data.sourceIp).toBeNull();
  expect(summary?.correlationId).not.toMatch(/^forged-/);
});

test('a minute that left rejections out is summarised when it ends, without waiting for another delivery', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  try {
    const { reject, audit } = fixture(1);
    await reject('signature_mismatch', 1);
    await reject('signature_mismatch', 2);
    await reject('signature_mismatch', 3);
    jest.advanceTimersByTime(60_000);
    jest.useRealTimers();
    await waitFor(async () => ((await auditEntries()).length === 2 ? true : undefined), {
      what: 'the summary entry',
    });
    expect((await auditEntries())[1]?.data).toMatchObject({
      action: 'billing.webhook.rejections_unrecorded',
      subject: { type: 'stripe_webhook', id: '2' },
    });
    // Nothing is left to summarise at shutdown.
    await audit.flush();
    expect(await auditEntries()).toHaveLength(2);
  } finally {
    jest.useRealTimers();
  }
});
