/**
 * Outbox throughput benchmark: the same broker, the same number of events, measured two ways.
 *
 *   raw     a plain kafkajs producer (acks -1, sendBatch of 500, one batch in flight) and a plain
 *           kafkajs consumer (eachMessage, counting only): the transport's ceiling here.
 *   outbox  `enqueue` in transactions of 100 events (timed on its own, committed before the
 *           clock starts), then `OutboxRelay` (batch 500) publishing and `startConsumer` (the
 *           real idempotent consumer on a pgTransactionRunner, one INSERT per event) consuming.
 *
 * Run: `npx tsx bench/outbox-throughput.ts [--events N] [--timeout-seconds S]` (or `npm run bench`).
 * Needs the local PostgreSQL and Kafka (`bash scripts/infra.sh up`). Prints a table and, last,
 * one JSON line. It is a measurement, not a test: nothing is asserted. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  OutboxRelay,
  createKafka,
  createLogger,
  createMetrics,
  createPool,
  createProducer,
  enqueue,
  ensureTopics,
  newEvent,
  pgTransactionRunner,
  startConsumer,
  type EventEnvelope,
  type KafkaSecurity,
  type OutgoingEvent,
  type SqlExecutor,
  type TransactionRunner,
} from '@tracking/kit';
import { createTestDatabase, infraEnv, randomName } from '@tracking/testing';
import { Kafka, Partitioners, logLevel, type Consumer, type Message, type Producer } from 'kafkajs';
import pg from 'pg';

import {
  checkReachable,
  Cleanup,
  othersCpuShare,
  positiveInteger,
  runBench,
  UsageError,
  onProcessSignals,
  comparisonTable,
  overheadPercent,
  socketUrl,
  type Compared,
} from './support';

const PRODUCE_BATCH = 500;
const RELAY_BATCH = 500;
const WRITE_TX_EVENTS = 100;
const PARTITIONS = 3;
const MAX_EVENTS = 200_000;
const RAW_TOPIC = 'bench.raw.v1';
const OUTBOX_TOPIC = 'bench.outbox.v1';
/**
 * The PostgreSQL comparison's runs (#24): over the unix socket, then over TLS again, each with a
 * topic and a consumer group of its own.
 */
const COMPARISON_RUNS = [
  { postgres: 'socket', suffix: '-socket' },
  { postgres: 'tls', suffix: '-tls2' },
] as const;
type PostgresTransport = 'tls' | 'socket';
const DLQ_TOPIC = 'bench.outbox-dlq.v1';
/** A phase that makes no progress for this long is reported as stalled (before the overall timeout). */
const STALL_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = `usage: npx tsx bench/outbox-throughput.ts [--events N] [--secured-only] [--timeout-seconds S]
  --events N            events per pipeline (default 20000, at most ${MAX_EVENTS})
  --secured-only        skip the PostgreSQL comparison (the outbox pipeline over the unix socket
                        and over TLS again)
  --timeout-seconds S   give up after S seconds, cleaning up (default 600)`;

interface Options {
  events: number;
  securedOnly: boolean;
  timeoutSeconds: number;
}

function parseArgs(argv: string[]): Options | 'help' {
  const options: Options = { events: 20_000, securedOnly: false, timeoutSeconds: 600 };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--secured-only') {
      options.securedOnly = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals > 0 ? arg.slice(0, equals) : arg;
    if (flag !== '--events' && flag !== '--timeout-seconds')
      throw new UsageError(`unknown argument "${arg}"`);
    const value = equals > 0 && arg.startsWith('--') ? arg.slice(equals + 1) : argv[++index];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--events') options.events = positiveInteger(flag, value, MAX_EVENTS);
    else options.timeoutSeconds = positiveInteger(flag, value, 3_600);
  }
  return options;
}

/** The commit the kit was measured at, and whether packages/kit had uncommitted changes. */
function kitRevision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: path.join(__dirname, '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const dirty = git('status', '--porcelain', '--', 'packages/kit') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' (+ uncommitted changes in packages/kit)' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const rate = (count: number, ms: number) => (ms > 0 ? Math.round((count * 1000) / ms) : 0);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/**
 * Polls `read` until it reaches `target`; returns the time it was seen there. Fails when the
 * run is aborted (timeout, Ctrl-C) or when the count has not moved for STALL_MS.
 */
async function waitForCount(
  what: string,
  read: () => number | Promise<number>,
  target: number,
  signal: AbortSignal,
  intervalMs = 5,
): Promise<number> {
  let last = -1;
  let lastMove = now();
  for (;;) {
    const value = await read();
    if (value >= target) return now();
    if (signal.aborted) throw new Error(`aborted while waiting for ${what} (${value}/${target})`);
    if (value !== last) {
      last = value;
      lastMove = now();
    } else if (now() - lastMove > STALL_MS) {
      throw new Error(`${what} stalled at ${value}/${target} for ${STALL_MS / 1000} s`);
    }
    await sleep(intervalMs);
  }
}

async function counterTotal(counter: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  const metric = await counter.get();
  return metric.values.reduce((sum, entry) => sum + entry.value, 0);
}

/** Per-statement latency, by a short label ("INSERT processed_event", "COMMIT", ...). */
class SqlTimer {
  readonly byLabel = new Map<string, { count: number; ms: number; maxMs: number }>();

  /** Times every promise-style query of every client the pool opens from now on. */
  attach(pool: pg.Pool): void {
    pool.on('connect', (client) => {
      const original = client.query.bind(client) as (...args: unknown[]) => unknown;
      const timed = (...args: unknown[]): unknown => {
        const first = args[0];
        const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
        if (typeof text !== 'string' || typeof args[args.length - 1] === 'function') return original(...args);
        const label = SqlTimer.label(text);
        const started = now();
        return (original(...args) as Promise<unknown>).finally(() => {
          this.record(label, now() - started);
        });
      };
      (client as unknown as { query: unknown }).query = timed;
    });
  }

  private record(label: string, ms: number): void {
    const entry = this.byLabel.get(label) ?? { count: 0, ms: 0, maxMs: 0 };
    entry.count++;
    entry.ms += ms;
    entry.maxMs = Math.max(entry.maxMs, ms);
    this.byLabel.set(label, entry);
  }

  static label(sql: string): string {
    const text = sql.trim();
    const verb = (/^\w+/.exec(text)?.[0] ?? '?').toUpperCase();
    const table = /\b(?:from|into|update)\s+(\w+)/i.exec(text)?.[1] ?? /^select\s+(\w+)\(/i.exec(text)?.[1];
    const extra = /count\(\*\)/i.test(text) ? ' count(*)' : /for update/i.test(text) ? ' (claim)' : '';
    return table ? `${verb} ${table}${extra}` : verb;
  }

  summary(): Record<string, { count: number; totalMs: number; avgMs: number; maxMs: number }> {
    return Object.fromEntries(
      [...this.byLabel]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([label, { count, ms, maxMs }]) => [
          label,
          { count, totalMs: Math.round(ms), avgMs: round(ms / count, 3), maxMs: round(maxMs) },
        ]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Payload: the same envelope shape (and so size) for both pipelines

const ACTOR_ROLES = ['coach', 'client'];

function benchEnvelope(seq: number): EventEnvelope {
  return newEvent({
    type: 'bench.measurement.recorded',
    actor: { service: 'bench', userId: randomUUID(), role: ACTOR_ROLES[seq % 2] ?? null },
    tenant: 'tenant-bench-0001',
    data: {
      seq,
      metric: 'steps',
      value: 1_000 + (seq % 9_000),
      unit: 'count',
      source: 'wearable',
    },
  });
}

const keyOf = (seq: number) => `user-${seq % 64}`;

/** The headers the relay puts on an outbox message (trace headers are empty: no telemetry here). */
function headersOf(envelope: EventEnvelope): Record<string, string> {
  return {
    'x-correlation-id': envelope.correlationId,
    'event-id': envelope.id,
    'event-type': envelope.type,
    'content-type': 'application/json',
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: raw kafkajs

interface RawResult {
  produceMs: number;
  produceMsgPerSec: number;
  consumeMs: number;
  consumeMsgPerSec: number;
  concurrentConsumeMsgPerSec: number;
  endToEndMs: number;
  endToEndMsgPerSec: number;
  received: number;
}

/** A plain consumer that counts; returns once run() has returned, i.e. once the group is joined. */
async function countingConsumer(kafka: Kafka, groupId: string, topic: string, cleanup: Cleanup) {
  const state = { count: 0, firstAt: 0, lastAt: 0 };
  const consumer: Consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  cleanup.add(`consumer ${groupId}`, () => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: () => {
      const at = now();
      if (state.count === 0) state.firstAt = at;
      state.count++;
      state.lastAt = at;
      return Promise.resolve();
    },
  });
  return { consumer, state };
}

async function runRaw(
  brokers: string[],
  security: KafkaSecurity | undefined,
  prefix: string,
  events: number,
  cleanup: Cleanup,
  signal: AbortSignal,
): Promise<RawResult> {
  const topic = prefix + RAW_TOPIC;
  // The same login and TLS as the kit's clients (createKafka), nothing else of the kit's.
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers,
    logLevel: logLevel.WARN,
    ...(security
      ? {
          ssl: { ca: [security.ca], rejectUnauthorized: true },
          sasl: {
            mechanism: 'scram-sha-512' as const,
            username: security.username,
            password: security.password,
          },
        }
      : {}),
  });
  const messages: Message[] = Array.from({ length: events }, (_, seq) => {
    const envelope = benchEnvelope(seq);
    return { key: keyOf(seq), value: JSON.stringify(envelope), headers: headersOf(envelope) };
  });

  // The end-to-end consumer is in its group before the first send, so the figure is transport, not join.
  const e2e = await countingConsumer(kafka, `${prefix}raw-e2e`, topic, cleanup);
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  cleanup.add('raw producer', () => producer.disconnect());

  const started = now();
  for (let offset = 0; offset < events; offset += PRODUCE_BATCH) {
    if (signal.aborted) throw new Error('aborted while producing');
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: messages.slice(offset, offset + PRODUCE_BATCH) }],
    });
  }
  const produced = now();
  await waitForCount('raw end-to-end consumer', () => e2e.state.count, events, signal);
  const endToEndMs = e2e.state.lastAt - started;
  const concurrentMs = e2e.state.lastAt - e2e.state.firstAt;

  // Consumer capacity on its own: a second group drains the full topic once it is joined.
  const drain = await countingConsumer(kafka, `${prefix}raw-drain`, topic, cleanup);
  const drainStarted = now();
  await waitForCount('raw drain consumer', () => drain.state.count, events, signal);
  const consumeMs = drain.state.lastAt - drainStarted;
  // Idle kafkajs clients still poll: stop them before the outbox phase is measured.
  await Promise.all([e2e.consumer.disconnect(), drain.consumer.disconnect(), producer.disconnect()]);

  return {
    produceMs: Math.round(produced - started),
    produceMsgPerSec: rate(events, produced - started),
    consumeMs: Math.round(consumeMs),
    consumeMsgPerSec: rate(events, consumeMs),
    concurrentConsumeMsgPerSec: rate(events, concurrentMs),
    endToEndMs: Math.round(endToEndMs),
    endToEndMsgPerSec: rate(events, endToEndMs),
    received: e2e.state.count,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 2: the outbox pipeline

interface OutboxResult {
  writeMs: number;
  writeEventsPerSec: number;
  relayMs: number;
  relayEventsPerSec: number;
  consumerMs: number;
  consumerEventsPerSec: number;
  endToEndMs: number;
  endToEndEventsPerSec: number;
  relay: {
    batches: number;
    sendBatchMs: number;
    sendBatchAvgMs: number;
    sql: ReturnType<SqlTimer['summary']>;
  };
  consumer: {
    transactions: number;
    processed: number;
    duplicates: number;
    transactionMs: number;
    transactionAvgMs: number;
    /** Share of the consumer's active time (first → last event) spent inside its transactions. */
    transactionShare: number;
    sql: ReturnType<SqlTimer['summary']>;
  };
  check: { unsent: number; sinkRows: number; processedRows: number; deadLettered: number };
  /** PostgreSQL sessions opened to the run's database while the pipeline ran: pools keep theirs. */
  postgresSessionsOpened: number;
}

async function runOutbox(
  brokers: string[],
  security: KafkaSecurity | undefined,
  prefix: string,
  events: number,
  cleanup: Cleanup,
  signal: AbortSignal,
  { postgres, suffix }: { postgres: PostgresTransport; suffix: string } = { postgres: 'tls', suffix: '' },
): Promise<OutboxResult> {
  const topic = OUTBOX_TOPIC.replace('.v1', `${suffix}.v1`);
  const log = createLogger({ service: 'bench', level: 'warn', stream: process.stderr });
  const kafka = createKafka({ clientId: 'bench-outbox', brokers, security, log });
  const metrics = createMetrics();

  const db = await createTestDatabase();
  cleanup.add(`drop database ${db.database}`, () => db.drop());
  process.stderr.write(`  database ${db.database}\n`);
  const owner = createPool(db.migratorUrl, { max: 1, name: 'bench-migrator' });
  cleanup.add('migrator pool', () => owner.end());
  await owner.query('CREATE TABLE bench_sink (event_id uuid NOT NULL, seq integer NOT NULL)');
  await owner.query(`GRANT SELECT, INSERT ON bench_sink TO ${db.database}_app`);
  // The pipeline's own connections (the owner's setup above is not timed) use the transport measured.
  const appUrl = postgres === 'socket' ? socketUrl(db.appUrl) : db.appUrl;

  // Write phase: committed before the clock of the pipeline starts.
  const writer = createPool(appUrl, { max: 2, name: 'bench-writer' });
  cleanup.add('writer pool', () => writer.end());
  const outgoing: OutgoingEvent[] = Array.from({ length: events }, (_, seq) => ({
    topic,
    key: keyOf(seq),
    envelope: benchEnvelope(seq),
  }));
  const write = pgTransactionRunner(writer);
  const writeStarted = now();
  for (let offset = 0; offset < events; offset += WRITE_TX_EVENTS) {
    if (signal.aborted) throw new Error('aborted while writing the outbox');
    await write((sql) => enqueue(sql, outgoing.slice(offset, offset + WRITE_TX_EVENTS)));
  }
  const writeMs = now() - writeStarted;
  // A long-lived outbox has planner statistics; this fresh one has none, and without them the
  // relay's claim runs as a bitmap scan plus a sort of the whole backlog (~20 ms per batch at
  // 20k rows) instead of an ordered scan of the partial index (<1 ms). Analyze, outside the clock.
  await owner.query('ANALYZE outbox');

  // The consumer, joined to its group before the relay starts.
  const consumerPool = createPool(appUrl, { name: 'bench-consumer' });
  cleanup.add('consumer pool', () => consumerPool.end());
  const consumerSql = new SqlTimer();
  consumerSql.attach(consumerPool);
  const inner = pgTransactionRunner(consumerPool);
  const tx = { count: 0, ms: 0, processed: 0, duplicates: 0, firstAt: 0, lastAt: 0 };
  const transaction: TransactionRunner<pg.PoolClient> = async <T>(
    fn: (sql: SqlExecutor, client: pg.PoolClient) => Promise<T>,
  ): Promise<T> => {
    const started = now();
    try {
      const outcome = await inner(fn);
      // startConsumer's unit of work returns its outcome through the runner.
      if ((outcome as unknown) === 'processed' || (outcome as unknown) === 'duplicate') {
        const at = now();
        if (tx.processed + tx.duplicates === 0) tx.firstAt = at;
        if ((outcome as unknown) === 'processed') tx.processed++;
        else tx.duplicates++;
        tx.lastAt = at;
      }
      return outcome;
    } finally {
      tx.count++;
      tx.ms += now() - started;
    }
  };
  const running = await startConsumer({
    kafka,
    groupId: `bench-outbox-consumer${suffix}`,
    topics: [topic],
    dlqTopic: DLQ_TOPIC,
    topicPrefix: prefix,
    log,
    metrics,
    transaction,
    async handle(event, client) {
      await client.query('INSERT INTO bench_sink (event_id, seq) VALUES ($1, $2)', [
        event.id,
        (event.data as { seq: number }).seq,
      ]);
    },
  });
  cleanup.add('outbox consumer', () => running.stop());

  // The relay, timed from start() until every row is marked sent.
  const relayPool = createPool(appUrl, { max: 3, name: 'bench-relay' });
  cleanup.add('relay pool', () => relayPool.end());
  const relaySql = new SqlTimer();
  relaySql.attach(relayPool);
  const producer = createProducer(kafka);
  await producer.connect();
  cleanup.add('relay producer', () => producer.disconnect());
  const send = { batches: 0, ms: 0 };
  const timedProducer: Producer = {
    ...producer,
    async sendBatch(batch) {
      const started = now();
      try {
        return await producer.sendBatch(batch);
      } finally {
        send.batches++;
        send.ms += now() - started;
      }
    },
  };
  const relay = new OutboxRelay({
    pool: relayPool,
    producer: timedProducer,
    log,
    metrics,
    topicPrefix: prefix,
    batchSize: RELAY_BATCH,
  });

  // New sessions mean new TLS handshakes: counted from the consumer's first event to its last,
  // once every pool has what it needs.
  const sessions = async () =>
    Number(
      (
        await owner.query<{ n: string }>('SELECT sessions AS n FROM pg_stat_database WHERE datname = $1', [
          db.database,
        ])
      ).rows[0]?.n ?? 0,
    );
  const started = now();
  await relay.start();
  cleanup.add('relay', () => relay.stop());
  const sessionsAtStart = waitForCount('outbox consumer', () => tx.processed + tx.duplicates, 1, signal).then(
    sessions,
  );
  const relayDone = await waitForCount('relay', () => counterTotal(metrics.outboxPublished), events, signal);
  await waitForCount('outbox consumer', () => tx.processed + tx.duplicates, events, signal);
  const postgresSessionsOpened = (await sessions()) - (await sessionsAtStart);
  const endToEndMs = tx.lastAt - started;
  const consumerMs = tx.lastAt - tx.firstAt;
  await relay.stop();

  const count = async (sql: string) => Number((await relayPool.query<{ n: string }>(sql)).rows[0]?.n ?? -1);
  const check = {
    unsent: await count('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL'),
    sinkRows: await count('SELECT count(*) AS n FROM bench_sink'),
    processedRows: await count('SELECT count(*) AS n FROM processed_event'),
    deadLettered: await counterTotal(metrics.deadLettered),
  };

  return {
    writeMs: Math.round(writeMs),
    writeEventsPerSec: rate(events, writeMs),
    relayMs: Math.round(relayDone - started),
    relayEventsPerSec: rate(events, relayDone - started),
    consumerMs: Math.round(consumerMs),
    consumerEventsPerSec: rate(events, consumerMs),
    endToEndMs: Math.round(endToEndMs),
    endToEndEventsPerSec: rate(events, endToEndMs),
    relay: {
      batches: send.batches,
      sendBatchMs: Math.round(send.ms),
      sendBatchAvgMs: round(send.ms / Math.max(send.batches, 1)),
      sql: relaySql.summary(),
    },
    consumer: {
      transactions: tx.count,
      processed: tx.processed,
      duplicates: tx.duplicates,
      transactionMs: Math.round(tx.ms),
      transactionAvgMs: round(tx.ms / Math.max(tx.count, 1), 3),
      transactionShare: round(tx.ms / Math.max(consumerMs, 1), 3),
      sql: consumerSql.summary(),
    },
    check,
    postgresSessionsOpened,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport(
  environment: Record<string, unknown>,
  events: number,
  payloadBytes: number,
  raw: RawResult,
  outbox: OutboxResult,
) {
  const fmt = (perSec: number, ms: number, unit: string) =>
    `${perSec.toLocaleString('en-US')} ${unit}/s (${(ms / 1000).toFixed(2)} s)`;
  const rows: [string, string, string][] = [
    ['', 'raw kafkajs', 'outbox pipeline'],
    ['write (enqueue, tx of 100)', '-', fmt(outbox.writeEventsPerSec, outbox.writeMs, 'ev')],
    [
      'produce / relay publish',
      fmt(raw.produceMsgPerSec, raw.produceMs, 'msg'),
      fmt(outbox.relayEventsPerSec, outbox.relayMs, 'ev'),
    ],
    [
      'consume',
      `${fmt(raw.consumeMsgPerSec, raw.consumeMs, 'msg')} [drain]`,
      `${fmt(outbox.consumerEventsPerSec, outbox.consumerMs, 'ev')} [live]`,
    ],
    [
      'end-to-end',
      fmt(raw.endToEndMsgPerSec, raw.endToEndMs, 'msg'),
      fmt(outbox.endToEndEventsPerSec, outbox.endToEndMs, 'ev'),
    ],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('   ')
      .trimEnd();

  const out: string[] = [];
  out.push(
    `outbox throughput benchmark: ${events} events of ~${payloadBytes} bytes, ${PARTITIONS} partitions`,
  );
  for (const [key, value] of Object.entries(environment)) out.push(`  ${key.padEnd(12)} ${String(value)}`);
  out.push('');
  out.push(line(rows[0] ?? ['', '', '']));
  for (const row of rows.slice(1)) out.push(line(row));
  out.push('');
  out.push(
    `raw: live consumer alongside the producer ${raw.concurrentConsumeMsgPerSec.toLocaleString('en-US')} msg/s (first → last message)`,
  );
  const c = outbox.consumer;
  out.push(
    `outbox consumer: ${c.transactions} transactions, avg ${c.transactionAvgMs} ms, ` +
      `${Math.round(c.transactionShare * 100)}% of its active time inside the transaction`,
  );
  for (const [label, stat] of Object.entries(c.sql)) {
    out.push(
      `  ${label.padEnd(28)} ${String(stat.avgMs).padStart(7)} ms avg  ${String(stat.maxMs).padStart(7)} ms max  ${String(stat.totalMs).padStart(7)} ms total`,
    );
  }
  const r = outbox.relay;
  out.push(
    `outbox relay: ${r.batches} batches, sendBatch avg ${r.sendBatchAvgMs} ms (${r.sendBatchMs} ms total)`,
  );
  for (const [label, stat] of Object.entries(r.sql)) {
    out.push(
      `  ${label.padEnd(28)} ${String(stat.avgMs).padStart(7)} ms avg  ${String(stat.maxMs).padStart(7)} ms max  ${String(stat.totalMs).padStart(7)} ms total`,
    );
  }
  const k = outbox.check;
  out.push(
    `check: unsent ${k.unsent}, sink rows ${k.sinkRows}, processed_event rows ${k.processedRows}, ` +
      `duplicates ${c.duplicates}, dead-lettered ${k.deadLettered}; raw received ${raw.received}`,
  );
  if (k.unsent !== 0 || k.sinkRows !== events || raw.received !== events) {
    out.push('warning: the counts above are not what a clean run gives; read the figures with care');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL's TLS (#24): the pipeline over TLS (the run above and one more) and over the socket

/**
 * Runs the outbox pipeline over the unix socket, then over TLS once more (A B A, so that a change
 * in the machine's load falls on both), and prints the comparison. Kafka is SASL/SCRAM over TLS in
 * every run: the shared broker has no plaintext listener, so Kafka's part is not in it.
 */
async function comparePostgres(
  brokers: string[],
  security: KafkaSecurity | undefined,
  prefix: string,
  events: number,
  first: OutboxResult,
  cleanup: Cleanup,
  signal: AbortSignal,
) {
  // The admin logs in by peer over the socket; the services' roles, as here, by password.
  const probeDb = await createTestDatabase();
  cleanup.add(`drop database ${probeDb.database}`, () => probeDb.drop());
  const probe = new pg.Client({ connectionString: socketUrl(probeDb.appUrl) });
  const unreachable = await probe.connect().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  await probe.end().catch(() => undefined);
  if (unreachable) {
    process.stdout.write(
      `PostgreSQL comparison skipped: the unix socket is not reachable (${unreachable})\n`,
    );
    return undefined;
  }
  const results: Partial<Record<PostgresTransport, OutboxResult[]>> = { tls: [first] };
  const inOrder = [{ postgres: 'tls', result: first }];
  for (const run of COMPARISON_RUNS) {
    process.stderr.write(`outbox pipeline, PostgreSQL over ${run.postgres}: ${events} events...\n`);
    const result = await runOutbox(brokers, security, prefix, events, cleanup, signal, run);
    (results[run.postgres] ??= []).push(result);
    inOrder.push({ postgres: run.postgres, result });
  }
  // The machine's other load moves a lot between runs: each run's own figures show how much.
  const perRun = inOrder.map(({ postgres, result }) => ({
    postgres,
    consumerEventsPerSec: result.consumerEventsPerSec,
    endToEndEventsPerSec: result.endToEndEventsPerSec,
  }));
  const combined = (runs: OutboxResult[] = []) => {
    const sum = (pick: (result: OutboxResult) => number) =>
      runs.reduce((total, result) => total + pick(result), 0);
    const count = events * runs.length;
    return {
      write: rate(
        count,
        sum((r) => r.writeMs),
      ),
      relay: rate(
        count,
        sum((r) => r.relayMs),
      ),
      consumer: rate(
        count,
        sum((r) => r.consumerMs),
      ),
      endToEnd: rate(
        count,
        sum((r) => r.endToEndMs),
      ),
      consumerTransactionMs: round(
        sum((r) => r.consumer.transactionMs) /
          Math.max(
            1,
            sum((r) => r.consumer.transactions),
          ),
        3,
      ),
      postgresSessionsOpened: runs.map((r) => r.postgresSessionsOpened),
    };
  };
  const socket = combined(results.socket);
  const tls = combined(results.tls);
  const rows: Compared[] = [
    {
      metric: 'write (enqueue, tx of 100)',
      unit: 'ev/s',
      rate: true,
      baseline: socket.write,
      secured: tls.write,
    },
    { metric: 'relay publish', unit: 'ev/s', rate: true, baseline: socket.relay, secured: tls.relay },
    { metric: 'consume (live)', unit: 'ev/s', rate: true, baseline: socket.consumer, secured: tls.consumer },
    { metric: 'end-to-end', unit: 'ev/s', rate: true, baseline: socket.endToEnd, secured: tls.endToEnd },
    {
      metric: "consumer's transaction, avg",
      unit: 'ms',
      baseline: socket.consumerTransactionMs,
      secured: tls.consumerTransactionMs,
    },
  ];
  process.stdout.write(
    `\nPostgreSQL TLS in the outbox pipeline, ${events} events per run, runs in the order TLS, socket, TLS:\n` +
      'baseline: unix socket (no TLS and no TCP: an upper bound of what TLS costs); secured: TCP + TLS verify-full.\n' +
      'Kafka is SASL/SCRAM over TLS in every run (the shared broker has no plaintext listener): not in this comparison.\n\n' +
      `${comparisonTable(rows)}\n\n` +
      `each run, in order: ${perRun.map((run) => `${run.postgres} ${run.consumerEventsPerSec} ev/s consumed`).join(', ')}\n` +
      `PostgreSQL sessions opened while the consumer ran (after its first event): TLS runs ${tls.postgresSessionsOpened.join(', ')}; socket run ${socket.postgresSessionsOpened.join(', ')}\n`,
  );
  return {
    socket,
    tls,
    perRun,
    overheadPercent: Object.fromEntries(rows.map((row) => [row.metric, overheadPercent(row)])),
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function run(options: Options, cleanup: Cleanup, signal: AbortSignal): Promise<void> {
  const {
    adminUrl,
    brokers,
    kafka: { security },
  } = infraEnv();
  await checkReachable('PostgreSQL', adminUrl);
  for (const broker of brokers) await checkReachable('Kafka', broker);
  // Before this run adds any load: how busy is the machine with everything else?
  const revision = kitRevision();
  const loadAtStart = os.loadavg();
  const othersAtStart = await othersCpuShare(2_000);
  const prefix = `${randomName('bench')}.`;
  const log = createLogger({ service: 'bench', level: 'warn', stream: process.stderr });
  const kafka = createKafka({ clientId: 'bench-admin', brokers, security, log });
  const topic = (name: string) => ({
    name,
    partitions: PARTITIONS,
    retentionMs: 3_600_000,
    cleanupPolicy: 'delete' as const,
    description: 'benchmark',
  });
  const created = await ensureTopics(
    kafka,
    {
      topics: [
        topic(RAW_TOPIC),
        topic(OUTBOX_TOPIC),
        topic(DLQ_TOPIC),
        ...COMPARISON_RUNS.map(({ suffix }) => topic(OUTBOX_TOPIC.replace('.v1', `${suffix}.v1`))),
      ],
    },
    prefix,
  );
  cleanup.add('delete topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: created, timeout: 10_000 });
      await admin.deleteGroups(
        [
          'raw-e2e',
          'raw-drain',
          'bench-outbox-consumer',
          ...COMPARISON_RUNS.map(({ suffix }) => `bench-outbox-consumer${suffix}`),
        ].map((group) => prefix + group),
      );
    } finally {
      await admin.disconnect();
    }
  });

  const admin = createPool(adminUrl, { max: 1, name: 'bench-info' });
  let postgres: string;
  try {
    const settings = await admin.query<{ v: string; s: string; tls: string | null }>(
      `SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS s,
              (SELECT CASE WHEN ssl THEN version END FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls`,
    );
    const tls = settings.rows[0]?.tls;
    postgres = `${settings.rows[0]?.v ?? '?'} (synchronous_commit=${settings.rows[0]?.s ?? '?'}; ${tls ? `${tls}, sslmode=${new URL(adminUrl).searchParams.get('sslmode') ?? 'prefer'}` : 'no TLS'})`;
  } finally {
    await admin.end();
  }

  const environment = {
    node: process.version,
    cpus: `${os.availableParallelism()} (${os.cpus()[0]?.model ?? 'unknown'})`,
    broker: `${brokers.join(',')} (${security ? 'SASL/SCRAM-SHA-512 over TLS' : 'plaintext'})`,
    postgres,
    kit: revision,
    topics: `${prefix}*`,
    'other load': `${Math.round(othersAtStart * 100)}% of all cores busy with other processes in the 2 s before the start (load avg ${loadAtStart.map((load) => load.toFixed(2)).join(' ')})`,
  };
  const sample = benchEnvelope(0);
  const payloadBytes = Buffer.byteLength(JSON.stringify(sample));

  process.stderr.write(`raw kafkajs: ${options.events} messages...\n`);
  const raw = await runRaw(brokers, security, prefix, options.events, cleanup, signal);
  process.stderr.write(`outbox pipeline: ${options.events} events...\n`);
  const outbox = await runOutbox(brokers, security, prefix, options.events, cleanup, signal);

  printReport(environment, options.events, payloadBytes, raw, outbox);
  const comparison = options.securedOnly
    ? undefined
    : await comparePostgres(brokers, security, prefix, options.events, outbox, cleanup, signal);
  const summary = {
    events: options.events,
    payloadBytes,
    env: {
      node: process.version,
      cpus: os.availableParallelism(),
      broker: brokers.join(','),
      postgres,
      kit: revision,
      othersCpuShareAtStart: round(othersAtStart, 2),
      loadAvg1mAtStart: round(loadAtStart[0] ?? 0, 2),
    },
    raw,
    outbox,
    ...(comparison ? { postgresComparison: comparison } : {}),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

function main(): Promise<number> {
  return runBench({
    argv: process.argv.slice(2),
    usage: USAGE,
    parse: parseArgs,
    run,
    onInterrupt: onProcessSignals,
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`benchmark crashed: ${String(error)}\n`);
    process.exit(1);
  },
);
