import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import type { ConfirmIdentityInput } from './confirm-identity';
import { privacyKeys } from './keys';

/** Starts an export, or returns the one still open (the server never runs two). */
export const requestExport = (input: ConfirmIdentityInput) =>
  unwrap(api.POST('/api/v1/me/data-exports', { body: input }));
export type DataExport = Awaited<ReturnType<typeof requestExport>>;

export function useRequestExport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: requestExport,
    onSuccess: (request) => queryClient.setQueryData(privacyKeys.export(request.id), request),
  });
}
