import { mealLoggedSchema, TOPICS, type MealEstimated, type MealEstimationFailed } from '@tracking/contracts';
import {
  createKafka,
  createLogger,
  createProducer,
  envelopeMessage,
  newEvent,
  type EventEnvelope,
} from '@tracking/kit';
import { infraEnv, waitFor } from '@tracking/testing';
import { jsonLines, startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts } from './accounts';

/**
 * The meal's way through Kafka on the running platform: tracking publishes what the AI service
 * estimates, and stores the estimate that comes back, once, and only for the text it was made
 * from. The test plays the AI service's part on the real topics, in its wire format (the kit's
 * schemas), so it can send late and duplicate results; tests/e2e/ai.test.ts runs the real one.
 */
describe('meals and their estimates over Kafka', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, expectStatus, verifiedClient } = accounts(setup);
  const log = createLogger({ service: 'test', level: 'warn' });
  const kafka = createKafka({ clientId: 'tracking-events-test', ...infraEnv().kafka, log });
  const producer = createProducer(kafka);
  const logged: EventEnvelope[] = [];
  const consumer = kafka.consumer({ groupId: `tracking-events-test-${String(Date.now())}` });

  beforeAll(async () => {
    platform = await startPlatform({ ai: false });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: `${platform.topicPrefix}${TOPICS.trackingMeal}`, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        logged.push(JSON.parse(message.value?.toString() ?? '{}') as EventEnvelope);
        return Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await consumer.disconnect();
    await producer.disconnect();
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  const estimate = (data: Pick<MealEstimated, 'mealId' | 'mealVersion' | 'calories'>) =>
    envelopeMessage(
      newEvent({
        type: 'ai.meal.estimated',
        actor: { service: 'ai-inference', userId: null, role: null },
        data: {
          ...data,
          proteinG: 12,
          carbsG: 40,
          fatG: 9,
          items: [{ name: 'chicken', grams: 150, calories: data.calories }],
          confidence: 'medium',
          source: 'offline',
          model: 'offline-table',
          estimatedAt: new Date().toISOString(),
        } satisfies MealEstimated,
      }),
      data.mealId,
    );

  test('a logged meal is published with its text; its estimate is stored; a late one for old text is not', async () => {
    const client = await verifiedClient();
    const meal = await expectStatus(
      api('POST', '/me/meals', {
        token: client.token,
        body: { eatenAt: new Date().toISOString(), mealType: 'lunch', description: 'chicken salad' },
      }),
      201,
    );
    const mealId = String(meal.body.mealId);
    const published = await waitFor(
      () => logged.find((event) => (event.data as { mealId?: string }).mealId === mealId),
      { what: 'tracking.meal.logged on Kafka' },
    );
    expect(published.type).toBe('tracking.meal.logged');
    expect(mealLoggedSchema.parse(published.data)).toMatchObject({
      version: 1,
      description: 'chicken salad',
    });

    // The client edits the text before the estimate of the first version arrives.
    await expectStatus(
      api('PUT', `/me/meals/${mealId}`, {
        token: client.token,
        body: {
          eatenAt: new Date().toISOString(),
          mealType: 'lunch',
          description: 'chicken burger',
          version: 1,
        },
      }),
      200,
    );
    const topic = `${setup().topicPrefix}${TOPICS.aiMeal}`;
    await producer.send({ topic, messages: [estimate({ mealId, mealVersion: 2, calories: 720 })] });
    const estimated = await waitFor(
      async () => {
        const read = await api('GET', `/me/meals/${mealId}`, { token: client.token });
        return read.body.estimate ? read.body : undefined;
      },
      { what: 'the estimate to be stored' },
    );
    expect(estimated).toMatchObject({
      version: 2,
      estimateStatus: 'estimated',
      estimate: {
        calories: 720,
        source: 'offline',
        items: [{ name: 'chicken', grams: 150, calories: 720 }],
        confidence: 'medium',
        model: 'offline-table',
      },
    });

    // A late estimate of version 1, and a second one of version 2, change nothing.
    await producer.send({
      topic,
      messages: [
        estimate({ mealId, mealVersion: 1, calories: 300 }),
        estimate({ mealId, mealVersion: 2, calories: 999 }),
      ],
    });
    // The consumer logs each result it handled, with what it did: wait for all three.
    const outcomes = await waitFor(
      async () => {
        const lines = (await jsonLines(setup().logFile('tracking'))).filter(
          (line) => line.event === 'tracking.ai_result',
        );
        return lines.length >= 3 ? lines.map((line) => line.outcome) : undefined;
      },
      { what: 'tracking to handle all three estimates' },
    );
    expect(outcomes).toEqual(['applied', 'stale', 'stale']);
    const after = await api('GET', `/me/meals/${mealId}`, { token: client.token });
    expect(after.body).toMatchObject({ version: 2, estimate: { calories: 720 } });

    // Meal text is health data: it travels to the estimator, and never into a log line.
    for (const service of ['gateway', 'auth', 'tracking', 'audit']) {
      const text = JSON.stringify(await jsonLines(setup().logFile(service)));
      expect({ service, leaked: /chicken (salad|burger)/.test(text) }).toEqual({ service, leaked: false });
    }
  });

  test('a failed estimate shows on the meal, and asking again publishes its text once more', async () => {
    const client = await verifiedClient();
    const meal = await expectStatus(
      api('POST', '/me/meals', {
        token: client.token,
        body: { eatenAt: new Date().toISOString(), mealType: 'dinner', description: 'mystery stew' },
      }),
      201,
    );
    expect(meal.body).toMatchObject({ estimateStatus: 'pending', estimateFailure: null, estimate: null });
    const mealId = String(meal.body.mealId);
    const retry = () => api('POST', `/me/meals/${mealId}/estimate`, { token: client.token });
    // Nothing has failed yet: asking again is a conflict and changes nothing.
    expect(await retry()).toMatchObject({ status: 409, body: { code: 'already_exists' } });

    const failed: MealEstimationFailed = {
      mealId,
      mealVersion: 1,
      reason: 'providers_unavailable',
      failedAt: new Date().toISOString(),
    };
    await producer.send({
      topic: `${setup().topicPrefix}${TOPICS.aiMeal}`,
      messages: [
        envelopeMessage(
          newEvent({
            type: 'ai.meal.estimation_failed',
            actor: { service: 'ai-inference', userId: null, role: null },
            data: failed,
          }),
          mealId,
        ),
      ],
    });
    await waitFor(
      async () => {
        const read = await api('GET', `/me/meals/${mealId}`, { token: client.token });
        return read.body.estimateStatus === 'failed' ? read.body : undefined;
      },
      { what: 'the failure to be stored' },
    ).then((body) =>
      expect(body).toMatchObject({ estimateFailure: 'providers_unavailable', estimate: null }),
    );

    const retried = await expectStatus(retry(), 202);
    expect(retried.body).toMatchObject({
      mealId,
      version: 1,
      estimateStatus: 'pending',
      estimateFailure: null,
    });
    const requested = await waitFor(
      () =>
        logged.find(
          (event) =>
            event.type === 'tracking.meal.estimate_requested' &&
            (event.data as { mealId?: string }).mealId === mealId,
        ),
      { what: 'tracking.meal.estimate_requested on Kafka' },
    );
    expect(mealLoggedSchema.parse(requested.data)).toMatchObject({ version: 1, description: 'mystery stew' });
    expect(await retry()).toMatchObject({ status: 409 });

    for (const service of ['gateway', 'tracking', 'audit']) {
      const text = JSON.stringify(await jsonLines(setup().logFile(service)));
      expect({ service, leaked: text.includes('mystery stew') }).toEqual({ service, leaked: false });
    }
  });
});
