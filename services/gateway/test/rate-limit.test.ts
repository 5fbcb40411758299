import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { createLogger, createPool } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';
import { Registry } from 'prom-client';

import { accountKey, AUTH_BUDGET_OPERATIONS, createRateLimits, credentialKey } from '../src/edge/rate-limit';
import { apiRoutes } from '../src/routes';

/**
 * The budgets live in PostgreSQL, so every gateway replica spends from the same one: two
 * limiters here stand for two replicas on one database, as the gateway's runtime role.
 */
describe('rate limits shared by every gateway replica', () => {
  let db: TestDatabase;
  const pools: pg.Pool[] = [];
  const log = createLogger({ service: 'test', level: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await db.drop();
  });

  function replica(registry = new Registry()) {
    const pool = createPool(db.appUrl, { max: 2 });
    pools.push(pool);
    const limits = createRateLimits(
      pool,
      { ipPerMinute: 5, authPerMinute: 3, accountPerMinute: 4 },
      { log, registry },
    );
    return { limits, registry };
  }

  test('what one replica spent, the other cannot spend again; the refusal says when to retry and is counted', async () => {
    const first = replica();
    const second = replica();
    const ip = '203.0.113.77';
    await first.limits.consume('auth', ip, '/api/v1/auth/login');
    await first.limits.consume('auth', ip, '/api/v1/auth/login');
    await second.limits.consume('auth', ip, '/api/v1/auth/login');
    await expect(second.limits.consume('auth', ip, '/api/v1/auth/login')).rejects.toMatchObject({
      code: 'resource_exhausted',
      details: { retryAfterSeconds: expect.stringMatching(/^[1-9][0-9]?$/) as string },
    });
    const counted = await second.registry.getSingleMetric('gateway_rate_limited_total')?.get();
    expect(counted?.values).toEqual([{ value: 1, labels: { route: '/api/v1/auth/login', budget: 'auth' } }]);
  });

  test('budgets are separate per key and per kind', async () => {
    const { limits } = replica();
    for (let i = 0; i < 3; i += 1) await limits.consume('auth', '198.51.100.1', '/api/v1/auth/login');
    await expect(limits.consume('auth', '198.51.100.1', '/x')).rejects.toMatchObject({
      code: 'resource_exhausted',
    });
    // Another address, and the same address on the general budget, are unaffected.
    await limits.consume('auth', '198.51.100.2', '/api/v1/auth/login');
    await limits.consume('ip', '198.51.100.1', '/api/v1/me/meals');
  });

  test('an IPv6 client counts per /64: rotating through its own network buys no fresh budget (#20)', async () => {
    const { limits } = replica();
    for (let i = 1; i <= 3; i += 1) await limits.consume('auth', `2001:db8:1:2::${i}`, '/api/v1/auth/login');
    await expect(limits.consume('auth', '2001:db8:1:2:ffff::4', '/api/v1/auth/login')).rejects.toMatchObject({
      code: 'resource_exhausted',
    });
    for (let i = 1; i <= 5; i += 1) await limits.consume('ip', `2001:db8:1:2::a:${i}`, '/api/v1/me/meals');
    await expect(limits.consume('ip', '2001:db8:1:2::b:1', '/api/v1/me/meals')).rejects.toMatchObject({
      code: 'resource_exhausted',
    });
    // The next /64 is another visitor.
    await limits.consume('auth', '2001:db8:1:3::1', '/api/v1/auth/login');
  });

  test('the account budget is kept under a digest: no row names the user id or the session token (#22)', async () => {
    const { limits } = replica();
    const userId = randomUUID();
    const token = 'a-session-token-that-must-never-be-stored';
    for (let i = 0; i < 4; i += 1) await limits.consume('account', accountKey(userId), 'tracking.own');
    await expect(limits.consume('account', accountKey(userId), 'tracking.own')).rejects.toMatchObject({
      code: 'resource_exhausted',
    });
    await limits.consume('account', credentialKey(token), '/api/v1/me');
    // Another account has its own budget.
    await limits.consume('account', accountKey(randomUUID()), 'tracking.own');

    const owner = createPool(db.migratorUrl, { max: 1 });
    pools.push(owner);
    const { rows } = await owner.query<{ key: string }>('SELECT key FROM rate_limit ORDER BY key');
    expect(rows.map((row) => row.key)).toEqual(
      expect.arrayContaining([`account:${accountKey(userId)}`, `account:${credentialKey(token)}`]),
    );
    for (const { key } of rows) {
      expect(key).not.toContain(userId);
      expect(key).not.toContain(userId.replace(/-/g, ''));
      expect(key).not.toContain(token);
    }
  });
});

describe('which routes spend the strict auth budget', () => {
  test('every guarded operation exists, and reading or ending one’s own session is not guarded', () => {
    const operations = new Set(apiRoutes.map((route) => route.operationId));
    expect([...AUTH_BUDGET_OPERATIONS].filter((operationId) => !operations.has(operationId))).toEqual([]);
    expect(AUTH_BUDGET_OPERATIONS.has('getSession')).toBe(false);
    expect(AUTH_BUDGET_OPERATIONS.has('logout')).toBe(false);
  });
});
