import { setTimeout as sleep } from 'node:timers/promises';

import {
  NOTIFICATION_REQUESTED,
  notificationRequestedSchema,
  TOPICS,
  type AuditEvent,
  type NotificationRequested,
} from '@tracking/contracts';
import {
  enqueue,
  newEvent,
  PoisonMessageError,
  type EventEnvelope,
  type Logger,
  type SqlExecutor,
} from '@tracking/kit';

import { addressDigest, logDigest } from './address';
import type { ContactDirectory } from './contacts';
import type { DlqReason, NotificationMetrics, Outcome } from './metrics';
import { renderMail } from './render';
import { classifySmtpError, type MailSender } from './smtp';

export interface DeliveryPolicy {
  /** The web app's origin: every link in a request must be on it. */
  appOrigin: string;
  recipientLimit: number;
  recipientWindowMs: number;
  retry: { firstDelayMs: number; maxDelayMs: number; giveUpMs: number };
}

export interface DeliveryDeps {
  contacts: ContactDirectory;
  sender: MailSender;
  metrics: NotificationMetrics;
  log: Logger;
  policy: DeliveryPolicy;
}

const ACTOR = { service: 'notifications', userId: null, role: null };

/** A request that must not be sent: it goes to notifications.dlq.v1 with the reason first in `dlq-error`. */
function deadLetter(deps: DeliveryDeps, reason: DlqReason, detail: string): PoisonMessageError {
  deps.metrics.deadLettered.inc({ reason });
  return new PoisonMessageError(`${reason}: ${detail}`);
}

/** Zod's complaint about a request, by field and message: never the values, which hold tokens. */
function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}

function parseRequest(deps: DeliveryDeps, event: EventEnvelope): NotificationRequested {
  if (event.type !== NOTIFICATION_REQUESTED) {
    throw deadLetter(deps, 'invalid_request', `event type ${event.type} is not ${NOTIFICATION_REQUESTED}`);
  }
  const parsed = notificationRequestedSchema.safeParse(event.data);
  if (!parsed.success) throw deadLetter(deps, 'invalid_request', describeIssues(parsed.error.issues));
  // Links come from the emitters; a link elsewhere than the app would make us a phishing relay.
  for (const [name, value] of Object.entries(parsed.data.params)) {
    if (
      typeof value === 'string' &&
      /^https?:/i.test(value) &&
      new URL(value).origin !== deps.policy.appOrigin
    ) {
      throw deadLetter(deps, 'link_outside_app', `params.${name} does not point at the web app`);
    }
  }
  return parsed.data;
}

/**
 * Runs `attempt` until it succeeds or `retryable` says no, with exponential backoff from the
 * first delay to the longest; after the give-up time the request is dead-lettered. The
 * consumer's transaction stays open meanwhile, so the event is neither marked processed nor
 * its offset committed: an outage delays mail but loses none.
 */
async function withRetries<T>(
  deps: DeliveryDeps,
  what: 'smtp' | 'contact_lookup',
  context: { eventId: string; template: string },
  attempt: () => Promise<T>,
  retryable: (error: unknown) => string | undefined,
): Promise<T> {
  const { firstDelayMs, maxDelayMs, giveUpMs } = deps.policy.retry;
  const started = Date.now();
  let delay = firstDelayMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const reason = retryable(error);
      if (reason === undefined) throw error;
      if (Date.now() - started + delay > giveUpMs) {
        throw deadLetter(deps, 'retries_exhausted', `${what} failed ${String(tries)} times, last: ${reason}`);
      }
      deps.metrics.retries.inc({ reason: what });
      deps.log.warn(
        { event: 'notification.retrying', ...context, failing: what, reason, attempt: tries, delayMs: delay },
        'delivery failed transiently; retrying',
      );
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}

async function record(
  sql: SqlExecutor,
  deps: DeliveryDeps,
  request: { eventId: string; template: string; digest: string | null },
  outcome: Outcome,
): Promise<void> {
  await sql.query(
    'INSERT INTO delivery (event_id, template, address_digest, outcome) VALUES ($1::uuid, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING',
    [request.eventId, request.template, request.digest, outcome],
  );
  deps.metrics.sent.inc({ template: request.template, outcome });
}

function suppressionAudit(subject: AuditEvent['subject']) {
  const data: AuditEvent = {
    action: 'notification.address_suppressed',
    subject,
    outcome: 'success',
    sourceIp: null,
    userAgent: null,
  };
  return {
    topic: TOPICS.auditEvents,
    key: subject.id,
    envelope: newEvent({ type: 'audit.recorded', actor: ACTOR, data }),
  };
}

/**
 * Handles one `notification.requested` event inside the consumer's transaction: validate, find
 * the address, skip it if suppressed or over its limit, render, send. Returns when the request
 * is done with (sent or recorded as not sent); throws PoisonMessageError to dead-letter it.
 */
export async function deliver(deps: DeliveryDeps, sql: SqlExecutor, event: EventEnvelope): Promise<Outcome> {
  const request = parseRequest(deps, event);
  const context = { eventId: event.id, template: request.template };

  let address: string;
  if ('email' in request.recipient) {
    address = request.recipient.email;
  } else {
    const { userId } = request.recipient;
    const contact = await withRetries(
      deps,
      'contact_lookup',
      context,
      () => deps.contacts.lookup(userId),
      // Auth down or slow: wait for it. A refusal (our credential is wrong) is retried too, so
      // fixing the Secret lets the backlog through instead of dead-lettering it.
      (error) => (error instanceof Error ? error.name : 'error'),
    );
    if (!contact) {
      // An account erased after the request was made: nobody to tell, and retrying cannot help.
      await record(sql, deps, { ...context, digest: null }, 'unknown_recipient');
      deps.log.info({ event: 'notification.unknown_recipient', ...context }, 'no such account; not sent');
      return 'unknown_recipient';
    }
    address = contact.email;
  }
  const digest = addressDigest(address);
  const entry = { ...context, digest };
  const recipient = logDigest(digest);

  const suppressed = await sql.query('SELECT 1 FROM suppression WHERE address_digest = $1', [digest]);
  if (suppressed.length > 0) {
    await record(sql, deps, entry, 'suppressed');
    deps.log.info(
      { event: 'notification.suppressed', ...context, recipient },
      'address is suppressed; not sent',
    );
    return 'suppressed';
  }

  // One replica at a time counts and sends for an address, so the limit holds across replicas.
  await sql.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [digest]);
  const [window] = await sql.query<{ sent: string }>(
    `SELECT count(*) AS sent FROM delivery
      WHERE address_digest = $1 AND outcome = 'sent' AND recorded_at > now() - $2 * interval '1 millisecond'`,
    [digest, deps.policy.recipientWindowMs],
  );
  if (Number(window?.sent ?? 0) >= deps.policy.recipientLimit) {
    await record(sql, deps, entry, 'throttled');
    deps.log.warn(
      { event: 'notification.throttled', ...context, recipient, limit: deps.policy.recipientLimit },
      'recipient over its limit; not sent',
    );
    return 'throttled';
  }

  const mail = await renderMail(request);
  const verdict = await withRetries(
    deps,
    'smtp',
    context,
    async () => {
      try {
        await deps.sender.send({ to: address, ...mail, eventId: event.id });
        return undefined;
      } catch (error) {
        const failure = classifySmtpError(error);
        if (failure.kind === 'retry')
          throw Object.assign(new Error(failure.reason), { smtpReason: failure.reason });
        return failure;
      }
    },
    (error) => (error instanceof Error && 'smtpReason' in error ? String(error.smtpReason) : undefined),
  );

  if (verdict?.kind === 'reject') {
    throw deadLetter(deps, 'smtp_rejected', `the server refused the message (${verdict.reason})`);
  }
  if (verdict?.kind === 'suppress') {
    await sql.query(
      'INSERT INTO suppression (address_digest, reason, event_id) VALUES ($1, $2, $3::uuid) ON CONFLICT (address_digest) DO NOTHING',
      [digest, verdict.reason.slice(0, 20), event.id],
    );
    const subject =
      'userId' in request.recipient
        ? { type: 'user', id: request.recipient.userId }
        : { type: 'email_address', id: digest };
    await enqueue(sql, [suppressionAudit(subject)]);
    await record(sql, deps, entry, 'bounced');
    deps.metrics.suppressed.inc();
    deps.log.warn(
      { event: 'notification.bounced', ...context, recipient, reply: verdict.reason },
      'permanent refusal; address suppressed',
    );
    return 'bounced';
  }

  await record(sql, deps, entry, 'sent');
  deps.log.info({ event: 'notification.sent', ...context, recipient }, 'notification sent');
  return 'sent';
}
