import { z } from 'zod';

import { mealBodySchema } from './api/meal-input';

/**
 * Meals not yet confirmed by the server, kept in this browser's localStorage so a dropped
 * connection, a closed tab or an expired session never loses one. Each carries the
 * Idempotency-Key it is sent with, every time: the API logs a key once (docs/tracking.md), so
 * a retry of a request whose answer was lost never logs the meal twice.
 *
 * One list per account, so a meal waits for the person who wrote it on a shared device.
 */
const entrySchema = z.object({
  key: z.uuid(),
  body: mealBodySchema,
  queuedAt: z.iso.datetime(),
  attempts: z.number().int().min(0),
  /** Set when the server refused it (a 4xx other than 401/429): kept for the person to copy, never resent. */
  refused: z.string().optional(),
});
export type QueuedMeal = z.infer<typeof entrySchema>;

const listSchema = z.array(entrySchema);
const storageKey = (userId: string) => `tracking.meal-outbox.v1.${userId}`;

const listeners = new Set<() => void>();
const snapshots = new Map<string, QueuedMeal[]>();

export function queuedMeals(userId: string): QueuedMeal[] {
  const cached = snapshots.get(userId);
  if (cached) return cached;
  let list: QueuedMeal[] = [];
  try {
    const parsed = listSchema.safeParse(JSON.parse(localStorage.getItem(storageKey(userId)) ?? '[]'));
    if (parsed.success) list = parsed.data;
  } catch {
    list = [];
  }
  snapshots.set(userId, list);
  return list;
}

function write(userId: string, list: QueuedMeal[]): void {
  snapshots.set(userId, list);
  try {
    if (list.length === 0) localStorage.removeItem(storageKey(userId));
    else localStorage.setItem(storageKey(userId), JSON.stringify(list));
  } catch {
    // Storage full or refused: the list still holds in memory for this visit.
  }
  for (const listener of listeners) listener();
}

export function enqueueMeal(userId: string, entry: QueuedMeal): void {
  write(userId, [...queuedMeals(userId).filter((meal) => meal.key !== entry.key), entry]);
}

export function updateQueuedMeal(userId: string, key: string, change: Partial<QueuedMeal>): void {
  write(
    userId,
    queuedMeals(userId).map((meal) => (meal.key === key ? { ...meal, ...change } : meal)),
  );
}

export function dropQueuedMeal(userId: string, key: string): void {
  write(
    userId,
    queuedMeals(userId).filter((meal) => meal.key !== key),
  );
}

export function subscribeToOutbox(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (!event.key?.startsWith('tracking.meal-outbox.')) return;
    snapshots.clear();
    listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}
