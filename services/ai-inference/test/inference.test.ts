import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PLANS } from '@tracking/contracts';
import { createMetrics, runWithContext, type Metrics } from '@tracking/kit';
import { captureLogger, createTestDatabase, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

import { createBudget } from '../src/budget';
import { providerSettings } from '../src/config';
import { createInference, type BreakerOptions, type Inference } from '../src/inference';
import { REVIEW_SYSTEM_PROMPT } from '../src/prompts';
import { createProviders } from '../src/providers';
import {
  fakeProviderEnv,
  IMPLAUSIBLE_ESTIMATE,
  makeTestCertificate,
  startFakeProvider,
  type FakeProvider,
} from './fake-providers';

const TENANT = '7b0f0f55-8a0c-4b7e-9d7e-0c1f2a3b4c5d';
const OTHER_TENANT = '0d2c1b7a-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const MEAL = 'two poached eggs on sourdough with half an avocado';

let anthropic: FakeProvider;
let qwen: FakeProvider;
let db: TestDatabase;
let pool: pg.Pool;
let dir: string;
let caFile: string;
const open: Inference[] = [];

beforeAll(async () => {
  const tls = makeTestCertificate();
  dir = mkdtempSync(path.join(tmpdir(), 'ai-inference-'));
  caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, tls.ca);
  [anthropic, qwen, db] = await Promise.all([
    startFakeProvider({ kind: 'anthropic', tls }),
    startFakeProvider({ kind: 'openai', tls }),
    createTestDatabase(path.join(__dirname, '..', 'migrations')),
  ]);
  pool = new pg.Pool({ connectionString: db.appUrl, max: 3 });
});

afterAll(async () => {
  await pool.end();
  await Promise.all([anthropic.close(), qwen.close(), db.drop()]);
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  anthropic.reset();
  qwen.reset();
  await pool.query('DELETE FROM ai_usage');
});

afterEach(() => {
  for (const inference of open.splice(0)) inference.close();
});

/** The service's own wiring, pointed at the fakes. */
function setUp(
  options: {
    providers?: string;
    timeoutMs?: number;
    maxRetries?: number;
    breaker?: Partial<BreakerOptions>;
    requestsPerDay?: number;
    tokensPerDay?: number;
  } = {},
) {
  const settings = providerSettings.parse({
    ...fakeProviderEnv({ anthropic, qwen, caFile }),
    AI_PROVIDERS: options.providers ?? 'anthropic,qwen',
    AI_TIMEOUT_MS: String(options.timeoutMs ?? 5_000),
    AI_MAX_RETRIES: String(options.maxRetries ?? 2),
  });
  const { log, lines } = captureLogger('ai-inference');
  const metrics: Metrics = createMetrics();
  const inference = createInference({
    providers: createProviders(settings),
    budget: createBudget(pool, {
      requestsPerDay: options.requestsPerDay ?? 100,
      tokensPerDay: options.tokensPerDay ?? 1_000_000,
    }),
    log,
    metrics,
    breaker: { errorPercent: 50, minCalls: 100, windowMs: 60_000, resetMs: 60_000, ...options.breaker },
    callDeadlineMs: 30_000,
  });
  open.push(inference);
  return { inference, lines, metrics };
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  const value = metric?.values.find((entry) =>
    Object.entries(labels).every(([key, wanted]) => String(entry.labels[key]) === wanted),
  );
  return value?.value ?? 0;
}

describe('estimates come from the configured providers, through their official SDKs', () => {
  it('asks the first provider with nothing but the meal text, and returns its checked answer', async () => {
    const { inference } = setUp();
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toEqual({
      ok: true,
      source: 'anthropic',
      model: 'claude-test-model',
      value: expect.objectContaining({ calories: 450, confidence: 'medium' }) as unknown,
    });
    expect(anthropic.requests).toHaveLength(1);
    expect(anthropic.requests[0]?.task).toBe('estimate_meal');
    expect(anthropic.requests[0]?.input).toBe(MEAL);
    expect(anthropic.requests[0]?.body).toMatchObject({
      tool_choice: { type: 'tool', name: 'record_meal_estimate' },
    });
    expect(qwen.requests).toHaveLength(0);
  });

  it('asks Qwen in JSON mode with thinking turned off', async () => {
    const { inference } = setUp({ providers: 'qwen' });
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toMatchObject({ ok: true, source: 'qwen', model: 'qwen3-test-model' });
    expect(qwen.requests[0]?.body).toMatchObject({
      response_format: { type: 'json_object' },
      enable_thinking: false,
    });
    expect(qwen.requests[0]?.input).toBe(MEAL);
  });

  it('waits out a 429 for as long as its Retry-After says, then succeeds', async () => {
    const { inference } = setUp({ providers: 'anthropic' });
    anthropic.enqueue({ status: 429, retryAfterSeconds: 1 });
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome.ok).toBe(true);
    const [first, second] = anthropic.requests;
    expect(anthropic.requests.map((request) => request.status)).toEqual([429, 200]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('does not retry a request the provider refuses (400), and falls over to the next provider', async () => {
    const { inference } = setUp();
    anthropic.enqueue({ status: 400 });
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toMatchObject({ ok: true, source: 'qwen' });
    expect(anthropic.requests.map((request) => request.status)).toEqual([400]);
  });

  it('falls over when the first provider is too slow', async () => {
    const { inference } = setUp({ timeoutMs: 400, maxRetries: 0 });
    anthropic.enqueue({ delayMs: 2_000 });
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toMatchObject({ ok: true, source: 'qwen' });
  });

  it('retries an implausible answer once, and takes the second if it is sound', async () => {
    const { inference } = setUp({ providers: 'anthropic' });
    anthropic.enqueue({ output: IMPLAUSIBLE_ESTIMATE });
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toMatchObject({ ok: true, value: { calories: 450 } });
    expect(anthropic.requests).toHaveLength(2);
  });

  it('reports an estimate that stays invalid as failed, and never returns the bad numbers', async () => {
    const { inference, metrics } = setUp({ providers: 'anthropic' });
    anthropic.enqueue(
      { output: IMPLAUSIBLE_ESTIMATE },
      { textInsteadOfJson: true },
      { output: IMPLAUSIBLE_ESTIMATE },
    );
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toEqual({ ok: false, reason: 'invalid_output' });
    expect(anthropic.requests).toHaveLength(2);
    expect(
      await metricValue(metrics, 'ai_requests_total', { provider: 'anthropic', outcome: 'invalid_output' }),
    ).toBe(1);
  });

  it('treats a body that is not JSON as a malformed answer, worth its one retry', async () => {
    const { inference } = setUp({ providers: 'qwen', maxRetries: 0 });
    qwen.enqueue({ malformedJson: true });
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome.ok).toBe(true);
    expect(qwen.requests).toHaveLength(2);
  });

  it('says providers_unavailable when every provider is down', async () => {
    const { inference } = setUp({ maxRetries: 1 });
    anthropic.setDown(503);
    qwen.setDown('drop');
    const outcome = await inference.estimateMeal(TENANT, MEAL, 'team');
    expect(outcome).toEqual({ ok: false, reason: 'providers_unavailable' });
    expect(anthropic.requests).toHaveLength(2);
  });
});

describe("a provider's circuit breaker", () => {
  it('opens after repeated failures, sends the traffic to the next provider, and closes once a trial call succeeds', async () => {
    const { inference, metrics } = setUp({
      maxRetries: 0,
      breaker: { minCalls: 2, errorPercent: 50, resetMs: 1_000 },
    });
    anthropic.setDown(503);
    for (let i = 0; i < 2; i++)
      expect(await inference.estimateMeal(TENANT, MEAL, 'team')).toMatchObject({ source: 'qwen' });
    expect(await metricValue(metrics, 'ai_circuit_open', { provider: 'anthropic' })).toBe(1);
    const callsWhenOpened = anthropic.requests.length;
    expect(await inference.estimateMeal(TENANT, MEAL, 'team')).toMatchObject({ source: 'qwen' });
    expect(anthropic.requests).toHaveLength(callsWhenOpened);
    expect(
      await metricValue(metrics, 'ai_requests_total', { provider: 'anthropic', outcome: 'circuit_open' }),
    ).toBe(1);

    anthropic.setDown(false);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await inference.estimateMeal(TENANT, MEAL, 'team')).toMatchObject({ source: 'anthropic' });
    expect(await metricValue(metrics, 'ai_circuit_open', { provider: 'anthropic' })).toBe(0);
  });
});

describe('the daily budget per client', () => {
  it('refuses the request past the limit without calling a provider, and leaves other clients alone', async () => {
    const { inference } = setUp({ requestsPerDay: 2 });
    expect((await inference.estimateMeal(TENANT, MEAL, 'team')).ok).toBe(true);
    expect((await inference.estimateMeal(TENANT, MEAL, 'team')).ok).toBe(true);
    expect(await inference.estimateMeal(TENANT, MEAL, 'team')).toEqual({
      ok: false,
      reason: 'budget_exhausted',
    });
    expect(anthropic.requests).toHaveLength(2);
    expect((await inference.estimateMeal(OTHER_TENANT, MEAL, 'team')).ok).toBe(true);
  });

  it('counts the tokens providers report, and stops once they are spent', async () => {
    const { inference } = setUp({ tokensPerDay: 10 });
    expect((await inference.estimateMeal(TENANT, MEAL, 'team')).ok).toBe(true);
    const { rows } = await pool.query<{ tokens: string }>(
      'SELECT tokens FROM ai_usage WHERE tenant_id = $1',
      [TENANT],
    );
    expect(Number(rows[0]?.tokens)).toBeGreaterThan(10);
    expect(await inference.estimateMeal(TENANT, MEAL, 'team')).toEqual({
      ok: false,
      reason: 'budget_exhausted',
    });
  });

  it("stops a client's estimates at their plan's daily number, apart from the operator's budget", async () => {
    const { inference, metrics } = setUp();
    const limit = PLANS.free.aiEstimatesPerDay;
    // The day so far: one estimate short of the free plan's limit.
    await pool.query(
      `INSERT INTO ai_usage (tenant_id, day, requests, estimates)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $2)`,
      [TENANT, limit - 1],
    );
    expect((await inference.estimateMeal(TENANT, MEAL, 'free')).ok).toBe(true);
    const calls = anthropic.requests.length;
    expect(await inference.estimateMeal(TENANT, MEAL, 'free')).toEqual({ ok: false, reason: 'plan_limit' });
    expect(anthropic.requests).toHaveLength(calls);
    expect(await metricValue(metrics, 'ai_results_total', { result: 'plan_limit' })).toBe(1);
    // The same client on pro (asked under a paid plan) still has estimates left today.
    expect((await inference.estimateMeal(TENANT, MEAL, 'pro')).ok).toBe(true);
    const { rows } = await pool.query<{ estimates: number; requests: number }>(
      'SELECT estimates, requests FROM ai_usage WHERE tenant_id = $1',
      [TENANT],
    );
    expect(rows[0]).toEqual({ estimates: limit + 1, requests: limit + 1 });
  });

  it('cannot be overshot by concurrent estimates under a plan', async () => {
    const { inference } = setUp();
    await pool.query(
      `INSERT INTO ai_usage (tenant_id, day, requests, estimates)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 0, $2)`,
      [TENANT, PLANS.free.aiEstimatesPerDay - 2],
    );
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => inference.estimateMeal(TENANT, MEAL, 'free')),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(2);
    expect(outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'plan_limit')).toHaveLength(4);
  });

  it('cannot be overshot by concurrent requests', async () => {
    const { inference } = setUp({ requestsPerDay: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => inference.estimateMeal(TENANT, MEAL, 'team')),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(3);
  });
});

describe('what the service records about an AI request', () => {
  const CANARY = 'CANARY-7f3a9c1e-in-the-meal';

  it('logs provider, model, operation, outcome, latency, tokens and correlation id, and never the meal text', async () => {
    const { inference, lines } = setUp({ maxRetries: 0 });
    // An error body that quotes the request, as providers' errors sometimes do.
    anthropic.enqueue({ status: 400, message: `could not process: ${CANARY}` });
    qwen.enqueue({
      output: { ...IMPLAUSIBLE_ESTIMATE, items: [{ name: CANARY, grams: 1, calories: 9_000 }] },
    });
    await runWithContext({ correlationId: 'corr-ai-test-0001' }, () =>
      inference.estimateMeal(TENANT, `lunch: ${CANARY}`, 'team'),
    );
    const requests = lines().filter((line) => line.event === 'ai.request');
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-test-model',
      'gen_ai.operation.name': 'chat',
      operation: 'estimate_meal',
      outcome: 'rejected',
      status: 400,
      correlation_id: 'corr-ai-test-0001',
    });
    expect(requests[2]).toMatchObject({
      'gen_ai.provider.name': 'qwen',
      outcome: 'success',
      'gen_ai.usage.input_tokens': expect.any(Number) as number,
      durationMs: expect.any(Number) as number,
    });
    expect(JSON.stringify(lines())).not.toContain(CANARY);
  });
});

describe('weekly reviews', () => {
  it('are written from the week’s numbers alone, with no identifier in the prompt', async () => {
    const { inference } = setUp({ providers: 'anthropic' });
    const day = (date: string) => ({
      date,
      meals: 3,
      unestimatedMeals: 0,
      calories: 2_000,
      proteinG: 90,
      carbsG: 220,
      fatG: 70,
      weightKg: 80,
      sleepHours: 6.5,
      steps: 6_000,
      waterMl: null,
      mood: 4,
    });
    const week = {
      weekStart: '2026-11-09',
      days: ['09', '10', '11', '12', '13', '14', '15'].map((d) => day(`2026-11-${d}`)),
      goals: { calories: 2_100, proteinG: 120, carbsG: 220, fatG: 70 },
    };
    const outcome = await inference.writeReview(TENANT, week);
    expect(outcome).toMatchObject({ ok: true, value: { suggestions: expect.any(Array) as unknown[] } });
    const request = anthropic.requests[0];
    expect(request?.task).toBe('write_review');
    expect(JSON.stringify(request?.body)).toContain(REVIEW_SYSTEM_PROMPT.slice(0, 40));
    expect(JSON.parse(request?.input ?? '{}')).toEqual(week);
    expect(JSON.stringify(request?.body)).not.toContain(TENANT);
  });
});
