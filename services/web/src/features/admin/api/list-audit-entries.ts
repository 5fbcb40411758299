import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap, type operations } from '../../../lib/api-client';
import { adminKeys } from './keys';

export type AuditFilters =
  NonNullable<operations['exportAuditEntries']['parameters']['query']> extends infer Q
    ? Omit<Q, 'format'>
    : never;

/** The filters the gateway takes (GET /admin/audit/entries), as the search form holds them. */
export const auditFiltersSchema = z.object({
  actorUserId: z.union([z.literal(''), z.uuid({ message: 'A user id looks like 3f2b…-…: a UUID.' })]),
  subjectType: z.string().trim().max(64),
  subjectId: z.string().trim().max(128),
  action: z.string().trim().max(128),
  correlationId: z.string().trim().max(128),
  outcome: z.enum(['', 'success', 'failure', 'denied']),
  from: z.string(),
  to: z.string(),
});
export type AuditFilterForm = z.infer<typeof auditFiltersSchema>;

export const PAGE_SIZE = 25;

export const listAuditEntries = (filters: AuditFilters, cursor: string | undefined) =>
  unwrap(
    api.GET('/api/v1/admin/audit/entries', {
      params: { query: { ...filters, order: 'newest', limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
    }),
  );
export type AuditEntry = Awaited<ReturnType<typeof listAuditEntries>>['entries'][number];

export const useAuditEntries = (filters: AuditFilters, cursor: string | undefined) =>
  useQuery({
    queryKey: adminKeys.audit(filters, cursor),
    queryFn: () => listAuditEntries(filters, cursor),
    placeholderData: keepPreviousData,
  });

/**
 * The export of the same filters, streamed by the gateway as an attachment. A plain link: the
 * browser downloads it with the session cookie (a GET needs no CSRF token) and never holds the
 * whole log in the page's memory.
 */
export function auditExportUrl(filters: AuditFilters, format: 'csv' | 'json'): string {
  const query = new URLSearchParams({ ...(filters as Record<string, string>), format });
  return `/api/v1/admin/audit/export?${query.toString()}`;
}
