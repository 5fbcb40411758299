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

import type { ExportStoreConfig } from './config';

/**
 * A small client for the object store that holds export parts and assembled exports. Every key
 * a caller passes is relative to EXPORT_S3_PREFIX (the contract's `exports/<requestId>/…`); the
 * store adds the prefix. What goes in is already age ciphertext; the bucket's own server-side
 * encryption is asked for on top.
 *
 * (The backup service has its own client with versioned reads for its manifests; a later
 * refactor can fold the two together.)
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Streams `body` up as a multipart upload (one PUT when it is small). */
  upload(key: string, body: Readable): Promise<void>;
  /** The whole object; ObjectStoreError with `notFound` when there is no such key. */
  get(key: string): Promise<Uint8Array>;
  /** The object as a stream; ObjectStoreError with `notFound` when there is no such key. */
  read(key: string): Promise<Readable>;
  /** Every key under `prefix` (relative, like the keys passed in), in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys; a key that is already gone is not an error. */
  remove(...keys: string[]): Promise<void>;
  /** One cheap listing call: the bucket answers and these credentials may list it. */
  ping(): Promise<void>;
  readonly bucket: string;
  close(): void;
}

/**
 * A store failure described without the SDK's request details. `transient` marks an outage
 * (no connection, a 5xx, throttling): the kit's consumers retry those for as long as it takes
 * instead of dead-lettering the message or failing the step.
 */
export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  constructor(
    message: string,
    readonly transient: boolean,
    readonly notFound = false,
  ) {
    super(message);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

function storeError(action: string, key: string, error: unknown): ObjectStoreError {
  if (error instanceof ObjectStoreError) return error;
  if (error instanceof NoSuchKey)
    return new ObjectStoreError(`S3 ${action} ${key}: no such key`, false, true);
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    const transient =
      status === undefined || status >= 500 || status === 429 || error.$retryable !== undefined;
    return new ObjectStoreError(
      `S3 ${action} ${key} failed: ${error.name} (HTTP ${String(status ?? '?')})`,
      transient,
      status === 404,
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  const transient =
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (error instanceof Error && ['TimeoutError', 'AbortError'].includes(error.name));
  const detail = error instanceof Error ? error.message : String(error);
  return new ObjectStoreError(`S3 ${action} ${key} failed: ${detail}`, transient);
}

function credentials(dir: string | undefined) {
  if (!dir) return undefined; // the SDK's default chain: a pod's web identity, an instance profile, env
  const read = (name: string) => {
    try {
      return readFileSync(path.join(dir, name), 'utf8').trim();
    } catch {
      throw new Error(`EXPORT_S3_CREDENTIALS_DIR has no readable ${name} file`);
    }
  };
  return { accessKeyId: read('access-key-id'), secretAccessKey: read('secret-access-key') };
}

export function createObjectStore(
  config: Pick<
    ExportStoreConfig,
    | 'EXPORT_S3_ENDPOINT'
    | 'EXPORT_S3_REGION'
    | 'EXPORT_S3_BUCKET'
    | 'EXPORT_S3_PREFIX'
    | 'EXPORT_S3_FORCE_PATH_STYLE'
    | 'EXPORT_S3_CREDENTIALS_DIR'
    | 'EXPORT_S3_SSE'
  >,
): ObjectStore {
  const client = new S3Client({
    region: config.EXPORT_S3_REGION,
    endpoint: config.EXPORT_S3_ENDPOINT,
    forcePathStyle: config.EXPORT_S3_FORCE_PATH_STYLE,
    credentials: credentials(config.EXPORT_S3_CREDENTIALS_DIR),
    // age's own MACs decide whether an object is intact; the SDK's CRC check would pre-empt them.
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = config.EXPORT_S3_BUCKET;
  const prefix = config.EXPORT_S3_PREFIX;
  const sse =
    config.EXPORT_S3_SSE === 'none'
      ? {}
      : { ServerSideEncryption: config.EXPORT_S3_SSE as ServerSideEncryption };
  const full = (key: string) => {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`invalid object key: ${key}`);
    return prefix + key;
  };

  return {
    bucket,

    async put(key, body) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: full(key),
            Body: body,
            ContentType: 'application/octet-stream',
            ...sse,
          }),
        );
      } catch (error) {
        throw storeError('put of', key, error);
      }
    },

    async upload(key, body) {
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: full(key),
          Body: body,
          ContentType: 'application/octet-stream',
          ...sse,
        },
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        // The body's own failure (a part that does not decrypt, a zip error) is the story.
        if (body.errored) throw body.errored;
        throw storeError('upload of', key, error);
      }
    },

    async get(key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        if (!result.Body) throw new ObjectStoreError(`S3 get of ${key} returned no body`, true);
        return await result.Body.transformToByteArray();
      } catch (error) {
        throw storeError('get of', key, error);
      }
    },

    async read(key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        if (!result.Body) throw new ObjectStoreError(`S3 get of ${key} returned no body`, true);
        return result.Body as Readable;
      } catch (error) {
        throw storeError('get of', key, error);
      }
    },

    async list(under) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: full(under), ContinuationToken: token }),
          );
        } catch (error) {
          throw storeError('list of', under, error);
        }
        for (const object of page.Contents ?? [])
          if (object.Key?.startsWith(prefix)) keys.push(object.Key.slice(prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },

    async remove(...keys) {
      // One DELETE per key: an export has a few dozen objects at most, and DeleteObjects needs a
      // checksum header that not every S3-compatible server accepts.
      for (const key of keys) {
        try {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(key) }));
        } catch (error) {
          if (error instanceof NoSuchKey) continue;
          throw storeError('delete of', key, error);
        }
      }
    },

    async ping() {
      try {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
      } catch (error) {
        throw storeError('list of', bucket, error);
      }
    },

    close: () => client.destroy(),
  };
}
