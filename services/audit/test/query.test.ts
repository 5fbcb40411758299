import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { newEvent, runWithContext } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';

import { verifyChain } from '../src/chain';
import { createPrisma, type PrismaClient } from '../src/db';
import { appendEntry } from '../src/entries';
import { exportEntries, listEntries, parseExport, recordRead } from '../src/query';
import { listQuery, testKeyring } from './support';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const kek = testKeyring();

/** The admin query API's filters, pages and exports, on a real log in PostgreSQL. */
describe('querying the audit log', () => {
  const alice = randomUUID();
  const bob = randomUUID();
  const admin = { service: 'audit', userId: randomUUID(), role: 'admin' };
  const hour = (n: number) => new Date(Date.UTC(2026, 10, 1, n));
  /** action, actor, subject, outcome, hour it happened, correlation id: 12 entries, sequence 1 to 12. */
  const rows = [
    ['auth.login.succeeded', alice, ['user', alice], 'success', 1, 'corr-one-0001'],
    ['auth.login.failed', alice, ['user', alice], 'failure', 2, 'corr-two-0002'],
    ['auth.mfa.enabled', alice, ['user', alice], 'success', 3, 'corr-two-0002'],
    ['auth.mfa.replay_rejected', null, ['user', alice], 'denied', 4, 'corr-three-003'],
    ['auth.login.succeeded', bob, ['user', bob], 'success', 5, 'corr-four-0004'],
    ['tracking.meal.logged', bob, ['meal', 'meal-1'], 'success', 6, 'corr-five-0005'],
    ['tracking.meal.logged', bob, ['meal', 'meal-2'], 'success', 7, 'corr-six-00006'],
    ['tracking.meal.deleted', bob, ['meal', 'meal-1'], 'success', 8, 'corr-seven-007'],
    // An action whose prefix contains an underscore: a LIKE wildcard if left unescaped.
    ['auth.mfa_x.done', alice, ['user', alice], 'success', 9, 'corr-eight-008'],
    ['auth.mfaxx.done', alice, ['user', alice], 'success', 10, 'corr-nine-0009'],
    ['auth.login.succeeded', alice, ['user', alice], 'success', 11, 'corr-ten-00010'],
    ['auth.user.role_changed', bob, ['user', alice], 'success', 12, 'corr-eleven-11'],
  ] as const;

  let fixture: { db: TestDatabase; prisma: PrismaClient } | undefined;
  const setup = () => {
    if (!fixture) throw new Error('the test database was not set up');
    return fixture;
  };
  const sequencesOf = (entries: { sequence: bigint }[]) => entries.map((entry) => Number(entry.sequence));
  const list = async (fields: Parameters<typeof listQuery>[0]) =>
    sequencesOf((await listEntries(setup().prisma, kek, listQuery({ pageSize: 100, ...fields }))).entries);

  beforeAll(async () => {
    const db = await createTestDatabase(MIGRATIONS);
    fixture = { db, prisma: createPrisma(db.appUrl) };
    for (const [action, actor, [subjectType, subjectId], outcome, at, correlationId] of rows) {
      const event = runWithContext({ correlationId }, () =>
        newEvent({
          type: 'audit.recorded',
          actor: { service: 'test', userId: actor, role: actor ? 'client' : null },
          occurredAt: hour(at),
          data: {
            action,
            subject: { type: subjectType, id: subjectId },
            outcome,
            sourceIp: '192.0.2.1',
            userAgent: 'query-test',
          },
        }),
      );
      await fixture.prisma.$transaction((tx) => appendEntry(tx, event, kek));
    }
  });

  afterAll(async () => {
    await fixture?.prisma.$disconnect();
    await fixture?.db.drop();
  });

  test('each filter returns exactly the entries that match it, and filters combine', async () => {
    expect(await list({})).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await list({ actorUserId: bob })).toEqual([5, 6, 7, 8, 12]);
    // However the caller spells the id.
    expect(await list({ actorUserId: bob.toUpperCase() })).toEqual([5, 6, 7, 8, 12]);
    expect(await list({ subjectType: 'user', subjectId: alice })).toEqual([1, 2, 3, 4, 9, 10, 11, 12]);
    expect(await list({ subjectType: 'meal' })).toEqual([6, 7, 8]);
    expect(await list({ subjectType: 'meal', subjectId: 'meal-1' })).toEqual([6, 8]);
    expect(await list({ action: 'auth.login.succeeded' })).toEqual([1, 5, 11]);
    expect(await list({ action: 'auth.mfa.*' })).toEqual([3, 4]);
    expect(await list({ action: 'tracking.*' })).toEqual([6, 7, 8]);
    // The underscore is a literal, not LIKE's "any one character": auth.mfaxx.done stays out.
    expect(await list({ action: 'auth.mfa_x.*' })).toEqual([9]);
    expect(await list({ occurredFrom: hour(5), occurredTo: hour(8) })).toEqual([5, 6, 7]);
    expect(await list({ occurredFrom: hour(11) })).toEqual([11, 12]);
    expect(await list({ occurredTo: hour(2) })).toEqual([1]);
    expect(await list({ correlationId: 'corr-two-0002' })).toEqual([2, 3]);
    expect(await list({ outcome: 'denied' })).toEqual([4]);
    expect(await list({ actorUserId: alice, action: 'auth.login.*', outcome: 'success' })).toEqual([1, 11]);
    expect(await list({ actorUserId: alice, occurredFrom: hour(10) })).toEqual([10, 11]);
    expect(await list({ action: 'billing.plan.changed' })).toEqual([]);
  });

  test('pages in either order cover every match once, and a token only continues its own query', async () => {
    const walk = async (newestFirst: boolean) => {
      const seen: number[] = [];
      let pageToken = '';
      do {
        const page = await listEntries(
          setup().prisma,
          kek,
          listQuery({ subjectType: 'user', pageSize: 3, pageToken, newestFirst }),
        );
        expect(page.entries.length).toBeLessThanOrEqual(3);
        seen.push(...sequencesOf(page.entries));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return seen;
    };
    expect(await walk(false)).toEqual([1, 2, 3, 4, 5, 9, 10, 11, 12]);
    expect(await walk(true)).toEqual([12, 11, 10, 9, 5, 4, 3, 2, 1]);

    const first = await listEntries(setup().prisma, kek, listQuery({ subjectType: 'user', pageSize: 2 }));
    expect(first.nextPageToken).not.toBe('');
    for (const other of [
      { subjectType: 'meal' },
      { subjectType: 'user', newestFirst: true },
      { subjectType: 'user', outcome: 'success' },
    ]) {
      await expect(
        listEntries(
          setup().prisma,
          kek,
          listQuery({ ...other, pageSize: 2, pageToken: first.nextPageToken }),
        ),
      ).rejects.toMatchObject({
        code: 'invalid_argument',
        details: { pageToken: 'belongs to a query with other filters or order; repeat them exactly' },
      });
    }
  });

  test('a page token it did not issue is a clear validation error, whatever it holds', async () => {
    for (const pageToken of ['1; DROP TABLE x', '12', `a${'9'.repeat(19)}.0123456789abcdef`, 'a1.zz']) {
      await expect(listEntries(setup().prisma, kek, listQuery({ pageToken }))).rejects.toMatchObject({
        code: 'invalid_argument',
        details: { pageToken: 'is not a page token from this service' },
      });
    }
  });

  test('a malformed filter is refused with the field and the reason, and nothing is read', async () => {
    const cases: [Parameters<typeof listQuery>[0], Record<string, unknown>][] = [
      [{ actorUserId: 'alice' }, { actorUserId: 'must be a user id' }],
      [{ subjectId: 'meal-1' }, { subjectType: 'is needed with subjectId' }],
      [{ subjectType: 'Meal; DROP' }, { subjectType: 'must be a type name' }],
      [
        { action: "auth.% OR 1=1 --'" },
        { action: 'must be an action such as auth.login.succeeded, or a prefix such as auth.mfa.*' },
      ],
      [{ action: 'auth.*.failed' }, { action: expect.stringMatching(/prefix/) }],
      [{ occurredFrom: hour(5), occurredTo: hour(5) }, { occurredTo: 'must be after occurredFrom' }],
      [{ outcome: 'maybe' }, { outcome: expect.any(String) }],
      [{ correlationId: 'bad id with spaces' }, { correlationId: 'is not a correlation id' }],
      [{ pageSize: 501 }, { pageSize: expect.any(String) }],
    ];
    for (const [fields, details] of cases) {
      await expect(listEntries(setup().prisma, kek, listQuery(fields))).rejects.toMatchObject({
        code: 'invalid_argument',
        details,
      });
    }
    expect(() => parseExport(listQuery({ subjectId: 'x' }))).toThrow('invalid query');
  });

  test('an export yields every match in order, in pages, as the log stood when it began', async () => {
    const filter = parseExport(listQuery({ action: 'auth.*' }));
    const pages: number[][] = [];
    for await (const page of exportEntries(setup().prisma, kek, filter, 2)) {
      pages.push(sequencesOf(page));
      if (pages.length === 1) {
        // Appended mid-export, and matching the filter: not part of this export.
        const late = newEvent({
          type: 'audit.recorded',
          actor: { service: 'test', userId: alice, role: 'client' },
          data: {
            action: 'auth.login.succeeded',
            subject: { type: 'user', id: alice },
            outcome: 'success',
            sourceIp: null,
            userAgent: null,
          },
        });
        await setup().prisma.$transaction((tx) => appendEntry(tx, late, kek));
      }
    }
    expect(pages).toEqual([[1, 2], [3, 4], [5, 9], [10, 11], [12]]);
    // Personal fields come back opened.
    const [first] = await (async () => {
      for await (const page of exportEntries(setup().prisma, kek, filter, 1)) return page;
      return [];
    })();
    expect(first?.personal).toEqual({ sourceIp: '192.0.2.1', userAgent: 'query-test' });
  });

  test('a read of the log is itself an entry in the chain: who read, from where, and whose entries', async () => {
    const { sequence } = await runWithContext(
      { correlationId: 'corr-read-0001', clientIp: '203.0.113.9', userAgent: 'admin-console' },
      () =>
        recordRead(
          setup().prisma,
          kek,
          admin,
          'audit.entries.listed',
          parseExport(listQuery({ actorUserId: bob })),
        ),
    );
    const [entry] = (await listEntries(setup().prisma, kek, listQuery({ correlationId: 'corr-read-0001' })))
      .entries;
    expect(entry).toMatchObject({
      sequence,
      action: 'audit.entries.listed',
      actorService: 'audit',
      actorUserId: admin.userId,
      actorRole: 'admin',
      subjectType: 'user',
      subjectId: bob,
      personal: { sourceIp: '203.0.113.9', userAgent: 'admin-console' },
    });
    const whole = await recordRead(setup().prisma, kek, admin, 'audit.chain.checked');
    expect(
      (await listEntries(setup().prisma, kek, listQuery({ action: 'audit.chain.checked' }))).entries[0],
    ).toMatchObject({ sequence: whole.sequence, subjectType: 'audit_log', subjectId: 'entries' });
    expect(await verifyChain(setup().prisma)).toMatchObject({ intact: true });
  });
});
