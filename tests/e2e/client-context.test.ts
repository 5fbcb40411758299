import { generateKeyPairSync } from 'node:crypto';

import { callUnary, createClient, createPrincipalSigner, sessionTokenMetadata } from '@tracking/kit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { Metadata } from '@grpc/grpc-js';
import { grpcClientTls } from '@tracking/testing';
import { jsonLines, startPlatform, TEST_CLIENT_IP, type Platform } from '@tracking/testing/platform';

import { accounts, PASSWORD } from './accounts';

/**
 * Auth believes a caller's client address and user agent only when the gateway signed them
 * (docs/principal.md, "The client's address"). A peer that reaches auth's gRPC port directly
 * and states an address in `x-client-ip` is counted and listed under its own address. The peer
 * here is one the call graph lets in (the notifications service, say, compromised): mutual TLS
 * admits it, and it still cannot speak for a browser.
 */
describe("auth believes the client's address only from the gateway", () => {
  let platform: Platform | undefined;
  let auth: AuthServiceClient | undefined;
  const setup = () => {
    if (!platform || !auth) throw new Error('the platform was not started');
    return { platform, auth };
  };

  beforeAll(async () => {
    // A low per-address budget, so a throttle dodge shows within a few attempts.
    platform = await startPlatform({ ai: false, authEnv: { THROTTLE_IP_FREE_FAILURES: '3' } });
    auth = createClient(AuthServiceClient, platform.authGrpc, {
      tls: grpcClientTls('notifications', platform.pki),
      server: 'auth',
    });
  });

  afterAll(async () => {
    auth?.close();
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  const { register, login } = accounts(() => setup().platform);

  /** A direct Login to auth's gRPC port, stating whatever client headers the caller likes. */
  const directLogin = (email: string, password: string, headers: Record<string, string>) => {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    return callUnary(setup().auth.login.bind(setup().auth), { email, password }, metadata);
  };

  const sessionsOf = async (token: string) =>
    (await callUnary(setup().auth.listSessions.bind(setup().auth), {}, sessionTokenMetadata(token))).sessions;

  test('a session opened through the gateway lists the address and browser the gateway saw', async () => {
    const { email } = await register();
    const token = await login(email);

    expect(await sessionsOf(token)).toEqual([
      expect.objectContaining({ ip: TEST_CLIENT_IP, userAgent: 'platform-test/1.0', current: true }),
    ]);
  });

  test('a direct call cannot plant an address or browser in the session list', async () => {
    const { email } = await register();
    const planted = await directLogin(email, PASSWORD, {
      'x-client-ip': '198.51.100.77',
      'x-client-user-agent': 'Planted/1.0',
    });

    const [session] = await sessionsOf(planted.session?.token ?? '');
    expect(session).toMatchObject({ ip: '127.0.0.1', userAgent: '' });
  });

  test('an assertion the gateway did not sign is refused, recorded, and the peer address used', async () => {
    const { platform } = setup();
    const { email } = await register();
    const { privateKey } = generateKeyPairSync('ed25519');
    const forger = await createPrincipalSigner(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const forged = await forger.signClientContext(
      { clientIp: '198.51.100.78', userAgent: 'Forged/1.0' },
      'auth',
    );

    const session = await directLogin(email, PASSWORD, { 'x-client-context': forged });

    expect((await sessionsOf(session.session?.token ?? ''))[0]).toMatchObject({ ip: '127.0.0.1' });
    const logged = await jsonLines(platform.logFile('auth'));
    expect(logged).toContainEqual(
      expect.objectContaining({ event: 'authn.rejected', reason: 'client_context_invalid', security: true }),
    );
  });

  test('a new x-client-ip on each guess does not dodge the per-address throttle', async () => {
    // Three wrong passwords on three accounts, each claiming another address: all three are
    // this peer's, so the fourth attempt from it is paused, even with the right password.
    for (const octet of [1, 2, 3]) {
      const { email } = await register();
      await expect(
        directLogin(email, 'not the password at all', { 'x-client-ip': `198.51.100.${String(octet)}` }),
      ).rejects.toMatchObject({ code: 'unauthenticated' });
    }
    const { email } = await register();
    await expect(directLogin(email, PASSWORD, { 'x-client-ip': '198.51.100.4' })).rejects.toMatchObject({
      code: 'resource_exhausted',
    });

    // The gateway's clients, at their own address, are not paused by it.
    await expect(login(email)).resolves.toEqual(expect.any(String));
  });
});
