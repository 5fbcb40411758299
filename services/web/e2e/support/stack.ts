import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the stack under test is. By default the one `npm run up` runs: the edge on
 * https://localhost:8443 and its settings under .local/. `WEB_BASE_URL` and `STACK_DIR` point
 * the journeys at another (CI's, or one a test harness started).
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');
const dir = process.env.STACK_DIR ?? path.join(ROOT, '.local');

/** KEY=value lines of one of the stack's env files (.local/env/<service>.env). */
function envFile(service: string): Record<string, string> {
  const text = readFileSync(path.join(dir, 'env', `${service}.env`), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1] ?? '', match[2] ?? '']),
  );
}

export const stack = {
  root: ROOT,
  dir,
  baseUrl: process.env.WEB_BASE_URL ?? 'https://localhost:8443',
  /** The mail the platform sends, one JSON object a line (docs/auth.md). */
  mailFile: path.join(dir, 'mail', 'auth.jsonl'),
  screenshots: path.join(ROOT, 'services', 'web', 'test-results', 'screenshots'),
  billing: () => {
    const env = envFile('billing');
    return {
      stripeApiUrl: env.STRIPE_API_URL ?? '',
      databaseUrl: env.DATABASE_URL ?? '',
      webhookUrl: `http://127.0.0.1:${env.WEBHOOK_PORT ?? '8089'}/webhooks/stripe`,
      webhookSecret: readFileSync(env.STRIPE_WEBHOOK_SECRET_FILE ?? '', 'utf8').trim(),
      stripeKey: readFileSync(env.STRIPE_SECRET_KEY_FILE ?? '', 'utf8').trim(),
      proPrice: env.STRIPE_PRICE_PRO ?? '',
    };
  },
};
