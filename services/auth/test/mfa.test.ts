import { decide } from '../src/rbac';
import { beginTotpEnrolment, confirmTotpEnrolment, verifySecondFactor } from '../src/mfa';
import { validateSession } from '../src/sessions';
import {
  codeAt,
  eventsOf,
  fromAddress,
  newUser,
  notifications,
  secretOf,
  signIn,
  useAuthFixture,
} from './support';

describe('TOTP MFA', () => {
  const setup = useAuthFixture();

  /** A user with TOTP enabled, their secret and recovery codes, and a fresh password-only session. */
  async function enrolledUser() {
    const f = setup();
    const user = await newUser(f, 'trainer');
    const first = await signIn(f, user);
    const { otpauthUri } = await beginTotpEnrolment(f.deps, first.session, user.password);
    const secret = secretOf(otpauthUri);
    const { recoveryCodes } = await confirmTotpEnrolment(f.deps, first.session, await codeAt(f, secret));
    f.clock.advance(30_000);
    const second = await signIn(f, user);
    return { user, secret, recoveryCodes, session: second.session, token: second.token };
  }

  test('enrolment gives an otpauth URI and a PNG QR code, and is not active until a code confirms it', async () => {
    const f = setup();
    const user = await newUser(f, 'trainer');
    const { session } = await signIn(f, user);
    const enrolment = await beginTotpEnrolment(f.deps, session, user.password);
    expect(enrolment.otpauthUri).toMatch(/^otpauth:\/\/totp\/Tracking:.+\?secret=[A-Z2-7]+&issuer=Tracking$/);
    expect(enrolment.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    // Not yet active: the session still has to enrol, and a wrong code does not activate it.
    expect((await validateSession(f.deps, (await signIn(f, user)).token)).mfa).toBe('enrolment_required');
    await expect(confirmTotpEnrolment(f.deps, session, '000000')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const { recoveryCodes } = await confirmTotpEnrolment(
      f.deps,
      session,
      await codeAt(f, secretOf(enrolment.otpauthUri)),
    );
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await eventsOf(f, 'auth.mfa.enabled', user.id)).toHaveLength(1);
  });

  test('a second use of the same TOTP code is rejected, emitted as a security event, logged and mailed to the user', async () => {
    const f = setup();
    const { user, secret, session } = await enrolledUser();
    const code = await codeAt(f, secret);
    await verifySecondFactor(f.deps, session, { code, recoveryCode: '' });

    // The attacker who saw that code replays it from their own password-only session.
    const attacker = await signIn(f, user, '203.0.113.66');
    await expect(
      fromAddress('203.0.113.66', () =>
        verifySecondFactor(f.deps, attacker.session, { code, recoveryCode: '' }),
      ),
    ).rejects.toThrow(/already been used/);
    expect((await validateSession(f.deps, attacker.token)).mfa).toBe('pending');

    const events = await eventsOf(f, 'auth.mfa.replay_rejected', user.id);
    expect(events).toHaveLength(1);
    expect(events[0]?.topic).toBe('auth.mfa.v1');
    const audits = await f.owner.query<{ action: string; outcome: string; source_ip: string }>(
      `SELECT payload->'data'->>'action' AS action, payload->'data'->>'outcome' AS outcome,
              payload->'data'->>'sourceIp' AS source_ip
       FROM outbox WHERE topic = 'audit.events.v1' AND payload->'data'->>'action' = 'auth.mfa.replay_rejected'
         AND message_key = $1`,
      [user.id],
    );
    expect(audits.rows).toEqual([
      { action: 'auth.mfa.replay_rejected', outcome: 'denied', source_ip: '203.0.113.66' },
    ]);
    expect(
      f.lines().filter((line) => line.event === 'auth.mfa.replay_rejected' && line.userId === user.id),
    ).toEqual([expect.objectContaining({ level: 'warn', security: true })]);
    const mails = await notifications(f, { template: 'totp_code_replayed', to: user.id });
    expect(mails.map((mail) => mail.params.securityUrl)).toEqual(['http://localhost:8080/account/security']);
    expect(await f.deps.metrics.registry.metrics()).toMatch(
      /auth_mfa_failures_total\{reason="replay"\} [1-9]/,
    );
  });

  test('a code from an earlier step never works once a later one has been used', async () => {
    const f = setup();
    const { user, secret, session } = await enrolledUser();
    const earlier = await codeAt(f, secret, -1);
    await verifySecondFactor(f.deps, session, { code: await codeAt(f, secret), recoveryCode: '' });
    const other = await signIn(f, user);
    await expect(
      verifySecondFactor(f.deps, other.session, { code: earlier, recoveryCode: '' }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  test('two concurrent uses of one code: exactly one passes', async () => {
    const f = setup();
    const { user, secret, session } = await enrolledUser();
    const other = await signIn(f, user);
    const code = await codeAt(f, secret);
    const results = await Promise.allSettled([
      verifySecondFactor(f.deps, session, { code, recoveryCode: '' }),
      verifySecondFactor(f.deps, other.session, { code, recoveryCode: '' }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  test('the wrong code that pauses the second factor leaves an auth.account.locked entry on auth.mfa.v1', async () => {
    const f = setup();
    const { user, session } = await enrolledUser();
    const wrong = () =>
      fromAddress('198.51.100.40', () =>
        verifySecondFactor(f.deps, session, { code: '000000', recoveryCode: '' }),
      );
    for (let i = 1; i <= 4; i += 1) await expect(wrong()).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(await eventsOf(f, 'auth.account.locked', user.id)).toEqual([]);
    await expect(wrong()).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(wrong()).rejects.toMatchObject({ code: 'resource_exhausted' });
    const locked = await eventsOf(f, 'auth.account.locked', user.id);
    expect(locked).toEqual([
      expect.objectContaining({
        topic: 'auth.mfa.v1',
        payload: expect.objectContaining({
          data: {
            subject: { type: 'user', id: user.id },
            scope: 'mfa',
            pauseSeconds: 30,
            untilPasswordReset: false,
          },
        }) as unknown,
      }),
    ]);
  });

  test('a recovery code works once, and its use is mailed to the user', async () => {
    const f = setup();
    const { user, recoveryCodes, session } = await enrolledUser();
    const [code] = recoveryCodes;
    const result = await verifySecondFactor(f.deps, session, {
      code: '',
      recoveryCode: (code ?? '').toUpperCase(),
    });
    expect(result.recoveryCodesLeft).toBe(9);
    expect((await validateSession(f.deps, result.session.token)).mfa).toBe('verified');

    const again = await signIn(f, user);
    await expect(
      verifySecondFactor(f.deps, again.session, { code: '', recoveryCode: code ?? '' }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    const mails = await notifications(f, { template: 'recovery_code_used', to: user.id });
    expect(mails.map((mail) => mail.params.remaining)).toEqual([9]);
  });

  test('passing the second factor replaces the session token: the password-only token stops working', async () => {
    const f = setup();
    const { secret, session, token } = await enrolledUser();
    const upgraded = await verifySecondFactor(f.deps, session, {
      code: await codeAt(f, secret),
      recoveryCode: '',
    });
    expect(upgraded.session.token).not.toBe(token);
    await expect(validateSession(f.deps, token)).rejects.toMatchObject({ code: 'unauthenticated' });
    expect((await validateSession(f.deps, upgraded.session.token)).mfa).toBe('verified');
  });

  test('a password-only session of an account with TOTP can do nothing but finish signing in or sign out', async () => {
    const { session } = await enrolledUser();
    expect(session.mfa).toBe('pending');
    expect(decide(session.role, session.mfa, 'session.end')).toBe('allow');
    expect(decide(session.role, session.mfa, 'account.read')).toBe('mfa_required');
    expect(decide(session.role, session.mfa, 'account.manage')).toBe('mfa_required');
    expect(decide(session.role, session.mfa, 'tracking.assigned_clients')).toBe('mfa_required');
  });
});
