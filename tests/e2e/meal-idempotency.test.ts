import { randomUUID } from 'node:crypto';

import { startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts } from './accounts';

/**
 * A client on a bad connection sends "log this meal" again with the same Idempotency-Key, and
 * the platform logs it once (docs/tracking.md): through the real gateway, tracking service and
 * database, as the web app's outbox does after a lost answer.
 */
describe('a retried meal through the public API', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, expectStatus, verifiedClient } = accounts(setup);

  beforeAll(async () => {
    platform = await startPlatform({ ai: false });
  }, 120_000);

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  const meal = (description: string) => ({
    eatenAt: new Date(Date.now() - 600_000).toISOString(),
    mealType: 'dinner',
    description,
  });

  test('the same Idempotency-Key twice answers with one meal; a new key logs a second', async () => {
    const client = await verifiedClient();
    const key = randomUUID();
    const body = meal('fish and chips');
    const send = (idempotencyKey: string) =>
      api('POST', '/me/meals', { token: client.token, body, headers: { 'Idempotency-Key': idempotencyKey } });

    const first = await expectStatus(send(key), 201);
    const retry = await expectStatus(send(key), 201);
    expect(retry.body.mealId).toBe(first.body.mealId);
    const listed = await expectStatus(api('GET', '/me/meals', { token: client.token }), 200);
    expect((listed.body.items as unknown[]).length).toBe(1);

    await expectStatus(send(randomUUID()), 201);
    const again = await expectStatus(api('GET', '/me/meals', { token: client.token }), 200);
    expect((again.body.items as unknown[]).length).toBe(2);
  });

  test('the same key with another meal is a 409 naming the header, and logs nothing', async () => {
    const client = await verifiedClient();
    const key = randomUUID();
    const headers = { 'Idempotency-Key': key };
    await expectStatus(
      api('POST', '/me/meals', { token: client.token, body: meal('a salad'), headers }),
      201,
    );
    const refused = await expectStatus(
      api('POST', '/me/meals', { token: client.token, body: meal('a pie'), headers }),
      409,
    );
    expect(refused.body).toMatchObject({
      code: 'already_exists',
      errors: { 'Idempotency-Key': 'was used for a different meal; send a new key for a new meal' },
    });
    const listed = await expectStatus(api('GET', '/me/meals', { token: client.token }), 200);
    expect((listed.body.items as { description: string }[]).map((item) => item.description)).toEqual([
      'a salad',
    ]);
  });

  test('one client’s key is not another’s: the same key logs each their own meal', async () => {
    const [alice, bob] = await Promise.all([verifiedClient(), verifiedClient()]);
    const headers = { 'Idempotency-Key': 'breakfast-monday' };
    const mine = await expectStatus(
      api('POST', '/me/meals', { token: alice.token, body: meal('porridge'), headers }),
      201,
    );
    const theirs = await expectStatus(
      api('POST', '/me/meals', { token: bob.token, body: meal('porridge'), headers }),
      201,
    );
    expect(theirs.body.mealId).not.toBe(mine.body.mealId);
  });
});
