/*
 * The encrypted backup object, format 1 ("TRKBKP01"), specified in docs/backup.md so that anyone
 * can decrypt a backup without this code:
 *
 *   object  = header ‖ frame(0) ‖ frame(1) ‖ … ‖ frame(n)          frame(n) is the only final one
 *   header  = "TRKBKP01" ‖ u32be(len) ‖ JSON (UTF-8, len bytes, at most 64 KiB)
 *   frame   = flag (1 byte: 0 more, 1 final) ‖ u32be(m) ‖ AES-256-GCM ciphertext (m bytes) ‖ tag (16)
 *   nonce i = noncePrefix (4 bytes, from the header) ‖ u64be(i)
 *   AAD i   = "TRKBKP01" ‖ SHA-256(header bytes) ‖ u64be(i) ‖ flag
 *
 * A non-final frame holds exactly chunkBytes of plaintext, the final one 0…chunkBytes. The data
 * key (DEK) is random per backup and wrapped by a key-encryption key (KEK) with the kit's
 * envelope encryption; the header names the KEK's id. Binding the header digest, the index and
 * the flag into every chunk's tag means an edited header, a reordered, dropped or repeated chunk,
 * a forged final flag or a cut-off end all fail authentication or leave no final chunk.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { decrypt, DecryptionError, encrypt, type Keyring } from '@tracking/kit';
import { z } from 'zod';

export const MAGIC = Buffer.from('TRKBKP01', 'ascii');
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const FRAME_HEAD_BYTES = 5;
const NONCE_PREFIX_BYTES = 4;
const FLAG_MORE = 0;
const FLAG_FINAL = 1;

export const headerSchema = z.object({
  format: z.literal('tracking-backup'),
  version: z.literal(1),
  cipher: z.literal('AES-256-GCM'),
  chunkBytes: z.number().int().min(1).max(MAX_CHUNK_BYTES),
  backupId: z.string().min(1).max(100),
  /** What the plaintext is: a database name, or `config:<name>` for a configuration object. */
  content: z.string().min(1).max(100),
  keyId: z.string().min(1).max(32),
  /** The DEK, wrapped by the KEK `keyId`: a kit envelope token (packages/kit/src/crypto.ts). */
  wrappedKey: z.string().min(1).max(400),
  noncePrefix: z.base64().refine((value) => Buffer.from(value, 'base64').length === NONCE_PREFIX_BYTES),
  createdAt: z.iso.datetime({ offset: true }),
});
export type Header = z.infer<typeof headerSchema>;

export type IntegrityFailure =
  | 'not-a-backup'
  | 'key-unavailable'
  | 'wrong-key'
  | 'authentication-failed'
  | 'truncated'
  | 'trailing-data'
  | 'wrong-object'
  | 'sha256-mismatch';

/** A backup object that must not be restored; the message says why, never with key material. */
export class BackupIntegrityError extends Error {
  override readonly name = 'BackupIntegrityError';

  constructor(
    readonly reason: IntegrityFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The additional data the DEK's wrap is bound to: the backup and what it holds. */
function wrapAad(backupId: string, content: string): string {
  return `backup-dek:${backupId}:${content}`;
}

function nonce(prefix: Buffer, index: bigint): Buffer {
  const value = Buffer.alloc(12);
  prefix.copy(value, 0);
  value.writeBigUInt64BE(index, NONCE_PREFIX_BYTES);
  return value;
}

function chunkAad(headerDigest: Buffer, index: bigint, flag: number): Buffer {
  const aad = Buffer.alloc(MAGIC.length + headerDigest.length + 9);
  MAGIC.copy(aad, 0);
  headerDigest.copy(aad, MAGIC.length);
  aad.writeBigUInt64BE(index, MAGIC.length + headerDigest.length);
  aad.writeUInt8(flag, MAGIC.length + headerDigest.length + 8);
  return aad;
}

function encodeHeader(header: Header): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json]);
}

export interface EncryptOptions {
  keyring: Keyring;
  backupId: string;
  content: string;
  chunkBytes?: number;
  /**
   * Awaited before the final chunk is written: the source's own success (pg_dump's exit code).
   * If it rejects, no final chunk is written and the stream fails, so a dump that failed
   * half-way can never look complete.
   */
  beforeFinal?: () => Promise<void>;
}

/** Plaintext in, the encrypted object out; at most one chunk of plaintext is held. */
export class EncryptStream extends Transform {
  readonly header: Header;
  private readonly key: Buffer;
  private readonly prefix: Buffer;
  private readonly headerDigest: Buffer;
  private readonly chunk: Buffer;
  private filled = 0;
  private index = 0n;
  private started = false;
  private readonly headerBytes: Buffer;
  private readonly beforeFinal: (() => Promise<void>) | undefined;
  /** Plaintext bytes consumed. */
  plaintextBytes = 0;

  constructor(options: EncryptOptions) {
    super();
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.key = randomBytes(32);
    this.prefix = randomBytes(NONCE_PREFIX_BYTES);
    this.header = headerSchema.parse({
      format: 'tracking-backup',
      version: 1,
      cipher: 'AES-256-GCM',
      chunkBytes,
      backupId: options.backupId,
      content: options.content,
      keyId: options.keyring.activeKeyId,
      wrappedKey: encrypt(options.keyring, this.key, wrapAad(options.backupId, options.content)),
      noncePrefix: this.prefix.toString('base64'),
      createdAt: new Date().toISOString(),
    });
    this.headerBytes = encodeHeader(this.header);
    this.headerDigest = createHash('sha256').update(this.headerBytes).digest();
    this.chunk = Buffer.alloc(chunkBytes);
    this.beforeFinal = options.beforeFinal;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.start();
    this.plaintextBytes += data.length;
    let offset = 0;
    while (offset < data.length) {
      const copied = data.copy(this.chunk, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.chunk.length) {
        this.push(this.seal(this.chunk, FLAG_MORE));
        this.filled = 0;
      }
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.start();
    (this.beforeFinal ? this.beforeFinal() : Promise.resolve()).then(
      () => {
        this.push(this.seal(this.chunk.subarray(0, this.filled), FLAG_FINAL));
        this.key.fill(0);
        callback();
      },
      (error: unknown) => {
        this.key.fill(0);
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.push(this.headerBytes);
  }

  private seal(plaintext: Buffer, flag: number): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.index));
    cipher.setAAD(chunkAad(this.headerDigest, this.index, flag));
    const head = Buffer.alloc(FRAME_HEAD_BYTES);
    head.writeUInt8(flag, 0);
    head.writeUInt32BE(plaintext.length, 1);
    const frame = Buffer.concat([head, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    this.index++;
    return frame;
  }
}

export interface DecryptOptions {
  keyring: Keyring;
  /** The backup this object should be (from its manifest); named in every error. */
  backupId: string;
  /** What the header must say it holds, when known. */
  content?: string;
}

/**
 * Reads the encrypted object incrementally: `write` takes the next bytes and returns the
 * plaintext of every chunk they complete, each only once its tag checks out; `end` fails if the
 * final chunk never came. Every problem is a BackupIntegrityError. At most one chunk is held.
 */
export class BackupDecoder {
  header: Header | undefined;
  /** Chunks authenticated so far. */
  chunks = 0;
  plaintextBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private key: Buffer | undefined;
  private prefix: Buffer | undefined;
  private headerDigest: Buffer | undefined;
  private finalSeen = false;

  constructor(private readonly options: DecryptOptions) {}

  /** Whether the final chunk has been read and authenticated. */
  get complete(): boolean {
    return this.finalSeen;
  }

  write(data: Buffer): Buffer[] {
    if (data.length === 0) return [];
    if (this.finalSeen) throw this.failure('trailing-data', 'data after the final chunk');
    this.pending.push(data);
    this.pendingBytes += data.length;
    const out: Buffer[] = [];
    if (!this.header && !this.readHeader()) return out;
    while (!this.complete) {
      const plaintext = this.readFrame();
      if (!plaintext) break;
      if (plaintext.length > 0) out.push(plaintext);
    }
    if (this.complete && this.pendingBytes > 0)
      throw this.failure('trailing-data', 'data after the final chunk');
    return out;
  }

  end(): void {
    this.key?.fill(0);
    if (!this.header) throw this.failure('truncated', 'truncated: the object ends inside its header');
    if (!this.finalSeen) {
      throw this.failure(
        'truncated',
        this.pendingBytes > 0
          ? `truncated: the object ends inside chunk ${this.chunks}`
          : `truncated: the object ends after chunk ${this.chunks - 1}, before its final chunk`,
      );
    }
  }

  private failure(reason: IntegrityFailure, detail: string): BackupIntegrityError {
    return new BackupIntegrityError(reason, `backup ${this.options.backupId}: ${detail}`);
  }

  private flatten(): Buffer {
    if (this.pending.length !== 1) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0] ?? Buffer.alloc(0);
  }

  private take(bytes: number): Buffer {
    const all = this.flatten();
    const rest = all.subarray(bytes);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return all.subarray(0, bytes);
  }

  /** Reads and checks the header once it is all there; false while it is not. */
  private readHeader(): boolean {
    if (this.pendingBytes < MAGIC.length + 4) return false;
    const start = this.flatten();
    if (!start.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw this.failure('not-a-backup', 'not a backup object (no TRKBKP01 header)');
    }
    const length = start.readUInt32BE(MAGIC.length);
    if (length > MAX_HEADER_BYTES)
      throw this.failure('not-a-backup', 'not a backup object (header too large)');
    if (this.pendingBytes < MAGIC.length + 4 + length) return false;
    const headerBytes = Buffer.from(this.take(MAGIC.length + 4 + length));
    let header: Header;
    try {
      header = headerSchema.parse(JSON.parse(headerBytes.subarray(MAGIC.length + 4).toString('utf8')));
    } catch {
      throw this.failure('not-a-backup', 'not a backup object (unreadable header)');
    }
    if (header.backupId !== this.options.backupId) {
      throw this.failure('wrong-object', `the object holds backup ${header.backupId}, not this one`);
    }
    if (this.options.content !== undefined && header.content !== this.options.content) {
      throw this.failure('wrong-object', `the object holds ${header.content}, not ${this.options.content}`);
    }
    if (!header.wrappedKey.startsWith(`v1.${header.keyId}.`)) {
      throw this.failure('not-a-backup', 'not a backup object (its key id and its wrapped key disagree)');
    }
    if (!this.options.keyring.keyIds.includes(header.keyId)) {
      throw this.failure('key-unavailable', `key id ${header.keyId} not available`);
    }
    try {
      this.key = decrypt(this.options.keyring, header.wrappedKey, wrapAad(header.backupId, header.content));
    } catch (error) {
      if (error instanceof DecryptionError && error.reason === 'unknown-key') {
        throw this.failure('key-unavailable', `key id ${header.keyId} not available`);
      }
      throw this.failure(
        'wrong-key',
        `the data key does not unwrap with key id ${header.keyId} (a wrong key-encryption key, or an altered header)`,
      );
    }
    this.header = header;
    this.prefix = Buffer.from(header.noncePrefix, 'base64');
    this.headerDigest = createHash('sha256').update(headerBytes).digest();
    return true;
  }

  /** The next chunk's plaintext once its whole frame is there and authentic; undefined while it is not. */
  private readFrame(): Buffer | undefined {
    if (this.pendingBytes < FRAME_HEAD_BYTES) return undefined;
    // Joining the pieces only once a whole frame is there keeps the copying linear.
    const first = this.pending[0];
    const head = first && first.length >= FRAME_HEAD_BYTES ? first : this.flatten();
    const flag = head.readUInt8(0);
    const length = head.readUInt32BE(1);
    const chunkBytes = this.header?.chunkBytes ?? 0;
    // A frame that breaks the framing rules can only come from damage: it fails as its chunk
    // would, before anything is allocated for whatever a damaged length field says.
    if (flag > FLAG_FINAL || length > chunkBytes || (flag === FLAG_MORE && length !== chunkBytes)) {
      throw this.failure('authentication-failed', `authentication failed at chunk ${this.chunks}`);
    }
    const frameBytes = FRAME_HEAD_BYTES + length + TAG_BYTES;
    if (this.pendingBytes < frameBytes) return undefined;
    const frame = this.take(frameBytes);
    const index = BigInt(this.chunks);
    if (!this.key || !this.prefix || !this.headerDigest) throw new Error('header not read');
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce(this.prefix, index));
    decipher.setAAD(chunkAad(this.headerDigest, index, flag));
    decipher.setAuthTag(frame.subarray(FRAME_HEAD_BYTES + length));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(frame.subarray(FRAME_HEAD_BYTES, FRAME_HEAD_BYTES + length)),
        decipher.final(),
      ]);
    } catch {
      throw this.failure('authentication-failed', `authentication failed at chunk ${this.chunks}`);
    }
    this.chunks++;
    this.plaintextBytes += plaintext.length;
    if (flag === FLAG_FINAL) this.finalSeen = true;
    return plaintext;
  }
}

/** The decoder as a stream: encrypted object in, authenticated plaintext out. */
export class DecryptStream extends Transform {
  readonly decoder: BackupDecoder;

  constructor(options: DecryptOptions) {
    super();
    this.decoder = new BackupDecoder(options);
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (const plaintext of this.decoder.write(data)) this.push(plaintext);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.end();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/** Counts and hashes what passes through (the ciphertext, on its way to or from the bucket). */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(data);
    this.bytes += data.length;
    callback(null, data);
  }

  /** Lower-case hex; call once, after the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
