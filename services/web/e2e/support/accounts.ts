import { randomBytes } from 'node:crypto';

import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { generate } from 'otplib';

/** Strong enough for the server's policy (zxcvbn 3+), and obviously a test's. */
export const PASSWORD = 'violet kettle under the stairs';

export function newEmail(label: string): string {
  return `web-${label}-${randomBytes(6).toString('hex')}@example.test`;
}

/** An account made through the API (the sign-up screen has its own journey). */
export async function registerAccount(request: APIRequestContext, label: string): Promise<{ email: string }> {
  const email = newEmail(label);
  const response = await request.post('/api/v1/auth/register', {
    data: { email, password: PASSWORD, displayName: `Web ${label}` },
  });
  expect(response.status(), await response.text()).toBe(201);
  return { email };
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * A TOTP code `stepsAhead` 30-second steps from now. Auth refuses a code at or before the last
 * step it accepted (replay protection) and allows one step of drift, so a journey that needs
 * a second code within the same half-minute asks for the next step.
 */
export function totpCode(secret: string, stepsAhead = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 * stepsAhead });
}
