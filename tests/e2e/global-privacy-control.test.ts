import { startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts } from './accounts';

/**
 * Global Privacy Control (#22, docs/privacy.md) through the real gateway, auth service and
 * database: a signed-in browser sending `Sec-GPC: 1` has the opt-out of sale or sharing recorded
 * for its account, sees it on its account, and the signal never opts anyone back in.
 */
describe('Sec-GPC through the public API', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };
  const { api, expectStatus, login, register } = accounts(setup);

  beforeAll(async () => {
    platform = await startPlatform({ ai: false, notifications: false });
  }, 120_000);

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  const signedIn = async () => login((await register()).email);
  const GPC = { 'Sec-GPC': '1' };

  test('the signal on a page load records the opt-out on the account, and the account shows it', async () => {
    const token = await signedIn();
    const before = await expectStatus(api('GET', '/me/preferences', { token }), 200);
    expect(before.body).toEqual({ newDeviceAlerts: true, saleSharingOptOut: false });

    const me = await expectStatus(api('GET', '/me', { token, headers: GPC }), 200);
    expect(me.body.saleSharingOptOut).toBe(true);
    // Recorded, not just echoed: a request without the signal still sees it.
    const after = await expectStatus(api('GET', '/me/preferences', { token }), 200);
    expect(after.body).toEqual({ newDeviceAlerts: true, saleSharingOptOut: true });
  });

  test('someone else’s signal records nothing on my account', async () => {
    const mine = await signedIn();
    await expectStatus(api('GET', '/me', { token: await signedIn(), headers: GPC }), 200);
    const me = await expectStatus(api('GET', '/me', { token: mine }), 200);
    expect(me.body.saleSharingOptOut).toBe(false);
  });

  test('the person may withdraw it; the browser’s next signal records it again', async () => {
    const token = await signedIn();
    await expectStatus(api('GET', '/me', { token, headers: GPC }), 200);
    const withdrawn = await expectStatus(
      api('PUT', '/me/preferences', { token, body: { newDeviceAlerts: true, saleSharingOptOut: false } }),
      200,
    );
    expect(withdrawn.body).toEqual({ newDeviceAlerts: true, saleSharingOptOut: false });
    const again = await expectStatus(api('GET', '/me', { token, headers: GPC }), 200);
    expect(again.body.saleSharingOptOut).toBe(true);
  });
});
