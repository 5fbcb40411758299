import { randomUUID } from 'node:crypto';

import { notificationRequest } from '@tracking/contracts';
import { mailLink, waitFor } from '@tracking/testing';

import { APP, notificationsFixture, type NotificationsFixture } from './support';

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('the notifications service delivers each request once, or says why not', () => {
  let fx: NotificationsFixture;

  beforeAll(async () => {
    fx = await notificationsFixture({ recipientLimit: 3 });
  });
  afterAll(async () => {
    await fx.close();
  });

  const reset = (to: string, token: string = randomUUID()) =>
    fx.request(
      notificationRequest(
        'password_reset',
        { email: to },
        { resetUrl: `${APP}/reset-password#token=${token}`, expiresAt: inAnHour() },
      ),
    );

  test('a reset request arrives with a text and an HTML part, the link in both, and the token in no log line', async () => {
    const to = fx.address();
    const token = `canary-${randomUUID()}`;
    const event = reset(to, token);
    await fx.publish(event, to);

    const mail = await fx.inbox.waitForMessage(to, /Reset your Tracking password/);
    expect(mail.from).toBe('no-reply@tracking.example');
    expect(mailLink(mail, '/reset-password').hash).toBe(`#token=${token}`);
    expect(mail.headers['message-id']).toBe(`<${event.id}@tracking.example>`);
    await waitFor(async () => (await fx.outcomes(event.id)) === 'sent', { what: 'the send to be recorded' });
    expect(JSON.stringify(fx.lines())).not.toContain(token);
    expect(JSON.stringify(fx.lines())).not.toContain(to);
    expect(fx.lines()).toContainEqual(
      expect.objectContaining({ event: 'notification.sent', eventId: event.id }),
    );
  });

  test('mail for an account goes to the address auth holds for it; an erased account is recorded and dropped', async () => {
    const userId = randomUUID();
    const to = fx.address();
    fx.accounts.set(userId, to);
    const known = fx.request(
      notificationRequest(
        'mfa_enabled',
        { userId },
        { at: new Date().toISOString(), securityUrl: `${APP}/settings/security` },
      ),
    );
    const erased = fx.request(
      notificationRequest(
        'mfa_enabled',
        { userId: randomUUID() },
        { at: new Date().toISOString(), securityUrl: `${APP}/settings/security` },
      ),
    );
    await fx.publish(known, userId);
    await fx.publish(erased, userId);

    await fx.inbox.waitForMessage(to, /Two-step sign-in is on/);
    await waitFor(async () => (await fx.outcomes(erased.id)) === 'unknown_recipient', { what: 'the drop' });
    expect(fx.deadLetters.map((letter) => letter.eventId)).not.toContain(erased.id);
  });

  test('the same event delivered twice sends one mail', async () => {
    const to = fx.address();
    const event = reset(to);
    await fx.publish(event, to);
    await fx.publish(event, to);
    // A later request on the same partition: once it is handled, both copies have been.
    const marker = reset(fx.address());
    await fx.publish(marker, to);
    await waitFor(async () => (await fx.outcomes(marker.id)) === 'sent', { what: 'the marker' });
    expect(await fx.inbox.messagesTo(to)).toHaveLength(1);
  });

  test('a server that answers 451 twice gets the message on the third try, once', async () => {
    const to = fx.address();
    const busy = { code: 451, message: '4.3.0 Try again later' };
    fx.replies.set(to, [busy, busy]);
    // prom-client hands out its live values: read the number now.
    const smtpRetries = async () =>
      (await fx.metrics.retries.get()).values.find((value) => value.labels.reason === 'smtp')?.value ?? 0;
    const before = await smtpRetries();
    await fx.publish(reset(to), to);

    await fx.inbox.waitForMessage(to);
    expect(fx.smtp.refused.filter((address) => address === to)).toHaveLength(2);
    expect((await smtpRetries()) - before).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await fx.inbox.messagesTo(to)).toHaveLength(1);
  });

  test('with the SMTP server down, three requests wait; when it is back all three arrive, none twice', async () => {
    await fx.smtp.stop();
    const to = [fx.address(), fx.address(), fx.address()];
    const events = to.map((address) => reset(address));
    for (const [index, event] of events.entries()) await fx.publish(event, to[index]);
    // Retries happen meanwhile, and nothing is recorded as done.
    await waitFor(
      () =>
        fx.lines().some((line) => line.event === 'notification.retrying' && line.eventId === events[0]?.id),
      {
        what: 'a retry',
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const event of events) expect(await fx.outcomes(event.id)).toBeUndefined();

    await fx.smtp.start();
    for (const address of to) await fx.inbox.waitForMessage(address);
    for (const event of events) {
      await waitFor(async () => (await fx.outcomes(event.id)) === 'sent', { what: 'each send recorded' });
    }
    for (const address of to) expect(await fx.inbox.messagesTo(address)).toHaveLength(1);
  });

  test('a 550 suppresses the address: recorded, audited, counted, and never tried again', async () => {
    const to = fx.address();
    fx.replies.set(to, [{ code: 550, message: '5.1.1 No such mailbox' }]);
    const first = reset(to);
    await fx.publish(first, to);
    await waitFor(async () => (await fx.outcomes(first.id)) === 'bounced', { what: 'the bounce' });

    const { rows } = await fx.pool.query<{ reason: string }>(
      'SELECT reason FROM suppression WHERE event_id = $1',
      [first.id],
    );
    expect(rows).toEqual([{ reason: '550 5.1.1' }]);
    const audit = await fx.pool.query<{ payload: { data: { action: string } } }>(
      "SELECT payload FROM outbox WHERE topic = 'audit.events.v1'",
    );
    expect(audit.rows.map((row) => row.payload.data.action)).toContain('notification.address_suppressed');
    expect((await fx.metrics.suppressed.get()).values[0]?.value).toBeGreaterThanOrEqual(1);

    const second = reset(to);
    await fx.publish(second, to);
    await waitFor(async () => (await fx.outcomes(second.id)) === 'suppressed', { what: 'the skip' });
    expect(fx.smtp.refused.filter((address) => address === to)).toHaveLength(1);
    expect(await fx.inbox.messagesTo(to)).toHaveLength(0);
  });

  test('a loop of resets for one address sends the limit and drops the rest, recorded', async () => {
    const to = fx.address();
    const events = Array.from({ length: 5 }, () => reset(to));
    for (const event of events) await fx.publish(event, to);
    await waitFor(async () => (await fx.outcomes(events[4]?.id ?? '')) !== undefined, {
      what: 'the last request',
    });

    const outcomes = await Promise.all(events.map((event) => fx.outcomes(event.id)));
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'throttled', 'throttled']);
    expect(await fx.inbox.messagesTo(to)).toHaveLength(3);
  });

  test('an unknown template, bad parameters or a link off the app are dead-lettered with the reason, never sent', async () => {
    const to = fx.address();
    const unknown = fx.request({ template: 'free_money', recipient: { email: to }, params: {} });
    const badParams = fx.request({
      template: 'password_reset',
      recipient: { email: to },
      params: { resetUrl: 'not a url' },
    });
    const offApp = fx.request({
      template: 'password_reset',
      recipient: { email: to },
      params: { resetUrl: 'https://evil.example/reset#token=x', expiresAt: inAnHour() },
    });
    for (const event of [unknown, badParams, offApp]) await fx.publish(event, to);

    const reasons = await waitFor(
      () => {
        const found = [unknown, badParams, offApp].map((event) =>
          fx.deadLetters.find((letter) => letter.eventId === event.id),
        );
        return found.every(Boolean) ? found.map((letter) => letter?.error) : undefined;
      },
      { what: 'three dead letters' },
    );
    expect(reasons[0]).toMatch(/^PoisonMessageError: invalid_request: template: /);
    expect(reasons[1]).toMatch(
      /^PoisonMessageError: invalid_request: params\.resetUrl: .*; params\.expiresAt: /,
    );
    expect(reasons[2]).toBe(
      'PoisonMessageError: link_outside_app: params.resetUrl does not point at the web app',
    );
    expect(await fx.inbox.messagesTo(to)).toHaveLength(0);
  });
});

describe('retries are bounded', () => {
  let fx: NotificationsFixture;

  beforeAll(async () => {
    fx = await notificationsFixture({ retryGiveUpMs: 1_500 });
  });
  afterAll(async () => {
    await fx.close();
  });

  test('a server that keeps answering 421 past the give-up time gets the request dead-lettered, not dropped', async () => {
    const to = fx.address();
    fx.replies.set(
      to,
      Array.from({ length: 50 }, () => ({ code: 421, message: '4.7.0 Try again later' })),
    );
    const event = fx.request(
      notificationRequest(
        'password_reset',
        { email: to },
        { resetUrl: `${APP}/reset-password#token=${randomUUID()}`, expiresAt: inAnHour() },
      ),
    );
    await fx.publish(event, to);

    const letter = await waitFor(() => fx.deadLetters.find((found) => found.eventId === event.id), {
      what: 'the dead letter',
    });
    expect(letter.error).toMatch(
      /^PoisonMessageError: retries_exhausted: smtp failed \d+ times, last: 421 4\.7\.0$/,
    );
    expect(await fx.outcomes(event.id)).toBeUndefined();
    expect(await fx.inbox.messagesTo(to)).toHaveLength(0);
  });
});
