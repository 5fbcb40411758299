import { expect, test, type Page } from '@playwright/test';

import { PASSWORD, registerAccount, signIn, totpCode } from './support/accounts';
import { setRole } from './support/admin';
import { latestMail, linkIn } from './support/mail';
import { checkScreen } from './support/screens';
import { stack } from './support/stack';

/** Enrols TOTP on the security page the trainer was sent to; returns the key for later codes. */
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

// Decided in the worker, which has the stack global-setup started (the file is also loaded before).
test.beforeEach(() => {
  test.skip(
    !stack.admin,
    'needs the admin of a stack the journeys started (trainers are promoted by an admin)',
  );
});

test('a trainer enrols TOTP, invites a client who logs meals, comments, gets a review, and loses access when the client ends the link', async ({
  page,
  browser,
  request,
}) => {
  const trainer = await registerAccount(request, 'trainer');
  await setRole(request, trainer.email, 'trainer');
  const client = await registerAccount(request, 'coached');

  // MFA first: a trainer without TOTP lands on enrolment, and the console stays shut until then.
  await signIn(page, trainer.email);
  await expect(page).toHaveURL(/\/account\/security$/);
  await page.goto('/clients');
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.getByRole('heading', { name: 'Your clients' })).toHaveCount(0);
  await checkScreen(page, 'trainer-mfa-required');
  await enrolTotp(page);

  await page.getByRole('link', { name: 'Clients' }).click();
  await expect(page).toHaveURL(/\/clients$/);
  await expect(page.getByText('No clients yet')).toBeVisible();
  await expect(page.getByText('0 of 3')).toBeVisible();
  await checkScreen(page, 'trainer-clients-empty');

  // The invitation: by email, pending until the client answers.
  await page.getByLabel('Client’s email').fill(client.email);
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(page.getByText(`Invitation sent to ${client.email}.`)).toBeVisible();
  const invitations = page.getByRole('list', { name: 'Invitations' });
  await expect(invitations.getByRole('listitem').filter({ hasText: client.email })).toContainText('Pending');
  await expect(page.getByText('1 of 3')).toBeVisible();
  // Sending it again replaces it with a fresh one: still one open invitation.
  await page.getByRole('button', { name: `Send again to ${client.email}` }).click();
  await expect(invitations.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByText('1 of 3')).toBeVisible();
  await checkScreen(page, 'trainer-invitations');

  // The client, in a browser of their own: verify the address the invitation waits under,
  // accept, and log two meals.
  const clientContext = await browser.newContext();
  const clientPage = await clientContext.newPage();
  await clientPage.goto(linkIn(await latestMail(client.email, 'verify_email')));
  await expect(clientPage.getByText(`${client.email} is confirmed.`)).toBeVisible();
  await signIn(clientPage, client.email);
  await expect(clientPage).toHaveURL(/\/today$/);
  await clientPage.getByRole('link', { name: 'Trainers' }).click();
  await clientPage.getByRole('button', { name: 'Accept' }).click();
  await expect(clientPage.getByText('Your trainer', { exact: true })).toBeVisible();
  await clientPage.getByRole('link', { name: 'Today' }).click();
  for (const [type, text] of [
    ['breakfast', 'porridge with milk and a sliced banana'],
    ['lunch', 'chicken and salad wrap with an apple'],
  ] as const) {
    await clientPage.getByLabel('Meal', { exact: true }).selectOption(type);
    await clientPage.getByLabel('What did you have?').fill(text);
    await clientPage.getByRole('button', { name: 'Log meal' }).click();
    await expect(clientPage.getByText('Logged. The estimate follows in a moment.')).toBeVisible();
  }

  // The trainer sees them: the client at a glance, then the meals with their estimates.
  await page.reload();
  const card = page
    .getByRole('list', { name: 'Clients' })
    .getByRole('listitem')
    .filter({ hasText: client.email });
  await expect(card).toContainText('1 of 7');
  await expect(card).not.toContainText('No meal logged in 3 days');
  await checkScreen(page, 'trainer-clients');
  await card.getByRole('link', { name: client.email }).click();
  await expect(page.getByRole('heading', { level: 1, name: client.email })).toBeVisible();
  const wrap = page.getByRole('article').filter({ hasText: 'chicken and salad wrap' });
  await expect(wrap.locator('[data-status="estimated"]')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('figure', { name: /Energy over the last 7 days: 1 day logged/ })).toBeVisible();
  await page.getByLabel('30 days').check();
  await expect(page.getByRole('figure', { name: /Energy over the last 30 days/ })).toBeVisible();
  await checkScreen(page, 'trainer-client-meals');

  await page.getByRole('link', { name: 'Body' }).click();
  await expect(page.getByText('No weight logged in the last 30 days.')).toBeVisible();
  await checkScreen(page, 'trainer-client-body');

  await page.getByRole('link', { name: 'Goals' }).click();
  await page.getByRole('button', { name: 'Set goals' }).click();
  await page.getByLabel('Energy (kJ)').fill('8400');
  await page.getByLabel('Protein (g)').fill('120');
  await page.getByLabel('Carbs (g)').fill('250');
  await page.getByLabel('Fat (g)').fill('70');
  await page.getByRole('button', { name: 'Save goals' }).click();
  await expect(page.getByText('120 g')).toBeVisible();
  await checkScreen(page, 'trainer-client-goals');

  await page.getByRole('link', { name: 'Comments' }).click();
  await page.getByRole('textbox', { name: 'Comment' }).fill('Great start: keep the protein up at breakfast.');
  await page.getByRole('button', { name: 'Add comment' }).click();
  await expect(page.getByRole('list', { name: 'Comments so far' })).toContainText('keep the protein up');
  await checkScreen(page, 'trainer-client-comments');

  // The review: the plan's quota is shown before asking; the offline reviewer writes it.
  await page.getByRole('link', { name: 'Weekly reviews' }).click();
  await expect(page.getByText(/allows 1 AI review a week for each client: 0 used/)).toBeVisible();
  // Last week: always complete (this week opens once its Monday has begun in UTC).
  await page.getByLabel(/Last week/).check();
  await page.getByRole('button', { name: 'Ask for the review' }).click();
  const review = page.getByRole('list', { name: 'Reviews' }).getByRole('listitem').first();
  await expect(review).toContainText('Ready', { timeout: 90_000 });
  await expect(review.locator('.review-body')).not.toBeEmpty();
  await expect(page.getByText(/1 used for this client in the last 7 days, 0 left/)).toBeVisible();
  await checkScreen(page, 'trainer-client-reviews');

  // The client reads the comment, then ends the link.
  await clientPage.getByRole('link', { name: 'Trainers' }).click();
  await expect(clientPage.getByText('keep the protein up')).toBeVisible();
  await clientPage.getByRole('button', { name: 'End this link' }).click();
  await clientPage.getByRole('button', { name: 'End link', exact: true }).click();
  await expect(clientPage.getByText('No trainer yet')).toBeVisible();
  await clientContext.close();

  // The trainer's very next action finds out: not found, and none of the client's data left.
  await page.getByRole('link', { name: 'Comments' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Client not found' })).toBeVisible();
  await expect(page.locator('body')).not.toContainText('keep the protein up');
  await expect(page.locator('body')).not.toContainText(client.email);
  await checkScreen(page, 'trainer-client-not-found');
  await page.getByRole('link', { name: 'Go to your clients' }).click();
  await expect(page.getByText('No clients yet')).toBeVisible();
});
