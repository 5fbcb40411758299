import { sharedSmtpServer, startSmtpStandIn, type SmtpStandIn } from '@tracking/testing';

import { readConfig } from '../src/config';
import { classifySmtpError, smtpSender } from '../src/smtp';

describe('an SMTP failure suppresses the address only when the server refuses the recipient, and its reason never quotes the reply', () => {
  test.each([
    [
      {
        code: 'EENVELOPE',
        command: 'RCPT TO',
        responseCode: 550,
        response: '550 5.1.1 <bob@example.net>: no such user',
      },
      { kind: 'suppress', reason: '550 5.1.1' },
    ],
    [
      { code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.7.1 Message refused' },
      { kind: 'reject', reason: '554 5.7.1' },
    ],
    [
      { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451, response: '451 4.3.0 Try later' },
      { kind: 'retry', reason: '451 4.3.0' },
    ],
    [
      { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 sender not allowed' },
      { kind: 'retry', reason: '553' },
    ],
    [
      { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 bad credentials' },
      { kind: 'retry', reason: '535 5.7.8' },
    ],
    [{ code: 'ECONNECTION' }, { kind: 'retry', reason: 'ECONNECTION' }],
    [new Error('socket hang up'), { kind: 'retry', reason: 'error' }],
  ])('%j → %j', (error, verdict) => {
    expect(classifySmtpError(error)).toEqual(verdict);
  });
});

describe('STARTTLS is required, not hoped for', () => {
  let plain: SmtpStandIn;
  beforeAll(async () => {
    // A server that offers no STARTTLS, as one that was downgraded in transit would look.
    plain = await startSmtpStandIn({ relayTo: sharedSmtpServer(), answer: () => undefined });
  });
  afterAll(async () => {
    await plain.stop();
  });

  test('with SMTP_SECURE=starttls, a server without STARTTLS gets no mail, and the failure is retried', async () => {
    const sender = smtpSender(
      readConfig({
        DATABASE_URL: 'postgres://unused?sslmode=verify-full&sslrootcert=/ca.crt',
        KAFKA_BROKERS: '127.0.0.1:1',
        AUTH_GRPC_ADDR: '127.0.0.1:1',
        AUTH_CONTACT_TOKEN_FILE: '/nonexistent',
        SMTP_HOST: plain.host,
        SMTP_PORT: String(plain.port),
        SMTP_SECURE: 'starttls',
        MAIL_FROM: 'no-reply@tracking.example',
        PUBLIC_BASE_URL: 'https://tracking.example',
      }),
    );
    const failure = await sender
      .send({ to: 'someone@example.net', subject: 's', text: 't', html: '<p>t</p>', eventId: 'e' })
      .catch((error: unknown) => error);
    sender.close();
    expect(failure).toBeInstanceOf(Error);
    expect(classifySmtpError(failure).kind).toBe('retry');
    expect(plain.accepted).toHaveLength(0);
  });
});
