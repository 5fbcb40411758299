import {
  currentContext,
  enqueue,
  mealEstimatedSchema,
  mealEstimationFailedSchema,
  newEvent,
  PoisonMessageError,
  prismaExecutor,
  reviewCompletedSchema,
  startConsumer,
  TOPICS,
  type AuditEvent,
  type EventEnvelope,
  type Kafka,
  type Logger,
  type Metrics,
  type OutgoingEvent,
  type Principal,
  type RunningConsumer,
  type TransactionRunner,
} from '@tracking/kit';

import { asActor, type PrismaClient, type Tx } from './db';

export interface Change {
  /** The audit action, e.g. tracking.meal.logged. */
  action: string;
  subject: {
    type: 'meal' | 'metric' | 'goals' | 'link' | 'comment' | 'review' | 'support_access';
    id: string;
  };
  /** The client whose data this is: the audit entry's tenant. */
  clientId: string | null;
  outcome?: AuditEvent['outcome'];
  /** A domain event for another service, beside the audit event. */
  event?: { topic: string; key: string; data: Record<string, unknown> };
}

/**
 * Writes a change's audit event (and its domain event, if any) to the outbox in the caller's
 * transaction, so both leave if and only if the change commits. The audit event names the actor,
 * the subject and the client; never meal text, notes or comments.
 */
export async function record(tx: Tx, principal: Principal, change: Change): Promise<void> {
  const context = currentContext();
  const actor = { service: 'tracking', userId: principal.userId, role: principal.role };
  const audit: AuditEvent = {
    action: change.action,
    subject: change.subject,
    outcome: change.outcome ?? 'success',
    sourceIp: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
  };
  const events: OutgoingEvent[] = [
    {
      topic: TOPICS.auditEvents,
      key: change.subject.id,
      envelope: newEvent({ type: 'audit.recorded', actor, tenant: change.clientId, data: audit }),
    },
  ];
  if (change.event) {
    events.push({
      topic: change.event.topic,
      key: change.event.key,
      envelope: newEvent({ type: change.action, actor, tenant: change.clientId, data: change.event.data }),
    });
  }
  await enqueue(prismaExecutor(tx), events);
}

export const AI_RESULTS_DLQ = 'tracking.ai-results-dlq.v1';

/**
 * Applies a late or duplicate result as a no-op: an estimate is stored only if it is for the
 * meal's current version and no estimate of that version is there yet, so it never overwrites
 * a newer edit or a newer estimate. A failure is stored only while the current version is still
 * pending: never over an estimate that arrived first, and once only. A review is filled in only
 * while it is still requested.
 */
export async function applyAiResult(tx: Tx, event: EventEnvelope): Promise<'applied' | 'stale' | 'ignored'> {
  if (event.type === 'ai.meal.estimated') {
    const parsed = mealEstimatedSchema.safeParse(event.data);
    if (!parsed.success) throw new PoisonMessageError('ai.meal.estimated body does not match its schema');
    const estimate = parsed.data;
    const { count } = await tx.meal.updateMany({
      where: {
        id: estimate.mealId,
        version: estimate.mealVersion,
        deletedAt: null,
        OR: [{ estimatedVersion: null }, { estimatedVersion: { lt: estimate.mealVersion } }],
      },
      data: {
        calories: estimate.calories,
        proteinG: estimate.proteinG,
        carbsG: estimate.carbsG,
        fatG: estimate.fatG,
        estimateSource: estimate.source,
        estimatedAt: new Date(estimate.estimatedAt),
        estimatedVersion: estimate.mealVersion,
        estimateStatus: 'estimated',
        estimateFailure: null,
        estimateItems: estimate.items,
        estimateConfidence: estimate.confidence,
        estimateModel: estimate.model,
      },
    });
    return count === 1 ? 'applied' : 'stale';
  }
  if (event.type === 'ai.meal.estimation_failed') {
    const parsed = mealEstimationFailedSchema.safeParse(event.data);
    if (!parsed.success)
      throw new PoisonMessageError('ai.meal.estimation_failed body does not match its schema');
    const failure = parsed.data;
    const { count } = await tx.meal.updateMany({
      where: {
        id: failure.mealId,
        version: failure.mealVersion,
        deletedAt: null,
        estimateStatus: 'pending',
        estimatedVersion: null,
      },
      data: { estimateStatus: 'failed', estimateFailure: failure.reason },
    });
    return count === 1 ? 'applied' : 'stale';
  }
  if (event.type === 'ai.review.completed') {
    const parsed = reviewCompletedSchema.safeParse(event.data);
    if (!parsed.success) throw new PoisonMessageError('ai.review.completed body does not match its schema');
    const review = parsed.data;
    const { count } = await tx.review.updateMany({
      where: { id: review.reviewId, status: 'requested' },
      data: {
        status: review.status,
        content: review.content,
        completedAt: new Date(review.completedAt),
        // A reason belongs to a failure only (the table says so too).
        failureReason: review.status === 'failed' ? (review.failureReason ?? null) : null,
        source: review.source ?? null,
        model: review.model ?? null,
      },
    });
    return count === 1 ? 'applied' : 'stale';
  }
  return 'ignored';
}

/** Stores the AI service's estimates and reviews, idempotently (the kit records event ids). */
export function startAiResultsConsumer(deps: {
  kafka: Kafka;
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
  groupId: string;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  const transaction: TransactionRunner<Tx> = (fn) =>
    asActor(deps.prisma, { system: 'ai-results' }, (tx) => fn(prismaExecutor(tx), tx));
  return startConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [TOPICS.aiMeal, TOPICS.aiReview],
    dlqTopic: AI_RESULTS_DLQ,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction,
    async handle(event, tx) {
      const outcome = await applyAiResult(tx, event);
      deps.log.info({ event: 'tracking.ai_result', type: event.type, outcome }, 'AI result handled');
    },
  });
}
