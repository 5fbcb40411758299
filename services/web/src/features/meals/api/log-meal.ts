import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useSyncExternalStore } from 'react';

import { ApiError, api, NetworkError, unwrap } from '../../../lib/api-client';
import {
  dropQueuedMeal,
  enqueueMeal,
  queuedMeals,
  subscribeToOutbox,
  updateQueuedMeal,
  type QueuedMeal,
} from '../outbox';
import { mealKeys } from './keys';
import { mealBodySchema, type Meal, type MealBody } from './meal-input';

export const logMealInputSchema = mealBodySchema;

/**
 * Logs a meal. The same `idempotencyKey` on a retry returns the meal the first request logged,
 * so a request whose answer was lost can always be sent again.
 */
export function logMeal(body: MealBody, idempotencyKey: string) {
  return unwrap(
    api.POST('/api/v1/me/meals', {
      body: logMealInputSchema.parse(body),
      params: { header: { 'Idempotency-Key': idempotencyKey } },
    }),
  );
}

/** Whether sending again later may work: no connection, a server fault, a rate limit, an ended session. */
export function worthRetrying(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof ApiError && (error.status >= 500 || error.status === 401 || error.status === 429);
}

async function send(userId: string, entry: QueuedMeal): Promise<Meal> {
  try {
    const meal = await logMeal(entry.body, entry.key);
    dropQueuedMeal(userId, entry.key);
    return meal;
  } catch (error) {
    if (worthRetrying(error)) updateQueuedMeal(userId, entry.key, { attempts: entry.attempts + 1 });
    else
      updateQueuedMeal(userId, entry.key, {
        refused: error instanceof Error ? error.message : 'The server refused this meal.',
      });
    throw error;
  }
}

export type LogMealResult = { status: 'logged'; meal: Meal } | { status: 'queued'; entry: QueuedMeal };

/**
 * Logs a meal from the form. It is written to this device's outbox before it is sent, so a
 * failed send keeps it ('queued') for the outbox to send again with the same key. A refusal
 * (a 4xx) throws for the form to show, and the form keeps the text.
 */
export function useLogMeal(userId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: MealBody): Promise<LogMealResult> => {
      const entry: QueuedMeal = {
        key: crypto.randomUUID(),
        body: logMealInputSchema.parse(body),
        queuedAt: new Date().toISOString(),
        attempts: 0,
      };
      enqueueMeal(userId, entry);
      try {
        return { status: 'logged', meal: await send(userId, entry) };
      } catch (error) {
        if (worthRetrying(error)) return { status: 'queued', entry };
        dropQueuedMeal(userId, entry.key);
        throw error;
      }
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: mealKeys.all }),
  });
}

const OUTBOX_RETRY_MS = 10_000;
let flushing = false;

/**
 * The meals waiting on this device, sent again with their keys when the browser comes back
 * online, every few seconds while any wait, and on `flush()`.
 */
export function useMealOutbox(userId: string) {
  const queryClient = useQueryClient();
  const queued = useSyncExternalStore(
    subscribeToOutbox,
    () => queuedMeals(userId),
    () => queuedMeals(userId),
  );
  const waiting = queued.filter((entry) => !entry.refused);

  const flush = useCallback(async () => {
    if (flushing) return;
    flushing = true;
    let sent = 0;
    try {
      for (const entry of queuedMeals(userId).filter((meal) => !meal.refused)) {
        try {
          await send(userId, entry);
          sent += 1;
        } catch (error) {
          // Offline or the session ended: the rest would fail the same way.
          if (worthRetrying(error)) break;
        }
      }
    } finally {
      flushing = false;
    }
    if (sent > 0) await queryClient.invalidateQueries({ queryKey: mealKeys.all });
  }, [queryClient, userId]);

  const anyWaiting = waiting.length > 0;
  useEffect(() => {
    if (!anyWaiting) return;
    const retry = () => void flush();
    window.addEventListener('online', retry);
    const timer = setInterval(retry, OUTBOX_RETRY_MS);
    retry();
    return () => {
      window.removeEventListener('online', retry);
      clearInterval(timer);
    };
  }, [anyWaiting, flush]);

  return {
    queued,
    waiting,
    flush,
    discard: (key: string) => dropQueuedMeal(userId, key),
  };
}
