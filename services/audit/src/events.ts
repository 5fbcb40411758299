import { TOPICS } from '@tracking/contracts';
import {
  prismaTransactionRunner,
  startConsumer,
  type EventEnvelope,
  type Kafka,
  type Keyring,
  type Logger,
  type Metrics,
  type RunningConsumer,
} from '@tracking/kit';

import type { PrismaClient } from './db';
import type { Prisma } from './generated/prisma/client';
import { appendEntries, appendEntry } from './entries';

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
  /** Most events appended per transaction. */
  batchSize?: number;
}): Promise<RunningConsumer> {
  // Logged once the transaction has the entry; in a batch, before it commits, as for one event.
  const recorded = (event: EventEnvelope, sequence: bigint) =>
    deps.log.info(
      {
        event: 'audit.recorded',
        eventId: event.id,
        action: (event.data as { action: string }).action,
        sequence: sequence.toString(),
      },
      'audit entry recorded',
    );
  return startConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [TOPICS.auditEvents],
    dlqTopic: AUDIT_DLQ,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction: prismaTransactionRunner<Prisma.TransactionClient>(deps.prisma),
    // One event at a time: the fallback when a batch fails, so a poison event is isolated.
    async handle(event, tx) {
      const { sequence } = await appendEntry(tx, event, deps.kek);
      recorded(event, sequence);
    },
    // Normally a whole chunk of a Kafka batch: one lock, one head read, one INSERT.
    async handleBatch(items, tx) {
      const appended = await appendEntries(
        tx,
        items.map(({ event }) => event),
        deps.kek,
      );
      items.forEach((item, index) => {
        const sequence = appended[index]?.sequence;
        if (sequence !== undefined) item.inContext(() => recorded(item.event, sequence));
      });
    },
    batchSize: deps.batchSize,
  });
}
