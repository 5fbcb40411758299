import { randomUUID } from 'node:crypto';

import { expect, test, type APIRequestContext } from '@playwright/test';

import { PASSWORD, registerAccount, signIn, totpCode } from './support/accounts';
import { setRole } from './support/admin';
import { latestMail, linkIn } from './support/mail';
import { checkScreen } from './support/screens';
import { stack } from './support/stack';

// Decided in the worker, which has the stack global-setup started (the file is also loaded before).
test.beforeEach(() => {
  test.skip(
    !stack.admin,
    'needs the admin of a stack the journeys started (trainers are promoted by an admin)',
  );
});

/** A bearer session through the API, as a script or a phone app would hold one. */
async function bearer(request: APIRequestContext, email: string): Promise<Record<string, string>> {
  const login = await request.post('/api/v1/auth/login', {
    data: { email, password: PASSWORD, session: 'bearer' },
  });
  expect(login.status(), await login.text()).toBe(200);
  return { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

async function ok(response: Promise<import('@playwright/test').APIResponse>, status = 200) {
  const settled = await response;
  expect(settled.status(), await settled.text()).toBe(status);
  return (await settled.json().catch(() => ({}))) as Record<string, unknown>;
}

/** A trainer with TOTP enrolled through the API; returns the key for the codes of later sign-ins. */
async function trainerWithTotp(request: APIRequestContext, label: string) {
  const { email } = await registerAccount(request, label);
  await setRole(request, email, 'trainer');
  const auth = await bearer(request, email);
  const begun = await ok(
    request.post('/api/v1/me/mfa/totp', { headers: auth, data: { currentPassword: PASSWORD } }),
  );
  const secret = new URL(String(begun.otpauthUri)).searchParams.get('secret') ?? '';
  await ok(
    request.post('/api/v1/me/mfa/totp/confirm', { headers: auth, data: { code: await totpCode(secret) } }),
  );
  return { email, secret, auth };
}

test('trainer B tries every page of trainer A’s client and gets the same not-found page as for an id that does not exist, with none of the client’s data on the page or the wire', async ({
  page,
  request,
}) => {
  // Trainer A and their client, with a meal, a weight, goals, a comment and a review to find.
  const a = await trainerWithTotp(request, 'trainer-a');
  const client = await registerAccount(request, 'client-of-a');
  const verifyLink = linkIn(await latestMail(client.email, 'verify_email'));
  const token = new URLSearchParams(verifyLink.split('#')[1]).get('token');
  await ok(request.post('/api/v1/auth/verify-email', { data: { token } }));
  const clientAuth = await bearer(request, client.email);
  await ok(
    request.post('/api/v1/trainer/invitations', { headers: a.auth, data: { email: client.email } }),
    201,
  );
  const { items } = (await ok(request.get('/api/v1/me/trainer-links', { headers: clientAuth }))) as {
    items: { linkId: string; status: string }[];
  };
  const invitation = items.find((link) => link.status === 'pending');
  await ok(
    request.post(`/api/v1/me/trainer-links/${String(invitation?.linkId)}/accept`, { headers: clientAuth }),
  );
  const me = (await ok(request.get('/api/v1/me', { headers: clientAuth }))) as { userId: string };
  const canaries = {
    meal: `isolation canary meal ${randomUUID()}`,
    comment: `isolation canary comment ${randomUUID()}`,
  };
  await ok(
    request.post('/api/v1/me/meals', {
      headers: { ...clientAuth, 'idempotency-key': randomUUID() },
      data: { eatenAt: new Date().toISOString(), mealType: 'lunch', description: canaries.meal },
    }),
    201,
  );
  await ok(
    request.post('/api/v1/me/metrics', {
      headers: clientAuth,
      data: { recordedAt: new Date().toISOString(), weightKg: 81.3 },
    }),
    201,
  );
  await ok(
    request.post(`/api/v1/trainer/clients/${me.userId}/comments`, {
      headers: a.auth,
      data: { body: canaries.comment },
    }),
    201,
  );

  // Trainer B signs in through the browser, second factor and all.
  const b = await trainerWithTotp(request, 'trainer-b');
  await signIn(page, b.email);
  await page.getByLabel('Authentication code', { exact: true }).fill(await totpCode(b.secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/clients$/);
  await expect(page.getByText('No clients yet')).toBeVisible();

  // Every response the browser receives from here on is read for the client's data.
  const bodies: string[] = [];
  const asked: string[] = [];
  page.on('request', (request) => asked.push(new URL(request.url()).pathname));
  page.on('response', (response) => {
    if (response.url().includes('/api/'))
      void response.text().then(
        (text) => bodies.push(text),
        () => undefined,
      );
  });

  const pages = ['', '/body', '/goals', '/comments', '/reviews'];
  const seen = async (clientId: string, suffix: string) => {
    await page.goto(`/clients/${clientId}${suffix}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Client not found');
    await page.waitForLoadState('networkidle');
    return { title: await page.title(), main: await page.locator('main').innerText() };
  };
  const nobody = await seen(randomUUID(), '');
  await checkScreen(page, 'trainer-isolation-not-found');
  for (const suffix of pages) {
    expect(await seen(me.userId, suffix), `/clients/<A's client>${suffix}`).toEqual(nobody);
    expect(await seen(randomUUID(), suffix), `/clients/<random id>${suffix}`).toEqual(nobody);
  }
  expect(await seen('not-a-uuid', ''), 'a malformed id').toEqual(nobody);

  const dom = await page.content();
  for (const secret of [canaries.meal, canaries.comment, client.email, me.userId]) {
    expect(dom).not.toContain(secret);
    for (const body of bodies) expect(body).not.toContain(secret);
  }
  // The console asked the API about no client at all: only B's own links, session and plan.
  expect(bodies.length).toBeGreaterThan(0);
  expect(asked.filter((path) => path.startsWith('/api/v1/trainer/clients/'))).toEqual([]);
});
