import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { z } from 'zod';

import type { Config } from './config';

/**
 * The segregated bucket, through the S3 API. Every PUT asks for server-side encryption as well
 * (S3_SSE), though what we store is already ciphertext; objects are read back by the version
 * they were written as, where the bucket keeps versions, so an overwrite cannot change what a
 * manifest points at.
 */
export interface Store {
  /** Streams `body` up as a multipart upload (a single PUT when it is small). */
  upload(key: string, body: Readable): Promise<{ versionId: string | null }>;
  putJson(key: string, value: unknown): Promise<{ versionId: string | null }>;
  /** The object's parsed JSON, or undefined when there is no such key. */
  getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.infer<S> | undefined>;
  /** The object's bytes as a stream. */
  read(key: string, versionId?: string | null): Promise<Readable>;
  /** Every key under `prefix`, in the server's (lexicographic) order. */
  list(prefix: string): Promise<string[]>;
  remove(key: string): Promise<void>;
  /** One cheap listing call: the bucket answers and these credentials may list it. */
  ping(): Promise<void>;
  /** The key with the deployment's S3_PREFIX. */
  key(relative: string): string;
  readonly bucket: string;
  close(): void;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

function credentials(config: Config) {
  if (config.S3_CREDENTIALS_DIR) {
    const read = (name: string) => {
      try {
        return readFileSync(path.join(config.S3_CREDENTIALS_DIR ?? '', name), 'utf8').trim();
      } catch {
        throw new Error(`S3_CREDENTIALS_DIR has no readable ${name} file`);
      }
    };
    return { accessKeyId: read('access-key-id'), secretAccessKey: read('secret-access-key') };
  }
  if (config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY };
  }
  return undefined; // the SDK's default chain: a pod's web identity, an instance profile
}

/** A failure described without the SDK's request details (which name hosts and keys, not secrets). */
function storeError(action: string, key: string, error: unknown): StoreError {
  const detail =
    error instanceof S3ServiceException
      ? `${error.name} (HTTP ${String(error.$metadata.httpStatusCode ?? '?')})`
      : error instanceof Error
        ? error.message
        : String(error);
  return new StoreError(`S3 ${action} ${key} failed: ${detail}`);
}

export function createStore(config: Config): Store {
  const client = new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: credentials(config),
    // Our own SHA-256 and GCM tags decide whether an object is intact, with errors that say
    // what is wrong; the SDK's CRC check of whole-object reads would pre-empt them with its own.
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = config.S3_BUCKET;
  const sse =
    config.S3_SSE === 'none'
      ? {}
      : {
          ServerSideEncryption: config.S3_SSE as ServerSideEncryption,
          ...(config.S3_SSE === 'aws:kms' && config.S3_SSE_KMS_KEY_ID
            ? { SSEKMSKeyId: config.S3_SSE_KMS_KEY_ID }
            : {}),
        };

  return {
    bucket,
    key: (relative) => `${config.S3_PREFIX}${relative}`,

    async upload(key, body) {
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream', ...sse },
        partSize: config.S3_PART_BYTES,
        queueSize: config.S3_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      try {
        const result = await upload.done();
        return { versionId: result.VersionId ?? null };
      } catch (error) {
        // The body's own failure (pg_dump, encryption) is the story; the upload only stopped because of it.
        if (body.errored) throw body.errored;
        throw storeError('upload of', key, error);
      }
    },

    async putJson(key, value) {
      try {
        const result = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: `${JSON.stringify(value, null, 2)}\n`,
            ContentType: 'application/json',
            ...sse,
          }),
        );
        return { versionId: result.VersionId ?? null };
      } catch (error) {
        throw storeError('put of', key, error);
      }
    },

    async getJson(key, schema) {
      let text: string;
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        text = (await result.Body?.transformToString('utf8')) ?? '';
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw storeError('get of', key, error);
      }
      const parsed = schema.safeParse(safeJson(text));
      if (!parsed.success)
        throw new StoreError(`${key} is not a valid ${path.basename(path.dirname(key))} record`);
      return parsed.data;
    },

    async read(key, versionId) {
      try {
        const result = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
        );
        if (!result.Body) throw new StoreError(`S3 get of ${key} returned no body`);
        return result.Body as Readable;
      } catch (error) {
        if (error instanceof StoreError) throw error;
        throw storeError('get of', key, error);
      }
    },

    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          );
        } catch (error) {
          throw storeError('list of', prefix, error);
        }
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },

    async remove(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw storeError('delete of', key, error);
      }
    },

    async ping() {
      try {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: config.S3_PREFIX, MaxKeys: 1 }));
      } catch (error) {
        throw storeError('list of', bucket, error);
      }
    },

    close: () => client.destroy(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
