import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';

import { ApiError } from '../../../lib/api-client';
import { trainerConsoleKeys } from './keys';

/**
 * The API answers 404 for a client the trainer may not read, whether the link just ended or
 * never existed (and 403 once the account is no longer a trainer). Either way nothing already
 * loaded about that client may stay on screen: drop it all, and re-read the links, which decide
 * whether the client's pages show at all.
 */
export function isClientGone(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 403);
}

export function forgetClient(queryClient: QueryClient, clientId: string): void {
  queryClient.removeQueries({ queryKey: trainerConsoleKeys.client(clientId) });
  void queryClient.invalidateQueries({ queryKey: trainerConsoleKeys.links });
}

/** For a mutation's onError: the same forgetting when the answer says the client is gone. */
export function forgetClientIfGone(queryClient: QueryClient, clientId: string, error: unknown): void {
  if (isClientGone(error)) forgetClient(queryClient, clientId);
}

/** The client id in a console URL: a uuid, lower-case, or nothing the API could know. */
export function parseClientId(value: string | undefined): string | undefined {
  return value && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
    ? value.toLowerCase()
    : undefined;
}

/**
 * While a console screen is open, any query about a client that comes back 404 or 403 makes the
 * console forget that client (above): the next render has no data of theirs, and the links,
 * read again, no longer list them.
 */
export function useForgetGoneClients(): void {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type !== 'updated' || event.action.type !== 'error') return;
        const [scope, kind, clientId] = event.query.queryKey as unknown[];
        if (scope !== 'trainer' || kind !== 'client' || typeof clientId !== 'string') return;
        // After the cache has finished telling its observers about this error.
        if (isClientGone(event.action.error)) queueMicrotask(() => forgetClient(queryClient, clientId));
      }),
    [queryClient],
  );
}
