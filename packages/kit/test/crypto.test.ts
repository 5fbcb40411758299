import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';
import {
  DecryptionError,
  decrypt,
  encrypt,
  keyringEnvSchema,
  needsRotation,
  rewrap,
  type DecryptionFailure,
  type Keyring,
} from '../src/crypto';

const newKey = (): string => randomBytes(32).toString('base64');

function keyringFrom(keys: Record<string, string>, active: string): Keyring {
  const ENCRYPTION_KEYS = Object.entries(keys)
    .map(([id, key]) => `${id}:${key}`)
    .join(',');
  return keyringEnvSchema.parse({ ENCRYPTION_KEYS, ENCRYPTION_ACTIVE_KEY_ID: active }).keyring;
}

/** Everything an operator could see of a refused configuration. */
function refusal(env: Record<string, string | undefined>): string {
  const result = keyringEnvSchema.safeParse(env);
  if (result.success) throw new Error('expected the configuration to be refused');
  return [z.prettifyError(result.error), result.error.message, JSON.stringify(result.error.issues)].join(
    '\n',
  );
}

/** Fails if any 8 consecutive characters of the secret appear in the text. */
function expectNoFragmentOf(secret: string, text: string): void {
  for (let i = 0; i + 8 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 8));
}

function decryptionFailure(run: () => unknown): DecryptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof DecryptionError) return error;
    throw new Error(`expected a DecryptionError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected decryption to fail, but it succeeded');
}

function expectRefusedAs(reason: DecryptionFailure, run: () => unknown): void {
  expect(decryptionFailure(run).reason).toBe(reason);
}

const field = (token: string, index: number): string => token.split('.')[index] ?? '';
const withField = (token: string, index: number, value: string): string =>
  token
    .split('.')
    .map((part, i) => (i === index ? value : part))
    .join('.');

const aliceTotp = 'auth.totp_secret:2f1c6a52-7d4b-4c1e-9a51-0b8e3c0f9d11';
const bobTotp = 'auth.totp_secret:8a0e3f47-1b6c-4f2d-b3a9-5e7c9d1f2a60';
// 16 bytes of plaintext make 32 bytes of ciphertext+tag, which leave two unused bits in the last
// base64url character: a lenient decoder would not notice those bits changing.
const secret = 'JBSWY3DPEHPK3PXP';

describe('encrypting secrets at rest', () => {
  const keyring = keyringFrom({ k1: newKey() }, 'k1');

  it('decrypting returns exactly the bytes that were encrypted, for text and binary values', () => {
    const binary = randomBytes(64);
    for (const value of ['', secret, 'päss wörd ✓']) {
      expect(decrypt(keyring, encrypt(keyring, value, aliceTotp), aliceTotp).toString('utf8')).toBe(value);
    }
    expect(decrypt(keyring, encrypt(keyring, binary, aliceTotp), aliceTotp).equals(binary)).toBe(true);
  });

  it('the same plaintext encrypts differently every time', () => {
    const tokens = Array.from({ length: 20 }, () => encrypt(keyring, secret, aliceTotp));
    expect(new Set(tokens).size).toBe(tokens.length);
    // Not just a different wrap: both IVs and the data key, and so the ciphertext, are fresh each time.
    for (const index of [2, 3, 4, 5])
      expect(new Set(tokens.map((token) => field(token, index))).size).toBe(20);
  });

  it('a token is one text-column-safe string in the documented v1 layout, without the plaintext', () => {
    const token = encrypt(keyring, secret, aliceTotp);
    expect(token).toMatch(/^v1\.k1\.[\w-]{16}\.[\w-]{64}\.[\w-]{16}\.[\w-]{43}$/);
    expect(token).not.toContain(secret);
    expect(token).not.toContain(Buffer.from(secret).toString('base64url'));
  });

  it('an empty AAD is refused, because it would bind the value to nothing', () => {
    expect(() => encrypt(keyring, secret, '')).toThrow(TypeError);
  });
});

describe('the v1 format, as specified at the top of crypto.ts', () => {
  // An independent implementation of the comment, so the comment cannot drift from the code.
  const kek = randomBytes(32);
  const keyring = keyringFrom({ 'k-spec': kek.toString('base64') }, 'k-spec');

  function gcmOpen(key: Buffer, iv: Buffer, sealed: Buffer, aad: string): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(-16));
    return Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]);
  }

  function gcmSeal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: string): Buffer {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  it('a token made by encrypt opens by following the specification alone', () => {
    const token = encrypt(keyring, secret, aliceTotp);
    const [wrapIv, wrappedDek, iv, ciphertext] = [2, 3, 4, 5].map((i) =>
      Buffer.from(field(token, i), 'base64url'),
    );
    expect([field(token, 0), field(token, 1)]).toEqual(['v1', 'k-spec']);
    if (!wrapIv || !wrappedDek || !iv || !ciphertext) throw new Error('a token has six fields');
    expect([wrapIv.length, wrappedDek.length, iv.length, ciphertext.length]).toEqual([12, 48, 12, 32]);
    const dek = gcmOpen(kek, wrapIv, wrappedDek, `v1:wrap:k-spec:${aliceTotp}`);
    expect(gcmOpen(dek, iv, ciphertext, `v1:data:${aliceTotp}`).toString('utf8')).toBe(secret);
  });

  it('a token built by following the specification alone decrypts', () => {
    const [dek, wrapIv, iv] = [randomBytes(32), randomBytes(12), randomBytes(12)];
    const token = [
      'v1',
      'k-spec',
      wrapIv,
      gcmSeal(kek, wrapIv, dek, `v1:wrap:k-spec:${aliceTotp}`),
      iv,
      gcmSeal(dek, iv, Buffer.from(secret), `v1:data:${aliceTotp}`),
    ]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
    expect(decrypt(keyring, token, aliceTotp).toString('utf8')).toBe(secret);
  });
});

describe('binding a value to its row and column', () => {
  const keyring = keyringFrom({ k1: newKey() }, 'k1');

  it('a ciphertext moved to another row (different AAD) is rejected', () => {
    const token = encrypt(keyring, secret, aliceTotp);
    expectRefusedAs('unauthentic', () => decrypt(keyring, token, bobTotp));
    expectRefusedAs('unauthentic', () => decrypt(keyring, token, 'auth.recovery_code:2f1c6a52'));
  });

  it('flipping any single byte of the token is detected', () => {
    const token = encrypt(keyring, secret, aliceTotp);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let forgeries = 0;
    for (let i = 0; i < token.length; i++) {
      const original = token.charAt(i);
      const value = alphabet.indexOf(original);
      const replacements = new Set([
        String.fromCharCode(original.charCodeAt(0) ^ 0x01),
        String.fromCharCode(original.charCodeAt(0) ^ 0x20),
        // The base64url digit one bit away, which covers the unused low bits of a final digit.
        value < 0 ? '' : alphabet.charAt(value ^ 0x01),
      ]);
      replacements.delete('');
      for (const replacement of replacements) {
        const forged = token.slice(0, i) + replacement + token.slice(i + 1);
        decryptionFailure(() => decrypt(keyring, forged, aliceTotp));
        forgeries++;
      }
    }
    expect(forgeries).toBeGreaterThanOrEqual(token.length * 2);
  });

  it("splicing one value's wrapped data key onto another value's ciphertext is rejected", () => {
    const first = encrypt(keyring, secret, aliceTotp);
    const second = encrypt(keyring, 'another secret!!', aliceTotp);
    const spliced = withField(withField(first, 4, field(second, 4)), 5, field(second, 5));
    expectRefusedAs('unauthentic', () => decrypt(keyring, spliced, aliceTotp));
  });

  it('relabelling a token with another key id is detected, even when both ids hold the same key', () => {
    const shared = newKey();
    const twins = keyringFrom({ k1: shared, k2: shared }, 'k1');
    const token = encrypt(twins, secret, aliceTotp);
    expect(decrypt(twins, token, aliceTotp).toString()).toBe(secret);
    expectRefusedAs('unauthentic', () => decrypt(twins, withField(token, 1, 'k2'), aliceTotp));
  });

  it('truncated, padded or foreign tokens are refused with a DecryptionError rather than a crash', () => {
    const token = encrypt(keyring, secret, aliceTotp);
    // Cutting or extending the ciphertext may still parse; it must then fail authentication.
    decryptionFailure(() => decrypt(keyring, token.slice(0, -1), aliceTotp));
    decryptionFailure(() => decrypt(keyring, `${token}A`, aliceTotp));
    const candidates = [
      '',
      'v1',
      secret,
      `${token}.`,
      `${token}==`,
      withField(token, 0, 'v2'),
      withField(token, 1, 'K1'),
      withField(token, 2, `${field(token, 2)}AAAA`),
      token.split('.').slice(0, 5).join('.'),
      Buffer.from(token).toString('base64'),
    ];
    for (const candidate of candidates)
      expectRefusedAs('malformed', () => decrypt(keyring, candidate, aliceTotp));
  });

  it('a decryption failure reveals neither the plaintext nor any key', () => {
    const key = newKey();
    const ring = keyringFrom({ k1: key }, 'k1');
    const token = encrypt(ring, secret, aliceTotp);
    const failures = [
      decryptionFailure(() => decrypt(ring, token, bobTotp)),
      decryptionFailure(() =>
        decrypt(ring, withField(token, 5, field(token, 5).replace(/^./, 'A')), aliceTotp),
      ),
      decryptionFailure(() => decrypt(keyringFrom({ k9: newKey() }, 'k9'), token, aliceTotp)),
      decryptionFailure(() => decrypt(ring, token.slice(1), aliceTotp)),
    ];
    for (const failure of failures) {
      const visible = [failure.message, failure.stack, inspect(failure), JSON.stringify(failure)].join('\n');
      expect(visible).not.toContain(secret);
      expectNoFragmentOf(key, visible);
      expect(failure.cause).toBeUndefined();
    }
  });
});

describe('rotating keys', () => {
  const oldKey = newKey();
  const newerKey = newKey();
  const beforeRotation = keyringFrom({ k2024: oldKey }, 'k2024');
  const afterRotation = keyringFrom({ k2024: oldKey, k2025: newerKey }, 'k2025');

  it('a value encrypted under an old key still decrypts after the active key rotates', () => {
    const token = encrypt(beforeRotation, secret, aliceTotp);
    expect(decrypt(afterRotation, token, aliceTotp).toString()).toBe(secret);
  });

  it('new values are wrapped by the active key', () => {
    expect(field(encrypt(afterRotation, secret, aliceTotp), 1)).toBe('k2025');
  });

  it('a value whose key was retired from the keyring is refused as unknown-key, naming only the key id', () => {
    const token = encrypt(beforeRotation, secret, aliceTotp);
    const retired = keyringFrom({ k2025: newerKey }, 'k2025');
    const failure = decryptionFailure(() => decrypt(retired, token, aliceTotp));
    expect(failure.reason).toBe('unknown-key');
    expect(failure.message).toContain("'k2024'");
  });

  it('needsRotation is false for values wrapped by the active key and true for older ones', () => {
    const old = encrypt(beforeRotation, secret, aliceTotp);
    const current = encrypt(afterRotation, secret, aliceTotp);
    expect(needsRotation(beforeRotation, old)).toBe(false);
    expect(needsRotation(afterRotation, old)).toBe(true);
    expect(needsRotation(afterRotation, current)).toBe(false);
    expectRefusedAs('malformed', () => needsRotation(afterRotation, 'not a token'));
  });

  it('rewrap changes the key id and keeps the plaintext', () => {
    const old = encrypt(beforeRotation, secret, aliceTotp);
    const rewrapped = rewrap(afterRotation, old, aliceTotp);
    expect(field(old, 1)).toBe('k2024');
    expect(field(rewrapped, 1)).toBe('k2025');
    expect(needsRotation(afterRotation, rewrapped)).toBe(false);
    expect(decrypt(afterRotation, rewrapped, aliceTotp).toString()).toBe(secret);
    // Once rewrapped, the old key is no longer needed.
    expect(decrypt(keyringFrom({ k2025: newerKey }, 'k2025'), rewrapped, aliceTotp).toString()).toBe(secret);
  });

  it('rewrap replaces only the key wrap and leaves the encrypted data byte-for-byte as it was', () => {
    const old = encrypt(beforeRotation, secret, aliceTotp);
    const rewrapped = rewrap(afterRotation, old, aliceTotp);
    expect(field(rewrapped, 2)).not.toBe(field(old, 2));
    expect(field(rewrapped, 3)).not.toBe(field(old, 3));
    expect(field(rewrapped, 4)).toBe(field(old, 4));
    expect(field(rewrapped, 5)).toBe(field(old, 5));
  });

  it('rewrap cannot move a value to another row', () => {
    const old = encrypt(beforeRotation, secret, aliceTotp);
    expectRefusedAs('unauthentic', () => rewrap(afterRotation, old, bobTotp));
    expectRefusedAs('unauthentic', () =>
      decrypt(afterRotation, rewrap(afterRotation, old, aliceTotp), bobTotp),
    );
  });
});

describe('the keyring configuration', () => {
  it('ENCRYPTION_KEYS and ENCRYPTION_ACTIVE_KEY_ID yield a keyring that wraps new values with the active key', () => {
    const { keyring } = keyringEnvSchema.parse({
      ENCRYPTION_KEYS: ` k-old:${newKey()} , k-new:${newKey()} `,
      ENCRYPTION_ACTIVE_KEY_ID: 'k-new',
    });
    expect(keyring.keyIds).toEqual(['k-old', 'k-new']);
    expect(keyring.activeKeyId).toBe('k-new');
    expect(field(encrypt(keyring, secret, aliceTotp), 1)).toBe('k-new');
  });

  it("composes into a service's own config schema", () => {
    const config = z
      .object({ PORT: z.coerce.number() })
      .and(keyringEnvSchema)
      .parse({ PORT: '50051', ENCRYPTION_KEYS: `k1:${newKey()}`, ENCRYPTION_ACTIVE_KEY_ID: 'k1' });
    expect(config.PORT).toBe(50051);
    expect(config.keyring.activeKeyId).toBe('k1');
  });

  it.each([16, 31, 33, 48])(
    'a key of the wrong length (%i bytes) is refused at start-up without echoing it',
    (length) => {
      const wrong = randomBytes(length).toString('base64');
      const message = refusal({
        ENCRYPTION_KEYS: `k1:${newKey()},k2:${wrong}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'k1',
      });
      expect(message).toContain(`ENCRYPTION_KEYS key 'k2' is ${length} bytes`);
      expectNoFragmentOf(wrong, message);
    },
  );

  it('a key that is not canonical base64 is refused without echoing it', () => {
    const bytes = Buffer.alloc(32, 0xfb); // encodes with '+' and '/', which base64url would change
    for (const wrong of [
      bytes.toString('base64url'),
      bytes.toString('base64').replace(/=+$/, ''),
      `${newKey()}!`,
    ]) {
      const message = refusal({ ENCRYPTION_KEYS: `k1:${wrong}`, ENCRYPTION_ACTIVE_KEY_ID: 'k1' });
      expect(message).toContain("ENCRYPTION_KEYS key 'k1' is not valid base64");
      expectNoFragmentOf(wrong, message);
    }
  });

  it('an entry without a key id is refused without echoing the key', () => {
    const key = newKey();
    const message = refusal({ ENCRYPTION_KEYS: key, ENCRYPTION_ACTIVE_KEY_ID: 'k1' });
    expect(message).toContain('ENCRYPTION_KEYS entry 1 is not of the form <key id>:<base64 key>');
    expectNoFragmentOf(key, message);
  });

  it('a key id listed twice is refused', () => {
    const message = refusal({
      ENCRYPTION_KEYS: `k1:${newKey()},k1:${newKey()}`,
      ENCRYPTION_ACTIVE_KEY_ID: 'k1',
    });
    expect(message).toContain("ENCRYPTION_KEYS lists key id 'k1' more than once");
  });

  it.each(['K1', '-k1', 'k_1', 'k.1', 'a'.repeat(33), ''])(
    'a key id outside ^[a-z0-9][a-z0-9-]{0,31}$ (%j) is refused without echoing the entry',
    (id) => {
      const key = newKey();
      const message = refusal({ ENCRYPTION_KEYS: `${id}:${key}`, ENCRYPTION_ACTIVE_KEY_ID: 'k1' });
      expect(message).toContain('ENCRYPTION_KEYS entry 1 has a key id that does not match');
      expectNoFragmentOf(key, message);
    },
  );

  it('a key id of up to 32 lowercase letters, digits and dashes is accepted', () => {
    const id = `0-${'z'.repeat(30)}`;
    expect(keyringFrom({ [id]: newKey() }, id).activeKeyId).toBe(id);
  });

  it('an active key id that is not among ENCRYPTION_KEYS is refused', () => {
    const message = refusal({ ENCRYPTION_KEYS: `k1:${newKey()}`, ENCRYPTION_ACTIVE_KEY_ID: 'k2' });
    expect(message).toContain("ENCRYPTION_ACTIVE_KEY_ID 'k2' is not among the ENCRYPTION_KEYS ids");
  });

  it('an active key id that is not a valid id is refused without echoing it', () => {
    const key = newKey();
    const message = refusal({ ENCRYPTION_KEYS: `k1:${key}`, ENCRYPTION_ACTIVE_KEY_ID: key });
    expect(message).toContain('ENCRYPTION_ACTIVE_KEY_ID does not match');
    expectNoFragmentOf(key, message);
  });

  it('missing or empty settings are refused, naming each variable', () => {
    const missing = refusal({});
    expect(missing).toContain('ENCRYPTION_KEYS is required');
    expect(missing).toContain('ENCRYPTION_ACTIVE_KEY_ID is required');
    expect(refusal({ ENCRYPTION_KEYS: ' ', ENCRYPTION_ACTIVE_KEY_ID: 'k1' })).toContain(
      'ENCRYPTION_KEYS lists no keys',
    );
  });

  it('every problem is reported in one start-up failure', () => {
    const message = refusal({
      ENCRYPTION_KEYS: `k1:${randomBytes(31).toString('base64')},k1:${newKey()}`,
      ENCRYPTION_ACTIVE_KEY_ID: 'k3',
    });
    expect(message).toContain("key 'k1' is 31 bytes");
    expect(message).toContain("lists key id 'k1' more than once");
    expect(message).toContain("ENCRYPTION_ACTIVE_KEY_ID 'k3' is not among");
  });

  it('a keyring can be logged or serialised without revealing key material', () => {
    const key = newKey();
    const config = keyringEnvSchema.parse({ ENCRYPTION_KEYS: `k1:${key}`, ENCRYPTION_ACTIVE_KEY_ID: 'k1' });
    const hex = Buffer.from(key, 'base64').toString('hex');
    const url = Buffer.from(key, 'base64').toString('base64url');
    for (const visible of [JSON.stringify(config), inspect(config, { depth: Infinity, showHidden: true })]) {
      expect(visible).toContain('k1');
      for (const form of [key, hex, url]) expectNoFragmentOf(form, visible);
    }
  });
});
