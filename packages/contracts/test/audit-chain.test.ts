import { createHash } from 'node:crypto';

import {
  canonicalEntry,
  entryHash,
  GENESIS_HASH,
  walkChain,
  type ChainEntry,
  type ChainFields,
} from '../src';

/** The chain's definition, as docs/audit-chain.md specifies it for anyone who wants to recompute it. */
const first: ChainFields = {
  sequence: 1n,
  eventId: '0b7f4e2a-5c1d-4e8f-9a3b-2c6d8e0f1a2b',
  occurredAt: new Date('2026-11-22T10:00:00.000Z'),
  recordedAt: new Date('2026-11-22T10:00:00.250Z'),
  actorService: 'auth',
  actorUserId: null,
  actorRole: 'client',
  action: 'auth.user.registered',
  subjectType: 'user',
  subjectId: 'u-1',
  tenant: null,
  outcome: 'success',
  sourceIp: null,
  userAgent: 'Mozilla/5.0 "quoted" é',
  correlationId: 'corr-00000001',
};

test('the hash is SHA-256 over the previous hash and the RFC 8785 encoding, exactly as documented', () => {
  // Written out by hand from docs/audit-chain.md: keys sorted by UTF-16 code units, no spaces.
  const documented =
    '{"action":"auth.user.registered","actor":{"role":"client","service":"auth","userId":null},' +
    '"correlationId":"corr-00000001","eventId":"0b7f4e2a-5c1d-4e8f-9a3b-2c6d8e0f1a2b",' +
    '"occurredAt":"2026-11-22T10:00:00.000Z","outcome":"success","recordedAt":"2026-11-22T10:00:00.250Z",' +
    '"sequence":"1","sourceIp":null,"subject":{"id":"u-1","type":"user"},"tenant":null,' +
    '"userAgent":"Mozilla/5.0 \\"quoted\\" é","v":1}';
  expect(canonicalEntry(first)).toBe(documented);
  const expected = createHash('sha256')
    .update(Buffer.from(GENESIS_HASH, 'hex'))
    .update(documented, 'utf8')
    .digest('hex');
  expect(entryHash(GENESIS_HASH, first)).toBe(expected);
});

/** A chain of `length` linked entries from the genesis. */
function chain(length: number): ChainEntry[] {
  const entries: ChainEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= length; i++) {
    const fields = { ...first, sequence: BigInt(i), subjectId: `u-${String(i)}` };
    const hash = entryHash(prevHash, fields);
    entries.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

/** Pages of the stored entries, as a database read would return them. */
const pages = (entries: ChainEntry[]) => (from: bigint, limit: number) =>
  Promise.resolve(entries.filter((entry) => entry.sequence >= from).slice(0, limit));

describe('walking the chain', () => {
  test('an untouched chain verifies across pages, ending at the last hash', async () => {
    const entries = chain(7);
    const walk = await walkChain(pages(entries), undefined, 3);
    expect(walk).toEqual({
      intact: true,
      entriesChecked: 7,
      verifiedThrough: 7n,
      headHash: entries[6]?.hash,
    });
  });

  test('an edited entry is caught at its own sequence, and nothing after it counts as verified', async () => {
    const entries = chain(5).map((entry) =>
      entry.sequence === 3n ? { ...entry, outcome: 'failure' } : entry,
    );
    const walk = await walkChain(pages(entries));
    expect(walk).toMatchObject({
      intact: false,
      verifiedThrough: 2n,
      firstBroken: { sequence: 3n, reason: 'hash_mismatch' },
    });
  });

  test('a deleted entry is caught as missing', async () => {
    const entries = chain(5).filter((entry) => entry.sequence !== 4n);
    const walk = await walkChain(pages(entries));
    expect(walk.firstBroken).toEqual({ sequence: 4n, reason: 'missing_entry' });
  });

  test('a re-hashed edit is caught at the next link', async () => {
    const entries = chain(4).map((entry) => {
      if (entry.sequence !== 2n) return entry;
      const edited = { ...entry, outcome: 'denied' };
      return { ...edited, hash: entryHash(edited.prevHash, edited) };
    });
    const walk = await walkChain(pages(entries));
    expect(walk.firstBroken).toEqual({ sequence: 3n, reason: 'prev_hash_mismatch' });
  });
});
