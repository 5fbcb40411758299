import { expect, test } from '@playwright/test';

import { PASSWORD, registerAccount, signIn, totpCode } from './support/accounts';
import { checkScreen } from './support/screens';

test('a client turns on two-step sign-in, then signs in with a code from the app and with a recovery code', async ({
  page,
  request,
}) => {
  const { email } = await registerAccount(request, 'mfa');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);

  await page.goto('/account/security');
  await checkScreen(page, 'mfa-start');
  // A mistyped password is the form's error, not the end of the session (auth answers 401).
  await page.getByLabel('Current password').fill(`${PASSWORD}-wrong`);
  await page.getByRole('button', { name: 'Set up' }).click();
  await expect(page.getByText(/password is incorrect/i).first()).toBeVisible();
  await expect(page).toHaveURL(/\/account\/security$/);
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up' }).click();

  // The QR code as an image, and the key as text for typing into the app.
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  await checkScreen(page, 'mfa-scan');
  await page.getByLabel('Code from the app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();

  // Ten recovery codes, shown once, with copy and download.
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recoveryCode = (await codes.first().innerText()).trim();
  await expect(page.getByRole('button', { name: 'Copy codes' })).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download codes' }).click();
  expect((await download).suggestedFilename()).toBe('tracking-recovery-codes.txt');
  await checkScreen(page, 'mfa-recovery-codes');
  await page.getByRole('button', { name: 'I have saved my codes' }).click();
  await expect(page.getByText('Two-step sign-in is on: signing in needs a code')).toBeVisible();
  await checkScreen(page, 'mfa-on');

  // Sign out; signing in now asks for the code. The code of the next step: the one used to
  // enrol may not be replayed.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible();
  await checkScreen(page, 'sign-in-totp');
  await page.getByLabel('Authentication code', { exact: true }).fill(await totpCode(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/today$/);

  // And once more with a recovery code instead of the app.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, email);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await checkScreen(page, 'sign-in-recovery-code');
  await page.getByLabel('Recovery code', { exact: true }).fill(recoveryCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/today$/);

  // The used code is gone: nine are left.
  await page.goto('/account/security');
  await expect(page.getByText('You have 9 unused recovery codes.')).toBeVisible();
});
