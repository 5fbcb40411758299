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

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const booleanText = z.enum(['true', 'false']).transform((value) => value === 'true');

const milliseconds = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name' });
const keyPrefix = z
  .string()
  .regex(/^([A-Za-z0-9._-]+\/)*$/, { message: 'must be empty or end with /' })
  .default('');

const DAY_MS = 86_400_000;

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  .extend(exportStoreConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15063),
    OPS_PORT: port(9114),
    CONSUMER_GROUP: z.string().default('privacy'),
    /** The gateway's public key(s): every call carries its signed principal (docs/principal.md). */
    PRINCIPAL_PUBLIC_KEY_FILES: pemFileList,
    /** The web app's origin, for the links in the mails (export ready, erasure scheduled). */
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }),

    /** How long a scheduled erasure waits for the person to change their mind (7 days; tests shorten it). */
    ERASURE_COOLING_OFF_MS: milliseconds(7 * DAY_MS, 0),
    /** How long an assembled export can be downloaded before it is deleted (7 days). */
    EXPORT_TTL_MS: milliseconds(7 * DAY_MS, 1_000),
    /** How often the saga timer looks for due erasures, exports to assemble and expired exports. */
    SAGA_INTERVAL_MS: milliseconds(30_000, 50),

    /**
     * The erasure ledger (docs/privacy.md, "Backups"): its own bucket or prefix, which every
     * restore reads. Locally the same S3 server as the exports under another prefix.
     */
    ERASURE_LEDGER_S3_ENDPOINT: optionalText.pipe(z.url().optional()),
    ERASURE_LEDGER_S3_REGION: z.string().min(1).default('ap-southeast-2'),
    ERASURE_LEDGER_S3_BUCKET: bucketName,
    ERASURE_LEDGER_S3_PREFIX: keyPrefix,
    ERASURE_LEDGER_S3_FORCE_PATH_STYLE: booleanText.default(true),
    /** A mounted secret with the files access-key-id and secret-access-key; unset: the SDK's chain or the AWS_* pair. */
    ERASURE_LEDGER_S3_CREDENTIALS_DIR: optionalText,

    /**
     * A mounted secret directory: the age identities that open the export parts and the ZIPs
     * (several files while one is rotated out). The export store's own settings, with the public
     * recipient(s) new ZIPs are encrypted to, are the kit's exportStoreConfig (EXPORT_S3_*).
     */
    PRIVACY_EXPORT_IDENTITY_DIR: z.string().min(1),

    /** Stand-ins for the credentials directories on a developer's machine. */
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_SECRET_ACCESS_KEY: optionalText,
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (privacy_app):
  // requests, steps, the outbox and processed events.
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
  });

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
