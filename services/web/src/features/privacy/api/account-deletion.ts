import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import type { ConfirmIdentityInput } from './confirm-identity';
import { privacyKeys } from './keys';

/** The scheduled, running or last deletion of my account; `request` is null if I never asked. */
export const getDeletion = () => unwrap(api.GET('/api/v1/me/account-deletion'));
export const useDeletion = () => useQuery({ queryKey: privacyKeys.deletion, queryFn: getDeletion });

/** Schedules the deletion after the 7-day cooling-off period (or returns the one already scheduled). */
export const requestDeletion = (input: ConfirmIdentityInput) =>
  unwrap(api.POST('/api/v1/me/account-deletion', { body: input }));

/** Cancels it while it is still cooling off. */
export const cancelDeletion = () => unwrap(api.DELETE('/api/v1/me/account-deletion'));

export function useRequestDeletion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: requestDeletion,
    onSuccess: (request) => queryClient.setQueryData(privacyKeys.deletion, { request }),
  });
}

export function useCancelDeletion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelDeletion,
    onSuccess: (request) => queryClient.setQueryData(privacyKeys.deletion, { request }),
  });
}
