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
import { PRIVACY_TRANSACTION, startPrivacyParticipant, type ObjectStore } from '@tracking/kit/privacy';

import type { PrismaClient } from './db';
import type { Prisma } from './generated/prisma/client';
import { appendEntries, appendEntry } from './entries';
import { eraseSubject, exportFiles, exportSubject } from './privacy';

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

/**
 * The audit log's part in the privacy sagas (src/privacy.ts): the kit's participant runtime
 * answers each export and erasure request in one Prisma transaction, whose erasure entry, answer
 * and processed event commit together. An export of a long history reads and uploads more than
 * Prisma's default 5 s allow, so the transaction gets a minute.
 */
export function startPrivacyConsumer(deps: {
  kafka: Kafka;
  prisma: PrismaClient;
  kek: Keyring;
  store: ObjectStore;
  recipients: readonly string[];
  log: Logger;
  metrics: Metrics;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startPrivacyParticipant<Prisma.TransactionClient>({
    service: 'audit',
    kafka: deps.kafka,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    // An export writes its files to the object store inside the transaction: more than Prisma's 5 s.
    transaction: prismaTransactionRunner<Prisma.TransactionClient>(deps.prisma, PRIVACY_TRANSACTION),
    store: deps.store,
    recipients: deps.recipients,
    handlers: {
      exportSubject: async (subjectId, { tx }) => exportFiles(await exportSubject(tx, deps.kek, subjectId)),
      eraseSubject: async (subjectId, { tx, sql }) => ({
        counts: await eraseSubject(tx, sql, deps.kek, subjectId),
      }),
    },
  });
}
