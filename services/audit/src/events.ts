import {
  prismaTransactionRunner,
  startConsumer,
  TOPICS,
  type Kafka,
  type Keyring,
  type Logger,
  type Metrics,
  type RunningConsumer,
} from '@tracking/kit';

import type { PrismaClient } from './db';
import type { Prisma } from './generated/prisma/client';
import { appendEntry } from './entries';

export const AUDIT_DLQ = 'audit.dlq.v1';

/** Consumes every service's audit events from the one audit topic into the log. */
export function startAuditConsumer(deps: {
  kafka: Kafka;
  prisma: PrismaClient;
  /** Wraps the per-subject keys that seal personal fields. */
  kek: Keyring;
  log: Logger;
  metrics: Metrics;
  groupId: string;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [TOPICS.auditEvents],
    dlqTopic: AUDIT_DLQ,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction: prismaTransactionRunner<Prisma.TransactionClient>(deps.prisma),
    async handle(event, tx) {
      const { sequence } = await appendEntry(tx, event, deps.kek);
      deps.log.info(
        {
          event: 'audit.recorded',
          eventId: event.id,
          action: (event.data as { action: string }).action,
          sequence: sequence.toString(),
        },
        'audit entry recorded',
      );
    },
  });
}
