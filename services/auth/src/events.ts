import { planChangedSchema, TOPICS } from '@tracking/contracts';
import {
  PoisonMessageError,
  prismaTransactionRunner,
  startConsumer,
  type Kafka,
  type Logger,
  type Metrics,
  type RunningConsumer,
} from '@tracking/kit';

import { PRIVACY_TRANSACTION, startPrivacyParticipant, type ObjectStore } from '@tracking/kit/privacy';

import type { PrismaClient } from './db';
import type { Deps, Tx } from './deps';
import { beginErasure, eraseAccount } from './privacy/erasure';
import { exportSubject } from './privacy/export';
import { applyPlanChange } from './user-plan';

export const PLAN_DLQ = 'auth.plan-dlq.v1';

/**
 * Keeps each account's plan in step with billing, for the MFA policy (rbac.ts). Billing keys
 * the events by user id, so one user's changes arrive in order; an unknown user or a malformed
 * body is a poison message and goes to the DLQ.
 */
export function startPlanConsumer(deps: {
  kafka: Kafka;
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
  groupId: string;
  topicPrefix: string;
}): Promise<RunningConsumer> {
  return startConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topics: [TOPICS.billingPlan],
    dlqTopic: PLAN_DLQ,
    topicPrefix: deps.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    transaction: prismaTransactionRunner<Tx>(deps.prisma),
    async handle(event, tx) {
      if (event.type !== 'billing.plan.changed') return;
      const parsed = planChangedSchema.safeParse(event.data);
      if (!parsed.success)
        throw new PoisonMessageError('billing.plan.changed body does not match its schema');
      const { userId, newPlan } = parsed.data;
      if (!(await applyPlanChange(tx, parsed.data))) {
        throw new PoisonMessageError('billing.plan.changed for an unknown user');
      }
      deps.log.info({ event: 'auth.plan.applied', userId, plan: newPlan }, 'plan applied to the MFA policy');
    },
  });
}

/**
 * Auth's part in the privacy sagas (src/privacy/): the kit's participant runtime answers each
 * export request with auth's files, and the erasure's phase 2 (auth alone, after every other
 * service has erased the person) by deleting the account. Both run in the runtime's Prisma
 * transaction, which also records the request as processed and writes the answer to the outbox.
 */
export function startPrivacyConsumer(
  deps: Deps,
  options: { kafka: Kafka; store: ObjectStore; recipients: readonly string[]; topicPrefix: string },
): Promise<RunningConsumer> {
  return startPrivacyParticipant<Tx>({
    service: 'auth',
    kafka: options.kafka,
    topicPrefix: options.topicPrefix,
    log: deps.log,
    metrics: deps.metrics,
    // An export writes its files to the object store inside the transaction: more than Prisma's 5 s.
    transaction: prismaTransactionRunner<Tx>(deps.prisma, PRIVACY_TRANSACTION),
    store: options.store,
    recipients: options.recipients,
    handlers: {
      exportSubject: (subjectId, { tx }) => exportSubject(tx, subjectId),
      eraseSubject: async (subjectId, { tx }) => ({ counts: await eraseAccount(deps, tx, subjectId) }),
      // Phase 1 is the other services' to answer; auth ends the sessions and refuses sign-in.
      onOtherPhase: (subjectId, { tx, request }) => beginErasure(deps, tx, subjectId, request.erasingSince),
    },
  });
}
