import { expect, test } from '@playwright/test';

import { registerAccount, signIn } from './support/accounts';
import { checkScreen } from './support/screens';

test('a client logs their weight and sees it on the chart', async ({ page, request }) => {
  const { email } = await registerAccount(request, 'weight');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);
  await page.getByRole('link', { name: 'Body' }).click();
  await expect(page.getByText('No weight logged in the last 30 days.')).toBeVisible();
  await checkScreen(page, 'body-empty');

  await page.getByLabel('Weight (kg)').fill('72.4');
  await page.getByLabel('Sleep (hours)').fill('7.5');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Saved.')).toBeVisible();

  // The chart has a point for it, and says so in words for screen readers.
  const chart = page.getByRole('figure', { name: /Weight over the last 30 days: 1 entry, latest 72\.4 kg/ });
  await expect(chart).toBeVisible();
  await expect(chart.locator('.recharts-line-dot')).toHaveCount(1);
  await page.getByText('Show as a table').click();
  await expect(page.getByRole('table')).toContainText('72.4 kg');

  // Another metric and another period, from the same entries.
  await page.getByLabel('Show').selectOption('sleepHours');
  await page.getByLabel('7 days').check();
  await expect(
    page.getByRole('figure', { name: /Sleep over the last 7 days: 1 entry, latest 7\.5 h/ }),
  ).toBeVisible();
  await checkScreen(page, 'body');

  // A bad value is refused on the client with the server's rule, and nothing is sent.
  await page.getByLabel('Weight (kg)').fill('900');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Less than 700 kg.')).toBeVisible();
});

test('a client sees their trainer links, what a trainer can see, and the units they prefer', async ({
  page,
  request,
}) => {
  const { email } = await registerAccount(request, 'trainers');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);

  await page.getByRole('link', { name: 'Trainers' }).click();
  await expect(page.getByText('No trainer yet')).toBeVisible();
  await expect(page.getByRole('region', { name: 'What a linked trainer can see' })).toBeVisible();
  await checkScreen(page, 'trainers');

  // kcal instead of kJ: every energy figure follows.
  await page.goto('/account/units');
  await checkScreen(page, 'units');
  await page.getByLabel('Calories (kcal)').check();
  await expect(page.getByText('Example: 500 kcal')).toBeVisible();
  await page.getByLabel('Kilojoules (kJ), as on food labels here').check();
  await expect(page.getByText('Example: 2,092 kJ')).toBeVisible();
});
