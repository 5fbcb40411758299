import { useSyncExternalStore } from 'react';
import { z } from 'zod';

/**
 * The break-glass grants this admin opened from this browser, so every page can show a banner
 * while one lasts. The API has no list of open grants; tracking decides on each read whether a
 * grant still holds, so this store only informs the admin and never grants anything itself.
 * Kept per admin in localStorage, so a reload or a second tab still shows it.
 */
const grantSchema = z.object({
  grantId: z.uuid(),
  clientId: z.uuid(),
  reason: z.string(),
  expiresAt: z.iso.datetime(),
});
export type SupportGrant = z.infer<typeof grantSchema>;

const keyOf = (userId: string) => `tracking.support-grants.v1.${userId}`;
const listeners = new Set<() => void>();
const EMPTY: readonly SupportGrant[] = [];
const snapshots = new Map<string, { raw: string | null; grants: readonly SupportGrant[] }>();

function read(userId: string): readonly SupportGrant[] {
  const raw = localStorage.getItem(keyOf(userId));
  const cached = snapshots.get(userId);
  if (cached && cached.raw === raw) return cached.grants;
  let grants: readonly SupportGrant[] = EMPTY;
  try {
    const parsed = z.array(grantSchema).safeParse(JSON.parse(raw ?? '[]'));
    if (parsed.success) grants = parsed.data;
  } catch {
    grants = EMPTY;
  }
  snapshots.set(userId, { raw, grants });
  return grants;
}

function write(userId: string, grants: readonly SupportGrant[]): void {
  if (grants.length === 0) localStorage.removeItem(keyOf(userId));
  else localStorage.setItem(keyOf(userId), JSON.stringify(grants));
  for (const listener of listeners) listener();
}

export const supportGrants = {
  add(userId: string, grant: SupportGrant): void {
    write(userId, [grant, ...read(userId).filter((g) => g.clientId !== grant.clientId)]);
  },
  /** The grant to this client has ended (expired, or tracking answered 404): stop showing it. */
  end(userId: string, clientId: string): void {
    write(
      userId,
      read(userId).filter((g) => g.clientId !== clientId),
    );
  },
  /** Grants not yet past their expiry. */
  live(userId: string, now = Date.now()): SupportGrant[] {
    return read(userId).filter((g) => Date.parse(g.expiresAt) > now);
  },
};

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key?.startsWith('tracking.support-grants.v1.')) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** Every grant this admin opened here, live or not; filter with the clock (useNow) to show. */
export function useSupportGrants(userId: string): readonly SupportGrant[] {
  return useSyncExternalStore(
    subscribe,
    () => read(userId),
    () => EMPTY,
  );
}
