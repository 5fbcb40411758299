// Mail that reaches people (#21), end to end: the real gateway, auth, tracking, billing and
// notifications on real Kafka, sending over SMTP to a real server (the shared MailDev, behind an
// SMTP stand-in the test can stop and that refuses `bounce-` addresses with 550), read from its
// inbox the way the person reads it. Every link followed here is one taken from a received mail.
import { mailLink, randomName, waitFor, type ReceivedMail } from '@tracking/testing';
import { startPlatform, type Platform } from '@tracking/testing/platform';

import { accounts, PASSWORD } from './accounts';

/** Mails to one address per window in this file: low enough for the throttling test to reach. */
const RECIPIENT_LIMIT = 3;

describe('mail through the notifications service and a real SMTP server', () => {
  let platform: Platform | undefined;
  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };

  beforeAll(async () => {
    platform = await startPlatform({
      billing: true,
      mail: {
        refuse: (recipient) =>
          recipient.startsWith('bounce-') ? { code: 550, message: '5.1.1 no such mailbox here' } : undefined,
      },
      notificationsEnv: { RECIPIENT_LIMIT: String(RECIPIENT_LIMIT) },
    });
  });

  afterAll(async () => {
    const codes = (await platform?.stop()) ?? [];
    expect(codes).toEqual(codes.map(() => 0));
  });

  const { api, expectStatus, register, login, enrolTotp, nextCode, trainer, verifyEmail, firstAdmin } =
    accounts(setup);
  const inbox = () => setup().mail;
  const newAddress = (prefix = 'person-') => `${randomName(prefix)}@example.test`;

  /** The token in a mailed link's fragment (`#token=…`), as the web page reads it. */
  const tokenOf = (mail: ReceivedMail, pathname: string) =>
    new URLSearchParams(mailLink(mail, pathname).hash.slice(1)).get('token') ?? '';

  /** A notifications metric's value from its /metrics, summed over the series matching `labels`. */
  async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${setup().opsUrls.notifications}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  /** Waits long enough that a late or duplicated mail would have arrived too. */
  async function settle(ms = 3_000) {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  test('sign up: the verification mail arrives as text and HTML, and its link verifies the address', async () => {
    const { email } = await register();
    const mail = await inbox().waitForMessage(email, /^Confirm your email address/);
    expect(mail.from).toBe('no-reply@tracking.test');
    expect(mail.text).not.toBe('');
    expect(mail.html).toContain('<html');
    const link = mailLink(mail, '/verify-email');
    expect(link.origin).toBe(setup().publicBaseUrl);
    await expectStatus(
      api('POST', '/auth/verify-email', { body: { token: tokenOf(mail, '/verify-email') } }),
      200,
    );
    const token = await login(email);
    expect((await expectStatus(api('GET', '/me', { token }), 200)).body).toMatchObject({
      emailVerified: true,
    });
  });

  test('a password reset works from the mailed link, and the new password is the one that signs in', async () => {
    const { email } = await register();
    await expectStatus(api('POST', '/auth/password-reset', { body: { email } }), 202);
    const mail = await inbox().waitForMessage(email, /^Reset your .* password/);
    const newPassword = 'a different kettle entirely';
    await expectStatus(
      api('POST', '/auth/password-reset/confirm', {
        body: { token: tokenOf(mail, '/reset-password'), newPassword },
      }),
      204,
    );
    await expectStatus(api('POST', '/auth/login', { body: { email, password: PASSWORD } }), 401);
    await login(email, newPassword);
  });

  test('an email change notifies the old address with a way to report it, and confirms at the new one', async () => {
    const { email } = await register();
    await verifyEmail(email);
    const token = await login(email);
    const newEmail = newAddress('moved-');
    await expectStatus(
      api('POST', '/me/email', { token, body: { currentPassword: PASSWORD, newEmail } }),
      202,
    );
    const notice = await inbox().waitForMessage(email, /email address is being changed/);
    expect(mailLink(notice, '/report-email-change').origin).toBe(setup().publicBaseUrl);
    // The notice does not give the new address away in full.
    expect(`${notice.text}${notice.html}`).not.toContain(newEmail);
    const confirm = await inbox().waitForMessage(newEmail, /^Confirm your new email address/);
    await expectStatus(
      api('POST', '/auth/verify-email', { body: { token: tokenOf(confirm, '/verify-email') } }),
      200,
    );
    await login(newEmail);
    await inbox().waitForMessage(email, /email address was changed/);
  });

  test('a trainer invitation reaches the invitee, and the trainer hears when it is accepted', async () => {
    const coach = await trainer();
    const invitee = newAddress('invitee-');
    const invitation = await expectStatus(
      api('POST', '/trainer/invitations', { token: coach.token, body: { email: invitee } }),
      201,
    );
    const mail = await inbox().waitForMessage(invitee, /invited you to/);
    const accept = mailLink(mail, '/trainers');
    expect(accept.searchParams.get('invitation')).toBe(String(invitation.body.linkId));
    // A new person signs up with that address, verifies it, and accepts.
    await expectStatus(
      api('POST', '/auth/register', { body: { email: invitee, password: PASSWORD, displayName: 'Invitee' } }),
      201,
    );
    await verifyEmail(invitee);
    const token = await login(invitee);
    await expectStatus(
      api('POST', `/me/trainer-links/${String(accept.searchParams.get('invitation'))}/accept`, { token }),
      200,
    );
    await inbox().waitForMessage(coach.email, /Invitee accepted your invitation/);
  });

  test('a replayed TOTP code produces the warning mail, with a link to the security settings', async () => {
    const { email } = await register();
    const { secret } = await enrolTotp(await login(email));
    const code = await nextCode(secret);
    const first = await api('POST', '/auth/mfa/verify', { token: await login(email), body: { code } });
    expect(first.status).toBe(200);
    const replay = await api('POST', '/auth/mfa/verify', { token: await login(email), body: { code } });
    expect(replay.status).toBe(401);
    const warning = await inbox().waitForMessage(email, /reused one of your sign-in codes/);
    expect(mailLink(warning, '/account/security').origin).toBe(setup().publicBaseUrl);
  });

  test('with the SMTP server down, three mails wait; when it is back all three arrive, none twice', async () => {
    const people = await Promise.all([register(), register(), register()]);
    for (const { email } of people) await inbox().waitForMessage(email, /^Confirm your email address/);
    await setup().smtp.stop();
    try {
      for (const { email } of people) {
        await expectStatus(api('POST', '/auth/password-reset', { body: { email } }), 202);
      }
      // Nothing can arrive while the server is down, and the service keeps retrying.
      await waitFor(async () => (await metric('notifications_retries_total', { reason: 'smtp' })) > 0, {
        what: 'a retried send',
      });
      for (const { email } of people) {
        expect(await inbox().messagesTo(email)).toHaveLength(1);
      }
    } finally {
      await setup().smtp.start();
    }
    for (const { email } of people) await inbox().waitForMessage(email, /^Reset your .* password/);
    await settle();
    for (const { email } of people) {
      const resets = (await inbox().messagesTo(email)).filter((mail) => /^Reset your/.test(mail.subject));
      expect({ email, resets: resets.length }).toEqual({ email, resets: 1 });
    }
  });

  test('a permanent refusal suppresses the address and records it; the next mail to it is not tried', async () => {
    const email = newAddress('bounce-');
    await expectStatus(
      api('POST', '/auth/register', { body: { email, password: PASSWORD, displayName: 'Bounce' } }),
      201,
    );
    await waitFor(async () => (await metric('notifications_suppressed_total')) >= 1, {
      what: 'the address on the suppression list',
    });
    expect(
      await metric('notifications_sent_total', { template: 'email_verification', outcome: 'bounced' }),
    ).toBe(1);
    // An operator sees it in the audit log.
    const admin = await firstAdmin();
    const entries = await waitFor(
      async () => {
        const page = await api('GET', '/admin/audit/entries?action=notification.address_suppressed', {
          token: admin.token,
        });
        const found = (page.body.entries ?? []) as { action: string; subjectType: string }[];
        return found.length > 0 ? found : undefined;
      },
      { what: 'the suppression in the audit log' },
    );
    expect(entries).toEqual([expect.objectContaining({ action: 'notification.address_suppressed' })]);
    // The next mail to that address is skipped without asking the server again.
    await expectStatus(api('POST', '/auth/password-reset', { body: { email } }), 202);
    await waitFor(
      async () =>
        (await metric('notifications_sent_total', { template: 'password_reset', outcome: 'suppressed' })) >=
        1,
      { what: 'the reset skipped as suppressed' },
    );
    expect(await inbox().messagesTo(email)).toEqual([]);
  });

  test('a loop of reset requests for one address never floods its inbox', async () => {
    const { email } = await register();
    await inbox().waitForMessage(email, /^Confirm your email address/);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await expectStatus(api('POST', '/auth/password-reset', { body: { email } }), 202);
    }
    await waitFor(async () => (await inbox().messagesTo(email)).length >= RECIPIENT_LIMIT, {
      what: `${String(RECIPIENT_LIMIT)} mails`,
    });
    // The notifications service's per-recipient limit dropped what auth let through past it.
    await waitFor(async () => (await metric('notifications_sent_total', { outcome: 'throttled' })) >= 1, {
      what: 'a throttled request',
    });
    await settle(5_000);
    const received = await inbox().messagesTo(email);
    expect(received.length).toBeLessThanOrEqual(RECIPIENT_LIMIT);
    expect(received.filter((mail) => /^Reset your/.test(mail.subject)).length).toBeGreaterThanOrEqual(1);
  });
});
