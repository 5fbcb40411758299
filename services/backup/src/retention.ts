/**
 * Which backups to keep: grandfather-father-son over UTC calendar periods. For each of the
 * newest `daily` days that have a backup, the newest backup of that day is kept; likewise the
 * newest of each of the newest `weekly` ISO weeks and `monthly` months. On top of that, two
 * backups of a database are never deleted whatever the policy says: its newest backup, and its
 * last good one (the newest backup a restore drill proved). Everything else may go.
 */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

const PERIODS = ['daily', 'weekly', 'monthly'] as const;

/** `daily=7,weekly=4,monthly=12`; a period left out keeps none of its own. */
export function parseRetention(text: string): RetentionPolicy {
  const policy: RetentionPolicy = { daily: 0, weekly: 0, monthly: 0 };
  const seen = new Set<string>();
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(daily|weekly|monthly)=(\d{1,4})$/.exec(entry);
    const period = match?.[1] as (typeof PERIODS)[number] | undefined;
    if (!match || !period || seen.has(period)) {
      throw new Error('must be like daily=7,weekly=4,monthly=12 (each period at most once)');
    }
    seen.add(period);
    policy[period] = Number(match[2]);
  }
  if (policy.daily + policy.weekly + policy.monthly === 0) throw new Error('must keep at least one backup');
  return policy;
}

export interface RetentionCandidate {
  backupId: string;
  finishedAt: Date;
}

export type KeepReason = 'newest' | 'last-good' | 'daily' | 'weekly' | 'monthly';

export interface RetentionDecision {
  /** Each kept backup with why. */
  keep: Map<string, KeepReason[]>;
  /** Backup ids to delete, oldest first. */
  remove: string[];
}

/**
 * The decision for one database's backups. `lastGood` is the newest backup that a drill
 * restored and verified, if any; it is kept even if older than everything the periods keep.
 */
export function decideRetention(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  lastGood?: string,
): RetentionDecision {
  const newestFirst = [...backups].sort(
    (a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || b.backupId.localeCompare(a.backupId),
  );
  const keep = new Map<string, KeepReason[]>();
  const mark = (id: string, reason: KeepReason) => keep.set(id, [...(keep.get(id) ?? []), reason]);
  const newest = newestFirst[0];
  if (newest) mark(newest.backupId, 'newest');
  if (lastGood && backups.some((backup) => backup.backupId === lastGood)) mark(lastGood, 'last-good');
  for (const period of PERIODS) {
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      if (seen.size >= policy[period]) break;
      const key = periodKey(period, backup.finishedAt);
      if (seen.has(key)) continue;
      seen.add(key);
      mark(backup.backupId, period);
    }
  }
  const remove = newestFirst
    .filter((backup) => !keep.has(backup.backupId))
    .map((backup) => backup.backupId)
    .reverse();
  return { keep, remove };
}

function periodKey(period: (typeof PERIODS)[number], at: Date): string {
  if (period === 'daily') return at.toISOString().slice(0, 10);
  if (period === 'monthly') return at.toISOString().slice(0, 7);
  return isoWeek(at);
}

/** ISO 8601 week, e.g. 2026-W01: weeks start on Monday, and week 1 holds the year's first Thursday. */
export function isoWeek(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week names its year
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
