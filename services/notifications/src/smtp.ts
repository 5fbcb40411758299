import { readFileSync } from 'node:fs';

import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';

import type { Config } from './config';

/** One message, ready for the wire. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The request's event id: the Message-ID is made from it, so a duplicate send is recognisable. */
  eventId: string;
}

export interface MailSender {
  /** Resolves once the server accepted the message; rejects with nodemailer's error otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

const readSecret = (file: string) => readFileSync(file, 'utf8').trim();

/**
 * The SMTP sender. `tls` speaks TLS from the first byte; `starttls` insists on STARTTLS
 * (requireTLS), so a server or a man in the middle that drops it gets no mail rather than a
 * plaintext one; `none` is the development setting config.ts allows only with its flag.
 * Certificates are always verified; TLS below 1.2 is refused.
 */
export function smtpSender(config: Config): MailSender {
  const transport: Transporter = createTransport({
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE === 'tls',
    requireTLS: config.SMTP_SECURE === 'starttls',
    ignoreTLS: config.SMTP_SECURE === 'none',
    tls: {
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ...(config.SMTP_TLS_CA_FILE ? { ca: readFileSync(config.SMTP_TLS_CA_FILE, 'utf8') } : {}),
    },
    ...(config.SMTP_USER_FILE && config.SMTP_PASSWORD_FILE
      ? { auth: { user: readSecret(config.SMTP_USER_FILE), pass: readSecret(config.SMTP_PASSWORD_FILE) } }
      : {}),
    ...(config.DKIM_DOMAIN && config.DKIM_SELECTOR && config.DKIM_PRIVATE_KEY_FILE
      ? {
          dkim: {
            domainName: config.DKIM_DOMAIN,
            keySelector: config.DKIM_SELECTOR,
            privateKey: readFileSync(config.DKIM_PRIVATE_KEY_FILE, 'utf8'),
          },
        }
      : {}),
    connectionTimeout: config.SMTP_TIMEOUT_MS,
    greetingTimeout: config.SMTP_TIMEOUT_MS,
    socketTimeout: config.SMTP_TIMEOUT_MS,
    // nodemailer's own logging would write addresses and message text: off.
    logger: false,
    debug: false,
  });
  const fromDomain = /@([^>\s]+)>?\s*$/.exec(config.MAIL_FROM)?.[1] ?? 'localhost';
  return {
    async send(mail) {
      await transport.sendMail({
        from: config.MAIL_FROM,
        ...(config.MAIL_REPLY_TO ? { replyTo: config.MAIL_REPLY_TO } : {}),
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${mail.eventId}@${fromDomain}>`,
        // RFC 3834: no out-of-office or auto-reply loops back to us.
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    },
    close() {
      transport.close();
    },
  };
}

/** What to do after a failed send. */
export type SmtpVerdict =
  /** The server refused the recipient for good (5xx at RCPT TO): suppress the address. */
  | { kind: 'suppress'; reason: string }
  /** The server refused this message for good (5xx elsewhere, e.g. at DATA): dead-letter it. */
  | { kind: 'reject'; reason: string }
  /** Anything else (4xx, refused connection, timeout, TLS, authentication): try again later. */
  | { kind: 'retry'; reason: string };

interface NodemailerError {
  code?: unknown;
  command?: unknown;
  responseCode?: unknown;
  response?: unknown;
}

/**
 * Sorts a failure by the server's reply code and the command it answered. The reason keeps the
 * reply code and enhanced status only ("550 5.1.1"): the reply's text often quotes the address.
 */
export function classifySmtpError(error: unknown): SmtpVerdict {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const enhanced =
    typeof failure.response === 'string'
      ? /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(failure.response)?.[1]
      : undefined;
  const reason = code
    ? [String(code), enhanced].filter(Boolean).join(' ')
    : typeof failure.code === 'string'
      ? failure.code
      : 'error';
  if (code !== undefined && code >= 500 && code < 600) {
    if (failure.command === 'RCPT TO') return { kind: 'suppress', reason };
    if (failure.command === 'DATA') return { kind: 'reject', reason };
  }
  return { kind: 'retry', reason };
}
