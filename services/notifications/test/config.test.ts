import { readConfig } from '../src/config';

const minimal = {
  DATABASE_URL:
    'postgres://notifications_app:pw@127.0.0.1:5432/notifications?sslmode=verify-full&sslrootcert=/ca.crt',
  KAFKA_BROKERS: '127.0.0.1:9092',
  AUTH_GRPC_ADDR: '127.0.0.1:15051',
  AUTH_CONTACT_TOKEN_FILE: '/var/run/secrets/tracking/notifications/contact-token',
  SMTP_HOST: 'smtp.example.net',
  MAIL_FROM: 'Tracking <no-reply@tracking.example>',
  PUBLIC_BASE_URL: 'https://tracking.example',
};

describe('notifications configuration', () => {
  test('the documented defaults: STARTTLS on 587, ten mails an hour per address, about an hour of retries', () => {
    expect(readConfig(minimal)).toMatchObject({
      OPS_PORT: 9113,
      SMTP_PORT: 587,
      SMTP_SECURE: 'starttls',
      SMTP_ALLOW_PLAINTEXT: false,
      RECIPIENT_LIMIT: 10,
      RECIPIENT_WINDOW_MS: 3_600_000,
      SMTP_RETRY_GIVE_UP_MS: 3_600_000,
    });
  });

  test('plaintext SMTP needs the explicit development flag, and production refuses it even then', () => {
    expect(() => readConfig({ ...minimal, SMTP_SECURE: 'none' })).toThrow(
      /SMTP_SECURE: .*SMTP_ALLOW_PLAINTEXT=true/,
    );
    expect(readConfig({ ...minimal, SMTP_SECURE: 'none', SMTP_ALLOW_PLAINTEXT: 'true' }).SMTP_SECURE).toBe(
      'none',
    );
    expect(() =>
      readConfig({ ...minimal, SMTP_SECURE: 'none', SMTP_ALLOW_PLAINTEXT: 'true', NODE_ENV: 'production' }),
    ).toThrow(/production sends mail over TLS or STARTTLS only/);
  });

  test('SMTP credentials and DKIM come complete or not at all', () => {
    expect(() => readConfig({ ...minimal, SMTP_USER_FILE: '/run/secrets/smtp/user' })).toThrow(
      /set both SMTP_USER_FILE and SMTP_PASSWORD_FILE/,
    );
    expect(() => readConfig({ ...minimal, DKIM_DOMAIN: 'tracking.example' })).toThrow(
      /DKIM_PRIVATE_KEY_FILE/,
    );
  });

  test('a From with a line break (header injection) is refused', () => {
    expect(() => readConfig({ ...minimal, MAIL_FROM: 'a@b.example\r\nBcc: x@evil.example' })).toThrow(
      /MAIL_FROM/,
    );
  });
});
