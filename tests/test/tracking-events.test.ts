import {
  createKafka,
  createLogger,
  createProducer,
  envelopeMessage,
  mealLoggedSchema,
  newEvent,
  TOPICS,
  type EventEnvelope,
  type MealEstimated,
} from '@tracking/kit';
import { infraEnv, waitFor } from '@tracking/kit/testing';

import { accounts } from './accounts';
import { jsonLines, startPlatform, type Platform } from './platform';

/**
 * The meal's way through Kafka on the running platform: tracking publishes what the AI service
 * estimates, and stores the estimate that comes back, once, and only for the text it was made
 * from. The AI service is not built yet (its own issue), so the test plays its part on the
 * real topics, in its wire format (the kit's schemas).
 */
describe('meals and their estimates over Kafka', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, expectStatus, verifiedClient } = accounts(setup);
  const log = createLogger({ service: 'test', level: 'warn' });
  const kafka = createKafka({ clientId: 'tracking-events-test', brokers: infraEnv().brokers, log });
  const producer = createProducer(kafka);
  const logged: EventEnvelope[] = [];
  const consumer = kafka.consumer({ groupId: `tracking-events-test-${String(Date.now())}` });

  beforeAll(async () => {
    platform = await startPlatform();
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

  const estimate = (data: Omit<MealEstimated, 'proteinG' | 'carbsG' | 'fatG' | 'source' | 'estimatedAt'>) =>
    envelopeMessage(
      newEvent({
        type: 'ai.meal.estimated',
        actor: { service: 'ai-inference', userId: null, role: null },
        data: {
          ...data,
          proteinG: 12,
          carbsG: 40,
          fatG: 9,
          source: 'offline',
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
    expect(estimated).toMatchObject({ version: 2, estimate: { calories: 720, source: 'offline' } });

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
});
