import { SECURITY_AUDIT_ACTIONS, TOPICS, type AuditEvent } from '@tracking/contracts';
import {
  currentContext,
  enqueue,
  newCorrelationId,
  newEvent,
  pgExecutor,
  runWithContext,
} from '@tracking/kit';
import type { Counter } from 'prom-client';
import type pg from 'pg';

import { BILLING_ACTOR } from './subscriptions';

const WINDOW_MS = 60_000;
/** The audit schema's limit on a user agent; a longer one would be refused by the audit log. */
const USER_AGENT_MAX = 512;

/** Records refused webhook deliveries in the audit log, at most `perMinute` of them a minute. */
export interface RejectionAudit {
  /** In the request's context (its correlation id, source address and user agent). */
  record(reason: string): Promise<void>;
  /** Writes the summary of the current minute now, if it left any out (at shutdown). */
  flush(): Promise<void>;
}

export interface RejectionAuditDeps {
  pool: pg.Pool;
  log: { error(fields: object, message: string): void };
  /** Rejections the limit left out of the audit log. */
  unrecorded: Pick<Counter, 'inc'>;
  perMinute: number;
  clock?: () => number;
}

/**
 * A forged or stale delivery to the webhook path is an audit entry (billing.webhook.rejected:
 * anonymous actor, subject `stripe_webhook` with the reason as its id, the source address and
 * the correlation id), written through the outbox. Anyone on the internet can send these, so
 * each replica records at most `perMinute` in a minute; the rest are counted in
 * billing_webhook_rejections_unrecorded_total, and a minute that left some out ends with one
 * billing.webhook.rejections_unrecorded entry saying how many. The log line and
 * billing_webhooks_total still see every one.
 */
export function rejectionAudit(deps: RejectionAuditDeps): RejectionAudit {
  const clock = deps.clock ?? Date.now;
  let windowStart = Number.NEGATIVE_INFINITY;
  let recorded = 0;
  let unrecorded = 0;
  let summary: NodeJS.Timeout | undefined;

  const write = async (action: string, subjectId: string) => {
    const context = currentContext();
    const data: AuditEvent = {
      action,
      subject: { type: 'stripe_webhook', id: subjectId },
      outcome: 'denied',
      sourceIp: context?.clientIp ?? null,
      userAgent: context?.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    };
    try {
      await enqueue(pgExecutor(deps.pool), [
        {
          topic: TOPICS.auditEvents,
          key: 'stripe_webhook',
          envelope: newEvent({ type: 'audit.recorded', actor: BILLING_ACTOR, data }),
        },
      ]);
    } catch (error) {
      // The delivery is refused either way; the log line and the counter still have it.
      deps.log.error(
        { err: error, event: 'billing.webhook.rejection_unaudited', action },
        'a webhook rejection could not be written to the audit outbox',
      );
    }
  };

  const flush = async () => {
    if (summary) clearTimeout(summary);
    summary = undefined;
    const count = unrecorded;
    unrecorded = 0;
    if (count === 0) return;
    await runWithContext({ correlationId: newCorrelationId() }, () =>
      write(SECURITY_AUDIT_ACTIONS.webhookRejectionsUnrecorded, String(count)),
    );
  };

  return {
    async record(reason) {
      const now = clock();
      if (now - windowStart >= WINDOW_MS) {
        await flush();
        windowStart = now;
        recorded = 0;
      }
      if (recorded < deps.perMinute) {
        recorded += 1;
        await write(SECURITY_AUDIT_ACTIONS.webhookRejected, reason);
        return;
      }
      unrecorded += 1;
      deps.unrecorded.inc();
      if (!summary) {
        summary = setTimeout(() => void flush(), Math.max(0, windowStart + WINDOW_MS - now));
        summary.unref();
      }
    },
    flush,
  };
}
