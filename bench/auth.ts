/**
 * Auth benchmark, in one run on this machine, through the real gateway and auth processes on
 * the real PostgreSQL and Kafka:
 *
 *   argon2id   in-process hash verifications per second at the service's parameters, on one
 *              core: the ceiling for logins.
 *   logins     POST /api/v1/auth/login with correct passwords for N different accounts, at a
 *              concurrency of 1 and 2 (this machine has 2 cores): logins per second end to end.
 *   validate   GET /api/v1/auth/session with a bearer token (gateway -> Authorize over gRPC ->
 *              session read, nothing cached), p50/p99, beside the baseline of a request the
 *              gateway answers without auth (an unmatched route, same middleware) in the same run.
 *
 * Run: `npx tsx bench/auth.ts [--logins N] [--requests N] [--timeout-seconds S]`. Prints a table
 * and, last, one JSON line. It is a measurement, not a test.
 */
import { performance } from 'node:perf_hooks';

import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '@tracking/auth/passwords';
import { randomName } from '@tracking/testing';
import { INGRESS_HEADERS, startPlatform } from '@tracking/testing/platform';

import { positiveInteger, runBench, UsageError, onProcessSignals } from './support';

const PASSWORD = 'correct horse battery staple';
const USAGE = 'usage: npx tsx bench/auth.ts [--logins N] [--requests N] [--timeout-seconds S]';

interface Options {
  logins: number;
  requests: number;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  const options: Options = { logins: 60, requests: 2000, timeoutSeconds: 300 };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') return 'help';
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i += 1;
    if (flag === '--logins') options.logins = positiveInteger(flag, value, 10_000);
    else if (flag === '--requests') options.requests = positiveInteger(flag, value, 1_000_000);
    else if (flag === '--timeout-seconds') options.timeoutSeconds = positiveInteger(flag, value, 3600);
    else throw new UsageError(`unknown flag ${flag}`);
  }
  return options;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function latencies(count: number, request: () => Promise<Response>, expectStatus: number) {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await request();
    await response.arrayBuffer();
    if (response.status !== expectStatus) throw new Error(`expected ${expectStatus}, got ${response.status}`);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function run(options: Options, cleanup: { add(name: string, fn: () => Promise<unknown>): void }) {
  // 1. argon2id alone, one core.
  const stored = await hash(PASSWORD, ARGON2_OPTIONS);
  const argonRuns = 40;
  let started = performance.now();
  for (let i = 0; i < argonRuns; i += 1) await verify(stored, PASSWORD);
  const argonPerSecond = argonRuns / ((performance.now() - started) / 1000);

  // 2. The platform, with accounts to sign in to.
  const platform = await startPlatform({ env: { LOG_LEVEL: 'warn' } });
  cleanup.add('platform', () => platform.stop());
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${platform.api}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...INGRESS_HEADERS, ...headers },
      body: JSON.stringify(body),
    });
  const emails: string[] = [];
  for (let i = 0; i < options.logins; i += 1) {
    const email = `${randomName('bench-')}@example.test`;
    const response = await post('/auth/register', { email, password: PASSWORD, displayName: 'Bench' });
    if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
    emails.push(email);
  }

  const loginRate = async (concurrency: number) => {
    const queue = [...emails];
    let token = '';
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let email = queue.pop(); email; email = queue.pop()) {
          const response = await post('/auth/login', { email, password: PASSWORD });
          if (response.status !== 200) throw new Error(`login: ${response.status} ${await response.text()}`);
          token = ((await response.json()) as { token: string }).token;
        }
      }),
    );
    return { perSecond: emails.length / ((performance.now() - began) / 1000), token };
  };
  const serial = await loginRate(1);
  const parallel = await loginRate(2);

  // 3. Validation through the gateway beside an unauthenticated no-op, interleaved in rounds.
  const bearer = { authorization: `Bearer ${parallel.token}`, ...INGRESS_HEADERS };
  const validate = () => fetch(`${platform.api}/auth/session`, { headers: bearer });
  const noop = () => fetch(`${platform.api}/bench-noop`, { headers: bearer });
  await latencies(100, validate, 200); // warm-up
  await latencies(100, noop, 404);
  started = performance.now();
  const baseline = await latencies(options.requests, noop, 404);
  const validation = await latencies(options.requests, validate, 200);
  const seconds = (performance.now() - started) / 1000;

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const rows: [string, string][] = [
    ['argon2id verify, in process, 1 core', `${argonPerSecond.toFixed(1)} /s (m=19456 KiB, t=2, p=1)`],
    [`logins via gateway, concurrency 1 (${options.logins})`, `${serial.perSecond.toFixed(1)} /s`],
    [`logins via gateway, concurrency 2 (${options.logins})`, `${parallel.perSecond.toFixed(1)} /s`],
    [`baseline: gateway no-op, p50 / p99 (${options.requests})`, `${ms(baseline.p50)} / ${ms(baseline.p99)}`],
    [
      `session validation via gateway, p50 / p99 (${options.requests})`,
      `${ms(validation.p50)} / ${ms(validation.p99)}`,
    ],
    ['validation cost over baseline, p50', ms(validation.p50 - baseline.p50)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'auth',
      argon2VerifyPerSecond: Number(argonPerSecond.toFixed(1)),
      loginsPerSecond: {
        concurrency1: Number(serial.perSecond.toFixed(1)),
        concurrency2: Number(parallel.perSecond.toFixed(1)),
      },
      validationMs: { p50: Number(validation.p50.toFixed(3)), p99: Number(validation.p99.toFixed(3)) },
      baselineMs: { p50: Number(baseline.p50.toFixed(3)), p99: Number(baseline.p99.toFixed(3)) },
      latencyPhaseSeconds: Number(seconds.toFixed(1)),
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
