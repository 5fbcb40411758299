import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { Keyring } from '@tracking/kit';

import {
  BackupDecoder,
  BackupIntegrityError,
  DecryptStream,
  DigestStream,
  EncryptStream,
  MAGIC,
} from '../src/format';

const CHUNK = 4096;

function keyring(id = 'kek-1', bytes = randomBytes(32)): Keyring {
  return new Keyring(new Map([[id, bytes]]), id);
}

async function encryptAll(
  plaintext: Buffer,
  ring: Keyring,
  options: { backupId?: string; beforeFinal?: () => Promise<void> } = {},
): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(splitInto(plaintext, 1000)),
    new EncryptStream({
      keyring: ring,
      backupId: options.backupId ?? 'b1',
      content: 'db1',
      chunkBytes: CHUNK,
      beforeFinal: options.beforeFinal,
    }),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(parts);
}

function* splitInto(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function decryptAll(object: Buffer, ring: Keyring, backupId = 'b1'): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(splitInto(object, 777)),
    new DecryptStream({ keyring: ring, backupId, content: 'db1' }),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(parts);
}

async function failureOf(promise: Promise<unknown>): Promise<BackupIntegrityError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof BackupIntegrityError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

/** Where each frame starts, from the format's own framing (a test-side parser). */
function frameOffsets(object: Buffer): number[] {
  let offset = MAGIC.length + 4 + object.readUInt32BE(MAGIC.length);
  const offsets: number[] = [];
  while (offset < object.length) {
    offsets.push(offset);
    offset += 5 + object.readUInt32BE(offset + 1) + 16;
  }
  return offsets;
}

describe('the encrypted backup format', () => {
  const ring = keyring();
  const plaintext = randomBytes(CHUNK * 3 + 123);

  test('decrypts back to exactly the plaintext, for every size around the chunk boundaries', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * 2, CHUNK * 3 + 123]) {
      const data = plaintext.subarray(0, size);
      const object = await encryptAll(data, ring);
      expect((await decryptAll(object, ring)).equals(data)).toBe(true);
    }
  });

  test('the object carries no plaintext: a planted canary is nowhere in it', async () => {
    const canary = Buffer.from('CANARY-7f3a9c-do-not-store-in-clear');
    const data = Buffer.concat([randomBytes(5000), canary, randomBytes(5000), canary]);
    const object = await encryptAll(data, ring);
    expect(object.includes(canary)).toBe(false);
    expect(object.subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);
  });

  test('two backups of the same data share no ciphertext: each has its own data key', async () => {
    const first = await encryptAll(plaintext, ring);
    const second = await encryptAll(plaintext, ring);
    const [a, b] = [first, second].map((object) => object.subarray(frameOffsets(object)[0], undefined));
    expect(a?.subarray(0, 64).equals(b?.subarray(0, 64) ?? Buffer.alloc(0))).toBe(false);
  });

  test('one flipped byte anywhere in a chunk is refused as an authentication failure at that chunk', async () => {
    const object = await encryptAll(plaintext, ring);
    const offsets = frameOffsets(object);
    for (const [index, start] of offsets.entries()) {
      const tampered = Buffer.from(object);
      const at = start + 5 + 10;
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      const error = await failureOf(decryptAll(tampered, ring));
      expect(error.reason).toBe('authentication-failed');
      expect(error.message).toBe(`backup b1: authentication failed at chunk ${index}`);
    }
  });

  test('an edited header is refused: its digest is bound into every chunk, so chunk 0 fails', async () => {
    const object = await encryptAll(plaintext, ring);
    const json = object.subarray(MAGIC.length + 4, frameOffsets(object)[0]).toString('utf8');
    // Rewrite the creation time: the header still parses and the key still unwraps.
    const edited = json.replace(
      /"createdAt":"(\d)/,
      (_match, digit: string) => `"createdAt":"${digit === '1' ? '2' : '1'}`,
    );
    expect(edited).not.toBe(json);
    const tampered = Buffer.concat([
      object.subarray(0, MAGIC.length + 4),
      Buffer.from(edited, 'utf8'),
      object.subarray(frameOffsets(object)[0]),
    ]);
    const error = await failureOf(decryptAll(tampered, ring));
    expect(error.message).toBe('backup b1: authentication failed at chunk 0');
  });

  test('an object cut short anywhere is refused as truncated', async () => {
    const object = await encryptAll(plaintext, ring);
    const offsets = frameOffsets(object);
    // Inside the header, inside a chunk, and exactly at a chunk boundary (the worst case: every
    // chunk that is there authenticates).
    for (const cut of [
      10,
      (offsets[1] ?? 0) + 100,
      offsets[2] ?? 0,
      offsets.at(-1) ?? 0,
      object.length - 1,
    ]) {
      const error = await failureOf(decryptAll(object.subarray(0, cut), ring));
      expect(error.reason).toBe('truncated');
      expect(error.message).toMatch(/^backup b1: truncated/);
    }
  });

  test('chunks swapped, dropped or repeated are refused', async () => {
    const object = await encryptAll(plaintext, ring);
    const [h, c0, c1, c2, c3] = [0, ...frameOffsets(object), object.length].reduce<Buffer[]>(
      (parts, end, index, all) => (index === 0 ? parts : [...parts, object.subarray(all[index - 1], end)]),
      [],
    );
    if (!h || !c0 || !c1 || !c2 || !c3) throw new Error('expected four chunks');
    for (const [order, chunk] of [
      [[h, c1, c0, c2, c3], 0],
      [[h, c0, c2, c3], 1],
      [[h, c0, c1, c1, c2, c3], 2],
    ] as const) {
      const error = await failureOf(decryptAll(Buffer.concat(order), ring));
      expect(error.message).toBe(`backup b1: authentication failed at chunk ${chunk}`);
    }
  });

  test('data appended after the final chunk is refused', async () => {
    const object = await encryptAll(plaintext, ring);
    const error = await failureOf(decryptAll(Buffer.concat([object, Buffer.from([0])]), ring));
    expect(error.reason).toBe('trailing-data');
  });

  test('a final flag forged onto an earlier chunk is refused', async () => {
    const object = await encryptAll(plaintext, ring);
    const offsets = frameOffsets(object);
    const tampered = Buffer.from(object.subarray(0, offsets[1]));
    // Chunk 0 claims to be final; a non-final length passes the framing check only if final.
    tampered[offsets[0] ?? 0] = 1;
    const error = await failureOf(decryptAll(tampered, ring));
    expect(error.message).toBe('backup b1: authentication failed at chunk 0');
  });

  test('the wrong key-encryption key is refused by name, and a missing key id likewise', async () => {
    const object = await encryptAll(plaintext, ring);
    const wrong = await failureOf(decryptAll(object, keyring('kek-1')));
    expect(wrong.reason).toBe('wrong-key');
    expect(wrong.message).toMatch(/^backup b1: the data key does not unwrap with key id kek-1/);
    const missing = await failureOf(decryptAll(object, keyring('kek-2')));
    expect(missing.message).toBe('backup b1: key id kek-1 not available');
  });

  test('a rotated keyring still decrypts backups wrapped by the retired key', async () => {
    const old = randomBytes(32);
    const object = await encryptAll(plaintext, keyring('kek-1', old));
    const rotated = new Keyring(
      new Map([
        ['kek-1', old],
        ['kek-2', randomBytes(32)],
      ]),
      'kek-2',
    );
    expect((await decryptAll(object, rotated)).equals(plaintext)).toBe(true);
  });

  test("another backup's object is refused, even with the right key", async () => {
    const object = await encryptAll(plaintext, ring, { backupId: 'b2' });
    const error = await failureOf(decryptAll(object, ring, 'b1'));
    expect(error.message).toBe('backup b1: the object holds backup b2, not this one');
  });

  test('no final chunk is written when the source fails, so a failed dump never looks complete', async () => {
    const failing = encryptAll(plaintext, ring, {
      beforeFinal: () => Promise.reject(new Error('pg_dump exited with code 1')),
    });
    await expect(failing).rejects.toThrow('pg_dump exited with code 1');
  });

  test('the decoder authenticates incrementally, holding at most about one chunk', () => {
    return encryptAll(plaintext, ring).then((object) => {
      const decoder = new BackupDecoder({ keyring: ring, backupId: 'b1' });
      let out = 0;
      for (const piece of splitInto(object, 100))
        for (const chunk of decoder.write(piece)) out += chunk.length;
      decoder.end();
      expect(out).toBe(plaintext.length);
      expect(decoder.chunks).toBe(4);
    });
  });

  test('the digest stream hashes exactly what passes', async () => {
    const digest = new DigestStream();
    await pipeline(
      Readable.from([plaintext]),
      digest,
      new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    );
    expect(digest.digest()).toBe(createHash('sha256').update(plaintext).digest('hex'));
    expect(digest.bytes).toBe(plaintext.length);
  });
});
