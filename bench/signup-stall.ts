/**
 * The sign-up stall of issue #20, measured: an unrelated user's session check
 * (GET /api/v1/auth/session, gateway -> auth over gRPC) while sign-ups with 256-character
 * passwords (`p4$$w0rd` repeated, which the strength check rejects) keep N requests in flight,
 * beside the same check on an idle platform. Real gateway and auth processes on the real
 * PostgreSQL and Kafka. The goal: loaded within 2x idle (the issue saw 3.5 s against 11 ms).
 *
 * Run: `npx tsx bench/signup-stall.ts [--in-flight N] [--requests N] [--timeout-seconds S]`.
 * Prints both latencies side by side and, last, one JSON line. A measurement, not a test.
 */
import { performance } from 'node:perf_hooks';

import { randomName } from '@tracking/testing';
import { INGRESS_HEADERS, startPlatform } from '@tracking/testing/platform';

import { onProcessSignals, positiveInteger, runBench, UsageError } from './support';

const USAGE = 'usage: npx tsx bench/signup-stall.ts [--in-flight N] [--requests N] [--timeout-seconds S]';
const LONG_PASSWORD = 'p4$$w0rd'.repeat(32);

interface Options {
  inFlight: number;
  requests: number;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  const options: Options = { inFlight: 12, requests: 200, timeoutSeconds: 300 };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') return 'help';
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i += 1;
    if (flag === '--in-flight') options.inFlight = positiveInteger(flag, value, 200);
    else if (flag === '--requests') options.requests = positiveInteger(flag, value, 100_000);
    else if (flag === '--timeout-seconds') options.timeoutSeconds = positiveInteger(flag, value, 3600);
    else throw new UsageError(`unknown flag ${flag}`);
  }
  return options;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function run(options: Options, cleanup: { add(name: string, fn: () => Promise<unknown>): void }) {
  const platform = await startPlatform({ env: { LOG_LEVEL: 'warn' } });
  cleanup.add('platform', () => platform.stop());
  const request = (
    route: string,
    {
      method = 'GET',
      body,
      headers = {},
    }: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${platform.api}${route}`, {
      method,
      body,
      headers: { 'content-type': 'application/json', ...INGRESS_HEADERS, ...headers },
    });

  const email = `${randomName('bench-')}@example.test`;
  const password = 'correct horse battery staple';
  const registered = await request('/auth/register', {
    method: 'POST',
    body: JSON.stringify({ email, password, displayName: 'Bystander' }),
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const signedIn = await request('/auth/login', {
    method: 'POST',
    body: JSON.stringify({ email, password }),
  });
  if (signedIn.status !== 200) throw new Error(`login: ${signedIn.status} ${await signedIn.text()}`);
  const { token } = (await signedIn.json()) as { token: string };

  const sessionLatencies = async (count: number) => {
    const samples: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const started = performance.now();
      const response = await request('/auth/session', { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`session: ${response.status}`);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1) ?? NaN };
  };

  await sessionLatencies(50); // warm-up
  const idle = await sessionLatencies(options.requests);

  // The attack: every sign-up from its own address (addresses are cheap; IPv6 /64s too), each
  // answered 400 by the strength check; a new one starts as soon as one returns.
  let stop = false;
  let signUps = 0;
  const statuses = new Map<number, number>();
  const attacker = async (lane: number) => {
    for (let round = 0; !stop; round += 1) {
      const response = await request('/auth/register', {
        method: 'POST',
        headers: { 'x-forwarded-for': `2001:db8:1:${(lane * 4096 + round).toString(16)}::1` },
        body: JSON.stringify({
          email: `${randomName('stall-')}@example.test`,
          password: LONG_PASSWORD,
          displayName: 'Stall',
        }),
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      signUps += 1;
    }
  };
  const attackers = Array.from({ length: options.inFlight }, (_, lane) => attacker(lane));
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the burst build up
  const began = performance.now();
  const loaded = await sessionLatencies(options.requests);
  const seconds = (performance.now() - began) / 1000;
  stop = true;
  await Promise.all(attackers);

  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const ratio = loaded.p50 / idle.p50;
  const rows: [string, string, string][] = [
    ['session check', 'idle', `${options.inFlight} long-password sign-ups in flight`],
    ['p50', ms(idle.p50), ms(loaded.p50)],
    ['p99', ms(idle.p99), ms(loaded.p99)],
    ['max', ms(idle.max), ms(loaded.max)],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
  process.stdout.write(
    `\n${table.join('\n')}\n\np50 loaded / idle: ${ratio.toFixed(2)}x (goal: within 2x)\n` +
      `sign-ups answered meanwhile: ${signUps} (${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}) in ${seconds.toFixed(1)} s\n\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'signup-stall',
      inFlight: options.inFlight,
      idleMs: { p50: Number(idle.p50.toFixed(2)), p99: Number(idle.p99.toFixed(2)) },
      loadedMs: { p50: Number(loaded.p50.toFixed(2)), p99: Number(loaded.p99.toFixed(2)) },
      p50Ratio: Number(ratio.toFixed(2)),
      signUps,
      statuses: Object.fromEntries(statuses),
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
