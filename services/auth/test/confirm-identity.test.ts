import { beginTotpEnrolment, confirmTotpEnrolment, verifySecondFactor } from '../src/mfa';
import { login } from '../src/login';
import { confirmIdentity } from '../src/privacy/confirm-identity';
import { validateSession } from '../src/sessions';
import { codeAt, eventsOf, fromAddress, newUser, secretOf, signIn, useAuthFixture } from './support';

describe('ConfirmIdentity: the password (and code) re-entered before an export or a deletion', () => {
  const setup = useAuthFixture();

  async function outboxCount(): Promise<number> {
    const { rows } = await setup().owner.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
    return rows[0]?.n ?? 0;
  }

  /** The refusals audited for a user: purpose and factor of each. */
  async function refusals(userId: string) {
    const { rows } = await setup().owner.query<{ action: string; outcome: string }>(
      `SELECT payload->'data'->>'action' AS action, payload->'data'->>'outcome' AS outcome
       FROM outbox WHERE topic = 'audit.events.v1' AND message_key = $1
         AND payload->'data'->>'action' = 'auth.identity.confirmation_failed' ORDER BY id`,
      [userId],
    );
    const events = await eventsOf(setup(), 'auth.identity.confirmation_failed', userId);
    return { audits: rows, events: events.map((event) => event.payload.data) };
  }

  /** A trainer with TOTP whose session has passed it. */
  async function enrolledUser() {
    const f = setup();
    const user = await newUser(f, 'trainer');
    const first = await signIn(f, user);
    const { otpauthUri } = await beginTotpEnrolment(f.deps, first.session, user.password);
    const secret = secretOf(otpauthUri);
    await confirmTotpEnrolment(f.deps, first.session, await codeAt(f, secret));
    f.clock.advance(30_000);
    const second = await signIn(f, user);
    const verified = await verifySecondFactor(f.deps, second.session, {
      code: await codeAt(f, secret),
      recoveryCode: '',
    });
    // The next code is a step later: the one that passed sign-in cannot confirm anything.
    f.clock.advance(30_000);
    const session = await validateSession(f.deps, verified.session.token);
    return { user, secret, session };
  }

  test('the right password confirms an account without a second factor, and changes nothing', async () => {
    const f = setup();
    const user = await newUser(f);
    const { session } = await signIn(f, user);
    const before = await outboxCount();
    await expect(
      confirmIdentity(f.deps, session, { currentPassword: user.password, code: '', purpose: 'data_export' }),
    ).resolves.toEqual({ mfaChecked: false });
    expect(await outboxCount()).toBe(before);
  });

  test('a wrong password is refused and audited with its purpose', async () => {
    const f = setup();
    const user = await newUser(f);
    const { session } = await signIn(f, user);
    await expect(
      fromAddress('203.0.113.9', () =>
        confirmIdentity(f.deps, session, {
          currentPassword: 'not the password',
          code: '',
          purpose: 'account_deletion',
        }),
      ),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
    const { audits, events } = await refusals(user.id);
    expect(audits).toEqual([{ action: 'auth.identity.confirmation_failed', outcome: 'failure' }]);
    expect(events).toEqual([
      expect.objectContaining({
        purpose: 'account_deletion',
        factor: 'password',
        sessionId: session.sessionId,
      }),
    ]);
    // No secret reaches the event.
    expect(JSON.stringify(events)).not.toContain('not the password');
  });

  test('failures count in the sign-in throttle: after five, even the right password is paused at sign-in', async () => {
    const f = setup();
    const user = await newUser(f);
    const { session } = await signIn(f, user);
    for (let i = 0; i < 5; i += 1) {
      await expect(
        confirmIdentity(f.deps, session, { currentPassword: `guess ${i}`, code: '', purpose: 'data_export' }),
      ).rejects.toMatchObject({ code: 'unauthenticated' });
    }
    await expect(
      confirmIdentity(f.deps, session, { currentPassword: user.password, code: '', purpose: 'data_export' }),
    ).rejects.toMatchObject({ code: 'resource_exhausted' });
    await expect(login(f.deps, { email: user.email, password: user.password })).rejects.toMatchObject({
      code: 'resource_exhausted',
    });
    expect((await refusals(user.id)).audits).toHaveLength(5);
  });

  test('an enrolled account needs a current code as well; a wrong code is refused and audited', async () => {
    const f = setup();
    const { user, secret, session } = await enrolledUser();
    await expect(
      confirmIdentity(f.deps, session, { currentPassword: user.password, code: '', purpose: 'data_export' }),
    ).rejects.toMatchObject({ code: 'invalid_argument', details: { code: expect.any(String) as string } });
    const wrong = (await codeAt(f, secret)) === '000000' ? '111111' : '000000';
    await expect(
      confirmIdentity(f.deps, session, {
        currentPassword: user.password,
        code: wrong,
        purpose: 'data_export',
      }),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
    expect((await refusals(user.id)).events).toEqual([
      expect.objectContaining({ purpose: 'data_export', factor: 'totp' }),
    ]);
    await expect(
      confirmIdentity(f.deps, session, {
        currentPassword: user.password,
        code: await codeAt(f, secret),
        purpose: 'data_export_download',
      }),
    ).resolves.toEqual({ mfaChecked: true });
  });

  test('a code that confirmed once is refused the second time, as a replay', async () => {
    const f = setup();
    const { user, secret, session } = await enrolledUser();
    const code = await codeAt(f, secret);
    await confirmIdentity(f.deps, session, {
      currentPassword: user.password,
      code,
      purpose: 'account_deletion',
    });
    await expect(
      confirmIdentity(f.deps, session, { currentPassword: user.password, code, purpose: 'account_deletion' }),
    ).rejects.toThrow(/already been used/);
    expect(await eventsOf(f, 'auth.mfa.replay_rejected', user.id)).toHaveLength(1);
    expect((await refusals(user.id)).events).toEqual([
      expect.objectContaining({ purpose: 'account_deletion', factor: 'totp' }),
    ]);
  });

  test('an unknown purpose is refused before anything is checked', async () => {
    const f = setup();
    const user = await newUser(f);
    const { session } = await signIn(f, user);
    await expect(
      confirmIdentity(f.deps, session, { currentPassword: user.password, code: '', purpose: 'anything' }),
    ).rejects.toMatchObject({ code: 'invalid_argument', details: { purpose: expect.any(String) as string } });
    expect((await refusals(user.id)).audits).toEqual([]);
  });
});
