import { createHash } from 'node:crypto';

import { runWithContext } from '@tracking/kit';

import {
  changePassword,
  logout,
  revokeAllOwnSessions,
  revokeUserSessions,
  setRole,
  setUserDisabled,
} from '../src/users';
import { listSessions, validateSession } from '../src/sessions';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../src/mfa';
import { codeAt, newUser, secretOf, signIn, useAuthFixture } from './support';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('sessions', () => {
  const setup = useAuthFixture();

  const expectRejected = (token: string) =>
    expect(validateSession(setup().deps, token)).rejects.toMatchObject({ code: 'unauthenticated' });

  test('a session token is 256 random bits, and only its SHA-256 digest is stored', async () => {
    const f = setup();
    const user = await newUser(f);
    const { token, session } = await signIn(f, user);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { rows } = await f.owner.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM sessions WHERE id = $1',
      [session.sessionId],
    );
    expect(rows[0]?.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
  });

  test('a trainer session idles out after 30 minutes without a request (injected clock)', async () => {
    const f = setup();
    const { token } = await signIn(f, await newUser(f, 'trainer'));
    f.clock.advance(29 * MINUTE);
    await validateSession(f.deps, token); // activity moves the idle deadline
    f.clock.advance(29 * MINUTE);
    await validateSession(f.deps, token);
    f.clock.advance(30 * MINUTE);
    await expectRejected(token);
  });

  test('a trainer session ends 12 hours after sign-in however active it is (injected clock)', async () => {
    const f = setup();
    const { token } = await signIn(f, await newUser(f, 'trainer'));
    for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      f.clock.advance(20 * MINUTE);
      await validateSession(f.deps, token);
    }
    f.clock.advance(20 * MINUTE);
    await expectRejected(token);
  });

  test('a client session has the longer client idle time, 24 hours by default', async () => {
    const f = setup();
    const { token } = await signIn(f, await newUser(f, 'client'));
    f.clock.advance(23 * HOUR);
    await validateSession(f.deps, token);
    f.clock.advance(24 * HOUR + MINUTE);
    await expectRejected(token);
  });

  test('after revoke-all every old token fails on the very next validation', async () => {
    const f = setup();
    const user = await newUser(f);
    const a = await signIn(f, user);
    const b = await signIn(f, user);
    const c = await signIn(f, user);
    expect(await revokeAllOwnSessions(f.deps, a.session, false)).toBe(3);
    for (const { token } of [a, b, c]) await expectRejected(token);
  });

  test('revoke-all can keep the calling session, and a user sees and revokes their own sessions only', async () => {
    const f = setup();
    const user = await newUser(f);
    const a = await signIn(f, user, '198.51.100.1');
    const b = await signIn(f, user, '198.51.100.2');
    const listed = await listSessions(f.deps, a.session);
    expect(listed.map((s) => [s.ip, s.current, s.userAgent])).toEqual(
      expect.arrayContaining([
        ['198.51.100.1', true, 'jest'],
        ['198.51.100.2', false, 'jest'],
      ]),
    );
    expect(await revokeAllOwnSessions(f.deps, a.session, true)).toBe(1);
    await validateSession(f.deps, a.token);
    await expectRejected(b.token);
    await logout(f.deps, a.session);
    await expectRejected(a.token);
  });

  test('a password change revokes every other session of the user at once', async () => {
    const f = setup();
    const user = await newUser(f);
    const a = await signIn(f, user);
    const b = await signIn(f, user);
    const result = await changePassword(f.deps, a.session, user.password, 'an entirely new passphrase here');
    expect(result.sessionsRevoked).toBe(1);
    await expectRejected(b.token);
    await validateSession(f.deps, a.token);
  });

  test('a role change, an account disable and an admin revoke each end every session of the user', async () => {
    const f = setup();
    const admin = await newUser(f, 'admin');
    const adminSession = (await signIn(f, admin)).session;
    const target = await newUser(f, 'client');

    const first = await signIn(f, target);
    const roleChange = await runWithContext({ correlationId: 'role-change-test-1' }, () =>
      setRole(f.deps, adminSession, target.id, 'trainer'),
    );
    expect(roleChange).toEqual({ previousRole: 'client', sessionsRevoked: 1 });
    await expectRejected(first.token);

    const second = await signIn(f, target);
    await revokeUserSessions(f.deps, adminSession, target.id);
    await expectRejected(second.token);

    const third = await signIn(f, target);
    await setUserDisabled(f.deps, adminSession, target.id, true);
    await expectRejected(third.token);
    await expect(signIn(f, target)).rejects.toMatchObject({ code: 'unauthenticated' });
    // The admin's first privilege change is an unusual actor's; their next one is routine.
    const exposed = await f.deps.metrics.registry.metrics();
    expect(exposed).toMatch(/auth_privilege_changes_total\{kind="role_trainer",actor="first_time"\} 1/);
    expect(exposed).toMatch(/auth_privilege_changes_total\{kind="disabled",actor="regular"\} 1/);
  });

  test('an admin cannot change their own role or disable themself', async () => {
    const f = setup();
    const admin = await newUser(f, 'admin');
    const { session } = await signIn(f, admin);
    await expect(setRole(f.deps, session, admin.id, 'client')).rejects.toMatchObject({
      code: 'permission_denied',
    });
    await expect(setUserDisabled(f.deps, session, admin.id, true)).rejects.toMatchObject({
      code: 'permission_denied',
    });
  });

  test('enabling MFA revokes the other sessions and upgrades the enrolling one', async () => {
    const f = setup();
    const user = await newUser(f, 'admin');
    const a = await signIn(f, user);
    const b = await signIn(f, user);
    expect(a.session.mfa).toBe('enrolment_required');
    const { otpauthUri } = await beginTotpEnrolment(f.deps, a.session, user.password);
    await confirmTotpEnrolment(f.deps, a.session, await codeAt(f, secretOf(otpauthUri)));
    expect((await validateSession(f.deps, a.token)).mfa).toBe('verified');
    await expectRejected(b.token);
  });
});
