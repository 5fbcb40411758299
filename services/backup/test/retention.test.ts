import { decideRetention, isoWeek, parseRetention, type RetentionCandidate } from '../src/retention';

/** One backup a day at 02:00 UTC, for `days` days ending on `last`. */
function daily(days: number, last = '2026-06-30'): RetentionCandidate[] {
  const end = Date.parse(`${last}T02:00:00Z`);
  return Array.from({ length: days }, (_, index) => {
    const finishedAt = new Date(end - index * 86_400_000);
    return { backupId: finishedAt.toISOString().slice(0, 10), finishedAt };
  });
}

describe('retention', () => {
  test('parses the documented policy, and refuses anything else', () => {
    expect(parseRetention('daily=7,weekly=4,monthly=12')).toEqual({ daily: 7, weekly: 4, monthly: 12 });
    expect(parseRetention('daily=3')).toEqual({ daily: 3, weekly: 0, monthly: 0 });
    for (const bad of ['', 'daily=0', 'hourly=3', 'daily=7,daily=3', 'daily=-1', 'daily=x']) {
      expect(() => parseRetention(bad)).toThrow(/daily=7|at least one/);
    }
  });

  test('ISO weeks start on Monday and the first holds the first Thursday', () => {
    expect(isoWeek(new Date('2026-01-01T00:00:00Z'))).toBe('2026-W01'); // a Thursday
    expect(isoWeek(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01'); // its Monday
    expect(isoWeek(new Date('2025-12-28T23:59:59Z'))).toBe('2025-W52'); // the Sunday before
    expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
  });

  test('keeps the newest backup of each of the last 7 days, 4 weeks and 12 months, and deletes the rest', () => {
    const backups = daily(400);
    const { keep, remove } = decideRetention(backups, { daily: 7, weekly: 4, monthly: 12 });
    const kept = [...keep.keys()].sort();
    // 7 days (Jun 24-30); the newest of 4 ISO weeks (Tuesday Jun 30, Sundays Jun 28, 21 and 14);
    // and the newest of 12 months (Jun 30, May 31, ..., Jul 31 2025).
    expect(kept).toEqual(
      [
        ...['24', '25', '26', '27', '28', '29', '30'].map((day) => `2026-06-${day}`),
        '2026-06-21',
        '2026-06-14',
        ...['2026-05-31', '2026-04-30', '2026-03-31', '2026-02-28', '2026-01-31'],
        ...['2025-12-31', '2025-11-30', '2025-10-31', '2025-09-30', '2025-08-31', '2025-07-31'],
      ].sort(),
    );
    expect(keep.get('2026-06-30')).toEqual(['newest', 'daily', 'weekly', 'monthly']);
    expect(remove).toHaveLength(400 - kept.length);
    expect(remove[0]).toBe(backups.at(-1)?.backupId);
    expect(new Set([...remove, ...kept]).size).toBe(400);
  });

  test('never deletes the last good backup, however old, nor the newest', () => {
    const backups = daily(60);
    const lastGood = '2026-05-10';
    const { keep, remove } = decideRetention(backups, { daily: 1, weekly: 0, monthly: 0 }, lastGood);
    expect([...keep.keys()].sort()).toEqual(['2026-05-10', '2026-06-30']);
    expect(keep.get(lastGood)).toEqual(['last-good']);
    expect(remove).not.toContain(lastGood);
    expect(remove).toHaveLength(58);
  });

  test('several backups on one day count as one day, and the newest of them is kept', () => {
    const day = (hour: number) => ({
      backupId: `b${hour}`,
      finishedAt: new Date(`2026-06-30T${String(hour).padStart(2, '0')}:00:00Z`),
    });
    const { keep, remove } = decideRetention([day(1), day(9), day(5)], { daily: 1, weekly: 0, monthly: 0 });
    expect([...keep.keys()]).toEqual(['b9']);
    expect(remove).toEqual(['b1', 'b5']);
  });

  test('a lone backup is always kept, and nothing is kept for a database without backups', () => {
    const [only] = daily(1);
    if (!only) throw new Error('one backup');
    expect(decideRetention([only], { daily: 1, weekly: 0, monthly: 0 }).remove).toEqual([]);
    expect(decideRetention([], { daily: 1, weekly: 0, monthly: 0 })).toEqual({ keep: new Map(), remove: [] });
  });
});
