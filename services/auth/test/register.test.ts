import { verify } from '@node-rs/argon2';
import { createPool, runWithContext } from '@tracking/kit';

import { registerUser, verifyEmail } from '../src/users';
import { tokenMailed, useAuthFixture } from './support';

const TOO_GUESSABLE =
  'is too easy to guess (a common word, pattern or personal detail); a longer passphrase works';

describe('registering an account', () => {
  const setup = useAuthFixture();

  const outboxFor = async (userId: string) =>
    (
      await setup().owner.query<{
        topic: string;
        type: string;
        action: string | null;
        source_ip: string | null;
      }>(
        `SELECT topic, payload->>'type' AS type, payload->'data'->>'action' AS action, payload->'data'->>'sourceIp' AS source_ip
         FROM outbox WHERE message_key = $1 ORDER BY id`,
        [userId],
      )
    ).rows;

  test('stores the password only as an argon2id hash, and the user with its events in one transaction', async () => {
    const password = 'a perfectly long passphrase';
    const user = await runWithContext({ correlationId: 'register-test-0001', clientIp: '198.51.100.4' }, () =>
      registerUser(setup().deps, { email: '  Mixed.Case@Example.TEST ', password, displayName: 'Mixed' }),
    );
    const { rows } = await setup().owner.query<{ email: string; password_hash: string; role: string }>(
      'SELECT email, password_hash, role FROM users WHERE id = $1',
      [user.id],
    );
    expect(rows[0]?.email).toBe('mixed.case@example.test');
    expect(rows[0]?.role).toBe('client');
    expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(rows[0]?.password_hash).not.toContain(password);
    expect(await verify(rows[0]?.password_hash ?? '', password)).toBe(true);
    expect(await outboxFor(user.id)).toEqual([
      { topic: 'auth.user.v1', type: 'auth.user.registered', action: null, source_ip: null },
      {
        topic: 'audit.events.v1',
        type: 'audit.recorded',
        action: 'auth.user.registered',
        source_ip: '198.51.100.4',
      },
    ]);
  });

  test('the same email in another case is refused, and the refusal writes no user and no event', async () => {
    await registerUser(setup().deps, {
      email: 'taken@example.test',
      password: 'first long passphrase',
      displayName: 'First',
    });
    const before = await setup().owner.query<{ users: string; events: string }>(
      'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM outbox) AS events',
    );
    await expect(
      registerUser(setup().deps, {
        email: 'TAKEN@example.test',
        password: 'second long passphrase',
        displayName: 'Second',
      }),
    ).rejects.toMatchObject({ code: 'already_exists' });
    const after = await setup().owner.query(
      'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM outbox) AS events',
    );
    expect(after.rows).toEqual(before.rows);
  });

  test.each([
    [
      { email: 'not-an-email', password: 'a perfectly long passphrase', displayName: 'X' },
      { email: 'must be an email address' },
    ],
    [
      { email: 'a@example.test', password: 'short', displayName: 'X' },
      { password: 'must be at least 12 characters' },
    ],
    [
      { email: 'a@example.test', password: 'x'.repeat(257), displayName: 'X' },
      { password: 'must be at most 256 characters' },
    ],
    [
      { email: 'a@example.test', password: 'password1234', displayName: 'X' },
      { password: 'is on a list of commonly used passwords' },
    ],
    [
      { email: 'a@example.test', password: 'aaaaaaaaaaaaaaaa', displayName: 'X' },
      { password: TOO_GUESSABLE },
    ],
    [
      { email: 'jonathan.smithers@example.test', password: 'jonathansmithers', displayName: 'X' },
      { password: TOO_GUESSABLE },
    ],
    [
      { email: 'a@example.test', password: 'a perfectly long passphrase', displayName: '   ' },
      { displayName: 'is required' },
    ],
  ])('bad input is refused with the field named, and changes nothing (%#)', async (input, details) => {
    const before = await setup().owner.query('SELECT count(*) AS n FROM users');
    await expect(registerUser(setup().deps, input)).rejects.toMatchObject({
      code: 'invalid_argument',
      details,
    });
    expect((await setup().owner.query('SELECT count(*) AS n FROM users')).rows).toEqual(before.rows);
  });

  test('the emailed verification link verifies the address once, and not after it expires', async () => {
    const f = setup();
    const tokenFor = (email: string) => tokenMailed(f, 'email_verification', email);
    const user = await registerUser(f.deps, {
      email: 'verify.me@example.test',
      password: 'a perfectly long passphrase',
      displayName: 'V',
    });
    const token = await tokenFor('verify.me@example.test');
    await expect(verifyEmail(f.deps, token)).resolves.toEqual({
      userId: user.id,
      email: 'verify.me@example.test',
    });
    await expect(verifyEmail(f.deps, token)).rejects.toMatchObject({ code: 'invalid_argument' });

    await registerUser(f.deps, {
      email: 'too.late@example.test',
      password: 'a perfectly long passphrase',
      displayName: 'L',
    });
    const late = await tokenFor('too.late@example.test');
    f.clock.advance(24 * 3600_000 + 1);
    await expect(verifyEmail(f.deps, late)).rejects.toMatchObject({ code: 'invalid_argument' });
    const { rows } = await f.owner.query<{ verified: boolean }>(
      `SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE email = 'too.late@example.test'`,
    );
    expect(rows).toEqual([{ verified: false }]);
  });

  test('the runtime role cannot delete accounts', async () => {
    const app = createPool(setup().db.appUrl, { max: 1 });
    await expect(app.query('DELETE FROM users')).rejects.toThrow(/permission denied/);
    await app.end();
  });
});
