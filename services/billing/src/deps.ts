import {
  createPool,
  createPrincipalVerifier,
  createSecurityEvents,
  readPemFiles,
  type Logger,
  type Metrics,
  type PrincipalVerifier,
  type SecurityEvents,
} from '@tracking/kit';
import type pg from 'pg';
import type Stripe from 'stripe';

import { readStripeSecrets, type Config } from './config';
import { billingMetrics, type BillingMetrics } from './metrics';
import { priceBook, type PriceBook } from './plans';
import { rejectionAudit, type RejectionAudit } from './rejections';
import { createStripe } from './stripe';
import type { BillingPolicy } from './subscriptions';

/** What billing's transports and domain modules need; main.ts builds it once with createDeps. */
export interface Deps {
  pool: pg.Pool;
  stripe: Stripe;
  /** The webhook endpoint's signing secret: every delivery is verified with it. */
  webhookSecret: string;
  prices: PriceBook;
  policy: BillingPolicy;
  /** Checks the gateway's signed principal on every gRPC call. */
  principals: PrincipalVerifier;
  /** Where Checkout and the Customer Portal send the browser back to. */
  returnUrl: string;
  log: Logger;
  metrics: BillingMetrics;
  security: SecurityEvents;
  /** Refused webhook deliveries into the audit log, rate-limited. */
  rejections: RejectionAudit;
  /** The edge's addresses: the webhook path believes their X-Forwarded-For and X-Correlation-Id. */
  trustedProxies: string[];
}

/** The production wiring of Deps from configuration: the Stripe secrets are read and checked here. */
export async function createDeps(config: Config, log: Logger, metrics: Metrics): Promise<Deps> {
  const secrets = readStripeSecrets(config);
  const pool = createPool(config.DATABASE_URL, { max: 10, name: 'billing' });
  const billing = billingMetrics(metrics, pool);
  return {
    pool,
    stripe: createStripe(config, secrets),
    webhookSecret: secrets.webhookSecret,
    prices: priceBook(config),
    policy: {
      graceDays: config.BILLING_GRACE_DAYS,
      billingUrl: new URL('/billing', config.BILLING_PUBLIC_URL).toString(),
    },
    principals: await createPrincipalVerifier(readPemFiles(config.PRINCIPAL_PUBLIC_KEY_FILES), 'billing'),
    returnUrl: new URL('/billing', config.BILLING_PUBLIC_URL).toString(),
    log,
    metrics: billing,
    security: createSecurityEvents({ log, metrics }, ['billing.webhook.rejected']),
    rejections: rejectionAudit({
      pool,
      log,
      unrecorded: billing.rejectionsUnrecorded,
      perMinute: config.WEBHOOK_REJECTIONS_AUDITED_PER_MINUTE,
    }),
    trustedProxies: config.TRUSTED_PROXIES,
  };
}
