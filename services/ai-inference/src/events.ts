import {
  MEAL_ESTIMATE_TRIGGERS,
  mealLoggedSchema,
  reviewRequestedSchema,
  TOPICS,
  type MealEstimated,
  type MealEstimationFailed,
  type ReviewCompleted,
} from '@tracking/contracts';
import {
  enqueue,
  newEvent,
  pgExecutor,
  pgTransactionRunner,
  PoisonMessageError,
  startConsumer,
  type EventEnvelope,
  type Kafka,
  type Logger,
  type Metrics,
  type RunningConsumer,
  type SqlExecutor,
} from '@tracking/kit';
import { startPrivacyParticipant, type ObjectStore } from '@tracking/kit/privacy';
import type pg from 'pg';

import type { Inference } from './inference';
import { reviewText } from './plausibility';
import { eraseSubject, exportFiles, exportSubject } from './privacy';

export const REQUESTS_DLQ = 'ai.requests-dlq.v1';

const ACTOR = { service: 'ai-inference', userId: null, role: null };
const triggers: readonly string[] = MEAL_ESTIMATE_TRIGGERS;

/**
 * Answers one request event with one result event, written to the outbox in the consumer's
 * transaction (so the result leaves once, with the processed event id). A failure is a result
 * too: `ai.meal.estimation_failed` or a failed review, never silence. The meal text lives only
 * in this call: it is sent to the provider and nowhere else.
 */
export async function answer(sql: SqlExecutor, inference: Inference, event: EventEnvelope): Promise<string> {
  if (triggers.includes(event.type)) {
    const parsed = mealLoggedSchema.safeParse(event.data);
    if (!parsed.success) throw new PoisonMessageError(`${event.type} body does not match its schema`);
    const meal = parsed.data;
    const outcome = await inference.estimateMeal(meal.clientId, meal.description, meal.plan ?? 'free');
    const now = new Date().toISOString();
    if (outcome.ok) {
      const data: MealEstimated = {
        mealId: meal.mealId,
        mealVersion: meal.version,
        ...outcome.value,
        source: outcome.source,
        model: outcome.model,
        estimatedAt: now,
      };
      await emit(sql, TOPICS.aiMeal, meal.mealId, meal.clientId, 'ai.meal.estimated', data);
      return 'estimated';
    }
    const data: MealEstimationFailed = {
      mealId: meal.mealId,
      mealVersion: meal.version,
      reason: outcome.reason,
      failedAt: now,
    };
    await emit(sql, TOPICS.aiMeal, meal.mealId, meal.clientId, 'ai.meal.estimation_failed', data);
    return `failed:${outcome.reason}`;
  }
  if (event.type === 'tracking.review.requested') {
    const parsed = reviewRequestedSchema.safeParse(event.data);
    if (!parsed.success)
      throw new PoisonMessageError('tracking.review.requested body does not match its schema');
    const request = parsed.data;
    const outcome = await inference.writeReview(request.clientId, request);
    const data: ReviewCompleted = outcome.ok
      ? {
          reviewId: request.reviewId,
          status: 'ready',
          content: reviewText(outcome.value),
          source: outcome.source,
          model: outcome.model,
          completedAt: new Date().toISOString(),
        }
      : {
          reviewId: request.reviewId,
          status: 'failed',
          content: '',
          failureReason: outcome.reason,
          completedAt: new Date().toISOString(),
        };
    await emit(sql, TOPICS.aiReview, request.clientId, request.clientId, 'ai.review.completed', data);
    return outcome.ok ? 'reviewed' : `failed:${outcome.reason}`;
  }
  // Deleted meals and event types of a later version: nothing to answer.
  return 'ignored';
}

function emit(sql: SqlExecutor, topic: string, key: string, tenant: string, type: string, data: unknown) {
  return enqueue(sql, [{ topic, key, envelope: newEvent({ type, actor: ACTOR, tenant, data }) }]);
}

export function startRequestsConsumer(deps: {
  kafka: Kafka;
  pool: pg.Pool;
  inference: Inference;
  log: Logger;
  metrics: Metrics;
  groupId: string;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [TOPICS.trackingMeal, TOPICS.trackingReview],
    dlqTopic: REQUESTS_DLQ,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction: pgTransactionRunner(deps.pool),
    async handle(event, client) {
      const outcome = await answer(pgExecutor(client), deps.inference, event);
      deps.log.info({ event: 'ai.request_answered', type: event.type, outcome }, 'AI request answered');
    },
  });
}

/**
 * The AI service's part in the privacy sagas (src/privacy.ts): the kit's participant runtime
 * answers each export and erasure request, reading and erasing in its own transaction.
 */
export function startPrivacyConsumer(deps: {
  kafka: Kafka;
  pool: pg.Pool;
  store: ObjectStore;
  recipients: readonly string[];
  log: Logger;
  metrics: Metrics;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startPrivacyParticipant({
    service: 'ai-inference',
    kafka: deps.kafka,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction: pgTransactionRunner(deps.pool),
    store: deps.store,
    recipients: deps.recipients,
    handlers: {
      exportSubject: async (subjectId, { sql }) => exportFiles(await exportSubject(sql, subjectId)),
      eraseSubject: async (subjectId, { sql }) => ({ counts: await eraseSubject(sql, subjectId) }),
    },
  });
}
