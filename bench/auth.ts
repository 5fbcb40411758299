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
 * By default the logins and the latency series run on two platforms side by side, in rounds that
 * alternate between them (A B, B A, ...): the baseline with the development flags (plaintext gRPC
 * and HTTP) and the secured one as the chart runs it (mTLS with the caller check, the gateway's API
 * over TLS from the edge): see variants.ts. The table prints the cost of transport security (#24)
 * from the same run. The no-op request never calls a service, so it shows the TLS of the
 * edge's hop alone (and the run's noise).
 * `--secured-only` measures the secured platform alone.
 *
 * Run: `npx tsx bench/auth.ts [--logins N] [--requests N] [--rounds R] [--secured-only] [--plain-http]
 * [--timeout-seconds S]`. Prints a table and, last, one JSON line. It is a measurement, not a test.
 */
import { performance } from 'node:perf_hooks';

import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '@tracking/auth/passwords';
import { randomName } from '@tracking/testing';
import { INGRESS_HEADERS } from '@tracking/testing/platform';

import type { ApiResponse } from './client';
import { describeConnections, type ConnectionCounts } from './connections';
import {
  comparisonTable,
  interleaved,
  onProcessSignals,
  overheadPercent,
  parseFlags,
  percentile,
  runBench,
  UsageError,
  type Compared,
} from './support';
import { NOT_COMPARED, startVariant, variantLabels, type VariantName } from './variants';

const PASSWORD = 'correct horse battery staple';
const USAGE =
  'usage: npx tsx bench/auth.ts [--logins N] [--requests N] [--rounds R] [--secured-only] [--plain-http] [--timeout-seconds S]';

interface Options {
  logins: number;
  requests: number;
  rounds: number;
  securedOnly: boolean;
  plainHttp: boolean;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  const options = parseFlags(
    argv,
    { logins: 60, requests: 2000, rounds: 4, securedOnly: false, plainHttp: false, timeoutSeconds: 600 },
    {
      '--logins': { key: 'logins', max: 10_000 },
      '--requests': { key: 'requests', max: 1_000_000 },
      '--rounds': { key: 'rounds', max: 100 },
      '--timeout-seconds': { key: 'timeoutSeconds', max: 3600 },
    },
  );
  if (options !== 'help' && options.logins < options.rounds)
    throw new UsageError('--logins must be at least --rounds');
  return options;
}

/** Sequential requests, each expected to answer `expectStatus`; adds their latencies to `samples`. */
async function latencies(
  count: number,
  request: () => Promise<ApiResponse>,
  expectStatus: number,
  samples: number[] = [],
) {
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await request();
    if (response.status !== expectStatus) throw new Error(`expected ${expectStatus}, got ${response.status}`);
    samples.push(performance.now() - started);
  }
  return samples;
}

const quantiles = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

/** A platform of the variant with `logins` accounts to sign in to. */
async function startAccounts(
  name: VariantName,
  options: Options,
  cleanup: { add(name: string, fn: () => Promise<unknown>): void },
) {
  const { client, watch } = await startVariant(name, options.plainHttp, cleanup);
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    client.request(route, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...INGRESS_HEADERS, ...headers },
      body: JSON.stringify(body),
    });
  const emails: string[] = [];
  for (let i = 0; i < options.logins; i += 1) {
    const email = `${randomName('bench-')}@example.test`;
    const response = await post('/auth/register', { email, password: PASSWORD, displayName: 'Bench' });
    if (response.status !== 201) throw new Error(`register: ${response.status} ${response.body}`);
    emails.push(email);
  }
  let token = '';
  /** Signs in to `accounts` with `concurrency` in flight; returns the seconds it took. */
  const signIn = async (accounts: string[], concurrency: number) => {
    const queue = [...accounts];
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let email = queue.pop(); email; email = queue.pop()) {
          const response = await post('/auth/login', { email, password: PASSWORD });
          if (response.status !== 200) throw new Error(`login: ${response.status} ${response.body}`);
          token = (JSON.parse(response.body) as { token: string }).token;
        }
      }),
    );
    return (performance.now() - began) / 1000;
  };
  const headers = () => ({ authorization: `Bearer ${token}`, ...INGRESS_HEADERS });
  return {
    name,
    emails,
    signIn,
    validate: () => client.request('/auth/session', { headers: headers() }),
    noop: () => client.request('/bench-noop', { headers: headers() }),
    watch,
    logins: { 1: { count: 0, seconds: 0 }, 2: { count: 0, seconds: 0 } },
    baseline: [] as number[],
    validation: [] as number[],
  };
}

async function run(options: Options, cleanup: { add(name: string, fn: () => Promise<unknown>): void }) {
  // 1. argon2id alone, one core: the same in both platforms, so measured once.
  const stored = await hash(PASSWORD, ARGON2_OPTIONS);
  const argonRuns = 40;
  let started = performance.now();
  for (let i = 0; i < argonRuns; i += 1) await verify(stored, PASSWORD);
  const argonPerSecond = argonRuns / ((performance.now() - started) / 1000);

  // 2. The platforms, with accounts to sign in to.
  const names: VariantName[] = options.securedOnly ? ['secured'] : ['baseline', 'secured'];
  const variants = [];
  for (const name of names) variants.push(await startAccounts(name, options, cleanup));
  const watches = await Promise.all(variants.map((variant) => variant.watch()));

  // 3. Logins: each round signs in to its share of the accounts, at concurrency 1, then 2.
  const share = (round: number) => {
    const size = Math.ceil(options.logins / options.rounds);
    return (emails: string[]) => emails.slice(round * size, (round + 1) * size);
  };
  started = performance.now();
  await interleaved(variants, options.rounds, async (variant, round) => {
    const accounts = share(round)(variant.emails);
    for (const concurrency of [1, 2] as const) {
      variant.logins[concurrency].seconds += await variant.signIn(accounts, concurrency);
      variant.logins[concurrency].count += accounts.length;
    }
  });

  // 4. Validation through the gateway beside an unauthenticated no-op, interleaved in rounds.
  for (const variant of variants) {
    await latencies(100, variant.validate, 200); // warm-up
    await latencies(100, variant.noop, 404);
  }
  const perRound = Math.max(1, Math.round(options.requests / options.rounds));
  await interleaved(variants, options.rounds, async (variant) => {
    await latencies(perRound, variant.noop, 404, variant.baseline);
    await latencies(perRound, variant.validate, 200, variant.validation);
  });
  const seconds = (performance.now() - started) / 1000;
  const connections = new Map<VariantName, ConnectionCounts | undefined>();
  for (const [index, variant] of variants.entries())
    connections.set(variant.name, await watches[index]?.stop());

  const results = new Map(
    variants.map((variant) => [
      variant.name,
      {
        loginsPerSecond1: variant.logins[1].count / variant.logins[1].seconds,
        loginsPerSecond2: variant.logins[2].count / variant.logins[2].seconds,
        noop: quantiles(variant.baseline),
        validation: quantiles(variant.validation),
      },
    ]),
  );
  const total = perRound * options.rounds;
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  process.stdout.write(
    `
argon2id verify, in process, 1 core: ${argonPerSecond.toFixed(1)} /s (m=19456 KiB, t=2, p=1)
` +
      `logins: ${options.logins} accounts per platform at concurrency 1, then 2; latencies: ${total} sequential requests per series; ${options.rounds} alternating rounds
`,
  );
  const baseline = results.get('baseline');
  const secured = results.get('secured');
  if (baseline && secured) {
    const compared: Compared[] = [
      {
        metric: 'logins via gateway, concurrency 1',
        unit: '/s',
        rate: true,
        baseline: baseline.loginsPerSecond1,
        secured: secured.loginsPerSecond1,
      },
      {
        metric: 'logins via gateway, concurrency 2',
        unit: '/s',
        rate: true,
        baseline: baseline.loginsPerSecond2,
        secured: secured.loginsPerSecond2,
      },
      {
        metric: 'gateway no-op p50 (no gRPC call)',
        unit: 'ms',
        baseline: baseline.noop.p50,
        secured: secured.noop.p50,
      },
      {
        metric: 'gateway no-op p99 (no gRPC call)',
        unit: 'ms',
        baseline: baseline.noop.p99,
        secured: secured.noop.p99,
      },
      {
        metric: 'session validation p50',
        unit: 'ms',
        baseline: baseline.validation.p50,
        secured: secured.validation.p50,
      },
      {
        metric: 'session validation p99',
        unit: 'ms',
        baseline: baseline.validation.p99,
        secured: secured.validation.p99,
      },
      {
        metric: 'validation over no-op p50 (the gRPC call + read)',
        unit: 'ms',
        baseline: baseline.validation.p50 - baseline.noop.p50,
        secured: secured.validation.p50 - secured.noop.p50,
      },
    ];
    process.stdout.write(
      `baseline: ${variantLabels(options.plainHttp).baseline}\nsecured:  ${variantLabels(options.plainHttp).secured}\n${NOT_COMPARED}\n\n` +
        `${comparisonTable(compared)}\n\n`,
    );
  } else if (secured) {
    process.stdout.write(
      `secured only: logins ${secured.loginsPerSecond1.toFixed(1)} /s / ${secured.loginsPerSecond2.toFixed(1)} /s; ` +
        `no-op ${ms(secured.noop.p50)} / ${ms(secured.noop.p99)}; validation ${ms(secured.validation.p50)} / ${ms(secured.validation.p99)}\n\n`,
    );
  }
  for (const [name, counts] of connections) process.stdout.write(`${describeConnections(name, counts)}\n`);
  process.stdout.write('\n');

  const round = (value: number, digits = 3) => Number(value.toFixed(digits));
  const json = (result: typeof secured) =>
    result && {
      loginsPerSecond: {
        concurrency1: round(result.loginsPerSecond1, 1),
        concurrency2: round(result.loginsPerSecond2, 1),
      },
      noopMs: { p50: round(result.noop.p50), p99: round(result.noop.p99) },
      validationMs: { p50: round(result.validation.p50), p99: round(result.validation.p99) },
    };
  process.stdout.write(
    `${JSON.stringify({
      bench: 'auth',
      variants: variantLabels(options.plainHttp),
      argon2VerifyPerSecond: round(argonPerSecond, 1),
      logins: options.logins,
      requests: total,
      rounds: options.rounds,
      baseline: json(baseline),
      secured: json(secured),
      ...(baseline && secured
        ? {
            overheadPercent: {
              logins1: overheadPercent({
                rate: true,
                baseline: baseline.loginsPerSecond1,
                secured: secured.loginsPerSecond1,
              }),
              logins2: overheadPercent({
                rate: true,
                baseline: baseline.loginsPerSecond2,
                secured: secured.loginsPerSecond2,
              }),
              validationP50: overheadPercent({
                baseline: baseline.validation.p50,
                secured: secured.validation.p50,
              }),
              validationP99: overheadPercent({
                baseline: baseline.validation.p99,
                secured: secured.validation.p99,
              }),
            },
          }
        : {}),
      connections: Object.fromEntries(connections),
      measuredSeconds: round(seconds, 1),
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
