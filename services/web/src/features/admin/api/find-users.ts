import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/** The gateway's rule (GET /admin/users): a user id, or the start of an email of 3 characters or more. */
export const findUsersInputSchema = z.object({
  q: z
    .string()
    .trim()
    .min(3, { message: 'Enter a user id or at least 3 characters of an email address.' })
    .max(320),
});
export type FindUsersInput = z.infer<typeof findUsersInputSchema>;

export const findUsers = ({ q }: FindUsersInput) =>
  unwrap(api.GET('/api/v1/admin/users', { params: { query: { q, limit: 20 } } }));
export type UserSummary = Awaited<ReturnType<typeof findUsers>>['items'][number];

export const useFindUsers = (q: string) =>
  useQuery({
    queryKey: adminKeys.users(q),
    queryFn: () => findUsers({ q }),
    enabled: q.length >= 3,
    placeholderData: keepPreviousData,
  });
