import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { expect, request as playwrightRequest, type APIRequestContext } from '@playwright/test';
import { generate } from 'otplib';

import { PASSWORD } from './accounts';
import { stack, type StackDescription } from './stack';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');

type Admin = NonNullable<StackDescription['admin']>;

/** The code of the TOTP step after `after`, or of now; auth refuses a step it has accepted. */
async function freshCode(secret: string, after: number): Promise<{ code: string; step: number }> {
  let step = Math.floor(Date.now() / 30_000);
  if (step <= after) {
    await new Promise((resolve) => setTimeout(resolve, (after + 1) * 30_000 - Date.now() + 250));
    step = after + 1;
  }
  return { code: await generate({ secret, epoch: step * 30 }), step };
}

/**
 * The stack's first admin, made as a deployment makes it (scripts: bootstrap-admin, the single-use
 * password link it prints, then TOTP, which admins must have). Only for a stack the journeys
 * started themselves: `npm run up`'s has its demo admin, whose second factor a test cannot know.
 */
export async function bootstrapAdmin(baseUrl: string, authDatabaseUrl: string): Promise<Admin> {
  const email = `web-admin-${String(Date.now())}@example.test`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'services', 'auth', 'src', 'bootstrap-admin.ts'),
      '--email',
      email,
      '--name',
      'Web Admin',
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: authDatabaseUrl,
        // The command writes no events a journey waits for; a closed port keeps it off Kafka.
        KAFKA_BROKERS: '127.0.0.1:1',
        ENCRYPTION_KEYS: `bootstrap-1:${Buffer.alloc(32, 1).toString('base64')}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'bootstrap-1',
      },
    },
  );
  const resetToken = /#token=([A-Za-z0-9_-]{43})/.exec(stdout)?.[1];
  if (!resetToken) throw new Error('bootstrap-admin printed no password link');

  const api = await playwrightRequest.newContext({ baseURL: baseUrl, ignoreHTTPSErrors: true });
  try {
    const reset = await api.post('/api/v1/auth/password-reset/confirm', {
      data: { token: resetToken, newPassword: PASSWORD },
    });
    if (reset.status() !== 204)
      throw new Error(`setting the admin's password: HTTP ${String(reset.status())}`);
    const token = await bearer(api, email);
    const auth = { authorization: `Bearer ${token}` };
    const begun = await api.post('/api/v1/me/mfa/totp', {
      headers: auth,
      data: { currentPassword: PASSWORD },
    });
    const { otpauthUri } = (await begun.json()) as { otpauthUri: string };
    const secret = new URL(otpauthUri).searchParams.get('secret');
    if (!secret) throw new Error('TOTP enrolment of the admin gave no secret');
    const { code, step } = await freshCode(secret, 0);
    const confirmed = await api.post('/api/v1/me/mfa/totp/confirm', { headers: auth, data: { code } });
    if (confirmed.status() !== 200)
      throw new Error(`confirming the admin's TOTP: HTTP ${String(confirmed.status())}`);
    return { email, password: PASSWORD, totpSecret: secret, lastStep: step };
  } finally {
    await api.dispose();
  }
}

async function bearer(api: APIRequestContext, email: string, password = PASSWORD): Promise<string> {
  const login = await api.post('/api/v1/auth/login', { data: { email, password, session: 'bearer' } });
  expect(login.status(), await login.text()).toBe(200);
  return ((await login.json()) as { token: string }).token;
}

/**
 * The last TOTP step used for the admin, kept in a temporary file: auth refuses a step it has
 * already accepted, and a failed test restarts the worker process (and its memory).
 */
const stepFile = (admin: Admin) => path.join(tmpdir(), `tracking-web-e2e-${admin.email}.totp-step`);

async function lastStepUsed(admin: Admin): Promise<number> {
  const saved = Number(await readFile(stepFile(admin), 'utf8').catch(() => '0'));
  return Math.max(admin.lastStep, Number.isFinite(saved) ? saved : 0);
}

/** A bearer session of the stack's admin that has passed TOTP. */
async function adminToken(api: APIRequestContext): Promise<string> {
  const admin = stack.admin;
  if (!admin) throw new Error('this stack has no admin the journeys made (see bootstrapAdmin)');
  const token = await bearer(api, admin.email, admin.password);
  const { code, step } = await freshCode(admin.totpSecret, await lastStepUsed(admin));
  await writeFile(stepFile(admin), String(step));
  const verified = await api.post('/api/v1/auth/mfa/verify', {
    headers: { authorization: `Bearer ${token}` },
    data: { code },
  });
  expect(verified.status(), await verified.text()).toBe(200);
  // Passing MFA issues a new token (no fixation of the password-only one).
  return ((await verified.json()) as { token: string }).token;
}

/** Gives the account `email` signs in with a new role, as an admin does; its sessions end. */
export async function setRole(api: APIRequestContext, email: string, role: 'client' | 'trainer' | 'admin') {
  const userToken = await bearer(api, email);
  const me = await api.get('/api/v1/me', { headers: { authorization: `Bearer ${userToken}` } });
  const { userId } = (await me.json()) as { userId: string };
  const token = await adminToken(api);
  const changed = await api.put(`/api/v1/admin/users/${userId}/role`, {
    headers: { authorization: `Bearer ${token}` },
    data: { role },
  });
  expect(changed.status(), await changed.text()).toBe(200);
  return { userId };
}
