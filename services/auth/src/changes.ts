import { TOPICS, type AuditEvent } from '@tracking/contracts';
import { currentContext, enqueue, newEvent, prismaExecutor, type Actor } from '@tracking/kit';

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
