import { TOPICS, type PlanChanged } from '@tracking/contracts';
import {
  callUnary,
  createClient,
  createKafka,
  createLogger,
  createProducer,
  envelopeMessage,
  newEvent,
  sessionTokenMetadata,
} from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { grpcClientTls, infraEnv, mailLink, randomName, waitFor } from '@tracking/testing';
import {
  INGRESS_HEADERS,
  jsonLines,
  listQuery,
  startPlatform,
  type Platform,
} from '@tracking/testing/platform';

import { accounts, PASSWORD } from './accounts';

/** The accounts, sessions and MFA promises, through the gateway's REST API on the running services. */
describe('signing in through the platform', () => {
  let platform: Platform | undefined;
  let auth: AuthServiceClient | undefined;
  let audit: AuditServiceClient | undefined;
  const setup = () => {
    if (!platform || !auth || !audit) throw new Error('the platform was not started');
    return { platform, auth, audit };
  };

  beforeAll(async () => {
    platform = await startPlatform();
    // The test asks auth and audit what the gateway would.
    auth = createClient(AuthServiceClient, platform.authGrpc, {
      tls: grpcClientTls('gateway', platform.pki),
      server: 'auth',
    });
    audit = createClient(AuditServiceClient, platform.auditGrpc, {
      tls: grpcClientTls('gateway', platform.pki),
      server: 'audit',
    });
  });

  afterAll(async () => {
    auth?.close();
    audit?.close();
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  /**
   * Every request comes through the test ingress from one client address (TEST_CLIENT_IP), so
   * the whole file shares one per-address throttle count (30 failures before a pause); each
   * test that fails on purpose does so against its own fresh account, and the file stays well
   * under that.
   */
  const { api, register, login, enrolTotp, nextCode, runBootstrap, bootstrapFirstAdmin } = accounts(
    () => setup().platform,
  );
  const adminMetadata = async () => sessionTokenMetadata(await bootstrapAdmin());

  /** The first admin, made once with the bootstrap command (no default password), signed in with MFA. */
  let admin: Promise<string> | undefined;
  const bootstrapAdmin = () => (admin ??= makeFirstAdmin());
  async function makeFirstAdmin(): Promise<string> {
    const { token } = await bootstrapFirstAdmin();
    const denied = await api('PUT', `/admin/users/${crypto.randomUUID()}/role`, {
      token,
      body: { role: 'trainer' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'mfa_required', errors: { next: 'enrol_totp' } });
    const { recoveryCodes } = await enrolTotp(token);
    expect(recoveryCodes).toHaveLength(10);
    // There is only ever one bootstrap: a second run refuses.
    await expect(runBootstrap(`${randomName('again-')}@example.test`)).rejects.toMatchObject({ code: 1 });
    return token;
  }

  test('a cookie session is HttpOnly, Secure, SameSite=Strict, and a state change without its CSRF token is refused', async () => {
    const { email } = await register();
    const response = await fetch(`${setup().platform.api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...INGRESS_HEADERS },
      body: JSON.stringify({ email, password: PASSWORD, session: 'cookie' }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^__Host-session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    const body = (await response.json()) as { token?: string; csrfToken: string };
    expect(body.token).toBeUndefined();
    const session = cookie.split(';')[0] ?? '';

    expect((await api('GET', '/me', { headers: { cookie: session } })).status).toBe(200);
    const forged = await api('POST', '/me/sessions/revoke-all', { headers: { cookie: session }, body: {} });
    expect(forged.status).toBe(403);
    const wrong = await api('POST', '/me/sessions/revoke-all', {
      headers: { cookie: session, 'x-csrf-token': 'x'.repeat(43) },
      body: {},
    });
    expect(wrong.status).toBe(403);
    const allowed = await api('POST', '/me/sessions/revoke-all', {
      headers: { cookie: session, 'x-csrf-token': body.csrfToken },
      body: {},
    });
    expect(allowed).toMatchObject({ status: 200, body: { revoked: 1 } });
  });

  test('the 6th wrong password within a short window gets 429 with Retry-After, and the lock-out reaches the audit log', async () => {
    const { audit } = setup();
    const { email, userId } = await register();
    let fifth = '';
    for (let i = 0; i < 5; i += 1) {
      const refused = await api('POST', '/auth/login', { body: { email, password: 'not the password' } });
      expect(refused.status).toBe(401);
      fifth = refused.headers.get('x-correlation-id') ?? '';
    }
    const sixth = await api('POST', '/auth/login', { body: { email, password: 'not the password' } });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    expect(sixth.body).toMatchObject({ code: 'resource_exhausted' });
    expect(sixth.body.errors).toBeUndefined();
    // The fifth refusal paused the account: its request left the failure and the lock-out.
    const entries = await waitFor(
      async () => {
        const page = await callUnary(
          audit.listEntries.bind(audit),
          listQuery({ correlationId: fifth }),
          await adminMetadata(),
        );
        return page.entries.some((entry) => entry.action === 'auth.account.locked')
          ? page.entries
          : undefined;
      },
      { what: 'the lock-out in the audit log' },
    );
    expect(entries.map((entry) => entry.action).sort()).toEqual(['auth.account.locked', 'auth.login.failed']);
    expect(entries.find((entry) => entry.action === 'auth.account.locked')).toMatchObject({
      subjectType: 'user',
      subjectId: userId,
      actorService: 'auth',
      outcome: 'success',
    });
  });

  test('an unknown email and a wrong password get the same status and body', async () => {
    const { email } = await register();
    const unknown = await api('POST', '/auth/login', {
      body: { email: `${randomName('nobody-')}@example.test`, password: 'x'.repeat(14) },
    });
    const wrong = await api('POST', '/auth/login', { body: { email, password: 'x'.repeat(14) } });
    const strip = ({ correlationId: _, ...rest }: Record<string, unknown>) => rest;
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(strip(unknown.body)).toEqual(strip(wrong.body));
  });

  test('after revoke-all, every old token fails on the very next request', async () => {
    const { email } = await register();
    const tokens = [await login(email), await login(email), await login(email)];
    for (const token of tokens) expect((await api('GET', '/me', { token })).status).toBe(200);
    expect((await api('POST', '/me/sessions/revoke-all', { token: tokens[0], body: {} })).body).toEqual({
      revoked: 3,
    });
    for (const token of tokens) expect((await api('GET', '/me', { token })).status).toBe(401);
  });

  test('after a password change the other tokens fail on the next request; after a role change all of them do', async () => {
    const adminToken = await bootstrapAdmin();
    const { email, userId } = await register();
    const [a, b] = [await login(email), await login(email)];
    const changed = await api('POST', '/me/password', {
      token: a,
      body: { currentPassword: PASSWORD, newPassword: 'a completely different passphrase' },
    });
    expect(changed).toMatchObject({ status: 200, body: { sessionsRevoked: 1 } });
    expect((await api('GET', '/me', { token: b })).status).toBe(401);
    expect((await api('GET', '/me', { token: a })).status).toBe(200);

    const promoted = await api('PUT', `/admin/users/${userId}/role`, {
      token: adminToken,
      body: { role: 'trainer' },
    });
    expect(promoted).toMatchObject({ status: 200, body: { previousRole: 'client', sessionsRevoked: 1 } });
    expect((await api('GET', '/me', { token: a })).status).toBe(401);
  });

  test('a trainer with a password-only session gets 403 mfa_required on trainer permissions, and a trainer who passed MFA does not', async () => {
    const { auth } = setup();
    const adminToken = await bootstrapAdmin();
    const { email, userId } = await register();
    await api('PUT', `/admin/users/${userId}/role`, { token: adminToken, body: { role: 'trainer' } });
    const authorize = (token: string) =>
      callUnary(
        auth.authorize.bind(auth),
        { permission: 'tracking.assigned_clients' },
        sessionTokenMetadata(token),
      );

    const passwordOnly = await login(email);
    await expect(authorize(passwordOnly)).rejects.toMatchObject({
      code: 'mfa_required',
      details: { next: 'enrol_totp' },
    });
    // What the gateway turns that into for the trainer.
    const me = await api('GET', '/me', { token: passwordOnly });
    expect(me.body).toMatchObject({ role: 'trainer', mfaRequired: true, sessionMfa: 'enrolment_required' });

    const { secret } = await enrolTotp(passwordOnly);
    await expect(authorize(passwordOnly)).resolves.toMatchObject({ userId });

    // A new password-only sign-in must pass the code before anything else.
    const next = await login(email);
    await expect(authorize(next)).rejects.toMatchObject({
      code: 'mfa_required',
      details: { next: 'verify_mfa' },
    });
    expect((await api('GET', '/me', { token: next })).status).toBe(403);
    const verified = await api('POST', '/auth/mfa/verify', {
      token: next,
      body: { code: await nextCode(secret) },
    });
    expect(verified).toMatchObject({ status: 200, body: { mfa: 'verified' } });
    await expect(authorize(String(verified.body.token))).resolves.toMatchObject({ userId });
    // A client never holds the trainer permission, MFA or not.
    const client = await login((await register()).email);
    await expect(authorize(client)).rejects.toMatchObject({ code: 'permission_denied' });
  });

  test('a TOTP code used twice is rejected the second time, and the rejection reaches the audit log and the user', async () => {
    const { platform, audit } = setup();
    const { email, userId } = await register();
    const { secret } = await enrolTotp(await login(email));
    const code = await nextCode(secret);
    const first = await api('POST', '/auth/mfa/verify', { token: await login(email), body: { code } });
    expect(first.status).toBe(200);

    const replay = await api('POST', '/auth/mfa/verify', { token: await login(email), body: { code } });
    expect(replay.status).toBe(401);
    expect(replay.body.detail).toMatch(/already been used/);
    const correlationId = replay.headers.get('x-correlation-id') ?? '';
    const entries = await waitFor(
      async () => {
        const page = await callUnary(
          audit.listEntries.bind(audit),
          listQuery({ correlationId }),
          await adminMetadata(),
        );
        return page.entries.some((entry) => entry.action === 'auth.mfa.replay_rejected')
          ? page.entries
          : undefined;
      },
      { what: 'the replay in the audit log' },
    );
    expect(entries.find((entry) => entry.action === 'auth.mfa.replay_rejected')).toMatchObject({
      subjectId: userId,
      outcome: 'denied',
      actorService: 'auth',
    });
    // The owner is told, by mail: one warning, whose link leads to their security settings.
    const warnings = await platform.mail.waitForMessages(email, {
      subject: /reused one of your sign-in codes/,
    });
    expect(warnings).toHaveLength(1);
    for (const warning of warnings) {
      expect(mailLink(warning, '/account/security').origin).toBe(platform.publicBaseUrl);
    }
    const logged = await jsonLines(platform.logFile('auth'));
    expect(
      logged.some(
        (line) => line.event === 'auth.mfa.replay_rejected' && line.correlation_id === correlationId,
      ),
    ).toBe(true);
    // The code itself is in no log.
    for (const service of ['gateway', 'auth', 'audit']) {
      expect(JSON.stringify(await jsonLines(platform.logFile(service)))).not.toContain(`"${code}"`);
    }
  });

  test('a plan change from billing makes MFA mandatory on the next privileged request', async () => {
    const { platform, auth } = setup();
    const { email, userId } = await register();
    const token = await login(email);
    const authorize = () =>
      callUnary(auth.authorize.bind(auth), { permission: 'tracking.own' }, sessionTokenMetadata(token));
    await expect(authorize()).resolves.toMatchObject({ userId });

    const kafka = createKafka({
      clientId: 'auth-test-billing',
      ...infraEnv().kafka,
      log: createLogger({ service: 'test', level: 'warn' }),
    });
    const producer = createProducer(kafka);
    await producer.connect();
    const data: PlanChanged = {
      userId,
      oldPlan: 'free',
      newPlan: 'pro',
      effectiveAt: new Date().toISOString(),
    };
    const event = newEvent({
      type: 'billing.plan.changed',
      actor: { service: 'billing', userId: null, role: null },
      data,
    });
    await producer.send({
      topic: `${platform.topicPrefix}${TOPICS.billingPlan}`,
      messages: [envelopeMessage(event, userId)],
    });
    await producer.disconnect();

    const refused = await waitFor(
      () =>
        authorize().then(
          () => undefined,
          (error: unknown) => error,
        ),
      { what: 'auth to apply the plan change' },
    );
    expect(refused).toMatchObject({ code: 'mfa_required', details: { next: 'enrol_totp' } });
    expect((await api('GET', '/me', { token })).body).toMatchObject({ mfaRequired: true });
  });
});
