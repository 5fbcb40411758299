import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ESTIMATE_SYSTEM_PROMPT, REVIEW_SYSTEM_PROMPT } from '@tracking/ai-inference/prompts';
import { PLANS } from '@tracking/contracts';
import { infraEnv, OtlpReceiver, randomName, waitFor } from '@tracking/testing';
import {
  fakeProviderEnv,
  IMPLAUSIBLE_ESTIMATE,
  makeTestCertificate,
  startFakeProvider,
  type FakeProvider,
  type FakeRequest,
} from '@tracking/testing/ai-providers';
import { INGRESS_HEADERS, jsonLines, startPlatform, type Platform } from '@tracking/testing/platform';
import pg from 'pg';

import { accounts, type ApiResponse } from './accounts';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVICES = ['auth', 'audit', 'tracking', 'ai-inference', 'gateway'];

/**
 * A sound estimate whose one item is named after the whole meal text: a model echoing the
 * user's words is the worst case for where that text could end up.
 */
function echoingEstimate(request: FakeRequest): unknown {
  if (request.task === 'write_review') {
    return {
      summary: 'You logged meals on most days this week and kept your energy close to your goal.',
      suggestions: ['Add a vegetable to one more meal a day.', 'Take a short walk after lunch.'],
    };
  }
  return {
    items: [{ name: request.input.slice(0, 100), grams: 350, calories: 520 }],
    calories: 520,
    proteinG: 30,
    carbsG: 55,
    fatG: 18,
    confidence: 'medium',
  };
}

describe('meals estimated by the AI service over Kafka, on real services', () => {
  const otlp = new OtlpReceiver();
  let platform: Platform | undefined;
  let anthropic: FakeProvider;
  let qwen: FakeProvider;
  let dir: string;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, expectStatus, verifiedClient, trainer } = accounts(setup);

  beforeAll(async () => {
    const tls = makeTestCertificate();
    const prompts = { estimate_meal: ESTIMATE_SYSTEM_PROMPT, write_review: REVIEW_SYSTEM_PROMPT };
    dir = mkdtempSync(path.join(tmpdir(), 'ai-system-'));
    const caFile = path.join(dir, 'provider-ca.pem');
    writeFileSync(caFile, tls.ca);
    [anthropic, qwen] = await Promise.all([
      startFakeProvider({ kind: 'anthropic', tls, prompts, answer: echoingEstimate }),
      startFakeProvider({ kind: 'openai', tls, prompts, answer: echoingEstimate }),
    ]);
    const collector = await otlp.start();
    platform = await startPlatform({
      env: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      aiEnv: {
        ...fakeProviderEnv({ anthropic, qwen, caFile }),
        AI_MAX_RETRIES: '1',
        AI_TIMEOUT_MS: '3000',
        // These tests take providers down on purpose; the breaker has its own tests.
        AI_BREAKER_MIN_CALLS: '1000',
        AI_DAILY_REQUESTS_PER_TENANT: '4',
      },
    });
  });

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    await Promise.all([anthropic.close(), qwen.close(), otlp.stop()]);
    rmSync(dir, { recursive: true, force: true });
    expect(codes).toEqual(codes.map(() => 0));
  });

  beforeEach(() => {
    anthropic.reset();
    qwen.reset();
  });

  async function logMeal(token: string, description: string): Promise<string> {
    const meal = await expectStatus(
      api('POST', '/me/meals', {
        token,
        body: { eatenAt: new Date().toISOString(), mealType: 'lunch', description },
      }),
      201,
    );
    return String(meal.body.mealId);
  }

  /** The meal once its estimate is no longer pending. */
  function settled(token: string, mealId: string): Promise<ApiResponse['body']> {
    return waitFor(
      async () => {
        const meal = await expectStatus(api('GET', `/me/meals/${mealId}`, { token }), 200);
        return meal.body.estimateStatus === 'pending' ? undefined : meal.body;
      },
      { what: 'the estimate to arrive', timeoutMs: 30_000 },
    );
  }

  test('a meal logged through the gateway gets its estimate stored on it', async () => {
    const client = await verifiedClient();
    const mealId = await logMeal(client.token, 'chicken stir fry with rice');
    const meal = await settled(client.token, mealId);
    expect(meal).toMatchObject({
      estimateStatus: 'estimated',
      estimateFailure: null,
      estimate: {
        calories: 520,
        proteinG: 30,
        source: 'anthropic',
        model: 'claude-test-model',
        confidence: 'medium',
        items: [{ name: 'chicken stir fry with rice', grams: 350, calories: 520 }],
      },
    });
    expect(anthropic.requests.map((request) => request.input)).toEqual(['chicken stir fry with rice']);
  });

  test('when Claude is down, Qwen estimates the meal', async () => {
    anthropic.setDown(503);
    const client = await verifiedClient();
    const mealId = await logMeal(client.token, 'lamb kebab and a can of lemonade');
    const meal = await settled(client.token, mealId);
    expect(meal).toMatchObject({ estimateStatus: 'estimated', estimate: { source: 'qwen' } });
    expect(anthropic.requests.length).toBeGreaterThanOrEqual(1);
  });

  test('when both are down the meal shows a failed estimate, and a retry after they recover estimates it', async () => {
    anthropic.setDown(503);
    qwen.setDown(500);
    const client = await verifiedClient();
    const mealId = await logMeal(client.token, 'fish and chips');
    expect(await settled(client.token, mealId)).toMatchObject({
      estimateStatus: 'failed',
      estimateFailure: 'providers_unavailable',
      estimate: null,
      description: 'fish and chips',
    });

    anthropic.setDown(false);
    qwen.setDown(false);
    await expectStatus(api('POST', `/me/meals/${mealId}/estimate`, { token: client.token }), 202);
    expect(await settled(client.token, mealId)).toMatchObject({
      estimateStatus: 'estimated',
      estimate: { source: 'anthropic', calories: 520 },
    });
    // A meal that is not failed has nothing to retry.
    await expectStatus(api('POST', `/me/meals/${mealId}/estimate`, { token: client.token }), 409);
  });

  test('invalid or implausible provider output never reaches the meal record', async () => {
    anthropic.enqueue({ output: IMPLAUSIBLE_ESTIMATE }, { textInsteadOfJson: true });
    qwen.enqueue({ output: { calories: 'lots' } }, { malformedJson: true }, { output: IMPLAUSIBLE_ESTIMATE });
    const client = await verifiedClient();
    const mealId = await logMeal(client.token, 'a large garden salad');
    const meal = await settled(client.token, mealId);
    expect(meal).toMatchObject({
      estimateStatus: 'failed',
      estimateFailure: 'invalid_output',
      estimate: null,
    });
    expect(anthropic.requests).toHaveLength(2);
    expect(qwen.requests.length).toBeGreaterThanOrEqual(2);
  });

  test('a client can have a meal estimated before saving it; nothing is stored', async () => {
    const client = await verifiedClient();
    const estimate = await expectStatus(
      api('POST', '/me/meals/estimate', {
        token: client.token,
        body: { description: 'porridge with banana' },
      }),
      200,
    );
    expect(estimate.body).toMatchObject({ calories: 520, source: 'anthropic', confidence: 'medium' });
    const meals = await expectStatus(api('GET', '/me/meals', { token: client.token }), 200);
    expect(meals.body.items).toEqual([]);

    const coach = await trainer();
    await expectStatus(
      api('POST', '/me/meals/estimate', { token: coach.token, body: { description: 'porridge' } }),
      403,
    );
    await expectStatus(api('POST', '/me/meals/estimate', { body: { description: 'porridge' } }), 401);
    await expectStatus(
      api('POST', '/me/meals/estimate', { token: client.token, body: { description: '' } }),
      400,
    );
  });

  test('the synchronous estimate says when no provider can answer', async () => {
    anthropic.setDown(503);
    qwen.setDown(503);
    const client = await verifiedClient();
    const response = await expectStatus(
      api('POST', '/me/meals/estimate', { token: client.token, body: { description: 'toast' } }),
      503,
    );
    // A 5xx says no more than its title and code, plus the reason.
    expect(response.body).toMatchObject({ code: 'unavailable', errors: { reason: 'providers_unavailable' } });
  });

  test('a weekly review is written from the numbers alone, and the trainer reads it through tracking', async () => {
    const coach = await trainer();
    const client = await verifiedClient();
    const invitation = await expectStatus(
      api('POST', '/trainer/invitations', { token: coach.token, body: { email: client.email } }),
      201,
    );
    await expectStatus(
      api('POST', `/me/trainer-links/${String(invitation.body.linkId)}/accept`, { token: client.token }),
      200,
    );
    await logMeal(client.token, 'secret family recipe lasagne');
    const monday = new Date();
    monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
    const weekStart = monday.toISOString().slice(0, 10);
    await expectStatus(
      api('POST', `/trainer/clients/${client.userId}/reviews`, {
        token: coach.token,
        body: { weekStart, timeZone: 'Pacific/Auckland' },
      }),
      202,
    );
    const review = await waitFor(
      async () => {
        const reviews = await expectStatus(
          api('GET', `/trainer/clients/${client.userId}/reviews`, { token: coach.token }),
          200,
        );
        const [first] = reviews.body.items as Record<string, unknown>[];
        return first?.status === 'requested' ? undefined : first;
      },
      { what: 'the review to be written' },
    );
    expect(review).toMatchObject({ status: 'ready', source: 'anthropic', model: 'claude-test-model' });
    expect(String(review.content)).toContain('- Add a vegetable to one more meal a day.');
    const asked = anthropic.requests.find((request) => request.task === 'write_review');
    expect(asked?.input).toBeDefined();
    const sent = JSON.stringify(asked?.body);
    for (const identifier of [client.userId, client.email, coach.userId, 'lasagne'])
      expect(sent).not.toContain(identifier);
  });

  test("past the client's daily budget, estimates stop with a clear status and no provider call", async () => {
    const client = await verifiedClient();
    for (let i = 0; i < 4; i++) {
      await expectStatus(
        api('POST', '/me/meals/estimate', {
          token: client.token,
          body: { description: `toast ${String(i)}` },
        }),
        200,
      );
    }
    const refused = await expectStatus(
      api('POST', '/me/meals/estimate', { token: client.token, body: { description: 'toast again' } }),
      429,
    );
    expect(refused.body).toMatchObject({
      code: 'resource_exhausted',
      errors: { reason: 'budget_exhausted' },
    });
    expect(String(refused.body.detail)).toMatch(/budget/);
    const mealId = await logMeal(client.token, 'toast for dinner');
    expect(await settled(client.token, mealId)).toMatchObject({
      estimateStatus: 'failed',
      estimateFailure: 'budget_exhausted',
    });
    expect(anthropic.requests).toHaveLength(4);
    // Another client's budget is their own.
    const other = await verifiedClient();
    await expectStatus(
      api('POST', '/me/meals/estimate', { token: other.token, body: { description: 'toast' } }),
      200,
    );
  });

  test("past the plan's estimates for the day, estimates stop with plan_limit, apart from the budget", async () => {
    const client = await verifiedClient();
    // The day so far: every estimate the free plan grants, and no request of the operator's budget.
    const owner = new pg.Pool({ connectionString: setup().aiDb.migratorUrl, max: 1 });
    await owner.query(
      `INSERT INTO ai_usage (tenant_id, day, requests, estimates)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 0, $2)`,
      [client.userId, PLANS.free.aiEstimatesPerDay],
    );
    await owner.end();
    const refused = await expectStatus(
      api('POST', '/me/meals/estimate', { token: client.token, body: { description: 'toast' } }),
      429,
    );
    expect(refused.body).toMatchObject({ code: 'resource_exhausted', errors: { reason: 'plan_limit' } });
    expect(String(refused.body.detail)).toMatch(/plan/);
    // The meal's estimate request carries the client's plan from tracking to the AI service.
    const mealId = await logMeal(client.token, 'toast for tea');
    expect(await settled(client.token, mealId)).toMatchObject({
      estimateStatus: 'failed',
      estimateFailure: 'plan_limit',
    });
    expect(anthropic.requests).toHaveLength(0);
  });

  test('no API key or provider host appears in anything the gateway serves', async () => {
    const client = await verifiedClient();
    const served = [
      await fetch(`${setup().api.replace('/api/v1', '')}/api/openapi.json`, {
        headers: INGRESS_HEADERS,
      }).then((r) => r.text()),
      await fetch(`${setup().api.replace('/api/v1', '')}/.well-known/security.txt`, {
        headers: INGRESS_HEADERS,
      }).then((r) => r.text()),
      JSON.stringify(
        (await api('POST', '/me/meals/estimate', { token: client.token, body: { description: 'an apple' } }))
          .body,
      ),
      JSON.stringify((await api('GET', '/me/meals', { token: client.token })).body),
      // The checked-in OpenAPI document is a file published to browsers as well.
      readFileSync(path.join(ROOT, 'services', 'gateway', 'openapi.json'), 'utf8'),
    ].join('\n');
    for (const secret of [
      anthropic.apiKey,
      qwen.apiKey,
      `:${String(anthropic.port)}`,
      `:${String(qwen.port)}`,
    ]) {
      expect(served).not.toContain(secret);
    }
    expect(served).not.toMatch(/anthropic\.com|aliyuncs\.com|dashscope/i);
  });

  test('canary: the meal text appears in no log, span, metric or table outside its meal row, and the API keys in no log, span or metric', async () => {
    const canary = `CANARY-${randomName()}-meal`;
    // Errors and retries along the way: a 429 with Retry-After, a malformed body, an implausible
    // answer, an error body quoting the request, then a good answer from the fallback.
    anthropic.enqueue(
      { status: 429, retryAfterSeconds: 1 },
      { malformedJson: true },
      { output: IMPLAUSIBLE_ESTIMATE },
      { status: 400, message: `cannot process ${canary}` },
    );
    qwen.enqueue({ status: 500, message: `upstream failed on ${canary}` });
    const client = await verifiedClient();
    const mealId = await logMeal(client.token, `leftover pasta bake ${canary}`);
    expect(await settled(client.token, mealId)).toMatchObject({ estimateStatus: 'estimated' });
    const preview = await api('POST', '/me/meals/estimate', {
      token: client.token,
      body: { description: `second helping ${canary}` },
    });
    expect(preview.status).toBe(200);
    expect(anthropic.requests.some((request) => request.input.includes(canary))).toBe(true);

    // Give the batch span processors and the log files a moment to flush.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const running = setup();
    // The providers' API keys, used on every call just made, are canaries too.
    const secrets = [canary, anthropic.apiKey, qwen.apiKey];
    const leaked = (text: string) => secrets.filter((secret) => text.includes(secret)).length;
    for (const service of SERVICES) {
      const lines = await jsonLines(running.logFile(service));
      expect(lines.length).toBeGreaterThan(0);
      expect({ service, leaked: leaked(JSON.stringify(lines)) }).toEqual({ service, leaked: 0 });
    }
    expect(otlp.spans.length).toBeGreaterThan(0);
    expect(leaked(JSON.stringify(otlp.spans))).toBe(0);
    for (const [service, url] of Object.entries(running.opsUrls)) {
      const metrics = await fetch(`${url}/metrics`).then((response) => response.text());
      expect({ service, leaked: leaked(metrics) }).toEqual({ service, leaked: 0 });
    }

    // Every row of every table of every service's database, read as a superuser (past RLS).
    const holders: string[] = [];
    for (const [service, database] of Object.entries(running.databases)) {
      const url = new URL(infraEnv().adminUrl);
      url.pathname = `/${database.database}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows: tables } = await client.query<{ name: string }>(
          `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
        );
        for (const { name } of tables) {
          const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
          for (const { row } of rows)
            if (row.includes(canary)) holders.push(`${service}:${name}:${row.slice(0, 40)}`);
        }
      } finally {
        await client.end();
      }
    }
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatch(new RegExp(`^tracking:public\\.meal:\\(${mealId}`));
  });
});
