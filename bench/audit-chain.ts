/**
 * Audit hash chain benchmark (docs/audit-chain.md), in one run on this machine:
 *
 *   ingest   N valid `audit.recorded` envelopes, shaped like auth's, published to a fresh
 *            prefixed `audit.events.v1`, then appended by the REAL consumer
 *            (`startAuditConsumer`: Prisma, one transaction per chunk of up to 100 events of a
 *            Kafka batch, one advisory lock and one INSERT per chunk, personal fields sealed
 *            under a per-user key made on that user's first event). Reports the sustained
 *            entries/s, and checks the chain is intact with exactly N entries.
 *   build    a chain of M entries computed in Node with `entryHash` and bulk-inserted into
 *            `audit_entry` (UNNEST arrays, 5 000 rows per statement, as the app role), beside the
 *            same number of rows bulk-inserted into an unchained copy of the table: the raw
 *            PostgreSQL insert rate. Both on one fresh database, each after a CHECKPOINT.
 *   verify   `verifyChain` (Prisma, app role) over the whole chain and from a checkpoint 10 000
 *            entries before the head, beside a plain `pg` scan of the same rows in the same
 *            pages, and that scan with `entryHash` recomputed (verification without Prisma).
 *            RSS and heap are sampled during each: the chain must not be held in memory.
 *
 * Run: `npx tsx bench/audit-chain.ts [--entries N] [--ingest N] [--timeout-seconds S]`.
 * Needs the local PostgreSQL and Kafka (`bash scripts/infra.sh up`). Prints a table and, last,
 * one JSON line. It is a measurement, not a test: only sanity checks. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

import {
  entryHash,
  GENESIS_HASH,
  verifyChain,
  type ChainFields,
  type Verification,
} from '@tracking/audit/chain';
import { createPrisma } from '@tracking/audit/db';
import { startAuditConsumer } from '@tracking/audit/events';
import type { AuditRow } from '@tracking/backup/audit-chain';
import { TOPICS, type AuditEvent } from '@tracking/contracts';
import {
  createKafka,
  createLogger,
  createMetrics,
  createPool,
  createProducer,
  encrypt,
  ensureTopics,
  envelopeMessage,
  Keyring,
  newEvent,
  readTopicsManifest,
  type Metrics,
} from '@tracking/kit';
import { createTestDatabase, infraEnv, randomName, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

import { checkReachable, Cleanup, othersCpuShare, positiveInteger, runBench, UsageError } from './support';

const ROOT = path.join(__dirname, '..');
const MIGRATIONS = path.join(ROOT, 'services', 'audit', 'migrations');
const TOPICS_MANIFEST = path.join(ROOT, 'charts', 'tracking', 'files', 'topics.json');
/** The consumer group the audit service uses by default (CONSUMER_GROUP); prefixed, so fresh. */
const GROUP_ID = 'audit';
const PRODUCE_BATCH = 500;
/** Rows per bulk INSERT … SELECT FROM unnest(…) statement. */
const INSERT_BATCH = 5_000;
/** Rows per page of the plain pg scans: verifyChain's default page size. */
const SCAN_PAGE = 5_000;
/** The checkpoint verification covers this many entries before the head. */
const CHECKPOINT_TAIL = 10_000;
const MAX_ENTRIES = 5_000_000;
const MAX_INGEST = 200_000;
/** Audit events per distinct user: the consumer creates a subject key on a user's first event. */
const EVENTS_PER_USER = 10;
/** Distinct users (data subjects) among the bulk-built entries. */
const BULK_SUBJECTS = 1_000;
/** A phase that makes no progress for this long is reported as stalled (before the overall timeout). */
const STALL_MS = 60_000;
const MEMORY_SAMPLE_MS = 25;

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = `usage: npx tsx bench/audit-chain.ts [--entries N] [--ingest N] [--timeout-seconds S]
  --entries N           entries in the bulk-built chain that is verified (default 1000000, at most ${MAX_ENTRIES})
  --ingest N            events appended through Kafka by the real consumer (default 20000, at most ${MAX_INGEST})
  --timeout-seconds S   give up after S seconds, cleaning up (default 900)`;

interface Options {
  entries: number;
  ingest: number;
  timeoutSeconds: number;
}

const FLAGS = { '--entries': MAX_ENTRIES, '--ingest': MAX_INGEST, '--timeout-seconds': 7_200 } as const;

function parseArgs(argv: string[]): Options | 'help' {
  const options: Options = { entries: 1_000_000, ingest: 20_000, timeoutSeconds: 900 };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals > 0 ? arg.slice(0, equals) : arg;
    if (!(flag in FLAGS)) throw new UsageError(`unknown argument "${arg}"`);
    const value = equals > 0 && arg.startsWith('--') ? arg.slice(equals + 1) : argv[++index];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    const number = positiveInteger(flag, value, FLAGS[flag as keyof typeof FLAGS]);
    if (flag === '--entries') options.entries = number;
    else if (flag === '--ingest') options.ingest = number;
    else options.timeoutSeconds = number;
  }
  return options;
}

/** The commit measured, and whether the kit or the audit service had uncommitted changes. */
function revision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = ['packages/kit', 'services/audit'].filter(
      (dir) => git('status', '--porcelain', '--', dir) !== '',
    );
    const note = dirty.length > 0 ? ` (+ uncommitted changes in ${dirty.join(', ')})` : '';
    return `${git('rev-parse', '--short', 'HEAD')}${note}`;
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
const mb = (bytes: number) => round(bytes / 1024 / 1024, 0);
const thousands = (value: number) => value.toLocaleString('en-US');

/** Starts measuring this process's CPU time; the result is the share of one core used since. */
function cpuMeter(): () => number {
  const cpu = process.cpuUsage();
  const started = now();
  return () => {
    const used = process.cpuUsage(cpu);
    const wall = now() - started;
    return wall > 0 ? round((used.user + used.system) / 1000 / wall, 2) : 0;
  };
}

function checkAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new Error(`aborted while ${what}`);
}

/** Polls `read` until it reaches `target`; fails when aborted or when the count stalls for STALL_MS. */
async function waitForCount(
  what: string,
  read: () => number | Promise<number>,
  target: number,
  signal: AbortSignal,
): Promise<void> {
  let last = -1;
  let lastMove = now();
  for (;;) {
    const value = await read();
    if (value >= target) return;
    checkAborted(signal, `waiting for ${what} (${value}/${target})`);
    if (value !== last) {
      last = value;
      lastMove = now();
    } else if (now() - lastMove > STALL_MS) {
      throw new Error(`${what} stalled at ${value}/${target} for ${STALL_MS / 1000} s`);
    }
    await sleep(10);
  }
}

async function consumedTotal(metrics: Metrics, outcome: string): Promise<number> {
  const metric = await metrics.consumed.get();
  return metric.values
    .filter((entry) => entry.labels.outcome === outcome)
    .reduce((sum, entry) => sum + entry.value, 0);
}

/** Call latency by label, timed from Node (so event-loop waiting is included). */
class CallTimer {
  readonly byLabel = new Map<
    string,
    { count: number; ms: number; maxMs: number; firstAt: number; lastAt: number }
  >();

  async time<T>(label: string, fn: () => PromiseLike<T>): Promise<T> {
    const started = now();
    try {
      return await fn();
    } finally {
      const ended = now();
      const entry = this.byLabel.get(label) ?? { count: 0, ms: 0, maxMs: 0, firstAt: started, lastAt: ended };
      entry.count++;
      entry.ms += ended - started;
      entry.maxMs = Math.max(entry.maxMs, ended - started);
      entry.lastAt = ended;
      this.byLabel.set(label, entry);
    }
  }

  get(label: string) {
    return this.byLabel.get(label) ?? { count: 0, ms: 0, maxMs: 0, firstAt: 0, lastAt: 0 };
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

/** "INSERT processed_event", "SELECT pg_advisory_xact_lock": a short label for a SQL text. */
function sqlLabel(sql: string): string {
  const text = sql.trim();
  const verb = (/^\w+/.exec(text)?.[0] ?? '?').toUpperCase();
  const table = /\b(?:from|into|update)\s+(\w+)/i.exec(text)?.[1] ?? /^select\s+(\w+)\(/i.exec(text)?.[1];
  return table ? `${verb} ${table}` : verb;
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Wraps a Prisma client so that the calls the audit code makes through it are timed: interactive
 * transactions (and the statements inside them), raw queries and `auditEntry.*`. It forwards every
 * call unchanged to the real client, so the code under test is the service's own.
 */
function instrumentPrisma<T extends object>(client: T, timer: CallTimer): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof property !== 'string' || (typeof value !== 'function' && typeof value !== 'object'))
        return value;
      if (property === '$transaction' && typeof value === 'function') {
        return (fn: unknown, ...rest: unknown[]) => {
          const call = value as AnyFunction;
          if (typeof fn !== 'function') return call.call(target, fn, ...rest);
          return timer.time(
            'transaction',
            () =>
              call.call(
                target,
                (tx: object) => (fn as AnyFunction)(instrumentPrisma(tx, timer)),
                ...rest,
              ) as PromiseLike<unknown>,
          );
        };
      }
      if (/^\$(query|execute)Raw/.test(property) && typeof value === 'function') {
        return (...args: unknown[]) => {
          const first = args[0];
          const text = typeof first === 'string' ? first : Array.isArray(first) ? first.join('?') : '';
          return timer.time(
            sqlLabel(text),
            () => (value as AnyFunction).apply(target, args) as PromiseLike<unknown>,
          );
        };
      }
      if (property === 'auditEntry' && value !== null && typeof value === 'object') {
        return new Proxy(value, {
          get(delegate, method) {
            const fn: unknown = Reflect.get(delegate, method);
            if (typeof method !== 'string' || typeof fn !== 'function') return fn;
            return (...args: unknown[]) =>
              timer.time(
                `auditEntry.${method}`,
                () => (fn as AnyFunction).apply(delegate, args) as PromiseLike<unknown>,
              );
          },
        });
      }
      return typeof value === 'function' ? (value as AnyFunction).bind(target) : value;
    },
  });
}

/** Samples this process's RSS and heap while a phase runs: the chain must not be held in memory. */
class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: { at: number; rss: number; heap: number }[] = [];
  private startRss = 0;
  private peakRss = 0;
  private peakHeap = 0;

  start(): void {
    this.startRss = process.memoryUsage.rss();
    this.peakRss = this.startRss;
    this.peakHeap = process.memoryUsage().heapUsed;
    const started = now();
    this.timer = setInterval(() => this.sample(now() - started), MEMORY_SAMPLE_MS);
  }

  private sample(at: number): void {
    const rss = process.memoryUsage.rss();
    const heap = process.memoryUsage().heapUsed;
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakHeap = Math.max(this.peakHeap, heap);
    this.samples.push({ at, rss, heap });
  }

  /** Start, peak and end RSS, and the largest RSS seen in each quarter of the phase (to see growth). */
  stop(): MemoryResult {
    clearInterval(this.timer);
    const endRss = process.memoryUsage.rss();
    this.peakRss = Math.max(this.peakRss, endRss);
    const last = this.samples[this.samples.length - 1]?.at ?? 0;
    const quarters = [0, 1, 2, 3].map((quarter) =>
      this.samples.filter((s) => s.at >= (last * quarter) / 4 && s.at <= (last * (quarter + 1)) / 4),
    );
    const peak = (values: number[]) => (values.length > 0 ? mb(Math.max(...values)) : null);
    return {
      startRssMb: mb(this.startRss),
      peakRssMb: mb(this.peakRss),
      endRssMb: mb(endRss),
      peakHeapUsedMb: mb(this.peakHeap),
      peakRssByQuarterMb: quarters.map((samples) => peak(samples.map((s) => s.rss))),
      peakHeapUsedByQuarterMb: quarters.map((samples) => peak(samples.map((s) => s.heap))),
    };
  }
}

interface MemoryResult {
  startRssMb: number;
  peakRssMb: number;
  endRssMb: number;
  peakHeapUsedMb: number;
  /** null: no sample fell in that quarter (a short phase). */
  peakRssByQuarterMb: (number | null)[];
  peakHeapUsedByQuarterMb: (number | null)[];
}

// ---------------------------------------------------------------------------------------------
// Payload: entries shaped like the ones auth emits (auth.user.registered & co.)

const ACTIONS: { action: string; outcome: AuditEvent['outcome'] }[] = [
  { action: 'auth.user.registered', outcome: 'success' },
  { action: 'auth.session.created', outcome: 'success' },
  { action: 'auth.session.created', outcome: 'failure' },
  { action: 'auth.password.changed', outcome: 'success' },
  { action: 'auth.session.refreshed', outcome: 'denied' },
];
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

function auditData(seq: number, userId: string): AuditEvent {
  const { action, outcome } = ACTIONS[seq % ACTIONS.length] ?? {
    action: 'auth.user.registered',
    outcome: 'success',
  };
  return {
    action,
    subject: { type: 'user', id: userId },
    outcome,
    sourceIp: seq % 10 === 0 ? null : `203.0.113.${(seq % 250) + 1}`,
    userAgent: seq % 10 === 0 ? null : USER_AGENT,
  };
}

const bulkSubjects = Array.from({ length: BULK_SUBJECTS }, () => randomUUID());

/**
 * A personal field as `appendEntry` stores it: sealed under the data subject's key in the kit's
 * token format, `v1.<kid>.<wrapIv>.<wrappedDek>.<iv>.<ciphertext>`. Here the parts are random
 * bytes of the sizes `encrypt` produces (checked against it at the start), not a real seal: the
 * kit's `encrypt` costs ~40 µs a call, and neither hashing nor verification decrypts.
 */
function sealedLike(plaintext: string | null): string | null {
  if (plaintext === null) return null;
  const bytes = randomBytes(12 + 48 + 12 + Buffer.byteLength(plaintext) + 16);
  const part = (from: number, to?: number) => bytes.subarray(from, to).toString('base64url');
  return `v1.subject.${part(0, 12)}.${part(12, 60)}.${part(60, 72)}.${part(72)}`;
}

/** Throws when `sealedLike` no longer gives tokens as long as the kit's `encrypt` (its format changed). */
function checkSealedLike(): void {
  const keyring = new Keyring(new Map([['subject', randomBytes(32)]]), 'subject');
  for (const value of ['203.0.113.1', USER_AGENT]) {
    const real = encrypt(keyring, value, 'audit.entry:bench:field').length;
    const fake = sealedLike(value)?.length;
    if (real !== fake) throw new Error(`sealedLike gives ${fake} characters where encrypt gives ${real}`);
  }
}

/**
 * The fields of one bulk-built entry, as `appendEntry` would store them for the same event, the
 * personal fields sealed (see sealedLike), so rows and their canonical encoding have the size
 * the consumer gives them.
 */
function bulkEntry(sequence: number, at: number): ChainFields {
  const userId = bulkSubjects[sequence % BULK_SUBJECTS] ?? randomUUID();
  const data = auditData(sequence, userId);
  return {
    sequence: BigInt(sequence),
    eventId: randomUUID(),
    occurredAt: new Date(at),
    recordedAt: new Date(at + 40),
    actorService: 'auth',
    actorUserId: userId,
    actorRole: 'client',
    action: data.action,
    subjectType: data.subject.type,
    subjectId: data.subject.id,
    tenant: null,
    outcome: data.outcome,
    sourceIp: sealedLike(data.sourceIp),
    userAgent: sealedLike(data.userAgent),
    correlationId: randomUUID(),
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: Kafka → chained insert, through the real consumer

interface IngestResult {
  events: number;
  publishMs: number;
  publishEventsPerSec: number;
  /** First append transaction started → last one committed: the sustained rate. */
  sustainedMs: number;
  sustainedEntriesPerSec: number;
  /** startAuditConsumer() called → last append committed (connect and group join included). */
  fromStartMs: number;
  fromStartEntriesPerSec: number;
  /** This process's CPU (consumer, Prisma, kafkajs) over the consume phase, in cores. */
  cpuCores: number;
  transactions: number;
  transactionAvgMs: number;
  transactionShare: number;
  calls: ReturnType<CallTimer['summary']>;
  check: { rows: number; intact: boolean; entriesChecked: number; deadLettered: number; duplicates: number };
}

async function runIngest(
  brokers: string[],
  prefix: string,
  events: number,
  cleanup: Cleanup,
  signal: AbortSignal,
): Promise<IngestResult> {
  const log = createLogger({ service: 'bench', level: 'warn', stream: process.stderr });
  const kafka = createKafka({ clientId: 'bench-audit', brokers, log });
  const metrics = createMetrics();

  const db = await createTestDatabase(MIGRATIONS);
  cleanup.add(`drop database ${db.database}`, () => db.drop());
  process.stderr.write(`  ingest database ${db.database}\n`);

  // Published before the consumer starts, so the consumer drains a backlog at its own pace.
  const users = Array.from({ length: Math.ceil(events / EVENTS_PER_USER) }, () => randomUUID());
  const messages = Array.from({ length: events }, (_, seq) => {
    const userId = users[seq % users.length] ?? randomUUID();
    const envelope = newEvent({
      type: 'audit.recorded',
      actor: { service: 'auth', userId, role: 'client' },
      data: auditData(seq, userId),
    });
    return envelopeMessage(envelope, userId);
  });
  const producer = createProducer(kafka);
  await producer.connect();
  cleanup.add('producer', () => producer.disconnect());
  const publishStarted = now();
  for (let offset = 0; offset < events; offset += PRODUCE_BATCH) {
    checkAborted(signal, 'publishing audit events');
    await producer.send({
      topic: prefix + TOPICS.auditEvents,
      acks: -1,
      messages: messages.slice(offset, offset + PRODUCE_BATCH),
    });
  }
  const publishMs = now() - publishStarted;
  await producer.disconnect();

  const prisma = createPrisma(db.appUrl);
  cleanup.add('ingest prisma', () => prisma.$disconnect());
  const timer = new CallTimer();
  const cpu = cpuMeter();
  const started = now();
  const consumer = await startAuditConsumer({
    kafka,
    prisma: instrumentPrisma(prisma, timer),
    // A fresh key-encryption key: the consumer wraps each data subject's key with it.
    kek: new Keyring(new Map([['bench', randomBytes(32)]]), 'bench'),
    log,
    metrics,
    groupId: GROUP_ID,
    topicPrefix: prefix,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await consumer.stop();
  };
  cleanup.add('audit consumer', stop);
  const finished = async () =>
    (await consumedTotal(metrics, 'processed')) +
    (await consumedTotal(metrics, 'duplicate')) +
    (await consumedTotal(metrics, 'dead_lettered'));
  await waitForCount('audit consumer', finished, events, signal);
  const cpuCores = cpu();
  await stop();

  const tx = timer.get('transaction');
  const sustainedMs = tx.lastAt - tx.firstAt;
  const fromStartMs = tx.lastAt - started;
  const rows = await prisma.auditEntry.count();
  const verification = await verifyChain(prisma);
  return {
    events,
    publishMs: Math.round(publishMs),
    publishEventsPerSec: rate(events, publishMs),
    sustainedMs: Math.round(sustainedMs),
    sustainedEntriesPerSec: rate(events, sustainedMs),
    fromStartMs: Math.round(fromStartMs),
    fromStartEntriesPerSec: rate(events, fromStartMs),
    cpuCores,
    transactions: tx.count,
    transactionAvgMs: round(tx.ms / Math.max(tx.count, 1), 3),
    transactionShare: round(tx.ms / Math.max(sustainedMs, 1), 3),
    calls: timer.summary(),
    check: {
      rows,
      intact: verification.intact,
      entriesChecked: verification.entriesChecked,
      deadLettered: await consumedTotal(metrics, 'dead_lettered'),
      duplicates: await consumedTotal(metrics, 'duplicate'),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 2: bulk-built chain, and the raw insert baseline

const CHAIN_COLUMNS = [
  ['sequence', 'bigint'],
  ['event_id', 'uuid'],
  ['occurred_at', 'timestamptz'],
  ['recorded_at', 'timestamptz'],
  ['actor_service', 'text'],
  ['actor_user_id', 'uuid'],
  ['actor_role', 'text'],
  ['action', 'text'],
  ['subject_type', 'text'],
  ['subject_id', 'text'],
  ['tenant', 'text'],
  ['outcome', 'text'],
  ['source_ip', 'text'],
  ['user_agent', 'text'],
  ['correlation_id', 'text'],
] as const;

/** One multi-row INSERT: each column is sent as one array parameter and unnested server-side. */
function insertSql(table: string, chained: boolean): string {
  const columns: (readonly [string, string])[] = [...CHAIN_COLUMNS];
  if (chained) columns.push(['prev_hash', 'text'], ['hash', 'text']);
  const names = columns.map(([name]) => name).join(', ');
  const arrays = columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})`;
}

function columnArrays(
  rows: (ChainFields & { prevHash?: string; hash?: string })[],
  chained: boolean,
): unknown[] {
  const arrays: unknown[][] = [
    rows.map((row) => row.sequence.toString()),
    rows.map((row) => row.eventId),
    rows.map((row) => row.occurredAt.toISOString()),
    rows.map((row) => row.recordedAt.toISOString()),
    rows.map((row) => row.actorService),
    rows.map((row) => row.actorUserId),
    rows.map((row) => row.actorRole),
    rows.map((row) => row.action),
    rows.map((row) => row.subjectType),
    rows.map((row) => row.subjectId),
    rows.map((row) => row.tenant),
    rows.map((row) => row.outcome),
    rows.map((row) => row.sourceIp),
    rows.map((row) => row.userAgent),
    rows.map((row) => row.correlationId),
  ];
  if (chained)
    arrays.push(
      rows.map((row) => row.prevHash),
      rows.map((row) => row.hash),
    );
  return arrays;
}

interface BulkResult {
  rows: number;
  /** Generating the fake rows: benchmark overhead, in neither rate. */
  generateMs: number;
  hashMs: number;
  insertMs: number;
  /** Hashing + inserting (the chained build) or inserting alone (raw). */
  totalMs: number;
  entriesPerSec: number;
  insertRowsPerSec: number;
  /** This process's CPU over the phase (generation included), in cores. */
  cpuCores: number;
  tableMb: number;
}

/**
 * Builds `rows` entries in batches: generate, chain them in Node with entryHash (chained only),
 * then one INSERT per batch as the app role. One writer, one statement at a time.
 */
async function bulkInsert(
  pool: pg.Pool,
  table: string,
  rows: number,
  chained: boolean,
  signal: AbortSignal,
): Promise<{ result: Omit<BulkResult, 'tableMb'>; headHash: string }> {
  const sql = insertSql(table, chained);
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  let prevHash = GENESIS_HASH;
  let generateMs = 0;
  let hashMs = 0;
  let insertMs = 0;
  const cpu = cpuMeter();
  for (let offset = 0; offset < rows; offset += INSERT_BATCH) {
    checkAborted(signal, `inserting into ${table} (${offset}/${rows})`);
    const t0 = now();
    const batch: (ChainFields & { prevHash?: string; hash?: string })[] = [];
    for (let seq = offset + 1; seq <= Math.min(offset + INSERT_BATCH, rows); seq++) {
      batch.push(bulkEntry(seq, base + seq * 250));
    }
    const t1 = now();
    if (chained) {
      for (const row of batch) {
        row.prevHash = prevHash;
        row.hash = entryHash(prevHash, row);
        prevHash = row.hash;
      }
    }
    const t2 = now();
    await pool.query({ name: `bulk-${table}`, text: sql, values: columnArrays(batch, chained) });
    const t3 = now();
    generateMs += t1 - t0;
    hashMs += t2 - t1;
    insertMs += t3 - t2;
  }
  const totalMs = hashMs + insertMs;
  return {
    result: {
      rows,
      generateMs: Math.round(generateMs),
      hashMs: Math.round(hashMs),
      insertMs: Math.round(insertMs),
      totalMs: Math.round(totalMs),
      entriesPerSec: rate(rows, totalMs),
      insertRowsPerSec: rate(rows, insertMs),
      cpuCores: cpu(),
    },
    headHash: prevHash,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 3: verification, beside plain scans of the same rows

/** An audit_entry row as the backup drills read it, but with pg parsing the timestamps into Dates. */
type EntryRow = Omit<AuditRow, 'occurred_at' | 'recorded_at'> & { occurred_at: Date; recorded_at: Date };

interface ScanResult {
  rows: number;
  ms: number;
  rowsPerSec: number;
  /** Time in the page queries (round trip, pg parsing rows into objects). */
  readMs: number;
  /** Time recomputing hashes (0 for the plain scan). */
  hashMs: number;
  intact: boolean | null;
  cpuCores: number;
  memory: MemoryResult;
}

/**
 * Reads the whole chain in keyset pages as verifyChain does (`sequence >= next ORDER BY sequence
 * LIMIT page`), with pg instead of Prisma; with `hash`, it also recomputes every link.
 */
async function pgScan(pool: pg.Pool, hash: boolean, signal: AbortSignal): Promise<ScanResult> {
  const memory = new MemorySampler();
  memory.start();
  const cpu = cpuMeter();
  const started = now();
  let readMs = 0;
  let hashMs = 0;
  let next = 1n;
  let prevHash = GENESIS_HASH;
  let rows = 0;
  let intact = true;
  for (;;) {
    checkAborted(signal, 'scanning audit_entry');
    const t0 = now();
    const page = await pool.query<EntryRow>({
      name: 'scan-page',
      text: 'SELECT * FROM audit_entry WHERE sequence >= $1 ORDER BY sequence LIMIT $2',
      values: [next.toString(), SCAN_PAGE],
    });
    const t1 = now();
    readMs += t1 - t0;
    for (const row of page.rows) {
      const sequence = BigInt(row.sequence);
      if (hash) {
        const computed = entryHash(prevHash, {
          sequence,
          eventId: row.event_id,
          occurredAt: row.occurred_at,
          recordedAt: row.recorded_at,
          actorService: row.actor_service,
          actorUserId: row.actor_user_id,
          actorRole: row.actor_role,
          action: row.action,
          subjectType: row.subject_type,
          subjectId: row.subject_id,
          tenant: row.tenant,
          outcome: row.outcome,
          sourceIp: row.source_ip,
          userAgent: row.user_agent,
          correlationId: row.correlation_id,
        });
        if (sequence !== next || row.prev_hash !== prevHash || computed !== row.hash) intact = false;
        prevHash = row.hash;
      }
      next = sequence + 1n;
      rows++;
    }
    hashMs += now() - t1;
    if (page.rows.length < SCAN_PAGE) break;
  }
  const ms = now() - started;
  return {
    rows,
    ms: Math.round(ms),
    rowsPerSec: rate(rows, ms),
    readMs: Math.round(readMs),
    hashMs: hash ? Math.round(hashMs) : 0,
    intact: hash ? intact : null,
    cpuCores: cpu(),
    memory: memory.stop(),
  };
}

interface VerifyResult {
  fromSequence: string;
  entriesChecked: number;
  intact: boolean;
  verifiedThrough: string;
  ms: number;
  entriesPerSec: number;
  /** Time inside Prisma's findMany (query, row mapping), the rest is hashing and the loop. */
  findManyMs: number;
  findManyCalls: number;
  cpuCores: number;
  memory: MemoryResult;
}

async function timedVerify(
  appUrl: string,
  fromSequence: bigint,
): Promise<{ result: VerifyResult; head: Verification }> {
  const prisma = createPrisma(appUrl);
  try {
    await prisma.$queryRaw`SELECT 1`; // connect outside the clock
    const timer = new CallTimer();
    const memory = new MemorySampler();
    memory.start();
    const cpu = cpuMeter();
    const started = now();
    const result = await verifyChain(instrumentPrisma(prisma, timer), { fromSequence });
    const ms = now() - started;
    const findMany = timer.get('auditEntry.findMany');
    return {
      result: {
        fromSequence: fromSequence.toString(),
        entriesChecked: result.entriesChecked,
        intact: result.intact,
        verifiedThrough: result.verifiedThrough.toString(),
        ms: Math.round(ms),
        entriesPerSec: rate(result.entriesChecked, ms),
        findManyMs: Math.round(findMany.ms),
        findManyCalls: findMany.count,
        cpuCores: cpu(),
        memory: memory.stop(),
      },
      head: result,
    };
  } finally {
    await prisma.$disconnect();
  }
}

interface ChainResult {
  database: string;
  chained: BulkResult;
  raw: BulkResult;
  vacuumMs: number;
  scan: ScanResult;
  scanAndHash: ScanResult;
  verifyFull: VerifyResult;
  verifyCheckpoint: VerifyResult;
  check: { rows: number; rawRows: number; headMatches: boolean };
}

async function runChain(
  adminUrl: string,
  entries: number,
  cleanup: Cleanup,
  signal: AbortSignal,
): Promise<ChainResult> {
  checkSealedLike();
  const db: TestDatabase = await createTestDatabase(MIGRATIONS);
  cleanup.add(`drop database ${db.database}`, () => db.drop());
  process.stderr.write(`  chain database ${db.database}\n`);
  const owner = createPool(db.migratorUrl, { max: 1, name: 'bench-migrator' });
  cleanup.add('migrator pool', () => owner.end());
  // The unchained copy: same columns, checks and indexes, without prev_hash, hash and hash's index.
  await owner.query(
    'CREATE TABLE bench_raw_entry (LIKE audit_entry INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)',
  );
  await owner.query('ALTER TABLE bench_raw_entry DROP COLUMN prev_hash, DROP COLUMN hash');
  await owner.query(
    `GRANT SELECT, INSERT ON bench_raw_entry TO ${pg.escapeIdentifier(`${db.database}_app`)}`,
  );
  const superuser = new pg.Client({ connectionString: adminUrl });
  await superuser.connect();
  cleanup.add('superuser client', () => superuser.end());
  const app = createPool(db.appUrl, { max: 1, name: 'bench-app' });
  cleanup.add('app pool', () => app.end());

  const tableMb = async (table: string) =>
    mb(
      Number(
        (await owner.query<{ n: string }>('SELECT pg_total_relation_size($1::regclass) AS n', [table]))
          .rows[0]?.n ?? 0,
      ),
    );

  // Each bulk insert starts after a checkpoint, so neither pays for the other's dirty pages.
  process.stderr.write(`chained bulk build: ${entries} entries...\n`);
  await superuser.query('CHECKPOINT');
  const built = await bulkInsert(app, 'audit_entry', entries, true, signal);
  const headHash = built.headHash;
  const chained = { ...built.result, tableMb: await tableMb('audit_entry') };
  process.stderr.write(`raw bulk insert: ${entries} rows...\n`);
  await superuser.query('CHECKPOINT');
  const rawBuild = await bulkInsert(app, 'bench_raw_entry', entries, false, signal);
  const raw = { ...rawBuild.result, tableMb: await tableMb('bench_raw_entry') };

  // A long-lived audit log is vacuumed (all-visible pages, hint bits set); a fresh bulk load is
  // not, and its first reader would pay for setting hint bits. Vacuum outside every clock.
  const vacuumStarted = now();
  await owner.query('VACUUM (ANALYZE) audit_entry');
  await owner.query('VACUUM (ANALYZE) bench_raw_entry');
  const vacuumMs = now() - vacuumStarted;
  const count = async (table: string) =>
    Number((await app.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? -1);
  const check = {
    rows: await count('audit_entry'),
    rawRows: await count('bench_raw_entry'),
    headMatches: false,
  };

  process.stderr.write(
    'verification: pg scan, pg scan + entryHash, verifyChain full and from a checkpoint...\n',
  );
  const scan = await pgScan(app, false, signal);
  const scanAndHash = await pgScan(app, true, signal);
  checkAborted(signal, 'verifying');
  const full = await timedVerify(db.appUrl, 1n);
  const verifyFull = full.result;
  check.headMatches = full.head.headHash === headHash;
  checkAborted(signal, 'verifying from a checkpoint');
  const tail = Math.min(CHECKPOINT_TAIL, entries);
  const verifyCheckpoint = (await timedVerify(db.appUrl, BigInt(entries - tail + 1))).result;

  return {
    database: db.database,
    chained,
    raw,
    vacuumMs: Math.round(vacuumMs),
    scan,
    scanAndHash,
    verifyFull,
    verifyCheckpoint,
    check,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport(
  environment: Record<string, string>,
  options: Options,
  ingest: IngestResult,
  chain: ChainResult,
): void {
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  const cores = (value: number) => value.toFixed(2);
  const v = chain.verifyFull;
  const rows: string[][] = [
    ['phase', 'entries', 'seconds', 'entries/s', 'bench CPU'],
    [
      'ingest: Kafka → chained insert (sustained, first → last append)',
      thousands(ingest.events),
      seconds(ingest.sustainedMs),
      thousands(ingest.sustainedEntriesPerSec),
      cores(ingest.cpuCores),
    ],
    [
      '  from startAuditConsumer() (connect, group join included)',
      thousands(ingest.events),
      seconds(ingest.fromStartMs),
      thousands(ingest.fromStartEntriesPerSec),
      '',
    ],
    [
      `chained bulk build: entryHash + INSERT (${thousands(INSERT_BATCH)} rows/stmt)`,
      thousands(chain.chained.rows),
      seconds(chain.chained.totalMs),
      thousands(chain.chained.entriesPerSec),
      cores(chain.chained.cpuCores),
    ],
    [
      '  of which hashing in Node',
      '',
      seconds(chain.chained.hashMs),
      thousands(rate(chain.chained.rows, chain.chained.hashMs)),
      '',
    ],
    [
      '  of which INSERT into audit_entry',
      '',
      seconds(chain.chained.insertMs),
      thousands(chain.chained.insertRowsPerSec),
      '',
    ],
    [
      'raw bulk INSERT, unchained copy of the table',
      thousands(chain.raw.rows),
      seconds(chain.raw.insertMs),
      thousands(chain.raw.insertRowsPerSec),
      cores(chain.raw.cpuCores),
    ],
    [
      `raw SELECT scan (pg, pages of ${thousands(SCAN_PAGE)})`,
      thousands(chain.scan.rows),
      seconds(chain.scan.ms),
      thousands(chain.scan.rowsPerSec),
      cores(chain.scan.cpuCores),
    ],
    [
      'pg scan + entryHash (verification without Prisma)',
      thousands(chain.scanAndHash.rows),
      seconds(chain.scanAndHash.ms),
      thousands(chain.scanAndHash.rowsPerSec),
      cores(chain.scanAndHash.cpuCores),
    ],
    [
      'verifyChain, full chain (Prisma, app role)',
      thousands(v.entriesChecked),
      seconds(v.ms),
      thousands(v.entriesPerSec),
      cores(v.cpuCores),
    ],
    [
      `  of which inside auditEntry.findMany (${v.findManyCalls} pages)`,
      '',
      seconds(v.findManyMs),
      thousands(rate(v.entriesChecked, v.findManyMs)),
      '',
    ],
    [
      `verifyChain from checkpoint ${chain.verifyCheckpoint.fromSequence}`,
      thousands(chain.verifyCheckpoint.entriesChecked),
      seconds(chain.verifyCheckpoint.ms),
      thousands(chain.verifyCheckpoint.entriesPerSec),
      cores(chain.verifyCheckpoint.cpuCores),
    ],
  ];
  const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('   ')
      .trimEnd();

  const out: string[] = [];
  out.push(
    `audit chain benchmark: ${thousands(options.ingest)} events through Kafka, a chain of ${thousands(options.entries)} entries`,
  );
  for (const [key, value] of Object.entries(environment)) out.push(`  ${key.padEnd(12)} ${value}`);
  out.push('');
  for (const row of rows) out.push(line(row));
  out.push('');
  out.push(
    `ingest: published in ${seconds(ingest.publishMs)} s (${thousands(ingest.publishEventsPerSec)} ev/s, before the consumer started); ` +
      `${ingest.transactions} transactions, avg ${ingest.transactionAvgMs} ms, ` +
      `${Math.round(ingest.transactionShare * 100)}% of the consumer's active time inside them`,
  );
  for (const [label, stat] of Object.entries(ingest.calls)) {
    out.push(
      `  ${label.padEnd(30)} ${String(stat.avgMs).padStart(7)} ms avg  ${String(stat.maxMs).padStart(7)} ms max  ${String(stat.totalMs).padStart(7)} ms total`,
    );
  }
  const c = chain.chained;
  out.push(
    `bulk: generating the fake rows took ${seconds(c.generateMs)} s (chained) and ${seconds(chain.raw.generateMs)} s (raw), in neither rate; ` +
      `table + indexes ${c.tableMb} MB chained, ${chain.raw.tableMb} MB raw; VACUUM ANALYZE ${seconds(chain.vacuumMs)} s (outside every clock)`,
  );
  const s = chain.scanAndHash;
  out.push(
    `verification split: pg scan+hash = ${seconds(s.readMs)} s reading + ${seconds(s.hashMs)} s hashing; ` +
      `verifyChain = ${seconds(v.findManyMs)} s in findMany + ${seconds(v.ms - v.findManyMs)} s hashing and loop`,
  );
  const quarters = (values: (number | null)[]) => values.map((value) => value ?? '-').join(' / ');
  const memoryLine = (name: string, m: MemoryResult) =>
    `  ${name.padEnd(24)} RSS ${m.startRssMb} → peak ${m.peakRssMb} MB (by quarter ${quarters(m.peakRssByQuarterMb)}); ` +
    `heap used peak ${m.peakHeapUsedMb} MB (by quarter ${quarters(m.peakHeapUsedByQuarterMb)})`;
  out.push('memory during verification (this process):');
  out.push(memoryLine('raw pg scan', chain.scan.memory));
  out.push(memoryLine('pg scan + entryHash', s.memory));
  out.push(memoryLine('verifyChain full', chain.verifyFull.memory));
  out.push(memoryLine('verifyChain checkpoint', chain.verifyCheckpoint.memory));
  const k = ingest.check;
  out.push(
    `check: ingest rows ${k.rows}, intact ${k.intact} (${k.entriesChecked} checked), dead-lettered ${k.deadLettered}, duplicates ${k.duplicates}; ` +
      `chain rows ${chain.check.rows}, raw rows ${chain.check.rawRows}, verifyChain intact ${v.intact} through ${v.verifiedThrough}, ` +
      `head matches the built one ${chain.check.headMatches}, pg re-hash intact ${String(s.intact)}, checkpoint intact ${chain.verifyCheckpoint.intact}`,
  );
  const clean =
    k.rows === options.ingest &&
    k.intact &&
    k.entriesChecked === options.ingest &&
    k.deadLettered === 0 &&
    chain.check.rows === options.entries &&
    chain.check.rawRows === options.entries &&
    v.intact &&
    v.entriesChecked === options.entries &&
    chain.check.headMatches &&
    s.intact === true &&
    chain.verifyCheckpoint.intact;
  if (!clean)
    out.push('warning: the checks above are not what a clean run gives; read the figures with care');
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------
// Main

async function run(options: Options, cleanup: Cleanup, signal: AbortSignal): Promise<void> {
  const { adminUrl, brokers } = infraEnv();
  await checkReachable('PostgreSQL', adminUrl);
  for (const broker of brokers) await checkReachable('Kafka', broker);
  const commit = revision();
  const loadAtStart = os.loadavg();
  const othersAtStart = await othersCpuShare(2_000);
  const prefix = `${randomName('bench')}.`;
  const log = createLogger({ service: 'bench', level: 'warn', stream: process.stderr });
  const kafka = createKafka({ clientId: 'bench-admin', brokers, log });
  const created = await ensureTopics(kafka, readTopicsManifest(TOPICS_MANIFEST), prefix);
  cleanup.add('delete topics and group', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (created.length > 0) await admin.deleteTopics({ topics: created, timeout: 10_000 });
      await admin.deleteGroups([prefix + GROUP_ID]).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  });

  const info = new pg.Client({ connectionString: adminUrl });
  await info.connect();
  let postgres: string;
  try {
    const settings = await info.query<{ v: string; s: string; b: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS s, current_setting('shared_buffers') AS b",
    );
    const row = settings.rows[0];
    postgres = `${row?.v ?? '?'} (synchronous_commit=${row?.s ?? '?'}, shared_buffers=${row?.b ?? '?'})`;
  } finally {
    await info.end();
  }

  const environment = {
    node: process.version,
    cpus: `${os.availableParallelism()} (${os.cpus()[0]?.model ?? 'unknown'}), ${mb(os.totalmem())} MB RAM`,
    broker: brokers.join(','),
    postgres,
    commit,
    topics: `${prefix}*`,
    'other load': `${Math.round(othersAtStart * 100)}% of all cores busy with other processes in the 2 s before the start (load avg ${loadAtStart.map((load) => load.toFixed(2)).join(' ')})`,
  };

  process.stderr.write(`ingest: ${options.ingest} events through Kafka and the audit consumer...\n`);
  const ingest = await runIngest(brokers, prefix, options.ingest, cleanup, signal);
  const chain = await runChain(adminUrl, options.entries, cleanup, signal);

  printReport(environment, options, ingest, chain);
  const summary = {
    entries: options.entries,
    ingest: options.ingest,
    env: {
      node: process.version,
      cpus: os.availableParallelism(),
      broker: brokers.join(','),
      postgres,
      commit,
      othersCpuShareAtStart: round(othersAtStart, 2),
      loadAvg1mAtStart: round(loadAtStart[0] ?? 0, 2),
    },
    ingestResult: ingest,
    chain,
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

function main(): Promise<number> {
  return runBench({
    argv: process.argv.slice(2),
    usage: USAGE,
    parse: parseArgs,
    run,
    // Signals reach this worker from the main thread (see supervise).
    onInterrupt(handler) {
      const onMessage = (message: { signal?: NodeJS.Signals }) => {
        if (message.signal) handler(message.signal);
      };
      parentPort?.on('message', onMessage);
      return () => parentPort?.off('message', onMessage);
    },
  });
}

/**
 * The benchmark runs in a worker thread and this, the main thread, only relays signals to it.
 * Hashing and Prisma's row mapping keep a thread busy for ~0.1 s per page, and under `npx tsx` a
 * Ctrl-C is answered by killing the process outright (leaving its databases and topics behind)
 * unless its main thread acknowledges the signal within 30 ms; an idle main thread always does.
 */
function supervise(): void {
  const worker = new Worker(__filename, { argv: process.argv.slice(2) });
  let relayed = false;
  // One Ctrl-C can arrive more than once (from the terminal and relayed by npx and tsx): the
  // first starts the cleanup, which is bounded in time, and the rest are ignored.
  const relay = (signal: NodeJS.Signals) => {
    if (!relayed) worker.postMessage({ signal });
    relayed = true;
  };
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  worker.on('error', (error) => {
    process.stderr.write(`benchmark crashed: ${String(error)}\n`);
    process.exitCode = 1;
  });
  worker.on('exit', (code) => process.exit(process.exitCode ?? code));
}

if (isMainThread) {
  supervise();
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`benchmark crashed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
