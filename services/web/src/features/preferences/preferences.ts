import { useSyncExternalStore } from 'react';
import { z } from 'zod';

/**
 * How this person wants numbers and dates shown. The API has no profile field for these yet,
 * so they live in this browser's localStorage (docs/web.md): a new device starts from the
 * defaults below. Nothing here is secret or personal beyond a time zone.
 */
export const LOCALES = ['en-NZ', 'en-AU'] as const;
export const ENERGY_UNITS = ['kJ', 'kcal'] as const;

export type Locale = (typeof LOCALES)[number];
export type EnergyUnit = (typeof ENERGY_UNITS)[number];

export const preferencesSchema = z.object({
  locale: z.enum(LOCALES),
  energy: z.enum(ENERGY_UNITS),
  timeZone: z.string().min(1).max(64).refine(isTimeZone, 'Choose a time zone this browser knows.'),
});
export type Preferences = z.infer<typeof preferencesSchema>;

const KEY = 'tracking.preferences.v1';

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-NZ', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** en-AU for Australian browsers, en-NZ otherwise; kJ, as both countries' food labels use; the device's zone. */
export function defaultPreferences(): Preferences {
  const languages = typeof navigator === 'undefined' ? [] : navigator.languages;
  const locale: Locale = languages.some((language) => language.toLowerCase() === 'en-au') ? 'en-AU' : 'en-NZ';
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const fallback = locale === 'en-AU' ? 'Australia/Sydney' : 'Pacific/Auckland';
  return { locale, energy: 'kJ', timeZone: zone && isTimeZone(zone) ? zone : fallback };
}

let cached: Preferences | undefined;
const listeners = new Set<() => void>();

function read(): Preferences {
  if (cached) return cached;
  const defaults = defaultPreferences();
  try {
    const stored = preferencesSchema.partial().safeParse(JSON.parse(localStorage.getItem(KEY) ?? '{}'));
    cached = { ...defaults, ...(stored.success ? stored.data : {}) };
  } catch {
    cached = defaults;
  }
  return cached;
}

export function getPreferences(): Preferences {
  return read();
}

export function savePreferences(next: Preferences): void {
  cached = preferencesSchema.parse(next);
  try {
    localStorage.setItem(KEY, JSON.stringify(cached));
  } catch {
    // Private browsing may refuse storage: the choice still holds for this visit.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key !== KEY) return;
    cached = undefined;
    listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** The preferences, re-rendering when they change here or in another tab. */
export function usePreferences(): Preferences {
  return useSyncExternalStore(subscribe, read, read);
}
