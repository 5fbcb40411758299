import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the stack under test is: its public URL, its mail inbox, its admin, billing's Stripe side. */
export interface StackDescription {
  baseUrl: string;
  /** The MailDev every mail of the stack arrives in (its REST API: e2e/support/mail.ts). */
  mailInboxUrl: string;
  /**
   * The admin the journeys' own stack was bootstrapped with (e2e/support/admin.ts); absent for
   * `npm run up`'s, whose demo admin enrols a second factor no test knows.
   */
  admin?: { email: string; password: string; totpSecret: string; lastStep: number };
  billing: {
    stripeApiUrl: string;
    databaseUrl: string;
    webhookUrl: string;
    webhookSecret: string;
    stripeKey: string;
    proPrice: string;
  };
}

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');

/** KEY=value lines of one of `npm run up`'s env files (.local/env/<service>.env). */
function envFile(dir: string, service: string): Record<string, string> {
  const text = readFileSync(path.join(dir, 'env', `${service}.env`), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1] ?? '', match[2] ?? '']),
  );
}

/** One setting of `npm run up`'s infrastructure (.local/infra.env), if it is there. */
function infraSetting(dir: string, key: string): string | undefined {
  const file = path.join(dir, 'infra.env');
  if (!existsSync(file)) return undefined;
  return new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1];
}

/** `npm run up`'s stack, from its settings under .local/ (or STACK_DIR). */
function localStack(baseUrl: string): StackDescription {
  const dir = process.env.STACK_DIR ?? path.join(ROOT, '.local');
  const billing = () => envFile(dir, 'billing');
  return {
    baseUrl,
    mailInboxUrl: infraSetting(dir, 'MAIL_INBOX_URL') ?? 'http://127.0.0.1:19080',
    get billing() {
      const env = billing();
      return {
        stripeApiUrl: env.STRIPE_API_URL ?? '',
        databaseUrl: env.DATABASE_URL ?? '',
        // As Stripe sends them: through the edge (billing's own port answers the edge alone).
        webhookUrl: `${baseUrl}/webhooks/stripe`,
        webhookSecret: readFileSync(env.STRIPE_WEBHOOK_SECRET_FILE ?? '', 'utf8').trim(),
        stripeKey: readFileSync(env.STRIPE_SECRET_KEY_FILE ?? '', 'utf8').trim(),
        proPrice: env.STRIPE_PRICE_PRO ?? '',
      };
    },
  };
}

/**
 * The stack the journeys drive: the one e2e/global-setup.ts started (STACK_JSON), or an existing
 * one at WEB_BASE_URL (e.g. `WEB_BASE_URL=https://localhost:8443` for `npm run up`'s).
 */
export const stack: StackDescription & { screenshots: string } = Object.assign(
  process.env.STACK_JSON
    ? (JSON.parse(process.env.STACK_JSON) as StackDescription)
    : localStack(process.env.WEB_BASE_URL ?? 'https://localhost:8443'),
  // Assigned onto the description, not spread: a spread would read `npm run up`'s billing
  // settings at import, and Playwright imports the specs to list them before the global setup
  // has started the journeys' own stack (a fresh clone has no .local/env/billing.env).
  { screenshots: path.join(ROOT, 'services', 'web', 'test-results', 'screenshots') },
);
