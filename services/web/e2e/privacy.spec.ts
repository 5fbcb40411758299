import { readFile } from 'node:fs/promises';

import { expect, test, type Page } from '@playwright/test';

import { PASSWORD, registerAccount, signIn, totpCode } from './support/accounts';
import { setRole } from './support/admin';
import { checkScreen } from './support/screens';

/** The names of the files in a ZIP, read from its central directory: proof that it opens. */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a ZIP: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50)
      throw new Error(`broken central directory at entry ${String(index)}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** Two-step sign-in set up on the security page, from the key it shows, as a person would. */
async function enrolTotp(page: Page): Promise<string> {
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up' }).click();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
  await page.getByLabel('Code from the app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('button', { name: 'I have saved my codes' }).click();
  await expect(page.getByText('Two-step sign-in is on: signing in needs a code')).toBeVisible();
  return secret;
}

test('a client exports their data: a wrong password stays on the form, then the page follows the export until it is ready and saves a ZIP with a README', async ({
  page,
  request,
}) => {
  const { email } = await registerAccount(request, 'privacy-export');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);

  // From the account screen's navigation, as the mails and the privacy page point here too.
  await page.goto('/account');
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Privacy' }).click();
  await expect(page).toHaveURL(/\/account\/privacy$/);
  await expect(page.getByRole('heading', { name: 'Privacy', level: 1 })).toBeVisible();
  await checkScreen(page, 'account-privacy');

  // A wrong password says so on the form and keeps the person signed in.
  const exportForm = page.getByRole('form', { name: 'Export my data' });
  await exportForm.getByLabel('Your password').fill('not my password at all');
  await exportForm.getByRole('button', { name: 'Export my data' }).click();
  await expect(exportForm.getByText(/password is incorrect/i)).toBeVisible();
  await expect(page).toHaveURL(/\/account\/privacy$/);

  await exportForm.getByLabel('Your password').fill(PASSWORD);
  await exportForm.getByRole('button', { name: 'Export my data' }).click();
  // The export's id goes into the address, where the "ready" mail points as well.
  await expect(page).toHaveURL(/\/account\/privacy\?export=[0-9a-f-]{36}$/);
  // Every service writes its part; the page reads the state again by itself until it is ready.
  const downloadForm = page.getByRole('form', { name: 'Download my export' });
  await expect(downloadForm.getByText('Your export is ready')).toBeVisible({ timeout: 180_000 });
  await expect(downloadForm.getByText(/You can download it until/)).toBeVisible();
  await checkScreen(page, 'account-privacy-export-ready');

  await downloadForm.getByLabel('Your password').fill(PASSWORD);
  const saving = page.waitForEvent('download');
  await downloadForm.getByRole('button', { name: 'Download' }).click();
  const download = await saving;
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const entries = zipEntries(await readFile(await download.path()));
  expect(entries.some((name) => /^README/i.test(name))).toBe(true);
  // One folder per service that holds data about the person: auth at least holds the account.
  expect(entries.some((name) => name.startsWith('auth/'))).toBe(true);

  // Someone who leaves and comes back without the mail's link finds the same ready export.
  await page.goto('/today');
  await page.goto('/account/privacy');
  await expect(page).toHaveURL(/\/account\/privacy$/);
  const again = page.getByRole('form', { name: 'Download my export' });
  await expect(again.getByText('Your export is ready')).toBeVisible();
  await expect(again.getByText(/You can download it until/)).toBeVisible();
  await expect(page.getByRole('form', { name: 'Export my data' })).toHaveCount(0);
  await checkScreen(page, 'account-privacy-export-came-back');
});

test('a client schedules their account’s deletion, sees the date it runs, and cancels it', async ({
  page,
  request,
}) => {
  const { email } = await registerAccount(request, 'privacy-deletion');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);
  await page.goto('/account/privacy');

  // What is erased and what is kept, and the 7 days, before anything is asked.
  const deletionForm = page.getByRole('form', { name: 'Delete my account' });
  await expect(deletionForm.getByText('Nothing is deleted for 7 days.')).toBeVisible();
  await expect(deletionForm.getByText(/What we keep, and why/)).toBeVisible();
  await deletionForm.getByLabel('Your password').fill(PASSWORD);
  await deletionForm.getByRole('button', { name: 'Delete my account in 7 days' }).click();
  await expect(page.getByText(/Your account will be deleted on/)).toBeVisible();
  // The date shown is the one the API scheduled: seven days from now.
  const deletion = await page.request.get('/api/v1/me/account-deletion');
  const { request: asked } = (await deletion.json()) as { request: { scheduledFor: string } };
  const days = (Date.parse(asked.scheduledFor) - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(6.9);
  expect(days).toBeLessThanOrEqual(7);
  await checkScreen(page, 'account-privacy-deletion-scheduled');

  // A reload finds it still scheduled: it lives on the server, not in the page.
  await page.reload();
  await expect(page.getByText(/Your account will be deleted on/)).toBeVisible();
  await page.getByRole('button', { name: 'Cancel the deletion and keep my account' }).click();
  await expect(page.getByText(/You cancelled the deletion on/)).toBeVisible();
  await expect(page.getByRole('form', { name: 'Delete my account' })).toBeVisible();
  const after = (await (await page.request.get('/api/v1/me/account-deletion')).json()) as {
    request: { state: string };
  };
  expect(after.request.state).toBe('cancelled');
});

test('an admin sees the privacy requests against their deadlines and schedules a deletion asked for by mail, with the reason', async ({
  page,
  request,
}) => {
  const { email: userEmail } = await registerAccount(request, 'privacy-subject');
  const { email: adminEmail } = await registerAccount(request, 'privacy-admin');
  await setRole(request, adminEmail, 'admin');
  await signIn(page, adminEmail);
  await expect(page).toHaveURL(/\/account\/security$/);
  await enrolTotp(page);

  await page.goto('/admin/privacy');
  await expect(page.getByRole('heading', { name: 'Privacy requests', level: 1 })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /open|No request is open/ })).toBeVisible();
  await checkScreen(page, 'admin-privacy');

  await page.getByLabel('Email or user id').fill(userEmail.slice(0, 24));
  await page.getByRole('button', { name: 'Find' }).click();
  const found = page.getByRole('list', { name: 'Matching accounts' }).getByRole('listitem');
  await expect(found).toHaveCount(1);
  const reason = found.getByLabel('Why (recorded in the audit log)');
  await reason.fill('short');
  await found.getByRole('button', { name: /Schedule the deletion of/ }).click();
  await expect(found.getByText(/at least 10 characters/)).toBeVisible();
  await reason.fill('verified request by mail, ticket 1234');
  await found.getByRole('button', { name: /Schedule the deletion of/ }).click();
  await expect(found.getByText(/Deletion scheduled, runs/)).toBeVisible();

  // The list shows it, with the admin as the one who asked and its due date.
  await page.getByLabel('Kind').selectOption('erasure');
  const rows = page.getByRole('region', { name: 'Privacy requests' }).getByRole('row');
  await expect(rows.filter({ hasText: 'erasure (by an admin)' }).first()).toBeVisible();
  await expect(rows.filter({ hasText: /due in \d+ days/ }).first()).toBeVisible();
  await checkScreen(page, 'admin-privacy-erasure');
});
