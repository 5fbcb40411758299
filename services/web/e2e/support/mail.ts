import { expect } from '@playwright/test';

import { stack } from './stack';

/** One message as the SMTP server's inbox (MailDev's REST API) holds it. */
interface Mail {
  id: string;
  subject: string;
  text: string;
  html: string;
  time: string;
}

/** The subject each kind of mail the journeys wait for starts with (the notifications templates). */
const SUBJECTS: Record<string, RegExp> = {
  verify_email: /^Confirm your email address/,
  reset_password: /^Reset your .* password/,
  trainer_invitation: /invited you to/,
};

/**
 * The newest mail of `kind` to `to`, as the platform actually sent it: through the notifications
 * service and SMTP into the stack's MailDev, read through its REST API.
 */
export async function latestMail(to: string, kind: string): Promise<Mail> {
  const subject = SUBJECTS[kind];
  if (!subject) throw new Error(`no subject known for ${kind} mail`);
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const query = new URLSearchParams({ 'envelope.to.address': to.toLowerCase() });
        const response = await fetch(`${stack.mailInboxUrl}/api/email?${query.toString()}`);
        const mails = response.ok ? ((await response.json()) as Mail[]) : [];
        found = mails
          .filter((mail) => subject.test(mail.subject))
          .sort((a, b) => Date.parse(a.time) - Date.parse(b.time))
          .at(-1);
        return found !== undefined;
      },
      { message: `a ${kind} mail to ${to}`, timeout: 60_000 },
    )
    .toBe(true);
  if (!found) throw new Error('unreachable');
  return found;
}

/**
 * The mail's action link (the one carrying a token or an invitation, else the first), made
 * relative so the test follows it on the stack under test.
 */
export function linkIn(mail: Mail): string {
  const links = (mail.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? []).map((link) => new URL(link));
  const url = links.find((link) => /token=|invitation=/.test(`${link.search}${link.hash}`)) ?? links[0];
  if (!url) throw new Error(`no link in the mail "${mail.subject}"`);
  return `${url.pathname}${url.search}${url.hash}`;
}
