import { DomainError, type Logger } from '@tracking/kit';
import Stripe from 'stripe';

import type { Config, StripeSecrets } from './config';

/**
 * The API version every call and every webhook payload is read with. Pinned, not the account's
 * default, so a change in the Stripe dashboard cannot change the shapes this code parses; it is
 * the version the installed SDK's types describe (the SDK is pinned exactly in package.json).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

/** The event types billing acts on (the webhook endpoint's subscription); any other is acknowledged and ignored. */
export const HANDLED_EVENTS = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];
export type HandledStripeEvent = Extract<Stripe.Event, { type: HandledEvent }>;

export function isHandled(event: Stripe.Event): event is HandledStripeEvent {
  return (HANDLED_EVENTS as readonly string[]).includes(event.type);
}

/** The official SDK, pointed at Stripe (or, locally and in tests, at stripe-mock). */
export function createStripe(
  config: Pick<Config, 'STRIPE_API_URL' | 'STRIPE_TIMEOUT_MS'>,
  secrets: Pick<StripeSecrets, 'secretKey'>,
): Stripe {
  const url = new URL(config.STRIPE_API_URL);
  return new Stripe(secrets.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    maxNetworkRetries: 2,
    timeout: config.STRIPE_TIMEOUT_MS,
    telemetry: false,
    appInfo: { name: 'tracking-platform-billing' },
  });
}

/** The id of an expandable field, whether Stripe sent the id or the object. */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

/**
 * Stripe's failures as the caller should see them: its rate limit and outages are UNAVAILABLE
 * (try again); anything else is ours to fix and stays INTERNAL, logged here with Stripe's
 * request id but not shown.
 */
export async function callStripe<T>(log: Logger, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      log.error(
        {
          event: 'billing.stripe.failed',
          call: what,
          stripeType: error.type,
          stripeRequestId: error.requestId,
        },
        `Stripe ${what} failed`,
      );
      if (
        error instanceof Stripe.errors.StripeConnectionError ||
        error instanceof Stripe.errors.StripeRateLimitError ||
        error instanceof Stripe.errors.StripeAPIError
      ) {
        throw new DomainError('unavailable', 'the payment provider is not answering; try again shortly');
      }
    }
    throw error;
  }
}
