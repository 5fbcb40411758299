import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { setGoalsInputSchema, type SetGoalsInput } from '../../goals/api/set-goals';
import { forgetClientIfGone } from './client-access';
import { trainerConsoleKeys } from './keys';

const clientIdSchema = z.uuid();

/** A client's daily goals (version 0: none set yet). */
export function getClientGoals(clientId: string) {
  return unwrap(
    api.GET('/api/v1/trainer/clients/{clientId}/goals', {
      params: { path: { clientId: clientIdSchema.parse(clientId) } },
    }),
  );
}

export const clientGoalsQueryOptions = (clientId: string) =>
  queryOptions({ queryKey: trainerConsoleKeys.goals(clientId), queryFn: () => getClientGoals(clientId) });

export const useClientGoals = (clientId: string) => useQuery(clientGoalsQueryOptions(clientId));

/** Sets a client's goals from the version I read; the client (or another tab) changing them first is a 409. */
export function setClientGoals(clientId: string, input: SetGoalsInput) {
  return unwrap(
    api.PUT('/api/v1/trainer/clients/{clientId}/goals', {
      params: { path: { clientId: clientIdSchema.parse(clientId) } },
      body: setGoalsInputSchema.parse(input),
    }),
  );
}

export function useSetClientGoals(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SetGoalsInput) => setClientGoals(clientId, input),
    onSuccess: (goals) => queryClient.setQueryData(trainerConsoleKeys.goals(clientId), goals),
    onError: (error) => forgetClientIfGone(queryClient, clientId, error),
  });
}
