/**
 * Does the answer's timing tell whether an address has an account (#20)? Measures, through the
 * real gateway and auth on the real PostgreSQL and Kafka:
 * - POST /api/v1/auth/password-reset for an address with an account and for one without;
 * - POST /api/v1/me/email (signed in, current password) to a free address and to a taken one.
 * The two cases of each are interleaved request by request, so load from anything else on the
 * machine falls on both alike. Auth answers both after one sealed insert; the lookup, the link
 * and the mail happen afterwards in its recovery worker (services/auth/src/recovery.ts).
 *
 * Run: `npx tsx bench/recovery-timing.ts [--requests N] [--timeout-seconds S]`. Prints p50/p95
 * per case and, last, one JSON line. A measurement, not a test: nothing is asserted.
 */
import { performance } from 'node:perf_hooks';

import { randomName } from '@tracking/testing';
import { INGRESS_HEADERS, startPlatform } from '@tracking/testing/platform';

import { onProcessSignals, positiveInteger, runBench, UsageError } from './support';

const USAGE = 'usage: npx tsx bench/recovery-timing.ts [--requests N] [--timeout-seconds S]';

interface Options {
  requests: number;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  const options: Options = { requests: 200, timeoutSeconds: 600 };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') return 'help';
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i += 1;
    if (flag === '--requests') options.requests = positiveInteger(flag, value, 10_000);
    else if (flag === '--timeout-seconds') options.timeoutSeconds = positiveInteger(flag, value, 3600);
    else throw new UsageError(`unknown flag ${flag}`);
  }
  return options;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
};

async function run(options: Options, cleanup: { add(name: string, fn: () => Promise<unknown>): void }) {
  const platform = await startPlatform({ env: { LOG_LEVEL: 'warn' } });
  cleanup.add('platform', () => platform.stop());
  let lane = 0;
  /** Requests spread over the test GeoIP's NZ and AU ranges, so per-address budgets stay out of it. */
  const request = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    lane += 1;
    const started = performance.now();
    const response = await fetch(`${platform.api}${route}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        ...INGRESS_HEADERS,
        'x-forwarded-for': `${lane % 2 === 0 ? '203.0.113' : '198.51.100'}.${((lane >> 1) % 254) + 1}`,
        ...headers,
      },
    });
    await response.arrayBuffer();
    const elapsed = performance.now() - started;
    if (response.status >= 300) throw new Error(`${route}: ${response.status}`);
    return { response, elapsed };
  };

  const password = 'correct horse battery staple';
  const register = async (displayName: string) => {
    const email = `${randomName('bench-')}@example.test`;
    await request('/auth/register', { email, password, displayName });
    return email;
  };
  const known = await register('Known');
  const taken = await register('Taken');
  const mover = await register('Mover');
  const login = await fetch(`${platform.api}/auth/login`, {
    method: 'POST',
    body: JSON.stringify({ email: mover, password }),
    headers: { 'content-type': 'application/json', ...INGRESS_HEADERS },
  });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  const { token } = (await login.json()) as { token: string };

  const cases = {
    resetKnown: [] as number[],
    resetUnknown: [] as number[],
    changeFree: [] as number[],
    changeTaken: [] as number[],
  };
  const reset = (email: string) => request('/auth/password-reset', { email });
  const change = (newEmail: string) =>
    request('/me/email', { newEmail, currentPassword: password }, { authorization: `Bearer ${token}` });
  // Warm-up: connections, JIT, argon2's first run.
  for (let i = 0; i < 10; i += 1) {
    await reset(known);
    await change(`${randomName('warm-')}@example.test`);
  }
  for (let i = 0; i < options.requests; i += 1) {
    // Alternate which case goes first, so neither always follows the other.
    const first = i % 2 === 0;
    const unknown = `${randomName('nobody-')}@example.test`;
    if (first) cases.resetKnown.push((await reset(known)).elapsed);
    cases.resetUnknown.push((await reset(unknown)).elapsed);
    if (!first) cases.resetKnown.push((await reset(known)).elapsed);
    const free = `${randomName('free-')}@example.test`;
    if (first) cases.changeFree.push((await change(free)).elapsed);
    cases.changeTaken.push((await change(taken)).elapsed);
    if (!first) cases.changeFree.push((await change(free)).elapsed);
  }

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const results = Object.fromEntries(
    Object.entries(cases).map(([name, samples]) => [name, summary(samples)]),
  );
  const row = (label: string, a: string, b: string) => [label, a, b];
  const rows = [
    row('', 'p50', 'p95'),
    ...Object.entries(results).map(([name, { p50, p95 }]) => row(name, ms(p50), ms(p95))),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((cells) => cells[column]?.length ?? 0)));
  const table = rows.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const r = results as Record<keyof typeof cases, { p50: number; p95: number }>;
  process.stdout.write(
    `\n${table.join('\n')}\n\n` +
      `reset p50 known/unknown: ${ratio(r.resetKnown.p50, r.resetUnknown.p50)}x; ` +
      `email change p50 free/taken: ${ratio(r.changeFree.p50, r.changeTaken.p50)}x ` +
      `(${options.requests} of each, interleaved)\n\n`,
  );
  const round = (value: number) => Number(value.toFixed(2));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'recovery-timing',
      requests: options.requests,
      ms: Object.fromEntries(
        Object.entries(results).map(([name, { p50, p95 }]) => [name, { p50: round(p50), p95: round(p95) }]),
      ),
    })}\n`,
  );
}

void runBench({
  argv: process.argv.slice(2),
  usage: USAGE,
  parse,
  run: (options, cleanup) => run(options, cleanup),
  onInterrupt: onProcessSignals,
}).then((code) => process.exit(code));
