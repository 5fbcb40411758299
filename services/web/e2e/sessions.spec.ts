import { expect, test } from '@playwright/test';

import { registerAccount, signIn } from './support/accounts';
import { checkScreen } from './support/screens';

test('signing out everywhere from one browser signs the other out on its next action', async ({
  browser,
  request,
}) => {
  const { email } = await registerAccount(request, 'sessions');
  // Two devices: separate browser contexts share nothing but the account.
  const laptop = await browser.newContext();
  const phone = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const onLaptop = await laptop.newPage();
  const onPhone = await phone.newPage();
  await signIn(onPhone, email);
  await expect(onPhone).toHaveURL(/\/today$/);
  await signIn(onLaptop, email);
  await expect(onLaptop).toHaveURL(/\/today$/);

  await onLaptop.goto('/account/sessions');
  const devices = onLaptop.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
  await expect(devices).toHaveCount(2);
  await expect(onLaptop.getByText('this device')).toHaveCount(1);
  await checkScreen(onLaptop, 'sessions');

  await onLaptop.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(onLaptop).toHaveURL(/\/sign-in$/);

  // The phone still shows its page; its next action finds the session gone and goes to sign
  // in, saying why, and coming back to where it was afterwards.
  await onPhone.getByRole('link', { name: 'Account' }).click();
  await expect(onPhone).toHaveURL(/\/sign-in\?next=%2Faccount&expired=1$/);
  await expect(onPhone.getByText('Your session has ended. Sign in again to continue.')).toBeVisible();
  await checkScreen(onPhone, 'session-expired');
  await onPhone.getByLabel('Email').fill(email);
  await onPhone.getByLabel('Password', { exact: true }).fill('violet kettle under the stairs');
  await onPhone.getByRole('button', { name: 'Sign in' }).click();
  await expect(onPhone).toHaveURL(/\/account$/);

  await laptop.close();
  await phone.close();
});
