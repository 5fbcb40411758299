import { TOPICS } from '@tracking/contracts';

import { beginTotpEnrolment, confirmTotpEnrolment } from '../src/mfa';
import { login } from '../src/login';
import { beginErasure, eraseAccount } from '../src/privacy/erasure';
import { validateSession } from '../src/sessions';
import { exportSubject } from '../src/privacy/export';
import { registerUser } from '../src/users';
import {
  codeAt,
  eventsOf,
  newUser,
  notifications,
  PASSWORD,
  secretOf,
  signIn,
  useAuthFixture,
} from './support';

/** Tables with a user id column, and that column: after an erasure none may hold the person. */
const BY_USER = [
  ['users', 'id'],
  ['sessions', 'user_id'],
  ['totp_credentials', 'user_id'],
  ['recovery_codes', 'user_id'],
  ['email_tokens', 'user_id'],
  ['recovery_requests', 'user_id'],
  ['sign_in_contexts', 'user_id'],
  ['privilege_actor', 'actor_user_id'],
] as const;

describe('auth in the privacy sagas: the export part and the account erasure', () => {
  const setup = useAuthFixture();

  /** A trainer with TOTP, recovery codes, two sessions and their sign-in contexts. */
  async function fullAccount() {
    const f = setup();
    const user = await newUser(f, 'trainer');
    const first = await signIn(f, user, '198.51.100.20');
    const { otpauthUri } = await beginTotpEnrolment(f.deps, first.session, user.password);
    await confirmTotpEnrolment(f.deps, first.session, await codeAt(f, secretOf(otpauthUri)));
    f.clock.advance(60_000);
    await signIn(f, user, '203.0.113.40');
    return user;
  }

  async function rowsHolding(userId: string): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const [table, column] of BY_USER) {
      const { rows } = await setup().owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`,
        [userId],
      );
      found[table] = rows[0]?.n ?? 0;
    }
    return found;
  }

  test('the export holds the account, sessions, devices and second-factor state, never a secret', async () => {
    const f = setup();
    const user = await fullAccount();
    const { files, counts } = await f.deps.prisma.$transaction((tx) => exportSubject(tx, user.id));
    expect(files.map((file) => file.name)).toEqual(['auth.json', 'sessions.csv', 'sign_in_contexts.csv']);
    expect(counts).toMatchObject({ users: 1, sessions: 2, totp_credentials: 1, recovery_codes: 10 });

    const json = JSON.parse(String(files[0]?.content)) as Record<string, Record<string, unknown>[]>;
    expect(json.users).toEqual([
      expect.objectContaining({
        id: user.id,
        email: user.email,
        role: 'trainer',
        new_device_alerts: true,
        sale_sharing_opt_out_at: null,
      }),
    ]);
    expect(json.users?.[0]).not.toHaveProperty('password_hash');
    expect(json.sessions?.map((session) => session.ip)).toEqual(['198.51.100.20', '203.0.113.40']);
    expect(json.sessions?.[0]).not.toHaveProperty('token_hash');
    // Enrolled: one confirmed second factor, ten unused recovery codes; no secret or digest.
    expect(json.totp_credentials).toEqual([
      {
        user_id: user.id,
        confirmed_at: expect.any(String) as string,
        created_at: expect.any(String) as string,
      },
    ]);
    expect(json.recovery_codes?.filter((code) => code.used_at === null)).toHaveLength(10);
    expect(Object.keys(json.recovery_codes?.[0] ?? {}).sort()).toEqual(['created_at', 'used_at', 'user_id']);

    const everything = files.map((file) => String(file.content)).join('\n');
    expect(everything).not.toMatch(/argon2id/);
    const { rows } = await f.owner.query<{ secret: string }>(
      'SELECT secret_ciphertext AS secret FROM totp_credentials WHERE user_id = $1',
      [user.id],
    );
    expect(everything).not.toContain(rows[0]?.secret);

    const sessionsCsv = String(files[1]?.content).split('\r\n');
    expect(sessionsCsv[0]).toBe(
      'id,aal,ip,user_agent,created_at,last_seen_at,absolute_expires_at,revoked_at,revoked_reason',
    );
    expect(sessionsCsv.filter((line) => line !== '')).toHaveLength(3);
  });

  test('a person auth does not know gets no files', async () => {
    const f = setup();
    const { files, counts } = await f.deps.prisma.$transaction((tx) =>
      exportSubject(tx, '00000000-0000-4000-8000-000000000000'),
    );
    expect(files).toEqual([]);
    expect(counts.users).toBe(0);
  });

  test('erasure deletes everything auth holds about the person, mails the old address once, and frees it', async () => {
    const f = setup();
    const user = await fullAccount();
    const other = await fullAccount();
    const otherBefore = await rowsHolding(other.id);
    const before = await rowsHolding(user.id);
    expect(before).toMatchObject({ users: 1, sessions: 2, totp_credentials: 1, recovery_codes: 10 });

    const counts = await f.deps.prisma.$transaction((tx) => eraseAccount(f.deps, tx, user.id));
    expect(counts).toMatchObject({ users: 1, sessions: 2, totp_credentials: 1, recovery_codes: 10 });
    expect(Object.values(await rowsHolding(user.id)).every((n) => n === 0)).toBe(true);
    const { rows: throttle } = await f.owner.query('SELECT key FROM throttle WHERE key = $1', [
      `mfa:${user.id}`,
    ]);
    expect(throttle).toEqual([]);
    // The other person is untouched.
    expect(await rowsHolding(other.id)).toEqual(otherBefore);
    expect(otherBefore.users).toBe(1);

    const mails = await notifications(f, { template: 'account_deletion_completed' });
    expect(
      mails.filter((mail) => 'email' in mail.recipient && mail.recipient.email === user.email),
    ).toHaveLength(1);
    expect(await eventsOf(f, 'auth.user.erased', user.id)).toEqual([
      expect.objectContaining({ topic: TOPICS.authUser }),
    ]);

    // A redelivery: nothing left, zeros, no second mail.
    const again = await f.deps.prisma.$transaction((tx) => eraseAccount(f.deps, tx, user.id));
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
    const after = await notifications(f, { template: 'account_deletion_completed' });
    expect(
      after.filter((mail) => 'email' in mail.recipient && mail.recipient.email === user.email),
    ).toHaveLength(1);

    // The address is free: it can sign up again, as a new person.
    const reborn = await registerUser(
      f.deps,
      { email: user.email, password: PASSWORD, displayName: 'Again' },
      'client',
    );
    expect(reborn.id).not.toBe(user.id);
  });

  test('once the erasure begins (phase 1 elsewhere) every session ends and sign-in is refused, saying why only to the password', async () => {
    const f = setup();
    const user = await newUser(f);
    const { token } = await signIn(f, user);
    const since = f.deps.clock().toISOString();
    await f.deps.prisma.$transaction((tx) => beginErasure(f.deps, tx, user.id, since));
    await f.deps.prisma.$transaction((tx) => beginErasure(f.deps, tx, user.id, since));

    await expect(validateSession(f.deps, token)).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(login(f.deps, { email: user.email, password: user.password })).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/being deleted/) as string,
    });
    // A wrong password learns nothing: the answer any unknown address gets.
    await expect(login(f.deps, { email: user.email, password: 'wrong guess' })).rejects.toMatchObject({
      code: 'unauthenticated',
      message: 'email or password is incorrect',
    });
    // Recorded once, however often phase 1 is delivered.
    expect(await eventsOf(f, 'auth.user.erasure_started', user.id)).toHaveLength(1);
    const { rows } = await f.owner.query<{ reason: string }>(
      'SELECT revoked_reason AS reason FROM sessions WHERE user_id = $1',
      [user.id],
    );
    expect(rows).toEqual([{ reason: 'account_erasing' }]);

    // Phase 2 then deletes the account as usual.
    await f.deps.prisma.$transaction((tx) => eraseAccount(f.deps, tx, user.id));
    await expect(login(f.deps, { email: user.email, password: user.password })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  test('the app role cannot delete an account except through the function, which only it and the owner may run', async () => {
    const f = setup();
    const user = await newUser(f);
    await expect(f.deps.prisma.$executeRaw`DELETE FROM users WHERE id = ${user.id}::uuid`).rejects.toThrow(
      /permission denied/,
    );
    const { rows } = await f.owner.query<{
      definer: boolean;
      config: string[];
      public_can: boolean;
      app_can: boolean;
    }>(
      `SELECT p.prosecdef AS definer, p.proconfig AS config,
              has_function_privilege('public', p.oid, 'EXECUTE') AS public_can,
              has_function_privilege(current_database() || '_app', p.oid, 'EXECUTE') AS app_can
         FROM pg_proc p WHERE p.proname = 'privacy_erase_subject'`,
    );
    expect(rows).toEqual([
      { definer: true, config: ['search_path=public, pg_temp'], public_can: false, app_can: true },
    ]);
  });

  test('the owner role runs the same function on a restored copy (the erasure ledger re-applied)', async () => {
    const f = setup();
    const user = await fullAccount();
    const { rows } = await f.owner.query<{ counts: Record<string, number> }>(
      'SELECT privacy_erase_subject($1::uuid) AS counts',
      [user.id],
    );
    expect(rows[0]?.counts).toMatchObject({ users: 1, sessions: 2 });
    expect(Object.values(await rowsHolding(user.id)).every((n) => n === 0)).toBe(true);
  });
});
