import type { EnergyUnit, Preferences } from './preferences';

/**
 * Numbers and dates as this person reads them: their locale, their energy unit, their time
 * zone. Every screen formats through here, so a kJ preference or a time zone applies everywhere.
 */
export const KJ_PER_KCAL = 4.184;

export function energyValue(kcal: number, unit: EnergyUnit): number {
  return unit === 'kJ' ? Math.round(kcal * KJ_PER_KCAL) : Math.round(kcal);
}

export function formatEnergy(kcal: number, prefs: Pick<Preferences, 'locale' | 'energy'>): string {
  const value = new Intl.NumberFormat(prefs.locale, { maximumFractionDigits: 0 }).format(
    energyValue(kcal, prefs.energy),
  );
  return `${value} ${prefs.energy}`;
}

export function formatGrams(grams: number, prefs: Pick<Preferences, 'locale'>): string {
  return `${new Intl.NumberFormat(prefs.locale, { maximumFractionDigits: 0 }).format(grams)} g`;
}

export function formatKg(kg: number, prefs: Pick<Preferences, 'locale'>): string {
  return `${new Intl.NumberFormat(prefs.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(kg)} kg`;
}

export function formatNumber(value: number, prefs: Pick<Preferences, 'locale'>, digits = 0): string {
  return new Intl.NumberFormat(prefs.locale, { maximumFractionDigits: digits }).format(value);
}

type When = string | Date;
const asDate = (when: When) => (typeof when === 'string' ? new Date(when) : when);

/** 7:30 pm */
export function formatTime(when: When, prefs: Pick<Preferences, 'locale' | 'timeZone'>): string {
  return new Intl.DateTimeFormat(prefs.locale, { timeZone: prefs.timeZone, timeStyle: 'short' }).format(
    asDate(when),
  );
}

/** Monday, 7 December 2026 */
export function formatDay(when: When, prefs: Pick<Preferences, 'locale' | 'timeZone'>): string {
  return new Intl.DateTimeFormat(prefs.locale, { timeZone: prefs.timeZone, dateStyle: 'full' }).format(
    asDate(when),
  );
}

/** 7 Dec */
export function formatShortDay(when: When, prefs: Pick<Preferences, 'locale' | 'timeZone'>): string {
  return new Intl.DateTimeFormat(prefs.locale, {
    timeZone: prefs.timeZone,
    day: 'numeric',
    month: 'short',
  }).format(asDate(when));
}

/** 7 Dec 2026, 7:30 pm */
export function formatDateTime(when: When, prefs: Pick<Preferences, 'locale' | 'timeZone'>): string {
  return new Intl.DateTimeFormat(prefs.locale, {
    timeZone: prefs.timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(asDate(when));
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function partsIn(instant: Date, timeZone: string): Parts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** How far `timeZone` is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: Date, timeZone: string): number {
  const p = partsIn(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (instant.getTime() - instant.getMilliseconds());
}

/** The instant a wall-clock time in `timeZone` names (the later one in a DST overlap). */
export function zonedInstant(
  wall: { year: number; month: number; day: number; hour?: number; minute?: number },
  timeZone: string,
): Date {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour ?? 0, wall.minute ?? 0);
  const first = guess - offsetAt(new Date(guess), timeZone);
  return new Date(guess - offsetAt(new Date(first), timeZone));
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The local calendar day of `instant` in `timeZone`, as YYYY-MM-DD. */
export function localDay(instant: Date, timeZone: string): string {
  const p = partsIn(instant, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

function splitDay(day: string): { year: number; month: number; day: number } {
  const [year, month, date] = day.split('-').map(Number);
  return { year: year ?? 1970, month: month ?? 1, day: date ?? 1 };
}

/** The start and end instants of a local day (23 or 25 hours long on a DST change). */
export function dayBounds(day: string, timeZone: string): { from: Date; to: Date } {
  const start = splitDay(day);
  const next = new Date(Date.UTC(start.year, start.month - 1, start.day + 1));
  return {
    from: zonedInstant(start, timeZone),
    to: zonedInstant(
      { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() },
      timeZone,
    ),
  };
}

/** `day` moved by `days` calendar days. */
export function addDays(day: string, days: number): string {
  const start = splitDay(day);
  const moved = new Date(Date.UTC(start.year, start.month - 1, start.day + days));
  return moved.toISOString().slice(0, 10);
}

/** An <input type="datetime-local"> value (YYYY-MM-DDTHH:mm) for `instant` in `timeZone`. */
export function toLocalInput(instant: Date, timeZone: string): string {
  const p = partsIn(instant, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** The instant a datetime-local value names in `timeZone`, or undefined if it is not one. */
export function fromLocalInput(value: string, timeZone: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match.map(Number);
  return zonedInstant(
    { year: year ?? 0, month: month ?? 0, day: day ?? 0, hour: hour ?? 0, minute: minute ?? 0 },
    timeZone,
  );
}
