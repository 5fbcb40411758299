// The backup service's command line, which the CronJobs run (docs/backup.md, "Command line"):
//
//   cli.ts backup  [--db NAME ...]                 back up the named databases (default: all)
//   cli.ts drill   [--db NAME ...]                 restore drill of each one's newest backup
//   cli.ts restore --db NAME --backup ID --target DBNAME [--role ROLE]
//                                                  verify, then restore into an empty database,
//                                                  connecting with BACKUP_RESTORE_URL
//   cli.ts verify  --db NAME --backup ID           the verification pass only
//   cli.ts list    [--db NAME]                     backups from their manifests, newest first
//   cli.ts prune   [--db NAME ...]                 apply BACKUP_RETENTION
//
// Results go to stdout, one line each (or JSON with --json); logs go to stderr. Exit codes: 0
// when everything asked for succeeded, 1 when anything failed (the last stderr line says what),
// 2 for a usage or configuration error.
import { telemetry } from './instrumentation';

import {
  createKafka,
  kafkaConnection,
  createLogger,
  createMetrics,
  createProducer,
  OutboxRelay,
  type Logger,
} from '@tracking/kit';

import {
  configuredDatabases,
  describe,
  findManifest,
  listManifests,
  restoreBackup,
  runBackups,
  verifyObject,
} from './backups';
import { readConfig, type Config } from './config';
import { createDeps, type Deps } from './deps';
import { reapplyLedger } from './erasure-ledger';
import { runDrills } from './drill';
import { DATABASE_NAME, ID_PATTERN } from './manifest';
import { withDatabase } from './postgres';
import { prune } from './prune';

const USAGE = `usage: cli.ts <command> [options]
  backup  [--db NAME ...]
  drill   [--db NAME ...]
  restore --db NAME --backup ID --target DBNAME [--role ROLE]
  verify  --db NAME --backup ID
  list    [--db NAME]
  prune   [--db NAME ...]
options: --json (results as JSON lines)`;

class UsageError extends Error {}

interface Args {
  command: 'backup' | 'drill' | 'restore' | 'verify' | 'list' | 'prune';
  databases: string[];
  backup?: string;
  target?: string;
  role?: string;
  json: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (!command || !['backup', 'drill', 'restore', 'verify', 'list', 'prune'].includes(command)) {
    throw new UsageError(command ? `unknown command ${command}` : 'name a command');
  }
  const args: Args = { command: command as Args['command'], databases: [], json: false };
  for (let index = 0; index < rest.length; index++) {
    const flag = rest[index];
    if (flag === '--json') {
      args.json = true;
      continue;
    }
    const value = rest[index + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${String(flag)} needs a value`);
    index++;
    if (flag === '--db') {
      if (!DATABASE_NAME.test(value)) throw new UsageError(`--db ${value} is not a database name`);
      args.databases.push(value);
    } else if (flag === '--backup') {
      if (!ID_PATTERN.test(value)) throw new UsageError(`--backup ${value} is not a backup id`);
      args.backup = value;
    } else if (flag === '--target') {
      if (!DATABASE_NAME.test(value)) throw new UsageError(`--target ${value} is not a database name`);
      args.target = value;
    } else if (flag === '--role') {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new UsageError(`--role ${value} is not a role name`);
      args.role = value;
    } else {
      throw new UsageError(`unknown option ${String(flag)}`);
    }
  }
  const single = args.command === 'restore' || args.command === 'verify';
  if (single && (args.databases.length !== 1 || !args.backup)) {
    throw new UsageError(`${args.command} needs --db NAME and --backup ID`);
  }
  if (args.command === 'restore' && !args.target) throw new UsageError('restore needs --target DBNAME');
  if (args.command === 'list' && args.databases.length > 1)
    throw new UsageError('list takes at most one --db');
  return args;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Publishes this run's events now if Kafka answers; otherwise the service's relay will. */
async function flushEvents(config: Config, deps: Deps, log: Logger, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0 || config.BACKUP_EVENTS_FLUSH_MS === 0) return;
  const kafka = createKafka({ clientId: 'backup-cli', ...kafkaConnection(config), log });
  const producer = createProducer(kafka);
  const relay = new OutboxRelay({
    pool: deps.pool,
    producer,
    log,
    metrics: createMetrics(),
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    pollIntervalMs: 200,
  });
  const deadline = Date.now() + config.BACKUP_EVENTS_FLUSH_MS;
  try {
    // A Kafka that does not answer must not hold the CronJob past the deadline.
    const connected = await Promise.race([
      producer.connect().then(() => true),
      new Promise<false>((resolve) =>
        setTimeout(() => resolve(false), config.BACKUP_EVENTS_FLUSH_MS).unref(),
      ),
    ]);
    if (!connected) throw new Error('Kafka did not answer in time');
    await relay.start();
    for (;;) {
      const { rows } = await deps.pool.query<{ unsent: string }>(
        'SELECT count(*) AS unsent FROM outbox WHERE event_id = ANY($1::uuid[]) AND sent_at IS NULL',
        [eventIds],
      );
      if (Number(rows[0]?.unsent ?? 0) === 0) return;
      if (Date.now() > deadline) {
        log.warn(
          { event: 'backup.events.pending' },
          'events not yet published; the service relay will send them',
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    log.warn({ err: describe(error) }, 'events not published now; the service relay will send them');
  } finally {
    // A batch stuck in Kafka's retries is abandoned (its transaction rolls back when the process
    // exits, and the rows stay for the service's relay) rather than waited for.
    const stopped = Promise.all([relay.stop(), producer.disconnect()]).catch(() => undefined);
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
}

async function run(args: Args, config: Config, log: Logger): Promise<boolean> {
  const deps = createDeps(config, log);
  const print = (line: string, json: unknown) => {
    process.stdout.write(`${args.json ? JSON.stringify(json) : line}\n`);
  };
  try {
    switch (args.command) {
      case 'backup': {
        const outcomes = await runBackups(deps, args.databases);
        for (const outcome of outcomes) {
          if (outcome.ok) {
            const seconds =
              (Date.parse(outcome.manifest.finishedAt) - Date.parse(outcome.manifest.startedAt)) / 1000;
            print(
              `backup ${outcome.database}: ok ${outcome.manifest.backupId} (${mb(outcome.manifest.object.ciphertextBytes)}, ${seconds.toFixed(1)} s)`,
              { database: outcome.database, ok: true, manifest: outcome.manifest },
            );
          } else {
            print(`backup ${outcome.database}: FAILED: ${outcome.error}`, {
              database: outcome.database,
              ok: false,
              error: outcome.error,
            });
          }
        }
        await flushEvents(
          config,
          deps,
          log,
          outcomes.flatMap((outcome) => outcome.events),
        );
        return report(
          outcomes.flatMap((outcome) => (outcome.ok ? [] : [`${outcome.database}: ${outcome.error}`])),
        );
      }
      case 'drill': {
        const outcomes = await runDrills(deps, args.databases);
        for (const record of outcomes) {
          print(
            record.ok
              ? `drill ${record.database}: ok, backup ${String(record.backupId)} restored and verified; RTO ${record.rtoSeconds.toFixed(1)} s, RPO ${String(record.rpoSeconds?.toFixed(0))} s`
              : `drill ${record.database}: FAILED: ${record.error ?? 'a check failed'}`,
            record,
          );
        }
        await flushEvents(
          config,
          deps,
          log,
          outcomes.flatMap((outcome) => outcome.events),
        );
        return report(
          outcomes
            .filter((outcome) => !outcome.ok)
            .map((outcome) => `${outcome.database}: ${outcome.error ?? ''}`),
        );
      }
      case 'restore': {
        const [database] = args.databases;
        if (!database || !args.backup || !args.target)
          throw new UsageError('restore needs --db, --backup and --target');
        if (!config.BACKUP_RESTORE_URL) {
          throw new UsageError(
            "set BACKUP_RESTORE_URL to the target service's migration role connection URL",
          );
        }
        const manifest = await findManifest(deps, database, args.backup);
        // Read first: without the whole erasure ledger nothing is restored.
        await deps.ledger.read();
        const target = withDatabase(config.BACKUP_RESTORE_URL, args.target);
        await restoreBackup(deps, manifest, { url: target, role: args.role });
        let reapplied;
        try {
          // Read again: an erasure may have started while the backup streamed in.
          reapplied = await reapplyLedger(target, await deps.ledger.read());
        } catch (error) {
          throw new Error(
            `${describe(error)}; database ${args.target} was restored but may hold erased people: drop it, do not use it`,
            { cause: error },
          );
        }
        print(
          `restore ${database}: backup ${manifest.backupId} verified and restored into ${args.target}; ${
            reapplied.defined
              ? `${reapplied.entries} erasures re-applied from the ledger`
              : 'no privacy_erase_subject there, no erasures to re-apply'
          }`,
          {
            database,
            backupId: manifest.backupId,
            target: args.target,
            erasuresReapplied: reapplied.entries,
            ok: true,
          },
        );
        return true;
      }
      case 'verify': {
        const [database] = args.databases;
        if (!database || !args.backup) throw new UsageError('verify needs --db and --backup');
        const manifest = await findManifest(deps, database, args.backup);
        await verifyObject(deps, manifest);
        print(`verify ${database}: backup ${manifest.backupId} intact (SHA-256 and every chunk)`, {
          database,
          backupId: manifest.backupId,
          ok: true,
        });
        return true;
      }
      case 'list': {
        for (const database of configuredDatabases(deps.sources, args.databases)) {
          const manifests = await listManifests(deps, database);
          for (const manifest of manifests.reverse()) {
            print(
              `${manifest.database}\t${manifest.backupId}\t${manifest.finishedAt}\t${mb(manifest.object.ciphertextBytes)}\tkey ${manifest.encryption.keyId}`,
              manifest,
            );
          }
        }
        return true;
      }
      case 'prune': {
        const outcomes = await prune(deps, args.databases);
        for (const outcome of outcomes) {
          print(
            outcome.error
              ? `prune ${outcome.database}: FAILED: ${outcome.error}`
              : `prune ${outcome.database}: kept ${outcome.kept.length}, removed ${outcome.removed.length}`,
            outcome,
          );
        }
        return report(
          outcomes
            .filter((outcome) => outcome.error)
            .map((outcome) => `${outcome.database}: ${outcome.error ?? ''}`),
        );
      }
    }
  } finally {
    await deps.close();
  }
}

/** The one-line summary of what failed, last on stderr. */
function report(failures: string[]): boolean {
  if (failures.length > 0) process.stderr.write(`backup: failed: ${failures.join('; ')}\n`);
  return failures.length === 0;
}

async function main(): Promise<number> {
  let args: Args;
  let config: Config;
  try {
    args = parseArgs(process.argv.slice(2));
    config = readConfig();
  } catch (error) {
    process.stderr.write(`backup: ${describe(error)}${error instanceof UsageError ? `\n${USAGE}` : ''}\n`);
    return 2;
  }
  const log = createLogger({
    service: 'backup',
    level: config.LOG_LEVEL,
    file: config.LOG_FILE,
    stream: config.LOG_FILE ? undefined : process.stderr,
  });
  try {
    return (await run(args, config, log)) ? 0 : 1;
  } catch (error) {
    process.stderr.write(`backup: ${describe(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await telemetry.shutdown().catch(() => undefined);
    await new Promise<void>((resolve) => {
      log.flush(() => {
        resolve();
      });
    });
  }
}

void main().then((code) => process.exit(code));
