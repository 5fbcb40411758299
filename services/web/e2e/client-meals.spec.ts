import { expect, test } from '@playwright/test';

import { registerAccount, signIn } from './support/accounts';
import { checkScreen } from './support/screens';

/** A meal's card on the Today or History screen, found by its text. */
const mealCard = (page: import('@playwright/test').Page, text: string) =>
  page.getByRole('article').filter({ hasText: text });

test('a client logs a meal and sees its estimate arrive, with the day’s totals', async ({
  page,
  request,
}) => {
  const { email } = await registerAccount(request, 'meal');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);
  await expect(page.getByText('Nothing logged yet today')).toBeVisible();
  await checkScreen(page, 'today-empty');

  await page.getByLabel('Meal', { exact: true }).selectOption('breakfast');
  await page.getByLabel('What did you have?').fill('two eggs on wholegrain toast and a flat white');
  await page.getByRole('button', { name: 'Log meal' }).click();
  await expect(page.getByText('Logged. The estimate follows in a moment.')).toBeVisible();

  // Pending, then estimated: energy (kJ by default in en-NZ), macros and the itemised foods.
  const card = mealCard(page, 'two eggs on wholegrain toast');
  await expect(card.locator('[data-status="estimated"]')).toBeVisible({ timeout: 60_000 });
  await expect(card.locator('[data-status="estimated"]')).toContainText(/\d kJ/);
  await expect(card.locator('[data-status="estimated"]')).toContainText('Protein');
  await card.getByText(/What we counted/).click();
  await expect(card.getByRole('table')).toBeVisible();
  // The totals count it once it is estimated.
  await expect(page.getByText('still being estimated')).toHaveCount(0);
  await checkScreen(page, 'today');

  // Goals in the unit the person reads (kJ here), and the totals measured against them.
  await page.getByRole('button', { name: 'Set daily goals' }).click();
  await page.getByLabel('Energy (kJ)').fill('8400');
  await page.getByLabel('Protein (g)').fill('120');
  await page.getByLabel('Carbs (g)').fill('250');
  await page.getByLabel('Fat (g)').fill('70');
  await page.getByRole('button', { name: 'Save goals' }).click();
  await expect(page.getByText(/of 8,40\d kJ/)).toBeVisible();
  await expect(page.getByText('of 120 g')).toBeVisible();

  // History lists it under today.
  await page.getByRole('link', { name: 'History' }).click();
  await expect(mealCard(page, 'two eggs on wholegrain toast')).toBeVisible();
  await checkScreen(page, 'history');
});

test('an edit from a second tab is explained to the first, whose own edit is kept, not lost', async ({
  page,
  context,
  request,
}) => {
  const { email } = await registerAccount(request, 'conflict');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);
  await page.getByLabel('What did you have?').fill('a bowl of porridge with banana');
  await page.getByRole('button', { name: 'Log meal' }).click();
  await expect(mealCard(page, 'a bowl of porridge')).toBeVisible();

  // Both tabs read version 1; the first starts an edit.
  const other = await context.newPage();
  await other.goto('/today');
  await mealCard(page, 'a bowl of porridge').getByRole('button', { name: /^Edit/ }).click();
  const editor = page.getByRole('form', { name: 'Edit meal' });
  await editor.getByLabel('What did you have?').fill('a bowl of porridge with banana and honey');

  // The second tab saves first.
  await mealCard(other, 'a bowl of porridge').getByRole('button', { name: /^Edit/ }).click();
  await other
    .getByRole('form', { name: 'Edit meal' })
    .getByLabel('What did you have?')
    .fill('a bowl of muesli');
  await other.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(mealCard(other, 'a bowl of muesli')).toBeVisible();

  // The first tab's save is refused by the version check and explained, with both versions.
  await editor.getByRole('button', { name: 'Save', exact: true }).click();
  const conflict = page.getByTestId('edit-conflict');
  await expect(conflict).toContainText('This meal was changed somewhere else');
  await expect(conflict).toContainText('a bowl of muesli');
  await expect(editor.getByLabel('What did you have?')).toHaveValue(
    'a bowl of porridge with banana and honey',
  );
  await checkScreen(page, 'today-edit-conflict');

  // Choosing to keep their own edit saves it over the newer version.
  await conflict.getByRole('button', { name: 'Save my version over it' }).click();
  await expect(mealCard(page, 'with banana and honey')).toBeVisible();
  await other.reload();
  await expect(mealCard(other, 'with banana and honey')).toBeVisible();
  await expect(mealCard(other, 'a bowl of muesli')).toHaveCount(0);
});

test('a meal logged while the connection drops is kept on the device and logged once when it is back', async ({
  page,
  request,
}) => {
  const { email } = await registerAccount(request, 'offline');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);

  // The server logs the meal but the answer never arrives (the worst case for a duplicate);
  // after that the connection is down until the test brings it back.
  let online = false;
  let lostAnswers = 0;
  let loggedFirst: number | undefined;
  await page.route('**/api/v1/me/meals', async (route) => {
    if (online || route.request().method() !== 'POST') return route.fallback();
    if (lostAnswers === 0) loggedFirst = (await route.fetch()).status();
    lostAnswers += 1;
    await route.abort('connectionreset');
  });
  await page.getByLabel('What did you have?').fill('a ham and cheese toastie');
  await page.getByRole('button', { name: 'Log meal' }).click();
  await expect(page.getByText('the meal is saved on this device')).toBeVisible();
  expect(loggedFirst, 'the server logged the meal whose answer was lost').toBe(201);
  const outbox = page.getByRole('region', { name: 'Waiting to send' });
  await expect(outbox).toContainText('a ham and cheese toastie');
  await checkScreen(page, 'today-waiting-to-send');

  online = true;
  // Sent again with the same Idempotency-Key: the one meal the server already has, not a second.
  await page.getByRole('button', { name: 'Send now' }).click();
  await expect(outbox).toHaveCount(0);
  await expect(mealCard(page, 'a ham and cheese toastie')).toHaveCount(1);
  const listed = await page.request.get('/api/v1/me/meals');
  const body = (await listed.json()) as { items: { description: string }[] };
  expect(body.items.map((meal) => meal.description)).toEqual(['a ham and cheese toastie']);
});
