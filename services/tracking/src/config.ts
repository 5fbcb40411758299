import {
  baseConfig,
  databaseConfig,
  grpcServerTlsConfig,
  kafkaConfig,
  loadConfig,
  pemFileList,
  port,
} from '@tracking/kit';
import { exportStoreConfig } from '@tracking/kit/privacy';
import { z } from 'zod';

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  // EXPORT_S3_* and PRIVACY_EXPORT_RECIPIENT: where this service writes its part of an export.
  .extend(exportStoreConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15053),
    /**
     * The gateway's public keys (PEM files, comma-separated): a call's `x-principal` assertion
     * must be signed by one of them. Two during a key rotation.
     */
    PRINCIPAL_PUBLIC_KEY_FILES: pemFileList,
    CONSUMER_GROUP: z.string().default('tracking'),
    /** How long a trainer's invitation stays open. */
    INVITATION_TTL_DAYS: z.coerce.number().int().min(1).max(30).default(7),
    /** The web app's origin, for the links in invitation mails. */
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:8080'),
    /** Days a deleted meal or metric (its text) is kept before the retention job purges it; 30 at most. */
    RETENTION_DELETED_ENTRIES_DAYS: z.coerce.number().int().min(0).max(30).default(30),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (<db>_app): owns no
  // table and cannot bypass row-level security.
  .and(databaseConfig)
  .and(grpcServerTlsConfig);

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
