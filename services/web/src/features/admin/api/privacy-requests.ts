import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap, type components } from '../../../lib/api-client';

export type PrivacyState = components['schemas']['PrivacyRequest']['state'];

/** The privacy screen's filters; each becomes a query parameter of GET /admin/privacy-requests. */
export interface PrivacyFilters {
  kind?: 'export' | 'erasure' | undefined;
  state?: PrivacyState | undefined;
}

const privacyKeys = {
  all: ['admin', 'privacy'] as const,
  list: (filters: PrivacyFilters, cursor: string | undefined) =>
    ['admin', 'privacy', 'list', filters, cursor ?? ''] as const,
};

export const listPrivacyRequests = (filters: PrivacyFilters, cursor: string | undefined) =>
  unwrap(
    api.GET('/api/v1/admin/privacy-requests', {
      params: {
        query: {
          limit: 50,
          ...(filters.kind ? { kind: filters.kind } : {}),
          ...(filters.state ? { state: filters.state } : {}),
          ...(cursor ? { cursor } : {}),
        },
      },
    }),
  );
export type PrivacyRequestPage = Awaited<ReturnType<typeof listPrivacyRequests>>;
export type AdminPrivacyRequest = PrivacyRequestPage['requests'][number];

/** Refreshed every half minute: a saga's steps arrive on their own. */
export const usePrivacyRequests = (filters: PrivacyFilters, cursor: string | undefined) =>
  useQuery({
    queryKey: privacyKeys.list(filters, cursor),
    queryFn: () => listPrivacyRequests(filters, cursor),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });

export const erasureReasonSchema = z.object({
  reason: z
    .string()
    .trim()
    .min(10, 'Say why in at least 10 characters, e.g. "verified request by mail, ticket 1234".')
    .max(500),
});
export type ErasureReasonInput = z.infer<typeof erasureReasonSchema>;

/** An export for a user who asked by mail; they download it themselves, with their password. */
export const startUserExport = ({ userId }: { userId: string }) =>
  unwrap(api.POST('/api/v1/admin/users/{userId}/data-exports', { params: { path: { userId } } }));

/** The user's deletion after the same 7-day cooling-off; the reason is audited. */
export const startUserDeletion = ({ userId, reason }: { userId: string } & ErasureReasonInput) =>
  unwrap(
    api.POST('/api/v1/admin/users/{userId}/account-deletion', {
      params: { path: { userId } },
      body: { reason },
    }),
  );

function useStart<I>(mutationFn: (input: I) => Promise<AdminPrivacyRequest>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: privacyKeys.all }),
  });
}

export const useStartUserExport = () => useStart(startUserExport);
export const useStartUserDeletion = () => useStart(startUserDeletion);
