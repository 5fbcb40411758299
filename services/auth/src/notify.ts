import {
  NOTIFICATION_REQUESTED,
  notificationRequest,
  TOPICS,
  type NotificationParams,
  type NotificationRecipient,
  type NotificationTemplate,
} from '@tracking/contracts';
import { enqueue, newEvent, prismaExecutor } from '@tracking/kit';

import type { Deps, Tx } from './deps';
import { emailDigest } from './tokens';

/**
 * Auth's outbox deletes each row as soon as Kafka has it, instead of keeping sent rows for a
 * week: `notification.requested` rows carry live single-use links (reset, email change, "this
 * wasn't me"), which must not sit at rest in the database or its backups. Kafka keeps them
 * three days, readable only by the notifications service (topics.json).
 */
export const OUTBOX_RETAIN_SENT_MS = 0;

/**
 * Asks the notifications service to mail someone, in the caller's transaction: the message
 * exists exactly when the change it tells of was committed, and a crash between the two is
 * impossible. The parameters are checked against the template's schema here, so a bad
 * request fails the change instead of dead-lettering later. Keyed by the recipient (user id,
 * or a digest of the address), so one person's messages stay in order.
 */
export async function notify<T extends NotificationTemplate>(
  tx: Tx,
  template: T,
  recipient: NotificationRecipient,
  params: NotificationParams<T>,
  occurredAt: Date,
): Promise<void> {
  const body = notificationRequest(template, recipient, params);
  const key = 'userId' in recipient ? recipient.userId : emailDigest(recipient.email);
  await enqueue(prismaExecutor(tx), [
    {
      topic: TOPICS.notificationsRequested,
      key,
      envelope: newEvent({
        type: NOTIFICATION_REQUESTED,
        actor: { service: 'auth', userId: null, role: null },
        data: body,
        occurredAt,
      }),
    },
  ]);
}

/** A page of the web app, with a single-use token in the fragment (never sent to a server's logs). */
export function appLink(deps: Pick<Deps, 'policy'>, path: string, token?: string): string {
  return `${deps.policy.publicBaseUrl}${path}${token ? `#token=${token}` : ''}`;
}

/** The notices that only say "this happened to your account" and point at its security page. */
export async function securityNotice(
  deps: Pick<Deps, 'policy'>,
  tx: Tx,
  template: 'mfa_enabled' | 'mfa_disabled' | 'recovery_codes_regenerated' | 'totp_code_replayed',
  userId: string,
  at: Date,
): Promise<void> {
  await notify(tx, template, { userId }, { at: at.toISOString(), securityUrl: securityUrl(deps) }, at);
}

export const securityUrl = (deps: Pick<Deps, 'policy'>) => appLink(deps, '/account/security');
