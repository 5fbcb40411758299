import Stripe from 'stripe';

import type { Config, StripeSecrets } from './config';

/**
 * The API version every call and every webhook payload is read with. Pinned, not the account's
 * default, so a change in the Stripe dashboard cannot change the shapes this code parses; it is
 * the version the installed SDK's types describe (the SDK is pinned exactly in package.json).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

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
