import {
  baseConfig,
  databaseConfig,
  grpcAddress,
  grpcClientConfig,
  grpcTlsConfig,
  kafkaConfig,
  loadConfig,
  port,
} from '@tracking/kit';
import { z } from 'zod';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const booleanText = z.enum(['true', 'false']).transform((value) => value === 'true');

const milliseconds = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/** `Name <address>` or a bare address, as nodemailer takes it; no line breaks (header injection). */
const mailbox = z
  .string()
  .min(3)
  .max(320)
  .regex(/^[^\r\n]*@[^\r\n]*$/, { message: 'must be an address or "Name <address>"' });

export const configSchema = baseConfig
  .extend(kafkaConfig.shape)
  .extend(grpcClientConfig.shape)
  .extend({
    BIND_HOST: z.string().default('127.0.0.1'),
    /** Health, readiness and /metrics; the service serves no API of its own. */
    OPS_PORT: port(9113),
    CONSUMER_GROUP: z.string().default('notifications'),
    /** The auth service, which answers GetContact: a user id's address and name (docs/notifications.md). */
    AUTH_GRPC_ADDR: grpcAddress,
    /** A mounted Secret: this service's credential for GetContact; auth holds the same in CONTACT_LOOKUP_TOKEN_FILE. */
    AUTH_CONTACT_TOKEN_FILE: z.string().min(1),

    SMTP_HOST: z.string().min(1),
    SMTP_PORT: port(587),
    /**
     * `tls`: TLS from the first byte (port 465). `starttls`: plaintext greeting, then STARTTLS is
     * required, never optional. `none`: plaintext, only with SMTP_ALLOW_PLAINTEXT=true (a local
     * MailDev); production refuses it.
     */
    SMTP_SECURE: z.enum(['tls', 'starttls', 'none']).default('starttls'),
    SMTP_ALLOW_PLAINTEXT: booleanText.default(false),
    /** A PEM bundle to trust for the SMTP server's certificate beside the system's (a private relay). */
    SMTP_TLS_CA_FILE: optionalText,
    /** A mounted Secret: the SMTP user name and password, one file each. Both or neither. */
    SMTP_USER_FILE: optionalText,
    SMTP_PASSWORD_FILE: optionalText,
    /** Connection, greeting and socket timeout of one SMTP attempt. */
    SMTP_TIMEOUT_MS: milliseconds(30_000, 100),

    /** DKIM signing: all three or none. The key is a mounted Secret (PEM). */
    DKIM_DOMAIN: optionalText,
    DKIM_SELECTOR: optionalText,
    DKIM_PRIVATE_KEY_FILE: optionalText,

    /** The From of every mail, e.g. `Tracking <no-reply@tracking.example>`. */
    MAIL_FROM: mailbox,
    MAIL_REPLY_TO: optionalText.pipe(mailbox.optional()),
    /** The web app's origin: every link in a mail must start with it, and the footer links to it. */
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }),

    /** Mails to one address within the window; more are dropped and counted, so no one can flood an inbox. */
    RECIPIENT_LIMIT: z.coerce.number().int().min(1).max(1000).default(10),
    RECIPIENT_WINDOW_MS: milliseconds(3_600_000, 1_000),

    /**
     * Transient SMTP failures (4xx, refused, timeouts) are retried with exponential backoff from
     * the first delay up to the longest, for at most the give-up time, then dead-lettered. The
     * defaults ride out about an hour of SMTP outage; tests shorten them.
     */
    SMTP_RETRY_FIRST_DELAY_MS: milliseconds(5_000),
    SMTP_RETRY_MAX_DELAY_MS: milliseconds(300_000),
    SMTP_RETRY_GIVE_UP_MS: milliseconds(3_600_000),
  })
  // DATABASE_URL, over verified TLS only (DATABASE_TLS_CA_FILE): runtime role (<db>_app): processed
  // events, the suppression list, the send log, the outbox.
  .and(databaseConfig)
  .and(grpcTlsConfig)
  .superRefine((config, context) => {
    const issue = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (config.SMTP_SECURE === 'none' && !config.SMTP_ALLOW_PLAINTEXT) {
      issue('SMTP_SECURE', 'none (plaintext SMTP) needs SMTP_ALLOW_PLAINTEXT=true, a development setting');
    }
    if (config.SMTP_SECURE === 'none' && config.NODE_ENV === 'production') {
      issue('SMTP_SECURE', 'production sends mail over TLS or STARTTLS only');
    }
    if (Boolean(config.SMTP_USER_FILE) !== Boolean(config.SMTP_PASSWORD_FILE)) {
      issue('SMTP_PASSWORD_FILE', 'set both SMTP_USER_FILE and SMTP_PASSWORD_FILE, or neither');
    }
    const dkim = [config.DKIM_DOMAIN, config.DKIM_SELECTOR, config.DKIM_PRIVATE_KEY_FILE];
    if (!dkim.every(Boolean) && !dkim.every((value) => !value)) {
      issue(
        'DKIM_PRIVATE_KEY_FILE',
        'set all of DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE, or none',
      );
    }
    if (config.SMTP_RETRY_MAX_DELAY_MS < config.SMTP_RETRY_FIRST_DELAY_MS) {
      issue('SMTP_RETRY_MAX_DELAY_MS', 'must be at least SMTP_RETRY_FIRST_DELAY_MS');
    }
  });

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
