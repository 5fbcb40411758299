import type { Server } from 'node:http';

import {
  CORRELATION_HEADER,
  isCorrelationId,
  listen,
  newCorrelationId,
  runWithContext,
  type HttpTlsOptions,
  type RequestContext,
} from '@tracking/kit';
import express, { type NextFunction, type Request, type Response } from 'express';
import type Stripe from 'stripe';

import type { Deps } from './deps';
import { isHandled } from './stripe';
import { applyStripeEvent } from './webhook-events';

/** The one public path; the edge routes it here and nowhere else (docs/billing.md). */
export const WEBHOOK_PATH = '/webhooks/stripe';

/** Stripe events are far smaller; anything larger is refused before it is parsed. */
const BODY_LIMIT = '256kb';

/**
 * How long after a subscription starts its events still carry the checkout's correlation id
 * (from the metadata billing set on it), so that the checkout, its webhooks, the plan change and
 * auth applying it read as one story in the logs and the audit log. Later events (renewals,
 * failed payments) get a correlation id of their own.
 */
const CHECKOUT_STORY_SECONDS = 86_400;

type WebhookDeps = Pick<
  Deps,
  | 'stripe'
  | 'webhookSecret'
  | 'pool'
  | 'prices'
  | 'policy'
  | 'log'
  | 'metrics'
  | 'security'
  | 'rejections'
  | 'trustedProxies'
>;

/**
 * Why a delivery was refused, from the SDK's verification error; the counter and the security
 * event carry it, never the payload or the header.
 */
function rejectionReason(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/tolerance/i.test(message)) return 'stale_timestamp';
  if (/No signatures found/i.test(message)) return 'signature_mismatch';
  if (/Unable to extract|header/i.test(message)) return 'malformed_header';
  if (/JSON|Unexpected token/i.test(message)) return 'malformed_body';
  return 'unverifiable';
}

export function webhookApp(deps: WebhookDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip follows X-Forwarded-For only through the edge's addresses.
  app.set('trust proxy', deps.trustedProxies.length ? deps.trustedProxies : false);
  const fromTrustedProxy = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  /**
   * A refused delivery's context: the edge's correlation id (the one its answer carries) and the
   * client's address as the edge saw it, or a new id and the peer's address without a trusted edge.
   */
  const rejectionContext = (req: Request) => {
    const inbound = req.get(CORRELATION_HEADER);
    const trusted = fromTrustedProxy(req.socket.remoteAddress ?? '', 0);
    const context: RequestContext = {
      correlationId: trusted && isCorrelationId(inbound) ? inbound : newCorrelationId(),
      clientIp: req.ip,
      userAgent: req.get('user-agent'),
    };
    return context;
  };
  app.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: BODY_LIMIT }), (req, res) => {
    void receive(deps, req, res, rejectionContext(req));
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    const code = typeof status === 'number' && status >= 400 && status < 500 ? status : 400;
    deps.metrics.webhooks.inc({ type: 'unverified', outcome: 'rejected' });
    void runWithContext(rejectionContext(req), async () => {
      deps.security.record('billing.webhook.rejected', { reason: 'unreadable_body', status: code });
      await deps.rejections.record('unreadable_body');
      res.status(code).json({ error: 'unreadable_body' });
    });
  });
  return app;
}

export function startWebhookServer(
  deps: WebhookDeps,
  host: string,
  port: number,
  tls?: HttpTlsOptions,
): Promise<Server> {
  return listen(webhookApp(deps), host, port, tls);
}

async function receive(
  deps: WebhookDeps,
  req: Request,
  res: Response,
  rejection: RequestContext,
): Promise<void> {
  const signature = req.get('stripe-signature');
  let event: Stripe.Event;
  try {
    if (!Buffer.isBuffer(req.body)) throw new Error('Unable to extract the raw body');
    if (!signature) throw new Error('Unable to extract timestamp and signatures from header: none sent');
    // On the raw bytes, with the SDK's default tolerance of 300 s: never verifyHeader, whose
    // tolerance defaults to 0 and so skips the timestamp check.
    event = deps.stripe.webhooks.constructEvent(req.body, signature, deps.webhookSecret);
  } catch (error) {
    const reason = rejectionReason(error);
    deps.metrics.webhooks.inc({ type: 'unverified', outcome: 'rejected' });
    await runWithContext(rejection, async () => {
      deps.security.record(
        'billing.webhook.rejected',
        { reason },
        'Stripe webhook refused: not verifiably from Stripe',
      );
      await deps.rejections.record(reason);
    });
    res.status(400).json({ error: 'invalid_signature', reason });
    return;
  }
  const type = isHandled(event) ? event.type : 'other';
  await runWithContext({ correlationId: correlationOf(event) ?? newCorrelationId() }, async () => {
    try {
      const outcome = isHandled(event) ? await applyStripeEvent(deps, event) : 'ignored';
      deps.metrics.webhooks.inc({ type, outcome });
      deps.log.info(
        { event: 'billing.webhook.received', stripeEventId: event.id, type: event.type, outcome },
        'Stripe webhook handled',
      );
      res.status(200).json({ received: true, outcome });
    } catch (error) {
      deps.metrics.webhooks.inc({ type, outcome: 'failed' });
      deps.log.error(
        { err: error, event: 'billing.webhook.failed', stripeEventId: event.id, type: event.type },
        'Stripe webhook not applied; Stripe will deliver it again',
      );
      res.status(500).json({ error: 'not_applied' });
    }
  });
}

/** The checkout's correlation id, for the events that are part of the checkout's story. */
function correlationOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as {
    object?: string;
    created?: number;
    metadata?: Record<string, string> | null;
  };
  const fromMetadata = object.metadata?.correlation_id;
  if (!isCorrelationId(fromMetadata)) return undefined;
  if (object.object === 'checkout.session') return fromMetadata;
  if (object.object === 'subscription' && typeof object.created === 'number') {
    return event.created - object.created <= CHECKOUT_STORY_SECONDS ? fromMetadata : undefined;
  }
  return undefined;
}
