import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  NoSuchKey,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  ERASURE_LEDGER_PREFIX,
  erasureLedgerEntrySchema,
  type ErasureLedgerEntry,
} from '@tracking/contracts';

import type { Config } from './config';

/**
 * The erasure ledger (docs/privacy.md, "Backups"): one object per erased person, ids and times
 * only, in a store of its own. It is written BEFORE any participant erases anything, so a restore
 * of a backup taken at any moment after that can re-apply the erasure.
 */
export interface ErasureLedger {
  /** Writes (or rewrites, after a crash) the person's entry; resolves once the store has it. */
  record(entry: ErasureLedgerEntry): Promise<void>;
  /** The person's entry, or undefined. */
  read(subjectId: string): Promise<ErasureLedgerEntry | undefined>;
  close(): void;
}

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
}

function describeS3(error: unknown): string {
  if (error instanceof S3ServiceException) {
    return `${error.name} (HTTP ${String(error.$metadata.httpStatusCode ?? '?')})`;
  }
  return error instanceof Error ? error.message : String(error);
}

function credentials(dir: string | undefined, config: Config) {
  if (dir) {
    const read = (name: string) => {
      try {
        return readFileSync(path.join(dir, name), 'utf8').trim();
      } catch {
        throw new Error(`the S3 credentials directory has no readable ${name} file`);
      }
    };
    return { accessKeyId: read('access-key-id'), secretAccessKey: read('secret-access-key') };
  }
  if (config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY };
  }
  return undefined; // the SDK's default chain: a pod's web identity, an instance profile
}

/** The ledger object's key for one person. */
export function ledgerKey(prefix: string, subjectId: string): string {
  return `${prefix}${ERASURE_LEDGER_PREFIX}${subjectId}.json`;
}

export function createErasureLedger(config: Config): ErasureLedger {
  const client = new S3Client({
    region: config.ERASURE_LEDGER_S3_REGION,
    endpoint: config.ERASURE_LEDGER_S3_ENDPOINT,
    forcePathStyle: config.ERASURE_LEDGER_S3_FORCE_PATH_STYLE,
    credentials: credentials(config.ERASURE_LEDGER_S3_CREDENTIALS_DIR, config),
  });
  const bucket = config.ERASURE_LEDGER_S3_BUCKET;
  const keyOf = (subjectId: string) => ledgerKey(config.ERASURE_LEDGER_S3_PREFIX, subjectId);
  return {
    async record(entry) {
      const body = erasureLedgerEntrySchema.parse(entry);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: keyOf(body.subjectId),
            Body: `${JSON.stringify(body)}\n`,
            ContentType: 'application/json',
          }),
        );
      } catch (error) {
        throw new LedgerError(`the erasure ledger refused the entry: ${describeS3(error)}`);
      }
    },
    async read(subjectId) {
      let text: string;
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(subjectId) }));
        text = (await result.Body?.transformToString('utf8')) ?? '';
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw new LedgerError(`the erasure ledger could not be read: ${describeS3(error)}`);
      }
      return erasureLedgerEntrySchema.parse(JSON.parse(text));
    },
    close: () => client.destroy(),
  };
}
