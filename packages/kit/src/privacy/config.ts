import { z } from 'zod';

import { commaList } from '../config';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const booleanText = z.enum(['true', 'false']).transform((value) => value === 'true');

/** An age recipient: native X25519 (`age1…`) or the post-quantum hybrid (`age1pq1…`). */
export const ageRecipientSchema = z
  .string()
  .regex(/^age1(pq1)?[02-9ac-hj-np-z]{50,}$/, { message: 'must be an age recipient (age1…)' });

/**
 * Where export parts and assembled exports live, and who can read them: the settings every
 * privacy participant (and the privacy service) adds to its config schema. None is a secret:
 * the recipient is a public key, and the bucket's credentials come from a mounted directory
 * (or the SDK's default chain, e.g. a pod's web identity).
 */
export const exportStoreConfig = z.object({
  /** The S3 API's base URL; unset for AWS S3 itself (the region's endpoint). */
  EXPORT_S3_ENDPOINT: optionalText.pipe(z.url().optional()),
  /** AU by default (docs/privacy.md, data residency). */
  EXPORT_S3_REGION: z.string().min(1).default('ap-southeast-2'),
  EXPORT_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name' }),
  /** Prepended to every key, e.g. `privacy/`; the contract's keys (`exports/<id>/…`) are relative to it. */
  EXPORT_S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)*$/, { message: 'must be empty or end with /' })
    .default(''),
  /** Path-style URLs (bucket in the path): what versitygw, MinIO and most non-AWS servers want. */
  EXPORT_S3_FORCE_PATH_STYLE: booleanText.default(true),
  /** A mounted secret with the files access-key-id and secret-access-key; unset: the SDK's default chain. */
  EXPORT_S3_CREDENTIALS_DIR: optionalText,
  /** Server-side encryption asked for on every PUT, on top of age; `none` only for a server that rejects it. */
  EXPORT_S3_SSE: z.enum(['AES256', 'aws:kms', 'none']).default('AES256'),
  /**
   * The privacy service's public age recipient(s), comma-separated: every part is encrypted to
   * each. Participants hold no identity, so they can write parts but never read one back.
   */
  PRIVACY_EXPORT_RECIPIENT: commaList.pipe(
    z.array(ageRecipientSchema).min(1, { message: 'name at least one age recipient' }),
  ),
});
export type ExportStoreConfig = z.infer<typeof exportStoreConfig>;
