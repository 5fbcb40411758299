import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, unwrap, type components } from '../../../lib/api-client';
import { trainerKeys } from './keys';

export type TrainerLink = components['schemas']['TrainerLink'];

/** My invitations and links to trainers, of every status. */
export function listTrainerLinks() {
  return unwrap(api.GET('/api/v1/me/trainer-links'));
}

export const trainerLinksQueryOptions = () =>
  queryOptions({ queryKey: trainerKeys.links, queryFn: listTrainerLinks });

export const useTrainerLinks = () => useQuery(trainerLinksQueryOptions());
