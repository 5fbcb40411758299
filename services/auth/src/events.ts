import {
  currentContext,
  enqueue,
  newEvent,
  planChangedSchema,
  PoisonMessageError,
  prismaExecutor,
  prismaTransactionRunner,
  startConsumer,
  TOPICS,
  type Actor,
  type AuditEvent,
  type Kafka,
  type Logger,
  type Metrics,
  type RunningConsumer,
} from '@tracking/kit';

import type { PrismaClient } from './db';
import type { Tx } from './deps';
import type { Role } from './rbac';

export interface AuthEventSpec {
  topic: (typeof TOPICS)['authUser' | 'authSession' | 'authMfa'];
  /** e.g. auth.login.failed; also the audit action. */
  type: string;
  actor: { userId: string | null; role: Role | null };
  subject: { type: 'user' | 'email'; id: string };
  outcome: AuditEvent['outcome'];
  /** Event body: ids, roles, reasons, counts. Never a password, code, token or secret. */
  data: Record<string, unknown>;
  occurredAt: Date;
}

/**
 * Writes a state change's event and its audit event to the outbox, in the caller's
 * transaction. Each carries the actor, subject, correlation id and time; the audit event also
 * carries the source IP and user agent (which the audit service seals per person).
 */
export async function emit(tx: Tx, spec: AuthEventSpec): Promise<void> {
  const context = currentContext();
  const actor: Actor = { service: 'auth', userId: spec.actor.userId, role: spec.actor.role };
  const audit: AuditEvent = {
    action: spec.type,
    subject: spec.subject,
    outcome: spec.outcome,
    sourceIp: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
  };
  const key = spec.subject.id;
  await enqueue(prismaExecutor(tx), [
    {
      topic: spec.topic,
      key,
      envelope: newEvent({
        type: spec.type,
        actor,
        data: { subject: spec.subject, ...spec.data },
        occurredAt: spec.occurredAt,
      }),
    },
    {
      topic: TOPICS.auditEvents,
      key,
      envelope: newEvent({ type: 'audit.recorded', actor, data: audit, occurredAt: spec.occurredAt }),
    },
  ]);
}

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
      const { userId, oldPlan, newPlan } = parsed.data;
      const { count } = await tx.user.updateMany({ where: { id: userId }, data: { plan: newPlan } });
      if (count === 0) throw new PoisonMessageError('billing.plan.changed for an unknown user');
      // Audited under the plan change's correlation id: the checkout, the webhooks, billing's
      // announcement and this step read as one story in the audit log.
      await emit(tx, {
        topic: TOPICS.authUser,
        type: 'auth.user.plan_changed',
        actor: { userId: null, role: null },
        subject: { type: 'user', id: userId },
        outcome: 'success',
        data: { oldPlan, newPlan },
        occurredAt: new Date(),
      });
      deps.log.info({ event: 'auth.plan.applied', userId, plan: newPlan }, 'plan applied to the MFA policy');
    },
  });
}
