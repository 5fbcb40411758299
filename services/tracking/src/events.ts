import { TOPICS } from '@tracking/contracts';
import {
  pgTransactionRunner,
  prismaExecutor,
  startConsumer,
  type Kafka,
  type Logger,
  type Metrics,
  type RunningConsumer,
  type TransactionRunner,
} from '@tracking/kit';
import { startPrivacyParticipant, type ObjectStore } from '@tracking/kit/privacy';

import { applyAiResult } from './ai-results';
import { asActor, type PrismaClient, type Tx } from './db';
import { eraseSubject, exportFiles, exportSubject } from './privacy';

export const AI_RESULTS_DLQ = 'tracking.ai-results-dlq.v1';

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

/**
 * Tracking's part in the privacy sagas (src/privacy.ts): the kit's participant runtime answers
 * each export and erasure request. The erasure runs in the runtime's transaction (a pg client),
 * with its answer and the processed event; the export reads under row-level security as the
 * person, through Prisma, and the runtime writes the encrypted files.
 */
export function startPrivacyConsumer(deps: {
  kafka: Kafka;
  prisma: PrismaClient;
  pool: Parameters<typeof pgTransactionRunner>[0];
  store: ObjectStore;
  recipients: readonly string[];
  log: Logger;
  metrics: Metrics;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startPrivacyParticipant({
    service: 'tracking',
    kafka: deps.kafka,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction: pgTransactionRunner(deps.pool),
    store: deps.store,
    recipients: deps.recipients,
    handlers: {
      exportSubject: async (subjectId) => exportFiles(await exportSubject(deps.prisma, subjectId)),
      eraseSubject: async (subjectId, { sql }) => ({ counts: await eraseSubject(sql, subjectId) }),
    },
  });
}
