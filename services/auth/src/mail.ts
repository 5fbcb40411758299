import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { Logger } from '@tracking/kit';

/** What the auth service mails. Bodies may hold single-use links; they are never logged. */
export interface Mail {
  to: string;
  kind: 'verify_email' | 'change_email' | 'reset_password' | 'mfa_code_replayed' | 'recovery_code_used';
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/**
 * Local delivery: one JSON line per message appended to a file only its owner can read. The
 * demo stack and the tests read it; a deployment with real mail plugs an SMTP Mailer in here.
 */
export class FileMailer implements Mailer {
  constructor(private readonly file: string) {}

  async send(mail: Mail): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const line = JSON.stringify({ ...mail, sentAt: new Date().toISOString() });
    await appendFile(this.file, `${line}\n`, { mode: 0o600 });
  }
}

/**
 * Sends after the fact: the state change (and its event) is already committed, so a failed
 * send is logged, not fatal; the user can ask for another link.
 */
export async function sendBestEffort(deps: { mailer: Mailer; log: Logger }, mail: Mail): Promise<void> {
  try {
    await deps.mailer.send(mail);
  } catch (error) {
    deps.log.error({ err: error, event: 'auth.mail.failed', kind: mail.kind }, 'could not send mail');
  }
}
