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
 * By default it runs the meal load on two platforms side by side, the baseline with the
 * development flags (plaintext gRPC and HTTP) and the secured one as the chart runs it (mTLS with
 * the caller check, the gateway's API over TLS from the edge): see variants.ts. It prints the cost
 * of transport security (#24) from the same run. PostgreSQL's own TLS cost is the raw pg pair:
 * TCP with verify-full TLS beside the unix socket (no TLS, and no TCP either, so it is an upper
 * bound). The rounds alternate between the two (A B, B A, ...) so that the shared machine's other
 * load falls on both alike.
 * `--secured-only` measures the secured platform alone.
 *
 * Run: `npx tsx bench/tracking.ts [--requests N] [--concurrency C] [--clients K] [--rounds R]
 * [--secured-only] [--plain-http] [--timeout-seconds S]`. Prints a table and, last, one JSON
 * line. It is a measurement, not a test.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { createTestDatabase, randomName } from '@tracking/testing';
import { INGRESS_HEADERS } from '@tracking/testing/platform';
import pg from 'pg';

import { describeConnections, type ConnectionCounts } from './connections';
import {
  comparisonTable,
  interleaved,
  onProcessSignals,
  overheadPercent,
  parseFlags,
  percentile,
  runBench,
  socketUrl,
  type Compared,
} from './support';
import { NOT_COMPARED, startVariant, variantLabels, type VariantName } from './variants';

const PASSWORD = 'correct horse battery staple';
const USAGE =
  'usage: npx tsx bench/tracking.ts [--requests N] [--concurrency C] [--clients K] [--rounds R] [--secured-only] [--plain-http] [--timeout-seconds S]';
const DESCRIPTION = 'two slices of wholegrain toast with peanut butter and a banana, flat white';

interface Options {
  requests: number;
  concurrency: number;
  clients: number;
  rounds: number;
  securedOnly: boolean;
  plainHttp: boolean;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  return parseFlags(
    argv,
    {
      requests: 3000,
      concurrency: 8,
      clients: 8,
      rounds: 4,
      securedOnly: false,
      plainHttp: false,
      timeoutSeconds: 900,
    },
    {
      '--requests': { key: 'requests', max: 1_000_000 },
      '--concurrency': { key: 'concurrency', max: 256 },
      '--clients': { key: 'clients', max: 1_000 },
      '--rounds': { key: 'rounds', max: 100 },
      '--timeout-seconds': { key: 'timeoutSeconds', max: 3600 },
    },
  );
}

/** Latencies and busy time of one series, gathered over its rounds. */
class Series {
  readonly samples: number[] = [];
  seconds = 0;

  summary() {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      perSecond: this.samples.length / this.seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  }
}

/** Runs `count` calls of `one` with `concurrency` in flight, adding to `series`. */
async function load(
  count: number,
  concurrency: number,
  one: (index: number) => Promise<void>,
  series = new Series(),
) {
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < count; index = next++) {
        const started = performance.now();
        await one(index);
        series.samples.push(performance.now() - started);
      }
    }),
  );
  series.seconds += (performance.now() - began) / 1000;
  return series;
}

/** A platform of the variant with signed-in clients, ready to log meals. */
async function startMeals(
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
  const tokens: string[] = [];
  for (let i = 0; i < options.clients; i += 1) {
    const email = `${randomName('bench-')}@example.test`;
    const registered = await post('/auth/register', { email, password: PASSWORD, displayName: 'Bench' });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${registered.body}`);
    const login = await post('/auth/login', { email, password: PASSWORD });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.body}`);
    tokens.push((JSON.parse(login.body) as { token: string }).token);
  }
  const logMeal = async (index: number) => {
    const response = await post(
      '/me/meals',
      { eatenAt: new Date().toISOString(), mealType: 'breakfast', description: DESCRIPTION },
      { authorization: `Bearer ${tokens[index % tokens.length] ?? ''}` },
    );
    if (response.status !== 201) throw new Error(`log meal (${name}): ${response.status}`);
  };
  return { name, logMeal, watch, meals: new Series() };
}

async function run(options: Options, cleanup: { add(name: string, fn: () => Promise<unknown>): void }) {
  const names: VariantName[] = options.securedOnly ? ['secured'] : ['baseline', 'secured'];
  const variants = [];
  for (const name of names) variants.push(await startMeals(name, options, cleanup));
  for (const variant of variants)
    await load(Math.min(200, options.requests), options.concurrency, variant.logMeal); // warm-up

  const perRound = Math.max(1, Math.round(options.requests / options.rounds));
  const watches = await Promise.all(variants.map((variant) => variant.watch()));
  await interleaved(variants, options.rounds, (variant) =>
    load(perRound, options.concurrency, variant.logMeal, variant.meals).then(() => undefined),
  );
  const connections = new Map<VariantName, ConnectionCounts | undefined>();
  for (const [index, variant] of variants.entries())
    connections.set(variant.name, await watches[index]?.stop());

  // The same run's raw PostgreSQL ceiling: a plain table, a row of about the same size.
  const scratch = await createTestDatabase();
  cleanup.add('scratch database', () => scratch.drop());
  const tls = new pg.Pool({ connectionString: scratch.migratorUrl, max: options.concurrency });
  cleanup.add('scratch pool', () => tls.end());
  await tls.query(
    'CREATE TABLE raw_meal (id uuid PRIMARY KEY, client_id uuid NOT NULL, eaten_at timestamptz NOT NULL, description text NOT NULL)',
  );
  const socket = new pg.Pool({ connectionString: socketUrl(scratch.migratorUrl), max: options.concurrency });
  // Dropping the scratch database at cleanup ends an idle connection from the server's side; as in
  // the kit's createPool, the pool has discarded it already, and unheard the event would end the run.
  for (const pool of [tls, socket]) pool.on('error', () => undefined);
  cleanup.add('scratch socket pool', () => socket.end());
  const socketError = await socket.query('SELECT 1').then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  const client = randomUUID();
  const insert = (pool: pg.Pool) => async () => {
    await pool.query(
      'INSERT INTO raw_meal (id, client_id, eaten_at, description) VALUES ($1, $2, now(), $3)',
      [randomUUID(), client, DESCRIPTION],
    );
  };
  const raws = [
    { name: 'tls' as const, insert: insert(tls), series: new Series() },
    ...(socketError ? [] : [{ name: 'socket' as const, insert: insert(socket), series: new Series() }]),
  ];
  for (const raw of raws) await load(200, options.concurrency, raw.insert);
  await interleaved(raws, options.rounds, (raw) =>
    load(perRound, options.concurrency, raw.insert, raw.series).then(() => undefined),
  );
  const rawTls = raws[0]?.series.summary();
  const rawSocket = raws[1]?.series.summary();

  const summaries = new Map(variants.map((variant) => [variant.name, variant.meals.summary()]));
  const baseline = summaries.get('baseline');
  const secured = summaries.get('secured');
  const total = perRound * options.rounds;
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  process.stdout.write(
    `\nmeals: POST /api/v1/me/meals, concurrency ${options.concurrency}, ${total} requests per platform in ${options.rounds} alternating rounds\n`,
  );
  if (secured && baseline) {
    const compared: Compared[] = [
      {
        metric: 'meals via gateway -> tracking',
        unit: '/s',
        rate: true,
        baseline: baseline.perSecond,
        secured: secured.perSecond,
      },
      { metric: 'meal latency p50', unit: 'ms', baseline: baseline.p50, secured: secured.p50 },
      { metric: 'meal latency p99', unit: 'ms', baseline: baseline.p99, secured: secured.p99 },
    ];
    process.stdout.write(
      `baseline: ${variantLabels(options.plainHttp).baseline}\nsecured:  ${variantLabels(options.plainHttp).secured}\n${NOT_COMPARED}\n\n` +
        `${comparisonTable(compared)}\n\n`,
    );
  } else if (secured) {
    process.stdout.write(
      `secured only: ${secured.perSecond.toFixed(1)} /s, p50 ${ms(secured.p50)}, p99 ${ms(secured.p99)}\n\n`,
    );
  }
  if (rawTls && rawSocket) {
    const compared: Compared[] = [
      {
        metric: 'raw pg single-row INSERT',
        unit: '/s',
        rate: true,
        baseline: rawSocket.perSecond,
        secured: rawTls.perSecond,
      },
      { metric: 'raw pg INSERT p50', unit: 'ms', baseline: rawSocket.p50, secured: rawTls.p50 },
    ];
    process.stdout.write(
      `raw pg: baseline unix socket (no TLS, no TCP); secured TCP + TLS verify-full; same database, concurrency ${options.concurrency}\n\n` +
        `${comparisonTable(compared)}\n\n`,
    );
  } else if (rawTls) {
    process.stdout.write(
      `raw pg single-row INSERT over TLS: ${rawTls.perSecond.toFixed(1)} /s, p50 ${ms(rawTls.p50)} ` +
        `(no unix-socket baseline: ${socketError ?? 'not measured'})\n\n`,
    );
  }
  if (rawTls && secured) {
    process.stdout.write(
      `raw pg over TLS / secured meals: ${(rawTls.perSecond / secured.perSecond).toFixed(1)}x\n`,
    );
  }
  for (const [name, counts] of connections) process.stdout.write(`${describeConnections(name, counts)}\n`);
  process.stdout.write('\n');

  const round = (value: number, digits = 3) => Number(value.toFixed(digits));
  const result = (summary: { perSecond: number; p50: number; p99: number } | undefined) =>
    summary && {
      perSecond: round(summary.perSecond, 1),
      p50Ms: round(summary.p50),
      p99Ms: round(summary.p99),
    };
  process.stdout.write(
    `${JSON.stringify({
      bench: 'tracking',
      variants: variantLabels(options.plainHttp),
      concurrency: options.concurrency,
      requests: total,
      rounds: options.rounds,
      meals: {
        baseline: result(baseline),
        secured: result(secured),
        ...(baseline && secured
          ? {
              overheadPercent: {
                perSecond: overheadPercent({
                  rate: true,
                  baseline: baseline.perSecond,
                  secured: secured.perSecond,
                }),
                p50: overheadPercent({ baseline: baseline.p50, secured: secured.p50 }),
                p99: overheadPercent({ baseline: baseline.p99, secured: secured.p99 }),
              },
            }
          : {}),
      },
      rawInsert: { tls: result(rawTls), socket: result(rawSocket) },
      connections: Object.fromEntries(connections),
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
