import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/**
 * This admin's break-glass grants still open, from tracking: what every page's banner and the
 * support screen show, whichever browser opened them. Tracking lists only the caller's own.
 */
export const listSupportGrants = async () => (await unwrap(api.GET('/api/v1/admin/support-access'))).items;

export type SupportGrant = Awaited<ReturnType<typeof listSupportGrants>>[number];

export const useSupportGrants = () =>
  useQuery({
    queryKey: adminKeys.supportGrants,
    queryFn: listSupportGrants,
    // A grant opened in another tab or browser shows within a minute; one opened here at once.
    // Not while the API refuses (an admin yet to pass MFA): the page they are on says why.
    refetchInterval: (query) => (query.state.status === 'error' ? false : 60_000),
  });
