import { expect, test } from '@playwright/test';

import { newEmail, PASSWORD } from './support/accounts';
import { latestMail, linkIn } from './support/mail';
import { checkScreen } from './support/screens';

test('a new client signs up, confirms the address through the mail the platform sent, and signs in', async ({
  page,
}) => {
  const email = newEmail('signup');

  await page.goto('/sign-up');
  await expect(page.getByRole('heading', { name: 'Create an account' })).toBeVisible();
  await checkScreen(page, 'sign-up');

  await page.getByLabel('Your name').fill('Sam Signup');
  await page.getByLabel('Email').fill(email);
  // The server's policy, shown while typing: a common password is refused before it is sent.
  await page.getByLabel('Password', { exact: true }).fill('password1234');
  await expect(page.getByTestId('password-strength')).toContainText('commonly used');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await expect(page.getByTestId('password-strength')).toContainText(/Good|Strong/);
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  await checkScreen(page, 'sign-up-sent');

  // The link in the mail auth really sent: /verify-email#token=…
  const link = linkIn(await latestMail(email, 'verify_email'));
  expect(link).toMatch(/^\/verify-email#token=/);
  await page.goto(link);
  await expect(page.getByText(`${email} is confirmed.`)).toBeVisible();
  // The single-use token does not stay in the address bar.
  expect(new URL(page.url()).hash).toBe('');
  await checkScreen(page, 'verify-email');

  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await checkScreen(page, 'sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();

  // A client lands on today; the account page shows the confirmed address.
  await expect(page).toHaveURL(/\/today$/);
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByText(email)).toBeVisible();
  await expect(page.getByText('confirmed', { exact: true })).toBeVisible();
  await checkScreen(page, 'account');
});

test('a wrong password is explained in words with a reference for support', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(newEmail('nobody'));
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Email or password is incorrect.');
  await expect(alert).toContainText(/quote reference [0-9a-f-]{16,}/i);
  await checkScreen(page, 'sign-in-error');
});

test('the public pages: privacy names the AI providers; forgot password; an incomplete reset link', async ({
  page,
}) => {
  await page.goto('/privacy');
  await expect(page.getByRole('heading', { name: 'Third-party AI' })).toBeVisible();
  await expect(page.getByText('Anthropic', { exact: false }).first()).toBeVisible();
  await expect(page.getByText('Alibaba Cloud', { exact: false }).first()).toBeVisible();
  await checkScreen(page, 'privacy');

  await page.goto('/forgot-password');
  await page.getByLabel('Email').fill(newEmail('forgot'));
  await page.getByRole('button', { name: 'Send link' }).click();
  await expect(page.getByText('If an account uses that address')).toBeVisible();
  await checkScreen(page, 'forgot-password');

  await page.goto('/reset-password');
  await expect(page.getByText('This link is incomplete')).toBeVisible();
  await checkScreen(page, 'reset-password-incomplete');

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await checkScreen(page, 'not-found');
});
