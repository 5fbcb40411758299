/**
 * Meal-logging benchmark, in one run on this machine, through the real gateway, auth and tracking
 * processes on the real PostgreSQL and Kafka:
 *
 *   meals    POST /api/v1/me/meals from N signed-in clients at a fixed concurrency: the gateway
 *            asks auth (Authorize), signs the principal, calls tracking over gRPC, which writes the
 *            meal, its audit event and its domain event (outbox) in one RLS transaction.
 *            Requests per second and p50/p99 latency.
 *   raw pg   single-row INSERTs of a row of the same size into a plain table (no RLS, no
 *            outbox), one statement per transaction, at the same concurrency, from this process:
 *            the ceiling PostgreSQL itself gives on this machine, in the same run.
 *
 * Run: `npx tsx bench/tracking.ts [--requests N] [--concurrency C] [--clients K] [--timeout-seconds S]`.
 * Prints a table and, last, one JSON line. It is a measurement, not a test.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { createTestDatabase, randomName } from '@tracking/testing';
import { INGRESS_HEADERS, startPlatform } from '@tracking/testing/platform';
import pg from 'pg';

import { onProcessSignals, positiveInteger, runBench, UsageError } from './support';

const PASSWORD = 'correct horse battery staple';
const USAGE =
  'usage: npx tsx bench/tracking.ts [--requests N] [--concurrency C] [--clients K] [--timeout-seconds S]';
const DESCRIPTION = 'two slices of wholegrain toast with peanut butter and a banana, flat white';

interface Options {
  requests: number;
  concurrency: number;
  clients: number;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  const options: Options = { requests: 3000, concurrency: 8, clients: 8, timeoutSeconds: 600 };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') return 'help';
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i += 1;
    if (flag === '--requests') options.requests = positiveInteger(flag, value, 1_000_000);
    else if (flag === '--concurrency') options.concurrency = positiveInteger(flag, value, 256);
    else if (flag === '--clients') options.clients = positiveInteger(flag, value, 1_000);
    else if (flag === '--timeout-seconds') options.timeoutSeconds = positiveInteger(flag, value, 3600);
    else throw new UsageError(`unknown flag ${flag}`);
  }
  return options;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Runs `count` calls of `one` with `concurrency` in flight; per-call latencies and the overall rate. */
async function load(count: number, concurrency: number, one: (index: number) => Promise<void>) {
  const samples: number[] = [];
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < count; index = next++) {
        const started = performance.now();
        await one(index);
        samples.push(performance.now() - started);
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  samples.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: percentile(samples, 50), p99: percentile(samples, 99), seconds };
}

async function run(options: Options, cleanup: { add(name: string, fn: () => Promise<unknown>): void }) {
  const platform = await startPlatform({ env: { LOG_LEVEL: 'warn' } });
  cleanup.add('platform', () => platform.stop());
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${platform.api}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...INGRESS_HEADERS, ...headers },
      body: JSON.stringify(body),
    });

  const tokens: string[] = [];
  for (let i = 0; i < options.clients; i += 1) {
    const email = `${randomName('bench-')}@example.test`;
    const registered = await post('/auth/register', { email, password: PASSWORD, displayName: 'Bench' });
    if (registered.status !== 201)
      throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const login = await post('/auth/login', { email, password: PASSWORD });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
    tokens.push(((await login.json()) as { token: string }).token);
  }
  const logMeal = async (index: number) => {
    const response = await post(
      '/me/meals',
      { eatenAt: new Date().toISOString(), mealType: 'breakfast', description: DESCRIPTION },
      { authorization: `Bearer ${tokens[index % tokens.length] ?? ''}` },
    );
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`log meal: ${response.status}`);
  };
  await load(Math.min(200, options.requests), options.concurrency, logMeal); // warm-up
  const meals = await load(options.requests, options.concurrency, logMeal);

  // The same run's raw PostgreSQL ceiling: a plain table, a row of about the same size.
  const scratch = await createTestDatabase();
  cleanup.add('scratch database', () => scratch.drop());
  const pool = new pg.Pool({ connectionString: scratch.migratorUrl, max: options.concurrency });
  cleanup.add('scratch pool', () => pool.end());
  await pool.query(
    'CREATE TABLE raw_meal (id uuid PRIMARY KEY, client_id uuid NOT NULL, eaten_at timestamptz NOT NULL, description text NOT NULL)',
  );
  const client = randomUUID();
  const insert = async () => {
    await pool.query(
      'INSERT INTO raw_meal (id, client_id, eaten_at, description) VALUES ($1, $2, now(), $3)',
      [randomUUID(), client, DESCRIPTION],
    );
  };
  await load(200, options.concurrency, insert);
  const raw = await load(options.requests, options.concurrency, insert);

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const ratio = raw.perSecond / meals.perSecond;
  const rows: [string, string][] = [
    [
      `meals via gateway -> tracking -> Postgres + outbox, concurrency ${String(options.concurrency)} (${String(options.requests)})`,
      `${meals.perSecond.toFixed(1)} /s, p50 ${ms(meals.p50)}, p99 ${ms(meals.p99)}`,
    ],
    [
      `raw pg single-row INSERT, concurrency ${String(options.concurrency)} (${String(options.requests)})`,
      `${raw.perSecond.toFixed(1)} /s, p50 ${ms(raw.p50)}, p99 ${ms(raw.p99)}`,
    ],
    ['raw pg / meals via the API', `${ratio.toFixed(1)}x`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'tracking',
      concurrency: options.concurrency,
      requests: options.requests,
      mealsPerSecond: Number(meals.perSecond.toFixed(1)),
      mealsMs: { p50: Number(meals.p50.toFixed(3)), p99: Number(meals.p99.toFixed(3)) },
      rawInsertsPerSecond: Number(raw.perSecond.toFixed(1)),
      rawMs: { p50: Number(raw.p50.toFixed(3)), p99: Number(raw.p99.toFixed(3)) },
      rawOverApi: Number(ratio.toFixed(2)),
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
