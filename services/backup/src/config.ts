import {
  baseConfig,
  commaList,
  databaseConfig,
  DATABASE_TLS_REQUIRED,
  grpcServerTlsConfig,
  kafkaConfig,
  loadConfig,
  pemFileList,
  port,
  postgresUrl,
  verifiedPostgresUrl,
} from '@tracking/kit';
import { z } from 'zod';

import { parseRetention } from './retention';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const booleanText = z.enum(['true', 'false']).transform((value) => value === 'true');

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15061),
    OPS_PORT: port(9111),

    /** The S3 API's base URL; unset for AWS S3 itself (the region's endpoint). */
    S3_ENDPOINT: optionalText.pipe(z.url().optional()),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name' }),
    /** Prepended to every key, e.g. `prod/`; lets tests share one bucket. */
    S3_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, { message: 'must be empty or end with /' })
      .default(''),
    /** Path-style URLs (bucket in the path): what versitygw, MinIO and most non-AWS servers want. */
    S3_FORCE_PATH_STYLE: booleanText.default(true),
    /** A mounted secret with the files access-key-id and secret-access-key. */
    S3_CREDENTIALS_DIR: optionalText,
    /** Stand-ins for S3_CREDENTIALS_DIR on a developer's machine; neither: the SDK's default chain. */
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_SECRET_ACCESS_KEY: optionalText,
    /** Server-side encryption asked for on every PUT, on top of ours; `none` only for a server that rejects it. */
    S3_SSE: z.enum(['AES256', 'aws:kms', 'none']).default('AES256'),
    S3_SSE_KMS_KEY_ID: optionalText,
    /** Multipart upload: part size and parts in flight (memory is about their product). */
    S3_PART_BYTES: z.coerce
      .number()
      .int()
      .min(5 * 1024 * 1024)
      .default(8 * 1024 * 1024),
    S3_QUEUE_SIZE: z.coerce.number().int().min(1).max(16).default(4),

    /** A mounted secret: one file per key-encryption key, named by its key id, holding base64 of 32 bytes. */
    BACKUP_KEK_DIR: z.string().min(1),
    /** The key id that wraps new backups' data keys. */
    BACKUP_KEK_ACTIVE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { message: 'must be a key id' }),
    /** A mounted secret (JSON): which databases to back up and how to reach them, and the drill role (docs/backup.md). */
    BACKUP_SOURCES_FILE: z.string().min(1),
    /** Critical configuration to back up with every run: the topics manifest, the chart values in use (no secrets). */
    BACKUP_CONFIG_FILES: commaList.default([]),
    /** Retention, e.g. daily=7,weekly=4,monthly=12 (docs/backup.md). */
    BACKUP_RETENTION: z
      .string()
      .default('daily=7,weekly=4,monthly=12')
      .transform((value, context) => {
        try {
          return parseRetention(value);
        } catch (error) {
          context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid' });
          return z.NEVER;
        }
      }),
    /** The database whose audit chain head every manifest records, and whose drill verifies the chain. */
    BACKUP_AUDIT_DATABASE: z.string().default('audit'),
    /**
     * The erasure ledger every restore and drill re-applies (docs/privacy.md): its own bucket and
     * prefix, and read-only credentials of its own; endpoint, region and path style default to the
     * backup bucket's. Optional for backups; a restore or drill without it fails.
     */
    ERASURE_LEDGER_S3_BUCKET: optionalText.pipe(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name' })
        .optional(),
    ),
    ERASURE_LEDGER_S3_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, { message: 'must be empty or end with /' })
      .default(''),
    ERASURE_LEDGER_S3_ENDPOINT: optionalText.pipe(z.url().optional()),
    ERASURE_LEDGER_S3_REGION: optionalText,
    ERASURE_LEDGER_S3_FORCE_PATH_STYLE: booleanText.optional(),
    ERASURE_LEDGER_S3_CREDENTIALS_DIR: optionalText,
    /** Where pg_dump and pg_restore are; unset: PATH. */
    PG_BIN_DIR: optionalText,
    /** Passed on to pg_dump and pg_restore, which get nothing else of this process's environment. */
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    /**
     * The restore command's connection: the migration role of the target's service. Its database
     * is replaced by `--target` (docs/backup.md, "Restoring").
     */
    BACKUP_RESTORE_URL: optionalText.pipe(postgresUrl.optional()),
    /**
     * The gateway's public key(s): the gRPC API runs backups and drills only for a signed admin
     * principal (docs/principal.md). The service will not start without; the CLI does not use it.
     */
    PRINCIPAL_PUBLIC_KEY_FILES: optionalText.pipe(pemFileList.optional()),
    /** How often the long-running service re-reads manifests and drill records for its metrics. */
    BACKUP_METRICS_REFRESH_MS: z.coerce.number().int().min(1_000).default(60_000),
    /**
     * The recovery objectives each drill is judged against (the admin console shows a miss). The
     * RPO target is BackupRpoHigh's threshold, two days: two daily backups missed. The RTO target
     * is an hour for one database restored and verified.
     */
    BACKUP_RPO_TARGET_SECONDS: z.coerce
      .number()
      .positive()
      .default(48 * 3600),
    BACKUP_RTO_TARGET_SECONDS: z.coerce.number().positive().default(3600),
    /** How long the CLI waits for its events to reach Kafka before leaving them to the service's relay. */
    BACKUP_EVENTS_FLUSH_MS: z.coerce.number().int().min(0).default(30_000),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): the backup service's own database
  // (runtime role): run records and the outbox.
  .and(databaseConfig)
  .and(grpcServerTlsConfig)
  .superRefine((config, context) => {
    if (Boolean(config.AWS_ACCESS_KEY_ID) !== Boolean(config.AWS_SECRET_ACCESS_KEY)) {
      context.addIssue({
        code: 'custom',
        path: ['AWS_SECRET_ACCESS_KEY'],
        message: 'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
      });
    }
  })
  // The restore's connection (pg_restore reads the URL) verifies TLS like DATABASE_URL, same CA.
  .transform((config, context) => {
    if (!config.BACKUP_RESTORE_URL) return config;
    const url = verifiedPostgresUrl(config.BACKUP_RESTORE_URL, config.DATABASE_TLS_CA_FILE);
    if (url === undefined) {
      context.addIssue({ code: 'custom', path: ['BACKUP_RESTORE_URL'], message: DATABASE_TLS_REQUIRED });
      return z.NEVER;
    }
    return { ...config, BACKUP_RESTORE_URL: url };
  });

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
