// The mail fixtures against a real MailDev: what a test reads is what a person's inbox shows, a
// stopped server refuses connections and keeps its mail, and the stand-in refuses the recipients
// it is told to and relays the rest.
import { createTransport } from 'nodemailer';

import { mailLink, mailLinks, startMailServer, startSmtpStandIn, type MailServer } from '../src/mail';

let server: MailServer;
beforeAll(async () => {
  server = await startMailServer();
}, 60_000);
afterAll(() => server.close());

const send = (port: number, to: string, subject = 'Confirm your address') =>
  createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
    from: 'Tracking <no-reply@tracking.test>',
    to,
    subject,
    text: 'Confirm it: https://app.tracking.test/verify-email#token=abc_DEF-123.\nThanks.',
    html: '<p><a href="https://app.tracking.test/verify-email#token=abc_DEF-123">Confirm</a> <a href="https://app.tracking.test/help?a=1&amp;b=2">Help</a></p>',
  });

describe('reading mail from MailDev', () => {
  test('a message sent over SMTP is read back by recipient with both parts, and its link is the one in both', async () => {
    await send(server.smtpPort, 'reader@example.test');
    const mail = await server.inbox.waitForMessage('reader@example.test', /Confirm/);
    expect(mail).toMatchObject({
      subject: 'Confirm your address',
      from: 'no-reply@tracking.test',
      to: ['reader@example.test'],
    });
    expect(mailLinks(mail)).toEqual([
      'https://app.tracking.test/verify-email#token=abc_DEF-123',
      'https://app.tracking.test/help?a=1&b=2',
    ]);
    expect(mailLink(mail, '/verify-email').hash).toBe('#token=abc_DEF-123');
    expect(() => mailLink(mail, '/help')).toThrow(/one \/help link in its text and HTML parts/);
    await server.inbox.deleteMessagesTo('reader@example.test');
    expect(await server.inbox.messagesTo('reader@example.test')).toEqual([]);
  });

  test('waiting for mail that never comes fails, naming what did arrive', async () => {
    await send(server.smtpPort, 'waiter@example.test', 'Something else');
    await expect(
      server.inbox.waitForMessages('waiter@example.test', { subject: /Reset/, timeoutMs: 500 }),
    ).rejects.toThrow(
      /expected 1 mail\(s\) to waiter@example.test matching \/Reset\/, got 0.*Something else/,
    );
  });

  test('a stopped server refuses connections, and keeps its mail when it comes back', async () => {
    await send(server.smtpPort, 'restart@example.test', 'Before');
    await server.stop();
    await expect(send(server.smtpPort, 'restart@example.test', 'During')).rejects.toThrow(/ECONNREFUSED/);
    await server.start();
    await send(server.smtpPort, 'restart@example.test', 'After');
    const mails = await server.inbox.waitForMessages('restart@example.test', { count: 2 });
    expect(mails.map((mail) => mail.subject)).toEqual(['Before', 'After']);
  }, 60_000);
});

describe('the SMTP stand-in', () => {
  test('refuses the chosen recipient with its permanent failure and relays the rest to the inbox', async () => {
    const standIn = await startSmtpStandIn({
      relayTo: { host: server.smtpHost, port: server.smtpPort },
      answer: (recipient) =>
        recipient.startsWith('gone') ? { code: 550, message: '5.1.1 mailbox unavailable' } : undefined,
    });
    try {
      await expect(send(standIn.port, 'gone@example.test')).rejects.toMatchObject({ responseCode: 550 });
      await send(standIn.port, 'here@example.test', 'Relayed');
      expect((await server.inbox.waitForMessage('here@example.test')).subject).toBe('Relayed');
      expect(standIn.refused).toEqual(['gone@example.test']);
      expect(standIn.accepted).toEqual([{ to: ['here@example.test'] }]);
      await standIn.stop();
      await expect(send(standIn.port, 'here@example.test')).rejects.toThrow(/ECONNREFUSED/);
      await standIn.start();
      await server.stop();
      await expect(send(standIn.port, 'here@example.test')).rejects.toMatchObject({ responseCode: 451 });
    } finally {
      await standIn.stop();
      await server.start();
    }
  }, 60_000);
});
