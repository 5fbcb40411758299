import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { grpcServiceEnv, mailLink, randomName } from '@tracking/testing';
import { INGRESS_HEADERS, type Platform } from '@tracking/testing/platform';
import { generate } from 'otplib';

const ROOT = path.resolve(__dirname, '..', '..');
export const PASSWORD = 'correct horse battery staple';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * Accounts on a running platform, made the way a person makes them: through the gateway's REST
 * API, and the first admin with the bootstrap command. `platform` is read on each call, so a
 * test file can build these before its beforeAll has started the platform.
 */
export function accounts(platform: () => Platform) {
  async function api(
    method: string,
    route: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const response = await fetch(`${platform().api}${route}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'platform-test/1.0',
        ...INGRESS_HEADERS,
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  }

  async function expectStatus(response: Promise<ApiResponse>, status: number): Promise<ApiResponse> {
    const settled = await response;
    if (settled.status !== status) {
      throw new Error(
        `expected HTTP ${String(status)}, got ${String(settled.status)}: ${JSON.stringify(settled.body)}`,
      );
    }
    return settled;
  }

  async function register(): Promise<{ email: string; userId: string }> {
    const email = `${randomName('user-')}@example.test`;
    const response = await expectStatus(
      api('POST', '/auth/register', { body: { email, password: PASSWORD, displayName: 'Test' } }),
      201,
    );
    return { email, userId: String(response.body.userId) };
  }

  async function login(email: string, password = PASSWORD): Promise<string> {
    const response = await expectStatus(api('POST', '/auth/login', { body: { email, password } }), 200);
    return String(response.body.token);
  }

  /** Enrols TOTP through the API; the session passed in is then a verified (AAL2) one. */
  async function enrolTotp(token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
    const begun = await expectStatus(
      api('POST', '/me/mfa/totp', { token, body: { currentPassword: PASSWORD } }),
      200,
    );
    if (!String(begun.body.qrCodeDataUrl).startsWith('data:image/png;base64,')) {
      throw new Error('TOTP enrolment returned no PNG QR code');
    }
    const secret = new URL(String(begun.body.otpauthUri)).searchParams.get('secret') ?? '';
    const confirmed = await expectStatus(
      api('POST', '/me/mfa/totp/confirm', { token, body: { code: await generate({ secret }) } }),
      200,
    );
    return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
  }

  /** A code one step ahead: inside the ±1 step window, and later than the step enrolment used. */
  const nextCode = (secret: string) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

  /** Runs the bootstrap-admin command against this platform's auth database. */
  function runBootstrap(email: string) {
    return promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'services', 'auth', 'src', 'bootstrap-admin.ts'),
        '--email',
        email,
        '--name',
        'Admin',
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: platform().authDb.appUrl,
          KAFKA_BROKERS: '127.0.0.1:1',
          PUBLIC_BASE_URL: platform().publicBaseUrl,
          ENCRYPTION_KEYS: `bootstrap-1:${Buffer.alloc(32, 1).toString('base64')}`,
          ENCRYPTION_ACTIVE_KEY_ID: 'bootstrap-1',
          // auth's settings as its pods have them: its certificate, and the callers it admits.
          ...grpcServiceEnv('auth', platform().pki),
        },
      },
    );
  }

  /**
   * The deployment's first admin: made by the bootstrap command, password set through the
   * single-use link it prints, signed in. The session is password-only (no MFA yet).
   */
  async function bootstrapFirstAdmin(): Promise<{ email: string; token: string; userId: string }> {
    const email = `${randomName('admin-')}@example.test`;
    const { stdout } = await runBootstrap(email);
    const userId = /created admin ([0-9a-f-]{36})/.exec(stdout)?.[1] ?? '';
    const resetToken = /#token=([A-Za-z0-9_-]{43})/.exec(stdout)?.[1] ?? '';
    await expectStatus(
      api('POST', '/auth/password-reset/confirm', { body: { token: resetToken, newPassword: PASSWORD } }),
      204,
    );
    return { email, token: await login(email), userId };
  }

  /** An admin signed in with MFA: the first one, then each call promotes and enrols another. */
  let first: Promise<{ token: string; userId: string }> | undefined;
  const firstAdmin = () =>
    (first ??= bootstrapFirstAdmin().then(async (admin) => {
      await enrolTotp(admin.token);
      return admin;
    }));
  async function anotherAdmin(): Promise<{ token: string; userId: string }> {
    const { email, userId } = await register();
    await expectStatus(
      api('PUT', `/admin/users/${userId}/role`, {
        token: (await firstAdmin()).token,
        body: { role: 'admin' },
      }),
      200,
    );
    const token = await login(email);
    await enrolTotp(token);
    return { token, userId };
  }

  /**
   * Follows the verification link in the mail `email` received: through the notifications
   * service and the SMTP server, read from its inbox as the person would.
   */
  async function verifyEmail(email: string): Promise<void> {
    const mail = await platform().mail.waitForMessage(email, /^Confirm your email address/);
    const link = mailLink(mail, '/verify-email');
    const token = new URLSearchParams(link.hash.slice(1)).get('token') ?? '';
    await expectStatus(api('POST', '/auth/verify-email', { body: { token } }), 200);
  }

  /** A client with a verified address (so a trainer's invitation reaches them), signed in. */
  async function verifiedClient(): Promise<{ email: string; userId: string; token: string }> {
    const { email, userId } = await register();
    await verifyEmail(email);
    return { email, userId, token: await login(email) };
  }

  /** A trainer, promoted by the first admin and signed in with the MFA trainers must have. */
  async function trainer(): Promise<{ email: string; userId: string; token: string }> {
    const { email, userId } = await register();
    await expectStatus(
      api('PUT', `/admin/users/${userId}/role`, {
        token: (await firstAdmin()).token,
        body: { role: 'trainer' },
      }),
      200,
    );
    const token = await login(email);
    await enrolTotp(token);
    return { email, userId, token };
  }

  return {
    api,
    expectStatus,
    verifyEmail,
    verifiedClient,
    trainer,
    register,
    login,
    enrolTotp,
    nextCode,
    runBootstrap,
    bootstrapFirstAdmin,
    firstAdmin,
    anotherAdmin,
  };
}
