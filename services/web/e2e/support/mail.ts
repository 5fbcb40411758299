import { readFile } from 'node:fs/promises';

import { expect } from '@playwright/test';

import { stack } from './stack';

interface Mail {
  to: string;
  kind: string;
  subject: string;
  text: string;
  sentAt: string;
}

/** The newest mail of `kind` to `to`, as the platform actually sent it (the local mail drop). */
export async function latestMail(to: string, kind: string): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const text = await readFile(stack.mailFile, 'utf8').catch(() => '');
        found = text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Mail)
          .filter((mail) => mail.to === to && mail.kind === kind)
          .at(-1);
        return found !== undefined;
      },
      { message: `a ${kind} mail to ${to}`, timeout: 30_000 },
    )
    .toBe(true);
  if (!found) throw new Error('unreachable');
  return found;
}

/** The link in a mail, made relative so the test follows it on the stack under test. */
export function linkIn(mail: Mail): string {
  const match = /https?:\/\/\S+/.exec(mail.text);
  if (!match) throw new Error(`no link in the ${mail.kind} mail`);
  const url = new URL(match[0]);
  return `${url.pathname}${url.search}${url.hash}`;
}
