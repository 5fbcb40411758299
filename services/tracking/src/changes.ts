/*
 * How a domain change leaves the service: its audit event, and its domain event if any, written to
 * the outbox in the same transaction as the change (the relay in main.ts publishes them).
 */

import { createHash } from 'node:crypto';

import {
  NOTIFICATION_REQUESTED,
  notificationRequest,
  TOPICS,
  type AuditEvent,
  type NotificationParams,
  type NotificationRecipient,
  type NotificationTemplate,
} from '@tracking/contracts';
import {
  currentContext,
  enqueue,
  newEvent,
  prismaExecutor,
  type OutgoingEvent,
  type Principal,
} from '@tracking/kit';

import type { Tx } from './db';

export interface Change {
  /** The audit action, e.g. tracking.meal.logged. */
  action: string;
  subject: {
    type: 'meal' | 'metric' | 'goals' | 'link' | 'comment' | 'review' | 'support_access';
    id: string;
  };
  /** The client whose data this is: the audit entry's tenant. */
  clientId: string | null;
  outcome?: AuditEvent['outcome'];
  /** A domain event for another service, beside the audit event. */
  event?: { topic: string; key: string; data: Record<string, unknown> };
}

/**
 * Writes a change's audit event (and its domain event, if any) to the outbox in the caller's
 * transaction, so both leave if and only if the change commits. The audit event names the actor,
 * the subject and the client; never meal text, notes or comments.
 */
export async function record(tx: Tx, principal: Principal, change: Change): Promise<void> {
  const context = currentContext();
  const actor = { service: 'tracking', userId: principal.userId, role: principal.role };
  const audit: AuditEvent = {
    action: change.action,
    subject: change.subject,
    outcome: change.outcome ?? 'success',
    sourceIp: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
  };
  const events: OutgoingEvent[] = [
    {
      topic: TOPICS.auditEvents,
      key: change.subject.id,
      envelope: newEvent({ type: 'audit.recorded', actor, tenant: change.clientId, data: audit }),
    },
  ];
  if (change.event) {
    events.push({
      topic: change.event.topic,
      key: change.event.key,
      envelope: newEvent({ type: change.action, actor, tenant: change.clientId, data: change.event.data }),
    });
  }
  await enqueue(prismaExecutor(tx), events);
}

/**
 * Asks the notifications service to mail someone about a change, in the change's transaction
 * (docs/notifications.md). Keyed by the recipient, so one person's mail stays in order; an
 * address is keyed by its digest, never the address itself.
 */
export async function notify<T extends NotificationTemplate>(
  tx: Tx,
  principal: Principal,
  template: T,
  recipient: NotificationRecipient,
  params: NotificationParams<T>,
): Promise<void> {
  const key =
    'userId' in recipient
      ? recipient.userId
      : createHash('sha256').update(`email:${recipient.email}`, 'utf8').digest('hex').slice(0, 40);
  await enqueue(prismaExecutor(tx), [
    {
      topic: TOPICS.notificationsRequested,
      key,
      envelope: newEvent({
        type: NOTIFICATION_REQUESTED,
        actor: { service: 'tracking', userId: principal.userId, role: principal.role },
        data: notificationRequest(template, recipient, params),
      }),
    },
  ]);
}
