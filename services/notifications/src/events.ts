import { TOPICS } from '@tracking/contracts';
import {
  pgExecutor,
  pgTransactionRunner,
  startConsumer,
  type Kafka,
  type Metrics,
  type RunningConsumer,
} from '@tracking/kit';
import type pg from 'pg';

import { deliver, type DeliveryDeps } from './deliver';

/**
 * Consumes `notifications.requested.v1` with the kit's idempotent consumer: the event id is
 * recorded in the transaction that sends, so each request is sent at most once per successful
 * commit, and a request that cannot be sent goes to `notifications.dlq.v1`.
 */
export function startNotificationConsumer(options: {
  kafka: Kafka;
  pool: pg.Pool;
  deps: DeliveryDeps;
  metrics: Metrics;
  groupId: string;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startConsumer({
    kafka: options.kafka,
    groupId: options.groupId,
    topics: [TOPICS.notificationsRequested],
    dlqTopic: TOPICS.notificationsDlq,
    topicPrefix: options.topicPrefix,
    log: options.deps.log,
    metrics: options.metrics,
    transaction: pgTransactionRunner(options.pool),
    async handle(event, tx) {
      await deliver(options.deps, pgExecutor(tx), event);
    },
  });
}
