import {
  baseConfig,
  databaseConfig,
  grpcServerTlsConfig,
  kafkaConfig,
  keyringEnvSchema,
  loadConfig,
  pemFileList,
  port,
} from '@tracking/kit';
import { exportStoreConfig, type ExportStoreConfig } from '@tracking/kit/privacy';
import { z } from 'zod';

import type { AuthPolicy } from './policy';

const minutes = (fallback: number) =>
  z.coerce
    .number()
    .positive()
    .max(60 * 24 * 365)
    .default(fallback)
    .transform((value) => value * 60_000);

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  // EXPORT_S3_* and PRIVACY_EXPORT_RECIPIENT: where auth writes its part of a person's export.
  // Required by the service (main.ts, privacyExportStore); the seed and bootstrap CLIs take no part.
  .extend(exportStoreConfig.partial({ EXPORT_S3_BUCKET: true, PRIVACY_EXPORT_RECIPIENT: true }).shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15051),
    /** Base of the links in mails. */
    PUBLIC_BASE_URL: z.url().default('http://localhost:8080'),
    TOTP_ISSUER: z.string().min(1).max(40).default('Tracking'),
    // Session lifetimes (docs/auth.md). Privileged roles get the shorter defaults the
    // security page promises; clients, on their own phones, a longer idle time.
    SESSION_IDLE_MINUTES_CLIENT: minutes(24 * 60),
    SESSION_ABSOLUTE_MINUTES_CLIENT: minutes(14 * 24 * 60),
    SESSION_IDLE_MINUTES_TRAINER: minutes(30),
    SESSION_ABSOLUTE_MINUTES_TRAINER: minutes(12 * 60),
    SESSION_IDLE_MINUTES_ADMIN: minutes(30),
    SESSION_ABSOLUTE_MINUTES_ADMIN: minutes(12 * 60),
    /** Failed attempts per email (and per account's second factor) before the first pause. */
    THROTTLE_FREE_FAILURES: z.coerce.number().int().min(1).max(20).default(5),
    /** Failed attempts per source address, across accounts, before the first pause. */
    THROTTLE_IP_FREE_FAILURES: z.coerce.number().int().min(1).max(1000).default(30),
    /**
     * A mounted Secret: the credential the notifications service presents to GetContact
     * (docs/notifications.md). Unset: GetContact refuses every caller.
     */
    CONTACT_LOOKUP_TOKEN_FILE: z.string().min(1).optional(),
    /**
     * The gateway's public keys: the client address and user agent behind a call (login
     * throttle, sessions, devices) are believed only when the gateway signed them (docs/principal.md).
     * Required by the service (main.ts); the seed and bootstrap CLIs serve no calls.
     */
    PRINCIPAL_PUBLIC_KEY_FILES: pemFileList.optional(),
    // The retention job (retention-cli.ts, docs/privacy.md "Retention"): how long auth keeps an
    // ended session in the person's session list, a spent link's digest, and a known device.
    RETENTION_ENDED_SESSIONS_DAYS: z.coerce.number().int().min(0).max(365).default(30),
    RETENTION_SPENT_TOKENS_DAYS: z.coerce.number().int().min(0).max(90).default(7),
    RETENTION_DEVICE_DAYS: z.coerce.number().int().min(30).max(730).default(365),
  })
  // ENCRYPTION_KEYS / ENCRYPTION_ACTIVE_KEY_ID: wrap the TOTP secrets.
  .and(keyringEnvSchema)
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (<db>_app);
  // migrations run separately as <db>_migrator.
  .and(databaseConfig)
  .and(grpcServerTlsConfig);

export type Config = z.infer<typeof configSchema>;

/** The export store's settings, which the service (not the CLIs) cannot run without. */
export function privacyExportStore(config: Config): ExportStoreConfig {
  const { EXPORT_S3_BUCKET, PRIVACY_EXPORT_RECIPIENT } = config;
  if (!EXPORT_S3_BUCKET || !PRIVACY_EXPORT_RECIPIENT) {
    throw new Error(
      'EXPORT_S3_BUCKET and PRIVACY_EXPORT_RECIPIENT are required: auth writes its part of every data export',
    );
  }
  return { ...config, EXPORT_S3_BUCKET, PRIVACY_EXPORT_RECIPIENT };
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}

export function policyOf(config: Config): AuthPolicy {
  const pause = { baseLockMs: 30_000, maxLockMs: 3600_000 };
  return {
    sessions: {
      idleMs: {
        client: config.SESSION_IDLE_MINUTES_CLIENT,
        trainer: config.SESSION_IDLE_MINUTES_TRAINER,
        admin: config.SESSION_IDLE_MINUTES_ADMIN,
      },
      absoluteMs: {
        client: config.SESSION_ABSOLUTE_MINUTES_CLIENT,
        trainer: config.SESSION_ABSOLUTE_MINUTES_TRAINER,
        admin: config.SESSION_ABSOLUTE_MINUTES_ADMIN,
      },
    },
    throttle: {
      // A run of failures is forgotten a day after its last failure, so pauses compound
      // across a slow attack; the 100th consecutive failure needs a password reset.
      login: {
        freeFailures: config.THROTTLE_FREE_FAILURES,
        ...pause,
        resetAfterMs: 24 * 3600_000,
        hardLockAfter: 100,
      },
      mfa: {
        freeFailures: config.THROTTLE_FREE_FAILURES,
        ...pause,
        resetAfterMs: 24 * 3600_000,
        hardLockAfter: 100,
      },
      ip: { freeFailures: config.THROTTLE_IP_FREE_FAILURES, ...pause, resetAfterMs: 3600_000 },
    },
    publicBaseUrl: config.PUBLIC_BASE_URL.replace(/\/$/, ''),
    totpIssuer: config.TOTP_ISSUER,
  };
}
