import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/** The newest backups and restore drills, each drill judged against the RTO and RPO targets. */
export const useBackupOverview = () =>
  useQuery({
    queryKey: adminKeys.backups,
    queryFn: () => unwrap(api.GET('/api/v1/admin/backups')),
  });
