import type { Locale } from './template';

/**
 * A moment as the reader's locale writes it, in UTC and saying so: we do not know the reader's
 * time zone, and a time without one would be wrong for most of them.
 */
export function formatInstant(iso: string, locale: Locale): string {
  const text = new Intl.DateTimeFormat(locale, {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(new Date(iso));
  return `${text} UTC`;
}

const PLAN_LABELS = { free: 'Free', pro: 'Pro', team: 'Team' } as const;

export function planLabel(plan: keyof typeof PLAN_LABELS): string {
  return PLAN_LABELS[plan];
}
