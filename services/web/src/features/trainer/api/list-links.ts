import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, unwrap, type components } from '../../../lib/api-client';
import { trainerConsoleKeys } from './keys';

export type TrainerLink = components['schemas']['TrainerLink'];

/** My clients (active links) and my invitations, of every status, newest first. */
export function listLinks() {
  return unwrap(api.GET('/api/v1/trainer/links'));
}

export const linksQueryOptions = () =>
  queryOptions({
    queryKey: trainerConsoleKeys.links,
    queryFn: listLinks,
    // Who my clients are decides what the console may show: read it again on every visit.
    staleTime: 0,
  });

export const useLinks = () => useQuery(linksQueryOptions());

/** The active links, one per client. */
export function activeClients(links: readonly TrainerLink[]): (TrainerLink & { clientId: string })[] {
  return links.filter(
    (link): link is TrainerLink & { clientId: string } => link.status === 'active' && link.clientId !== null,
  );
}

/** What the plan's client limit counts: active links and pending invitations that have not run out. */
export function countsTowardLimit(links: readonly TrainerLink[]): number {
  return links.filter((link) => link.status === 'active' || link.status === 'pending').length;
}
