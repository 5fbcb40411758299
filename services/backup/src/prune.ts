import { configuredDatabases, describe, listManifests } from './backups';
import type { Deps } from './deps';
import { drillRecordSchema, idOfKey, layout, type Manifest } from './manifest';
import { decideRetention } from './retention';

/** Objects without a manifest younger than this may belong to a backup still running. */
const ORPHAN_GRACE_MS = 24 * 3_600_000;

export interface PruneOutcome {
  database: string;
  kept: string[];
  removed: string[];
  error?: string;
}

/**
 * Applies BACKUP_RETENTION to each database's backups (retention.ts decides; it never picks the
 * newest backup or the last one a drill proved). A manifest goes before its object, so a crash
 * between the two leaves an unlisted object rather than a listed backup with nothing behind it;
 * such objects, and configuration no kept backup refers to, are removed a day later. In a bucket
 * with versioning or object lock, a delete hides the current version; the lock's retention and the
 * bucket's lifecycle rules decide when the bytes go (docs/backup.md).
 */
export async function prune(deps: Deps, requested: readonly string[] = []): Promise<PruneOutcome[]> {
  const outcomes: PruneOutcome[] = [];
  const keptConfigRuns = new Set<string>();
  let everyDatabaseListed = true;
  const databases = configuredDatabases(deps.sources, requested);
  for (const database of databases) {
    try {
      const manifests = await listManifests(deps, database);
      const decision = decideRetention(
        manifests.map((manifest) => ({
          backupId: manifest.backupId,
          finishedAt: new Date(manifest.finishedAt),
        })),
        deps.config.BACKUP_RETENTION,
        await lastGoodBackup(deps, database),
      );
      const byId = new Map<string, Manifest>(manifests.map((manifest) => [manifest.backupId, manifest]));
      for (const id of decision.remove) {
        const manifest = byId.get(id);
        await deps.store.remove(deps.store.key(layout.manifest(database, id)));
        if (manifest) await deps.store.remove(manifest.object.key);
      }
      for (const id of decision.keep.keys()) {
        const runId = byId.get(id)?.config.runId;
        if (runId) keptConfigRuns.add(runId);
      }
      await pruneDrillRecords(deps, database, [...decision.keep.keys()].sort()[0]);
      const listed = new Set(manifests.map((manifest) => manifest.backupId));
      for (const key of await deps.store.list(deps.store.key(layout.backups(database)))) {
        const id = idOfKey(key);
        if (!listed.has(id) && isOlderThanGrace(id)) await deps.store.remove(key);
      }
      deps.log.info(
        { event: 'backup.pruned', database, kept: decision.keep.size, removed: decision.remove.length },
        'retention applied',
      );
      outcomes.push({ database, kept: [...decision.keep.keys()], removed: decision.remove });
    } catch (error) {
      everyDatabaseListed = false;
      outcomes.push({ database, kept: [], removed: [], error: describe(error) });
    }
  }
  // Configuration is shared by every database of a run: only when all of them were looked at.
  if (everyDatabaseListed && requested.length === 0) {
    for (const key of await deps.store.list(deps.store.key(layout.configs()))) {
      const runId = key.slice(deps.store.key(layout.configs()).length).split('/')[0] ?? '';
      if (!keptConfigRuns.has(runId) && isOlderThanGrace(runId)) await deps.store.remove(key);
    }
  }
  return outcomes;
}

/**
 * Drill records older than every kept backup (ids sort by time) go, except the newest record and
 * the newest passing one, which the metrics and the "last good" rule read.
 */
async function pruneDrillRecords(
  deps: Deps,
  database: string,
  oldestKept: string | undefined,
): Promise<void> {
  if (!oldestKept) return;
  const keys = await deps.store.list(deps.store.key(layout.drills(database)));
  const keep = new Set([keys.at(-1)]);
  for (const key of [...keys].reverse()) {
    if ((await deps.store.getJson(key, drillRecordSchema))?.ok) {
      keep.add(key);
      break;
    }
  }
  for (const key of keys) {
    const id = idOfKey(key);
    if (!keep.has(key) && id < oldestKept && isOlderThanGrace(id)) await deps.store.remove(key);
  }
}

/** The newest backup a drill restored and verified. */
async function lastGoodBackup(deps: Deps, database: string): Promise<string | undefined> {
  const keys = (await deps.store.list(deps.store.key(layout.drills(database)))).reverse();
  for (const key of keys) {
    const record = await deps.store.getJson(key, drillRecordSchema);
    if (record?.ok && record.backupId) return record.backupId;
  }
  return undefined;
}

function isOlderThanGrace(id: string): boolean {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(id);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, ms] = match.map(Number);
  const at = Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second, ms);
  return Date.now() - at > ORPHAN_GRACE_MS;
}
