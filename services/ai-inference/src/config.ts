import {
  baseConfig,
  commaList,
  databaseConfig,
  grpcServerTlsConfig,
  kafkaConfig,
  loadConfig,
  pemFileList,
  port,
} from '@tracking/kit';
import { exportStoreConfig } from '@tracking/kit/privacy';
import { z } from 'zod';

import { PROVIDER_NAMES } from './providers/provider';

/** Calls leave over TLS only: a provider or a proxy in front of it is an https:// URL. */
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

const providerOrder = commaList.pipe(
  z
    .array(z.enum(PROVIDER_NAMES))
    .min(1, { message: 'name at least one provider' })
    .refine((names) => new Set(names).size === names.length, { message: 'names a provider twice' }),
);

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Which providers, how to reach them and how long to wait: shared with the evaluation harness. */
export const providerSettings = z.object({
  /**
   * The providers to try, in order, e.g. `anthropic,qwen`: the next is used when one fails or
   * its circuit is open. `offline` is the table-based estimator (no network, low confidence).
   */
  AI_PROVIDERS: providerOrder,
  ANTHROPIC_BASE_URL: httpsUrl.default('https://api.anthropic.com'),
  /** A model id, e.g. claude-haiku-4-5; required when anthropic is listed. */
  ANTHROPIC_MODEL: optionalText,
  /** A mounted secret holding the key (preferred), or the key itself in ANTHROPIC_API_KEY. */
  ANTHROPIC_API_KEY_FILE: optionalText,
  ANTHROPIC_API_KEY: optionalText,
  /** DashScope's OpenAI-compatible endpoint (international region by default) or a proxy. */
  QWEN_BASE_URL: httpsUrl.default('https://dashscope-intl.aliyuncs.com/compatible-mode/v1'),
  QWEN_MODEL: optionalText,
  QWEN_API_KEY_FILE: optionalText,
  QWEN_API_KEY: optionalText,
  /** Extra CA certificate (PEM file) to trust for the providers, e.g. a proxy's private CA. */
  AI_PROVIDER_CA_FILE: optionalText,
  /** One HTTP attempt's timeout. */
  AI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
  /** Retries of a 408, 409, 429, 5xx or network error, with back-off and jitter, honouring Retry-After. */
  AI_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
});
export type ProviderSettings = z.infer<typeof providerSettings>;

/**
 * A listed provider needs its model id and its key. Runs even when other settings are bad, so
 * that every problem is named at once; it then sees a partly parsed value, hence the guards.
 */
export function requireProviderSettings(config: ProviderSettings, context: z.RefinementCtx): void {
  const settings = config as Partial<ProviderSettings> | undefined;
  const listed = Array.isArray(settings?.AI_PROVIDERS) ? settings.AI_PROVIDERS : [];
  const need = (provider: string, fields: [string, unknown][]) => {
    for (const [name, value] of fields) {
      if (!value) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `is required when AI_PROVIDERS lists ${provider}`,
        });
      }
    }
  };
  if (listed.includes('anthropic')) {
    need('anthropic', [
      ['ANTHROPIC_MODEL', settings?.ANTHROPIC_MODEL],
      ['ANTHROPIC_API_KEY_FILE', settings?.ANTHROPIC_API_KEY_FILE ?? settings?.ANTHROPIC_API_KEY],
    ]);
  }
  if (listed.includes('qwen')) {
    need('qwen', [
      ['QWEN_MODEL', settings?.QWEN_MODEL],
      ['QWEN_API_KEY_FILE', settings?.QWEN_API_KEY_FILE ?? settings?.QWEN_API_KEY],
    ]);
  }
}

/** For superRefine: check the providers even when another setting already failed. */
export const ALWAYS = { when: () => true };

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  // EXPORT_S3_* and PRIVACY_EXPORT_RECIPIENT: where this service writes its part of an export.
  .extend(exportStoreConfig.shape)
  .extend(providerSettings.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    GRPC_PORT: port(15057),
    /** The gateway's public keys: EstimateMeal needs its signed principal (docs/principal.md). */
    PRINCIPAL_PUBLIC_KEY_FILES: pemFileList,
    CONSUMER_GROUP: z.string().default('ai-inference'),
    /** A provider's circuit opens when this share of calls fails, over at least AI_BREAKER_MIN_CALLS calls in the window. */
    AI_BREAKER_ERROR_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
    AI_BREAKER_MIN_CALLS: z.coerce.number().int().min(1).default(4),
    AI_BREAKER_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
    /** How long an open circuit waits before letting one trial call through. */
    AI_BREAKER_RESET_MS: z.coerce.number().int().min(100).default(30_000),
    /** Per client and UTC day: estimates and reviews asked for, and provider tokens spent. */
    AI_DAILY_REQUESTS_PER_TENANT: z.coerce.number().int().min(0).default(200),
    AI_DAILY_TOKENS_PER_TENANT: z.coerce.number().int().min(0).default(300_000),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (<db>_app): the usage
  // counters and the outbox; no meal text is stored.
  .and(databaseConfig)
  .and(grpcServerTlsConfig)
  .superRefine(requireProviderSettings, ALWAYS);

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
