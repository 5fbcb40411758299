import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const preferencesQueryKey = ['account', 'preferences'] as const;

export const getPreferences = () => unwrap(api.GET('/api/v1/me/preferences'));

export const preferencesQueryOptions = () =>
  queryOptions({ queryKey: preferencesQueryKey, queryFn: getPreferences });
export const usePreferencesSetting = () => useQuery(preferencesQueryOptions());

export const setPreferencesInputSchema = z.object({ newDeviceAlerts: z.boolean() });
export type SetPreferencesInput = z.infer<typeof setPreferencesInputSchema>;

export const setPreferences = (input: SetPreferencesInput) =>
  unwrap(api.PUT('/api/v1/me/preferences', { body: setPreferencesInputSchema.parse(input) }));

export const useSetPreferences = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setPreferences,
    onSuccess: (stored) => queryClient.setQueryData(preferencesQueryKey, stored),
  });
};
