import { randomName } from '@tracking/testing';

import type { ValidSession } from '../src/sessions';
import { findUsers, searchSubject } from '../src/user-search';
import { setUserDisabled } from '../src/users';
import { newUser, signIn, useAuthFixture } from './support';

/** The admin console's user search: by id or the start of an email, never a secret. */
describe('finding users', () => {
  const fixture = useAuthFixture();
  let admin: ValidSession;
  beforeAll(async () => {
    admin = (await signIn(fixture(), await newUser(fixture(), 'admin'))).session;
  });

  test('the start of an email finds the account whatever the case, with its role and status and nothing secret', async () => {
    const user = await newUser(fixture(), 'trainer');
    const disabler = await newUser(fixture(), 'admin');
    await setUserDisabled(fixture().deps, (await signIn(fixture(), disabler)).session, user.id, true);

    const found = await findUsers(fixture().deps, admin, user.email.slice(0, 12).toUpperCase(), 0);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      id: user.id,
      email: user.email,
      role: 'trainer',
      emailVerified: false,
      mfaEnabled: false,
      disabled: true,
      plan: 'free',
    });
    expect(Object.keys(found[0] ?? {}).sort()).toEqual(
      [
        'createdAt',
        'disabled',
        'displayName',
        'email',
        'emailVerified',
        'id',
        'mfaEnabled',
        'plan',
        'role',
      ].sort(),
    );
    expect(JSON.stringify(found)).not.toMatch(/argon2|password/i);
  });

  test('a user id finds exactly that account', async () => {
    const user = await newUser(fixture());
    await newUser(fixture());
    expect((await findUsers(fixture().deps, admin, user.id, 0)).map((u) => u.email)).toEqual([user.email]);
  });

  test('LIKE wildcards in the query match only themselves, so "%" cannot list every account', async () => {
    await newUser(fixture());
    expect(await findUsers(fixture().deps, admin, '%%%', 50)).toEqual([]);
    expect(await findUsers(fixture().deps, admin, 'use_', 50)).toEqual([]);
  });

  test('a query shorter than 3 characters is refused, and at most 50 accounts come back', async () => {
    await expect(findUsers(fixture().deps, admin, 'us', 0)).rejects.toMatchObject({
      details: { query: 'must be a user id or at least 3 characters' },
    });
    const prefix = randomName('many');
    for (let i = 0; i < 3; i += 1) await newUser(fixture());
    expect((await findUsers(fixture().deps, admin, 'user', 2)).length).toBe(2);
    expect((await findUsers(fixture().deps, admin, prefix, 0)).length).toBe(0);
  });

  test('every search is in the audit log with the admin as actor: a digest of an email prefix, never the address typed (#23)', async () => {
    // An admin of this test alone, so the outbox holds only these searches of theirs.
    const searcher = (await signIn(fixture(), await newUser(fixture(), 'admin'))).session;
    const user = await newUser(fixture());
    const prefix = user.email.slice(0, 12);
    await findUsers(fixture().deps, searcher, `  ${prefix.toUpperCase()} `, 0);
    await findUsers(fixture().deps, searcher, user.id, 0);
    const { rows } = await fixture().owner.query<{
      payload: { actor: unknown; data: Record<string, unknown> };
    }>(
      `SELECT payload FROM outbox WHERE topic = 'audit.events.v1' AND message_key = $1
         AND payload->'data'->>'action' = 'auth.user.searched' ORDER BY id`,
      [searcher.userId],
    );
    expect(rows.map((row) => row.payload.actor)).toEqual([
      { service: 'auth', userId: searcher.userId, role: 'admin' },
      { service: 'auth', userId: searcher.userId, role: 'admin' },
    ]);
    expect(rows.map((row) => row.payload.data.subject)).toEqual([
      { type: 'user_search', id: searchSubject(prefix).id },
      { type: 'user', id: user.id },
    ]);
    // The same prefix in any case and spacing gives the same digest; the address is nowhere.
    expect(searchSubject(prefix.toUpperCase())).toEqual(searchSubject(prefix));
    expect(JSON.stringify(rows).toLowerCase()).not.toContain(prefix.toLowerCase());
  });

  test('a refused search (too short) records nothing', async () => {
    const before = await fixture().owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE payload->'data'->>'action' = 'auth.user.searched'`,
    );
    await expect(findUsers(fixture().deps, admin, 'ab', 0)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const after = await fixture().owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE payload->'data'->>'action' = 'auth.user.searched'`,
    );
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });
});
