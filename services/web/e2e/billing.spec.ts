import { expect, test } from '@playwright/test';
import {
  checkoutSessionObject,
  deliver,
  stripeClient,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '@tracking/testing/stripe-events';
import pg from 'pg';

import { PASSWORD, registerAccount, signIn, totpCode } from './support/accounts';
import { checkScreen } from './support/screens';
import { stack } from './support/stack';

test('a client upgrades to Pro through Stripe Checkout, the signed webhooks arrive, and the plan shows Pro', async ({
  page,
}) => {
  const billing = stack.billing;
  const { email } = await registerAccount(page.request, 'billing');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/today$/);

  await page.goto('/billing');
  await expect(page.getByTestId('current-plan')).toHaveText('Free');
  await checkScreen(page, 'billing-free');

  // Stripe's hosted page is on Stripe's origin, which this machine cannot reach: the test
  // stands in for the page itself (not for our API), then plays Stripe's webhooks.
  await page.route('https://checkout.stripe.com/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<title>Checkout</title><p>Stripe Checkout</p>' }),
  );
  const checkoutResponse = page.waitForResponse('**/api/v1/me/subscription/checkout');
  await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
  const correlationId = (await checkoutResponse).headers()['x-correlation-id'] ?? '';
  await expect(page).toHaveURL(/^https:\/\/checkout\.stripe\.com\//);

  const me = (await (await page.request.get('/api/v1/me')).json()) as { userId: string };
  const db = new pg.Client({ connectionString: billing.databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ stripe_customer_id: string }>(
    'SELECT stripe_customer_id FROM customer WHERE user_id = $1',
    [me.userId],
  );
  await db.end();
  const customer = rows[0]?.stripe_customer_id ?? '';
  expect(customer).toMatch(/^cus_/);

  const stripe = stripeClient(billing.stripeApiUrl, billing.stripeKey);
  const subscription = stripeId('sub');
  const now = Math.floor(Date.now() / 1000);
  const metadata = { user_id: me.userId, plan: 'pro', correlation_id: correlationId };
  const subscriptionAs = (status: 'incomplete' | 'active') =>
    subscriptionObject(stripe, {
      id: subscription,
      customer,
      price: billing.proPrice,
      status,
      created: now,
      metadata,
    });
  const events = [
    stripeEvent('customer.subscription.created', await subscriptionAs('incomplete'), now),
    stripeEvent(
      'checkout.session.completed',
      await checkoutSessionObject(stripe, {
        customer,
        subscription,
        userId: me.userId,
        plan: 'pro',
        correlationId,
      }),
      now,
    ),
    stripeEvent('customer.subscription.updated', await subscriptionAs('active'), now),
  ];
  for (const event of events) {
    const delivery = await deliver(stripe, billing.webhookUrl, event, { secret: billing.webhookSecret });
    expect(delivery.status).toBe(200);
  }

  // Stripe sends the person back. A paid plan needs two-step sign-in, which auth applies as
  // soon as the plan change reaches it: the app asks for it before anything else.
  await expect
    .poll(
      async () => ((await (await page.request.get('/api/v1/auth/session')).json()) as { mfa: string }).mfa,
    )
    .toBe('enrolment_required');
  await page.goto('/billing?checkout=success');
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.getByText('requires two-step sign-in')).toBeVisible();
  await checkScreen(page, 'mfa-required');
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up' }).click();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
  await page.getByLabel('Code from the app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('button', { name: 'I have saved my codes' }).click();

  await page.goto('/billing?checkout=success');
  await expect(page.getByTestId('current-plan')).toHaveText('Pro');
  await expect(page.getByText('Thank you. Your plan is active.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Manage billing' })).toBeVisible();
  await checkScreen(page, 'billing-pro');
});
