import { randomName } from '@tracking/testing';

import { findUsers } from '../src/user-search';
import { setUserDisabled } from '../src/users';
import { newUser, signIn, useAuthFixture } from './support';

/** The admin console's user search: by id or the start of an email, never a secret. */
describe('finding users', () => {
  const fixture = useAuthFixture();

  test('the start of an email finds the account whatever the case, with its role and status and nothing secret', async () => {
    const user = await newUser(fixture(), 'trainer');
    const admin = await newUser(fixture(), 'admin');
    await setUserDisabled(fixture().deps, (await signIn(fixture(), admin)).session, user.id, true);

    const found = await findUsers(fixture().deps, user.email.slice(0, 12).toUpperCase(), 0);
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
    expect((await findUsers(fixture().deps, user.id, 0)).map((u) => u.email)).toEqual([user.email]);
  });

  test('LIKE wildcards in the query match only themselves, so "%" cannot list every account', async () => {
    await newUser(fixture());
    expect(await findUsers(fixture().deps, '%%%', 50)).toEqual([]);
    expect(await findUsers(fixture().deps, 'use_', 50)).toEqual([]);
  });

  test('a query shorter than 3 characters is refused, and at most 50 accounts come back', async () => {
    await expect(findUsers(fixture().deps, 'us', 0)).rejects.toMatchObject({
      details: { query: 'must be a user id or at least 3 characters' },
    });
    const prefix = randomName('many');
    for (let i = 0; i < 3; i += 1) await newUser(fixture());
    expect((await findUsers(fixture().deps, 'user', 2)).length).toBe(2);
    expect((await findUsers(fixture().deps, prefix, 0)).length).toBe(0);
  });
});
