import { TOPICS } from '@tracking/contracts';
import {
  prismaExecutor,
  startConsumer,
  type Kafka,
  type Logger,
  type Metrics,
  type RunningConsumer,
  type TransactionRunner,
} from '@tracking/kit';

import { applyAiResult } from './ai-results';
import { asActor, type PrismaClient, type Tx } from './db';

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
