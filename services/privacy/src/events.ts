import { PRIVACY_TOPICS } from '@tracking/contracts';
import {
  pgExecutor,
  pgTransactionRunner,
  startConsumer,
  type Kafka,
  type Metrics,
  type RunningConsumer,
} from '@tracking/kit';

import type { PrivacyDeps } from './requests';
import { applyStepAnswer } from './saga';

/** The dead-letter topic for answers that can never be applied (docs/privacy.md). */
export const PRIVACY_DLQ_TOPIC = 'privacy.dlq.v1';

/**
 * Consumes the participants' answers on `privacy.step.v1` with the kit's idempotent consumer:
 * each answer is applied in the transaction that records its event id. When an export's last
 * part is in, `onAssemble` wakes the saga timer so the ZIP is built at once, not on the next tick.
 */
export function startStepConsumer(options: {
  kafka: Kafka;
  deps: PrivacyDeps;
  metrics: Metrics;
  groupId: string;
  topicPrefix: string;
  onAssemble: () => void;
}): Promise<RunningConsumer> {
  return startConsumer({
    kafka: options.kafka,
    groupId: options.groupId,
    topics: [PRIVACY_TOPICS.step],
    dlqTopic: PRIVACY_DLQ_TOPIC,
    topicPrefix: options.topicPrefix,
    log: options.deps.log,
    metrics: options.metrics,
    transaction: pgTransactionRunner(options.deps.pool),
    async handle(event, tx) {
      const { assemble } = await applyStepAnswer(options.deps, pgExecutor(tx), event);
      // Runs after this transaction has committed (the timer waits a moment), so it sees the state.
      if (assemble) options.onAssemble();
    },
  });
}
