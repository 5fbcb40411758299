import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createTransport } from 'nodemailer';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { z } from 'zod';

import { freePort, startProcess, type ManagedProcess } from './processes';
import { REPO_ROOT } from './repo';

/**
 * Mail as people receive it, for tests: MailDev (the local SMTP server with a browser inbox,
 * scripts/mail.sh) read through its REST API, a MailDev of a test's own that it can stop and
 * start, and an SMTP stand-in that answers chosen recipients with a permanent failure.
 */

const mailSchema = z.object({
  id: z.string(),
  time: z.string(),
  subject: z.string().default(''),
  from: z.array(z.object({ address: z.string(), name: z.string().optional() })).default([]),
  to: z.array(z.object({ address: z.string(), name: z.string().optional() })).default([]),
  envelope: z.object({ to: z.array(z.object({ address: z.string() })) }).optional(),
  headers: z.record(z.string(), z.unknown()).default({}),
  text: z.string().optional(),
  html: z.string().optional(),
});

/** One message as MailDev received it: both parts as sent, and the headers that matter. */
export interface ReceivedMail {
  id: string;
  /** When MailDev received it. */
  time: Date;
  subject: string;
  from: string;
  /** Every envelope recipient (RCPT TO), lower-cased. */
  to: string[];
  headers: Record<string, unknown>;
  text: string;
  html: string;
}

function toReceived(raw: z.infer<typeof mailSchema>): ReceivedMail {
  const recipients = raw.envelope?.to ?? raw.to;
  return {
    id: raw.id,
    time: new Date(raw.time),
    subject: raw.subject,
    from: raw.from[0]?.address ?? '',
    to: recipients.map((recipient) => recipient.address.toLowerCase()),
    headers: raw.headers,
    text: raw.text ?? '',
    html: raw.html ?? '',
  };
}

const HTML_ENTITIES: Record<string, string> = {
  amp: '&',
  quot: '"',
  apos: "'",
  lt: '<',
  gt: '>',
  '#39': "'",
};

/**
 * Every link in a mail: each http(s) URL of the text part and each href of the HTML part, with
 * the HTML's entities decoded, in order, without repeats. What a person can click.
 */
export function mailLinks(mail: Pick<ReceivedMail, 'text' | 'html'>): string[] {
  const fromText = mail.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [];
  const fromHtml = [...mail.html.matchAll(/href\s*=\s*"([^"]*)"|href\s*=\s*'([^']*)'/gi)].map((match) =>
    (match[1] ?? match[2] ?? '').replace(
      /&(amp|quot|apos|lt|gt|#39);/g,
      (_, name: string) => HTML_ENTITIES[name] ?? '',
    ),
  );
  return [...new Set([...fromText.map((link) => link.replace(/[.,;:]+$/, '')), ...fromHtml])].filter((link) =>
    /^https?:\/\//.test(link),
  );
}

/**
 * The one link of a mail whose path starts with `pathname` (e.g. '/verify-email'), checked to be
 * in both parts: a text-only or HTML-only link is a broken mail.
 */
export function mailLink(mail: ReceivedMail, pathname: string): URL {
  const matching = (links: string[]) => [
    ...new Set(links.filter((link) => new URL(link).pathname.startsWith(pathname))),
  ];
  const inText = matching(mailLinks({ text: mail.text, html: '' }));
  const inHtml = matching(mailLinks({ text: '', html: mail.html }));
  if (inText.length !== 1 || inHtml.length !== 1 || inText[0] !== inHtml[0]) {
    throw new Error(
      `"${mail.subject}" should carry one ${pathname} link in its text and HTML parts; text has ${JSON.stringify(inText)}, HTML ${JSON.stringify(inHtml)}`,
    );
  }
  return new URL(inText[0] ?? '');
}

/** A MailDev's REST API (GET/DELETE /api/email...): what tests read delivered mail through. */
export class MailInbox {
  constructor(readonly url: string) {}

  private async request(method: string, route: string): Promise<unknown> {
    const response = await fetch(`${this.url}/api${route}`, { method });
    if (!response.ok) throw new Error(`MailDev ${method} ${route}: HTTP ${String(response.status)}`);
    return response.json();
  }

  /**
   * Every message to `address` (an envelope recipient), oldest first. MailDev matches the address
   * exactly, so this asks for it as given and lower-cased.
   */
  async messagesTo(address: string): Promise<ReceivedMail[]> {
    const found = new Map<string, ReceivedMail>();
    for (const form of new Set([address, address.toLowerCase()])) {
      const query = new URLSearchParams({ 'envelope.to.address': form });
      const raw = z.array(mailSchema).parse(await this.request('GET', `/email?${query.toString()}`));
      for (const mail of raw) found.set(mail.id, toReceived(mail));
    }
    return [...found.values()].sort((a, b) => a.time.getTime() - b.time.getTime());
  }

  /**
   * Waits until `count` messages to `address` (matching `subject`, if given) have arrived and
   * returns them, oldest first. Fails with what did arrive when the time is up.
   */
  async waitForMessages(
    address: string,
    options: { count?: number; subject?: RegExp; timeoutMs?: number } = {},
  ): Promise<ReceivedMail[]> {
    const count = options.count ?? 1;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const seen = (await this.messagesTo(address)).filter(
        (mail) => !options.subject || options.subject.test(mail.subject),
      );
      if (seen.length >= count) return seen;
      if (Date.now() > deadline) {
        const all = (await this.messagesTo(address)).map((mail) => mail.subject);
        throw new Error(
          `expected ${String(count)} mail(s) to ${address}${options.subject ? ` matching ${String(options.subject)}` : ''}, got ${String(seen.length)}; everything to that address: ${JSON.stringify(all)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The first message to `address` whose subject matches. */
  async waitForMessage(address: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail> {
    const [first] = await this.waitForMessages(address, { subject, timeoutMs });
    if (!first) throw new Error('unreachable');
    return first;
  }

  async delete(id: string): Promise<void> {
    await this.request('DELETE', `/email/${encodeURIComponent(id)}`);
  }

  /** Deletes every message to `address`, so a test can count what arrives next. */
  async deleteMessagesTo(address: string): Promise<void> {
    for (const mail of await this.messagesTo(address)) await this.delete(mail.id);
  }
}

/** The shared local SMTP server's inbox (scripts/mail.sh; MAIL_INBOX_URL in .local/infra.env). */
export function sharedMailInbox(): MailInbox {
  const url = process.env.MAIL_INBOX_URL;
  if (!url) throw new Error('MAIL_INBOX_URL is not set: start the infrastructure with `npm run infra up`');
  return new MailInbox(url);
}

/** The shared local SMTP server (scripts/mail.sh; SMTP_HOST and SMTP_PORT in .local/infra.env). */
export function sharedSmtpServer(): { host: string; port: number } {
  const host = process.env.SMTP_HOST;
  const port = Number(process.env.SMTP_PORT);
  if (!host || !port)
    throw new Error('SMTP_HOST/SMTP_PORT are not set: start the infrastructure with `npm run infra up`');
  return { host, port };
}

export interface MailServer {
  smtpHost: string;
  smtpPort: number;
  inbox: MailInbox;
  /** Stops it (SIGTERM); mail received so far is kept in its directory. */
  stop: () => Promise<void>;
  /** Starts it again on the same ports, with the mail it had. */
  start: () => Promise<void>;
  /** Stops it and removes its mail. */
  close: () => Promise<void>;
}

/**
 * A MailDev of the test's own, on free loopback ports, keeping its mail in a directory of its
 * own so a restart keeps it: for a test that takes the SMTP server away and brings it back.
 */
export async function startMailServer(): Promise<MailServer> {
  const [smtpPort, webPort] = await Promise.all([freePort(), freePort()]);
  const dir = await mkdtemp(path.join(tmpdir(), 'maildev-'));
  const url = `http://127.0.0.1:${String(webPort)}`;
  let running: ManagedProcess | undefined;
  const start = async () => {
    running = await startProcess({
      name: 'maildev',
      command: [
        process.execPath,
        path.join(REPO_ROOT, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js'),
        '--ip',
        '127.0.0.1',
        '--smtp',
        String(smtpPort),
        '--web-ip',
        '127.0.0.1',
        '--web',
        String(webPort),
        '--mail-directory',
        dir,
        '--silent',
      ],
      env: {},
      readyUrl: `${url}/api/healthz`,
      timeoutMs: 30_000,
    });
    await waitForListener(smtpPort);
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  await start();
  return {
    smtpHost: '127.0.0.1',
    smtpPort,
    inbox: new MailInbox(url),
    stop,
    start,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForListener(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createNetServer();
      socket.once('error', () => resolve(true));
      socket.listen(port, '127.0.0.1', () => socket.close(() => resolve(false)));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${String(port)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SmtpStandIn {
  host: string;
  port: number;
  /** Every recipient it refused, in order. */
  refused: string[];
  /** Every message it accepted: the envelope's recipients. */
  accepted: { to: string[] }[];
  /** Stops listening: a sender's connection is refused, as when a mail server is down. */
  stop: () => Promise<void>;
  /** Listens again on the same port. */
  start: () => Promise<void>;
}

/**
 * An SMTP server (smtp-server, by nodemailer's authors) in front of a real one: a recipient for
 * which `answer` returns a reply is refused with it at RCPT TO, as a real server refuses an
 * unknown mailbox (550 5.1.1); everything else is relayed to `relayTo` (a MailDev), where the
 * test reads it. For tests of how the sender treats a permanent (5xx) or transient (4xx)
 * refusal, and (stop, start) a server that goes away and comes back.
 */
export async function startSmtpStandIn(options: {
  relayTo: { host: string; port: number };
  answer: (recipient: string) => { code: number; message: string } | undefined;
}): Promise<SmtpStandIn> {
  const refused: string[] = [];
  const accepted: { to: string[] }[] = [];
  const relay = createTransport({
    host: options.relayTo.host,
    port: options.relayTo.port,
    secure: false,
    ignoreTLS: true,
  });
  const port = await freePort();
  let server: SMTPServer | undefined;
  const start = async () => {
    const listening = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // A stop closes open connections at once, as a server going down does.
      closeTimeout: 100,
      onRcptTo(address: SMTPServerAddress, _session, callback) {
        const reply = options.answer(address.address.toLowerCase());
        if (!reply) {
          callback();
          return;
        }
        refused.push(address.address.toLowerCase());
        callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((recipient) => recipient.address);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          relay.sendMail({ envelope: { from, to }, raw: Buffer.concat(chunks) }).then(
            () => {
              accepted.push({ to: to.map((address) => address.toLowerCase()) });
              callback();
            },
            (error: unknown) =>
              // The relay is down: a transient refusal, so the sender keeps the message.
              callback(Object.assign(new Error(`relay failed: ${String(error)}`), { responseCode: 451 })),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve());
    });
    server = listening;
  };
  const stop = async () => {
    const listening = server;
    server = undefined;
    if (listening) await new Promise<void>((resolve) => listening.close(() => resolve()));
  };
  await start();
  return { host: '127.0.0.1', port, refused, accepted, stop, start };
}
