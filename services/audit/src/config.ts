import {
  baseConfig,
  databaseConfig,
  grpcAddress,
  grpcClientConfig,
  grpcServerTlsConfig,
  kafkaConfig,
  keyringEnvSchema,
  loadConfig,
  port,
} from '@tracking/kit';
import { exportStoreConfig } from '@tracking/kit/privacy';
import { z } from 'zod';

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  .extend(grpcClientConfig.shape)
  // EXPORT_S3_* and PRIVACY_EXPORT_RECIPIENT: where this service writes its part of an export.
  .extend(exportStoreConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15055),
    CONSUMER_GROUP: z.string().default('audit'),
    /** The auth service, which says whether a caller's session may read or erase (docs/rbac.md). */
    AUTH_GRPC_ADDR: grpcAddress,
    /** How often the whole chain is verified and its head published (docs/audit-chain.md). */
    CHAIN_ATTEST_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (<db>_app): INSERT
  // and SELECT on the log, nothing else.
  .and(databaseConfig)
  .and(grpcServerTlsConfig)
  // ENCRYPTION_KEYS / ENCRYPTION_ACTIVE_KEY_ID: wrap the per-subject keys of crypto-shredding.
  .and(keyringEnvSchema);

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
