import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

import {
  baseConfig,
  ConfigError,
  databaseConfig,
  grpcServerTlsConfig,
  httpServingConfig,
  kafkaConfig,
  loadConfig,
  pemFileList,
  port,
} from '@tracking/kit';
import { exportStoreConfig } from '@tracking/kit/privacy';
import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https://, or http:// on loopback only (a local Stripe stand-in such as stripe-mock). */
const serviceUrl = z.url({ protocol: /^https?$/ }).refine(
  (value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname);
  },
  { message: 'must be an https:// URL (http:// only on loopback)' },
);

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** IPs or CIDRs, comma-separated. */
const addressList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .refine((value) => isIP(value.split('/')[0] ?? '') !== 0, { message: 'must be an IP or CIDR' }),
    ),
  );

const priceId = z
  .string()
  .regex(/^price_[A-Za-z0-9]{1,250}$/, { message: 'must be a Stripe price id (price_...)' });

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  // EXPORT_S3_* and PRIVACY_EXPORT_RECIPIENT: where billing writes its part of a person's export.
  .extend(exportStoreConfig.shape)
  // HTTP_ALLOW_PLAINTEXT: the webhook port serves TLS to the edge alone unless it is set (docs/edge.md).
  .extend(httpServingConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15059),
    /** The one public path, POST /webhooks/stripe, which the edge routes here directly. */
    WEBHOOK_PORT: port(8089),
    /**
     * The edge's addresses (IPs or CIDRs): only from them does the webhook path believe
     * X-Forwarded-For (the source address in the audit log) and X-Correlation-Id. Empty: the
     * peer's own address and a new correlation id.
     */
    TRUSTED_PROXIES: addressList,
    /** Refused webhook deliveries recorded in the audit log per minute; the rest are counted and summarised. */
    WEBHOOK_REJECTIONS_AUDITED_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(30),
    /** The gateway's public keys: every gRPC call needs its signed principal (docs/principal.md). */
    PRINCIPAL_PUBLIC_KEY_FILES: pemFileList,
    /** A mounted secret holding the Stripe secret (or restricted) key; STRIPE_SECRET_KEY may stand in locally. */
    STRIPE_SECRET_KEY_FILE: optionalText,
    STRIPE_SECRET_KEY: optionalText,
    /** The webhook endpoint's signing secret (whsec_...), likewise. */
    STRIPE_WEBHOOK_SECRET_FILE: optionalText,
    STRIPE_WEBHOOK_SECRET: optionalText,
    /** Where the Stripe SDK sends API calls: Stripe itself, or a local stand-in in development and tests. */
    STRIPE_API_URL: serviceUrl.default('https://api.stripe.com'),
    /** The price each paid plan is sold at: Stripe price ids, per environment (docs/billing.md). */
    STRIPE_PRICE_PRO: priceId,
    STRIPE_PRICE_TEAM: priceId,
    /** The app's public address: Checkout and the Customer Portal return the browser here. */
    BILLING_PUBLIC_URL: serviceUrl,
    /** After a failed payment, how long the paid plan stays in force before access drops to free. */
    BILLING_GRACE_DAYS: z.coerce.number().min(0).max(60).default(7),
    /** How often ended grace periods are looked for. */
    DUNNING_SWEEP_MS: z.coerce.number().int().min(1_000).default(60_000),
    /** One Stripe API call's timeout; the SDK retries network errors and 409/429/5xx twice. */
    STRIPE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(80_000).default(10_000),
    /**
     * How long a published outbox row stays. Its events name the user (plan changes, mail, audit),
     * so by default it goes in the transaction that publishes it, and an erasure leaves none behind;
     * a test that reads what billing published from the table keeps them (at most a day).
     */
    OUTBOX_RETAIN_SENT_MS: z.coerce.number().int().min(0).max(86_400_000).default(0),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (<db>_app):
  // customers, subscriptions, processed webhook ids and the outbox.
  .and(databaseConfig)
  .and(grpcServerTlsConfig)
  .superRefine((config, context) => {
    const settings = config as Partial<typeof config> | undefined;
    for (const [file, value] of [
      ['STRIPE_SECRET_KEY_FILE', 'STRIPE_SECRET_KEY'],
      ['STRIPE_WEBHOOK_SECRET_FILE', 'STRIPE_WEBHOOK_SECRET'],
    ] as const) {
      if (!settings?.[file] && !settings?.[value]) {
        context.addIssue({ code: 'custom', path: [file], message: `is required (or ${value})` });
      }
    }
    if (settings?.STRIPE_PRICE_PRO && settings.STRIPE_PRICE_PRO === settings.STRIPE_PRICE_TEAM) {
      context.addIssue({
        code: 'custom',
        path: ['STRIPE_PRICE_TEAM'],
        message: 'must differ from STRIPE_PRICE_PRO',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}

export interface StripeSecrets {
  secretKey: string;
  webhookSecret: string;
}

/**
 * The two Stripe secrets, from their mounted files (or the environment), checked for shape so
 * that a swapped or truncated secret stops the service at start-up. The values are never
 * echoed: an error names the setting only.
 */
export function readStripeSecrets(config: Config): StripeSecrets {
  const read = (file: string | undefined, value: string | undefined) =>
    file ? readFileSync(file, 'utf8').trim() : (value ?? '');
  const secretKey = read(config.STRIPE_SECRET_KEY_FILE, config.STRIPE_SECRET_KEY);
  const webhookSecret = read(config.STRIPE_WEBHOOK_SECRET_FILE, config.STRIPE_WEBHOOK_SECRET);
  const issues: string[] = [];
  if (!/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/.test(secretKey)) {
    issues.push('STRIPE_SECRET_KEY_FILE: must hold a Stripe secret or restricted key (sk_... or rk_...)');
  }
  if (!/^whsec_[A-Za-z0-9+/=]{8,}$/.test(webhookSecret)) {
    issues.push('STRIPE_WEBHOOK_SECRET_FILE: must hold a webhook signing secret (whsec_...)');
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { secretKey, webhookSecret };
}
