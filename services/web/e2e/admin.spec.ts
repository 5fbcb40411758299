import { readFile } from 'node:fs/promises';

import { expect, test, type APIRequestContext, type Page } from '@playwright/test';

import { PASSWORD, registerAccount, signIn, totpCode } from './support/accounts';
import { setRole } from './support/admin';
import { checkScreen } from './support/screens';

/** The user id of an account, from its own session (the API's /me). */
async function userIdOf(request: APIRequestContext, email: string): Promise<string> {
  const login = await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  expect(login.status(), await login.text()).toBe(200);
  const { token } = (await login.json()) as { token: string };
  const me = await request.get('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  return ((await me.json()) as { userId: string }).userId;
}

/** Two-step sign-in set up on the security page, from the key it shows, as a person would. */
async function enrolTotp(page: Page): Promise<void> {
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up' }).click();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
  await page.getByLabel('Code from the app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('button', { name: 'I have saved my codes' }).click();
  await expect(page.getByText('Two-step sign-in is on: signing in needs a code')).toBeVisible();
}

test('an admin is stopped until two-step sign-in is on, then changes a role (ending that user’s session), finds the change in the audit log, exports it, verifies the chain and opens support access', async ({
  browser,
  page,
  request,
}) => {
  // A new admin, promoted by the stack's first one: no second factor yet.
  const { email: adminEmail } = await registerAccount(request, 'admin');
  await setRole(request, adminEmail, 'admin');
  await signIn(page, adminEmail);

  // Stopped: every page, the console included, leads to setting up two-step sign-in, and the
  // API itself refuses with mfa_required and what to do next.
  await expect(page).toHaveURL(/\/account\/security$/);
  await page.goto('/admin/users');
  await expect(page).toHaveURL(/\/account\/security$/);
  const refused = await page.request.get('/api/v1/admin/users?q=web-');
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toMatchObject({ code: 'mfa_required', errors: { next: 'enrol_totp' } });
  await enrolTotp(page);

  // The user whose role changes is signed in elsewhere.
  const { email: userEmail } = await registerAccount(request, 'promoted');
  const elsewhere = await browser.newContext();
  const theirPage = await elsewhere.newPage();
  await signIn(theirPage, userEmail);
  await expect(theirPage).toHaveURL(/\/today$/);

  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await page.getByLabel('Email or user id').fill(userEmail.slice(0, 20));
  await page.getByRole('button', { name: 'Search' }).click();
  const card = page.getByRole('article', { name: userEmail });
  await expect(card.locator('dd').nth(2)).toHaveText('client');
  await checkScreen(page, 'admin-users');

  await card.getByLabel('New role').selectOption('trainer');
  await card.getByRole('button', { name: 'Change role…' }).click();
  const confirm = card.getByRole('alertdialog');
  await expect(confirm).toContainText('can invite clients and read the meals');
  await expect(confirm).toContainText('Every session of theirs ends now');
  await checkScreen(page, 'admin-users-confirm');
  await confirm.getByRole('button', { name: 'Yes, make them trainer' }).click();
  await expect(card.getByText('The role changed from client to trainer; 1 session(s) ended.')).toBeVisible();
  const correlationId = (await card.getByRole('status').locator('code').innerText()).trim();
  expect(correlationId).not.toBe('');

  // Their plan, read from billing only when asked (each read is audited): they never paid.
  await card.getByRole('button', { name: 'Show subscription' }).click();
  await expect(card.getByRole('region', { name: 'Subscription' })).toContainText('no subscription');

  // Their next action finds the session gone.
  await theirPage.getByRole('link', { name: 'History' }).click();
  await expect(theirPage).toHaveURL(/\/sign-in\?next=%2Fhistory&expired=1$/);
  await expect(theirPage.getByText('Your session has ended. Sign in again to continue.')).toBeVisible();
  await elsewhere.close();

  // The change in the audit log, found by the request's correlation id (it arrives through Kafka).
  await card.getByRole('link', { name: 'see it in the audit log' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/audit\\?correlationId=${correlationId}$`));
  await expect(page.getByLabel('Correlation id')).toHaveValue(correlationId);
  const entries = page.getByRole('region', { name: 'Audit entries' });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(entries.getByRole('cell', { name: 'auth.role.changed' })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  // The time filters say their format in words: Chromium draws them in the browser's date order.
  await expect(page.getByLabel('From')).toHaveAccessibleDescription(
    'Your local time, in the date order your browser shows',
  );
  await page.getByLabel('Until').fill('2026-12-24T18:30');
  await expect(page.getByLabel('Until')).toHaveAccessibleDescription(/^Chosen: .*24.*Dec.*2026/);
  await page.getByLabel('Until').fill('');
  await checkScreen(page, 'admin-audit');

  // Exported: the same search, as a CSV file the browser downloads.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export as CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^audit-.+\.csv$/);
  const csv = await readFile(await file.path(), 'utf8');
  expect(csv).toContain('auth.role.changed');
  expect(csv).toContain(correlationId);

  // The chain holds.
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByText('The chain is intact')).toBeVisible({ timeout: 60_000 });
  await checkScreen(page, 'admin-audit-verified');

  // Break-glass to one client, with a reason: the banner shows it on every page while it lasts.
  const { email: clientEmail } = await registerAccount(request, 'supported');
  const clientId = await userIdOf(request, clientEmail);
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Support access' }).click();
  await page.getByLabel("Client's user id").fill(clientId);
  await page.getByLabel('Reason').fill('Ticket 4711: the client cannot see yesterday’s meals');
  await page.getByLabel('Minutes (1 to 60)').fill('1');
  await page.getByRole('button', { name: 'Open support access' }).click();
  const banner = page.getByRole('region', { name: 'Active support access' });
  await expect(banner).toContainText(`Support access open to client ${clientId} until`);
  await expect(page.getByText('This client has logged no meals')).toBeVisible();
  await checkScreen(page, 'admin-support');
  // The grant is tracking's, not this browser's: the API lists it, and a reload still shows it.
  const listed = await page.request.get('/api/v1/admin/support-access');
  expect(await listed.json()).toMatchObject({
    items: [{ clientId, reason: expect.stringContaining('4711') }],
  });
  await page.reload();
  await expect(banner).toContainText(clientId);
  for (const section of ['Operations', 'Account']) {
    await page.getByRole('link', { name: section, exact: true }).first().click();
    await expect(banner).toContainText(clientId);
  }
  // A refused sign-in, a lock-out and a refused Stripe webhook are security events on the
  // operations screen, each linked to its request's audit entries by correlation id.
  const refusedSignIn = await request.post('/api/v1/auth/login', {
    data: { email: clientEmail, password: 'certainly not the password' },
  });
  expect(refusedSignIn.status()).toBe(401);
  const refusedRequest = refusedSignIn.headers()['x-correlation-id'] ?? '';
  expect(refusedRequest).not.toBe('');
  // Five wrong passwords for one account: the fifth pauses it, and its request carries the lock-out.
  const { email: guessedEmail } = await registerAccount(request, 'guessed');
  let lockingRequest = '';
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const guess = await request.post('/api/v1/auth/login', {
      data: { email: guessedEmail, password: `guess number ${String(attempt)} is wrong` },
    });
    expect(guess.status()).toBe(401);
    lockingRequest = guess.headers()['x-correlation-id'] ?? '';
  }
  expect(
    (
      await request.post('/api/v1/auth/login', { data: { email: guessedEmail, password: PASSWORD } })
    ).status(),
  ).toBe(429);
  // A delivery to Stripe's webhook path, through the edge, signed with a key that is not the endpoint's.
  const forged = await request.post('/webhooks/stripe', {
    headers: {
      'content-type': 'application/json',
      'stripe-signature': `t=${String(Math.floor(Date.now() / 1000))},v1=${'0'.repeat(64)}`,
    },
    data: JSON.stringify({ id: 'evt_forged', type: 'checkout.session.completed' }),
  });
  expect(forged.status()).toBe(400);
  const forgedRequest = forged.headers()['x-correlation-id'] ?? '';
  expect(forgedRequest).not.toBe('');

  await page.goto('/admin/operations');
  await expect(page.getByRole('heading', { name: /Refused sign-ins/ })).toBeVisible();
  await expect(banner).toContainText(clientId);
  const eventLink = page.getByRole('link', { name: `entries of request ${refusedRequest}` });
  const lockOut = page
    .getByRole('region', { name: /Lock-outs/ })
    .getByRole('link', { name: `entries of request ${lockingRequest}` });
  const webhooks = page.getByRole('region', { name: /Refused Stripe webhooks/ });
  const webhookLink = webhooks.getByRole('link', { name: `entries of request ${forgedRequest}` });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(eventLink).toBeVisible({ timeout: 2_000 });
    await expect(lockOut).toBeVisible({ timeout: 2_000 });
    await expect(webhookLink).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(
    webhooks
      .getByRole('listitem')
      .filter({ has: page.getByRole('link', { name: `entries of request ${forgedRequest}` }) }),
  ).toContainText('refused: signature_mismatch from 127.0.0.1');
  await expect(page.getByText(/not in the audit log|never reach the audit log/)).toHaveCount(0);
  await checkScreen(page, 'admin-operations');
  await eventLink.click();
  await expect(
    page.getByRole('region', { name: 'Audit entries' }).getByRole('cell', { name: 'auth.login.failed' }),
  ).toBeVisible();
  // The lock-out's request: the refusal and the lock-out it caused, side by side.
  await page.goto('/admin/operations');
  await lockOut.click();
  await expect(page).toHaveURL(new RegExp(`/admin/audit\\?correlationId=${lockingRequest}$`));
  const lockEntries = page.getByRole('region', { name: 'Audit entries' });
  await expect(lockEntries.getByRole('cell', { name: 'auth.account.locked' })).toBeVisible();
  await expect(lockEntries.getByRole('cell', { name: 'auth.login.failed' })).toBeVisible();

  // A minute on, the grant has ended: the banner is gone, the client's page says so and shows
  // nothing of theirs, and tracking itself refuses the read.
  await page.goto(`/admin/support?client=${clientId}`);
  await expect(page.getByText(`Your support access to client ${clientId} has ended`)).toBeVisible({
    timeout: 90_000,
  });
  await expect(banner).toHaveCount(0);
  expect((await page.request.get(`/api/v1/admin/clients/${clientId}/meals`)).status()).toBe(404);
  expect(await (await page.request.get('/api/v1/admin/support-access')).json()).toEqual({ items: [] });
});
