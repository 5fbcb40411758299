// Helpers both benchmarks share: flags, the infrastructure's addresses, the machine's load,
// and cleanup that runs however a run ends.
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** How long cleanup may take before a run gives up on it. */
const CLEANUP_MS = 30_000;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected failure (timeout, signal, infrastructure down): the message says it all, no stack. */
export class BenchError extends Error {
  override name = 'BenchError';
}

export function positiveInteger(flag: string, value: string, max: number): number {
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  }
  const number = Number(value);
  if (number > max) throw new UsageError(`${flag} must be at most ${max}, got ${number}`);
  return number;
}

/** Reads .local/infra.env (written by scripts/infra.sh) for what the environment does not set. */
export function loadInfraEnv(): void {
  const file = path.join(__dirname, '..', '.local', 'infra.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined && process.env[match[1]] === undefined) {
      process.env[match[1]] = match[2];
    }
  }
}

/** Fails fast, with the fix in the message, when PostgreSQL or Kafka does not listen. */
export async function checkReachable(name: string, address: string): Promise<void> {
  const url = /^\w+:\/\//.test(address) ? new URL(address) : new URL(`tcp://${address}`);
  const port = Number(url.port);
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host: url.hostname, port, timeout: 3_000 });
    const fail = (reason: string) => {
      socket.destroy();
      reject(
        new BenchError(
          `${name} at ${url.hostname}:${port} is not reachable (${reason}): start it with \`bash scripts/infra.sh up\``,
        ),
      );
    };
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
  });
}

/**
 * Share of the machine's CPU time that other processes (Kafka, PostgreSQL, other work) used over
 * `ms`, this process's own use taken out: how much else competes for the cores.
 */
export async function othersCpuShare(ms: number): Promise<number> {
  const sample = () => {
    let idle = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      idle += times.idle;
      total += times.idle + times.user + times.nice + times.sys + times.irq;
    }
    const own = process.cpuUsage();
    return { idle, total, ownMs: (own.user + own.system) / 1000 };
  };
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  const total = after.total - before.total;
  if (total <= 0) return 0;
  const busy = total - (after.idle - before.idle);
  return Math.min(1, Math.max(0, (busy - (after.ownMs - before.ownMs)) / total));
}

/** Cleanup steps, run last-in first-out, each one allowed to fail without skipping the rest. */
export class Cleanup {
  private readonly steps: { name: string; fn: () => Promise<unknown> }[] = [];
  private readonly left = new Set<string>();

  add(name: string, fn: () => Promise<unknown>): void {
    this.steps.push({ name, fn });
    this.left.add(name);
  }

  async run(): Promise<void> {
    const all = (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.fn();
        } catch (error) {
          process.stderr.write(`cleanup: ${step.name} failed: ${String(error)}\n`);
        }
        this.left.delete(step.name);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLEANUP_MS);
    });
    const outcome = await Promise.race([all.then(() => 'done' as const), limit]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      process.stderr.write(
        `cleanup did not finish within ${CLEANUP_MS / 1000} s; left: ${[...this.left].join(', ')}\n`,
      );
    }
  }
}

/** The usual `onInterrupt` for runBench: Ctrl-C and SIGTERM on this process. */
export function onProcessSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A benchmark's main: parses its flags (usage errors exit 2), loads the infrastructure's
 * addresses, runs it under an overall timeout, stops it on an interruption, reports a failure
 * in one line, and always cleans up. Returns the exit code.
 */
export async function runBench<O extends { timeoutSeconds: number }>(bench: {
  argv: string[];
  usage: string;
  parse(argv: string[]): O | 'help';
  run(options: O, cleanup: Cleanup, signal: AbortSignal): Promise<void>;
  /** Calls `handler` on an interruption (Ctrl-C, SIGTERM); returns how to stop listening. */
  onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void;
}): Promise<number> {
  let options: O | 'help';
  try {
    options = bench.parse(bench.argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n${bench.usage}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${bench.usage}\n`);
    return 0;
  }
  loadInfraEnv();

  const cleanup = new Cleanup();
  const controller = new AbortController();
  const { timeoutSeconds } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new BenchError(
          `benchmark did not finish within ${String(timeoutSeconds)} s (--timeout-seconds); ` +
            'is Kafka or PostgreSQL overloaded or down? (bash scripts/infra.sh status)',
        ),
      );
    }, timeoutSeconds * 1000);
    stopListening = bench.onInterrupt((signal) => {
      controller.abort();
      reject(new BenchError(`interrupted by ${signal}`));
    });
  });
  const work = bench.run(options, cleanup, controller.signal);
  try {
    await Promise.race([work, stopped]);
    return 0;
  } catch (error) {
    const detail =
      error instanceof BenchError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`benchmark failed: ${detail}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
    controller.abort();
    stopListening?.();
    // After a timeout the run may still be inside a step (creating the database, joining a
    // group): let it settle, briefly, so what it creates is registered before cleaning up.
    await Promise.race([work.catch(() => undefined), sleep(10_000)]);
    process.stderr.write('cleaning up...\n');
    await cleanup.run();
  }
}

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * Runs `measure` for each variant in `rounds` rounds, alternating which goes first (A B, B A,
 * A B, ...), so that a change in the machine's other load during the run falls on both alike.
 */
export async function interleaved<V>(
  variants: readonly V[],
  rounds: number,
  measure: (variant: V, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) await measure(variant, round);
  }
}

export interface Compared {
  metric: string;
  unit: string;
  baseline: number;
  secured: number;
  /** A rate (more is better) rather than a time (less is better). */
  rate?: boolean;
}

/**
 * The extra cost of the secured stack, in %: for a time, secured ÷ baseline − 1; for a rate, the
 * time per operation likewise (baseline ÷ secured − 1). Negative means the secured run was faster,
 * which on a shared machine is noise.
 */
export function overheadPercent({
  baseline,
  secured,
  rate,
}: Pick<Compared, 'baseline' | 'secured' | 'rate'>): number {
  const ratio = rate ? baseline / secured : secured / baseline;
  return Number(((ratio - 1) * 100).toFixed(1));
}

/** The table of a comparison run: metric, baseline, secured, overhead %. */
export function comparisonTable(rows: Compared[]): string {
  const cells = [
    ['metric', 'baseline', 'secured', 'overhead'],
    ...rows.map((row) => {
      const digits = row.rate ? 1 : 2;
      const overhead = overheadPercent(row);
      return [
        row.metric,
        `${row.baseline.toFixed(digits)} ${row.unit}`,
        `${row.secured.toFixed(digits)} ${row.unit}`,
        `${overhead > 0 ? '+' : ''}${overhead.toFixed(1)} %`,
      ];
    }),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  '),
    )
    .join('\n');
}

/**
 * The same database over PostgreSQL's unix socket: no TLS, and no TCP either, so a comparison with
 * it is an upper bound of what TLS costs. pg_hba allows it for every role (scripts/postgres.sh);
 * only a user who may open the socket directory (.local/pg/run: the postgres user, or root) can.
 */
export function socketUrl(url: string): string {
  const parsed = new URL(url);
  const dir = process.env.PG_SOCKET_DIR ?? path.join(__dirname, '..', '.local', 'pg', 'run');
  return `postgres://${parsed.username}:${parsed.password}@${encodeURIComponent(dir)}:${parsed.port}${parsed.pathname}`;
}

/**
 * A comparison bench's command line: `--help`, `--secured-only`, `--plain-http` and the
 * flags of `limits`, each taking a positive integer up to its limit; anything else is a usage
 * error (exit 2).
 */
export function parseFlags<O extends { securedOnly: boolean; plainHttp: boolean }>(
  argv: string[],
  defaults: O,
  limits: Record<string, { key: keyof O; max: number }>,
): O | 'help' {
  const options: O = { ...defaults };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--secured-only') options.securedOnly = true;
    else if (flag === '--plain-http') options.plainHttp = true;
    else {
      const limit = limits[flag];
      if (!limit) throw new UsageError(`unknown flag ${flag}`);
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      i += 1;
      Object.assign(options, { [limit.key]: positiveInteger(flag, value, limit.max) });
    }
  }
  return options;
}
