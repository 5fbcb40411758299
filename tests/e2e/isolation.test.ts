import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts } from './accounts';

/**
 * The isolation promise through the real API on the real services and database: trainer A,
 * trying every route with trainer B's client and B's rows, and A's client trying B's client's
 * rows, gets 404 (never 403, which would confirm the ids exist), sees none of B's data in any
 * list, and changes nothing. docs/tracking.md; the SQL-level matrix is services/tracking/test/rls.test.ts.
 */

interface Person {
  email: string;
  userId: string;
  token: string;
}

interface Side {
  trainer: Person;
  client: Person;
  linkId: string;
  mealId: string;
  metricId: string;
}

const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const lastMonday = () => {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7) - 7);
  return date.toISOString().slice(0, 10);
};
const today = () => new Date().toISOString().slice(0, 10);

describe('tenant isolation through the public API', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, expectStatus, trainer, verifiedClient, firstAdmin } = accounts(setup);
  let a: Side;
  let b: Side;

  /** A trainer with one linked client who has logged a meal and a metric and has goals, a comment and a review. */
  async function side(): Promise<Side> {
    const coach = await trainer();
    const client = await verifiedClient();
    const invitation = await expectStatus(
      api('POST', '/trainer/invitations', { token: coach.token, body: { email: client.email } }),
      201,
    );
    const linkId = String(invitation.body.linkId);
    await expectStatus(api('POST', `/me/trainer-links/${linkId}/accept`, { token: client.token }), 200);
    const meal = await expectStatus(
      api('POST', '/me/meals', {
        token: client.token,
        body: { eatenAt: hourAgo(), mealType: 'lunch', description: 'private lunch' },
      }),
      201,
    );
    const metric = await expectStatus(
      api('POST', '/me/metrics', { token: client.token, body: { recordedAt: hourAgo(), weightKg: 71.2 } }),
      201,
    );
    const base = `/trainer/clients/${client.userId}`;
    await expectStatus(
      api('PUT', `${base}/goals`, {
        token: coach.token,
        body: { version: 0, calories: 2100, proteinG: 120, carbsG: 220, fatG: 70 },
      }),
      200,
    );
    await expectStatus(
      api('POST', `${base}/comments`, { token: coach.token, body: { body: 'Good week' } }),
      201,
    );
    await expectStatus(
      api('POST', `${base}/reviews`, { token: coach.token, body: { weekStart: lastMonday() } }),
      202,
    );
    return {
      trainer: coach,
      client,
      linkId,
      mealId: String(meal.body.mealId),
      metricId: String(metric.body.metricId),
    };
  }

  beforeAll(async () => {
    // No AI service: its estimates and reviews would change B's rows while the attacks run,
    // and the before-and-after comparison must see only what the attacks could have done.
    platform = await startPlatform({ ai: false });
    [a, b] = await Promise.all([side(), side()]);
  }, 120_000);

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  /** What B's client's data looks like to B's client: compared before and after the attack. */
  async function snapshotOf(side: Side) {
    const token = side.client.token;
    const [meal, metric, goals, comments, reviews, links] = await Promise.all([
      api('GET', `/me/meals/${side.mealId}`, { token }),
      api('GET', `/me/metrics/${side.metricId}`, { token }),
      api('GET', '/me/goals', { token }),
      api('GET', '/me/comments', { token }),
      api('GET', '/me/reviews', { token }),
      api('GET', '/me/trainer-links', { token }),
    ]);
    return [meal, metric, goals, comments, reviews, links].map((response) => ({
      status: response.status,
      body: response.body,
    }));
  }

  /**
   * Every route that takes a client id or a row id, as [operationId, method, path, body]: A's
   * trainer token against B's client and rows, or A's client token against B's client's rows.
   */
  function attacks(): [string, string, string, 'trainer' | 'client' | 'admin', unknown?][] {
    const bClient = `/trainer/clients/${b.client.userId}`;
    const aClient = `/trainer/clients/${a.client.userId}`;
    const meal = { eatenAt: hourAgo(), mealType: 'dinner', description: 'hijacked', version: 1 };
    return [
      ['listClientMeals', 'GET', `${bClient}/meals`, 'trainer'],
      ['getClientMeal', 'GET', `${bClient}/meals/${b.mealId}`, 'trainer'],
      ['getClientMeal', 'GET', `${aClient}/meals/${b.mealId}`, 'trainer'],
      ['retryClientMealEstimate', 'POST', `${bClient}/meals/${b.mealId}/estimate`, 'trainer'],
      ['retryClientMealEstimate', 'POST', `${aClient}/meals/${b.mealId}/estimate`, 'trainer'],
      ['listClientMetrics', 'GET', `${bClient}/metrics`, 'trainer'],
      ['getClientMetric', 'GET', `${bClient}/metrics/${b.metricId}`, 'trainer'],
      ['getClientMetric', 'GET', `${aClient}/metrics/${b.metricId}`, 'trainer'],
      ['getClientDailySummary', 'GET', `${bClient}/summary?date=${today()}`, 'trainer'],
      ['getClientGoals', 'GET', `${bClient}/goals`, 'trainer'],
      [
        'setClientGoals',
        'PUT',
        `${bClient}/goals`,
        'trainer',
        { version: 1, calories: 1, proteinG: 1, carbsG: 1, fatG: 1 },
      ],
      ['addClientComment', 'POST', `${bClient}/comments`, 'trainer', { body: 'I can see you' }],
      ['addClientComment', 'POST', `${aClient}/comments`, 'trainer', { body: 'x', mealId: b.mealId }],
      ['listClientComments', 'GET', `${bClient}/comments`, 'trainer'],
      ['requestClientReview', 'POST', `${bClient}/reviews`, 'trainer', { weekStart: lastMonday() }],
      ['listClientReviews', 'GET', `${bClient}/reviews`, 'trainer'],
      ['endTrainerLink', 'POST', `/trainer/links/${b.linkId}/end`, 'trainer'],
      ['getMyMeal', 'GET', `/me/meals/${b.mealId}`, 'client'],
      ['updateMyMeal', 'PUT', `/me/meals/${b.mealId}`, 'client', meal],
      ['deleteMyMeal', 'DELETE', `/me/meals/${b.mealId}?version=1`, 'client'],
      ['retryMyMealEstimate', 'POST', `/me/meals/${b.mealId}/estimate`, 'client'],
      ['getMyMetric', 'GET', `/me/metrics/${b.metricId}`, 'client'],
      [
        'updateMyMetric',
        'PUT',
        `/me/metrics/${b.metricId}`,
        'client',
        { recordedAt: hourAgo(), steps: 1, version: 1 },
      ],
      ['deleteMyMetric', 'DELETE', `/me/metrics/${b.metricId}?version=1`, 'client'],
      ['acceptTrainerInvitation', 'POST', `/me/trainer-links/${b.linkId}/accept`, 'client'],
      ['endMyTrainerLink', 'POST', `/me/trainer-links/${b.linkId}/end`, 'client'],
      ['listClientMealsForSupport', 'GET', `/admin/clients/${b.client.userId}/meals`, 'admin'],
    ];
  }

  test('every route that names a client or a row is in the matrix', () => {
    const document = JSON.parse(
      readFileSync(path.join(__dirname, '..', '..', 'services', 'gateway', 'openapi.json'), 'utf8'),
    ) as { paths: Record<string, Record<string, { operationId: string }>> };
    const naming = Object.entries(document.paths)
      .filter(([route]) => /\{(clientId|mealId|metricId|linkId)\}/.test(route))
      .flatMap(([, operations]) => Object.values(operations).map((operation) => operation.operationId));
    // Opening break-glass access needs no existing row: any admin may open it for any id, audited.
    const exempt = new Set(['openSupportAccess']);
    const covered = new Set(attacks().map(([operationId]) => operationId));
    expect(naming.filter((operationId) => !exempt.has(operationId) && !covered.has(operationId))).toEqual([]);
  });

  test('trainer A, and A’s client, get 404 on every one of B’s ids, and B’s data is unchanged', async () => {
    const before = await snapshotOf(b);
    const admin = await firstAdmin();
    const tokens = { trainer: a.trainer.token, client: a.client.token, admin: admin.token };
    const results = [];
    for (const [operationId, method, route, who, body] of attacks()) {
      const response = await api(method, route, { token: tokens[who], body });
      results.push({ operationId, route, status: response.status, code: response.body.code });
    }
    expect(results.filter((result) => result.status !== 404 || result.code !== 'not_found')).toEqual([]);
    expect(await snapshotOf(b)).toEqual(before);
    expect(before[0]).toMatchObject({ status: 200, body: { description: 'private lunch', version: 1 } });
  });

  test('no list of A’s shows anything of B’s', async () => {
    const lists = await Promise.all([
      api('GET', '/trainer/links', { token: a.trainer.token }),
      api('GET', '/me/trainer-links', { token: a.client.token }),
      api('GET', '/me/meals', { token: a.client.token }),
      api('GET', `/trainer/clients/${a.client.userId}/meals`, { token: a.trainer.token }),
    ]);
    for (const list of lists) expect(list.status).toBe(200);
    const seen = JSON.stringify(lists.map((list) => list.body));
    for (const id of [b.client.userId, b.trainer.userId, b.linkId, b.mealId, b.metricId]) {
      expect(seen).not.toContain(id);
    }
    // The control: A does see A's own client.
    expect(seen).toContain(a.mealId);
  });

  test('a client cannot use trainer routes, nor a trainer the client routes', async () => {
    const asClient = await api('GET', `/trainer/clients/${a.client.userId}/meals`, { token: a.client.token });
    expect(asClient).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    const asTrainer = await api('GET', '/me/meals', { token: a.trainer.token });
    expect(asTrainer).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
  });

  test('ending the link cuts the trainer off at once', async () => {
    const extra = await side();
    const route = `/trainer/clients/${extra.client.userId}/meals`;
    await expectStatus(api('GET', route, { token: extra.trainer.token }), 200);
    await expectStatus(
      api('POST', `/me/trainer-links/${extra.linkId}/end`, { token: extra.client.token }),
      200,
    );
    const after = await api('GET', route, { token: extra.trainer.token });
    expect(after).toMatchObject({ status: 404, body: { code: 'not_found' } });
    const goals = await api('PUT', `/trainer/clients/${extra.client.userId}/goals`, {
      token: extra.trainer.token,
      body: { version: 1, calories: 1, proteinG: 1, carbsG: 1, fatG: 1 },
    });
    expect(goals.status).toBe(404);
  });
});
